//! A browser for tests: keeps the session cookie, does not follow redirects, and fills in the
//! CSRF token. Shared by tower-authy's tests and the end-to-end suites in `tests/`.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::Value;

/// A browser: keeps the session cookie, does not follow redirects.
#[derive(Debug, Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: String,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Page {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Browser {
    /// A fresh browser (no cookie) for the app at `base`.
    pub fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
            cookie: None,
            csrf: None,
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header("cookie", c),
            None => req,
        };
        let r = req.send().await.unwrap();
        if let Some(set) = r.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            // A new session id may come with a rotated CSRF token: fetch it again when needed.
            if self.cookie.as_ref() != Some(&pair) {
                self.csrf = None;
            }
            self.cookie = Some(pair);
        }
        let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        let (status, location, content_type, retry_after) = (
            r.status().as_u16(),
            h("location"),
            h("content-type").unwrap_or_default(),
            h("retry-after"),
        );
        Page {
            status,
            location,
            content_type,
            retry_after,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn get_json(&mut self, path: &str) -> Page {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "application/json");
        self.send(req).await
    }

    /// Posts a form with this session's CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &csrf));
        let req = self.http.post(format!("{}{path}", self.base)).form(&form);
        self.send(req).await
    }

    pub async fn post_without_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(req).await
    }

    pub async fn csrf_token(&mut self) -> String {
        if let Some(t) = &self.csrf {
            return t.clone();
        }
        let page = self.get_json("/authy/login").await;
        let t = page.json()["csrf_token"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        self.csrf = Some(t.clone());
        t
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        self.post("/authy/login", &[("login", email), ("password", password)])
            .await
    }

    /// Opens the waiting page's event stream in this session (not read yet).
    pub async fn open_events(&self) -> reqwest::Response {
        self.http
            .get(format!("{}/authy/events", self.base))
            .header("cookie", self.cookie.clone().unwrap())
            .send()
            .await
            .unwrap()
    }

    pub async fn status(&mut self) -> String {
        self.get_json("/authy/status").await.json()["status"]
            .as_str()
            .unwrap_or("none")
            .to_owned()
    }
}

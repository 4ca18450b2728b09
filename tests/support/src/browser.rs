//! A browser for tests: reqwest's cookie store keeps every cookie the app sets (and drops
//! those it expires), redirects are not followed, and forms get the session's CSRF token.

use reqwest::cookie::{CookieStore as _, Jar};
use serde_json::Value;
use std::sync::Arc;

/// A browser: keeps cookies, does not follow redirects.
#[derive(Debug, Clone)]
pub struct Browser {
    /// The client, sharing this browser's cookie store.
    pub http: reqwest::Client,
    /// The app's base URL.
    pub base: String,
    jar: Arc<Jar>,
    url: reqwest::Url,
    csrf: Option<String>,
    /// Where the CSRF token is read (as JSON): tower-authy's login page by default.
    csrf_from: String,
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Page {
    /// The status code.
    pub status: u16,
    /// `Location`, if any.
    pub location: Option<String>,
    /// `Content-Type` (empty when missing).
    pub content_type: String,
    /// `Retry-After`, if any.
    pub retry_after: Option<String>,
    /// The body as text.
    pub body: String,
}

impl Page {
    /// The recovery codes a page shows (the text of each `<code>`), in order.
    pub fn recovery_codes(&self) -> Vec<String> {
        self.body
            .split("<code>")
            .skip(1)
            .filter_map(|s| s.split("</code>").next())
            .map(str::to_owned)
            .collect()
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Browser {
    /// A fresh browser (no cookie) for the app at `base`.
    pub fn new(base: &str) -> Browser {
        Browser::with_headers(base, reqwest::header::HeaderMap::new())
    }

    /// A fresh browser that sends `headers` with every request (as a proxy in front would).
    pub fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Browser {
        let jar = Arc::new(Jar::default());
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_provider(Arc::clone(&jar))
                .default_headers(headers)
                .build()
                .unwrap(),
            base: base.to_owned(),
            jar,
            url: base.parse().unwrap(),
            csrf: None,
            csrf_from: "/authy/login".to_owned(),
        }
    }

    /// This browser reads its CSRF token from `path` (step-up mode has no login page).
    pub fn csrf_from(mut self, path: &str) -> Browser {
        path.clone_into(&mut self.csrf_from);
        self
    }

    /// A fresh browser whose requests carry `X-Forwarded-For: forwarded_for`.
    pub fn forwarded_for(base: &str, forwarded_for: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded_for.parse().unwrap());
        Browser::with_headers(base, headers)
    }

    /// The `Cookie` header this browser sends to the app, if it holds any cookie.
    pub fn cookie(&self) -> Option<String> {
        let header = self.jar.cookies(&self.url)?;
        Some(header.to_str().unwrap().to_owned())
    }

    /// Stores a cookie as if the app had set it (`name=value`).
    pub fn set_cookie(&mut self, cookie: &str) {
        self.jar.add_cookie_str(cookie, &self.url);
        self.csrf = None;
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let before = self.cookie();
        let r = req.send().await.unwrap();
        // A new session id comes with a new CSRF token: fetch it again when needed.
        if self.cookie() != before {
            self.csrf = None;
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

    /// `GET`, as a browser navigates (HTML).
    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// `GET` with `Accept: application/json`.
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

    /// Posts a form as is.
    pub async fn post_without_csrf(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req = self.http.post(format!("{}{path}", self.base)).form(fields);
        self.send(req).await
    }

    /// This session's CSRF token, read from the login page's JSON once per session.
    pub async fn csrf_token(&mut self) -> String {
        if let Some(t) = &self.csrf {
            return t.clone();
        }
        let from = self.csrf_from.clone();
        let page = self.get_json(&from).await;
        let t = page.json()["csrf_token"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        self.csrf = Some(t.clone());
        t
    }

    /// Logs in with a password.
    pub async fn login(&mut self, email: &str, password: &str) -> Page {
        self.post("/authy/login", &[("login", email), ("password", password)])
            .await
    }

    /// Opens the waiting page's event stream in this session (not read yet).
    pub async fn open_events(&self) -> reqwest::Response {
        self.http
            .get(format!("{}/authy/events", self.base))
            .send()
            .await
            .unwrap()
    }

    /// The pending login's status from `/authy/status` (`none` when there is none).
    pub async fn status(&mut self) -> String {
        self.get_json("/authy/status").await.json()["status"]
            .as_str()
            .unwrap_or("none")
            .to_owned()
    }
}

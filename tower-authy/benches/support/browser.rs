//! A benchmark's browser: one session cookie, the CSRF token, no redirects followed. Shared by
//! the benchmarks with `#[path]`, so each measures the same requests.

#![allow(dead_code)]

/// One browser on one app.
pub(crate) struct Browser<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a str,
    pub cookie: String,
    pub csrf: String,
}

impl<'a> Browser<'a> {
    /// A fresh browser on the login form: its cookie and CSRF token.
    pub(crate) async fn begin(http: &'a reqwest::Client, base: &'a str) -> Browser<'a> {
        let mut b = Browser {
            http,
            base,
            cookie: String::new(),
            csrf: String::new(),
        };
        let r = b
            .req(reqwest::Method::GET, "/authy/login")
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        b.keep_cookie(&r);
        b.csrf = r.json::<serde_json::Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned();
        b
    }

    pub(crate) fn req(&self, m: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(m, format!("{}{path}", self.base));
        if self.cookie.is_empty() {
            r
        } else {
            r.header("cookie", &self.cookie)
        }
    }

    pub(crate) fn keep_cookie(&mut self, r: &reqwest::Response) {
        // The session cookie (a completed login also sets the device cookie).
        for set in r.headers().get_all("set-cookie") {
            let c = tower_sessions::cookie::Cookie::parse(set.to_str().unwrap()).unwrap();
            if !c.name().contains("tower-authy-known") {
                self.cookie = format!("{}={}", c.name(), c.value());
            }
        }
    }

    /// Submits the password (`pw`): the second step begins.
    pub(crate) async fn password(&mut self, email: &str) {
        let form = [
            ("login", email),
            ("password", "pw"),
            ("csrf_token", &self.csrf),
        ];
        let r = self
            .req(reqwest::Method::POST, "/authy/login")
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        self.keep_cookie(&r);
        // A new session id comes with a new CSRF token, given to API clients in the answer.
        let answer: serde_json::Value = r.json().await.unwrap();
        self.csrf = answer["csrf_token"].as_str().unwrap().to_owned();
    }

    /// Posts a form with the CSRF token (and `extra`); expects the 303 of success.
    pub(crate) async fn post(&mut self, path: &str, extra: Option<(&str, &str)>) {
        let mut form = vec![("csrf_token", self.csrf.clone())];
        if let Some((k, v)) = extra {
            form.push((k, v.to_owned()));
        }
        let r = self
            .req(reqwest::Method::POST, path)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        self.keep_cookie(&r);
    }

    /// The protected page answers 200.
    pub(crate) async fn protected_page(&self) {
        let r = self
            .req(reqwest::Method::GET, "/account")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

/// Reads a waiting page's event stream until it reports the approval.
pub(crate) async fn until_approved(events: &mut reqwest::Response) {
    let status = events.status();
    let mut seen = String::new();
    while !seen.contains("\"approved\"") {
        match events.chunk().await.unwrap() {
            Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            None => panic!("events ended early ({status}): {seen}"),
        }
    }
}

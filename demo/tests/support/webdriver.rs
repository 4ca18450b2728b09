//! Just enough W3C WebDriver to drive headless Chromium through chromedriver.
#![allow(dead_code, clippy::unwrap_used)]

use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct Driver {
    _chromedriver: Child,
    http: reqwest::Client,
    base: String,
    _profile: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Chromium and chromedriver from Debian, or `None` when they are missing (never under CI or
/// `scripts/test-all.sh`, which install them and set `REQUIRE_BROWSER`).
pub async fn start() -> Option<Driver> {
    let (chromium, chromedriver) = ("/usr/bin/chromium", "/usr/bin/chromedriver");
    if !std::path::Path::new(chromedriver).exists() || !std::path::Path::new(chromium).exists() {
        assert!(
            std::env::var_os("CI").is_none() && std::env::var_os("REQUIRE_BROWSER").is_none(),
            "chromium and chromium-driver must be installed (scripts/test-all.sh installs them)"
        );
        eprintln!("skipping the browser test: apt-get install chromium chromium-driver");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let ready = Instant::now();
    while http.get(format!("{base}/status")).send().await.is_err() {
        assert!(ready.elapsed() < DEADLINE, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = std::env::temp_dir().join(format!("demo-browser-test-{port}"));
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": chromium,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync", "--window-size=900,1000",
                 format!("--user-data-dir={}", profile.display())]}}}});
    let session: Value = http
        .post(format!("{base}/session"))
        .json(&caps)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = session["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {session}"));
    Some(Driver {
        _chromedriver: child,
        http,
        base: format!("{base}/session/{id}"),
        _profile: TempDir(profile),
    })
}

impl Driver {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn find_now(&self, css: &str) -> Option<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().map(str::to_owned)
    }

    /// Waits for an element to exist.
    pub async fn find(&self, css: &str) -> String {
        let t0 = Instant::now();
        loop {
            if let Some(e) = self.find_now(css).await {
                return e;
            }
            assert!(
                t0.elapsed() < DEADLINE,
                "no element {css} on {}:\n{}",
                self.url().await,
                self.source().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the page's text contains `needle`.
    pub async fn wait_text(&self, needle: &str) {
        let t0 = Instant::now();
        while !self.text("body").await.contains(needle) {
            assert!(
                t0.elapsed() < DEADLINE,
                "no {needle:?} on {}:\n{}",
                self.url().await,
                self.text("body").await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the URL path is `path`.
    pub async fn wait_path(&self, path: &str) {
        let t0 = Instant::now();
        loop {
            let url = self.url().await;
            let at = url
                .split_once("://")
                .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_owned()))
                .unwrap_or_default();
            if at.split('?').next() == Some(path) {
                return;
            }
            assert!(
                t0.elapsed() < DEADLINE,
                "still at {url}, waiting for {path}:\n{}",
                self.text("body").await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        match self.find_now(css).await {
            Some(e) => self
                .call(reqwest::Method::GET, &format!("/element/{e}/text"), None)
                .await
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            None => String::new(),
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/clear"),
            Some(json!({})),
        )
        .await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Clicks, finding the element again if the page replaced it in between.
    pub async fn click(&self, css: &str) {
        let t0 = Instant::now();
        loop {
            let e = self.find(css).await;
            let r = self
                .call(
                    reqwest::Method::POST,
                    &format!("/element/{e}/click"),
                    Some(json!({})),
                )
                .await;
            match r.get("error").and_then(Value::as_str) {
                None => return,
                Some("stale element reference") if t0.elapsed() < DEADLINE => continue,
                Some(other) => panic!("click on {css} failed: {other}: {r}"),
            }
        }
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = data_encoding::BASE64
            .decode(b64.as_str().unwrap().as_bytes())
            .unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    pub async fn window(&self) -> String {
        self.call(reqwest::Method::GET, "/window", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn new_tab(&self) -> String {
        self.call(
            reqwest::Method::POST,
            "/window/new",
            Some(json!({"type": "tab"})),
        )
        .await["handle"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn switch_to(&self, handle: &str) {
        self.call(
            reqwest::Method::POST,
            "/window",
            Some(json!({"handle": handle})),
        )
        .await;
    }

    pub async fn quit(self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

//! Headless Chromium driven through chromedriver with fantoccini, plus the few waits the
//! browser suite needs on top of it.

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// How long the browser suite waits for a page to change.
pub const DEADLINE: Duration = Duration::from_secs(20);
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session. Derefs to the fantoccini [`Client`]; the chromedriver process
/// and the browser profile go away on drop.
#[derive(Debug)]
pub struct Chromium {
    client: Client,
    _chromedriver: Child,
    profile: PathBuf,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        drop(std::fs::remove_dir_all(&self.profile));
    }
}

impl Deref for Chromium {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Chromium {
    /// Chromium and chromedriver from Debian, or `None` when they are missing (never under CI
    /// or `scripts/test-all.sh`, which install them and set `REQUIRE_BROWSER`).
    pub async fn start() -> Option<Chromium> {
        Chromium::start_in("en-US,en").await
    }

    /// As [`start`](Self::start), with the browser asking for pages in `languages` (its
    /// `Accept-Language`, such as `fr-FR,fr`).
    pub async fn start_in(languages: &str) -> Option<Chromium> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
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
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let profile = std::env::temp_dir().join(format!("browser-test-{port}"));
        let options = json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                     "--window-size=900,1000", format!("--user-data-dir={}", profile.display()),
                     format!("--lang={}", languages.split(',').next().unwrap_or("en"))],
            "prefs": { "intl.accept_languages": languages },
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities);
        // chromedriver takes a moment to listen.
        let started = Instant::now();
        let client = loop {
            match builder.connect(&format!("http://127.0.0.1:{port}")).await {
                Ok(client) => break client,
                Err(e) => {
                    assert!(started.elapsed() < DEADLINE, "no chromedriver session: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        Some(Chromium {
            client,
            _chromedriver: chromedriver,
            profile,
        })
    }

    async fn until<T, F>(&self, what: &str, mut check: impl FnMut() -> F) -> T
    where
        F: std::future::Future<Output = Option<T>>,
    {
        let started = Instant::now();
        loop {
            if let Some(done) = check().await {
                return done;
            }
            if started.elapsed() > DEADLINE {
                let url = self.client.current_url().await.map(String::from);
                let body = self.body_text().await;
                panic!("{what} within {DEADLINE:?}; at {url:?}:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// The element's text, waiting for it to exist.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.unwrap()
    }

    /// The element's attribute `name`, waiting for the element to exist.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.wait_for(css).await.attr(name).await.unwrap()
    }

    /// Waits for an element to exist.
    pub async fn wait_for(&self, css: &str) -> Element {
        let what = format!("no element {css}");
        self.until(&what, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// Waits until no element matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let what = format!("{css} still on the page");
        self.until(&what, || async {
            let found = self.client.find_all(Locator::Css(css)).await.ok()?;
            found.is_empty().then_some(())
        })
        .await
    }

    /// Waits until the page's text contains `needle`.
    pub async fn wait_text(&self, needle: &str) {
        let what = format!("no {needle:?}");
        self.until(&what, || async {
            self.body_text().await.contains(needle).then_some(())
        })
        .await;
    }

    /// Waits until the URL's path is `path`.
    pub async fn wait_path(&self, path: &str) {
        let what = format!("never reached {path}");
        self.until(&what, || async {
            let url = self.client.current_url().await.ok()?;
            (url.path() == path).then_some(())
        })
        .await;
    }

    /// Clears a field and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks, finding the element again if the page replaced it in between.
    pub async fn click(&self, css: &str) {
        let what = format!("could not click {css}");
        self.until(&what, || async {
            match self.wait_for(css).await.click().await {
                Ok(()) => Some(()),
                Err(CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
                {
                    None
                }
                Err(e) => panic!("click on {css} failed: {e}"),
            }
        })
        .await;
    }

    /// Adds a WebDriver virtual authenticator (WebAuthn, §11 "Automation"): a platform
    /// authenticator that keeps discoverable credentials, verifies the user and consents
    /// without asking. Returns its id.
    pub async fn add_virtual_authenticator(&self) -> String {
        let options = json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        let answer = self
            .client
            .issue_cmd(WebAuthnCommand {
                method: http::Method::POST,
                path: "webauthn/authenticator".into(),
                body: Some(options),
            })
            .await
            .expect("chromedriver adds a virtual authenticator");
        answer.as_str().expect("an authenticator id").to_owned()
    }

    /// The credentials the virtual authenticator `id` holds (as chromedriver lists them).
    pub async fn virtual_credentials(&self, id: &str) -> Vec<serde_json::Value> {
        let answer = self
            .client
            .issue_cmd(WebAuthnCommand {
                method: http::Method::GET,
                path: format!("webauthn/authenticator/{id}/credentials"),
                body: None,
            })
            .await
            .expect("chromedriver lists the credentials");
        answer.as_array().cloned().unwrap_or_default()
    }

    /// Removes the virtual authenticator `id` (its credentials go with it).
    pub async fn remove_virtual_authenticator(&self, id: &str) {
        self.client
            .issue_cmd(WebAuthnCommand {
                method: http::Method::DELETE,
                path: format!("webauthn/authenticator/{id}"),
                body: None,
            })
            .await
            .expect("chromedriver removes the authenticator");
    }

    /// Gives the virtual authenticator `id` a credential (as
    /// [`virtual_credentials`](Self::virtual_credentials) listed it).
    pub async fn add_virtual_credential(&self, id: &str, credential: serde_json::Value) {
        self.client
            .issue_cmd(WebAuthnCommand {
                method: http::Method::POST,
                path: format!("webauthn/authenticator/{id}/credential"),
                body: Some(credential),
            })
            .await
            .expect("chromedriver adds the credential");
    }

    /// Saves a PNG of the page.
    pub async fn save_screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Ends the browser session.
    pub async fn quit(self) {
        drop(self.client.clone().close().await);
    }
}

/// A WebDriver WebAuthn extension command (fantoccini has no helper for them).
#[derive(Debug)]
struct WebAuthnCommand {
    method: http::Method,
    /// The path under the session.
    path: String,
    /// The JSON body, for a `POST`.
    body: Option<serde_json::Value>,
}

impl fantoccini::wd::WebDriverCompatibleCommand for WebAuthnCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            self.method.clone(),
            self.body.as_ref().map(ToString::to_string),
        )
    }
}

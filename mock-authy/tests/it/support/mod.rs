//! Shared helpers for mock-authy's HTTP tests.
#![allow(dead_code)]

use axum::body::Bytes;
use mock_authy::{MockAuthy, MockAuthyBuilder, OneTouchBehaviour};
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// A client pointed at a mock, sending the key in the header.
pub(crate) struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Client {
    pub(crate) fn new(mock: &MockAuthy) -> Self {
        Client {
            http: reqwest::Client::new(),
            base: mock.base_url().to_owned(),
            key: mock.api_key().to_owned(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("X-Authy-API-Key", &self.key)
            .send()
            .await
            .unwrap();
        decode(r).await
    }

    pub(crate) async fn post_form(&self, path: &str, form: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-Authy-API-Key", &self.key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
            .await
            .unwrap();
        decode(r).await
    }

    pub(crate) async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("X-Authy-API-Key", &self.key)
            .json(body)
            .send()
            .await
            .unwrap();
        decode(r).await
    }

    /// Registers a user and returns the authy_id.
    pub(crate) async fn register(&self, email: &str, phone: &str) -> u64 {
        let form =
            format!("user%5Bemail%5D={email}&user%5Bcellphone%5D={phone}&user%5Bcountry_code%5D=1");
        let (status, body) = self.post_form("/protected/json/users/new", &form).await;
        assert_eq!(status, 200, "{body}");
        body["user"]["id"].as_u64().unwrap()
    }

    /// Creates an approval request and returns its uuid.
    pub(crate) async fn push(&self, authy_id: u64, extra: &str) -> String {
        let form = format!("message=Log+in%3F&details%5BEmail+Address%5D=a%40x.io{extra}");
        let (status, body) = self
            .post_form(
                &format!("/onetouch/json/users/{authy_id}/approval_requests"),
                &form,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["approval_request"]["uuid"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub(crate) async fn decode(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub(crate) async fn mock() -> MockAuthy {
    seeded().start().await.unwrap()
}

/// The mock most tests start: seeded, so ids and tokens repeat from run to run.
pub(crate) fn seeded() -> MockAuthyBuilder {
    MockAuthy::builder().seed(1)
}

/// The opening most tests share: the mock `builder` configures, started, and a client for
/// it. Keep the mock alive as long as the client is used.
pub(crate) async fn start(builder: MockAuthyBuilder) -> (MockAuthy, Client) {
    let mock = builder.start().await.unwrap();
    let client = Client::new(&mock);
    (mock, client)
}

pub(crate) async fn mock_without_device() -> MockAuthy {
    MockAuthy::builder()
        .seed(1)
        .default_onetouch(OneTouchBehaviour::NoDevice)
        .start()
        .await
        .unwrap()
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub method: String,
    pub uri: String,
    pub signature: Option<String>,
    pub nonce: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// An application's callback endpoint (a wiremock server on a free loopback port) that
/// answers with the scripted statuses, then 200.
pub(crate) struct Receiver {
    pub url: String,
    server: MockServer,
}

impl Receiver {
    pub(crate) async fn start(script: Vec<u16>) -> Receiver {
        let server = MockServer::start().await;
        // Same priority: the first one mounted that still has a use answers.
        for status in script {
            Mock::given(any())
                .respond_with(ResponseTemplate::new(status))
                .up_to_n_times(1)
                .with_priority(1)
                .mount(&server)
                .await;
        }
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .with_priority(2)
            .mount(&server)
            .await;
        Receiver {
            url: format!("{}/authy/callback", server.uri()),
            server,
        }
    }

    pub(crate) async fn received(&self) -> Vec<Received> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests
            .into_iter()
            .map(|r| {
                let h = |n: &str| r.headers.get(n).map(|v| v.to_str().unwrap().to_owned());
                let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
                Received {
                    method: r.method.to_string(),
                    uri: format!("{}{query}", r.url.path()),
                    signature: h("x-authy-signature"),
                    nonce: h("x-authy-signature-nonce"),
                    content_type: h("content-type"),
                    body: Bytes::from(r.body.clone()),
                }
            })
            .collect()
    }
}

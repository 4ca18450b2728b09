//! The Authy client's wire contract, checked against wiremock rather than mock-authy (which we
//! also wrote, so it could share our misreadings of `../shared/authy-api.md`).

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::time::Duration;
use tower_authy::{
    provider::ProviderError, provider::PushRequest, provider::PushStatus,
    provider::authy::AuthyClient, secret::ApiKey, secret::Token,
};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "contract-test-key";

async fn server() -> MockServer {
    MockServer::start().await
}

fn client(server: &MockServer) -> AuthyClient {
    AuthyClient::builder(ApiKey::new(KEY))
        .base_url(server.uri())
        .timeouts(Duration::from_millis(300), Duration::from_millis(500))
        .build()
        .unwrap()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn token(t: &str) -> Token {
    Token::parse(t).unwrap()
}

fn approval() -> PushRequest {
    let mut details = serde_json::Map::new();
    details.insert("Login".into(), json!("ada@example.com"));
    let mut hidden = serde_json::Map::new();
    hidden.insert("challenge".into(), json!("abc"));
    PushRequest {
        message: "Log in?".into(),
        details,
        hidden_details: hidden,
        logos: vec![json!({"res": "default", "url": "https://app.example/logo.png"})],
        seconds_to_expire: 300,
    }
}

/// Calls every operation once; what each answers does not matter here.
async fn call_everything(c: &AuthyClient) {
    let _ = c.register_user("ada@example.com", "5551234567", "1").await;
    let _ = c.user_status(42).await;
    let _ = c.request_sms(42, true).await;
    let _ = c.request_call(42, true).await;
    let _ = c.verify_token(42, &token("1234567")).await;
    let _ = c.create_approval_request(42, &approval()).await;
    let _ = c.approval_request_status("0f1e2d3c-aaaa").await;
    let _ = c.delete_user(42).await;
}

#[tokio::test]
async fn the_key_travels_only_in_the_x_authy_api_key_header() {
    let s = server().await;
    Mock::given(any())
        .respond_with(ok(json!({"success": true})))
        .mount(&s)
        .await;
    call_everything(&client(&s)).await;
    let requests = s.received_requests().await.unwrap();
    assert_eq!(requests.len(), 8);
    for r in requests {
        assert_eq!(r.headers["x-authy-api-key"], KEY, "{}", r.url);
        assert!(!r.url.as_str().contains(KEY), "key in the URL: {}", r.url);
        assert!(
            !String::from_utf8_lossy(&r.body).contains(KEY),
            "key in a body"
        );
        let other_headers_with_key = r
            .headers
            .iter()
            .filter(|(n, v)| {
                n.as_str() != "x-authy-api-key" && v.to_str().is_ok_and(|v| v.contains(KEY))
            })
            .count();
        assert_eq!(other_headers_with_key, 0);
    }
}

#[tokio::test]
async fn verify_sends_force_true_and_succeeds_only_on_is_valid() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/protected/json/verify/1234567/42"))
        .and(query_param("force", "true"))
        .respond_with(ok(
            json!({"success": true, "token": "is valid", "message": "Token is valid."}),
        ))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/protected/json/verify/7654321/42"))
        .respond_with(ok(json!({"success": true, "message": "Token is valid."})))
        .mount(&s)
        .await;
    let c = client(&s);
    c.verify_token(42, &token("1234567")).await.unwrap();
    // 200 without `"token": "is valid"` is not a success.
    assert!(matches!(
        c.verify_token(42, &token("7654321")).await,
        Err(ProviderError::Malformed(_))
    ));
    // Leading zeros are kept on the wire.
    let _ = c.verify_token(42, &token("0012345")).await;
    let last = s.received_requests().await.unwrap().pop().unwrap();
    assert_eq!(last.url.path(), "/protected/json/verify/0012345/42");
}

#[tokio::test]
async fn the_approval_request_body_is_authys_json() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/onetouch/json/users/42/approval_requests"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "message": "Log in?",
            "details": {"Login": "ada@example.com"},
            "hidden_details": {"challenge": "abc"},
            "logos": [{"res": "default", "url": "https://app.example/logo.png"}],
            "seconds_to_expire": 300
        })))
        .respond_with(ok(
            json!({"success": true, "approval_request": {"uuid": "u-1"}}),
        ))
        .expect(1)
        .mount(&s)
        .await;
    assert_eq!(
        client(&s)
            .create_approval_request(42, &approval())
            .await
            .unwrap(),
        "u-1"
    );
}

#[tokio::test]
async fn reads_are_retried_once_on_a_5xx() {
    let s = server().await;
    Mock::given(path("/protected/json/users/42/status"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(path("/protected/json/users/42/status"))
        .respond_with(ok(json!({"success": true, "status": {"registered": true, "confirmed": false, "devices": ["ios"]}})))
        .mount(&s)
        .await;
    Mock::given(path("/onetouch/json/approval_requests/u-1"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(path("/onetouch/json/approval_requests/u-1"))
        .respond_with(ok(
            json!({"success": true, "approval_request": {"status": "approved"}}),
        ))
        .mount(&s)
        .await;
    let c = client(&s);
    assert!(c.user_status(42).await.unwrap().registered);
    assert_eq!(
        c.approval_request_status("u-1").await.unwrap(),
        PushStatus::Approved
    );
    assert_eq!(s.received_requests().await.unwrap().len(), 4);

    // Twice down: one retry, then the error.
    let s = server().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&s)
        .await;
    assert!(
        client(&s)
            .user_status(42)
            .await
            .unwrap_err()
            .is_unavailable()
    );
    assert_eq!(s.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn sms_call_verify_and_approval_creation_are_sent_exactly_once() {
    let s = server().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"success": false, "message": "down", "error_code": "60000"})),
        )
        .mount(&s)
        .await;
    let c = client(&s);
    let sends: Vec<(&str, Result<(), ProviderError>)> = vec![
        ("sms", c.request_sms(42, true).await.map(drop)),
        ("call", c.request_call(42, true).await.map(drop)),
        ("verify", c.verify_token(42, &token("1234567")).await),
        (
            "approval",
            c.create_approval_request(42, &approval()).await.map(drop),
        ),
        (
            "register",
            c.register_user("a@b.example", "5551234567", "1")
                .await
                .map(drop),
        ),
    ];
    for (name, r) in &sends {
        assert!(r.as_ref().unwrap_err().is_unavailable(), "{name}");
    }
    assert_eq!(
        s.received_requests().await.unwrap().len(),
        sends.len(),
        "one request per send, no retry"
    );
}

#[tokio::test]
async fn a_slow_answer_becomes_the_timeout_error() {
    let s = server().await;
    Mock::given(any())
        .respond_with(
            ok(json!({"success": true, "token": "is valid"})).set_delay(Duration::from_secs(3)),
        )
        .mount(&s)
        .await;
    let c = client(&s);
    assert!(matches!(
        c.verify_token(42, &token("1234567")).await,
        Err(ProviderError::Timeout)
    ));
    assert!(matches!(
        c.user_status(42).await,
        Err(ProviderError::Timeout)
    ));
}

/// Every documented error body of authy-api.md (A.2, A.4, A.5) and what it must mean.
#[tokio::test]
async fn documented_error_bodies_map_to_typed_errors() {
    struct Case {
        status: u16,
        body: &'static str,
        code: Option<&'static str>,
        unavailable: bool,
        token_rejection: bool,
    }
    let case = |status, body, code, unavailable, token_rejection| Case {
        status,
        body,
        code,
        unavailable,
        token_rejection,
    };
    let cases = [
        case(
            401,
            r#"{"message":"Token is invalid","token":"is invalid","success":false,"errors":{"message":"Token is invalid"},"error_code":"60020"}"#,
            Some("60020"),
            false,
            true,
        ),
        case(
            401,
            r#"{"message":"Token is invalid","success":false,"errors":{"message":"Token is invalid"},"error_code":"60019"}"#,
            Some("60019"),
            false,
            true,
        ),
        case(
            401,
            r#"{"message":"Invalid API key","success":false,"errors":{"message":"Invalid API key"},"error_code":"60001"}"#,
            Some("60001"),
            true,
            false,
        ),
        case(
            401,
            r#"{"message":"Invalid API key.","success":false,"errors":{"message":"Invalid API key."}}"#,
            None,
            true,
            false,
        ),
        case(
            404,
            r#"{"message":"User not found.","success":false,"errors":{"message":"User not found."},"error_code":"60026"}"#,
            Some("60026"),
            false,
            false,
        ),
        case(
            400,
            r#"{"message":"User was not valid","success":false,"errors":{"message":"User was not valid","cellphone":"is invalid"},"cellphone":"is invalid","error_code":"60027"}"#,
            Some("60027"),
            false,
            false,
        ),
        case(
            404,
            r#"{"message":"Approval request not found: u-1","success":false,"errors":{},"error_code":"60049"}"#,
            Some("60049"),
            false,
            false,
        ),
        case(
            400,
            r#"{"message":"Device not found","success":false,"errors":{"message":"Device not found"},"error_code":"60051"}"#,
            Some("60051"),
            false,
            false,
        ),
        case(
            400,
            r#"{"message":"Phone number is invalid","success":false,"errors":{"message":"Phone number is invalid"},"error_code":"60033"}"#,
            Some("60033"),
            false,
            false,
        ),
        case(
            429,
            r#"{"message":"Client has reached the maximum number of requests per time unit on the given endpoint","success":false,"errors":{"message":"DoS protection"},"error_code":"60003"}"#,
            Some("60003"),
            true,
            false,
        ),
        case(
            500,
            r#"{"message":"Server error while querying phone information. Please try again later","success":false,"errors":{},"error_code":"60025"}"#,
            Some("60025"),
            true,
            false,
        ),
        case(
            404,
            r#"{"errors":{"message":"User doesn't exist"}}"#,
            None,
            false,
            false,
        ),
        case(503, "<html>Service Unavailable</html>", None, true, false),
    ];
    for c in &cases {
        let s = server().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(c.status).set_body_raw(c.body, "application/json"))
            .mount(&s)
            .await;
        let e = client(&s)
            .verify_token(42, &token("1234567"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), c.code, "{}", c.body);
        assert_eq!(e.is_unavailable(), c.unavailable, "{}", c.body);
        assert_eq!(e.is_token_rejection(), c.token_rejection, "{}", c.body);
        if let ProviderError::Api { status, .. } = e {
            assert_eq!(status, c.status);
        }
    }
    // A 200 that is not a success is not one: string booleans, or not JSON at all.
    for body in [
        r#"{"success":"false","message":"User doesn't exist.","errors":{"message":"User doesn't exist."}}"#,
        "not json",
        r#"{"success":true}"#,
    ] {
        let s = server().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&s)
            .await;
        assert!(
            client(&s)
                .verify_token(42, &token("1234567"))
                .await
                .is_err(),
            "{body}"
        );
    }
}

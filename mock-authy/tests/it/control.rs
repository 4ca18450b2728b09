//! The control API, OneTouch callbacks, faults and the phone page.

#![allow(clippy::unwrap_used)]

use crate::support::{Receiver, WAIT, decode, seeded, start};
use mock_authy::signature::{canonical_json, canonical_query, sign};
use mock_authy::{
    ApprovalStatus, CallbackMethod, ControlError, Fault, FaultKind, MockAuthy, OneTouchBehaviour,
};
use serde_json::{Value, json};
use std::time::Duration;

/// Checks a received callback the way an application must: HMAC over nonce|method|url|params.
fn assert_signed(mock: &MockAuthy, r: &crate::support::Received, configured_url: &str) {
    let canonical = match r.method.as_str() {
        "POST" => canonical_json(&serde_json::from_slice::<Value>(&r.body).unwrap()),
        _ => canonical_query(r.uri.split_once('?').unwrap().1),
    };
    let expected = sign(
        mock.api_key(),
        r.nonce.as_deref().unwrap(),
        &r.method,
        configured_url,
        &canonical,
    );
    assert_eq!(r.signature.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn approve_delivers_a_signed_json_callback_shaped_like_authys() {
    let rx = Receiver::start(vec![]).await;
    let (mock, c) = start(
        MockAuthy::builder()
            .seed(5)
            .callback(&rx.url, CallbackMethod::Post),
    )
    .await;
    let id = c.register("a@x.io", "5551234567").await;
    let uuid = c.push(id, "").await;

    let delivery = mock.approve(&uuid).await.unwrap().unwrap();
    assert!(delivery.delivered);
    assert_eq!(delivery.attempts.len(), 1);
    assert_eq!(delivery.last_status(), Some(200));

    let got = rx.received().await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.nonce.as_deref(), Some(mock.now().to_string().as_str()));
    assert_signed(&mock, r, &rx.url);
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["authy_id"], id);
    assert_eq!(body["uuid"], uuid.as_str());
    assert_eq!(body["status"], "approved");
    assert_eq!(body["callback_action"], "approval_request_status");
    assert_eq!(
        body["approval_request"]["transaction"]["status"],
        "approved"
    );
    assert_eq!(
        body["approval_request"]["transaction"]["details"],
        json!({"Email Address": "a@x.io"})
    );
    assert_eq!(body["signature"].as_str().unwrap().len(), 344);

    // The API agrees, and a second decision is refused without a second callback.
    let (_, status) = c
        .get(&format!("/onetouch/json/approval_requests/{uuid}"))
        .await;
    assert_eq!(status["approval_request"]["status"], "approved");
    assert!(status["approval_request"]["processed_at"].is_string());
    assert_eq!(
        mock.deny(&uuid).await.unwrap_err(),
        ControlError::NotPending(ApprovalStatus::Approved)
    );
    assert_eq!(rx.received().await.len(), 1);
    assert_eq!(mock.deliveries().len(), 1);
}

#[tokio::test]
async fn get_callbacks_carry_the_fields_in_a_signed_query_string() {
    let rx = Receiver::start(vec![]).await;
    let (mock, c) = start(MockAuthy::builder().callback(&rx.url, CallbackMethod::Get)).await;
    let id = c.register("a@x.io", "5551234567").await;
    let uuid = c.push(id, "&logos[][res]=default&logos[][url]=https%3A%2F%2Fx%2Fa.png&logos[][res]=low&logos[][url]=https%3A%2F%2Fx%2Fb.png").await;
    let d = mock.deny(&uuid).await.unwrap().unwrap();
    assert!(d.delivered);
    let r = &rx.received().await[0];
    assert_eq!(r.method, "GET");
    assert!(r.body.is_empty());
    assert!(r.uri.contains("status=denied"), "{}", r.uri);
    assert!(
        r.uri
            .contains("approval_request%5Blogos%5D%5B%5D%5Bres%5D=low")
    );
    assert_signed(&mock, r, &rx.url);
}

#[tokio::test]
async fn failed_deliveries_are_retried_a_bounded_number_of_times_and_recorded() {
    let rx = Receiver::start(vec![500, 503]).await;
    let (mock, c) = start(
        MockAuthy::builder()
            .callback(&rx.url, CallbackMethod::Post)
            .callback_retries(3, Duration::from_millis(1), Duration::from_secs(2)),
    )
    .await;
    let id = c.register("a@x.io", "5551234567").await;
    let uuid = c.push(id, "").await;
    let d = mock.approve(&uuid).await.unwrap().unwrap();
    assert!(d.delivered);
    assert_eq!(
        d.attempts.iter().map(|a| a.status).collect::<Vec<_>>(),
        [Some(500), Some(503), Some(200)]
    );
    assert_eq!(rx.received().await.len(), 3);
    // Every attempt sends the same signed bytes.
    assert!(
        rx.received()
            .await
            .windows(2)
            .all(|w| w[0].body == w[1].body && w[0].signature == w[1].signature)
    );

    // A 4xx is an answer: not retried.
    let rx = Receiver::start(vec![401]).await;
    mock.set_callback(Some((rx.url.clone(), CallbackMethod::Post)));
    let uuid = c.push(id, "").await;
    let d = mock.approve(&uuid).await.unwrap().unwrap();
    assert!(!d.delivered);
    assert_eq!(d.attempts.len(), 1);

    // Nobody listening: every attempt fails, and the count is bounded.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}/cb", dead.local_addr().unwrap());
    drop(dead);
    mock.set_callback(Some((dead_url, CallbackMethod::Post)));
    let uuid = c.push(id, "").await;
    let d = mock.approve(&uuid).await.unwrap().unwrap();
    assert!(!d.delivered);
    assert_eq!(d.attempts.len(), 3);
    assert!(
        d.attempts
            .iter()
            .all(|a| a.status.is_none() && a.error.is_some())
    );
    assert_eq!(mock.deliveries().len(), 3);
}

#[tokio::test]
async fn no_callback_url_means_no_delivery_and_expiry_sends_none() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let uuid = c.push(id, "").await;
    assert!(mock.approve(&uuid).await.unwrap().is_none());

    let rx = Receiver::start(vec![]).await;
    mock.set_callback(Some((rx.url.clone(), CallbackMethod::Post)));
    let uuid = c.push(id, "").await;
    assert_eq!(mock.expire(&uuid).unwrap().status, ApprovalStatus::Expired);
    assert!(rx.received().await.is_empty());
    assert_eq!(
        mock.expire("missing").unwrap_err(),
        ControlError::UnknownApproval
    );
}

#[tokio::test]
async fn auto_approve_and_auto_deny_answer_without_anyone_clicking() {
    let rx = Receiver::start(vec![]).await;
    let (mock, c) = start(
        MockAuthy::builder()
            .callback(&rx.url, CallbackMethod::Post)
            .default_onetouch(OneTouchBehaviour::AutoApprove { after_ms: 10 }),
    )
    .await;
    let id = c.register("a@x.io", "5551234567").await;
    let uuid = c.push(id, "").await;
    let decided = mock
        .wait_for(WAIT, |m| {
            m.deliveries().into_iter().find(|d| d.uuid == uuid)
        })
        .await
        .expect("auto-approve delivered a callback");
    assert_eq!(decided.status, ApprovalStatus::Approved);

    mock.set_onetouch(id, OneTouchBehaviour::AutoDeny { after_ms: 0 })
        .unwrap();
    let uuid = c.push(id, "").await;
    let status = mock
        .wait_for(WAIT, |m| {
            m.approval_requests()
                .into_iter()
                .find(|a| a.uuid == uuid && a.status != ApprovalStatus::Pending)
                .map(|a| a.status)
        })
        .await;
    assert_eq!(status, Some(ApprovalStatus::Denied));
    assert_eq!(
        mock.set_onetouch(1, OneTouchBehaviour::Manual).unwrap_err(),
        ControlError::UnknownUser
    );
}

#[tokio::test]
async fn status_faults_answer_with_authy_error_bodies_then_run_out() {
    let (mock, c) = start(seeded()).await;
    mock.inject_fault(
        Fault::new(
            mock_authy::Endpoint::AppDetails,
            FaultKind::Status {
                status: 429,
                error_code: "60003".into(),
                message: "DoS protection".into(),
            },
        )
        .times(2),
    );
    for _ in 0..2 {
        let (s, body) = c.get("/protected/json/app/details").await;
        assert_eq!(
            (s, body["error_code"].as_str(), body["success"].as_bool()),
            (429, Some("60003"), Some(false))
        );
    }
    let (s, _) = c.get("/protected/json/app/details").await;
    assert_eq!(s, 200);
    let faults: Vec<Option<String>> = mock.journal().into_iter().map(|e| e.fault).collect();
    assert!(faults[0].is_some() && faults[1].is_some() && faults[2].is_none());
}

#[tokio::test]
async fn faults_hit_before_anything_changes() {
    let (mock, c) = start(seeded()).await;
    mock.inject_fault(Fault::new(
        mock_authy::Endpoint::UsersNew,
        FaultKind::Status {
            status: 500,
            error_code: "60000".into(),
            message: "boom".into(),
        },
    ));
    let (s, _) = c
        .post_form(
            "/protected/json/users/new",
            "user[email]=a@x.io&user[cellphone]=5551234567&user[country_code]=1",
        )
        .await;
    assert_eq!(s, 500);
    assert!(mock.users().is_empty());
    mock.clear_faults();
    c.register("a@x.io", "5551234567").await;
}

#[tokio::test]
async fn malformed_truncated_dropped_and_slow_responses() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let url = format!("{}/protected/json/users/{id}/status", c.base);
    let get = || c.http.get(&url).header("X-Authy-API-Key", &c.key).send();

    mock.inject_fault(
        Fault::new(mock_authy::Endpoint::UserStatus, FaultKind::MalformedJson).times(1),
    );
    let text = get().await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");

    mock.inject_fault(
        Fault::new(mock_authy::Endpoint::UserStatus, FaultKind::TruncatedBody).times(1),
    );
    let r = get().await.unwrap();
    assert!(r.bytes().await.is_err());

    mock.inject_fault(Fault::new(mock_authy::FaultTarget::Any, FaultKind::DropConnection).times(1));
    assert!(get().await.is_err());

    mock.inject_fault(
        Fault::new(
            mock_authy::Endpoint::UserStatus,
            FaultKind::Latency { ms: 2_000 },
        )
        .times(1),
    );
    let impatient = c
        .http
        .get(&url)
        .header("X-Authy-API-Key", &c.key)
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(impatient.unwrap_err().is_timeout());

    let (s, _) = c.get(&format!("/protected/json/users/{id}/status")).await;
    assert_eq!(s, 200);
    let journal = mock.journal();
    let drop_entry = journal
        .iter()
        .find(|e| e.fault.as_deref() == Some("DropConnection"))
        .unwrap();
    assert_eq!(drop_entry.status, 0);
}

#[tokio::test]
async fn control_api_over_http() {
    let rx = Receiver::start(vec![]).await;
    let (mock, c) = start(MockAuthy::builder().seed(8).frozen_clock(1_700_000_000)).await;
    let ctl = |p: &str| format!("{}/__mock{p}", c.base);
    let http = &c.http;

    let (s, _) = decode(
        http.put(ctl("/callback"))
            .json(&json!({"url": rx.url, "method": "POST"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 204);
    let (_, cb) = decode(http.get(ctl("/callback")).send().await.unwrap()).await;
    assert_eq!(cb, json!({"url": rx.url, "method": "POST"}));
    let (s, _) = decode(
        http.put(ctl("/callback"))
            .json(&json!({"url": "ftp://x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);

    let id = c.register("a@x.io", "5551234567").await;
    let (_, users) = decode(http.get(ctl("/users")).send().await.unwrap()).await;
    assert_eq!(users[0]["id"], id);
    assert!(
        users[0].get("secret").is_none(),
        "the TOTP secret is not listed"
    );
    let (s, _) = decode(http.get(ctl("/users/12")).send().await.unwrap()).await;
    assert_eq!(s, 404);

    c.get(&format!("/protected/json/sms/{id}?force=true")).await;
    let (_, outbox) = decode(
        http.get(ctl(&format!("/users/{id}/outbox")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(outbox[0]["channel"], "sms");
    let (_, token) = decode(
        http.get(ctl(&format!("/users/{id}/app_token")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(token["token"], mock.app_token(id).unwrap());
    let (_, otp) = decode(
        http.get(ctl(&format!("/users/{id}/otpauth")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(otp["digits"], 7);

    let (s, _) = decode(
        http.put(ctl(&format!("/users/{id}/onetouch")))
            .json(&json!({"mode": "no_device"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 204);
    assert_eq!(mock.user(id).unwrap().onetouch, OneTouchBehaviour::NoDevice);
    let (s, _) = decode(
        http.put(ctl(&format!("/users/{id}/onetouch")))
            .json(&json!({"mode": "sideways"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = decode(
        http.put(ctl(&format!("/users/{id}/onetouch")))
            .json(&json!({"mode": "auto_deny", "after_ms": 0}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 204);
    decode(
        http.put(ctl(&format!("/users/{id}/onetouch")))
            .json(&json!({"mode": "manual"}))
            .send()
            .await
            .unwrap(),
    )
    .await;

    let uuid = c.push(id, "").await;
    let (_, list) = decode(http.get(ctl("/approval_requests")).send().await.unwrap()).await;
    assert_eq!(list[0]["uuid"], uuid.as_str());
    let (s, approved) = decode(
        http.post(ctl(&format!("/approval_requests/{uuid}/approve")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(approved["approval_request"]["status"], "approved");
    assert_eq!(approved["callback"]["delivered"], true);
    let (s, _) = decode(
        http.post(ctl(&format!("/approval_requests/{uuid}/deny")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 409);
    let (s, _) = decode(
        http.post(ctl("/approval_requests/nope/approve"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = decode(
        http.post(ctl(&format!("/approval_requests/{uuid}/explode")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
    let uuid2 = c.push(id, "").await;
    let (s, expired) = decode(
        http.post(ctl(&format!("/approval_requests/{uuid2}/expire")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, &expired["approval_request"]["status"]),
        (200, &json!("expired"))
    );
    let (_, callbacks) = decode(http.get(ctl("/callbacks")).send().await.unwrap()).await;
    assert_eq!(callbacks.as_array().unwrap().len(), 1);

    let (s, _) = decode(
        http.post(ctl("/faults"))
            .json(&json!({"endpoint": "sms", "kind": "status", "status": 503, "times": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = decode(
        http.post(ctl("/faults"))
            .json(&json!({"endpoint": "sms", "kind": "drop_connection", "probability": 2.0}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = decode(
        http.post(ctl("/faults"))
            .json(&json!({"endpoint": "sms", "kind": "nonsense"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    let (_, faults) = decode(http.get(ctl("/faults")).send().await.unwrap()).await;
    assert_eq!(faults.as_array().unwrap().len(), 1);
    let (s, body) = c.get(&format!("/protected/json/sms/{id}")).await;
    assert_eq!((s, body["error_code"].as_str()), (503, Some("60000")));
    decode(
        http.post(ctl("/faults"))
            .json(&json!({"endpoint": "*", "kind": "latency", "ms": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (s, _) = decode(http.delete(ctl("/faults")).send().await.unwrap()).await;
    assert_eq!(s, 204);
    assert!(
        mock.journal()
            .iter()
            .all(|e| !e.path.starts_with("/__mock")),
        "control calls are not journaled"
    );

    let (_, journal) = decode(http.get(ctl("/journal")).send().await.unwrap()).await;
    assert!(
        journal
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["endpoint"] == "sms" && e["status"] == 503)
    );

    let (_, now) = decode(http.get(ctl("/clock")).send().await.unwrap()).await;
    assert_eq!(now["now"], 1_700_000_000);
    let (_, now) = decode(
        http.post(ctl("/clock/advance"))
            .json(&json!({"seconds": 90}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(now["now"], 1_700_000_090);
    let (s, _) = decode(
        http.post(ctl("/clock/advance"))
            .json(&json!({"seconds": -5}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);

    let (s, _) = decode(http.post(ctl("/reset")).send().await.unwrap()).await;
    assert_eq!(s, 204);
    assert!(
        mock.users().is_empty() && mock.journal().is_empty() && mock.approval_requests().is_empty()
    );
    assert_eq!(mock.now(), 1_700_000_000);
}

#[tokio::test]
async fn phone_page_state_and_live_events() {
    let (mock, c) = start(seeded()).await;
    let page = c
        .http
        .get(format!("{}/__mock/phone", c.base))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Virtual phone"));
    assert!(
        !html.contains("<style") && !html.contains("<script>"),
        "nothing inline"
    );
    for (asset, kind) in [("phone.css", "text/css"), ("phone.js", "text/javascript")] {
        assert!(html.contains(&format!("/__mock/{asset}")));
        let r = c
            .http
            .get(format!("{}/__mock/{asset}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(kind), "{asset}: {ct}");
    }

    let mut events = c
        .http
        .get(format!("{}/__mock/phone/events", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let id = c.register("a@x.io", "5551234567").await;
    let uuid = c.push(id, "").await;
    let chunk = tokio::time::timeout(WAIT, events.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&chunk).contains("event: change"));

    let (_, state) = c.get("/__mock/phone/state").await;
    let user = &state["users"][0];
    assert_eq!(user["id"], id);
    assert_eq!(user["pending"][0]["uuid"], uuid.as_str());
    assert_eq!(user["pending"][0]["details"]["Email Address"], "a@x.io");
    assert_eq!(user["app_token"], mock.app_token(id).unwrap());

    let (s, _) = c
        .post_form(
            "/protected/json/phones/verification/start",
            "country_code=1&phone_number=7754615609&via=call",
        )
        .await;
    assert_eq!(s, 200);
    let (_, state) = c.get("/__mock/phone/state").await;
    let shown = &state["verifications"][0];
    let sent = &mock.phone_verifications()[0];
    assert_eq!(
        (
            &shown["phone"],
            &shown["via"],
            &shown["code"],
            &shown["status"]
        ),
        (
            &json!("+1 7754615609"),
            &json!("call"),
            &json!(sent.code),
            &json!("pending")
        )
    );
}

#[tokio::test]
async fn control_api_and_phone_page_refuse_a_foreign_host() {
    let mock = MockAuthy::start().await.unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str, host: &str| {
        http.get(format!("{}/__mock{path}", mock.base_url()))
            .header("host", host)
            .send()
    };
    // What a DNS-rebinding page sends: its own name, resolved to 127.0.0.1.
    for path in ["/users", "/phone", "/phone/state", "/journal"] {
        let r = get(path, "evil.example:3031").await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let approve = http
        .post(format!(
            "{}/__mock/approval_requests/x/approve",
            mock.base_url()
        ))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), 403);
    assert_eq!(get("/users", "localhost:1").await.unwrap().status(), 200);
    assert_eq!(get("/phone", "127.0.0.1").await.unwrap().status(), 200);

    // The Authy API itself is not behind the check: clients use whatever name they like.
    let app = http
        .get(format!("{}/protected/json/app/details", mock.base_url()))
        .header("host", "api.authy.example")
        .header("x-authy-api-key", mock.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(app.status(), 200);

    let allowed = MockAuthy::builder()
        .allow_control_host("mock.ci")
        .start()
        .await
        .unwrap();
    let r = http
        .get(format!("{}/__mock/users", allowed.base_url()))
        .header("host", "mock.ci:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_control_token_when_configured_is_required() {
    let mock = MockAuthy::builder()
        .control_token("s3cret")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}/__mock{p}", mock.base_url());
    assert_eq!(http.get(url("/users")).send().await.unwrap().status(), 401);
    assert_eq!(
        http.get(url("/users"))
            .header("x-mock-control-token", "wrong")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        http.get(url("/users"))
            .header("x-mock-control-token", "s3cret")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The phone page is opened with the token in its URL, and passes it on.
    let page = http
        .get(url("/phone?control_token=s3cret"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // Its script, which holds no secret, loads without the token and passes the token on.
    let script = http.get(url("/phone.js")).send().await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("control_token"));
    assert_eq!(
        http.get(url("/phone/state?control_token=s3cret"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// The typed control client drives a mock over HTTP with no JSON written by hand.
#[tokio::test]
async fn the_typed_client_drives_the_control_api() {
    let (mock, c) = start(MockAuthy::builder().seed(9).control_token("s3cret")).await;
    let id = c.register("a@x.io", "5551234567").await;

    let anonymous = mock_authy::ControlClient::new(mock.base_url()).unwrap();
    assert!(matches!(
        anonymous.users().await,
        Err(mock_authy::ClientError::Refused { status: 401, .. })
    ));
    let control = anonymous.with_control_token("s3cret");
    assert_eq!(control.users().await.unwrap()[0].id, id);
    assert_eq!(
        control.app_token(id).await.unwrap().token,
        mock.app_token(id).unwrap()
    );
    assert!(matches!(
        control.app_token(id + 1000).await,
        Err(mock_authy::ClientError::Refused { status: 404, .. })
    ));

    control
        .set_onetouch(id, OneTouchBehaviour::Manual)
        .await
        .unwrap();
    let uuid = c.push(id, "").await;
    let approved = control.approve(&uuid).await.unwrap();
    assert_eq!(approved.approval_request.status, ApprovalStatus::Approved);
    assert!(approved.callback.is_none(), "no callback URL configured");
    assert!(matches!(
        control.deny(&uuid).await,
        Err(mock_authy::ClientError::Refused { status: 409, .. })
    ));

    control
        .add_fault(&Fault::new(mock_authy::Endpoint::Sms, FaultKind::MalformedJson).times(1))
        .await
        .unwrap();
    assert_eq!(control.faults().await.unwrap().len(), 1);
    control.clear_faults().await.unwrap();
    assert!(control.faults().await.unwrap().is_empty());
    assert_eq!(
        control
            .calls(mock_authy::Endpoint::ApprovalRequestCreate)
            .await
            .unwrap(),
        1
    );
    let before = mock.now();
    let now = control
        .advance_clock(Duration::from_secs(90))
        .await
        .unwrap();
    assert_eq!(now, before + 90);
    assert!(matches!(
        mock_authy::ControlClient::new("not a url"),
        Err(mock_authy::ClientError::BaseUrl)
    ));
}

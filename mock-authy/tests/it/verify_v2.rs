//! Verify v2 over HTTP: codes by SMS and call with their checks and limits, entities with push
//! and TOTP factors, challenges answered on the phone with signed webhooks, and Twilio's errors.

#![allow(clippy::unwrap_used)]

use axum::routing::post;
use mock_authy::{ChallengeStatus, DEFAULT_SERVICE_SID, MockAuthy, VerifyCodeStatus};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T0: i64 = 1_700_000_000;

struct Verify {
    mock: MockAuthy,
    http: reqwest::Client,
}

impl Verify {
    async fn start() -> Verify {
        let mock = MockAuthy::builder()
            .seed(5)
            .frozen_clock(T0)
            .start()
            .await
            .unwrap();
        Verify {
            mock,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, tail: &str) -> String {
        format!(
            "{}/v2/Services/{DEFAULT_SERVICE_SID}{tail}",
            self.mock.base_url()
        )
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let r = req
            .basic_auth(
                self.mock.twilio_account_sid(),
                Some(self.mock.twilio_auth_token()),
            )
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, tail: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.send(self.http.post(self.url(tail)).form(form)).await
    }

    async fn get(&self, tail: &str) -> (u16, Value) {
        self.send(self.http.get(self.url(tail))).await
    }
}

#[tokio::test]
async fn wrong_credentials_get_twilios_401() {
    let v = Verify::start().await;
    let r = v
        .http
        .get(v.url(""))
        .basic_auth(v.mock.twilio_account_sid(), Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], 20003);
    let (s, body) = v.get("").await;
    assert_eq!(s, 200);
    assert_eq!(body["sid"], DEFAULT_SERVICE_SID);
}

#[tokio::test]
async fn an_sms_code_checks_once_and_five_wrong_checks_end_it() {
    let v = Verify::start().await;
    let (s, body) = v
        .post(
            "/Verifications",
            &[("To", "+15551230001"), ("Channel", "sms")],
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["status"], "pending");
    assert!(body["sid"].as_str().unwrap().starts_with("VE"));
    let code = v.mock.verify_codes()[0].code.clone();
    assert_eq!(code.len(), 6);

    let (s, body) = v
        .post(
            "/VerificationCheck",
            &[("To", "+15551230001"), ("Code", "000000x")],
        )
        .await;
    assert_eq!((s, body["status"].as_str()), (200, Some("pending")));
    assert_eq!(body["valid"], false);
    let (s, body) = v
        .post(
            "/VerificationCheck",
            &[("To", "+15551230001"), ("Code", &code)],
        )
        .await;
    assert_eq!(
        (s, body["status"].as_str()),
        (200, Some("approved")),
        "{body}"
    );
    let (s, _) = v
        .post(
            "/VerificationCheck",
            &[("To", "+15551230001"), ("Code", &code)],
        )
        .await;
    assert_eq!(s, 404, "an approved verification is gone");

    v.post(
        "/Verifications",
        &[("To", "+15551230002"), ("Channel", "call")],
    )
    .await;
    for _ in 0..5 {
        v.post(
            "/VerificationCheck",
            &[("To", "+15551230002"), ("Code", "1234")],
        )
        .await;
    }
    assert_eq!(
        v.mock.verify_codes()[1].status,
        VerifyCodeStatus::MaxAttemptsReached
    );
    let right = v.mock.verify_codes()[1].code.clone();
    assert_eq!(
        v.post(
            "/VerificationCheck",
            &[("To", "+15551230002"), ("Code", &right)]
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn bad_input_and_too_many_sends_are_refused() {
    let v = Verify::start().await;
    v.mock.set_rate_limits(mock_authy::RateLimits::authy());
    for form in [
        vec![("To", "5551230001"), ("Channel", "sms")],
        vec![("To", "+15551230001"), ("Channel", "fax")],
        vec![("To", "not-an-email"), ("Channel", "email")],
    ] {
        let (s, body) = v.post("/Verifications", &form).await;
        assert_eq!((s, &body["code"]), (400, &Value::from(60200)), "{form:?}");
    }
    for _ in 0..5 {
        assert_eq!(
            v.post(
                "/Verifications",
                &[("To", "+15551230003"), ("Channel", "sms")]
            )
            .await
            .0,
            201
        );
    }
    let (s, body) = v
        .post(
            "/Verifications",
            &[("To", "+15551230003"), ("Channel", "sms")],
        )
        .await;
    assert_eq!((s, &body["code"]), (429, &Value::from(60203)));
    let (s, body) = v.post("/VerificationCheck", &[("Code", "123456")]).await;
    assert_eq!((s, &body["code"]), (400, &Value::from(60200)));
    assert!(
        v.mock.verify_codes().len() == 5,
        "refused sends send nothing"
    );
    v.mock.advance_clock(Duration::from_secs(600));
    assert!(
        v.mock
            .verify_codes()
            .iter()
            .all(|c| c.status != VerifyCodeStatus::Pending)
    );
}

#[tokio::test]
async fn a_totp_factor_is_bound_verified_and_challenged_with_single_use_codes() {
    let v = Verify::start().await;
    let (s, entity) = v.post("/Entities", &[("Identity", "user-0001")]).await;
    assert_eq!(s, 201, "{entity}");
    assert!(entity["sid"].as_str().unwrap().starts_with("YE"));
    let (s, factor) = v
        .post(
            "/Entities/user-0001/Factors",
            &[("FriendlyName", "ada@example.com"), ("FactorType", "totp")],
        )
        .await;
    assert_eq!(s, 201, "{factor}");
    assert_eq!(factor["status"], "unverified");
    let uri = factor["binding"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(factor["binding"]["secret"].as_str().unwrap().len() >= 16);
    let sid = factor["sid"].as_str().unwrap();
    let code = |_at: i64| v.mock.verify_totp_code(sid).unwrap();

    let (s, _) = v
        .post(
            "/Entities/user-0001/Challenges",
            &[("FactorSid", sid), ("AuthPayload", &code(T0))],
        )
        .await;
    assert_eq!(s, 400, "an unverified factor cannot be challenged");
    let (_, f) = v
        .post(
            &format!("/Entities/user-0001/Factors/{sid}"),
            &[("AuthPayload", "000000")],
        )
        .await;
    assert_eq!(f["status"], "unverified");
    let (_, f) = v
        .post(
            &format!("/Entities/user-0001/Factors/{sid}"),
            &[("AuthPayload", &code(T0))],
        )
        .await;
    assert_eq!(f["status"], "verified");
    assert!(
        f.get("binding").is_none(),
        "the binding is shown at creation only"
    );

    v.mock.advance_clock(Duration::from_secs(30));
    let now = T0 + 30;
    let (s, c) = v
        .post(
            "/Entities/user-0001/Challenges",
            &[("FactorSid", sid), ("AuthPayload", &code(now))],
        )
        .await;
    assert_eq!((s, c["status"].as_str()), (201, Some("approved")), "{c}");
    let (_, again) = v
        .post(
            "/Entities/user-0001/Challenges",
            &[("FactorSid", sid), ("AuthPayload", &code(now))],
        )
        .await;
    assert_eq!(again["status"], "pending", "a code counts once");
}

#[tokio::test]
async fn a_push_challenge_answered_on_the_phone_sends_a_signed_webhook() {
    let v = Verify::start().await;
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let seen = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: http::HeaderMap, body: String| {
            let seen = Arc::clone(&seen);
            async move {
                let sig = headers["x-twilio-signature"].to_str().unwrap().to_owned();
                seen.lock().unwrap().push((sig, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (s, w) = v
        .post(
            "/Webhooks",
            &[
                ("FriendlyName", "app"),
                ("EventTypes", "challenge.approved"),
                ("EventTypes", "challenge.denied"),
                ("WebhookUrl", &hook),
            ],
        )
        .await;
    assert_eq!(s, 201, "{w}");
    v.post("/Entities", &[("Identity", "user-0002")]).await;
    let (_, factors) = v.get("/Entities/user-0002/Factors").await;
    let push = &factors["factors"][0];
    assert_eq!(
        (push["factor_type"].as_str(), push["status"].as_str()),
        (Some("push"), Some("verified"))
    );
    let (s, c) = v
        .post(
            "/Entities/user-0002/Challenges",
            &[
                ("FactorSid", push["sid"].as_str().unwrap()),
                ("Details.Message", "Log in request"),
                ("Details.Fields", r#"{"label":"Code","value":"123"}"#),
                ("HiddenDetails", r#"{"challenge":"abc"}"#),
            ],
        )
        .await;
    assert_eq!((s, c["status"].as_str()), (201, Some("pending")), "{c}");
    assert_eq!(c["details"]["fields"][0]["value"], "123");
    let sid = c["sid"].as_str().unwrap();
    let deliveries = v.mock.answer_challenge(sid, true).await.unwrap();
    assert!(deliveries[0].delivered);
    let (_, c) = v
        .get(&format!("/Entities/user-0002/Challenges/{sid}"))
        .await;
    assert_eq!(c["status"], "approved");
    assert!(
        v.mock.answer_challenge(sid, false).await.is_err(),
        "answered once"
    );

    let (sig, body) = got.lock().unwrap()[0].clone();
    let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(
        mock_authy::signature::twilio(v.mock.twilio_auth_token(), &hook, &params),
        sig
    );
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("type"), Some("challenge.approved"));
    assert_eq!(get("challenge_sid"), Some(sid));
    assert_eq!(get("entity_identity"), Some("user-0002"));
}

#[tokio::test]
async fn challenges_expire_and_bad_details_are_refused() {
    let v = Verify::start().await;
    v.post("/Entities", &[("Identity", "user-0003")]).await;
    let (_, factors) = v.get("/Entities/user-0003/Factors").await;
    let factor = factors["factors"][0]["sid"].as_str().unwrap().to_owned();
    for bad in [
        vec![("Details.Message", "")],
        vec![("Details.Message", "hi"), ("Details.Fields", "not json")],
        vec![("Details.Message", "hi"), ("HiddenDetails", "[1]")],
        vec![
            ("Details.Message", "hi"),
            ("ExpirationDate", "2000-01-01T00:00:00Z"),
        ],
    ] {
        let mut form = vec![("FactorSid", factor.as_str())];
        form.extend(bad.iter().copied());
        assert_eq!(
            v.post("/Entities/user-0003/Challenges", &form).await.0,
            400,
            "{bad:?}"
        );
    }
    let (_, c) = v
        .post(
            "/Entities/user-0003/Challenges",
            &[("FactorSid", &factor), ("Details.Message", "hi")],
        )
        .await;
    v.mock.advance_clock(Duration::from_secs(300));
    assert_eq!(
        v.mock.verify_challenges()[0].status,
        ChallengeStatus::Expired
    );
    let sid = c["sid"].as_str().unwrap();
    let (s, body) = v
        .post(
            &format!("/Entities/user-0003/Challenges/{sid}"),
            &[("AuthPayload", "x")],
        )
        .await;
    assert_eq!((s, &body["code"]), (403, &Value::from(60323)));
}

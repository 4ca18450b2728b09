//! Phone Verification v1, `phones/info`, email tokens and rate limits, over HTTP.

#![allow(clippy::unwrap_used)]

use crate::support::{Client, seeded, start};
use mock_authy::{
    Channel, ControlClient, LineType, MockAuthy, PhoneInfo, RateLimit, RateLimits,
    VerificationStatus,
};
use serde_json::json;
use std::time::Duration;

const START: &str = "/protected/json/phones/verification/start";

async fn frozen() -> MockAuthy {
    MockAuthy::builder()
        .seed(7)
        .frozen_clock(1_700_000_000)
        .start()
        .await
        .unwrap()
}

fn check_path(code: &str) -> String {
    format!(
        "/protected/json/phones/verification/check?country_code=1&phone_number=775-461-5609&verification_code={code}"
    )
}

const STATUS: &str =
    "/protected/json/phones/verification/status?country_code=1&phone_number=7754615609";

#[tokio::test]
async fn a_phone_verification_is_sent_checked_once_and_reported() {
    let mock = frozen().await;
    let c = Client::new(&mock);
    let (s, body) = c
        .post_form(
            START,
            "via=sms&country_code=1&phone_number=775-461-5609&locale=en",
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let uuid = body["uuid"].as_str().unwrap().to_owned();
    assert_eq!(
        body,
        json!({"carrier": "Mock Mobile", "is_cellphone": true,
               "message": "Text message sent to +1 775-461-5609.", "seconds_to_expire": 600,
               "uuid": uuid, "success": true})
    );
    let sent = mock.phone_verifications();
    assert_eq!(sent.len(), 1);
    let v = &sent[0];
    assert_eq!(
        (v.via, v.code.len(), v.locale.as_deref()),
        (Channel::Sms, 4, Some("en"))
    );
    assert_eq!(
        v.message,
        format!("Your mock-authy verification code is: {}", v.code)
    );
    assert_eq!(
        (v.country_code.as_str(), v.phone_number.as_str()),
        ("1", "7754615609")
    );

    let wrong = if v.code == "0000" { "1111" } else { "0000" };
    let (s, body) = c.get(&check_path(wrong)).await;
    assert_eq!(
        (s, body["error_code"].clone()),
        (401, json!("60022")),
        "{body}"
    );
    assert_eq!(body["message"], "Verification code is incorrect");

    let (s, body) = c.get(STATUS).await;
    assert_eq!(s, 200);
    assert_eq!(
        body,
        json!({"message": "Phone Verification status.", "status": "pending",
               "seconds_to_expire": 600, "success": true})
    );

    let (s, body) = c.get(&check_path(&v.code)).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body,
        json!({"message": "Verification code is correct.", "success": true})
    );
    let (s, body) = c.get(&check_path(&v.code)).await;
    assert_eq!(
        (s, body["error_code"].clone()),
        (404, json!("60023")),
        "used once"
    );

    let (s, body) = c
        .get(&format!(
            "/protected/json/phones/verification/status?uuid={uuid}"
        ))
        .await;
    assert_eq!((s, body["status"].clone()), (200, json!("verified")));
    assert_eq!(body["seconds_to_expire"], 0);
}

#[tokio::test]
async fn calls_code_length_custom_code_and_custom_message() {
    let (mock, c) = start(seeded()).await;
    let (s, body) = c
        .post_json(
            START,
            &json!({"via": "call", "country_code": "+44", "phone_number": "07700 900123", "code_length": 6}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["message"], "Call to +44 7700900123 initiated.");
    let (s, _) = c
        .post_form(
            START,
            "country_code=33&phone_number=0612345678&custom_code=24680&custom_message=Code+{{code}}+for+the+demo",
        )
        .await;
    assert_eq!(s, 200);
    let sent = mock.phone_verifications();
    assert_eq!((sent[0].via, sent[0].code.len()), (Channel::Call, 6));
    assert!(sent[0].code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(sent[1].code, "24680");
    assert_eq!(sent[1].message, "Code 24680 for the demo");
}

#[tokio::test]
async fn bad_verification_requests_get_clear_errors_and_send_nothing() {
    let (mock, c) = start(seeded()).await;
    let good = "country_code=1&phone_number=7754615609";
    for (form, status, code) in [
        ("country_code=1&phone_number=123", 400, "60033"),
        ("country_code=1&phone_number=0754615609", 400, "60033"),
        ("country_code=abc&phone_number=7754615609", 400, "60033"),
        ("phone_number=7754615609", 400, "60033"),
        (&format!("{good}&via=fax") as &str, 400, "60004"),
        (&format!("{good}&code_length=3"), 400, "60004"),
        (&format!("{good}&code_length=11"), 400, "60004"),
        (&format!("{good}&custom_code=12ab"), 400, "60004"),
        (&format!("{good}&locale=english"), 400, "60004"),
        (
            &format!("{good}&custom_message={}", "x".repeat(201)),
            400,
            "60004",
        ),
    ] {
        let (s, body) = c.post_form(START, form).await;
        assert_eq!(
            (s, body["error_code"].as_str()),
            (status, Some(code)),
            "{form}: {body}"
        );
    }
    assert!(mock.phone_verifications().is_empty());

    let (s, body) = c.get(&check_path("12")).await;
    assert_eq!((s, body["error_code"].clone()), (400, json!("60004")));
    let (s, body) = c.get(&check_path("1234")).await;
    assert_eq!(
        (s, body["error_code"].clone()),
        (404, json!("60023")),
        "nothing started"
    );
    let (s, body) = c.get(STATUS).await;
    assert_eq!((s, body["error_code"].clone()), (404, json!("60023")));
}

#[tokio::test]
async fn a_verification_expires_after_ten_minutes_and_a_new_one_replaces_the_old() {
    let mock = frozen().await;
    let c = Client::new(&mock);
    let start = || c.post_form(START, "country_code=1&phone_number=7754615609");
    assert_eq!(start().await.0, 200);
    let first = mock.phone_verifications()[0].code.clone();
    mock.advance_clock(Duration::from_secs(599));
    let (_, body) = c.get(STATUS).await;
    assert_eq!(
        (body["status"].clone(), body["seconds_to_expire"].clone()),
        (json!("pending"), json!(1))
    );
    mock.advance_clock(Duration::from_secs(1));
    let (_, body) = c.get(STATUS).await;
    assert_eq!(body["status"], "expired");
    assert_eq!(c.get(&check_path(&first)).await.0, 404);

    assert_eq!(start().await.0, 200);
    assert_eq!(start().await.0, 200);
    let sent = mock.phone_verifications();
    let (older, newer) = (&sent[1], &sent[2]);
    assert_eq!(older.status, VerificationStatus::Expired, "replaced");
    if older.code != newer.code {
        assert_eq!(c.get(&check_path(&older.code)).await.0, 401);
    }
    assert_eq!(c.get(&check_path(&newer.code)).await.0, 200);
}

#[tokio::test]
async fn five_wrong_codes_end_a_verification() {
    let (mock, c) = start(seeded()).await;
    let (s, _) = c
        .post_form(
            START,
            "country_code=1&phone_number=7754615609&custom_code=5555",
        )
        .await;
    assert_eq!(s, 200);
    for _ in 0..5 {
        assert_eq!(c.get(&check_path("1234")).await.0, 401);
    }
    let (s, body) = c.get(&check_path("5555")).await;
    assert_eq!((s, body["error_code"].clone()), (404, json!("60023")));
    let v = &mock.phone_verifications()[0];
    assert_eq!(
        (v.failed_attempts, v.status),
        (5, VerificationStatus::Expired)
    );
}

#[tokio::test]
async fn phone_info_says_what_the_control_api_set() {
    let mock = frozen().await;
    let c = Client::new(&mock);
    let path = "/protected/json/phones/info?country_code=1&phone_number=7754615609";
    let (s, body) = c.get(path).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body,
        json!({"message": "Phone number information as of 2023-11-14 22:13:20 UTC",
               "type": "cellphone", "provider": "Mock Mobile", "ported": false, "success": true})
    );
    let landline = PhoneInfo {
        kind: LineType::Landline,
        provider: "Pinger".into(),
        ported: true,
    };
    let control = ControlClient::new(mock.base_url()).unwrap();
    control
        .set_phone_info("1", "775-461-5609", &landline)
        .await
        .unwrap();
    let (_, body) = c.get(path).await;
    assert_eq!(
        (
            body["type"].clone(),
            body["provider"].clone(),
            body["ported"].clone()
        ),
        (json!("landline"), json!("Pinger"), json!(true))
    );
    let (_, body) = c
        .post_form(START, "country_code=1&phone_number=7754615609")
        .await;
    assert_eq!(
        (body["carrier"].clone(), body["is_cellphone"].clone()),
        (json!("Pinger"), json!(false))
    );
    let listed = control.phone_verifications().await.unwrap();
    assert_eq!(listed.len(), 1);

    let (s, body) = c
        .get("/protected/json/phones/info?country_code=1&phone_number=12")
        .await;
    assert_eq!((s, body["error_code"].clone()), (400, json!("60033")));
    let refused = control.set_phone_info("1", "12", &landline).await;
    assert!(matches!(
        refused,
        Err(mock_authy::ClientError::Refused { status: 400, .. })
    ));
}

#[tokio::test]
async fn email_tokens_go_to_the_outbox_and_verify() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("ada@example.com", "5551234567").await;
    let (s, body) = c
        .post_form(&format!("/protected/json/email/{id}"), "")
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        (
            body["success"].clone(),
            body["message"].clone(),
            body["email"].clone()
        ),
        (
            json!(true),
            json!("Email token was sent"),
            json!("ada@example.com")
        )
    );
    let email_id = body["email_id"].as_str().unwrap();
    assert!(
        email_id.starts_with("EM") && email_id.len() == 34,
        "{email_id}"
    );
    let outbox = mock.outbox(id).unwrap();
    assert_eq!(outbox[0].channel, Channel::Email);
    let (s, _) = c
        .get(&format!(
            "/protected/json/verify/{}/{id}?force=true",
            outbox[0].token
        ))
        .await;
    assert_eq!(s, 200);
    let (s, body) = c.post_form("/protected/json/email/999", "").await;
    assert_eq!((s, body["error_code"].clone()), (404, json!("60026")));
}

async fn limited() -> MockAuthy {
    MockAuthy::builder()
        .seed(3)
        .frozen_clock(1_700_000_000)
        .rate_limits(RateLimits::authy())
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn phone_verifications_are_rate_limited_per_number() {
    let mock = limited().await;
    let c = Client::new(&mock);
    let start = |n: &'static str| c.post_form(START, n);
    for _ in 0..5 {
        assert_eq!(start("country_code=1&phone_number=7754615609").await.0, 200);
    }
    let (s, body) = start("country_code=1&phone_number=775-461-5609").await;
    assert_eq!(
        (s, body["error_code"].clone()),
        (429, json!("60003")),
        "{body}"
    );
    assert_eq!(
        mock.phone_verifications().len(),
        5,
        "the refused one sent nothing"
    );
    assert_eq!(
        start("country_code=1&phone_number=7754615608").await.0,
        200,
        "another number"
    );
    mock.advance_clock(Duration::from_secs(600));
    assert_eq!(
        start("country_code=1&phone_number=7754615609").await.0,
        200,
        "the window moved"
    );

    mock.set_rate_limits(RateLimits {
        phone_verifications: Some(RateLimit {
            max: 1,
            per_seconds: 60,
        }),
        ..RateLimits::off()
    });
    assert_eq!(start("country_code=1&phone_number=7754615607").await.0, 200);
    assert_eq!(start("country_code=1&phone_number=7754615607").await.0, 429);
}

#[tokio::test]
async fn sms_and_calls_are_rate_limited_per_number_but_ignored_ones_are_free() {
    let mock = limited().await;
    let c = Client::new(&mock);
    let id = c.register("ada@example.com", "5551234567").await;
    for _ in 0..3 {
        let (_, body) = c.get(&format!("/protected/json/sms/{id}")).await;
        assert_eq!(body["ignored"], true);
    }
    for _ in 0..10 {
        assert_eq!(
            c.get(&format!("/protected/json/sms/{id}?force=true"))
                .await
                .0,
            200
        );
    }
    let (s, body) = c.get(&format!("/protected/json/sms/{id}?force=true")).await;
    assert_eq!((s, body["error_code"].clone()), (429, json!("60003")));
    assert_eq!(mock.outbox(id).unwrap().len(), 10);
    assert_eq!(
        c.get(&format!("/protected/json/call/{id}?force=true"))
            .await
            .0,
        200,
        "calls count apart"
    );

    let control = ControlClient::new(mock.base_url()).unwrap();
    assert_eq!(control.rate_limits().await.unwrap(), RateLimits::authy());
    control.set_rate_limits(&RateLimits::off()).await.unwrap();
    assert_eq!(
        c.get(&format!("/protected/json/sms/{id}?force=true"))
            .await
            .0,
        200
    );
    let zero = RateLimits {
        sms: Some(RateLimit {
            max: 0,
            per_seconds: 60,
        }),
        ..RateLimits::off()
    };
    assert!(control.set_rate_limits(&zero).await.is_err());
}

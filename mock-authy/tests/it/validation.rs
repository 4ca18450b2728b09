//! Authy's own validation: each rule with a good and a bad value, and a bad value changes
//! nothing.

#![allow(clippy::unwrap_used)]

use crate::support::{Client, mock, seeded, start};
use serde_json::{Value, json};

async fn register(c: &Client, email: &str, cellphone: &str, country_code: &str) -> (u16, Value) {
    c.post_json(
        "/protected/json/users/new",
        &json!({"user": {"email": email, "cellphone": cellphone, "country_code": country_code}}),
    )
    .await
}

#[tokio::test]
async fn phone_numbers_are_checked_per_country() {
    let (mock, c) = start(seeded()).await;
    for (cc, good, stored) in [
        ("1", "(775) 461-5609", "7754615609"),
        ("44", "07700 900123", "7700900123"),
        ("33", "06 12 34 56 78", "612345678"),
        ("49", "030 123456", "30123456"),
        ("91", "98765 43210", "9876543210"),
        ("+351", "912 345 678", "912345678"),
        ("998", "90 123 45 67", "901234567"),
    ] {
        let (s, body) = register(&c, "a@x.io", good, cc).await;
        assert_eq!(s, 200, "{cc} {good}: {body}");
        let id = body["user"]["id"].as_u64().unwrap();
        assert_eq!(mock.user(id).unwrap().cellphone, stored);
    }
    let users = mock.users().len();
    for (cc, bad) in [
        ("1", "461-5609"),
        ("1", "1775 461 5609"),
        ("1", "075-461-5609"),
        ("44", "7700 900 1234 5"),
        ("33", "6123456"),
        ("91", "987654321"),
        ("351", "91234567"),
        ("998", "1234567890123"),
        ("1", "775-461-56O9"),
    ] {
        let (s, body) = register(&c, "a@x.io", bad, cc).await;
        assert_eq!(
            (s, body["error_code"].as_str()),
            (400, Some("60027")),
            "{cc} {bad}"
        );
        assert_eq!(body["errors"]["cellphone"], "is invalid", "{cc} {bad}");
    }
    for cc in ["", "abc", "1234", "+"] {
        let (s, body) = register(&c, "a@x.io", "7754615609", cc).await;
        assert_eq!(
            (s, body["country_code"].as_str()),
            (400, Some("is invalid")),
            "{cc:?}"
        );
    }
    assert_eq!(mock.users().len(), users, "no bad value registered anybody");
}

#[tokio::test]
async fn email_addresses_are_checked() {
    let (mock, c) = start(seeded()).await;
    let (s, _) = register(&c, "ada.lovelace+2fa@mail.example.co.uk", "7754615609", "1").await;
    assert_eq!(s, 200);
    for bad in [
        "ada",
        "ada@",
        "ada@example",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@exa_mple.com",
    ] {
        let (s, body) = register(&c, bad, "7754615608", "1").await;
        assert_eq!(
            (s, body["email"].as_str()),
            (400, Some("is invalid")),
            "{bad}"
        );
    }
    assert_eq!(mock.users().len(), 1);
}

#[tokio::test]
async fn push_messages_details_and_logos_are_checked_not_truncated() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let path = format!("/onetouch/json/users/{id}/approval_requests");
    let logo = |res: &str, url: &str| json!([{"res": res, "url": url}]);
    let good = json!({
        "message": "m".repeat(200),
        "details": {"k".repeat(20): "v"},
        "hidden_details": {"h".repeat(40): "kept, not shown"},
        "logos": logo("high", "https://example.com/logo.png"),
    });
    let (s, body) = c.post_json(&path, &good).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(mock.approval_requests()[0].message.len(), 200);

    let with = |key: &str, value: Value| {
        let mut b = good.clone();
        b[key] = value;
        b
    };
    for (what, body) in [
        (
            "a 201-character message",
            with("message", json!("m".repeat(201))),
        ),
        ("an empty message", with("message", json!(" "))),
        (
            "a 21-character detail key",
            with("details", json!({"k".repeat(21): "v"})),
        ),
        ("details that are a list", with("details", json!(["v"]))),
        (
            "a logo resolution",
            with("logos", logo("huge", "https://example.com/logo.png")),
        ),
        ("a logo URL", with("logos", logo("low", "not a url"))),
        (
            "a javascript: logo",
            with("logos", logo("low", "javascript:alert(1)")),
        ),
        (
            "a logo with more keys",
            with(
                "logos",
                json!([{"res": "low", "url": "https://e.com/l.png", "alt": "x"}]),
            ),
        ),
    ] {
        let (s, answer) = c.post_json(&path, &body).await;
        assert_eq!(
            (s, answer["error_code"].as_str()),
            (400, Some("60004")),
            "{what}"
        );
    }
    assert_eq!(
        mock.approval_requests().len(),
        1,
        "nothing refused was created"
    );
}

/// The key counts in the header, the query string or a form body: where Authy reads it.
#[tokio::test]
async fn the_api_key_is_read_from_the_header_query_or_form_only() {
    let mock = mock().await;
    let http = reqwest::Client::new();
    let url = format!("{}/protected/json/app/details", mock.base_url());
    let key = mock.api_key();
    let status = |r: reqwest::Response| r.status().as_u16();

    let query = http
        .get(format!("{url}?api_key={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(status(query), 200);
    let users = format!("{}/protected/json/users/new", mock.base_url());
    let form =
        format!("api_key={key}&user[email]=a@x.io&user[cellphone]=7754615609&user[country_code]=1");
    let by_form = http
        .post(&users)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(status(by_form), 200);

    let user = json!({"email": "b@x.io", "cellphone": "7754615608", "country_code": "1"});
    let in_json = http
        .post(&users)
        .json(&json!({"api_key": key, "user": user}))
        .send()
        .await
        .unwrap();
    assert_eq!(status(in_json), 401, "a JSON body's api_key is not a key");
    let json_with_query_key = http
        .post(format!("{users}?api_key={key}"))
        .json(&json!({"user": user}))
        .send()
        .await
        .unwrap();
    assert_eq!(status(json_with_query_key), 200);
    assert_eq!(mock.users().len(), 2);
}

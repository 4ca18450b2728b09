//! The Authy REST API, endpoint by endpoint, over real HTTP.

#![allow(clippy::unwrap_used)]

use crate::support::{Client, decode, mock_without_device, seeded, start};
use mock_authy::MockAuthy;
use serde_json::{Value, json};

#[tokio::test]
async fn api_key_by_header_query_or_form_and_401_otherwise() {
    let (mock, c) = start(seeded()).await;
    let url = format!("{}/protected/json/app/details", c.base);

    let by_header = c
        .http
        .get(&url)
        .header("X-Authy-API-Key", &c.key)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    let by_query = c
        .http
        .get(format!("{url}?api_key={}", c.key))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    let by_form = c
        .http
        .post(format!("{}/protected/json/users/new", c.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "api_key={}&user[email]=f@x.io&user[cellphone]=5550001111&user[country_code]=1",
            c.key
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(by_form.status(), 200);

    for request in [
        c.http.get(&url),
        c.http.get(&url).header("X-Authy-API-Key", "wrong"),
        c.http.get(format!("{url}?api_key=wrong")),
    ] {
        let (status, body) = decode(request.send().await.unwrap()).await;
        assert_eq!(status, 401);
        assert_eq!(
            body,
            json!({"message": "Invalid API key", "success": false, "errors": {"message": "Invalid API key"}, "error_code": "60001"})
        );
    }
    // The rejected key never shows up in the journal.
    assert!(
        mock.journal()
            .iter()
            .all(|e| e.params.get("api_key").is_none())
    );
}

#[tokio::test]
async fn duplicate_slashes_are_collapsed_like_the_ruby_gem_needs() {
    let (mock, c) = start(seeded()).await;
    let (status, body) = c
        .post_form(
            "//protected/json/users/new",
            "user[email]=r@x.io&user[cellphone]=07712345678&user[country_code]=%2B44",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(mock.journal()[0].path, "/protected/json/users/new");
    assert_eq!(mock.users()[0].country_code, "44");
}

#[tokio::test]
async fn register_by_form_json_or_query_and_same_phone_same_id() {
    let (mock, c) = start(seeded()).await;
    let (s1, b1) = c.post_form("/protected/json/users/new", "user%5Bemail%5D=a%40x.io&user%5Bcellphone%5D=555-123-4567&user%5Bcountry_code%5D=1&send_install_link_via_sms=true").await;
    assert_eq!(s1, 200);
    assert_eq!(b1["message"], "User created successfully.");
    assert_eq!(b1["success"], true);
    let id = b1["user"]["id"].as_u64().unwrap();

    let (s2, b2) = c
        .post_json(
            "/protected/json/users/new",
            &json!({"user": {"email": "b@x.io", "cellphone": "5551234567", "country_code": "1"}}),
        )
        .await;
    assert_eq!((s2, b2["user"]["id"].as_u64()), (200, Some(id)));

    // authy-php: everything in the query string, empty body.
    let (s3, b3) = c.post_form("/protected/json/users/new?user%5Bemail%5D=c%40x.io&user%5Bcellphone%5D=5559998888&user%5Bcountry_code%5D=44&user%5Bsend_install_link_via_sms%5D=1", "").await;
    assert_eq!(s3, 200);
    assert_ne!(b3["user"]["id"].as_u64(), Some(id));

    let user = mock.user(id).unwrap();
    assert_eq!(user.emails, ["a@x.io", "b@x.io"]);
    assert_eq!(user.cellphone, "5551234567");
}

#[tokio::test]
async fn invalid_user_gets_60027_with_field_errors_and_creates_nothing() {
    let (mock, c) = start(seeded()).await;
    let (status, body) = c
        .post_form(
            "/protected/json/users/new",
            "user[email]=nope&user[cellphone]=12ab&user[country_code]=1",
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "60027");
    assert_eq!(body["message"], "User was not valid");
    assert_eq!(body["cellphone"], "is invalid");
    assert_eq!(body["email"], "is invalid");
    assert_eq!(body["errors"]["cellphone"], "is invalid");
    assert_eq!(body["errors"]["message"], "User was not valid");
    assert!(body.get("country_code").is_none());

    let (status, _) = c.post_form("/protected/json/users/new", "").await;
    assert_eq!(status, 400);
    assert!(mock.users().is_empty());
}

#[tokio::test]
async fn status_reports_the_device_and_unknown_ids_are_60026() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let (status, body) = c.get(&format!("/protected/json/users/{id}/status")).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"]["authy_id"], id);
    assert_eq!(body["status"]["registered"], true);
    assert_eq!(body["status"]["confirmed"], false);
    assert_eq!(body["status"]["devices"], json!(["android"]));
    assert_eq!(body["status"]["phone_number"], "XXX-XXX-4567");
    assert_eq!(body["message"], "User status.");

    mock.set_onetouch(id, mock_authy::OneTouchBehaviour::NoDevice)
        .unwrap();
    let (_, body) = c.get(&format!("/protected/json/users/{id}/status")).await;
    assert_eq!(body["status"]["registered"], false);
    assert_eq!(body["status"]["devices"], json!([]));

    let not_found = json!({"message": "User not found.", "success": false, "errors": {"message": "User not found."}, "error_code": "60026"});
    for bad in ["1", "tony", "-5", "99999999999999999999999"] {
        let (status, body) = c.get(&format!("/protected/json/users/{bad}/status")).await;
        assert_eq!((status, &body), (404, &not_found), "{bad}");
    }
}

#[tokio::test]
async fn all_three_delete_paths_work_and_the_user_is_gone() {
    let (mock, c) = start(seeded()).await;
    for (i, path) in [
        "/protected/json/users/{}/remove",
        "/protected/json/users/delete/{}",
        "/protected/json/users/{}/delete",
    ]
    .iter()
    .enumerate()
    {
        let id = c
            .register(&format!("d{i}@x.io"), &format!("555000000{i}"))
            .await;
        let (status, body) = c.post_form(&path.replace("{}", &id.to_string()), "").await;
        assert_eq!((status, &body["success"]), (200, &json!(true)), "{path}");
        assert_eq!(body["message"], "User was added to remove.");
        let (status, body) = c.get(&format!("/protected/json/users/{id}/status")).await;
        assert_eq!((status, body["error_code"].as_str()), (404, Some("60026")));
        let (status, _) = c.post_form(&path.replace("{}", &id.to_string()), "").await;
        assert_eq!(status, 404);
    }
    assert!(mock.users().is_empty());
}

#[tokio::test]
async fn sms_and_call_are_ignored_for_app_users_unless_forced() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "3173389302").await;

    let (status, body) = c.get(&format!("/protected/json/sms/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["ignored"], true);
    assert_eq!(body["device"], "android");
    assert_eq!(body["cellphone"], "+1-XXX-XXX-XX02");
    assert_eq!(
        body["message"],
        "Ignored: SMS is not needed for smartphones. Pass force=true if you want to actually send it anyway."
    );
    let (_, body) = c.get(&format!("/protected/json/call/{id}")).await;
    assert_eq!(
        body["message"],
        "Call ignored. User is using  App Tokens and this call is not necessary. Pass force=true if you still want to call users that are using the App."
    );
    assert!(mock.outbox(id).unwrap().is_empty());

    let (status, body) = c.get(&format!("/protected/json/sms/{id}?force=true")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"success": true, "message": "SMS token was sent", "cellphone": "+1-XXX-XXX-XX02"})
    );
    let (_, body) = c
        .get(&format!("/protected/json/call/{id}?force=true"))
        .await;
    assert_eq!(body["message"], "Call started...");
    let outbox = mock.outbox(id).unwrap();
    assert_eq!(outbox.len(), 2);
    assert_eq!(outbox[0].channel, mock_authy::Channel::Sms);
    assert_eq!(outbox[1].channel, mock_authy::Channel::Call);
    assert!(
        outbox
            .iter()
            .all(|m| m.token.len() == 7 && m.token.bytes().all(|b| b.is_ascii_digit()))
    );
    assert_ne!(outbox[0].token, outbox[1].token);

    let (status, body) = c.get("/protected/json/sms/424242?force=true").await;
    assert_eq!((status, body["error_code"].as_str()), (404, Some("60026")));
}

#[tokio::test]
async fn users_without_the_app_get_sms_without_force() {
    let mock = mock_without_device().await;
    let c = Client::new(&mock);
    let id = c.register("a@x.io", "5551234567").await;
    let (status, body) = c.get(&format!("/protected/json/sms/{id}")).await;
    assert_eq!(
        (status, body["message"].as_str()),
        (200, Some("SMS token was sent"))
    );
    assert_eq!(mock.outbox(id).unwrap().len(), 1);
}

#[tokio::test]
async fn verify_follows_authys_force_and_confirmed_rules() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;

    // Without force, an unconfirmed user passes with any token (the documented lock-out guard,
    // and the node sample's bypass).
    let (status, body) = c.get(&format!("/protected/json/verify/0000000/{id}")).await;
    assert_eq!((status, body["token"].as_str()), (200, Some("is valid")));
    assert!(!mock.user(id).unwrap().confirmed);

    let (status, body) = c
        .get(&format!("/protected/json/verify/0000000/{id}?force=true"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"message": "Token is invalid", "token": "is invalid", "success": false, "errors": {"message": "Token is invalid"}, "error_code": "60020"})
    );

    let token = mock.app_token(id).unwrap();
    let r = c
        .http
        .get(format!(
            "{}/protected/json/verify/{token}/{id}?force=true",
            c.base
        ))
        .header("X-Authy-API-Key", &c.key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let raw = r.text().await.unwrap();
    // authy-python checks this exact substring.
    assert!(raw.contains(r#""token":"is valid""#), "{raw}");
    let body: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(body["success"], "true");
    assert_eq!(body["message"], "Token is valid.");
    assert!(mock.user(id).unwrap().confirmed);

    let (status, body) = c
        .get(&format!("/protected/json/verify/{token}/{id}?force=true"))
        .await;
    assert_eq!((status, body["error_code"].as_str()), (401, Some("60019")));

    // Once confirmed, leaving out force no longer lets a wrong token through.
    let (status, _) = c.get(&format!("/protected/json/verify/1234567/{id}")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn sms_tokens_verify_once() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    c.get(&format!("/protected/json/sms/{id}?force=true")).await;
    let code = mock.outbox(id).unwrap()[0].token.clone();
    let (status, _) = c
        .get(&format!("/protected/json/verify/{code}/{id}?force=true"))
        .await;
    assert_eq!(status, 200);
    assert!(mock.outbox(id).unwrap()[0].used);
    let (status, body) = c
        .get(&format!("/protected/json/verify/{code}/{id}?force=true"))
        .await;
    assert_eq!((status, body["error_code"].as_str()), (401, Some("60019")));
}

#[tokio::test]
async fn malformed_tokens_are_invalid_and_change_nothing() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let before = serde_json::to_value(mock.user(id).unwrap()).unwrap();
    for token in [
        "12345",
        "1234567890123",
        "12a4567",
        "%2E%2E%2Fsms",
        "%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6",
        "1234%00567",
    ] {
        let (status, body) = c.get(&format!("/protected/json/verify/{token}/{id}")).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (401, Some("60020")),
            "{token}"
        );
    }
    assert_eq!(
        serde_json::to_value(mock.user(id).unwrap()).unwrap(),
        before
    );
    let (status, _) = c
        .get("/protected/json/verify/1234567/tony?force=true")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn secret_gives_an_otpauth_uri_for_other_apps() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let (status, body) = c
        .post_form(
            &format!("/protected/json/users/{id}/secret"),
            "qr_size=300&label=Demo+App",
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let secret = body["secret"].as_str().unwrap();
    assert!(
        secret.len() >= 32
            && secret
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    let uri = body["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Demo%20App?secret="),
        "{uri}"
    );
    // What generic authenticator apps assume (they ignore other values).
    assert!(uri.contains("digits=6") && uri.contains("period=30"));

    // The QR code is a PNG image of the URI (the one with the default account name).
    let qr_code = body["qr_code"].as_str().unwrap();
    assert!(qr_code.starts_with(mock.base_url()));
    let image = c.http.get(qr_code).send().await.unwrap();
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");
    let bytes = image.bytes().await.unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let (w, h) = (frame.width as usize, frame.height as usize);
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    let mut scanned = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = scanned.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, text) = grids[0].decode().unwrap();
    assert_eq!(
        text,
        uri.replace("Demo%20App", "a%40x.io"),
        "the QR code carries the otpauth URI"
    );

    let (status, _) = c
        .post_form(&format!("/protected/json/users/{id}/secret"), "qr_size=big")
        .await;
    assert_eq!(status, 400);
    let (status, _) = c.post_form("/protected/json/users/7/secret", "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn app_details() {
    let mock = mock_authy::MockAuthy::builder()
        .app_name("Demo")
        .start()
        .await
        .unwrap();
    let (status, body) = Client::new(&mock).get("/protected/json/app/details").await;
    assert_eq!(status, 200);
    assert_eq!(body["app"]["name"], "Demo");
    assert_eq!(body["message"], "Application information.");
}

/// `app/stats`: this month's figures, counted from what the mock saw.
#[tokio::test]
async fn app_stats_count_this_months_calls() {
    let (mock, c) = start(seeded()).await;
    let ada = c.register("a@x.io", "5551234567").await;
    c.register("b@x.io", "5551234568").await;
    let (s, _) = c
        .get(&format!("/protected/json/sms/{ada}?force=true"))
        .await;
    assert_eq!(s, 200);
    let token = mock.app_token(ada).unwrap();
    let (s, _) = c
        .get(&format!("/protected/json/verify/{token}/{ada}?force=true"))
        .await;
    assert_eq!(s, 200);
    let (s, _) = c
        .get(&format!("/protected/json/verify/0000000/{ada}?force=true"))
        .await;
    assert_eq!(s, 401);

    let (s, body) = c.get("/protected/json/app/stats").await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["message"], "Monthly statistics.");
    assert_eq!(
        (body["success"].clone(), body["total_users"].clone()),
        (json!(true), json!(2))
    );
    let month = &body["stats"][0];
    assert_eq!(month["api_calls_count"], 5, "{body}");
    assert_eq!(month["auths_count"], 1);
    assert_eq!(month["sms_count"], 1);
    assert_eq!(month["calls_count"], 0);
    assert_eq!(month["users_count"], 2);
    assert!(month["month"].is_string() && month["year"].is_number());
}

/// `users/{id}/register_activity`: one of Authy's four types, for a known user.
#[tokio::test]
async fn register_activity_takes_authys_four_types() {
    let (_mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let path = format!("/protected/json/users/{id}/register_activity");
    for kind in ["password_reset", "banned", "unbanned", "cookie_login"] {
        let (s, body) = c
            .post_form(
                &path,
                &format!("type={kind}&user_ip=192.0.2.1&data%5Breason%5D=x"),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(
            body,
            json!({"message": "Activity was created.", "success": true})
        );
    }
    let (s, body) = c.post_form(&path, "type=logged_in").await;
    assert_eq!((s, body["error_code"].clone()), (400, json!("60004")));
    let (s, body) = c.post_form(&path, "").await;
    assert_eq!((s, body["error_code"].clone()), (400, json!("60004")));
    let (s, body) = c
        .post_form("/protected/json/users/999/register_activity", "type=banned")
        .await;
    assert_eq!((s, body["error_code"].clone()), (404, json!("60026")));
}

#[tokio::test]
async fn approval_requests_from_rails_forms_node_forms_and_json() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let path = format!("/onetouch/json/users/{id}/approval_requests");

    let (s, rails) = c.post_form(&path, "message=Request+to+Login&details%5BEmail+Address%5D=a%40x.io&hidden_details%5BIP%5D=1.2.3.4&logos%5B%5D%5Bres%5D=default&logos%5B%5D%5Burl%5D=https%3A%2F%2Fx%2Fa.png&logos%5B%5D%5Bres%5D=low&logos%5B%5D%5Burl%5D=https%3A%2F%2Fx%2Fb.png&seconds_to_expire=150").await;
    assert_eq!(s, 200, "{rails}");
    assert_eq!(rails["success"], true);
    let (s, _) = c
        .post_form(
            &path,
            "message=m&details%5Bk%5D=v&logos%5B0%5D%5Bres%5D=default&logos%5B0%5D%5Burl%5D=https%3A%2F%2Fx%2Fu.png",
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = c.post_json(&path, &json!({"message": "m", "details": {}, "hidden_details": {}, "logos": [], "seconds_to_expire": null})).await;
    assert_eq!(s, 200);

    let all = mock.approval_requests();
    assert_eq!(all.len(), 3);
    let first = &all[0];
    assert_eq!(
        first.uuid,
        rails["approval_request"]["uuid"].as_str().unwrap()
    );
    assert_eq!(first.details, json!({"Email Address": "a@x.io"}));
    assert_eq!(first.hidden_details, json!({"IP": "1.2.3.4"}));
    assert_eq!(
        first.logos,
        json!([{"res": "default", "url": "https://x/a.png"}, {"res": "low", "url": "https://x/b.png"}])
    );
    assert_eq!(first.seconds_to_expire, 150);
    assert_eq!(
        all[1].logos,
        json!([{"res": "default", "url": "https://x/u.png"}])
    );
    assert_eq!(all[2].seconds_to_expire, 86_400);

    let (s, body) = c
        .get(&format!("/onetouch/json/approval_requests/{}", first.uuid))
        .await;
    assert_eq!(s, 200);
    assert_eq!(body["approval_request"]["status"], "pending");
    assert_eq!(body["approval_request"]["processed_at"], Value::Null);
    assert_eq!(body["approval_request"]["_authy_id"], id);
    assert_eq!(body["approval_request"]["seconds_to_expire"], 150);
    assert_eq!(body["approval_request"]["_user_email"], "a@x.io");
}

/// Details not given are `null` (as in Authy's recorded callbacks), given empty stay `{}`;
/// the request keeps its user's email after the user is deleted.
#[tokio::test]
async fn approval_requests_keep_what_they_were_given() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let path = format!("/onetouch/json/users/{id}/approval_requests");
    let (s, _) = c.post_form(&path, "message=m").await;
    assert_eq!(s, 200);
    let (s, _) = c
        .post_json(&path, &json!({"message": "m", "details": {}}))
        .await;
    assert_eq!(s, 200);
    let all = mock.approval_requests();
    assert_eq!(
        (&all[0].details, &all[0].hidden_details),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        (&all[1].details, &all[1].hidden_details),
        (&json!({}), &Value::Null)
    );

    let (s, _) = c
        .post_form(&format!("/protected/json/users/{id}/remove"), "")
        .await;
    assert_eq!(s, 200);
    let (s, body) = c
        .get(&format!("/onetouch/json/approval_requests/{}", all[0].uuid))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        body["approval_request"]["_user_email"], "a@x.io",
        "not null once the user is gone"
    );
}

#[tokio::test]
async fn approval_request_errors() {
    let (mock, c) = start(seeded()).await;
    let id = c.register("a@x.io", "5551234567").await;
    let path = format!("/onetouch/json/users/{id}/approval_requests");
    for bad in [
        "",
        "message=",
        "message=m&seconds_to_expire=-1",
        "message=m&seconds_to_expire=soon",
        "message=m&details=text",
        "message=m&logos=x",
    ] {
        let (s, body) = c.post_form(&path, bad).await;
        assert_eq!(
            (s, body["error_code"].as_str()),
            (400, Some("60004")),
            "{bad}"
        );
    }
    let (s, body) = c
        .post_form("/onetouch/json/users/31337/approval_requests", "message=m")
        .await;
    assert_eq!((s, body["error_code"].as_str()), (404, Some("60026")));
    let (s, body) = c.get("/onetouch/json/approval_requests/nope").await;
    assert_eq!(s, 404);
    assert_eq!(
        body,
        json!({"message": "Approval request not found: nope", "success": false, "errors": {}, "error_code": "60049"})
    );

    mock.set_onetouch(id, mock_authy::OneTouchBehaviour::NoDevice)
        .unwrap();
    let (s, body) = c.post_form(&path, "message=m").await;
    assert_eq!((s, body["error_code"].as_str()), (400, Some("60051")));
    assert!(mock.approval_requests().is_empty());
}

#[tokio::test]
async fn expiry_follows_the_virtual_clock() {
    let (mock, c) = start(MockAuthy::builder().seed(3).frozen_clock(1_700_000_000)).await;
    let id = c.register("a@x.io", "5551234567").await;
    let short = c.push(id, "&seconds_to_expire=60").await;
    let never = c.push(id, "&seconds_to_expire=0").await;
    let default = c.push(id, "").await;

    mock.advance_clock(std::time::Duration::from_secs(59));
    let status = |uuid: String| {
        let c = &c;
        async move {
            c.get(&format!("/onetouch/json/approval_requests/{uuid}"))
                .await
                .1["approval_request"]["status"]
                .clone()
        }
    };
    assert_eq!(status(short.clone()).await, "pending");
    mock.advance_clock(std::time::Duration::from_secs(1));
    assert_eq!(status(short.clone()).await, "expired");
    assert_eq!(status(default.clone()).await, "pending");
    mock.advance_clock(std::time::Duration::from_secs(86_400));
    assert_eq!(status(default).await, "expired");
    mock.advance_clock(std::time::Duration::from_secs(10 * 365 * 86_400));
    assert_eq!(status(never).await, "pending");
    // An expired request cannot be approved afterwards.
    assert_eq!(
        mock.approve(&short).await.unwrap_err(),
        mock_authy::ControlError::NotPending(mock_authy::ApprovalStatus::Expired)
    );
}

#[tokio::test]
async fn bad_requests_get_authy_errors_and_change_nothing() {
    let (mock, c) = start(seeded()).await;
    let r = c
        .http
        .post(format!("{}/protected/json/users/new", c.base))
        .header("X-Authy-API-Key", &c.key)
        .header("content-type", "application/json")
        .body("{\"user\":")
        .send()
        .await
        .unwrap();
    let (s, body) = decode(r).await;
    assert_eq!((s, body["error_code"].as_str()), (400, Some("60002")));

    let big = "a".repeat(70 * 1024);
    let (s, _) = c
        .post_form("/protected/json/users/new", &format!("user[email]={big}"))
        .await;
    assert_eq!(s, 413);

    let (s, body) = c.get("/protected/json/users/new").await;
    assert_eq!((s, body["success"].as_bool()), (405, Some(false)));
    let (s, _) = c.get("/protected/json/nothing/here").await;
    assert_eq!(s, 404);
    let (s, _) = c.get("/protected/json/users/%ZZ/status").await;
    assert_eq!(s, 400);
    let (s, _) = c
        .post_form(
            "/protected/json/users/new",
            &format!("{}=1", "a[b]".repeat(40)),
        )
        .await;
    assert_eq!(s, 400);

    assert!(mock.users().is_empty());
    // And the mock still answers.
    let (s, _) = c.get("/protected/json/app/details").await;
    assert_eq!(s, 200);
    assert_eq!(mock.journal().len(), 7);
}

#[tokio::test]
async fn a_seed_makes_ids_uuids_and_codes_reproducible() {
    async fn run() -> (u64, String, String) {
        let (mock, c) = start(MockAuthy::builder().seed(99)).await;
        let id = c.register("a@x.io", "5551234567").await;
        let uuid = c.push(id, "").await;
        c.get(&format!("/protected/json/sms/{id}?force=true")).await;
        (id, uuid, mock.outbox(id).unwrap()[0].token.clone())
    }
    assert_eq!(run().await, run().await);
}

//! The Verify v2 webhook, as SECURITY.md asks of the OneTouch callback: nothing is trusted
//! before `X-Twilio-Signature` checks out against the configured URL; a replay, an edit, an
//! answer about another login or user, and malformed bodies get a 4xx and change nothing.

#![allow(clippy::unwrap_used)]

use test_support::{PASSWORD, ProviderKind, World};

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn post(w: &World, params: &[(String, String)], token: &str, signed_url: &str) -> u16 {
    test_support::post_verify_webhook(&w.callback_url, params, token, signed_url).await
}

#[tokio::test]
async fn forged_and_misaddressed_webhooks_change_nothing() {
    let w = World::on(ProviderKind::Verify).await;
    let (mut b, subject, push) = w.pending_login("ada@example.com", "5551230001").await;
    let token = w.mock.twilio_auth_token().to_owned();
    let approve = test_support::verify_answer("d1", &push, subject, true);
    assert_eq!(
        post(&w, &approve, "not-the-token", &w.callback_url).await,
        401
    );
    let other_host = w.callback_url.replace("127.0.0.1", "localhost");
    assert_eq!(
        post(&w, &approve, &token, &other_host).await,
        401,
        "signed for another URL"
    );
    let unsigned = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("type=challenge.approved")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    for bad in [
        form(&[("uuid", "d2"), ("type", "factor.created")]),
        test_support::verify_answer("d3", "CA-not-a-challenge", subject, true),
        form(&[
            ("uuid", "d4"),
            ("type", "challenge.approved"),
            ("challenge_sid", &push),
            ("entity_identity", "someone-else"),
        ]),
    ] {
        assert_eq!(
            post(&w, &bad, &token, &w.callback_url).await,
            400,
            "{bad:?}"
        );
    }
    assert_eq!(
        post(
            &w,
            &test_support::verify_answer("d5", "YCunknown", subject, true),
            &token,
            &w.callback_url
        )
        .await,
        404
    );
    assert_eq!(
        post(
            &w,
            &test_support::verify_answer("d6", &push, subject + 1, true),
            &token,
            &w.callback_url
        )
        .await,
        403
    );
    assert_eq!(
        b.status().await,
        "pending",
        "nothing above changed the login"
    );

    assert_eq!(post(&w, &approve, &token, &w.callback_url).await, 200);
    assert_eq!(b.status().await, "approved");
}

#[tokio::test]
async fn a_replayed_or_edited_webhook_cannot_approve_a_later_login() {
    let w = World::on(ProviderKind::Verify).await;
    let (mut b, _, push) = w.pending_login("ada@example.com", "5551230001").await;
    let delivered = w.mock.answer_challenge(&push, false).await.unwrap();
    assert_eq!(b.status().await, "denied");
    let sent = delivered[0].request.clone();

    let mut attacker = w.browser();
    attacker.login("ada@example.com", PASSWORD).await;
    let replay = |body: String| {
        reqwest::Client::new()
            .post(&sent.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", &sent.signature)
            .body(body)
            .send()
    };
    assert_eq!(
        replay(sent.body.clone()).await.unwrap().status(),
        409,
        "exact replay"
    );
    let edited = sent.body.replace("challenge.denied", "challenge.approved");
    assert_eq!(replay(edited).await.unwrap().status(), 401, "edited replay");
    assert_eq!(attacker.status().await, "pending");
    assert_eq!(b.status().await, "denied", "terminal states never change");
}

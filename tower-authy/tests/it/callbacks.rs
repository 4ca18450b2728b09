//! The OneTouch callback and Verify webhook as an attacker sends them: forged, signed for
//! another URL, stale, replayed, sent by GET, oversized or malformed, for another session or user,
//! or ahead of the challenge they answer.

use crate::support::{callback_body, send_callback};
use mock_authy::CallbackMethod;
use mock_authy::signature::{canonical_json, canonical_query, sign};
use serde_json::json;
use std::sync::Arc;
use test_support::{Options, PASSWORD, World};
use tower_authy::store::StoreError;

/// A memory store that says when a lookup by approval uuid found nothing.
struct Watched {
    inner: tower_authy::store::MemoryChallengeStore,
    missed: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl tower_authy::ChallengeStore for Watched {
    async fn create(&self, c: tower_authy::store::Challenge) -> Result<(), StoreError> {
        self.inner.create(c).await
    }
    async fn get(&self, id: &str) -> Result<Option<tower_authy::store::Challenge>, StoreError> {
        self.inner.get(id).await
    }
    async fn find_by_approval(
        &self,
        uuid: &str,
    ) -> Result<Option<tower_authy::store::Challenge>, StoreError> {
        let found = self.inner.find_by_approval(uuid).await?;
        if found.is_none() {
            self.missed.notify_one();
        }
        Ok(found)
    }
    async fn transition(
        &self,
        id: &str,
        from: tower_authy::store::ChallengeState,
        to: tower_authy::store::ChallengeState,
    ) -> Result<bool, StoreError> {
        self.inner.transition(id, from, to).await
    }
    async fn begin_attempt(
        &self,
        id: &str,
        user_id: &str,
        limits: &tower_authy::limits::AttemptLimits,
        now: i64,
    ) -> Result<tower_authy::store::AttemptDecision, StoreError> {
        self.inner.begin_attempt(id, user_id, limits, now).await
    }
    async fn account_locked(
        &self,
        user_id: &str,
        limits: &tower_authy::limits::AttemptLimits,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.account_locked(user_id, limits, now).await
    }
    async fn clear_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.inner.clear_failures(user_id).await
    }
    async fn take_quota(
        &self,
        key: &str,
        max: u32,
        window: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.take_quota(key, max, window, now).await
    }
    async fn consume_nonce(
        &self,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.consume_nonce(key, expires_at, now).await
    }
    async fn take_attempt(
        &self,
        key: &str,
        max: u32,
        lockout: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.take_attempt(key, max, lockout, now).await
    }
    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        self.inner.refund_attempt(key).await
    }
}

#[tokio::test]
async fn forged_callback_is_rejected_and_changes_nothing() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let body = callback_body(&uuid, authy_id, "approved");
    let forged = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header(
            "x-authy-signature",
            "uq/wB8AR1Acvn0wFcjm7mmBJyR11nuuMhMy6semsAO8=",
        )
        .header("x-authy-signature-nonce", test_support::T0.to_string())
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // Signed with the wrong key.
    let nonce = test_support::T0.to_string();
    let wrong_key = sign(
        "not-the-key",
        &nonce,
        "POST",
        &w.callback_url,
        &canonical_json(&body),
    );
    let r = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header("x-authy-signature", wrong_key)
        .header("x-authy-signature-nonce", nonce)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // No signature headers at all.
    let r = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(b.status().await, "pending");
}

#[tokio::test]
async fn signature_uses_the_configured_url_not_the_host_header() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let body = callback_body(&uuid, authy_id, "approved");
    // What a proxy-confused app would rebuild from headers.
    let spoofed_url = "https://evil.example/authy/callback";
    let nonce = test_support::T0.to_string();
    let sig = sign(
        w.mock.api_key(),
        &nonce,
        "POST",
        spoofed_url,
        &canonical_json(&body),
    );
    let r = reqwest::Client::new()
        .post(&w.callback_url)
        .header("host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .header("content-type", "application/json")
        .header("x-authy-signature", sig)
        .header("x-authy-signature-nonce", nonce)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(b.status().await, "pending");
    // The same body signed over the configured URL is accepted.
    assert_eq!(
        send_callback(&w, &body, test_support::T0, &w.callback_url).await,
        200
    );
    assert_eq!(b.status().await, "approved");
}

#[tokio::test]
async fn stale_and_future_callbacks_are_rejected() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let body = callback_body(&uuid, authy_id, "approved");
    assert_eq!(
        send_callback(&w, &body, test_support::T0 - 301, &w.callback_url).await,
        401
    );
    assert_eq!(
        send_callback(&w, &body, test_support::T0 + 301, &w.callback_url).await,
        401
    );
    assert_eq!(b.status().await, "pending");
}

#[tokio::test]
async fn replayed_callback_is_rejected_and_cannot_approve_a_later_login() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let delivery = w.mock.deny(&uuid).await.unwrap().unwrap();
    assert_eq!(b.status().await, "denied");

    // The attacker logs in again and replays the captured (signed) callback, edited to approve.
    let mut attacker = w.browser();
    attacker.login("ada@example.com", PASSWORD).await;
    let sent = delivery.request;
    let replay = |body: String| {
        reqwest::Client::new()
            .post(&sent.url)
            .header("content-type", "application/json")
            .header("x-authy-signature", &sent.signature)
            .header("x-authy-signature-nonce", &sent.nonce)
            .body(body)
            .send()
    };
    assert_eq!(
        replay(sent.body.clone()).await.unwrap().status(),
        409,
        "exact replay"
    );
    assert_eq!(
        replay(sent.body.replace("denied", "approved"))
            .await
            .unwrap()
            .status(),
        401,
        "edited replay"
    );
    assert_eq!(attacker.status().await, "pending");
    assert_eq!(b.status().await, "denied", "terminal states never change");

    // A fresh, validly signed callback for the old uuid cannot touch the new login either.
    let late = callback_body(&uuid, authy_id, "approved");
    assert_eq!(
        send_callback(&w, &late, test_support::T0 + 1, &w.callback_url).await,
        409
    );
    assert_eq!(attacker.status().await, "pending");
}

#[tokio::test]
async fn one_sessions_approval_cannot_complete_another_session_or_user() {
    let w = World::start().await;
    // The attacker knows Ada's password and logs in at the same time as Ada.
    let (mut ada, ada_id, ada_uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let mut attacker = w.browser();
    attacker.login("ada@example.com", PASSWORD).await;
    let attacker_uuid = w.latest_push(ada_id).await;
    assert_ne!(ada_uuid, attacker_uuid);
    let (mut bob, bob_id, bob_uuid) = w.pending_login("bob@example.com", "5551230002").await;

    // Ada approves her own push: only her session moves.
    w.mock.approve(&ada_uuid).await.unwrap();
    assert_eq!(ada.status().await, "approved");
    assert_eq!(attacker.status().await, "pending");
    assert_eq!(attacker.post("/authy/confirm", &[]).await.status, 409);
    assert_eq!(attacker.get("/account").await.status, 303);

    // A validly signed callback naming Bob's uuid with Ada's authy_id is refused.
    assert_eq!(
        send_callback(
            &w,
            &callback_body(&bob_uuid, ada_id, "approved"),
            test_support::T0,
            &w.callback_url
        )
        .await,
        403
    );
    assert_eq!(bob.status().await, "pending");
    // Unknown uuids are refused.
    assert_eq!(
        send_callback(
            &w,
            &callback_body("no-such-uuid", bob_id, "approved"),
            test_support::T0,
            &w.callback_url
        )
        .await,
        404
    );
    assert_eq!(ada.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(ada.get("/account").await.status, 200);
}

#[tokio::test]
async fn get_callbacks_are_verified_too() {
    let w = World::start_with(Options {
        callback_method: CallbackMethod::Get,
        ..Default::default()
    })
    .await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let query = format!(
        "authy_id={authy_id}&callback_action=approval_request_status&status=approved&uuid={uuid}"
    );
    let forged = reqwest::Client::new()
        .get(format!("{}?{query}", w.callback_url))
        .header(
            "x-authy-signature",
            sign(
                "wrong",
                "1",
                "GET",
                &w.callback_url,
                &canonical_query(&query),
            ),
        )
        .header("x-authy-signature-nonce", test_support::T0.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(b.status().await, "pending");
    let d = w.mock.approve(&uuid).await.unwrap().unwrap();
    assert!(d.delivered, "{d:?}");
    assert_eq!(b.status().await, "approved");
}

#[tokio::test]
async fn oversized_and_malformed_callbacks_get_4xx() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let mut big = callback_body(&uuid, authy_id, "approved");
    big["padding"] = json!("x".repeat(70 * 1024));
    assert_eq!(
        send_callback(&w, &big, test_support::T0, &w.callback_url).await,
        413
    );
    let mut wrong_action = callback_body(&uuid, authy_id, "approved");
    wrong_action["callback_action"] = json!("something_else");
    assert_eq!(
        send_callback(&w, &wrong_action, test_support::T0, &w.callback_url).await,
        400
    );
    assert_eq!(
        send_callback(
            &w,
            &callback_body(&uuid, authy_id, "maybe"),
            test_support::T0,
            &w.callback_url
        )
        .await,
        400
    );
    let not_json = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header("x-authy-signature", "x")
        .header("x-authy-signature-nonce", "1")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    assert_eq!(b.status().await, "pending");
}

/// A phone can answer before the login step has stored its challenge (the push goes out first):
/// the callback waits briefly for it instead of answering 404, which Authy would not retry.
#[tokio::test]
async fn a_callback_that_overtakes_its_challenge_is_still_accepted() {
    use tower_authy::ChallengeStore as _;
    let store = tower_authy::store::MemoryChallengeStore::new();
    let missed = Arc::new(tokio::sync::Notify::new());
    let app_store = Watched {
        inner: store.clone(),
        missed: Arc::clone(&missed),
    };
    let w = World::configured(move |b| b.challenge_store(app_store)).await;
    let body = callback_body("early-uuid", 77, "approved");
    let callback = send_callback(&w, &body, test_support::T0, &w.callback_url);
    let store_it_late = async {
        // Only once the callback has looked for its challenge and not found it.
        missed.notified().await;
        let challenge = tower_authy::store::Challenge {
            id: "early".into(),
            user_id: "u1".into(),
            subject: 77,
            provider: String::new(),
            factor_id: String::new(),
            push_id: Some("early-uuid".into()),
            match_code: "123".into(),
            state: tower_authy::store::ChallengeState::Pending,
            created_at: test_support::T0,
            expires_at: test_support::T0 + 300,
        };
        store.create(challenge).await.unwrap();
    };
    let (status, ()) = tokio::join!(callback, store_it_late);
    assert_eq!(status, 200);
    let settled = store.get("early").await.unwrap().unwrap();
    assert_eq!(settled.state, tower_authy::store::ChallengeState::Approved);
}

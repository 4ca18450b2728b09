//! Helpers the behaviour modules share.

use mock_authy::signature::{canonical_json, sign};
use serde_json::{Value, json};
use test_support::World;

/// Sends a callback signed with the right key for `body`, as Authy would, with a chosen nonce
/// and signing URL.
pub(crate) async fn send_callback(w: &World, body: &Value, nonce: i64, signed_url: &str) -> u16 {
    let nonce = nonce.to_string();
    let sig = sign(
        w.mock.api_key(),
        &nonce,
        "POST",
        signed_url,
        &canonical_json(body),
    );
    reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header("x-authy-signature", sig)
        .header("x-authy-signature-nonce", nonce)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub(crate) fn callback_body(uuid: &str, authy_id: u64, status: &str) -> Value {
    json!({"authy_id": authy_id, "uuid": uuid, "status": status, "callback_action": "approval_request_status",
           "approval_request": {"transaction": {"status": status, "uuid": uuid, "details": {}, "hidden_details": null}, "logos": null}})
}

pub(crate) fn pushes(w: &World) -> usize {
    w.mock.approval_requests().len()
}

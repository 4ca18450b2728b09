//! The Authy API as a provider: [`AuthyClient`] unchanged, and its OneTouch callback
//! (authy-api.md part B) authenticated with `X-Authy-Signature`.

use super::AuthyClient;
use super::signature::{self, Signed};
use crate::provider::{
    Capabilities, CodeChannel, ProviderError, PushAnswer, PushRequest, PushStatus,
    SecondFactorProvider, SendOutcome, WebhookError, WebhookRequest,
};
use crate::secret::Token;
use async_trait::async_trait;
use http::{Method, header};
use serde_json::Value;

#[async_trait]
impl SecondFactorProvider for AuthyClient {
    fn name(&self) -> &'static str {
        "authy"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::everything()
    }

    fn app_label(&self) -> &'static str {
        "the Authy app"
    }

    async fn register(&self, email: &str, phone: &str, cc: &str) -> Result<u64, ProviderError> {
        self.register_user(email, phone, cc).await
    }

    async fn start_push(&self, subject: u64, r: &PushRequest) -> Result<String, ProviderError> {
        self.create_approval_request(subject, r).await
    }

    async fn push_status(&self, _subject: u64, id: &str) -> Result<PushStatus, ProviderError> {
        self.approval_request_status(id).await
    }

    async fn verify_code(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        self.verify_token(subject, code).await
    }

    async fn send_code(&self, subject: u64, c: CodeChannel) -> Result<SendOutcome, ProviderError> {
        match c {
            CodeChannel::Sms => self.request_sms(subject, true).await,
            CodeChannel::Call => self.request_call(subject, true).await,
        }
    }

    async fn authenticator_uri(&self, subject: u64, label: &str) -> Result<String, ProviderError> {
        AuthyClient::authenticator_uri(self, subject, label).await
    }

    fn authenticate_webhook(&self, r: &WebhookRequest<'_>) -> Result<PushAnswer, WebhookError> {
        let (Some(sig), Some(nonce)) = (
            r.header("x-authy-signature"),
            r.header("x-authy-signature-nonce"),
        ) else {
            return Err(WebhookError::MissingHeaders);
        };
        let key = self.api_key().expose().as_bytes();
        let (valid, fields) = if *r.method == Method::POST {
            let is_json = r
                .header(header::CONTENT_TYPE.as_str())
                .is_some_and(|c| c.contains("json"));
            let Some(json) = is_json
                .then(|| serde_json::from_slice::<Value>(r.body).ok())
                .flatten()
                .filter(Value::is_object)
            else {
                return Err(WebhookError::Malformed);
            };
            let valid = signature::verify(key, nonce, "POST", r.url, Signed::Json(&json), sig);
            (valid, fields_from_json(&json))
        } else {
            let signed = Signed::Query(r.query);
            let valid = signature::verify(key, nonce, "GET", r.url, signed, sig);
            (valid, fields_from_query(r.query))
        };
        if !valid {
            return Err(WebhookError::BadSignature);
        }
        let (push_id, subject, approved) = fields.ok_or(WebhookError::Malformed)?;
        // Observed nonces are Unix seconds, sometimes with a fraction ("1427849783.886085");
        // an unreadable one is never fresh.
        let sent_at = Some(
            nonce
                .split('.')
                .next()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(i64::MIN / 2),
        );
        let replay_key = format!("callback:{}", digest(sig, nonce));
        Ok(PushAnswer::new(
            push_id, subject, approved, replay_key, sent_at,
        ))
    }
}

type Fields = (String, u64, bool);

fn fields_from_json(v: &Value) -> Option<Fields> {
    let authy_id = match v.get("authy_id")? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    fields(
        v.get("callback_action")?.as_str()?,
        v.get("uuid")?.as_str()?,
        authy_id,
        v.get("status")?.as_str()?,
    )
}

fn fields_from_query(q: &str) -> Option<Fields> {
    let get = |name: &str| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let authy_id = get("authy_id")?.parse().ok()?;
    fields(
        &get("callback_action")?,
        &get("uuid")?,
        authy_id,
        &get("status")?,
    )
}

fn fields(action: &str, uuid: &str, authy_id: u64, status: &str) -> Option<Fields> {
    if action != "approval_request_status" || uuid.is_empty() || uuid.len() > 64 {
        return None;
    }
    let approved = match status {
        "approved" => true,
        "denied" => false,
        _ => return None,
    };
    Some((uuid.to_owned(), authy_id, approved))
}

/// Identifies a signed callback by its nonce and the signature's decoded bytes, so re-encodings
/// of one signature (padding, white space) count as the same callback.
fn digest(signature: &str, nonce: &str) -> String {
    use sha2::{Digest, Sha256};
    let raw = data_encoding::BASE64
        .decode(signature.trim().as_bytes())
        .unwrap_or_default();
    let h = Sha256::new()
        .chain_update(nonce.as_bytes())
        .chain_update(b"|")
        .chain_update(&raw)
        .finalize();
    data_encoding::HEXLOWER.encode(&h)
}

/// Parses a callback body or query the way the callback route does, for fuzzing.
#[cfg(feature = "fuzzing")]
pub fn parse_for_fuzzing(body: &[u8], query: &str) -> bool {
    let from_body = serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(fields_from_json)
        .is_some();
    from_body | fields_from_query(query).is_some()
}

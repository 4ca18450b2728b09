//! Twilio Verify v2 as a provider (authy-api.md part D): codes by SMS and voice through
//! Verifications, authenticator-app codes through a TOTP factor, pushes through Verify Push
//! challenges, and the `challenge.approved` / `challenge.denied` webhooks authenticated with
//! `X-Twilio-Signature`.
//!
//! A subject is a random number; its Verify entity is `ta-` and the number in 16 hex digits
//! (no personal data in the identity, as Twilio asks). The phone for SMS and calls is kept in the
//! metadata of the entity's TOTP factor, so that every instance finds it with one read and
//! tower-authy keeps no state of its own. Push factors come from the application's mobile app
//! (Verify's SDK); a user without one is asked for a code.
//!
//! A phone from a form (enrolment, or an application's sign-up) is taken on trust only to
//! prove it: it is kept as `unproved_phone`, codes go to it only while the authenticator app is
//! not set up, and it becomes a channel (`phone`) for good once a code sent to it is proved. A
//! user who proves the authenticator app instead (enrolment confirmed with the app's code) gets
//! no phone channel: Verify would otherwise send login codes to a number nobody proved they
//! hold. Entities made before this rule carry `phone` and keep their channel.

mod signature;
mod wire;

pub use wire::{VerifyProvider, VerifyProviderBuilder};

use super::{
    Capabilities, CodeChannel, PushAnswer, SecondFactorProvider, WebhookError, WebhookRequest,
};
use crate::provider::{ProviderError, PushRequest, PushStatus, SendOutcome};
use crate::secret::Token;
use async_trait::async_trait;
use serde_json::{Value, json};

/// The entity identity of a subject.
fn identity(subject: u64) -> String {
    format!("ta-{subject:016x}")
}

/// The subject of an entity identity this provider made.
fn subject_of(identity: &str) -> Option<u64> {
    // Only the canonical spelling: 16 lower-case hex digits, no sign.
    let hex = identity.strip_prefix("ta-")?;
    let canonical = hex.len() == 16 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    canonical
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

/// A phone kept in a TOTP factor's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phone {
    /// A code sent to it was proved: a channel for login codes.
    Proved(String),
    /// Taken from the enrolment form; codes go to it only to prove it.
    Unproved(String),
}

impl Phone {
    fn read(metadata: Option<&Value>) -> Option<Phone> {
        let get = |key: &str| {
            metadata
                .and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        get("phone")
            .map(Phone::Proved)
            .or_else(|| get("unproved_phone").map(Phone::Unproved))
    }

    fn metadata(phone: Option<&Phone>) -> Value {
        match phone {
            None => json!({}),
            Some(Phone::Proved(p)) => json!({ "phone": p }),
            Some(Phone::Unproved(p)) => json!({ "unproved_phone": p }),
        }
    }
}

/// What tower-authy needs to know about an entity's factors.
#[derive(Debug, Default)]
struct Factors {
    push: Option<String>,
    totp: Option<(String, bool)>,
    /// The TOTP factor's friendly name (the account its app shows).
    label: Option<String>,
    phone: Option<Phone>,
}

impl Factors {
    /// The number codes by SMS and call go to: a proved phone, or the phone being proved while
    /// the authenticator app is not set up (once the user proved the app instead, a number
    /// nobody proved is never sent a code).
    fn code_phone(&self) -> Option<&str> {
        let app_set_up = self.totp.as_ref().is_some_and(|(_, verified)| *verified);
        match &self.phone {
            Some(Phone::Proved(p)) => Some(p),
            Some(Phone::Unproved(p)) if !app_set_up => Some(p),
            _ => None,
        }
    }
}

fn rejected() -> ProviderError {
    ProviderError::CodeRejected { reused: false }
}

impl VerifyProvider {
    /// Subscribes `callback_url` (tower-authy's `<prefix>/callback`, as configured) to the
    /// service's `challenge.approved` and `challenge.denied` events, unless a webhook already
    /// sends them there. Call it once at start-up, or set the webhook up in Twilio's console.
    ///
    /// # Errors
    /// See [`ProviderError`].
    pub async fn ensure_webhook(&self, callback_url: &str) -> Result<(), ProviderError> {
        let hooks = self.read("/Webhooks").await?;
        let present = hooks
            .get("webhooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|h| {
                h.get("webhook_url").and_then(Value::as_str) == Some(callback_url)
                    && h.get("status").and_then(Value::as_str) == Some("enabled")
            });
        if !present {
            let form = [
                ("FriendlyName", "tower-authy"),
                ("EventTypes", "challenge.approved"),
                ("EventTypes", "challenge.denied"),
                ("WebhookUrl", callback_url),
                ("Version", "v2"),
            ];
            self.write("/Webhooks", &form).await?;
        }
        Ok(())
    }

    async fn factors(&self, subject: u64) -> Result<Factors, ProviderError> {
        let body = match self
            .read(&format!("/Entities/{}/Factors", identity(subject)))
            .await
        {
            // An entity Verify does not know has no factors: its codes are refused.
            Err(ProviderError::Api { status: 404, .. }) => return Ok(Factors::default()),
            other => other?,
        };
        let mut found = Factors::default();
        for f in body
            .get("factors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let sid = f
                .get("sid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let verified = f.get("status").and_then(Value::as_str) == Some("verified");
            match f.get("factor_type").and_then(Value::as_str) {
                Some("push") if verified => found.push = Some(sid),
                Some("totp") => {
                    // A proved phone wins over one still being proved.
                    if let (Some(p), None | Some(Phone::Unproved(_))) =
                        (Phone::read(f.get("metadata")), &found.phone)
                    {
                        found.phone = Some(p);
                    }
                    // A verified factor wins over one still being set up.
                    if found.totp.as_ref().is_none_or(|(_, v)| !v) {
                        found.totp = Some((sid, verified));
                        found.label = f
                            .get("friendly_name")
                            .and_then(Value::as_str)
                            .filter(|n| !n.is_empty())
                            .map(str::to_owned);
                    }
                }
                _ => {}
            }
        }
        Ok(found)
    }

    /// A new TOTP factor for `subject` carrying `phone` in its metadata: its sid and
    /// `otpauth://` URI.
    async fn new_totp_factor(
        &self,
        subject: u64,
        label: &str,
        phone: Option<&Phone>,
    ) -> Result<(String, String), ProviderError> {
        let form = [
            ("FriendlyName", label.to_owned()),
            ("FactorType", "totp".to_owned()),
            ("Metadata", Phone::metadata(phone).to_string()),
        ];
        let body = self
            .write(&format!("/Entities/{}/Factors", identity(subject)), &form)
            .await?;
        let text = |path: &str| body.pointer(path).and_then(Value::as_str);
        match (text("/sid"), text("/binding/uri")) {
            (Some(sid), Some(uri)) if uri.starts_with("otpauth://") => {
                Ok((sid.to_owned(), uri.to_owned()))
            }
            _ => Err(ProviderError::Malformed(
                "a TOTP factor without sid or binding.uri",
            )),
        }
    }

    /// Checks a code sent by SMS or call to `phone`.
    async fn check_sent_code(&self, phone: &str, code: &str) -> Result<(), ProviderError> {
        let form = [("To", phone.to_owned()), ("Code", code.to_owned())];
        match self.write("/VerificationCheck", &form).await {
            Ok(body) if body.get("status").and_then(Value::as_str) == Some("approved") => Ok(()),
            Ok(_) => Err(rejected()),
            Err(e) if e.is_unavailable() => Err(e),
            // 404: nothing was sent, or it expired or ran out of tries.
            Err(_) => Err(rejected()),
        }
    }

    /// Records that a code sent to a phone not yet proved was proved: the TOTP factor still
    /// being set up (Verify cannot change a factor's metadata, and the app's codes are not
    /// accepted before it is verified) is replaced by one that carries the phone as proved.
    /// The new factor is made first, so the phone is never lost; a factor another instance
    /// removed meanwhile is not an error.
    async fn prove_phone(&self, subject: u64, factors: &Factors) -> Result<(), ProviderError> {
        let (Some(Phone::Unproved(phone)), Some((old, false))) = (&factors.phone, &factors.totp)
        else {
            return Ok(());
        };
        let label = factors.label.clone().unwrap_or_else(|| identity(subject));
        let proved = Phone::Proved(phone.clone());
        self.new_totp_factor(subject, &label, Some(&proved)).await?;
        match self
            .delete(&format!("/Entities/{}/Factors/{old}", identity(subject)))
            .await
        {
            Err(ProviderError::Api { status: 404, .. }) => Ok(()),
            other => other,
        }
    }

    async fn check_totp(
        &self,
        subject: u64,
        sid: &str,
        verified: bool,
        code: &str,
    ) -> Result<bool, ProviderError> {
        let id = identity(subject);
        let form = if verified {
            vec![
                ("FactorSid", sid.to_owned()),
                ("AuthPayload", code.to_owned()),
            ]
        } else {
            vec![("AuthPayload", code.to_owned())]
        };
        let path = if verified {
            format!("/Entities/{id}/Challenges")
        } else {
            format!("/Entities/{id}/Factors/{sid}")
        };
        let want = if verified { "approved" } else { "verified" };
        match self.write(&path, &form).await {
            Ok(body) => Ok(body.get("status").and_then(Value::as_str) == Some(want)),
            Err(e) if e.is_unavailable() => Err(e),
            Err(_) => Ok(false),
        }
    }
}

#[async_trait]
impl SecondFactorProvider for VerifyProvider {
    fn name(&self) -> &'static str {
        "verify"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::everything()
    }

    fn app_label(&self) -> &'static str {
        "your app"
    }

    /// Creates the entity and a TOTP factor (unverified until a first code) holding the phone,
    /// not yet proved.
    async fn register(&self, email: &str, phone: &str, cc: &str) -> Result<u64, ProviderError> {
        let subject = (u64::from_be_bytes(crate::random::bytes::<8>()) >> 11) | 1;
        self.write("/Entities", &[("Identity", identity(subject))])
            .await?;
        let phone = (!phone.is_empty()).then(|| Phone::Unproved(format!("+{cc}{phone}")));
        self.new_totp_factor(subject, email, phone.as_ref()).await?;
        Ok(subject)
    }

    async fn start_push(&self, subject: u64, r: &PushRequest) -> Result<String, ProviderError> {
        let Some(factor) = self.factors(subject).await?.push else {
            return Err(ProviderError::Unsupported(
                "push: this user has no push factor",
            ));
        };
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let mut form = vec![
            ("FactorSid", factor),
            ("Details.Message", r.message.chars().take(256).collect()),
            (
                "ExpirationDate",
                wire::rfc3339(self.now() + i64::try_from(r.seconds_to_expire).unwrap_or(300)),
            ),
        ];
        for (label, value) in r.details.iter().take(20) {
            let field = json!({"label": label.chars().take(36).collect::<String>(), "value": text(value).chars().take(128).collect::<String>()});
            form.push(("Details.Fields", field.to_string()));
        }
        if !r.hidden_details.is_empty() {
            let hidden: serde_json::Map<String, Value> = r
                .hidden_details
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(text(v))))
                .collect();
            form.push(("HiddenDetails", Value::Object(hidden).to_string()));
        }
        let body = self
            .write(
                &format!("/Entities/{}/Challenges", identity(subject)),
                &form,
            )
            .await?;
        body.get("sid")
            .and_then(Value::as_str)
            .filter(|s| s.starts_with("YC"))
            .map(str::to_owned)
            .ok_or(ProviderError::Malformed("a challenge without a sid"))
    }

    async fn push_status(&self, subject: u64, id: &str) -> Result<PushStatus, ProviderError> {
        if !id.starts_with("YC") || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ProviderError::Malformed(
                "challenge sid has unexpected characters",
            ));
        }
        let body = self
            .read(&format!("/Entities/{}/Challenges/{id}", identity(subject)))
            .await?;
        match body.get("status").and_then(Value::as_str) {
            Some("pending") => Ok(PushStatus::Pending),
            Some("approved") => Ok(PushStatus::Approved),
            Some("denied") => Ok(PushStatus::Denied),
            Some("expired") => Ok(PushStatus::Expired),
            _ => Err(ProviderError::Malformed(
                "a challenge without a known status",
            )),
        }
    }

    /// Tries the authenticator app's factor first (once it is set up: a challenge answers for
    /// this code alone), then a code sent by SMS or call. Each is one request, never retried.
    /// A code sent to a phone not yet proved proves it (see the module's documentation).
    async fn verify_code(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        let code = code.expose();
        let factors = self.factors(subject).await?;
        if let Some((sid, true)) = &factors.totp
            && (3..=8).contains(&code.len())
            && self.check_totp(subject, sid, true, code).await?
        {
            return Ok(());
        }
        let Some(phone) = factors.code_phone() else {
            return Err(rejected());
        };
        self.check_sent_code(phone, code).await?;
        self.prove_phone(subject, &factors).await
    }

    /// Verifies a TOTP factor still being set up with the code (the answer is the factor's
    /// status, so only enrolment trusts it: the enrolling session alone can race itself here),
    /// else checks the code as a login does.
    async fn confirm_enrolment(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        let factors = self.factors(subject).await?;
        let given = code.expose();
        if let Some((sid, false)) = &factors.totp
            && (3..=8).contains(&given.len())
            && self.check_totp(subject, sid, false, given).await?
        {
            return Ok(());
        }
        self.verify_code(subject, code).await
    }

    async fn send_code(
        &self,
        subject: u64,
        channel: CodeChannel,
    ) -> Result<SendOutcome, ProviderError> {
        let factors = self.factors(subject).await?;
        let Some(phone) = factors.code_phone() else {
            return Err(ProviderError::Unsupported(
                "codes by phone: no proved phone on record",
            ));
        };
        let form = [
            ("To", phone.to_owned()),
            ("Channel", channel.as_str().to_owned()),
        ];
        self.write("/Verifications", &form).await?;
        Ok(SendOutcome::Sent)
    }

    /// Each entity is one user's: several users may hold one number.
    async fn phone_of(&self, subject: u64) -> Result<Option<String>, ProviderError> {
        Ok(self.factors(subject).await?.code_phone().map(str::to_owned))
    }

    /// Binds a new TOTP factor (Verify shows a binding only when a factor is created), after
    /// removing factors still being set up, and returns its URI.
    async fn authenticator_uri(&self, subject: u64, label: &str) -> Result<String, ProviderError> {
        let id = identity(subject);
        let body = self.read(&format!("/Entities/{id}/Factors")).await?;
        let mut phone = None;
        let mut account = label.to_owned();
        for f in body
            .get("factors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if f.get("factor_type").and_then(Value::as_str) != Some("totp") {
                continue;
            }
            if f.get("status").and_then(Value::as_str) == Some("verified") {
                return Err(ProviderError::Unsupported("a second authenticator app"));
            }
            phone = phone.or_else(|| Phone::read(f.get("metadata")));
            if account.is_empty() {
                account = f
                    .get("friendly_name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
            }
            if let Some(sid) = f.get("sid").and_then(Value::as_str) {
                self.delete(&format!("/Entities/{id}/Factors/{sid}"))
                    .await?;
            }
        }
        if account.is_empty() {
            account = id;
        }
        let (_, uri) = self
            .new_totp_factor(subject, &account, phone.as_ref())
            .await?;
        Ok(uri)
    }

    fn authenticate_webhook(&self, r: &WebhookRequest<'_>) -> Result<PushAnswer, WebhookError> {
        let Some(sig) = r.header("x-twilio-signature") else {
            return Err(WebhookError::MissingHeaders);
        };
        if *r.method != http::Method::POST {
            return Err(WebhookError::Malformed);
        }
        let params: Vec<(String, String)> = form_urlencoded::parse(r.body).into_owned().collect();
        let url = if r.query.is_empty() {
            r.url.to_owned()
        } else {
            format!("{}?{}", r.url, r.query)
        };
        if !signature::verify(self.webhook_key(), &url, &params, sig) {
            return Err(WebhookError::BadSignature);
        }
        parse_webhook(&params).ok_or(WebhookError::Malformed)
    }
}

/// The answer a signed Verify webhook carries; `None` when it is not about a push answer.
fn parse_webhook(params: &[(String, String)]) -> Option<PushAnswer> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let approved = match get("type")? {
        "challenge.approved" => true,
        "challenge.denied" => false,
        _ => return None,
    };
    let challenge = get("challenge_sid").filter(|s| s.starts_with("YC") && s.len() <= 64)?;
    let subject = subject_of(get("entity_identity")?)?;
    let uuid = get("uuid").filter(|u| !u.is_empty() && u.len() <= 128)?;
    Some(PushAnswer::new(
        challenge.to_owned(),
        subject,
        approved,
        format!("verify-webhook:{uuid}"),
        None,
    ))
}

/// Reads a signed webhook body as the callback route does: `Some((challenge, subject,
/// approved))` for a push answer. For fuzzing.
#[cfg(feature = "fuzzing")]
pub fn parse_for_fuzzing(body: &[u8]) -> Option<(String, u64, bool)> {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    parse_webhook(&params).map(|a| (a.push_id, a.subject, a.approved))
}

/// The string Twilio signs for a form body posted to `url`. For fuzzing.
#[cfg(feature = "fuzzing")]
pub fn canonical_for_fuzzing(url: &str, body: &[u8]) -> String {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    signature::canonical(url, &params)
}

/// Whether `signature` is Twilio's signature of a form body posted to `url`. For fuzzing.
#[cfg(feature = "fuzzing")]
pub fn verify_for_fuzzing(token: &[u8], url: &str, body: &[u8], signature: &str) -> bool {
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    signature::verify(token, url, &params, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip_and_reject_others() {
        assert_eq!(identity(0x2a), "ta-000000000000002a");
        assert_eq!(subject_of(&identity(u64::MAX >> 11)), Some(u64::MAX >> 11));
        for other in [
            "ta-2a",
            "user-0001",
            "ta-zzzzzzzzzzzzzzzz",
            "ta-000000000000002A",
            "ta-+00000000000002a",
            "ta-000000000000002a0",
        ] {
            assert_eq!(subject_of(other), None, "{other}");
        }
    }

    #[test]
    fn only_push_answers_about_our_entities_are_read() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let good = [
            ("type", "challenge.denied"),
            ("challenge_sid", "YC1"),
            ("entity_identity", "ta-000000000000002a"),
            ("uuid", "u1"),
        ];
        let a = parse_webhook(&p(&good)).unwrap();
        assert_eq!(
            (a.push_id.as_str(), a.subject, a.approved),
            ("YC1", 0x2a, false)
        );
        for (k, v) in [
            ("type", "factor.created"),
            ("challenge_sid", "CA1"),
            ("entity_identity", "bob"),
            ("uuid", ""),
        ] {
            let mut bad = good.to_vec();
            bad.retain(|(n, _)| *n != k);
            bad.push((k, v));
            assert!(parse_webhook(&p(&bad)).is_none(), "{k}={v}");
        }
    }
}

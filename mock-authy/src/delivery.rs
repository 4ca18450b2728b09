//! Delivering OneTouch callbacks: the body shaped like Authy's, signed, sent with retries; and
//! deciding an approval request, which triggers one.

use crate::authy::ControlError;
use crate::authy::{ApprovalRequest, ApprovalStatus, OneTouchBehaviour};
use crate::callback::{CallbackDelivery, CallbackMethod, DeliveryAttempt, SentCallback};
use crate::signature;
use crate::state::Inner;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

impl Inner {
    /// Approves or denies a pending request, then delivers the callback (if one is configured).
    pub(crate) async fn decide(
        self: &Arc<Self>,
        uuid: &str,
        to: ApprovalStatus,
    ) -> Result<(ApprovalRequest, Option<CallbackDelivery>), ControlError> {
        let now = self.clock.now();
        let approval = self.with_world(|w| w.authy.transition(uuid, to, now))?;
        tracing::info!(uuid, status = to.as_str(), "approval request decided");
        self.notify();
        let delivery = deliver(self, &approval).await;
        if let Some(d) = &delivery {
            self.with_world(|w| w.deliveries.push(d.clone()));
            self.notify();
        }
        Ok((approval, delivery))
    }

    /// Runs the user's automatic OneTouch behaviour for a new request, in the background.
    pub(crate) fn schedule_auto_answer(
        self: &Arc<Self>,
        uuid: String,
        behaviour: OneTouchBehaviour,
    ) {
        let (to, after_ms) = match behaviour {
            OneTouchBehaviour::AutoApprove { after_ms } => (ApprovalStatus::Approved, after_ms),
            OneTouchBehaviour::AutoDeny { after_ms } => (ApprovalStatus::Denied, after_ms),
            OneTouchBehaviour::Manual | OneTouchBehaviour::NoDevice => return,
        };
        let inner = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
            // Already decided or expired by hand: nothing to do.
            let _ = inner.decide(&uuid, to).await;
        });
    }
}

/// The callback body, shaped like Authy's 2017+ payloads.
pub(crate) fn body(inner: &Inner, a: &ApprovalRequest, nonce_time: i64) -> Value {
    let device_id = 2_000_000 + a.authy_id % 1_000_000;
    // The device's own RSA signature: 256 opaque bytes that no receiver checks.
    let device_signature = {
        let mut seed = [0u8; 256];
        for (i, b) in a.uuid.bytes().cycle().take(256).enumerate() {
            seed[i] = b.wrapping_mul(31).wrapping_add(i as u8);
        }
        data_encoding::BASE64.encode(&seed)
    };
    let status = a.status.as_str();
    json!({
        "authy_id": a.authy_id,
        "device_uuid": device_id,
        "callback_action": "approval_request_status",
        "uuid": a.uuid,
        "status": status,
        "approval_request": {
            "transaction": {
                "details": a.details,
                "device_details": {},
                "device_geolocation": "",
                "device_signing_time": nonce_time,
                "encrypted": false,
                "flagged": false,
                "hidden_details": a.hidden_details,
                "message": a.message,
                "reason": "",
                "requester_details": null,
                "status": status,
                "uuid": a.uuid,
                "created_at_time": a.created_at,
                "customer_uuid": 15083,
            },
            "expiration_timestamp": a.expires_at().unwrap_or(0),
            "logos": a.logos,
            "app_id": app_id(&inner.config.app_name),
        },
        "signature": device_signature,
        "device": {
            "city": null, "country": "Mockland", "ip": "127.0.0.1", "region": null,
            "registration_city": null, "registration_country": "Mockland",
            "registration_ip": "127.0.0.1", "registration_method": "sms", "registration_region": null,
            "os_type": "android", "last_account_recovery_at": null, "id": device_id,
            "registration_date": a.created_at, "last_sync_date": a.created_at,
        },
    })
}

/// A stable 24-hex-digit id derived from the app's name.
pub(crate) fn app_id(name: &str) -> String {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{h:016x}5835eb7e")
}

/// Builds and signs the request for a decided approval request.
pub(crate) fn build(
    inner: &Inner,
    a: &ApprovalRequest,
    url: &str,
    method: CallbackMethod,
) -> SentCallback {
    let now = inner.clock.now();
    let nonce = now.to_string();
    let body = body(inner, a, now);
    let key = &inner.config.api_key;
    match method {
        CallbackMethod::Post => {
            let canonical = signature::canonical_json(&body);
            SentCallback {
                method,
                url: url.to_owned(),
                body: body.to_string(),
                signature: signature::sign(key, &nonce, "POST", url, &canonical),
                nonce,
            }
        }
        CallbackMethod::Get => {
            // The canonical form is itself a valid, sorted query string.
            let query = signature::canonical_json(&body);
            let canonical = signature::canonical_query(&query);
            let sep = if url.contains('?') { '&' } else { '?' };
            SentCallback {
                method,
                url: format!("{url}{sep}{query}"),
                body: String::new(),
                signature: signature::sign(key, &nonce, "GET", url, &canonical),
                nonce,
            }
        }
    }
}

/// Delivers the callback with bounded retries. `None` when no callback URL is configured or the
/// request was not approved or denied (Authy sends none for expiry).
pub(crate) async fn deliver(inner: &Arc<Inner>, a: &ApprovalRequest) -> Option<CallbackDelivery> {
    if !matches!(a.status, ApprovalStatus::Approved | ApprovalStatus::Denied) {
        return None;
    }
    let target = inner.callback_target()?;
    let sent = build(inner, a, &target.url, target.method);
    let (attempts, delivered) = with_retries(inner, || {
        match sent.method {
            CallbackMethod::Post => inner
                .http
                .post(&sent.url)
                .header("content-type", "application/json")
                .body(sent.body.clone()),
            CallbackMethod::Get => inner.http.get(&sent.url),
        }
        .header("x-authy-signature", &sent.signature)
        .header("x-authy-signature-nonce", &sent.nonce)
    })
    .await;
    tracing::info!(uuid = %a.uuid, delivered, attempts = attempts.len(), "callback delivery finished");
    Some(CallbackDelivery {
        uuid: a.uuid.clone(),
        status: a.status,
        request: sent,
        attempts,
        delivered,
    })
}

/// Sends what `request` builds until a 2xx, a 4xx (the receiver refused it; the same bytes
/// cannot do better) or the configured attempts run out, backing off between attempts.
pub(crate) async fn with_retries(
    inner: &Inner,
    request: impl Fn() -> reqwest::RequestBuilder,
) -> (Vec<DeliveryAttempt>, bool) {
    let mut attempts = Vec::new();
    let mut delivered = false;
    let mut backoff = inner.config.callback_backoff;
    for attempt in 1..=inner.config.callback_attempts {
        if attempt > 1 {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
        let started_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let t0 = Instant::now();
        let sent = request()
            .timeout(inner.config.callback_timeout)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(resp) => (Some(resp.status().as_u16()), None),
            Err(e) => (None, Some(describe(&e))),
        };
        attempts.push(DeliveryAttempt {
            attempt,
            status,
            error,
            started_at_ms,
            duration_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        if status.is_some_and(|s| (200..300).contains(&s)) {
            delivered = true;
            break;
        }
        if status.is_some_and(|s| (400..500).contains(&s)) {
            break;
        }
    }
    (attempts, delivered)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection refused".into()
    } else {
        "transport error".into()
    }
}

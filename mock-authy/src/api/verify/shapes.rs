//! Each Verify v2 resource as JSON, shaped like Twilio's answers.

use super::resources::Ctx;
use crate::api::endpoints::iso8601;
use crate::verify::{Factor, Service, VerifyChallenge, VerifyCode, VerifyCodeStatus, Webhook};
use serde_json::{Value, json};

pub(super) fn service_json(ctx: &Ctx<'_>, s: &Service) -> Value {
    let url = format!("{}/Services/{}", ctx.base, s.sid);
    json!({
        "sid": s.sid, "account_sid": ctx.account, "friendly_name": s.friendly_name,
        "code_length": s.code_length, "lookup_enabled": false, "psd2_enabled": false,
        "skip_sms_to_landlines": false, "dtmf_input_required": true, "tts_name": null,
        "do_not_share_warning_enabled": false, "custom_code_enabled": true,
        "push": {"include_date": false, "apn_credential_sid": null, "fcm_credential_sid": null},
        "totp": {"issuer": s.friendly_name, "time_step": 30, "code_length": 6, "skew": 1},
        "default_template_sid": null, "verify_event_subscription_enabled": false,
        "date_created": iso8601(s.created_at), "date_updated": iso8601(s.created_at), "url": url,
        "links": {
            "verifications": format!("{url}/Verifications"), "verification_checks": format!("{url}/VerificationCheck"),
            "entities": format!("{url}/Entities"), "webhooks": format!("{url}/Webhooks"),
        },
    })
}

/// A verification, or (with `check_sid`) the answer of a check.
pub(super) fn code_json(ctx: &Ctx<'_>, c: &VerifyCode, check_sid: Option<String>) -> Value {
    let mut body = json!({
        "sid": c.sid, "service_sid": c.service_sid, "account_sid": ctx.account, "to": c.to,
        "channel": c.channel, "status": c.status.as_str(),
        "valid": c.status == VerifyCodeStatus::Approved, "amount": null, "payee": null,
        "date_created": iso8601(c.created_at), "date_updated": iso8601(ctx.now),
    });
    if check_sid.is_some() {
        body["sna_attempts_error_codes"] = json!([]);
    } else {
        body["lookup"] = json!({"carrier": null});
        body["send_code_attempts"] = json!([{"attempt_sid": c.sid.replacen("VE", "VL", 1), "channel": c.channel, "time": iso8601(c.created_at)}]);
        body["sna"] = Value::Null;
        body["url"] = json!(format!(
            "{}/Services/{}/Verifications/{}",
            ctx.base, c.service_sid, c.sid
        ));
    }
    body
}

pub(super) fn entity_json(ctx: &Ctx<'_>, e: &(String, String, String, i64)) -> Value {
    let url = format!("{}/Services/{}/Entities/{}", ctx.base, e.0, e.1);
    json!({
        "sid": e.2, "identity": e.1, "account_sid": ctx.account, "service_sid": e.0,
        "date_created": iso8601(e.3), "date_updated": iso8601(e.3), "url": url,
        "links": {"factors": format!("{url}/Factors"), "challenges": format!("{url}/Challenges")},
    })
}

pub(super) fn factor_json(ctx: &Ctx<'_>, f: &Factor, with_binding: bool) -> Value {
    let mut body = json!({
        "sid": f.sid, "account_sid": ctx.account, "service_sid": f.service_sid,
        "entity_sid": f.entity_sid, "identity": f.identity,
        "date_created": iso8601(f.created_at), "date_updated": iso8601(ctx.now),
        "friendly_name": f.friendly_name, "status": if f.verified { "verified" } else { "unverified" },
        "factor_type": if f.push { "push" } else { "totp" }, "config": f.config, "metadata": f.metadata,
        "url": format!("{}/Services/{}/Entities/{}/Factors/{}", ctx.base, f.service_sid, f.identity, f.sid),
    });
    if with_binding && !f.push {
        let secret = data_encoding::BASE32_NOPAD.encode(&f.secret);
        let uri = format!(
            "otpauth://totp/{}?secret={secret}&issuer=mock-authy&algorithm=SHA1&digits={}&period={}",
            form_urlencoded::byte_serialize(f.friendly_name.as_bytes())
                .collect::<String>()
                .replace('+', "%20"),
            f.code_length,
            f.time_step
        );
        body["binding"] = json!({"secret": secret, "uri": uri});
    }
    body
}

pub(super) fn challenge_json(ctx: &Ctx<'_>, c: &VerifyChallenge) -> Value {
    let url = format!(
        "{}/Services/{}/Entities/{}/Challenges/{}",
        ctx.base, c.service_sid, c.identity, c.sid
    );
    json!({
        "sid": c.sid, "account_sid": ctx.account, "service_sid": c.service_sid,
        "entity_sid": c.entity_sid, "identity": c.identity, "factor_sid": c.factor_sid,
        "date_created": iso8601(c.created_at), "date_updated": iso8601(c.responded_at.unwrap_or(c.created_at)),
        "date_responded": c.responded_at.map(iso8601), "expiration_date": iso8601(c.expires_at),
        "status": c.status.as_str(), "responded_reason": "none",
        "details": {"message": c.message, "date": iso8601(c.created_at), "fields": c.fields},
        "hidden_details": c.hidden_details, "metadata": null, "factor_type": c.factor_type, "url": url,
        "links": {"notifications": format!("{url}/Notifications")},
    })
}

pub(super) fn webhook_json(ctx: &Ctx<'_>, h: &Webhook) -> Value {
    json!({
        "sid": h.sid, "service_sid": h.service_sid, "account_sid": ctx.account,
        "friendly_name": h.friendly_name, "event_types": h.event_types,
        "status": if h.enabled { "enabled" } else { "disabled" }, "version": h.version,
        "webhook_url": h.url, "webhook_method": "POST",
        "date_created": iso8601(h.created_at), "date_updated": iso8601(h.created_at),
        "url": format!("{}/Services/{}/Webhooks/{}", ctx.base, h.service_sid, h.sid),
    })
}

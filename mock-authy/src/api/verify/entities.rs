//! Entities, their push and TOTP factors, challenges and webhook subscriptions.

use super::resources::{Answer, Ctx, fail, invalid, not_found, ok};
use super::shapes::{challenge_json, entity_json, factor_json, webhook_json};
use super::{Form, all_values, first};
use crate::authy::OneTouchBehaviour;
use crate::rng::Rng;
use crate::verify::{
    CHALLENGE_MAX_TTL, CHALLENGE_TTL, ChallengeStatus, Factor, VerifyChallenge, VerifyWorld,
    Webhook, sid,
};
use http::StatusCode;
use serde_json::{Value, json};

pub(super) fn create_entity(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    rng: &mut Rng,
    s: &str,
    form: &Form,
) -> Answer {
    let Some(identity) = first(form, "Identity").filter(|i| valid_identity(i)) else {
        return fail(StatusCode::BAD_REQUEST, 60360, "Invalid identity");
    };
    if v.entity(s, identity).is_some() {
        return fail(StatusCode::CONFLICT, 60359, "Entity already exists");
    }
    let entity = ensure_entity(ctx, v, rng, s, identity);
    ok(StatusCode::CREATED, &entity_json(ctx, &entity))
}

fn valid_identity(i: &str) -> bool {
    (8..=64).contains(&i.len())
        && i.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The entity, created when new. A new entity's simulated phone has the app with the Verify
/// SDK, so it gets a verified push factor, unless phones start without a device.
fn ensure_entity(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    rng: &mut Rng,
    s: &str,
    identity: &str,
) -> (String, String, String, i64) {
    if let Some(e) = v.entity(s, identity) {
        return e.clone();
    }
    let entity = (s.to_owned(), identity.to_owned(), sid(rng, "YE"), ctx.now);
    v.entities.push(entity.clone());
    if ctx.auto != OneTouchBehaviour::NoDevice {
        v.factors.push(Factor {
            sid: sid(rng, "YF"),
            service_sid: s.to_owned(),
            entity_sid: entity.2.clone(),
            identity: identity.to_owned(),
            friendly_name: "Mock phone".to_owned(),
            push: true,
            verified: true,
            secret: Vec::new(),
            time_step: 30,
            skew: 1,
            code_length: 6,
            metadata: Value::Null,
            config: json!({"sdk_version": "mock", "app_id": "mock-authy", "notification_platform": "none", "notification_token": null}),
            created_at: ctx.now,
        });
    }
    entity
}

fn bounded(
    form: &Form,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Option<i64> {
    match first(form, name) {
        None => Some(default),
        Some(t) => t.parse().ok().filter(|n| range.contains(n)),
    }
}

pub(super) fn create_factor(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    rng: &mut Rng,
    s: &str,
    id: &str,
    form: &Form,
) -> Answer {
    if !valid_identity(id) {
        return fail(StatusCode::BAD_REQUEST, 60360, "Invalid identity");
    }
    let Some(name) = first(form, "FriendlyName").filter(|n| !n.is_empty() && n.len() <= 64) else {
        return invalid("FriendlyName");
    };
    let push = match first(form, "FactorType") {
        Some("push") => true,
        Some("totp") => false,
        _ => return invalid("FactorType"),
    };
    let metadata = match first(form, "Metadata").map(serde_json::from_str::<Value>) {
        None => Value::Null,
        Some(Ok(m @ Value::Object(_))) => m,
        Some(_) => return invalid("Metadata"),
    };
    let (Some(step), Some(skew), Some(length)) = (
        bounded(form, "Config.TimeStep", 20..=60, 30),
        bounded(form, "Config.Skew", 0..=2, 1),
        bounded(form, "Config.CodeLength", 3..=8, 6),
    ) else {
        return invalid("Config");
    };
    if first(form, "Config.Alg").is_some_and(|a| a != "sha1") {
        return fail(
            StatusCode::BAD_REQUEST,
            60200,
            "Invalid parameter: Config.Alg (the mock knows sha1 only)",
        );
    }
    let secret = match first(form, "Binding.Secret") {
        Some(b) => match data_encoding::BASE32_NOPAD.decode(b.trim_end_matches('=').as_bytes()) {
            Ok(bytes) if bytes.len() >= 10 => bytes,
            _ => return invalid("Binding.Secret"),
        },
        None => rng.bytes::<20>().to_vec(),
    };
    let entity = ensure_entity(ctx, v, rng, s, id);
    let config = if push {
        json!({
            "sdk_version": first(form, "Config.SdkVersion"), "app_id": first(form, "Config.AppId"),
            "notification_platform": first(form, "Config.NotificationPlatform").unwrap_or("none"),
            "notification_token": first(form, "Config.NotificationToken"),
        })
    } else {
        json!({"alg": "sha1", "code_length": length, "skew": skew, "time_step": step})
    };
    let factor = Factor {
        sid: sid(rng, "YF"),
        service_sid: s.to_owned(),
        entity_sid: entity.2,
        identity: id.to_owned(),
        friendly_name: name.to_owned(),
        push,
        verified: false,
        secret,
        time_step: step,
        skew,
        code_length: u32::try_from(length).unwrap_or(6),
        metadata,
        config,
        created_at: ctx.now,
    };
    let body = factor_json(ctx, &factor, true);
    v.factors.push(factor);
    ok(StatusCode::CREATED, &body)
}

pub(super) fn verify_factor(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    s: &str,
    id: &str,
    f: &str,
    form: &Form,
) -> Answer {
    let VerifyWorld {
        factors,
        used_steps,
        ..
    } = v;
    let Some(factor) = factors
        .iter_mut()
        .find(|x| x.service_sid == s && x.identity == id && x.sid == f)
    else {
        return not_found();
    };
    if let Some(name) = first(form, "FriendlyName") {
        factor.friendly_name = name.to_owned();
    }
    if let Some(payload) = first(form, "AuthPayload") {
        // A push factor's payload is the SDK's signature, which the mock does not check.
        if factor.push || VerifyWorld::totp_matches(factor, used_steps, payload, ctx.now) {
            factor.verified = true;
        }
    }
    let body = factor_json(ctx, factor, false);
    ok(StatusCode::OK, &body)
}

fn parse_time(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp)
}

/// `Details.Fields`: each a JSON `{"label", "value"}`, label ≤ 36, value ≤ 128, at most 20.
fn fields(form: &Form) -> Option<Vec<Value>> {
    let given = all_values(form, "Details.Fields");
    if given.len() > 20 {
        return None;
    }
    given
        .into_iter()
        .map(|f| {
            let v: Value = serde_json::from_str(f).ok()?;
            let label = v.get("label")?.as_str()?;
            let value = v.get("value")?.as_str()?;
            (label.chars().count() <= 36 && value.chars().count() <= 128)
                .then(|| json!({"label": label, "value": value}))
        })
        .collect()
}

pub(super) fn create_challenge(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    rng: &mut Rng,
    s: &str,
    id: &str,
    form: &Form,
) -> Answer {
    let Some(factor_sid) = first(form, "FactorSid") else {
        return invalid("FactorSid");
    };
    let VerifyWorld {
        factors,
        used_steps,
        challenges,
        ..
    } = v;
    let Some(factor) = factors
        .iter()
        .find(|x| x.service_sid == s && x.identity == id && x.sid == factor_sid)
    else {
        return not_found();
    };
    if !factor.verified {
        return fail(StatusCode::BAD_REQUEST, 60311, "Factor is not verified");
    }
    let expires_at = match first(form, "ExpirationDate").map(parse_time) {
        None => ctx.now + CHALLENGE_TTL,
        Some(Some(t)) if t > ctx.now && t - ctx.now <= CHALLENGE_MAX_TTL => t,
        Some(_) => return invalid("ExpirationDate"),
    };
    let message = first(form, "Details.Message").unwrap_or("");
    if factor.push && (message.is_empty() || message.chars().count() > 256) {
        return invalid("Details.Message");
    }
    let Some(fields) = fields(form) else {
        return invalid("Details.Fields");
    };
    let hidden = match first(form, "HiddenDetails") {
        None => Value::Null,
        Some(h) => match serde_json::from_str::<Value>(h) {
            Ok(Value::Object(m)) if h.len() <= 1024 && m.values().all(Value::is_string) => {
                Value::Object(m)
            }
            _ => return invalid("HiddenDetails"),
        },
    };
    let status = if factor.push {
        ChallengeStatus::Pending
    } else {
        let Some(payload) = first(form, "AuthPayload").filter(|p| (3..=8).contains(&p.len()))
        else {
            return invalid("AuthPayload");
        };
        if VerifyWorld::totp_matches(factor, used_steps, payload, ctx.now) {
            ChallengeStatus::Approved
        } else {
            ChallengeStatus::Pending
        }
    };
    let challenge = VerifyChallenge {
        sid: sid(rng, "YC"),
        service_sid: s.to_owned(),
        identity: id.to_owned(),
        entity_sid: factor.entity_sid.clone(),
        factor_sid: factor.sid.clone(),
        factor_type: if factor.push { "push" } else { "totp" }.to_owned(),
        status,
        message: message.to_owned(),
        fields,
        hidden_details: hidden,
        created_at: ctx.now,
        expires_at,
        responded_at: (status == ChallengeStatus::Approved).then_some(ctx.now),
    };
    let body = challenge_json(ctx, &challenge);
    let event = factor.push.then(|| challenge.sid.clone());
    challenges.push(challenge);
    Answer {
        event,
        ..ok(StatusCode::CREATED, &body)
    }
}

pub(super) fn respond(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    s: &str,
    id: &str,
    c: &str,
    form: &Form,
) -> Answer {
    let VerifyWorld {
        factors,
        used_steps,
        challenges,
        ..
    } = v;
    let Some(challenge) = challenges
        .iter_mut()
        .find(|x| x.service_sid == s && x.identity == id && x.sid == c)
    else {
        return not_found();
    };
    match challenge.status {
        ChallengeStatus::Pending => {}
        ChallengeStatus::Expired => return fail(StatusCode::FORBIDDEN, 60323, "Challenge expired"),
        _ => {
            return fail(
                StatusCode::BAD_REQUEST,
                60319,
                "Challenge already responded",
            );
        }
    }
    let Some(payload) = first(form, "AuthPayload") else {
        return invalid("AuthPayload");
    };
    let Some(factor) = factors.iter().find(|f| f.sid == challenge.factor_sid) else {
        return not_found();
    };
    if factor.push || VerifyWorld::totp_matches(factor, used_steps, payload, ctx.now) {
        challenge.status = ChallengeStatus::Approved;
        challenge.responded_at = Some(ctx.now);
    }
    let body = challenge_json(ctx, challenge);
    ok(StatusCode::OK, &body)
}

pub(super) fn create_webhook(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    rng: &mut Rng,
    s: &str,
    form: &Form,
) -> Answer {
    const EVENTS: [&str; 6] = [
        "*",
        "factor.deleted",
        "factor.created",
        "factor.verified",
        "challenge.approved",
        "challenge.denied",
    ];
    let Some(name) = first(form, "FriendlyName").filter(|n| !n.is_empty()) else {
        return invalid("FriendlyName");
    };
    let events = all_values(form, "EventTypes");
    if events.is_empty() || events.iter().any(|e| !EVENTS.contains(e)) {
        return invalid("EventTypes");
    }
    let Some(url) = first(form, "WebhookUrl")
        .filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
    else {
        return invalid("WebhookUrl");
    };
    let enabled = match first(form, "Status") {
        None | Some("enabled") => true,
        Some("disabled") => false,
        Some(_) => return invalid("Status"),
    };
    let version = match first(form, "Version") {
        None | Some("v2") => "v2",
        Some("v1") => "v1",
        Some(_) => return invalid("Version"),
    };
    let hook = Webhook {
        sid: sid(rng, "YW"),
        service_sid: s.to_owned(),
        friendly_name: name.to_owned(),
        event_types: events.into_iter().map(str::to_owned).collect(),
        url: url.to_owned(),
        enabled,
        version: version.to_owned(),
        created_at: ctx.now,
    };
    let body = webhook_json(ctx, &hook);
    v.webhooks.push(hook);
    ok(StatusCode::CREATED, &body)
}

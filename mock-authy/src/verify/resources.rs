//! Each Verify v2 resource: validation, the state change, and the answer shaped like Twilio's.

use super::model::{
    CHALLENGE_MAX_TTL, CHALLENGE_TTL, CHECK_ATTEMPTS, ChallengeStatus, Factor, Service,
    VerifyChallenge, VerifyCode, VerifyCodeStatus, VerifyWorld, Webhook, sid,
};
use super::{Form, all_values, error, first, page};
use crate::api::endpoints::iso8601;
use crate::api::json_response;
use crate::model::OneTouchBehaviour;
use crate::rng::Rng;
use crate::state::Inner;
use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// An answer, and the push challenge it created (for the phone's automatic answer).
pub(crate) struct Answer {
    pub(crate) response: Response,
    pub(crate) status: u16,
    pub(crate) event: Option<String>,
}

fn ok(status: StatusCode, body: &Value) -> Answer {
    Answer {
        response: json_response(status, body),
        status: status.as_u16(),
        event: None,
    }
}

fn fail(status: StatusCode, code: u32, message: &str) -> Answer {
    let (response, status) = error(status, code, message);
    Answer {
        response,
        status,
        event: None,
    }
}

fn not_found() -> Answer {
    fail(
        StatusCode::NOT_FOUND,
        20404,
        "The requested resource was not found",
    )
}

fn invalid(what: &str) -> Answer {
    fail(
        StatusCode::BAD_REQUEST,
        60200,
        &format!("Invalid parameter: {what}"),
    )
}

fn deleted() -> Answer {
    Answer {
        response: json_response(StatusCode::NO_CONTENT, &Value::Null),
        status: 204,
        event: None,
    }
}

/// Everything a resource needs.
struct Ctx<'a> {
    base: String,
    account: &'a str,
    now: i64,
    auto: OneTouchBehaviour,
    sends: Option<crate::model::RateLimit>,
}

pub(crate) fn answer(
    inner: &Inner,
    method: &Method,
    segs: &[&str],
    form: &Form,
    now: i64,
) -> Answer {
    let path = format!("/{}", segs.join("/"));
    inner.with_world(|w| {
        let ctx = Ctx {
            base: format!("{}/v2", inner.base_url),
            account: &inner.config.twilio.account_sid,
            now,
            auto: inner.config.default_onetouch,
            sends: w.rate_limits.verify_sends,
        };
        let (verify, rng) = (&mut w.verify, &mut w.rng);
        verify.expire(now);
        route(&ctx, verify, rng, method, segs, form, &path, inner)
    })
}

#[allow(clippy::too_many_arguments)]
fn route(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    rng: &mut Rng,
    method: &Method,
    segs: &[&str],
    form: &Form,
    path: &str,
    inner: &Inner,
) -> Answer {
    let (get, post, delete) = (
        method == Method::GET,
        method == Method::POST,
        method == Method::DELETE,
    );
    match segs {
        ["v2", "Services"] if post => create_service(ctx, v, rng, form),
        ["v2", "Services"] if get => {
            let items = v.services.iter().map(|s| service_json(ctx, s)).collect();
            ok(StatusCode::OK, &page(inner, path, "services", items))
        }
        ["v2", "Services", s] if get => match v.service(s) {
            Some(s) => ok(StatusCode::OK, &service_json(ctx, s)),
            None => not_found(),
        },
        ["v2", "Services", s, ..] if v.service(s).is_none() => not_found(),
        [_, _, s, "Verifications"] if post => start(ctx, v, rng, s, form),
        [_, _, s, "Verifications", sid] if get || post => verification(ctx, v, s, sid, form, post),
        [_, _, s, "VerificationCheck"] if post => check(ctx, v, rng, s, form),
        [_, _, s, "Entities"] if post => create_entity(ctx, v, rng, s, form),
        [_, _, s, "Entities"] if get => {
            let items = v
                .entities
                .iter()
                .filter(|e| e.0 == *s)
                .map(|e| entity_json(ctx, e))
                .collect();
            ok(StatusCode::OK, &page(inner, path, "entities", items))
        }
        [_, _, s, "Entities", id] if get => match v.entity(s, id) {
            Some(e) => ok(StatusCode::OK, &entity_json(ctx, e)),
            None => not_found(),
        },
        [_, _, s, "Entities", id] if delete => {
            let before = v.entities.len();
            v.entities.retain(|e| !(e.0 == *s && e.1 == *id));
            v.factors
                .retain(|f| !(f.service_sid == *s && f.identity == *id));
            if v.entities.len() == before {
                not_found()
            } else {
                deleted()
            }
        }
        [_, _, s, "Entities", id, "Factors"] if post => create_factor(ctx, v, rng, s, id, form),
        [_, _, s, "Entities", id, "Factors"] if get => {
            let items = v
                .factors
                .iter()
                .filter(|f| f.service_sid == *s && f.identity == *id)
                .map(|f| factor_json(ctx, f, false))
                .collect();
            ok(StatusCode::OK, &page(inner, path, "factors", items))
        }
        [_, _, s, "Entities", id, "Factors", f] if get => match v.factor_mut(s, id, f) {
            Some(f) => ok(StatusCode::OK, &factor_json(ctx, f, false)),
            None => not_found(),
        },
        [_, _, s, "Entities", id, "Factors", f] if post => verify_factor(ctx, v, s, id, f, form),
        [_, _, s, "Entities", id, "Factors", f] if delete => {
            let before = v.factors.len();
            v.factors
                .retain(|x| !(x.service_sid == *s && x.identity == *id && x.sid == *f));
            if v.factors.len() == before {
                not_found()
            } else {
                deleted()
            }
        }
        [_, _, s, "Entities", id, "Challenges"] if post => {
            create_challenge(ctx, v, rng, s, id, form)
        }
        [_, _, s, "Entities", id, "Challenges"] if get => {
            let items = v
                .challenges
                .iter()
                .filter(|c| c.service_sid == *s && c.identity == *id)
                .filter(|c| first(form, "FactorSid").is_none_or(|f| c.factor_sid == f))
                .filter(|c| first(form, "Status").is_none_or(|st| c.status.as_str() == st))
                .map(|c| challenge_json(ctx, c))
                .collect();
            ok(StatusCode::OK, &page(inner, path, "challenges", items))
        }
        [_, _, s, "Entities", id, "Challenges", c] if get => {
            match v
                .challenges
                .iter()
                .find(|x| x.service_sid == *s && x.identity == *id && x.sid == *c)
            {
                Some(c) => ok(StatusCode::OK, &challenge_json(ctx, c)),
                None => not_found(),
            }
        }
        [_, _, s, "Entities", id, "Challenges", c] if post => respond(ctx, v, s, id, c, form),
        [_, _, s, "Webhooks"] if post => create_webhook(ctx, v, rng, s, form),
        [_, _, s, "Webhooks"] if get => {
            let items = v
                .webhooks
                .iter()
                .filter(|h| h.service_sid == *s)
                .map(|h| webhook_json(ctx, h))
                .collect();
            ok(StatusCode::OK, &page(inner, path, "webhooks", items))
        }
        [_, _, s, "Webhooks", h] if get => match v
            .webhooks
            .iter()
            .find(|x| x.service_sid == *s && x.sid == *h)
        {
            Some(h) => ok(StatusCode::OK, &webhook_json(ctx, h)),
            None => not_found(),
        },
        [_, _, s, "Webhooks", h] if delete => {
            let before = v.webhooks.len();
            v.webhooks.retain(|x| !(x.service_sid == *s && x.sid == *h));
            if v.webhooks.len() == before {
                not_found()
            } else {
                deleted()
            }
        }
        _ => fail(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed"),
    }
}

fn create_service(ctx: &Ctx<'_>, v: &mut VerifyWorld, rng: &mut Rng, form: &Form) -> Answer {
    let Some(name) = first(form, "FriendlyName").filter(|n| !n.is_empty() && n.len() <= 30) else {
        return invalid("FriendlyName");
    };
    let code_length = match first(form, "CodeLength").map(str::parse::<usize>) {
        None => 6,
        Some(Ok(n)) if (4..=10).contains(&n) => n,
        Some(_) => return invalid("CodeLength"),
    };
    let service = Service {
        sid: sid(rng, "VA"),
        friendly_name: name.to_owned(),
        code_length,
        created_at: ctx.now,
    };
    let body = service_json(ctx, &service);
    v.services.push(service);
    ok(StatusCode::CREATED, &body)
}

/// `+` and 8 to 15 digits.
fn e164(to: &str) -> bool {
    to.strip_prefix('+')
        .is_some_and(|d| (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

fn start(ctx: &Ctx<'_>, v: &mut VerifyWorld, rng: &mut Rng, service: &str, form: &Form) -> Answer {
    let Some(channel) = first(form, "Channel").filter(|c| matches!(*c, "sms" | "call" | "email"))
    else {
        return invalid("Channel");
    };
    let to = first(form, "To").unwrap_or("");
    let to_ok = if channel == "email" {
        to.contains('@') && to.len() <= 254
    } else {
        e164(to)
    };
    if !to_ok {
        return fail(StatusCode::BAD_REQUEST, 60200, "Invalid parameter `To`");
    }
    let custom = first(form, "CustomCode");
    if custom.is_some_and(|c| {
        !(4..=10).contains(&c.len()) || !c.bytes().all(|b| b.is_ascii_alphanumeric())
    }) {
        return invalid("CustomCode");
    }
    if ctx
        .sends
        .is_some_and(|l| v.recent_sends(service, to, ctx.now, l.per_seconds) >= l.max as usize)
    {
        return fail(
            StatusCode::TOO_MANY_REQUESTS,
            60203,
            "Max send attempts reached",
        );
    }
    let length = v.service(service).map_or(6, |s| s.code_length);
    // A new send to a number with a pending verification replaces it, as a resend does.
    if let Some(old) = v.pending_code(service, to) {
        old.status = VerifyCodeStatus::Canceled;
    }
    let code = VerifyCode {
        sid: sid(rng, "VE"),
        service_sid: service.to_owned(),
        to: to.to_owned(),
        channel: channel.to_owned(),
        code: custom.map_or_else(|| rng.digits(length), str::to_owned),
        status: VerifyCodeStatus::Pending,
        wrong_checks: 0,
        created_at: ctx.now,
    };
    tracing::info!(sid = %code.sid, channel, "Verify code sent");
    let body = code_json(ctx, &code, None);
    v.codes.push(code);
    ok(StatusCode::CREATED, &body)
}

fn verification(
    ctx: &Ctx<'_>,
    v: &mut VerifyWorld,
    s: &str,
    sid: &str,
    form: &Form,
    post: bool,
) -> Answer {
    let Some(code) = v
        .codes
        .iter_mut()
        .find(|c| c.service_sid == s && c.sid == sid && c.status == VerifyCodeStatus::Pending)
    else {
        // Verify deletes a verification once it is approved, expired or out of attempts.
        return not_found();
    };
    if post {
        match first(form, "Status") {
            Some("canceled") => code.status = VerifyCodeStatus::Canceled,
            Some("approved") => code.status = VerifyCodeStatus::Approved,
            _ => return invalid("Status"),
        }
    }
    let body = code_json(ctx, code, None);
    ok(StatusCode::OK, &body)
}

fn check(ctx: &Ctx<'_>, v: &mut VerifyWorld, rng: &mut Rng, s: &str, form: &Form) -> Answer {
    let Some(given) = first(form, "Code").filter(|c| (4..=10).contains(&c.len())) else {
        return invalid("Code");
    };
    let Some(key) = first(form, "VerificationSid").or_else(|| first(form, "To")) else {
        return fail(
            StatusCode::BAD_REQUEST,
            60200,
            "Either a 'To' number or 'VerificationSid' must be specified",
        );
    };
    let Some(code) = v.pending_code(s, key) else {
        return not_found();
    };
    if subtle::ConstantTimeEq::ct_eq(code.code.as_bytes(), given.as_bytes()).into() {
        code.status = VerifyCodeStatus::Approved;
    } else {
        code.wrong_checks += 1;
        if code.wrong_checks >= CHECK_ATTEMPTS {
            code.status = VerifyCodeStatus::MaxAttemptsReached;
        }
    }
    let code = code.clone();
    ok(StatusCode::OK, &code_json(ctx, &code, Some(sid(rng, "VE"))))
}

fn create_entity(
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

fn create_factor(
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

fn verify_factor(
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

fn create_challenge(
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

fn respond(ctx: &Ctx<'_>, v: &mut VerifyWorld, s: &str, id: &str, c: &str, form: &Form) -> Answer {
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

fn create_webhook(
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

fn service_json(ctx: &Ctx<'_>, s: &Service) -> Value {
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
fn code_json(ctx: &Ctx<'_>, c: &VerifyCode, check_sid: Option<String>) -> Value {
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

fn entity_json(ctx: &Ctx<'_>, e: &(String, String, String, i64)) -> Value {
    let url = format!("{}/Services/{}/Entities/{}", ctx.base, e.0, e.1);
    json!({
        "sid": e.2, "identity": e.1, "account_sid": ctx.account, "service_sid": e.0,
        "date_created": iso8601(e.3), "date_updated": iso8601(e.3), "url": url,
        "links": {"factors": format!("{url}/Factors"), "challenges": format!("{url}/Challenges")},
    })
}

fn factor_json(ctx: &Ctx<'_>, f: &Factor, with_binding: bool) -> Value {
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

fn challenge_json(ctx: &Ctx<'_>, c: &VerifyChallenge) -> Value {
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

fn webhook_json(ctx: &Ctx<'_>, h: &Webhook) -> Value {
    json!({
        "sid": h.sid, "service_sid": h.service_sid, "account_sid": ctx.account,
        "friendly_name": h.friendly_name, "event_types": h.event_types,
        "status": if h.enabled { "enabled" } else { "disabled" }, "version": h.version,
        "webhook_url": h.url, "webhook_method": "POST",
        "date_created": iso8601(h.created_at), "date_updated": iso8601(h.created_at),
        "url": format!("{}/Services/{}/Webhooks/{}", ctx.base, h.service_sid, h.sid),
    })
}

//! Each Verify v2 resource: validation, the state change, and the answer shaped like Twilio's.

use super::entities::{
    create_challenge, create_entity, create_factor, create_webhook, respond, verify_factor,
};
use super::shapes::{
    challenge_json, code_json, entity_json, factor_json, service_json, webhook_json,
};
use super::{Form, error, first, page};
use crate::api::json_response;
use crate::authy::OneTouchBehaviour;
use crate::rng::Rng;
use crate::state::Inner;
use crate::verify::{CHECK_ATTEMPTS, Service, VerifyCode, VerifyCodeStatus, VerifyWorld, sid};
use axum::response::Response;
use http::{Method, StatusCode};
use serde_json::Value;

/// An answer, and the push challenge it created (for the phone's automatic answer).
pub(crate) struct Answer {
    pub(crate) response: Response,
    pub(crate) status: u16,
    pub(crate) event: Option<String>,
}

pub(super) fn ok(status: StatusCode, body: &Value) -> Answer {
    Answer {
        response: json_response(status, body),
        status: status.as_u16(),
        event: None,
    }
}

pub(super) fn fail(status: StatusCode, code: u32, message: &str) -> Answer {
    let (response, status) = error(status, code, message);
    Answer {
        response,
        status,
        event: None,
    }
}

pub(super) fn not_found() -> Answer {
    fail(
        StatusCode::NOT_FOUND,
        20404,
        "The requested resource was not found",
    )
}

pub(super) fn invalid(what: &str) -> Answer {
    fail(
        StatusCode::BAD_REQUEST,
        60200,
        &format!("Invalid parameter: {what}"),
    )
}

pub(super) fn deleted() -> Answer {
    Answer {
        response: json_response(StatusCode::NO_CONTENT, &Value::Null),
        status: 204,
        event: None,
    }
}

/// Everything a resource needs.
pub(super) struct Ctx<'a> {
    pub(super) base: String,
    pub(super) account: &'a str,
    pub(super) now: i64,
    pub(super) auto: OneTouchBehaviour,
    pub(super) sends: Option<crate::limits::RateLimit>,
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

//! Enrolment: `GET/POST /enrol` registers a phone with Authy, `POST /enrol/sms` sends a code,
//! `POST /enrol/confirm` proves the phone with a token and adds the factor. Mounted unless
//! enrolment is turned off.
//!
//! Invariants kept here:
//! - only a session whose first factor was just proved, for a user without a second factor,
//!   enrols, and only for that user; nothing the form sends names a user;
//! - the factor is written only after a token from that phone checks out, so a mistyped
//!   number locks nobody out; token attempts count against the per-login limit;
//! - an enrolment is bound to the user's state when it began: it expires with the login's
//!   deadline, and every step refuses it (ending it, writing nothing) once the user's second
//!   factor or credential epoch changed, or, in step-up mode, once the application's current
//!   user is somebody else; the factor is written with a compare-and-set on the factors it
//!   began with, so a password alone never replaces a factor set up meanwhile.

use crate::secret::Token;
use crate::session::Registered;
use crate::session::{self, Enrolling};
use crate::web::Shared_;
use crate::web::{Checked, NoFields};
use crate::web::{Handled, Rejection, Reply};
use crate::{enrolment, pages};
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

/// The session's enrolment while it still counts, or the answer for one that has none (back
/// to the login) or that no longer counts (ended, with a page saying so).
pub(crate) async fn current(
    shared: &crate::config::Shared,
    session: &Session,
    parts: &Parts,
    reply: &Reply<'_>,
) -> Result<Result<Enrolling, Response>, crate::store::StoreError> {
    let e = match session::enrolling(session).await? {
        Some(e) => e,
        None if reply.json => return Ok(Err(reply.no_login())),
        None => return Ok(Err(reply.redirect(&shared.start_path()))),
    };
    let Some(why) = stale(shared, parts, &e).await? else {
        return Ok(Ok(e));
    };
    session::end_enrolment(session).await?;
    tracing::warn!(event = "enrolment_refused", user_id = %e.user_id, reason = why, "enrolment no longer counts; ended, nothing written");
    let (status, id) = if why == "expired" {
        (StatusCode::FORBIDDEN, "problem-enrolment-expired")
    } else {
        (StatusCode::CONFLICT, "problem-enrolment-ended")
    };
    Ok(Err(reply.problem(status, id)))
}

/// Why enrolment `e` no longer counts, if it does not: past its deadline, the user gone or
/// (in step-up mode) no longer the application's current user, their credential epoch raised
/// or their second factor changed since it began.
async fn stale(
    shared: &crate::config::Shared,
    parts: &Parts,
    e: &Enrolling,
) -> Result<Option<&'static str>, crate::store::StoreError> {
    if shared.clock.now() >= e.expires_at {
        return Ok(Some("expired"));
    }
    let user = match &shared.step_up {
        None => shared.users.load(&e.user_id).await?,
        Some(step_up) => step_up
            .first_factor
            .current_user(parts)
            .await?
            .filter(|u| u.id == e.user_id),
    };
    let Some(user) = user else {
        return Ok(Some("not the current user"));
    };
    if user.credential_epoch != e.epoch {
        return Ok(Some("credential epoch raised"));
    }
    let now = crate::offer::held_ids(shared, &user.id).await?;
    let changed = !crate::factors::same_ids(now.iter().map(String::as_str), &e.factors_at_start);
    Ok(changed.then_some("second factor changed"))
}

/// The provider the enrolment registers with (fails closed when it is gone from the
/// configuration).
fn provider_of(
    shared: &crate::config::Shared,
    e: &Enrolling,
    reply: &Reply<'_>,
) -> Result<std::sync::Arc<dyn crate::SecondFactorProvider>, Box<Rejection>> {
    shared
        .provider_named(&e.provider)
        .cloned()
        .ok_or_else(|| Box::new(reply.unavailable().into()))
}

#[derive(Deserialize)]
pub(crate) struct Notice {
    sent: Option<String>,
    /// Where to go back to, for a session that starts enrolling here.
    return_to: Option<String>,
    /// Enrolment offered at login (a grace period), not demanded.
    offer: Option<String>,
}

/// A session logged in with the first factor alone, for a user without a factor, starts an
/// enrolment here: sent by a route whose policy requires one, or offered it at login. It stays
/// logged in meanwhile, and may skip an offered enrolment while the policy allows.
async fn begin_for_first_factor_session(
    shared: &crate::config::Shared,
    session: &Session,
    q: &Notice,
) -> Result<(), crate::store::StoreError> {
    if shared.step_up.is_some() || session::enrolling(session).await?.is_some() {
        return Ok(());
    }
    let Some(v) = session::signed_in(session)
        .await?
        .filter(|v| !v.second_factor)
    else {
        return Ok(());
    };
    let Some(user) = shared
        .users
        .load(&v.user_id)
        .await?
        .filter(|u| v.holds_for(u))
    else {
        return Ok(());
    };
    if !crate::offer::of_user(shared, &user).await?.is_empty() {
        return Ok(());
    }
    let return_to = crate::flow::login::return_to_or_default(shared, q.return_to.as_deref());
    let optional = q.offer.is_some() && !shared.policy.requires(&user, shared.clock.now());
    let enrolling = Enrolling {
        user_id: user.id.clone(),
        login: user.login.clone(),
        return_to: return_to.to_owned(),
        phone: None,
        factors_at_start: Vec::new(),
        provider: String::new(),
        epoch: user.credential_epoch,
        expires_at: shared.clock.now() + shared.challenge_ttl,
        skip_to: optional.then(|| return_to.to_owned()),
    };
    session::set_enrolling(session, &enrolling, false).await?;
    tracing::info!(event = "enrolment_started", user_id = %user.id, optional, "a session without a second factor sets one up");
    Ok(())
}

pub(crate) async fn page(
    Extension(shared): Shared_,
    session: Session,
    parts: Parts,
    Query(q): Query<Notice>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    begin_for_first_factor_session(&shared, &session, &q).await?;
    let e = match current(&shared, &session, &parts, &reply).await? {
        Ok(e) => e,
        Err(back) => return Ok(back),
    };
    let csrf = session::csrf_token(&session).await?;
    if reply.json {
        let body = json!({"csrf_token": csrf, "registered": e.phone.is_some()});
        return Ok(Json(body).into_response());
    }
    let provider = provider_of(&shared, &e, &reply).map_err(|r| *r)?;
    Ok(Html(match e.phone.as_ref().map(|p| p.subject) {
        None => super::pages::enrol_phone(
            &reply.view(),
            provider.as_ref(),
            &csrf,
            known_email(&e),
            e.skip_to.as_deref(),
            !e.factors_at_start.is_empty(),
            None,
        ),
        Some(subject) => {
            let sent = reply.tr().t("code-sent-sms");
            let notice = q.sent.is_some().then_some(sent.as_str());
            let qr = qr_code(provider.as_ref(), subject).await;
            super::pages::enrol_token(
                &reply.view(),
                provider.as_ref(),
                &csrf,
                qr.as_ref().map(|(svg, key)| (svg.as_str(), key.as_str())),
                notice,
                None,
            )
        }
    })
    .into_response())
}

/// Takes one of the hourly allowance under `key` (as many as codes may be sent per hour);
/// the 429 answer once it is spent.
async fn hourly(
    shared: &crate::config::Shared,
    reply: &Reply<'_>,
    key: &str,
    id: &str,
) -> Result<Option<Response>, crate::store::StoreError> {
    let now = shared.clock.now();
    let allowed = shared
        .challenges
        .take_quota(key, shared.sends.per_hour, 3600, now)
        .await?;
    Ok((!allowed).then(|| reply.problem(StatusCode::TOO_MANY_REQUESTS, id)))
}

/// The QR code for a generic authenticator app, and its key for typing in, when the provider
/// gives one.
async fn qr_code(
    provider: &dyn crate::SecondFactorProvider,
    subject: u64,
) -> Option<(String, String)> {
    let uri = provider.authenticator_uri(subject, "").await.ok()?;
    Some((enrolment::qr_svg(&uri)?, enrolment::manual_key(&uri)?))
}

#[derive(Deserialize)]
pub(crate) struct PhoneForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    country_code: String,
    #[serde(default)]
    phone: String,
    /// Which provider to register with, by name, when several are configured.
    provider: Option<String>,
}

pub(crate) async fn register(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<PhoneForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let e = match current(&shared, &session, &parts, &reply).await? {
        Ok(e) => e,
        Err(back) => return Ok(back),
    };
    let csrf = session::csrf_token(&session).await?;
    // A provider named by the form must be one of the configured ones.
    let chosen = form.provider.as_deref().unwrap_or(&e.provider).to_owned();
    let Some(provider) = shared.provider_named(&chosen).cloned() else {
        return Ok(reply.problem(StatusCode::UNPROCESSABLE_ENTITY, "problem-unknown-provider"));
    };
    let invalid = |id: &str| {
        let detail = reply.tr().t(id);
        let detail = detail.as_str();
        if reply.json {
            let title = reply.tr().t("problem-check-phone");
            reply.problem_text(StatusCode::UNPROCESSABLE_ENTITY, &title, detail)
        } else {
            let page = super::pages::enrol_phone(
                &reply.view(),
                provider.as_ref(),
                &csrf,
                known_email(&e),
                e.skip_to.as_deref(),
                !e.factors_at_start.is_empty(),
                Some(detail),
            );
            (StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response()
        }
    };
    // The address the user logged in with, when it is one; else the one the form asked for.
    let email = known_email(&e).unwrap_or(form.email.trim()).to_owned();
    let email = email.as_str();
    let needs_phone = provider.capabilities().needs_phone;
    let phone = if needs_phone {
        enrolment::phone(&form.country_code, &form.phone)
    } else {
        Some((String::new(), String::new()))
    };
    let Some((country_code, phone)) = phone.filter(|_| enrolment::email(email)) else {
        return Ok(invalid("enrol-check-phone"));
    };
    // Each try registers a phone with Authy: as many per hour as codes may be sent.
    let key = format!("enrol-register:{}", e.user_id);
    if let Some(spent) = hourly(&shared, &reply, &key, "problem-phone-tries").await? {
        return Ok(spent);
    }
    let subject = match provider.register(email, &phone, &country_code).await {
        Ok(id) => id,
        Err(e) if e.is_unavailable() => return Err(Rejection::Authy(e, "register user")),
        Err(_) => {
            return Ok(invalid("enrol-phone-refused"));
        }
    };
    let user_id = e.user_id.clone();
    let registered = Enrolling {
        phone: Some(Registered {
            subject,
            country_code,
            phone,
        }),
        provider: chosen,
        ..e
    };
    session::set_enrolling(&session, &registered, false).await?;
    tracing::info!(event = "enrolment_registered", user_id = %user_id, "registered with the provider; not yet proved");
    if reply.json {
        let uri = provider.authenticator_uri(subject, "").await.ok();
        return Ok(Json(json!({"otpauth_uri": uri})).into_response());
    }
    let qr = qr_code(provider.as_ref(), subject).await;
    Ok(Html(super::pages::enrol_token(
        &reply.view(),
        provider.as_ref(),
        &csrf,
        qr.as_ref().map(|(svg, key)| (svg.as_str(), key.as_str())),
        None,
        None,
    ))
    .into_response())
}

/// The session's enrolment once its phone is registered.
async fn registered(
    shared: &crate::config::Shared,
    session: &Session,
    parts: &Parts,
    reply: &Reply<'_>,
) -> Result<Result<(Enrolling, Registered), Response>, crate::store::StoreError> {
    Ok(match current(shared, session, parts, reply).await? {
        Ok(e) => match e.phone.clone() {
            Some(phone) => Ok((e, phone)),
            None => Err(reply.redirect(&shared.path("/enrol"))),
        },
        Err(back) => Err(back),
    })
}

pub(crate) async fn send_sms(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    if !shared.providers.iter().any(|p| p.capabilities().sms) {
        return Ok(reply.problem(StatusCode::NOT_FOUND, "problem-enrol-no-sms"));
    }
    let (e, phone) = match registered(&shared, &session, &parts, &reply).await? {
        Ok(found) => found,
        Err(back) => return Ok(back),
    };
    let provider = provider_of(&shared, &e, &reply).map_err(|r| *r)?;
    if !provider.capabilities().sms {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-enrol-no-sms-here"));
    }
    // Per account, per factor (as login sends count) and per phone number in E.164: throwaway
    // accounts cannot add up to more codes sent to one phone than one account may send.
    for key in [
        format!("send-account:{}", e.user_id),
        format!("send-authy:{}", phone.subject),
        format!("send-phone:+{}{}", phone.country_code, phone.phone),
    ] {
        if let Some(spent) = hourly(&shared, &reply, &key, "problem-enrol-sends").await? {
            return Ok(spent);
        }
    }
    match provider
        .send_code(phone.subject, crate::provider::CodeChannel::Sms)
        .await
    {
        Ok(_) => {}
        Err(e) if e.is_unavailable() => return Err(Rejection::Authy(e, "send code")),
        Err(_) => {
            return Ok(reply.problem(StatusCode::BAD_GATEWAY, "problem-enrol-send-failed"));
        }
    }
    if reply.json {
        return Ok(Json(json!({"sent": "sms"})).into_response());
    }
    Ok(reply.redirect(&format!("{}?sent=sms", shared.path("/enrol"))))
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    token: String,
    /// The user's name for the new factor (the factor model), optional.
    label: Option<String>,
}

/// The name a new factor gets when the user gives none, in the user's language.
fn default_label(reply: &Reply<'_>, provider: &dyn crate::SecondFactorProvider) -> String {
    match crate::factors::FactorKind::of(provider) {
        crate::factors::FactorKind::App => reply.tr().t("factors-label-authenticator"),
        crate::factors::FactorKind::Phone => reply.tr().t("factors-label-phone"),
        _ => crate::factors::capitalised(&pages::app_label(&reply.view(), provider)),
    }
}

pub(crate) async fn confirm(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<TokenForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (e, phone) = match registered(&shared, &session, &parts, &reply).await? {
        Ok(found) => found,
        Err(back) => return Ok(back),
    };
    let csrf = session::csrf_token(&session).await?;
    let provider = provider_of(&shared, &e, &reply).map_err(|r| *r)?;
    let wrong = |status: StatusCode, id: &str| {
        if reply.json {
            reply.problem(status, id)
        } else {
            let detail = reply.tr().attr(id, "detail");
            let page = super::pages::enrol_token(
                &reply.view(),
                provider.as_ref(),
                &csrf,
                None,
                None,
                Some(&detail),
            );
            (status, Html(page)).into_response()
        }
    };
    let Ok(token) = Token::parse(&form.token) else {
        return Ok(wrong(
            StatusCode::UNPROCESSABLE_ENTITY,
            "problem-enrol-not-a-code",
        ));
    };
    let now = shared.clock.now();
    let attempts = format!("enrol:{}", e.user_id);
    let (max, window) = (shared.limits.per_challenge, shared.challenge_ttl);
    if !shared
        .challenges
        .take_quota(&attempts, max, window, now)
        .await?
    {
        return Ok(reply.problem(StatusCode::TOO_MANY_REQUESTS, "problem-enrol-attempts"));
    }
    // The registered phone may be somebody else's (Authy answers an existing user's id):
    // guesses count against that factor too, whichever account makes them.
    let attempt = format!("enrol:{}:{}", e.user_id, phone.subject);
    let counted =
        crate::flow::factor_attempt(&shared, provider.as_ref(), &attempt, phone.subject, now)
            .await?;
    let Some(counters) = counted else {
        return Ok(crate::flow::factor_locked(&reply));
    };
    match provider.confirm_enrolment(phone.subject, &token).await {
        Ok(()) => {}
        Err(e) if e.is_token_rejection() => {
            return Ok(wrong(StatusCode::UNAUTHORIZED, "problem-enrol-wrong-code"));
        }
        Err(e) => return Err(Rejection::Authy(e, "verify token")),
    }
    counters.clear(&shared).await?;
    // Checked again after the provider's answer, and the write is a compare-and-set on the
    // factor the enrolment began with: a factor set up meanwhile is never replaced.
    let e = match current(&shared, &session, &parts, &reply).await? {
        Ok(e) => e,
        Err(ended) => return Ok(ended),
    };
    // One more factor, if the user's are still those the enrolment began with.
    let factor = crate::factors::Factor {
        label: form
            .label
            .as_deref()
            .and_then(crate::factors::label)
            .unwrap_or_else(|| default_label(&reply, provider.as_ref())),
        phone: (!phone.phone.is_empty()).then(|| format!("+{}{}", phone.country_code, phone.phone)),
        last_used_at: Some(now),
        ..crate::factors::Factor::of(provider.as_ref(), phone.subject, now)
    };
    let finished = finish(&shared, &session, &reply, e, factor, now).await?;
    Ok(finished.unwrap_or_else(|| lost(&reply)))
}

/// The answer for an enrolment that lost its compare-and-set (ended, nothing written).
pub(crate) fn lost(reply: &Reply<'_>) -> Response {
    reply.problem(StatusCode::CONFLICT, "problem-enrolment-ended")
}

/// Writes `factor`, proved, as enrolment `e`'s new factor (a compare-and-set on the factors
/// the enrolment began with), and completes the enrolment: the session verified, the first
/// recovery codes shown with a first factor, back to where the enrolment began. `None` when
/// the compare-and-set lost (the enrolment is ended, nothing written: answer with [`lost`]).
pub(crate) async fn finish(
    shared: &crate::config::Shared,
    session: &Session,
    reply: &Reply<'_>,
    e: Enrolling,
    factor: crate::factors::Factor,
    now: i64,
) -> Result<Option<Response>, Rejection> {
    let added = (factor.id.clone(), factor.kind);
    let written = shared
        .factors
        .add(&e.user_id, factor, &e.factors_at_start)
        .await?
        .then_some(added);
    let Some((factor_id, kind)) = written else {
        session::end_enrolment(session).await?;
        tracing::warn!(event = "enrolment_refused", user_id = %e.user_id, reason = "second factor changed", "enrolment lost the race to another; nothing written");
        return Ok(None);
    };
    session::complete(session, &e.user_id, e.epoch).await?;
    // With recovery codes on, the first set comes with the first second factor, shown once.
    let first = e.factors_at_start.is_empty();
    // The first factor is this login's second step. Proving a factor being added to others
    // does not prove the user again: else a stolen session could add its own app, and with
    // that fresh proof remove the owner's factors.
    if first {
        session::proved_at(session, now).await?;
    }
    tracing::warn!(event = "second_factor_enabled", user_id = %e.user_id, "second factor turned on");
    crate::telemetry::factor_change("enabled");
    shared.audit.emit(
        crate::audit::EventKind::FactorAdded { factor_id, kind },
        Some(&e.user_id),
    );
    let mut response = match shared.recovery.as_ref().filter(|_| first) {
        None => reply.redirect_rotated(session, &e.return_to).await?,
        Some(codes) => {
            let shown =
                crate::recovery::routes::new_codes(shared, codes.as_ref(), &e.user_id).await?;
            if reply.json {
                let csrf = session::csrf_token(session).await?;
                let body =
                    json!({"redirect": e.return_to, "recovery_codes": shown, "csrf_token": csrf});
                Json(body).into_response()
            } else {
                Html(crate::recovery::pages::new_recovery_codes(
                    &reply.view(),
                    &shown,
                    &e.return_to,
                    true,
                ))
                .into_response()
            }
        }
    };
    crate::flow::lifecycle::mark_known(shared, &mut response, &e.login, now);
    Ok(Some(response))
}
/// The address the enrolling user logged in with, when their login is one (tower-authy's own
/// login always is; in step-up mode the application's may be a user name).
fn known_email(e: &Enrolling) -> Option<&str> {
    enrolment::email(&e.login).then_some(e.login.as_str())
}

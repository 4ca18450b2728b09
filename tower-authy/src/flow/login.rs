//! The first factor: the login form and the password step, which starts a challenge and
//! sends the push.

use crate::config::Shared;
use crate::pages;
use crate::provider::PushRequest;
use crate::secret::Password;
use crate::session::{self, Pending};
use crate::store::{Challenge, ChallengeState};
use crate::throttle;
use crate::web::Checked;
use crate::web::Shared_;
use crate::web::{Handled, Rejection, Reply};
use axum::extract::{ConnectInfo, Query};
use axum::response::{Html, IntoResponse};
use axum::{Extension, Json};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use tower_sessions::Session;

#[derive(Deserialize)]
pub(crate) struct ReturnTo {
    pub(crate) return_to: Option<String>,
}

pub(crate) fn return_to_or_default<'a>(shared: &'a Shared, raw: Option<&'a str>) -> &'a str {
    raw.and_then(session::safe_return_to)
        .unwrap_or(&shared.default_return_to)
}

pub(crate) async fn login_form(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<ReturnTo>,
) -> Handled {
    let reply = Reply::new(&shared, &headers);
    let return_to = return_to_or_default(&shared, q.return_to.as_deref()).to_owned();
    let verified = session::verified(&session).await?.is_some();
    let csrf = session::csrf_token(&session).await?;
    Ok(match (verified, reply.json) {
        // API clients get the token either way: a verified one needs it to log out.
        (true, true) => Json(json!({"redirect": return_to, "csrf_token": csrf})).into_response(),
        (true, false) => reply.redirect(&return_to),
        (false, true) => Json(json!({"csrf_token": csrf})).into_response(),
        (false, false) => {
            Html(pages::login(&reply.view(), &csrf, &return_to, None)).into_response()
        }
    })
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    return_to: Option<String>,
    /// The "remember this device" box: present when ticked.
    remember: Option<String>,
}

pub(crate) async fn login(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<LoginForm>,
) -> Handled {
    let headers = &parts.headers;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let reply = Reply::new(&shared, headers);
    let return_to = return_to_or_default(&shared, form.return_to.as_deref()).to_owned();
    let refuse = |csrf: &str| {
        // Unknown user, wrong password, locked account, no second factor: one answer for all.
        if reply.json {
            reply.problem(StatusCode::UNAUTHORIZED, "problem-login-failed")
        } else {
            let detail = reply.tr().t("login-failed");
            (
                StatusCode::UNAUTHORIZED,
                Html(pages::login(&reply.view(), csrf, &return_to, Some(&detail))),
            )
                .into_response()
        }
    };
    let csrf = session::csrf_token(&session).await?;
    if form.login.is_empty() || form.login.len() > 320 || form.password.len() > 1024 {
        return Ok(refuse(&csrf));
    }
    let now = shared.clock.now();
    let address = throttle::client_address(
        headers,
        peer,
        shared.passwords.forwarded_hops,
        &shared.passwords.throttle,
    );
    // A browser that logged in as this account before has its own allowance (OWASP's device
    // cookie); any other counts against the login name and the address.
    let known = shared.passwords.known_devices.as_ref().and_then(|k| {
        crate::known_device::device(k, shared.http.secure_cookies, headers, &form.login, now)
    });
    let admitted = match &known {
        Some(device) => throttle::admit_device(&shared, device, now).await?,
        None => throttle::admit(&shared, &form.login, address.as_deref(), now).await?,
    };
    let Some(attempt) = admitted else {
        // Same answer, about the same time, no password check and no push.
        tracing::warn!(
            event = "login_throttled",
            "too many wrong passwords; attempt not checked"
        );
        crate::telemetry::first_factor("throttled");
        shared.audit.emit(
            crate::audit::EventKind::PasswordRefused { throttled: true },
            None,
        );
        crate::telemetry::throttled("password");
        throttle::as_long_as_a_password_check(&shared).await;
        return Ok(refuse(&csrf));
    };
    let started = tokio::time::Instant::now();
    let password = Password::new(form.password);
    let user = shared.users.verify_password(&form.login, &password).await?;
    throttle::record_password_cost(&shared, started);
    let Some(user) = user else {
        crate::telemetry::first_factor("failure");
        shared.audit.emit(
            crate::audit::EventKind::PasswordRefused { throttled: false },
            None,
        );
        return Ok(refuse(&csrf));
    };
    crate::telemetry::first_factor("success");
    shared
        .audit
        .emit(crate::audit::EventKind::PasswordAccepted, Some(&user.id));
    // The right password hands its counts back; the lock is read at the same time.
    let (locked, ()) = tokio::try_join!(
        shared
            .challenges
            .account_locked(&user.id, &shared.limits, now),
        throttle::refund(&shared, &attempt),
    )?;
    let Some(factor) = crate::offer::of_user(&shared, &user)
        .await?
        .into_iter()
        .next()
    else {
        if !shared.policy.requires(&user, now) {
            return first_factor_only(&shared, &session, &reply, &user, return_to).await;
        }
        if shared.enrols() {
            return start_enrolment(&shared, &session, &reply, &user, return_to).await;
        }
        return Ok(refuse(&csrf));
    };
    if locked {
        tracing::warn!(event = "login_refused_locked", user_id = %user.id, "password accepted for a locked account");
        crate::telemetry::second_factor("locked", "code");
        return Ok(refuse(&csrf));
    }

    let start = Start {
        user: &user,
        factor,
        return_to,
        remember: form.remember.is_some(),
        now,
    };
    start_second_factor(&shared, &session, &reply, headers, start).await
}

/// The first factor is proved for a user without a second whom the policy does not require
/// to have one: logged in with it alone, and (in a grace period, where enrolment is on) offered
/// enrolment on the way, which they may skip.
async fn first_factor_only(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
    user: &crate::UserRecord,
    return_to: String,
) -> Handled {
    session::complete_first_factor_only(session, &user.id, user.credential_epoch).await?;
    tracing::info!(event = "login_first_factor_only", user_id = %user.id, "password accepted; no second factor and the policy needs none");
    crate::telemetry::second_factor("not_required", "none");
    let to = if shared.policy.offers_enrolment() && shared.enrols() {
        let back: String = form_urlencoded::byte_serialize(return_to.as_bytes()).collect();
        format!("{}?return_to={back}&offer=1", shared.path("/enrol"))
    } else {
        return_to
    };
    let mut response = reply.redirect_rotated(session, &to).await?;
    super::lifecycle::mark_known(shared, &mut response, &user.login, shared.clock.now());
    Ok(response)
}

/// The first factor is proved for a user without a second: on to enrolment.
pub(crate) async fn start_enrolment(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
    user: &crate::UserRecord,
    return_to: String,
) -> Handled {
    let enrolling = session::Enrolling {
        user_id: user.id.clone(),
        login: user.login.clone(),
        return_to,
        phone: None,
        factors_at_start: crate::offer::held_ids(shared, &user.id).await?,
        provider: String::new(),
        epoch: user.credential_epoch,
        expires_at: shared.clock.now() + shared.challenge_ttl,
        skip_to: None,
    };
    session::set_enrolling(session, &enrolling, true).await?;
    tracing::info!(event = "enrolment_started", user_id = %user.id, "first factor proved; no second factor yet");
    Ok(reply
        .redirect_rotated(session, &shared.path("/enrol"))
        .await?)
}

/// Who passed the first factor, and what they asked for.
pub(crate) struct Start<'a> {
    pub(crate) user: &'a crate::UserRecord,
    /// The factor offered first.
    pub(crate) factor: crate::store::factor::Factor,
    pub(crate) return_to: String,
    /// "Remember this device" was ticked.
    pub(crate) remember: bool,
    pub(crate) now: i64,
}

/// The password (or the application's own login, in step-up mode) is accepted: on a device
/// the user asked to be remembered on, that is the whole login; otherwise sends the push
/// (within the quotas), stores the challenge, and sends the browser to the waiting page.
pub(crate) async fn start_second_factor(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
    headers: &HeaderMap,
    start: Start<'_>,
) -> Handled {
    let Start {
        user,
        factor,
        return_to,
        remember,
        now,
    } = start;
    if let Some(r) = &shared.remember
        && let Some(device) =
            crate::remember::recognised(r, shared.http.secure_cookies, headers, user, now).await?
    {
        session::complete(session, &user.id, user.credential_epoch).await?;
        tracing::info!(event = "remembered_device_used", user_id = %user.id, "a remembered device stood in for the second factor");
        crate::telemetry::second_factor("success", "remembered_device");
        shared.audit.emit(
            crate::audit::EventKind::SecondFactorProved {
                method: crate::audit::Method::RememberedDevice,
                factor_id: None,
            },
            Some(&user.id),
        );
        let mut response = reply.redirect_rotated(session, &return_to).await?;
        super::lifecycle::mark_known(shared, &mut response, &user.login, now);
        if device.by_previous_key {
            // Signed with a key being retired: the same device, until the same day, signed
            // with the current key.
            let cookie = crate::remember::cookie(
                r,
                shared.http.secure_cookies,
                &user.id,
                &device.device_id,
                device.epoch,
                device.expires,
                device.expires - now,
            );
            response
                .headers_mut()
                .append(http::header::SET_COOKIE, cookie);
        }
        return Ok(response);
    }
    let pending = Pending {
        again: false,
        challenge_id: String::new(),
        user_id: user.id.clone(),
        login: user.login.clone(),
        epoch: user.credential_epoch,
        return_to,
        remember: (remember && shared.remember.is_some()).then(|| session::RememberRequest {
            epoch: user.credential_epoch,
            label: crate::remember::label(headers),
        }),
    };
    let expires_at = now + shared.challenge_ttl;
    challenge_on(shared, session, reply, pending, &factor, expires_at, now).await
}

/// Sends the push on `factor` (within the quotas, where its provider pushes), stores a new
/// challenge for it with deadline `expires_at`, records it as the session's pending login and
/// sends the browser to the waiting page.
pub(crate) async fn challenge_on(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
    mut pending: Pending,
    factor: &crate::store::factor::Factor,
    expires_at: i64,
    now: i64,
) -> Handled {
    // A passkey is proved by tower-authy itself: no provider, no push.
    let provider = if factor.provider == crate::store::factor::PASSKEY_PROVIDER {
        None
    } else {
        match shared.provider_named(&factor.provider) {
            Some(provider) => Some(provider),
            None => return Err(reply.unavailable().into()),
        }
    };
    let user_id = &pending.user_id;
    let subject = factor.subject;
    let id = crate::random::id();
    let match_code = crate::random::digits(3);
    // Per account and per phone: several accounts may share one phone (one Authy id).
    let pushes = provider.is_some_and(|p| p.capabilities().push);
    let mut push_allowed = pushes;
    for key in [format!("push:{user_id}"), format!("push-authy:{subject}")] {
        if !push_allowed {
            break;
        }
        push_allowed &= shared
            .challenges
            .take_quota(
                &key,
                shared.sends.pushes_per_10_minutes,
                shared.push.window_secs,
                now,
            )
            .await?;
    }
    let push_id = match provider.filter(|_| push_allowed) {
        Some(provider) => {
            let mut details = shared.push.details.clone();
            details.insert("Login".into(), json!(pending.login));
            details.insert("Code".into(), json!(match_code));
            let mut hidden = serde_json::Map::new();
            hidden.insert("challenge".into(), json!(challenge_digest(&id)));
            let request = PushRequest {
                message: shared.push.message.clone(),
                details,
                hidden_details: hidden,
                logos: shared.push.logos.clone(),
                seconds_to_expire: u64::try_from(shared.challenge_ttl).unwrap_or(300),
            };
            match provider.start_push(subject, &request).await {
                Ok(uuid) => {
                    crate::telemetry::push("sent");
                    shared.audit.emit(
                        crate::audit::EventKind::PushSent {
                            factor_id: factor.id.clone(),
                        },
                        Some(user_id),
                    );
                    Some(uuid)
                }
                Err(e) if e.is_unavailable() => {
                    return Err(Rejection::Authy(e, "create approval request"));
                }
                Err(e) => {
                    // The user cannot receive pushes (no device, unknown to Authy...): use a token.
                    tracing::info!(error = %e, user_id = %user_id, "OneTouch not available for user; token only");
                    crate::telemetry::push("unavailable");
                    None
                }
            }
        }
        None => {
            if pushes {
                tracing::warn!(event = "push_rate_limited", user_id = %user_id, "push limit reached; token only");
                crate::telemetry::throttled("push");
            }
            None
        }
    };
    let challenge = Challenge {
        id: id.clone(),
        user_id: user_id.clone(),
        subject,
        provider: factor.provider.clone(),
        factor_id: factor.id.clone(),
        push_id,
        match_code,
        state: ChallengeState::Pending,
        created_at: now,
        expires_at,
    };
    let onetouch = challenge.push_id.is_some();
    shared.challenges.create(challenge).await?;
    tracing::info!(event = "challenge_created", user_id = %user_id, onetouch, provider = %factor.provider, "password accepted; second factor pending");
    pending.challenge_id = id;
    session::begin(session, &pending).await?;
    Ok(reply
        .redirect_rotated(session, &shared.path("/verify"))
        .await?)
}

/// A digest of the challenge id for `hidden_details`: ties Authy's record to this login
/// without revealing the id itself.
fn challenge_digest(id: &str) -> String {
    use sha2::{Digest, Sha256};
    data_encoding::HEXLOWER.encode(&Sha256::digest(id.as_bytes())[..8])
}

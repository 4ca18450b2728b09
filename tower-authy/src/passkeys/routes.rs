//! The passkey routes: a login's step, enrolment, and sign-in (see the module's table).

use super::{CredentialJson, login_key, user_handle};
use crate::audit::{EventKind, Method};
use crate::config::Shared;
use crate::factors::{Factor, FactorKind, PASSKEY_PROVIDER};
use crate::flow::lifecycle::{complete, count_attempt, finished_page, lock, notify};
use crate::provider::webauthn::{CeremonyError, CredentialID, Part};
use crate::session::{self, Pending};
use crate::store::{Challenge, ChallengeState, StoreError};
use crate::web::{Checked, Handled, NoFields, Rejection, Reply};
use axum::Json;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;

/// The passkeys part, or the 404 of a route that is not there.
fn part<'a>(shared: &'a Shared, reply: &Reply<'_>) -> Result<&'a Part, Box<Response>> {
    shared
        .passkeys
        .as_ref()
        .ok_or_else(|| Box::new(reply.problem(StatusCode::NOT_FOUND, "problem-no-passkeys")))
}

/// The answer for a ceremony that failed; a store failure stays an error (fail closed).
fn refused(reply: &Reply<'_>, e: CeremonyError) -> Result<Response, StoreError> {
    let (status, id) = match e {
        CeremonyError::Store(e) => return Err(e),
        CeremonyError::Unknown => (StatusCode::CONFLICT, "problem-passkey-ceremony"),
        CeremonyError::Refused => (StatusCode::UNAUTHORIZED, "problem-passkey-refused"),
        CeremonyError::PossibleClone => (StatusCode::UNAUTHORIZED, "problem-passkey-clone"),
        CeremonyError::AlreadyRegistered => (StatusCode::CONFLICT, "problem-passkey-registered"),
    };
    Ok(reply.problem(status, id))
}

/// Started options as JSON, or the answer for a ceremony that could not start.
fn options_answer<T: serde::Serialize>(
    reply: &Reply<'_>,
    started: Result<T, CeremonyError>,
) -> Result<Response, StoreError> {
    match started {
        Ok(options) => Ok(Json(options).into_response()),
        Err(e) => refused(reply, e),
    }
}

/// The session's pending login when it waits for a passkey; else the answer.
async fn passkey_login(
    session: &Session,
    reply: &Reply<'_>,
) -> Result<Result<(Pending, Challenge), Response>, Rejection> {
    let (pending, c) = reply.with_challenge(session).await?;
    if let Some(r) = finished_page(reply, c.state) {
        return Ok(Err(r));
    }
    if c.provider != PASSKEY_PROVIDER || c.state != ChallengeState::Pending {
        return Ok(Err(
            reply.problem(StatusCode::CONFLICT, "problem-not-passkey")
        ));
    }
    Ok(Ok((pending, c)))
}

fn malformed(reply: &Reply<'_>) -> Response {
    reply.problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "problem-passkey-malformed",
    )
}

/// The subjects of the user's passkey factors.
async fn passkey_subjects(
    shared: &Shared,
    user_id: &str,
) -> Result<Vec<u64>, crate::store::StoreError> {
    Ok(shared
        .factors
        .factors(user_id)
        .await?
        .into_iter()
        .filter(|f| f.kind == FactorKind::Passkey && f.provider == PASSKEY_PROVIDER)
        .map(|f| f.subject)
        .collect())
}

/// `POST {prefix}/passkey/options`: the pending login's request options, for its passkey.
pub(crate) async fn login_options(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let part = part(&shared, &reply).map_err(|r| *r)?;
    let (_, c) = match passkey_login(&session, &reply).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let now = shared.clock.now();
    let store = part.store.as_ref();
    let passkeys = match part.ceremonies.load(store, &c.user_id, &[c.subject]).await {
        Ok(found) if !found.is_empty() => found,
        Ok(_) => return Ok(refused(&reply, CeremonyError::Unknown)?),
        Err(e) => return Ok(refused(&reply, e)?),
    };
    let challenges = shared.challenges.as_ref();
    let key = login_key(&c.id);
    let started = part
        .ceremonies
        .start_authentication(challenges, &key, &passkeys, c.expires_at, now)
        .await;
    Ok(options_answer(&reply, started)?)
}

#[derive(Deserialize)]
pub(crate) struct AssertionForm {
    #[serde(default)]
    credential: CredentialJson,
}

/// `POST {prefix}/passkey`: the login's assertion. Proves the second factor once.
pub(crate) async fn login(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<AssertionForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let part = part(&shared, &reply).map_err(|r| *r)?;
    let (pending, c) = match passkey_login(&session, &reply).await? {
        Ok(found) => found,
        Err(answer) => return Ok(answer),
    };
    let Some(credential) = form.credential.assertion() else {
        return Ok(malformed(&reply));
    };
    let now = shared.clock.now();
    if let Some(refused) = count_attempt(&shared, &reply, &c, "passkey", now).await? {
        return Ok(refused);
    }
    let challenges = shared.challenges.as_ref();
    let key = login_key(&c.id);
    let proved = match part
        .ceremonies
        .finish_authentication(challenges, &key, &credential, now)
        .await
    {
        Ok(result) => {
            part.ceremonies
                .record_use(part.store.as_ref(), c.subject, &result)
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = proved {
        if matches!(e, CeremonyError::Store(_)) {
            return Ok(refused(&reply, e)?);
        }
        tracing::info!(event = "passkey_refused", user_id = %c.user_id, reason = %e, "passkey assertion refused");
        crate::telemetry::second_factor("failure", "passkey");
        shared.audit.emit(
            EventKind::SecondFactorRefused {
                method: Method::Passkey,
            },
            Some(&c.user_id),
        );
        if shared
            .challenges
            .account_locked(&c.user_id, &shared.limits, now)
            .await?
        {
            return lock(&shared, &reply, &c).await;
        }
        return Ok(refused(&reply, e)?);
    }
    if !shared
        .challenges
        .transition(&c.id, ChallengeState::Pending, ChallengeState::Approved)
        .await?
    {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-already-used"));
    }
    tracing::info!(event = "challenge_approved", user_id = %c.user_id, via = "passkey", "second factor approved");
    crate::telemetry::second_factor("success", "passkey");
    notify(&shared, &c.id);
    shared.challenges.clear_failures(&c.user_id).await?;
    complete(&shared, &session, &reply, &pending, &c, Method::Passkey).await
}

/// `POST {prefix}/passkey/register/options`: creation options for the session's enrolment,
/// leaving out the authenticators the user registered already.
pub(crate) async fn register_options(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let part = part(&shared, &reply).map_err(|r| *r)?;
    let e = match crate::enrolment::routes::current(&shared, &session, &parts, &reply).await? {
        Ok(e) => e,
        Err(back) => return Ok(back),
    };
    let subjects = passkey_subjects(&shared, &e.user_id).await?;
    let held = match part
        .ceremonies
        .load(part.store.as_ref(), &e.user_id, &subjects)
        .await
    {
        Ok(held) => held,
        Err(err) => return Ok(refused(&reply, err)?),
    };
    let exclude: Vec<CredentialID> = held.iter().map(|p| p.cred_id().clone()).collect();
    let key = session::ceremony_key(&session, "register").await?;
    let now = shared.clock.now();
    let started = part
        .ceremonies
        .start_registration(
            shared.challenges.as_ref(),
            &key,
            user_handle(&e.user_id),
            &e.login,
            exclude,
            e.expires_at,
            now,
        )
        .await;
    let started = match started {
        Ok(options) => {
            let mut options = serde_json::to_value(options).map_err(StoreError::unavailable)?;
            if part.sign_in {
                crate::provider::webauthn::prefer_discoverable(&mut options);
            }
            Ok(options)
        }
        Err(e) => Err(e),
    };
    Ok(options_answer(&reply, started)?)
}

#[derive(Deserialize)]
pub(crate) struct RegisterForm {
    #[serde(default)]
    credential: CredentialJson,
    label: Option<String>,
}

/// `POST {prefix}/passkey/register`: the new credential. Kept (once, for one account), then
/// written as the enrolment's factor.
pub(crate) async fn register(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<RegisterForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let part = part(&shared, &reply).map_err(|r| *r)?;
    let e = match crate::enrolment::routes::current(&shared, &session, &parts, &reply).await? {
        Ok(e) => e,
        Err(back) => return Ok(back),
    };
    let Some(credential) = form.credential.registration() else {
        return Ok(malformed(&reply));
    };
    let label = match form.label.as_deref().filter(|l| !l.trim().is_empty()) {
        None => reply.tr().t("factors-label-passkey"),
        Some(given) => match crate::factors::label(given) {
            Some(label) => label,
            None => return Ok(reply.problem(StatusCode::UNPROCESSABLE_ENTITY, "problem-label")),
        },
    };
    let Some(key) = session::take_ceremony_key(&session, "register").await? else {
        return Ok(refused(&reply, CeremonyError::Unknown)?);
    };
    let now = shared.clock.now();
    let challenges = shared.challenges.as_ref();
    let passkey = match part
        .ceremonies
        .finish_registration(challenges, &key, &credential, now)
        .await
    {
        Ok(passkey) => passkey,
        Err(err) => {
            tracing::info!(event = "passkey_registration_refused", user_id = %e.user_id, reason = %err, "passkey registration refused");
            return Ok(refused(&reply, err)?);
        }
    };
    let subject = crate::random::subject();
    if let Err(err) = part
        .ceremonies
        .keep(part.store.as_ref(), subject, &e.user_id, &passkey)
        .await
    {
        tracing::warn!(event = "passkey_registration_refused", user_id = %e.user_id, reason = %err, "passkey registration refused");
        return Ok(refused(&reply, err)?);
    }
    let factor = Factor {
        id: crate::random::id(),
        kind: FactorKind::Passkey,
        provider: PASSKEY_PROVIDER.to_owned(),
        subject,
        label,
        phone: None,
        created_at: now,
        last_used_at: Some(now),
    };
    let user_id = e.user_id.clone();
    let finished =
        crate::enrolment::routes::finish(&shared, &session, &reply, e, factor, now).await?;
    if let Some(done) = finished {
        return Ok(done);
    }
    // The enrolment lost its compare-and-set: no factor, so no credential either.
    part.store.remove(subject).await?;
    tracing::info!(event = "passkey_registration_dropped", user_id = %user_id, "enrolment ended; credential not kept");
    Ok(crate::enrolment::routes::lost(&reply))
}

/// `POST {prefix}/passkey/sign-in/options`: options for a discoverable passkey, to sign in
/// with it alone. Counted per client address (ten times its password allowance a minute).
pub(crate) async fn sign_in_options(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let part = part(&shared, &reply).map_err(|r| *r)?;
    if !part.sign_in {
        return Ok(reply.problem(StatusCode::NOT_FOUND, "problem-no-passkeys"));
    }
    let now = shared.clock.now();
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let address = crate::throttle::client_address(
        &parts.headers,
        peer,
        shared.passwords.forwarded_hops,
        &shared.passwords.throttle,
    );
    let quota = format!(
        "passkey-sign-in:{}",
        address.as_deref().unwrap_or("unknown")
    );
    // Every view of the login page asks (the email field's autofill offers passkeys), and
    // many people may share one address: ten times the address's password allowance a
    // minute, each ceremony kept until the login's deadline at most.
    let per_address = shared.passwords.throttle.per_address.saturating_mul(10);
    if !shared
        .challenges
        .take_quota(&quota, per_address, 60, now)
        .await?
    {
        crate::telemetry::throttled("passkey_sign_in");
        return Ok(reply.problem(StatusCode::TOO_MANY_REQUESTS, "problem-login-attempts"));
    }
    let key = session::ceremony_key(&session, "sign-in").await?;
    let expires_at = now + shared.challenge_ttl;
    let started = part
        .ceremonies
        .start_sign_in(shared.challenges.as_ref(), &key, expires_at, now)
        .await;
    Ok(options_answer(&reply, started)?)
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    credential: CredentialJson,
    return_to: Option<String>,
}

/// `POST {prefix}/passkey/sign-in`: a discoverable passkey's assertion, with user
/// verification: both factors, for the account whose factor holds the credential.
pub(crate) async fn sign_in(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<SignInForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let part = part(&shared, &reply).map_err(|r| *r)?;
    if !part.sign_in {
        return Ok(reply.problem(StatusCode::NOT_FOUND, "problem-no-passkeys"));
    }
    let Some(credential) = form.credential.assertion() else {
        return Ok(malformed(&reply));
    };
    let Some(key) = session::take_ceremony_key(&session, "sign-in").await? else {
        return Ok(refused(&reply, CeremonyError::Unknown)?);
    };
    let now = shared.clock.now();
    let found = match part
        .ceremonies
        .finish_sign_in(
            shared.challenges.as_ref(),
            part.store.as_ref(),
            &key,
            &credential,
            now,
        )
        .await
    {
        Ok(found) => found,
        Err(e) => {
            if !matches!(e, CeremonyError::Store(_)) {
                tracing::info!(event = "passkey_sign_in_refused", reason = %e, "passkey sign-in refused");
                crate::telemetry::first_factor("failure");
            }
            return Ok(refused(&reply, e)?);
        }
    };
    // The credential must still be one of its owner's factors, and carry their user handle.
    let Some(user) = shared.users.load(&found.user_id).await? else {
        return Ok(refused(&reply, CeremonyError::Refused)?);
    };
    let held = shared.factors.factors(&user.id).await?;
    let factor = held
        .into_iter()
        .find(|f| f.provider == PASSKEY_PROVIDER && f.subject == found.subject);
    let Some(factor) = factor.filter(|_| found.user_handle == user_handle(&user.id)) else {
        return Ok(refused(&reply, CeremonyError::Refused)?);
    };
    if shared
        .challenges
        .account_locked(&user.id, &shared.limits, now)
        .await?
    {
        tracing::warn!(event = "login_refused_locked", user_id = %user.id, "passkey sign-in for a locked account");
        return Ok(reply.problem(StatusCode::FORBIDDEN, "problem-locked"));
    }
    if let Err(e) = part
        .ceremonies
        .record_use(part.store.as_ref(), found.subject, &found.result)
        .await
    {
        return Ok(refused(&reply, e)?);
    }
    session::complete(&session, &user.id, user.credential_epoch).await?;
    session::proved_at(&session, now).await?;
    if let Err(e) = shared.factors.touch(&user.id, &factor.id, now).await {
        tracing::warn!(error = %e, user_id = %user.id, "could not record the factor's use");
    }
    tracing::info!(event = "passkey_sign_in", user_id = %user.id, "signed in with a passkey alone");
    crate::telemetry::first_factor("success");
    crate::telemetry::second_factor("success", "passkey");
    shared
        .audit
        .emit(EventKind::PasswordAccepted, Some(&user.id));
    shared.audit.emit(
        EventKind::SecondFactorProved {
            method: Method::Passkey,
            factor_id: Some(factor.id.clone()),
        },
        Some(&user.id),
    );
    let return_to =
        crate::flow::login::return_to_or_default(&shared, form.return_to.as_deref()).to_owned();
    let mut response = reply.redirect_rotated(&session, &return_to).await?;
    crate::flow::lifecycle::mark_known(&shared, &mut response, &user.login, now);
    Ok(response)
}

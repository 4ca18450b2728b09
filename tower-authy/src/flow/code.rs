//! The code flows: a code from the Authy app (or one sent by SMS or call) entered on the
//! waiting page, and sending codes by SMS or voice call.

use super::lifecycle::{complete, count_attempt, finished_page, lock, notify};
use crate::audit::Method;
use crate::pages;
use crate::provider::CodeChannel;
use crate::recovery::RecoveryCode;
use crate::secret::Token;
use crate::session;
use crate::store::ChallengeState;
use crate::web::{Checked, NoFields};
use crate::web::{Handled, Rejection, Reply};
use axum::Json;
use axum::response::{Html, IntoResponse};
use http::{StatusCode, header};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    token: String,
}

pub(crate) async fn token(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<TokenForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (pending, c) = reply.with_challenge(&session).await?;
    if let Some(r) = finished_page(&reply, c.state) {
        return Ok(r);
    }
    // A passkey's login has no provider: it takes recovery codes here, never other codes.
    let provider = shared.provider_of(&c).cloned();
    if provider.is_none() && c.provider != crate::store::factor::PASSKEY_PROVIDER {
        return Err(reply.unavailable().into());
    }
    // Checked before anything is counted or sent: a malformed code never reaches Authy. With
    // recovery codes on, one of those (16 characters, never a token) is taken instead.
    let recovery = shared
        .recovery
        .as_ref()
        .and_then(|store| Some((store, RecoveryCode::parse(&form.token)?)));
    let token = match recovery {
        Some(_) => None,
        None => Some(Token::parse(&form.token).map_err(|e| {
            let id = match e {
                crate::secret::TokenError::Length => "problem-code-length",
                _ => "problem-code-digits",
            };
            reply.problem(StatusCode::UNPROCESSABLE_ENTITY, id)
        })?),
    };
    if c.state != ChallengeState::Pending {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-already-approved"));
    }
    let now = shared.clock.now();
    if let Some(refused) = count_attempt(&shared, &reply, &c, "code", now).await? {
        return Ok(refused);
    }
    // A code is checked against the factor, which several accounts may share (one phone,
    // one Authy id): guesses count against the factor too, across accounts and instances.
    // A factor at its limit refuses codes for a while without ending this login (the push
    // still works), so strangers guessing at it cannot lock its owner out.
    let token = match (token, provider) {
        (Some(token), Some(provider)) => Some((token, provider)),
        (Some(_), None) => {
            return Ok(reply.problem(StatusCode::CONFLICT, "problem-passkey-no-codes"));
        }
        (None, _) => None,
    };
    let counters = match &token {
        Some((_, provider)) => {
            let attempt = format!("login:{}", c.id);
            match super::factor_attempt(&shared, provider.as_ref(), &attempt, c.subject, now)
                .await?
            {
                Some(counters) => Some(counters),
                None => return Ok(super::factor_locked(&reply)),
            }
        }
        None => None,
    };
    let (kind, method) = if recovery.is_some() {
        ("recovery_code", crate::audit::Method::RecoveryCode)
    } else {
        ("code", crate::audit::Method::Code)
    };
    let accepted = match (&recovery, &token) {
        (Some((store, code)), _) => store.redeem(&c.user_id, &code.hash(&c.user_id)).await?,
        (None, Some((token, provider))) => match provider.verify_code(c.subject, token).await {
            Ok(()) => true,
            Err(e) if e.is_token_rejection() => false,
            Err(e) => return Err(Rejection::Authy(e, "verify token")),
        },
        (None, None) => false,
    };
    if !accepted {
        tracing::info!(event = "token_rejected", user_id = %c.user_id, recovery_code = recovery.is_some(), "wrong or reused code");
        crate::telemetry::second_factor("failure", kind);
        shared.audit.emit(
            crate::audit::EventKind::SecondFactorRefused { method },
            Some(&c.user_id),
        );
        if shared
            .challenges
            .account_locked(&c.user_id, &shared.limits, now)
            .await?
        {
            return lock(&shared, &reply, &c).await;
        }
        if reply.json {
            return Ok(reply.problem(StatusCode::UNAUTHORIZED, "problem-wrong-code"));
        }
        let csrf = session::csrf_token(&session).await?;
        let error = reply.tr().t("code-wrong-try-again");
        let error = Some(error.as_str());
        let others = crate::offer::others(&shared, &c).await?;
        let page = pages::verify(&reply.view(), &csrf, &c, &others, None, error);
        return Ok((StatusCode::UNAUTHORIZED, Html(page)).into_response());
    }
    if !shared
        .challenges
        .transition(&c.id, ChallengeState::Pending, ChallengeState::Approved)
        .await?
    {
        // Something else ended this login meanwhile (a push answered at the same moment): a
        // recovery code it did not need is given back, and an approved login is completed.
        if let Some((store, code)) = &recovery {
            store.restore(&c.user_id, &code.hash(&c.user_id)).await?;
            tracing::info!(event = "recovery_code_restored", user_id = %c.user_id, "the login was approved another way; the recovery code is still unused");
        }
        return match super::lifecycle::current(&shared, &c.id).await? {
            Some(now) if now.state == ChallengeState::Approved => {
                complete(&shared, &session, &reply, &pending, &now, Method::Push).await
            }
            _ => Ok(reply.problem(StatusCode::CONFLICT, "problem-already-used")),
        };
    }
    if let Some((store, _)) = &recovery {
        let left = store.remaining(&c.user_id).await?;
        tracing::warn!(event = "recovery_code_used", user_id = %c.user_id, codes_left = left, "a recovery code replaced the second factor");
        shared.audit.emit(
            crate::audit::EventKind::RecoveryCodeUsed { codes_left: left },
            Some(&c.user_id),
        );
    }
    let via = if recovery.is_some() {
        "recovery_code"
    } else {
        "token"
    };
    tracing::info!(event = "challenge_approved", user_id = %c.user_id, via, "second factor approved");
    crate::telemetry::second_factor("success", kind);
    if recovery.is_some() {
        crate::telemetry::recovery_codes("used");
    }
    notify(&shared, &c.id);
    shared.challenges.clear_failures(&c.user_id).await?;
    if let Some(counters) = counters {
        counters.clear(&shared).await?;
    }
    complete(&shared, &session, &reply, &pending, &c, method).await
}

pub(crate) async fn send_sms(checked: Checked<NoFields>) -> Handled {
    send_code(checked, CodeChannel::Sms).await
}

pub(crate) async fn send_call(checked: Checked<NoFields>) -> Handled {
    send_code(checked, CodeChannel::Call).await
}

async fn send_code(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
    channel: CodeChannel,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    if !shared
        .providers
        .iter()
        .any(|p| p.capabilities().sends(channel))
    {
        return Ok(reply.problem(StatusCode::NOT_FOUND, "problem-no-sends"));
    }
    let (_, c) = reply.with_challenge(&session).await?;
    if c.provider == crate::store::factor::PASSKEY_PROVIDER {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-passkey-no-codes"));
    }
    let Some(provider) = shared.provider_of(&c).cloned() else {
        return Err(reply.unavailable().into());
    };
    if !provider.capabilities().sends(channel) {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-factor-no-sends"));
    }
    if c.state != ChallengeState::Pending {
        return Ok(finished_page(&reply, c.state)
            .unwrap_or_else(|| reply.problem(StatusCode::CONFLICT, "problem-no-code-needed")));
    }
    let now = shared.clock.now();
    // Where the provider's subject is not one phone (a Verify entity is one user's), the
    // number itself has an hourly limit too, shared by every account that holds it.
    let phone = match provider.phone_of(c.subject).await {
        Ok(phone) => phone,
        Err(e) => return Err(Rejection::Authy(e, "find the phone")),
    };
    let per_phone = phone.map(|p| (format!("send-phone:{p}"), shared.sends.per_hour, 3600));
    let quotas = [
        (
            format!("send:{}", c.id),
            shared.sends.per_login,
            shared.challenge_ttl,
        ),
        (
            format!("send-account:{}", c.user_id),
            shared.sends.per_hour,
            3600,
        ),
        // Several accounts may share one phone: the phone has its own hourly limit.
        (
            format!("send-authy:{}", c.subject),
            shared.sends.per_hour,
            3600,
        ),
    ];
    for (key, max, window) in quotas.into_iter().chain(per_phone) {
        if !shared.challenges.take_quota(&key, max, window, now).await? {
            tracing::warn!(event = "send_rate_limited", user_id = %c.user_id, "SMS/call limit reached");
            crate::telemetry::throttled("send");
            return Ok(reply.problem(StatusCode::TOO_MANY_REQUESTS, "problem-send-limit"));
        }
    }
    // Sent once, never retried: a slow Authy must not make the phone ring twice.
    let result = provider.send_code(c.subject, channel).await;
    let name = channel.as_str();
    match result {
        Ok(_) => {
            tracing::info!(event = "code_sent", user_id = %c.user_id, channel = name, "code sent");
            crate::telemetry::code_sent(channel);
            shared.audit.emit(
                crate::audit::EventKind::CodeSent { channel: name },
                Some(&c.user_id),
            );
            if reply.json {
                return Ok(Json(json!({"sent": name})).into_response());
            }
            let to = format!("{}?sent={name}", shared.path("/verify"));
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
        }
        Err(e) if e.is_unavailable() => Err(Rejection::Authy(e, "send code")),
        // This user has no phone codes may go to (on Verify: none proved).
        Err(crate::provider::ProviderError::Unsupported(_)) => {
            Ok(reply.problem(StatusCode::CONFLICT, "problem-no-phone"))
        }
        Err(e) => {
            tracing::warn!(error = %e, user_id = %c.user_id, "Authy refused to send a code");
            Ok(reply.problem(StatusCode::BAD_GATEWAY, "problem-send-failed"))
        }
    }
}

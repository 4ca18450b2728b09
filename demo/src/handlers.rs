//! The demo's own pages: home, sign up (validated, rate-limited per phone and per address, the
//! user registered with Authy), and the protected account page.

use crate::pages::{self, SignupForm};
use crate::users::{NewUser, SignupError};
use crate::{AppState, SIGNUPS_PER_ADDRESS, SIGNUPS_PER_PHONE};
use axum::Extension;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::net::SocketAddr;
use tower_authy::{
    VerifiedUser, factors::Factor, secret::Password, store::Clock as _, store::SystemClock,
};
use tower_sessions::Session;

pub(crate) async fn home() -> Html<String> {
    Html(pages::home())
}

pub(crate) async fn signup_form(State(s): State<AppState>, session: Session) -> Response {
    match s.two_factor.csrf_token(&session).await {
        Ok(csrf) => Html(pages::signup(&csrf, &SignupForm::default(), None)).into_response(),
        Err(_) => unavailable(),
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "30")],
        Html(pages::message(
            "Sign-up is unavailable",
            "We cannot reach our user database or Authy right now. Please try again in a minute.",
        )),
    )
        .into_response()
}

/// Checks the form; returns the normalised (country code, phone), `None` when both are left
/// empty (the second step is then turned on at the first login), or what is wrong.
fn validate(f: &SignupForm) -> Result<Option<(String, String)>, &'static str> {
    let digits = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+'))
            .collect::<String>()
    };
    let (cc, phone) = (digits(&f.country_code), digits(&f.phone));
    if f.name.trim().is_empty() || f.name.len() > 100 {
        return Err("Please enter your name.");
    }
    if !f.email.contains('@') || f.email.len() > 254 || f.email.trim() != f.email {
        return Err("Please enter a valid email address.");
    }
    if f.password.chars().count() < 8 || f.password.len() > 1024 {
        return Err("Please choose a password of at least 8 characters.");
    }
    if cc.is_empty() && phone.is_empty() {
        return Ok(None);
    }
    if !(1..=4).contains(&cc.len()) || !cc.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Please enter a country calling code, such as 1 or 44.");
    }
    if !(5..=15).contains(&phone.len()) || !phone.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Please enter a phone number of 5 to 15 digits.");
    }
    Ok(Some((cc, phone)))
}

/// Registers the user with Authy and stores them. Does **not** log them in: the first login
/// goes through both factors, unlike the original tutorial.
pub(crate) async fn signup(
    State(s): State<AppState>,
    session: Session,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<SignupForm>,
) -> Response {
    let csrf = match s
        .two_factor
        .csrf_matches(&session, form.csrf_token.as_deref())
        .await
    {
        Ok(true) => form.csrf_token.clone().unwrap_or_default(),
        Ok(false) => {
            return (
                StatusCode::FORBIDDEN,
                Html(pages::message(
                    "Form expired",
                    "Please reload the sign-up page and try again.",
                )),
            )
                .into_response();
        }
        Err(_) => return unavailable(),
    };
    let again = |status: StatusCode, error: &str| {
        (status, Html(pages::signup(&csrf, &form, Some(error)))).into_response()
    };
    let phone = match validate(&form) {
        Ok(v) => v,
        Err(e) => return again(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    // Each sign-up with a phone makes Authy register it: limit them per phone and per address.
    let now = SystemClock.now();
    let mut quotas = Vec::new();
    if let Some((cc, number)) = &phone {
        quotas.push((format!("signup-phone:{cc}:{number}"), SIGNUPS_PER_PHONE));
    }
    if let Some(Extension(ConnectInfo(peer))) = peer {
        // IPv6 by /64, as tower-authy's own per-address limits count.
        let address = tower_authy::limits::LoginThrottle::default().address_key(peer.ip());
        quotas.push((format!("signup-addr:{address}"), SIGNUPS_PER_ADDRESS));
    }
    for (key, max) in quotas {
        match s.limits.take_quota(&key, max, 3600, now).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(event = "signup_rate_limited", "too many sign-ups");
                return again(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many sign-ups from here or for this phone. Please try again later.",
                );
            }
            Err(_) => return unavailable(),
        }
    }
    match s.users.email_taken(&form.email).await {
        Ok(false) => {}
        Ok(true) => {
            return again(
                StatusCode::CONFLICT,
                "An account with this email already exists. Log in instead.",
            );
        }
        Err(_) => return unavailable(),
    }
    // A provider without phones (self-hosted TOTP) registers at enrolment, where the QR code
    // is shown; a phone given at sign-up is then kept for the account only.
    let registered = match &phone {
        Some((cc, number)) if s.provider.capabilities().needs_phone => {
            s.provider.register(&form.email, number, cc).await.map(Some)
        }
        _ => Ok(None),
    };
    let subject = match registered {
        Ok(subject) => subject,
        Err(e) if e.is_unavailable() => {
            tracing::error!(error = %e, "Authy registration failed");
            return unavailable();
        }
        Err(e) => {
            tracing::info!(error = %e, "Authy refused the registration");
            return again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Authy did not accept this phone number. Please check it.",
            );
        }
    };
    let (country_code, phone) = phone.unwrap_or_default();
    // The registered phone is the user's first factor, as in the tutorial.
    let factor = subject.map(|subject| Factor {
        phone: Some(format!("+{country_code}{phone}")),
        ..Factor::of(s.provider.as_ref(), subject, crate::sessions::now())
    });
    let new = NewUser {
        name: form.name.trim().to_owned(),
        email: form.email.clone(),
        country_code,
        phone,
        factor,
    };
    match s
        .users
        .create(new, &Password::new(form.password.clone()))
        .await
    {
        Ok(id) => {
            tracing::info!(user_id = %id, "user signed up");
            (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, "/authy/login?return_to=%2Faccount")],
            )
                .into_response()
        }
        Err(SignupError::EmailTaken) => again(
            StatusCode::CONFLICT,
            "An account with this email already exists. Log in instead.",
        ),
        Err(SignupError::Store(_)) => unavailable(),
    }
}

pub(crate) async fn account(
    State(s): State<AppState>,
    user: VerifiedUser,
    session: Session,
) -> Response {
    let (name, csrf, factors, activity, mailbox) = match (
        s.users.name(&user.user_id).await,
        s.two_factor.csrf_token(&session).await,
        s.two_factor.factors_of(&user.user).await,
        s.users.recent_activity(&user.user_id, 10).await,
        s.users.mailbox(&user.user_id, 5).await,
    ) {
        (Ok(name), Ok(csrf), Ok(factors), Ok(activity), Ok(mailbox)) => {
            (name.unwrap_or_default(), csrf, factors, activity, mailbox)
        }
        _ => return unavailable(),
    };
    let who = pages::LoggedIn {
        login: &user.user.login,
        csrf: &csrf,
    };
    let security = pages::Security {
        activity: &activity,
        mailbox: &mailbox,
    };
    Html(pages::account(&name, &who, &factors, &security)).into_response()
}

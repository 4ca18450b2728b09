//! What tower-authy keeps in the session: never a password or a token, only ids.

use crate::secret::ct_eq;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const PENDING: &str = "tower_authy.pending";
const VERIFIED: &str = "tower_authy.verified";
const CSRF: &str = "tower_authy.csrf";
const ENROLLING: &str = "tower_authy.enrolling";
const PROVED_AT: &str = "tower_authy.proved_at";
#[cfg(feature = "webauthn")]
const CEREMONY: &str = "tower_authy.ceremony";

/// First factor proved, no second factor yet: turning one on. Counts as logged out everywhere.
///
/// Bound to the user's state when it began: it counts only while the user's second factor and
/// credential epoch are still what they were then, and until the login's deadline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Enrolling {
    pub(crate) user_id: String,
    /// What the user logged in as (for the device cookie).
    #[serde(default)]
    pub(crate) login: String,
    pub(crate) return_to: String,
    /// Registered with the provider, not yet proved with a code.
    pub(crate) phone: Option<Registered>,
    /// The ids of the user's factors when the enrolment began.
    #[serde(default)]
    pub(crate) factors_at_start: Vec<String>,
    /// The provider the new factor is registered with (empty: the first one).
    #[serde(default)]
    pub(crate) provider: String,
    /// The user's credential epoch when the enrolment began.
    pub(crate) epoch: u64,
    /// Unix seconds: the login's deadline.
    pub(crate) expires_at: i64,
    /// An enrolment offered, not demanded (a grace period): where "Skip for now" goes.
    #[serde(default)]
    pub(crate) skip_to: Option<String>,
}

/// What enrolment registered with the provider: its subject, and the phone (digits only;
/// both empty for a provider without phones).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Registered {
    /// The provider's reference (an Authy id, ...).
    #[serde(alias = "authy_id")]
    pub(crate) subject: u64,
    pub(crate) country_code: String,
    pub(crate) phone: String,
}

pub(crate) async fn enrolling(session: &Session) -> Result<Option<Enrolling>, StoreError> {
    session.get(ENROLLING).await.map_err(unavailable)
}

/// Starts (or moves on) an enrolment; a fresh session id when it starts.
pub(crate) async fn set_enrolling(
    session: &Session,
    enrolling: &Enrolling,
    fresh: bool,
) -> Result<(), StoreError> {
    if fresh {
        session.remove_value(VERIFIED).await.map_err(unavailable)?;
        session.remove_value(PENDING).await.map_err(unavailable)?;
        cycle(session).await?;
    }
    session
        .insert(ENROLLING, enrolling)
        .await
        .map_err(unavailable)
}

/// The enrolment is over (done, or abandoned for a login).
pub(crate) async fn end_enrolment(session: &Session) -> Result<(), StoreError> {
    session
        .remove_value(ENROLLING)
        .await
        .map_err(unavailable)
        .map(drop)
}

/// Password accepted, second factor outstanding. Counts as logged out everywhere, except
/// when `again`: a verified session proving the second factor once more for a route that
/// needs it fresh, which stays logged in meanwhile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    /// A verified session proving the second factor again (it stays verified meanwhile).
    #[serde(default)]
    pub(crate) again: bool,
    pub(crate) challenge_id: String,
    pub(crate) user_id: String,
    /// What the user logged in as (for the device cookie).
    #[serde(default)]
    pub(crate) login: String,
    /// The user's credential epoch when the first factor was accepted: the session counts
    /// only while it is still the user's.
    #[serde(default)]
    pub(crate) epoch: u64,
    pub(crate) return_to: String,
    /// The box "remember this device" was ticked: the device to remember once both factors
    /// are proved.
    #[serde(default)]
    pub(crate) remember: Option<RememberRequest>,
}

/// A device to remember at the end of a login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RememberRequest {
    /// The user's credential epoch when the password was accepted.
    pub(crate) epoch: u64,
    /// What the browser called itself.
    pub(crate) label: String,
}

fn unavailable(e: tower_sessions::session::Error) -> StoreError {
    StoreError::unavailable(e)
}

pub(crate) async fn pending(session: &Session) -> Result<Option<Pending>, StoreError> {
    session.get(PENDING).await.map_err(unavailable)
}

/// Who logged in in this session, and at which of their credential epochs: with both factors,
/// or (where the policy lets a user without a factor in) with the first alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    pub(crate) user_id: String,
    pub(crate) epoch: u64,
    /// Both factors proved; `false`: the first factor alone, for a user who had none.
    pub(crate) second_factor: bool,
}

impl Verified {
    /// Whether this proof still counts for `user` as the store knows them now: same user, and
    /// no credential epoch raised since ("log out everywhere", a new password).
    pub(crate) fn holds_for(&self, user: &crate::UserRecord) -> bool {
        self.user_id == user.id && self.epoch == user.credential_epoch
    }
}

/// The user who completed both factors in this session (a login with the first factor alone
/// does not count here: see [`signed_in`]).
pub(crate) async fn verified(session: &Session) -> Result<Option<Verified>, StoreError> {
    Ok(signed_in(session).await?.filter(|v| v.second_factor))
}

/// Who logged in in this session, with both factors or the first alone. Every protected
/// request reads it, so it is stored as one string, `<epoch>:<user id>` (both factors) or
/// `p<epoch>:<user id>` (the password alone), the cheapest thing to load; anything else there
/// (a session from before epochs were kept) counts as logged out.
pub(crate) async fn signed_in(session: &Session) -> Result<Option<Verified>, StoreError> {
    let stored: Option<String> = session.get(VERIFIED).await.map_err(unavailable)?;
    Ok(stored.and_then(|s| {
        let (epoch, user_id) = s.split_once(':')?;
        let (epoch, second_factor) = match epoch.strip_prefix('p') {
            Some(epoch) => (epoch, false),
            None => (epoch, true),
        };
        Some(Verified {
            user_id: user_id.to_owned(),
            epoch: epoch.parse().ok()?,
            second_factor,
        })
    }))
}

/// A fresh session id and a fresh CSRF token (made on first use), together: a token seen
/// under the old id is worth nothing under the new one.
async fn cycle(session: &Session) -> Result<(), StoreError> {
    session.remove_value(CSRF).await.map_err(unavailable)?;
    session.cycle_id().await.map_err(unavailable)
}

/// Starts a second factor: a fresh session id (against fixation), any earlier login or
/// enrolment dropped.
pub(crate) async fn begin(session: &Session, pending: &Pending) -> Result<(), StoreError> {
    if !pending.again {
        session.remove_value(VERIFIED).await.map_err(unavailable)?;
    }
    session.remove_value(ENROLLING).await.map_err(unavailable)?;
    cycle(session).await?;
    session.insert(PENDING, pending).await.map_err(unavailable)
}

/// Completes the login: a fresh session id again, pending state and any enrolment gone, the
/// CSRF token rotated, user verified at `epoch`.
pub(crate) async fn complete(
    session: &Session,
    user_id: &str,
    epoch: u64,
) -> Result<(), StoreError> {
    sign_in(session, format!("{epoch}:{user_id}")).await
}

/// Logs in a user without a second factor, with the first alone, where the policy allows it:
/// a fresh session id, any pending login or enrolment dropped, no proof of a second factor.
pub(crate) async fn complete_first_factor_only(
    session: &Session,
    user_id: &str,
    epoch: u64,
) -> Result<(), StoreError> {
    session.remove_value(PROVED_AT).await.map_err(unavailable)?;
    sign_in(session, format!("p{epoch}:{user_id}")).await
}

/// Pending login and enrolment gone, a fresh session id and CSRF token, `signed_in` (see
/// [`signed_in`]) stored.
async fn sign_in(session: &Session, signed_in: String) -> Result<(), StoreError> {
    session.remove_value(PENDING).await.map_err(unavailable)?;
    session.remove_value(ENROLLING).await.map_err(unavailable)?;
    cycle(session).await?;
    session
        .insert(VERIFIED, signed_in)
        .await
        .map_err(unavailable)
}

/// Records that the second factor was proved just now (Unix seconds `at`), for the actions
/// that need it proved recently.
pub(crate) async fn proved_at(session: &Session, at: i64) -> Result<(), StoreError> {
    session.insert(PROVED_AT, at).await.map_err(unavailable)
}

/// When the second factor was last proved in this session, if it was.
pub(crate) async fn last_proved(session: &Session) -> Result<Option<i64>, StoreError> {
    session.get(PROVED_AT).await.map_err(unavailable)
}

#[cfg(feature = "webauthn")]
/// The challenge-store key of the WebAuthn ceremony this session runs for `purpose`
/// (`register`, `sign-in`): the one it began, or a new one. One a session, so starting again
/// replaces the state rather than adding to it.
pub(crate) async fn ceremony_key(session: &Session, purpose: &str) -> Result<String, StoreError> {
    let held: Option<(String, String)> = session.get(CEREMONY).await.map_err(unavailable)?;
    if let Some((_, key)) = held.filter(|(p, _)| p == purpose) {
        return Ok(key);
    }
    let key = format!("passkey-{purpose}:{}", crate::random::id());
    session
        .insert(CEREMONY, (purpose, &key))
        .await
        .map_err(unavailable)?;
    Ok(key)
}

#[cfg(feature = "webauthn")]
/// Takes the key of the ceremony this session began for `purpose`, if it did.
pub(crate) async fn take_ceremony_key(
    session: &Session,
    purpose: &str,
) -> Result<Option<String>, StoreError> {
    let held: Option<(String, String)> = session.get(CEREMONY).await.map_err(unavailable)?;
    let Some((_, key)) = held.filter(|(p, _)| p == purpose) else {
        return Ok(None);
    };
    session.remove_value(CEREMONY).await.map_err(unavailable)?;
    Ok(Some(key))
}

/// A fresh session id (and CSRF token), everything else kept: after a change to the
/// account's factors.
pub(crate) async fn rotate(session: &Session) -> Result<(), StoreError> {
    cycle(session).await
}

/// Drops the second factor (done or pending) and nothing else: in step-up mode the session
/// also holds the application's own login.
pub(crate) async fn forget_second_factor(session: &Session) -> Result<(), StoreError> {
    session.remove_value(VERIFIED).await.map_err(unavailable)?;
    session.remove_value(PENDING).await.map_err(unavailable)?;
    session.remove_value(ENROLLING).await.map_err(unavailable)?;
    Ok(())
}

pub(crate) async fn end(session: &Session) -> Result<(), StoreError> {
    session.flush().await.map_err(unavailable)
}

/// The session's CSRF token, created on first use.
pub(crate) async fn csrf_token(session: &Session) -> Result<String, StoreError> {
    if let Some(t) = session.get::<String>(CSRF).await.map_err(unavailable)? {
        return Ok(t);
    }
    let t = crate::random::id();
    session.insert(CSRF, &t).await.map_err(unavailable)?;
    Ok(t)
}

/// Whether `given` is this session's CSRF token (constant-time).
pub(crate) async fn csrf_ok(session: &Session, given: Option<&str>) -> Result<bool, StoreError> {
    let expected: Option<String> = session.get(CSRF).await.map_err(unavailable)?;
    Ok(match (expected, given) {
        (Some(e), Some(g)) => ct_eq(e.as_bytes(), g.as_bytes()),
        _ => false,
    })
}

/// `return_to` if it is a same-origin relative path, else `None`.
///
/// Refused: absolute and scheme-relative URLs (`//evil`, `/\evil`), anything with a scheme,
/// control characters or backslashes, and paths over 2 KiB.
#[doc(hidden)]
pub(crate) fn safe_return_to(raw: &str) -> Option<&str> {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && raw.len() <= 2048
        && !raw.bytes().any(|b| b == b'\\' || b.is_ascii_control())
        // An encoded slash or backslash right after the first one decodes to `//` somewhere.
        && !["%2f", "%5c"].iter().any(|p| raw.get(1..4).is_some_and(|s| s.eq_ignore_ascii_case(p)));
    ok.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn only_same_origin_paths() {
        for good in ["/", "/account", "/a/b?c=d#e", "/search?q=%2F"] {
            assert_eq!(safe_return_to(good), Some(good), "{good}");
        }
        for bad in [
            "",
            "account",
            "//evil.example",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/%2F%2Fevil.example",
            "/%5Cevil",
            "/\t/evil",
            "\n/x",
            "http:/x",
        ] {
            assert_eq!(safe_return_to(bad), None, "{bad:?}");
        }
        assert_eq!(safe_return_to(&format!("/{}", "a".repeat(3000))), None);
    }
}

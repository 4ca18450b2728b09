//! [`Policy`]: which users must hold and prove a second factor. Re-exported by
//! [`crate::guard`]; a leaf, so that the configuration can hold one.

use crate::UserRecord;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Which users must prove a second factor: everyone (the default), only users a predicate
/// selects, only users who have one ("if enrolled"), or everyone from a date on.
///
/// A user who holds a factor always proves it at login, whatever the policy (the strongest
/// factor a user has is the one asked for). A policy decides what happens to a user who holds
/// none:
///
/// | policy | a user without a factor |
/// |---|---|
/// | [`required`](Policy::required) | enrols at login; cannot skip |
/// | [`required_for`](Policy::required_for) | enrols if the predicate selects them, else logs in with the password alone |
/// | [`if_enrolled`](Policy::if_enrolled) | logs in with the password alone |
/// | [`required_after`](Policy::required_after) | before the date, is offered enrolment and may skip it; from the date, enrols |
///
/// A session that logged in with the password alone passes a layer whose policy does not
/// require its user, and the handler can tell ([`VerifiedUser::second_factor`](crate::VerifiedUser::second_factor)
/// is `false`). A layer whose policy requires the user sends the browser to set up a factor
/// (`303` to `<prefix>/enrol`, and back) or answers API clients `401`
/// `application/problem+json` with `"reason": "second_factor_required"`. Such a session ends
/// once the user holds a factor (set up elsewhere, say): they log in again and prove it.
///
/// The builder's policy ([`TwoFactorBuilder::policy`](crate::TwoFactorBuilder::policy))
/// decides the login and [`TwoFactor::layer`](crate::TwoFactor::layer); a route group can
/// demand more with [`RequireTwoFactorLayer::policy`](crate::RequireTwoFactorLayer::policy).
///
/// ```
/// use tower_authy::guard::Policy;
/// // Admins must use a second factor; everyone else may.
/// let admins = ["ada@example.com".to_owned()];
/// let policy = Policy::required_for(move |user| admins.contains(&user.login));
/// # drop(policy);
/// ```
#[derive(Clone)]
pub struct Policy(Rule);

#[derive(Clone)]
enum Rule {
    Everyone,
    IfEnrolled,
    For(Arc<dyn Fn(&UserRecord) -> bool + Send + Sync>),
    /// Unix seconds.
    After(i64),
}

impl Policy {
    /// Every user must prove a second factor. The default.
    pub fn required() -> Policy {
        Policy(Rule::Everyone)
    }

    /// Users with a second factor prove it; users without one pass with the first factor.
    pub fn if_enrolled() -> Policy {
        Policy(Rule::IfEnrolled)
    }

    /// Users `selects` returns `true` for must prove a second factor (set one up at login if
    /// they have none); the others are as under [`if_enrolled`](Policy::if_enrolled). The
    /// predicate runs on the user as the [`UserStore`](crate::UserStore) returns them, on
    /// every guarded request of a session without a second factor, so keep it cheap.
    pub fn required_for(selects: impl Fn(&UserRecord) -> bool + Send + Sync + 'static) -> Policy {
        Policy(Rule::For(Arc::new(selects)))
    }

    /// A grace period: before `date`, users without a second factor are offered enrolment
    /// at login and may skip it (and pass with the first factor); from `date` on, as
    /// [`required`](Policy::required): their sessions without a second factor are sent to
    /// set one up.
    pub fn required_after(date: SystemTime) -> Policy {
        let secs = date
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Policy(Rule::After(secs))
    }

    /// Whether `user` must prove a second factor at `now` (Unix seconds).
    pub(crate) fn requires(&self, user: &UserRecord, now: i64) -> bool {
        match &self.0 {
            Rule::Everyone => true,
            Rule::IfEnrolled => false,
            Rule::For(selects) => selects(user),
            Rule::After(date) => now >= *date,
        }
    }

    /// Whether a user this policy does not require is offered enrolment at login (the grace
    /// period).
    pub(crate) fn offers_enrolment(&self) -> bool {
        matches!(self.0, Rule::After(_))
    }

    /// Whether every user must prove a second factor whatever the time: the guard then
    /// never looks at a user's factors.
    pub(crate) fn is_everyone(&self) -> bool {
        matches!(self.0, Rule::Everyone)
    }
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::required()
    }
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Rule::Everyone => f.write_str("Policy::required()"),
            Rule::IfEnrolled => f.write_str("Policy::if_enrolled()"),
            Rule::For(_) => f.write_str("Policy::required_for(..)"),
            Rule::After(at) => write!(f, "Policy::required_after({at})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn user(login: &str) -> UserRecord {
        UserRecord {
            id: "1".into(),
            login: login.into(),
            credential_epoch: 0,
        }
    }

    #[test]
    fn each_policy_says_who_must_prove_a_second_factor() {
        let ada = user("ada@example.com");
        let bob = user("bob@example.com");
        assert!(Policy::required().requires(&bob, 0));
        assert!(!Policy::if_enrolled().requires(&ada, 0));
        let admins = Policy::required_for(|u| u.login.starts_with("ada"));
        assert!(admins.requires(&ada, 0) && !admins.requires(&bob, 0));
        let date = UNIX_EPOCH + Duration::from_secs(1_000);
        let grace = Policy::required_after(date);
        assert!(!grace.requires(&bob, 999) && grace.requires(&bob, 1_000));
        assert!(grace.offers_enrolment() && !Policy::if_enrolled().offers_enrolment());
        assert_eq!(
            format!("{admins:?}/{:?}", Policy::default()),
            "Policy::required_for(..)/Policy::required()"
        );
    }
}

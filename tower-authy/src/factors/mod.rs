//! Second factors: a user holds zero or more, each served by one provider.
//!
//! A [`Factor`] names its provider ([`crate::SecondFactorProvider::name`])
//! and that provider's reference for it (the `subject`: an Authy id, a Verify entity, a sealed
//! TOTP secret's row). The application keeps them in a [`FactorStore`], usually beside its
//! users, and hands it to [`TwoFactor::builder`](crate::TwoFactor::builder). At login the user's factors
//! are offered the last used first; a verified user lists, adds, renames and removes them at
//! `{prefix}/factors`.
//!
//! **Migration from one Authy id per user.** Earlier versions read a user's Authy id from
//! `UserRecord::authy_id`. Move each one into the factor store once, with [`adopt`] (it is
//! idempotent, so run it at every start until the column is gone, or from your
//! [`UserStore::load`](crate::UserStore::load) for users as they come back), then drop the
//! column. Run it before the new version serves logins: a user whose Authy id was not adopted
//! holds no factor, and with enrolment on (the default) the next login with their password
//! would set one up.
//!
//! ```
//! use tower_authy::{factors, store::MemoryUserStore};
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
//! let users = MemoryUserStore::new();
//! let id = users.insert("ada@example.com", "pw", []);
//! let legacy_authy_id = 1234; // SELECT id, authy_id FROM users WHERE authy_id IS NOT NULL
//! let now = 1_700_000_000;
//! assert!(factors::adopt(&users, &id, &authy, legacy_authy_id, now).await.unwrap());
//! // Again: the user already holds it, nothing is added.
//! assert!(!factors::adopt(&users, &id, &authy, legacy_authy_id, now).await.unwrap());
//! # }
//! ```

mod pages;
mod reset;
pub(crate) mod routes;

pub use reset::{Reset, Stores, reset_second_factor};

pub use crate::store::factor::{Factor, FactorKind, FactorStore, PASSKEY_PROVIDER, same_ids};

use crate::SecondFactorProvider;
use crate::store::StoreError;

impl Factor {
    /// The factor `provider` knows as `subject` (an Authy id, a TOTP subject, ...), as
    /// enrolment would write it: a fresh random id, the provider's kind, its app's name as
    /// the label, created at `created_at` (Unix seconds), never used yet.
    pub fn of(
        provider: &(impl SecondFactorProvider + ?Sized),
        subject: u64,
        created_at: i64,
    ) -> Factor {
        Factor {
            id: crate::random::id(),
            kind: FactorKind::of(provider),
            provider: provider.name().to_owned(),
            subject,
            label: capitalised(provider.app_label()),
            phone: None,
            created_at,
            last_used_at: None,
        }
    }
}

/// Gives the user the factor `provider` knows as `subject`, unless they hold it already:
/// `true` when added. How a reference registered outside tower-authy (a legacy Authy id from
/// the user's row, a phone registered at sign-up) becomes a factor. Safe to run again and
/// concurrently with enrolment: the write is a compare-and-set on the factors just read,
/// retried a few times when they change meanwhile.
///
/// # Errors
/// [`StoreError`] when the store cannot answer, has no such user, or keeps changing under the
/// write.
pub async fn adopt(
    store: &(impl FactorStore + ?Sized),
    user_id: &str,
    provider: &(impl SecondFactorProvider + ?Sized),
    subject: u64,
    now: i64,
) -> Result<bool, StoreError> {
    for _ in 0..5 {
        let held = store.factors(user_id).await?;
        if held
            .iter()
            .any(|f| f.provider == provider.name() && f.subject == subject)
        {
            return Ok(false);
        }
        let expected: Vec<String> = held.into_iter().map(|f| f.id).collect();
        if store
            .add(user_id, Factor::of(provider, subject, now), &expected)
            .await?
        {
            return Ok(true);
        }
    }
    Err(StoreError::unavailable(std::io::Error::other(
        "no such user, or their factors kept changing while one was adopted",
    )))
}

impl FactorKind {
    /// The kind of factor `provider` registers: push where it pushes, else phone where it
    /// needs a number, else an authenticator app.
    pub(crate) fn of(provider: &(impl crate::SecondFactorProvider + ?Sized)) -> FactorKind {
        let caps = provider.capabilities();
        if caps.push {
            FactorKind::Push
        } else if caps.needs_phone {
            FactorKind::Phone
        } else {
            FactorKind::App
        }
    }
}

/// `text` with its first letter in upper case ("the Authy app" → "The Authy app").
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A label as the forms take it: trimmed, 1 to 64 characters, no control characters.
pub(crate) fn label(input: &str) -> Option<String> {
    let t = input.trim();
    let ok = !t.is_empty() && t.chars().count() <= 64 && !t.chars().any(char::is_control);
    ok.then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::factor::login_order;

    fn f(id: &str, kind: FactorKind, created: i64, used: Option<i64>) -> Factor {
        Factor {
            id: id.into(),
            kind,
            provider: "p".into(),
            subject: 1,
            label: id.into(),
            phone: None,
            created_at: created,
            last_used_at: used,
        }
    }

    #[test]
    fn login_offers_the_last_used_then_push_app_phone() {
        let mut all = vec![
            f("phone", FactorKind::Phone, 1, None),
            f("app", FactorKind::App, 2, None),
            f("push", FactorKind::Push, 3, None),
        ];
        login_order(&mut all);
        let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["push", "app", "phone"]);
        all[2].last_used_at = Some(100);
        login_order(&mut all);
        assert_eq!(all[0].id, "phone", "the last used first");
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(label("  work phone "), Some("work phone".into()));
        assert_eq!(label(""), None);
        assert_eq!(label("a\u{7}b"), None);
        assert_eq!(label(&"x".repeat(65)), None);
        assert!(same_ids(["b", "a"], &["a".into(), "b".into()]));
        assert!(!same_ids(["a"], &["a".into(), "b".into()]));
    }
}

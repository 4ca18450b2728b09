//! Second factors: a user holds zero or more, each served by one provider.
//!
//! A [`Factor`] names its provider ([`SecondFactorProvider::name`](crate::SecondFactorProvider::name))
//! and that provider's reference for it (the `subject`: an Authy id, a Verify entity, a sealed
//! TOTP secret's row). The application keeps them in a [`FactorStore`], usually beside its
//! users, and turns the model on with
//! [`TwoFactorBuilder::factors`](crate::TwoFactorBuilder::factors). At login the user's factors
//! are offered the last used first; a verified user lists, adds, renames and removes them at
//! `{prefix}/factors`.
//!
//! **Migration.** A [`UserRecord`](crate::UserRecord) that still carries an `authy_id` keeps
//! logging in: tower-authy shows it as a factor of the first provider (id `legacy`) beside the
//! store's, until the application moves it into its store (insert a factor with the same
//! provider and subject, then clear the column) — the demo does this when it starts.

mod reset;

pub use reset::{Reset, Stores, reset_second_factor};

pub use crate::store::factor::{Factor, FactorKind, FactorStore, same_ids};

impl FactorKind {
    /// The kind of factor `provider` registers: push where it pushes, else phone where it
    /// needs a number, else an authenticator app.
    pub(crate) fn of(provider: &dyn crate::SecondFactorProvider) -> FactorKind {
        let caps = provider.capabilities();
        if caps.push {
            FactorKind::Push
        } else if caps.needs_phone {
            FactorKind::Phone
        } else {
            FactorKind::App
        }
    }

    /// Login offers push first, then apps, then phones.
    pub(crate) fn rank(self) -> u8 {
        match self {
            FactorKind::Push => 0,
            FactorKind::App => 1,
            FactorKind::Phone => 2,
        }
    }
}

/// The id of the factor a user record's legacy `authy_id` stands for.
pub(crate) const LEGACY: &str = "legacy";

/// `text` with its first letter in upper case ("the Authy app" → "The Authy app").
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The ids a [`FactorStore`] holds among `ids` (a legacy Authy id is not in it).
pub(crate) fn stored_ids(ids: &[String]) -> Vec<String> {
    ids.iter().filter(|id| *id != LEGACY).cloned().collect()
}

/// The order login offers factors in: the last used first, then push, app, phone; then the
/// oldest.
pub(crate) fn login_order(factors: &mut [Factor]) {
    factors.sort_by(|a, b| {
        b.last_used_at
            .cmp(&a.last_used_at)
            .then(a.kind.rank().cmp(&b.kind.rank()))
            .then(a.created_at.cmp(&b.created_at))
    });
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

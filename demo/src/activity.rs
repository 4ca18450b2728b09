//! The demo's audit sink: each user's recent security activity, kept beside the users (the
//! last [`KEPT`] events each), and the notices a real app would email (a device remembered,
//! a way to sign in added or removed, an administrator's reset), kept in a mailbox table and
//! logged, since the demo sends no mail.

use crate::users::SqliteUsers;
use rusqlite::OptionalExtension;
use tower_authy::audit::{AuditEvent, AuditSink, EventKind, Method, PushOutcome};
use tower_authy::store::StoreError;

/// Events kept per user.
pub const KEPT: i64 = 50;

/// Records tower-authy's audit events in the demo's database.
#[derive(Debug, Clone)]
pub struct Activity {
    users: SqliteUsers,
}

impl Activity {
    /// Records into `users`' database.
    pub fn new(users: SqliteUsers) -> Self {
        Activity { users }
    }
}

/// One line of a user's recent security activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Unix seconds.
    pub at: i64,
    /// What happened, in words.
    pub what: String,
    /// From where (the client address), when known.
    pub client: Option<String>,
}

impl AuditSink for Activity {
    /// One small insert into the local SQLite file, on the request's thread: quick enough
    /// for a demo, and an event is listed by the time the browser follows the redirect.
    fn record(&self, e: &AuditEvent) {
        // A refused password names nobody.
        let Some(user_id) = e.user_id.clone() else {
            return;
        };
        let what = describe(&e.kind);
        let client = e.client.clone();
        let at = e.at;
        let notice = notice(&e.kind);
        let written = self.users.at_once(|c| {
            c.execute(
                "INSERT INTO security_events (user_id, at, what, client) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![user_id, at, what, client],
            )?;
            c.execute(
                "DELETE FROM security_events WHERE user_id = ?1 AND seq <= \
                 (SELECT seq FROM security_events WHERE user_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
                rusqlite::params![user_id, KEPT],
            )?;
            let Some(subject) = notice else {
                return Ok(());
            };
            let email: Option<String> = c
                .query_row(
                    "SELECT email FROM users WHERE id = ?1",
                    [&user_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(email) = email {
                c.execute(
                    "INSERT INTO mailbox (user_id, at, recipient, subject) VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![user_id, at, email, subject],
                )?;
                tracing::info!(target: "demo::mail", to = %email, subject, "notice (the demo sends no mail)");
            }
            Ok(())
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not record a security event");
        }
    }
}

impl SqliteUsers {
    /// The user's last `n` security events, newest first.
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot answer.
    pub async fn recent_activity(&self, user_id: &str, n: u32) -> Result<Vec<Entry>, StoreError> {
        let user_id = user_id.to_owned();
        self.blocking(move |c| {
            let mut q = c.prepare(
                "SELECT at, what, client FROM security_events WHERE user_id = ?1 \
                 ORDER BY seq DESC LIMIT ?2",
            )?;
            let rows = q.query_map(rusqlite::params![user_id, n], |r| {
                Ok(Entry {
                    at: r.get(0)?,
                    what: r.get(1)?,
                    client: r.get(2)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// The subjects of the notices "emailed" to the user, newest first (at most `n`).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot answer.
    pub async fn mailbox(&self, user_id: &str, n: u32) -> Result<Vec<String>, StoreError> {
        let user_id = user_id.to_owned();
        self.blocking(move |c| {
            let mut q = c.prepare(
                "SELECT subject FROM mailbox WHERE user_id = ?1 ORDER BY seq DESC LIMIT ?2",
            )?;
            let rows = q.query_map(rusqlite::params![user_id, n], |r| r.get(0))?;
            rows.collect()
        })
        .await
    }
}

/// An event in words, as the account page lists it.
fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::PasswordAccepted => "Password accepted".into(),
        EventKind::PasswordRefused { .. } => "Wrong password".into(),
        EventKind::SecondFactorProved { method, .. } => match method {
            Method::Push => "Signed in: login request approved".into(),
            Method::Code => "Signed in with a code".into(),
            Method::RecoveryCode => "Signed in with a recovery code".into(),
            Method::RememberedDevice => "Signed in on a remembered browser".into(),
            _ => "Signed in".into(),
        },
        EventKind::SecondFactorRefused { .. } => "Wrong code entered".into(),
        EventKind::Locked => "Locked for a while after too many wrong codes".into(),
        EventKind::PushSent { .. } => "Login request sent to your phone".into(),
        EventKind::PushAnswered { outcome } => match outcome {
            PushOutcome::Approved => "Login request approved on your phone".into(),
            PushOutcome::Denied => "Login request denied on your phone".into(),
            _ => "Login request expired".into(),
        },
        EventKind::CodeSent { channel } => format!("Code sent by {channel}"),
        EventKind::FactorAdded { .. } => "A way to sign in was added".into(),
        EventKind::FactorRemoved { .. } => "A way to sign in was removed".into(),
        EventKind::RecoveryCodesGenerated => "New recovery codes made".into(),
        EventKind::RecoveryCodeUsed { codes_left } => {
            format!("A recovery code was used ({codes_left} left)")
        }
        EventKind::DeviceRemembered => "A browser was remembered".into(),
        EventKind::DevicesForgotten { count } => format!("Remembered browsers forgotten: {count}"),
        EventKind::EpochBumped => "Signed out everywhere else".into(),
        EventKind::AdminReset { .. } => "An administrator reset your second factors".into(),
        _ => "Security event".into(),
    }
}

/// The notice a real app would email for `kind`, if any.
fn notice(kind: &EventKind) -> Option<&'static str> {
    match kind {
        EventKind::DeviceRemembered => Some("A browser was remembered for your account"),
        EventKind::FactorAdded { .. } => Some("A way to sign in was added to your account"),
        EventKind::FactorRemoved { .. } => Some("A way to sign in was removed from your account"),
        EventKind::AdminReset { .. } => Some("An administrator reset your second factors"),
        _ => None,
    }
}

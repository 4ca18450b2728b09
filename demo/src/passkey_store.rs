//! The users' passkeys in their SQLite file: one row a credential, under its factor's subject;
//! the credential id is unique (one account a credential), and the counter's update is a
//! compare-and-set in one statement.

use crate::users::SqliteUsers;
use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};
use tower_authy::provider::webauthn::{PasskeyStore, StoredCredential};
use tower_authy::store::StoreError;

/// SQLite integers are signed: a subject is kept as the same 64 bits.
fn key(subject: u64) -> i64 {
    i64::from_ne_bytes(subject.to_ne_bytes())
}

fn stored(r: &Row<'_>) -> rusqlite::Result<StoredCredential> {
    Ok(StoredCredential {
        user_id: r.get(0)?,
        credential_id: r.get(1)?,
        credential: r.get(2)?,
        counter: r.get(3)?,
    })
}

impl SqliteUsers {
    /// Forgets every credential of `user_id` (an administrator's reset): how many.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn forget_passkeys(&self, user_id: &str) -> Result<usize, StoreError> {
        let user_id = user_id.to_owned();
        self.blocking(move |db| db.execute("DELETE FROM passkeys WHERE user_id = ?1", [user_id]))
            .await
    }
}

#[async_trait]
impl PasskeyStore for SqliteUsers {
    async fn register(&self, subject: u64, c: StoredCredential) -> Result<bool, StoreError> {
        self.blocking(move |db| {
            db.execute(
                "INSERT OR IGNORE INTO passkeys (subject, user_id, credential_id, credential, counter)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key(subject), c.user_id, c.credential_id, c.credential, c.counter],
            )
            .map(|n| n == 1)
        })
        .await
    }

    async fn get(&self, subject: u64) -> Result<Option<StoredCredential>, StoreError> {
        self.blocking(move |db| {
            db.query_row(
                "SELECT user_id, credential_id, credential, counter FROM passkeys WHERE subject = ?1",
                [key(subject)],
                stored,
            )
            .optional()
        })
        .await
    }

    async fn find(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<(u64, StoredCredential)>, StoreError> {
        let id = credential_id.to_vec();
        self.blocking(move |db| {
            db.query_row(
                "SELECT user_id, credential_id, credential, counter, subject FROM passkeys
                 WHERE credential_id = ?1",
                [id],
                |r| {
                    let subject = u64::from_ne_bytes(r.get::<_, i64>(4)?.to_ne_bytes());
                    Ok((subject, stored(r)?))
                },
            )
            .optional()
        })
        .await
    }

    async fn update(
        &self,
        subject: u64,
        expected_counter: u32,
        c: StoredCredential,
    ) -> Result<bool, StoreError> {
        self.blocking(move |db| {
            db.execute(
                "UPDATE passkeys SET credential = ?1, counter = ?2
                 WHERE subject = ?3 AND counter = ?4 AND credential_id = ?5",
                params![
                    c.credential,
                    c.counter,
                    key(subject),
                    expected_counter,
                    c.credential_id
                ],
            )
            .map(|n| n == 1)
        })
        .await
    }

    async fn remove(&self, subject: u64) -> Result<bool, StoreError> {
        self.blocking(move |db| {
            db.execute("DELETE FROM passkeys WHERE subject = ?1", [key(subject)])
                .map(|n| n == 1)
        })
        .await
    }
}

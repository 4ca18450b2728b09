//! The self-hosted TOTP provider's secrets in the users' SQLite file: sealed (tower-authy
//! encrypts them under the key from configuration before they get here), with the last time
//! step used, so that every instance on the file refuses a code used on another.

use crate::users::SqliteUsers;
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use tower_authy::{provider::totp::TotpSecretStore, store::StoreError};

/// SQLite integers are signed: a subject is kept as the same 64 bits.
fn key(subject: u64) -> i64 {
    i64::from_ne_bytes(subject.to_ne_bytes())
}

#[async_trait]
impl TotpSecretStore for SqliteUsers {
    async fn insert(&self, subject: u64, sealed: Vec<u8>) -> Result<bool, StoreError> {
        self.blocking(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO totp_secrets (subject, sealed) VALUES (?1, ?2)",
                params![key(subject), sealed],
            )
            .map(|n| n == 1)
        })
        .await
    }

    async fn sealed(&self, subject: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.blocking(move |c| {
            c.query_row(
                "SELECT sealed FROM totp_secrets WHERE subject = ?1",
                params![key(subject)],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    async fn advance(&self, subject: u64, step: u64) -> Result<bool, StoreError> {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        self.blocking(move |c| {
            c.execute(
                "UPDATE totp_secrets SET last_step = ?2
                 WHERE subject = ?1 AND (last_step IS NULL OR last_step < ?2)",
                params![key(subject), step],
            )
            .map(|n| n == 1)
        })
        .await
    }

    async fn remove(&self, subject: u64) -> Result<(), StoreError> {
        self.blocking(move |c| {
            c.execute(
                "DELETE FROM totp_secrets WHERE subject = ?1",
                params![key(subject)],
            )
            .map(drop)
        })
        .await
    }

    async fn reseal(
        &self,
        subject: u64,
        expected: &[u8],
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let expected = expected.to_vec();
        self.blocking(move |c| {
            c.execute(
                "UPDATE totp_secrets SET sealed = ?3 WHERE subject = ?1 AND sealed = ?2",
                params![key(subject), expected, sealed],
            )
            .map(|n| n == 1)
        })
        .await
    }
}

impl SqliteUsers {
    /// Every subject with a TOTP secret, for sealing them all again under a new key.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn totp_subjects(&self) -> Result<Vec<u64>, StoreError> {
        self.blocking(|c| {
            let mut st = c.prepare("SELECT subject FROM totp_secrets ORDER BY subject")?;
            st.query_map([], |r| r.get::<_, i64>(0))?
                .map(|s| s.map(|s| u64::from_ne_bytes(s.to_ne_bytes())))
                .collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_sqlite_totp_store_conforms() {
        let users =
            crate::users::SqliteUsers::open(std::path::Path::new(":memory:"), true).unwrap();
        tower_authy::conformance::totp_secret_store(std::sync::Arc::new(users)).await;
    }
}

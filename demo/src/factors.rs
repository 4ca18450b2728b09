//! The demo's second-factor state in the users' SQLite file: each user's factors
//! (`FactorStore`), recovery codes and remembered devices (`RecoveryCodeStore`,
//! `DeviceStore`), and the key that signs the
//! remembered-device cookies, made once per database: every instance on the file shares it,
//! and a restart keeps it.

use crate::users::SqliteUsers;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use tower_authy::{
    FactorStore, factors::Factor, factors::FactorKind, recovery::RecoveryCodeHash,
    recovery::RecoveryCodeStore, remember::DeviceStore, remember::RememberKey,
    remember::RememberedDevice, store::StoreError,
};

impl SqliteUsers {
    /// The key for remembered-device cookies: made at random on first use, then kept.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn remember_key(&self) -> Result<RememberKey, StoreError> {
        Ok(self.remember_keys().await?.0)
    }

    /// The remembered-device key and the one it replaced at the last rotation, if any: cookies
    /// signed with that one still count until the next rotation.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn remember_keys(&self) -> Result<(RememberKey, Option<RememberKey>), StoreError> {
        let current = self.current_remember_key().await?;
        let previous: Option<Vec<u8>> = self
            .blocking(|c| {
                c.query_row(
                    "SELECT value FROM secrets WHERE name = 'remember_key_previous'",
                    [],
                    |r| r.get(0),
                )
                .optional()
            })
            .await?;
        Ok((current, previous.map(key_from).transpose()?))
    }

    /// A new remembered-device key; the current one becomes the previous (the one before is
    /// dropped). Devices remembered under the replaced key keep working, and are signed again
    /// with the new key at their next login.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn rotate_remember_key(&self) -> Result<(), StoreError> {
        self.current_remember_key().await?;
        let mut fresh = [0u8; 32];
        OsRng.fill_bytes(&mut fresh);
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO secrets (name, value)
                 SELECT 'remember_key_previous', value FROM secrets WHERE name = 'remember_key'",
                [],
            )?;
            tx.execute(
                "UPDATE secrets SET value = ?1 WHERE name = 'remember_key'",
                params![fresh.as_slice()],
            )?;
            tx.commit()
        })
        .await
    }

    async fn current_remember_key(&self) -> Result<RememberKey, StoreError> {
        let mut fresh = [0u8; 32];
        OsRng.fill_bytes(&mut fresh);
        let stored: Vec<u8> = self
            .blocking(move |c| {
                c.execute(
                    "INSERT OR IGNORE INTO secrets (name, value) VALUES ('remember_key', ?1)",
                    params![fresh.as_slice()],
                )?;
                c.query_row(
                    "SELECT value FROM secrets WHERE name = 'remember_key'",
                    [],
                    |r| r.get(0),
                )
            })
            .await?;
        key_from(stored)
    }
}

fn key_from(stored: Vec<u8>) -> Result<RememberKey, StoreError> {
    let bytes: [u8; 32] = stored
        .try_into()
        .map_err(|_| StoreError::unavailable(std::io::Error::other("bad remember key")))?;
    Ok(RememberKey::from_bytes(bytes))
}

#[async_trait]
impl RecoveryCodeStore for SqliteUsers {
    async fn replace(
        &self,
        user_id: &str,
        hashes: Vec<RecoveryCodeHash>,
    ) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            for table in ["recovery_codes", "spent_recovery_codes"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE user_id = ?1"),
                    params![user_id],
                )?;
            }
            for h in &hashes {
                tx.execute(
                    "INSERT OR IGNORE INTO recovery_codes (user_id, hash) VALUES (?1, ?2)",
                    params![user_id, h.as_bytes().as_slice()],
                )?;
            }
            tx.commit()
        })
        .await
    }

    async fn redeem(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<bool, StoreError> {
        let (user_id, hash) = (user_id.to_owned(), *hash.as_bytes());
        // One DELETE decides: of two instances given the same code, one removes the row. The
        // spent code is kept (until the next set) so that `restore` can give it back.
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            let taken = tx.execute(
                "DELETE FROM recovery_codes WHERE user_id = ?1 AND hash = ?2",
                params![user_id, hash.as_slice()],
            )? == 1;
            if taken {
                tx.execute(
                    "INSERT OR IGNORE INTO spent_recovery_codes (user_id, hash) VALUES (?1, ?2)",
                    params![user_id, hash.as_slice()],
                )?;
            }
            tx.commit().map(|()| taken)
        })
        .await
    }

    async fn restore(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<(), StoreError> {
        let (user_id, hash) = (user_id.to_owned(), *hash.as_bytes());
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            if tx.execute(
                "DELETE FROM spent_recovery_codes WHERE user_id = ?1 AND hash = ?2",
                params![user_id, hash.as_slice()],
            )? == 1
            {
                tx.execute(
                    "INSERT OR IGNORE INTO recovery_codes (user_id, hash) VALUES (?1, ?2)",
                    params![user_id, hash.as_slice()],
                )?;
            }
            tx.commit()
        })
        .await
    }

    async fn remaining(&self, user_id: &str) -> Result<usize, StoreError> {
        let user_id = user_id.to_owned();
        self.blocking(move |c| {
            c.query_row(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1",
                params![user_id],
                |r| r.get::<_, i64>(0),
            )
        })
        .await
        .map(|n| usize::try_from(n).unwrap_or(0))
    }
}

#[async_trait]
impl DeviceStore for SqliteUsers {
    async fn remember(
        &self,
        user_id: &str,
        device: RememberedDevice,
        keep: usize,
    ) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO remembered_devices (user_id, id, label, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![user_id, device.id, device.label, device.created_at, device.expires_at],
            )?;
            tx.execute(
                "DELETE FROM remembered_devices WHERE user_id = ?1 AND id NOT IN (
                     SELECT id FROM remembered_devices WHERE user_id = ?1
                     ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
                params![user_id, keep],
            )?;
            tx.commit()
        })
        .await
    }

    async fn devices(&self, user_id: &str, now: i64) -> Result<Vec<RememberedDevice>, StoreError> {
        let user_id = user_id.to_owned();
        self.blocking(move |c| {
            let mut q = c.prepare(
                "SELECT id, label, created_at, expires_at FROM remembered_devices
                 WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at DESC, rowid DESC",
            )?;
            let rows = q.query_map(params![user_id, now], |r| {
                Ok(RememberedDevice {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    created_at: r.get(2)?,
                    expires_at: r.get(3)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn forget(&self, user_id: &str, device_id: Option<&str>) -> Result<usize, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.map(str::to_owned));
        self.blocking(move |c| match device_id {
            Some(id) => c.execute(
                "DELETE FROM remembered_devices WHERE user_id = ?1 AND id = ?2",
                params![user_id, id],
            ),
            None => c.execute(
                "DELETE FROM remembered_devices WHERE user_id = ?1",
                params![user_id],
            ),
        })
        .await
    }
}

impl SqliteUsers {
    /// The one-time migration from the demo's first schema, where `users.authy_id` held each
    /// user's one factor (registered with the configured `provider` at sign-up): each becomes a
    /// factor of that provider in the `factors` table, with the row's phone, and the column is
    /// cleared in the same transaction. Run at every start; once done it finds nothing.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn adopt_legacy_authy_ids(
        &self,
        provider: &dyn tower_authy::SecondFactorProvider,
    ) -> Result<usize, StoreError> {
        let rows: Vec<(i64, i64, String, String)> = self
            .blocking(|c| {
                let mut st = c.prepare(
                    "SELECT id, authy_id, country_code, phone FROM users WHERE authy_id IS NOT NULL",
                )?;
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .await?;
        let now = crate::sessions::now();
        let adopted: Vec<(i64, i64, Factor)> = rows
            .into_iter()
            .map(|(user, legacy, cc, number)| {
                let subject = u64::from_ne_bytes(legacy.to_ne_bytes());
                let factor = Factor {
                    phone: (!number.is_empty()).then(|| format!("+{cc}{number}")),
                    ..Factor::of(provider, subject, now)
                };
                (user, legacy, factor)
            })
            .collect();
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            let mut moved = 0;
            for (user, legacy, factor) in &adopted {
                let cleared = tx.execute(
                    "UPDATE users SET authy_id = NULL WHERE id = ?1 AND authy_id = ?2",
                    params![user, legacy],
                )?;
                if cleared == 1 {
                    crate::db::insert_factor(&tx, *user, factor)?;
                    moved += 1;
                }
            }
            tx.commit().map(|()| moved)
        })
        .await
    }
}

fn kind_from(name: &str) -> FactorKind {
    match name {
        "push" => FactorKind::Push,
        "phone" => FactorKind::Phone,
        "passkey" => FactorKind::Passkey,
        _ => FactorKind::App,
    }
}

/// The user's factor ids as the table holds them, in one transaction's view.
fn factor_ids(c: &Connection, user: i64) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare("SELECT id FROM factors WHERE user_id = ?1")?;
    st.query_map([user], |r| r.get(0))?.collect()
}

/// Each user's second factors, beside the users; a removal raises the user's epoch in the
/// same transaction.
#[async_trait]
impl FactorStore for SqliteUsers {
    async fn factors(&self, user_id: &str) -> Result<Vec<Factor>, StoreError> {
        let Ok(user) = user_id.parse::<i64>() else {
            return Ok(Vec::new());
        };
        self.blocking(move |c| {
            let mut st = c.prepare(
                "SELECT id, kind, provider, subject, label, phone, created_at, last_used_at
                 FROM factors WHERE user_id = ?1 ORDER BY created_at, rowid",
            )?;
            st.query_map([user], |r| {
                Ok(Factor {
                    id: r.get(0)?,
                    kind: kind_from(&r.get::<_, String>(1)?),
                    provider: r.get(2)?,
                    subject: u64::from_ne_bytes(r.get::<_, i64>(3)?.to_ne_bytes()),
                    label: r.get(4)?,
                    phone: r.get(5)?,
                    created_at: r.get(6)?,
                    last_used_at: r.get(7)?,
                })
            })?
            .collect()
        })
        .await
    }

    async fn add(
        &self,
        user_id: &str,
        factor: Factor,
        expected: &[String],
    ) -> Result<bool, StoreError> {
        let Ok(user) = user_id.parse::<i64>() else {
            return Ok(false);
        };
        let expected = expected.to_vec();
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            let known = tx
                .prepare("SELECT 1 FROM users WHERE id = ?1")?
                .exists([user])?;
            let current = factor_ids(&tx, user)?;
            let same =
                tower_authy::factors::same_ids(current.iter().map(String::as_str), &expected);
            if !known || !same || current.contains(&factor.id) {
                return Ok(false);
            }
            crate::db::insert_factor(&tx, user, &factor)?;
            tx.commit().map(|()| true)
        })
        .await
    }

    async fn remove(
        &self,
        user_id: &str,
        factor_id: &str,
        expected: &[String],
    ) -> Result<bool, StoreError> {
        let Ok(user) = user_id.parse::<i64>() else {
            return Ok(false);
        };
        let (factor_id, expected) = (factor_id.to_owned(), expected.to_vec());
        self.blocking(move |c| {
            let tx = c.unchecked_transaction()?;
            let current = factor_ids(&tx, user)?;
            let same =
                tower_authy::factors::same_ids(current.iter().map(String::as_str), &expected);
            if !same || !current.contains(&factor_id) {
                return Ok(false);
            }
            tx.execute(
                "DELETE FROM factors WHERE user_id = ?1 AND id = ?2",
                params![user, factor_id],
            )?;
            tx.execute(
                "UPDATE users SET credential_epoch = credential_epoch + 1 WHERE id = ?1",
                [user],
            )?;
            tx.commit().map(|()| true)
        })
        .await
    }

    async fn rename(
        &self,
        user_id: &str,
        factor_id: &str,
        label: &str,
    ) -> Result<bool, StoreError> {
        let Ok(user) = user_id.parse::<i64>() else {
            return Ok(false);
        };
        let (factor_id, label) = (factor_id.to_owned(), label.to_owned());
        self.blocking(move |c| {
            c.execute(
                "UPDATE factors SET label = ?3 WHERE user_id = ?1 AND id = ?2",
                params![user, factor_id, label],
            )
            .map(|n| n == 1)
        })
        .await
    }

    async fn touch(&self, user_id: &str, factor_id: &str, at: i64) -> Result<(), StoreError> {
        let Ok(user) = user_id.parse::<i64>() else {
            return Ok(());
        };
        let factor_id = factor_id.to_owned();
        self.blocking(move |c| {
            c.execute(
                "UPDATE factors SET last_used_at = ?3 WHERE user_id = ?1 AND id = ?2",
                params![user, factor_id, at],
            )
            .map(drop)
        })
        .await
    }
}

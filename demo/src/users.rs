//! The demo's users, in SQLite, with Argon2id password hashes. Implements tower-authy's
//! `UserStore`, and passes its conformance suite.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use tower_authy::{UserRecord, UserStore, secret::Password, store::HashLimiter, store::StoreError};

/// Why signing up failed.
#[derive(Debug, thiserror::Error)]
pub enum SignupError {
    /// Someone already uses this email.
    #[error("an account with this email already exists")]
    EmailTaken,
    /// The database failed.
    #[error(transparent)]
    Store(StoreError),
}

/// A new user's details, as typed on the sign-up form.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Shown on the account page.
    pub name: String,
    /// The login.
    pub email: String,
    /// Digits only.
    pub country_code: String,
    /// Digits only.
    pub phone: String,
    /// The factor registered at sign-up (the phone, with the provider); `None` for a user who
    /// signed up without a phone (they set one up at their first login).
    pub factor: Option<tower_authy::factors::Factor>,
}

/// Users in an SQLite file (or in memory), behind a mutex; queries run on the blocking pool.
#[derive(Clone)]
pub struct SqliteUsers {
    db: Arc<Mutex<Connection>>,
    argon2: Argon2<'static>,
    /// Verified against for unknown logins, so they cost as much as a wrong password.
    dummy_hash: Arc<str>,
    /// Argon2 costs 19 MiB a hash: at most one per core at once, a bounded queue, then 503.
    hashing: HashLimiter,
}

impl std::fmt::Debug for SqliteUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteUsers").finish_non_exhaustive()
    }
}

fn store_err(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::unavailable(e)
}

impl SqliteUsers {
    /// Opens (creating and migrating) the database at `path`; `:memory:` for a throwaway one.
    /// `cheap_hashing` uses small Argon2 parameters, for tests and benchmarks only.
    ///
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub fn open(path: &Path, cheap_hashing: bool) -> Result<SqliteUsers, StoreError> {
        let conn = crate::db::open(path).map_err(store_err)?;
        let params = if cheap_hashing {
            Params::new(1024, 1, 1, None)
        } else {
            Ok(Params::default())
        }
        .map_err(|e| StoreError::unavailable(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy_hash = hash(&argon2, "no user has this password")?;
        Ok(SqliteUsers {
            db: Arc::new(Mutex::new(conn)),
            argon2,
            dummy_hash: dummy_hash.into(),
            hashing: HashLimiter::for_this_machine(),
        })
    }

    /// Bounds password hashing with `hashing` instead of one hash per core at once.
    #[must_use]
    pub fn with_hashing(mut self, hashing: HashLimiter) -> Self {
        self.hashing = hashing;
        self
    }

    /// A tower-sessions store in the same database, so that sessions outlive a restart.
    ///
    /// # Errors
    /// When the sessions table cannot be created.
    pub fn sessions(&self) -> Result<crate::sessions::SqliteSessions, StoreError> {
        crate::sessions::SqliteSessions::new(Arc::clone(&self.db)).map_err(store_err)
    }

    /// Runs `f` on the connection now, on this thread: for the audit sink, which may not
    /// wait (one small local write).
    pub(crate) fn at_once<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        f(&self.db.lock().unwrap_or_else(PoisonError::into_inner)).map_err(store_err)
    }

    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db.lock().unwrap_or_else(PoisonError::into_inner)))
            .await
            .map_err(store_err)?
            .map_err(store_err)
    }

    /// Adds a user with a freshly hashed password.
    ///
    /// # Errors
    /// [`SignupError::EmailTaken`], or the store failing.
    pub async fn create(&self, user: NewUser, password: &Password) -> Result<String, SignupError> {
        let argon2 = self.argon2.clone();
        let password = password.expose().to_owned();
        let hashed = self
            .hashing
            .run(move || hash(&argon2, &password))
            .await
            .map_err(SignupError::Store)?
            .map_err(SignupError::Store)?;
        let result = self
            .blocking(move |c| {
                // The user and their first factor, together.
                let tx = c.unchecked_transaction()?;
                tx.execute(
                    "INSERT INTO users (name, email, password_hash, country_code, phone) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![user.name, user.email, hashed, user.country_code, user.phone],
                )?;
                let id = tx.last_insert_rowid();
                if let Some(factor) = &user.factor {
                    crate::db::insert_factor(&tx, id, factor)?;
                }
                tx.commit().map(|()| id)
            })
            .await;
        match result {
            Ok(id) => Ok(id.to_string()),
            Err(StoreError::Unavailable(e)) if e.to_string().contains("UNIQUE") => {
                Err(SignupError::EmailTaken)
            }
            Err(e) => Err(SignupError::Store(e)),
        }
    }

    /// Whether an email is already registered.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn email_taken(&self, email: &str) -> Result<bool, StoreError> {
        let email = email.to_owned();
        self.blocking(move |c| {
            c.query_row("SELECT 1 FROM users WHERE email = ?1", [email], |_| Ok(()))
                .optional()
                .map(|r| r.is_some())
        })
        .await
    }

    /// The id of the user with `email`, if there is one.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn id_of(&self, email: &str) -> Result<Option<String>, StoreError> {
        let email = email.to_owned();
        self.blocking(move |c| {
            c.query_row("SELECT id FROM users WHERE email = ?1", [email], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map(|id| id.map(|id| id.to_string()))
        })
        .await
    }

    /// Raises a user's credential epoch: every session they have ends at its next request.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn bump_credential_epoch(&self, user_id: &str) -> Result<bool, StoreError> {
        let Ok(id) = user_id.parse::<i64>() else {
            return Ok(false);
        };
        self.blocking(move |c| {
            c.execute(
                "UPDATE users SET credential_epoch = credential_epoch + 1 WHERE id = ?1",
                [id],
            )
            .map(|n| n == 1)
        })
        .await
    }

    /// Registers every stored factor of `provider` again and stores the new subjects: an
    /// embedded mock starts empty on every run, while the database persists.
    ///
    /// # Errors
    /// When the store fails or Authy refuses.
    pub async fn reregister_all(
        &self,
        provider: &dyn tower_authy::SecondFactorProvider,
    ) -> Result<usize, StoreError> {
        // Factors carry the phone they were registered with (at sign-up or enrolment).
        let name = provider.name().to_owned();
        let factors: Vec<(i64, String, String, String)> = self
            .blocking(move |c| {
                let mut st = c.prepare(
                    "SELECT f.user_id, f.id, u.email, f.phone FROM factors f
                     JOIN users u ON u.id = f.user_id
                     WHERE f.provider = ?1 AND f.phone IS NOT NULL",
                )?;
                st.query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .await?;
        for (user, factor, email, phone) in &factors {
            // `+` and the digits: registered again as country code 1 and the rest, as the
            // demo's own numbers are; any other is left for its user to enrol again.
            let Some(national) = phone.strip_prefix("+1") else {
                continue;
            };
            let subject = provider
                .register(email, national, "1")
                .await
                .map_err(StoreError::unavailable)?;
            let (user, factor) = (*user, factor.clone());
            self.blocking(move |c| {
                c.execute(
                    "UPDATE factors SET subject = ?1 WHERE user_id = ?2 AND id = ?3",
                    params![i64::from_ne_bytes(subject.to_ne_bytes()), user, factor],
                )
            })
            .await?;
        }
        Ok(factors.len())
    }

    /// The display name of a user.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn name(&self, id: &str) -> Result<Option<String>, StoreError> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        self.blocking(move |c| {
            c.query_row("SELECT name FROM users WHERE id = ?1", [id], |r| r.get(0))
                .optional()
        })
        .await
    }
}

fn hash(argon2: &Argon2<'_>, password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::unavailable(e.to_string()))
}

thread_local! {
    /// Argon2's working memory (19 MiB at the default cost), kept by each hashing thread and
    /// reused by every check on it: allocating it afresh for each check leaves tens of MiB
    /// behind in the allocator per thread.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` is the one `stored` (a PHC string) was made from, checked in this
/// thread's reusable Argon2 memory; the comparison is constant-time.
fn password_matches(stored: &str, password: &[u8]) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    ARGON2_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        argon2
            .hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
            .is_ok()
    }) && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

type Row = (i64, String, String, i64);

fn record((id, email, _, epoch): Row) -> UserRecord {
    UserRecord {
        id: id.to_string(),
        login: email,
        credential_epoch: u64::try_from(epoch).unwrap_or(0),
    }
}

#[async_trait]
impl UserStore for SqliteUsers {
    async fn verify_password(
        &self,
        login: &str,
        password: &Password,
    ) -> Result<Option<UserRecord>, StoreError> {
        let email = login.to_owned();
        let row: Option<Row> = self
            .blocking(move |c| {
                c.query_row(
                    "SELECT id, email, password_hash, credential_epoch FROM users WHERE email = ?1",
                    [email],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
            })
            .await?;
        let stored = row
            .as_ref()
            .map_or_else(|| self.dummy_hash.to_string(), |r| r.2.clone());
        let password = password.expose().to_owned();
        let matches = self
            .hashing
            .run(move || password_matches(&stored, password.as_bytes()))
            .await?;
        Ok(row.filter(|_| matches).map(record))
    }

    async fn load(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let row: Option<Row> = self
            .blocking(move |c| {
                c.query_row(
                    "SELECT id, email, password_hash, credential_epoch FROM users WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
            })
            .await?;
        Ok(row.map(record))
    }
}

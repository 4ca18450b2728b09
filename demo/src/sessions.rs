//! The demo's sessions in its SQLite file (a tower-sessions store), so that restarting the demo
//! logs nobody out. With `--redis`, sessions live in Redis instead.

use rusqlite::{Connection, OptionalExtension, params};
use std::sync::{Arc, Mutex, PoisonError};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Sessions in the users database's `sessions` table; expired ones are never loaded and are
/// swept as new ones are created.
#[derive(Clone)]
pub struct SqliteSessions {
    db: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSessions").finish_non_exhaustive()
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl SqliteSessions {
    /// Sessions on an open connection (creates the table).
    pub(crate) fn new(db: Arc<Mutex<Connection>>) -> rusqlite::Result<SqliteSessions> {
        db.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS sessions (
                     id TEXT PRIMARY KEY,
                     record TEXT NOT NULL,
                     expires_at INTEGER NOT NULL
                 );",
            )?;
        Ok(SqliteSessions { db })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> session_store::Result<T> {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db.lock().unwrap_or_else(PoisonError::into_inner)))
            .await
            .map_err(backend)?
            .map_err(backend)
    }
}

fn encode(record: &Record) -> session_store::Result<(String, String, i64)> {
    let json =
        serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok((
        record.id.to_string(),
        json,
        record.expiry_date.unix_timestamp(),
    ))
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    tower_sessions::cookie::time::OffsetDateTime::now_utc().unix_timestamp()
}

#[async_trait::async_trait]
impl SessionStore for SqliteSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let (id, json, expires_at) = encode(record)?;
            let inserted = self
                .blocking(move |c| {
                    c.execute("DELETE FROM sessions WHERE expires_at <= ?1", params![now()])?;
                    c.execute(
                        "INSERT OR IGNORE INTO sessions (id, record, expires_at) VALUES (?1, ?2, ?3)",
                        params![id, json, expires_at],
                    )
                })
                .await?;
            if inserted == 1 {
                return Ok(());
            }
            // That id is taken: draw another.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let (id, json, expires_at) = encode(record)?;
        self.blocking(move |c| {
            c.execute(
                "INSERT INTO sessions (id, record, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at",
                params![id, json, expires_at],
            )
        })
        .await
        .map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let id = id.to_string();
        let json: Option<String> = self
            .blocking(move |c| {
                c.query_row(
                    "SELECT record FROM sessions WHERE id = ?1 AND expires_at > ?2",
                    params![id, now()],
                    |row| row.get(0),
                )
                .optional()
            })
            .await?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let id = id.to_string();
        self.blocking(move |c| c.execute("DELETE FROM sessions WHERE id = ?1", params![id]))
            .await
            .map(drop)
    }
}

//! The demo's SQLite file: opening it, and every table's migration in one place (users,
//! factors, recovery codes, remembered devices, TOTP secrets, sessions' own table aside).
//! Each store module reads and writes its tables through the connection opened here.

use rusqlite::{Connection, params};
use std::path::Path;
use tower_authy::factors::Factor;

/// Writes one factor row (the caller holds the transaction that decided it may). SQLite
/// integers are signed: a subject is kept as the same 64 bits.
pub(crate) fn insert_factor(c: &Connection, user: i64, factor: &Factor) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO factors (user_id, id, kind, provider, subject, label, phone, created_at, last_used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            user,
            factor.id,
            factor.kind.as_str(),
            factor.provider,
            i64::from_ne_bytes(factor.subject.to_ne_bytes()),
            factor.label,
            factor.phone,
            factor.created_at,
            factor.last_used_at
        ],
    )
    .map(drop)
}

/// Opens (creating) the database at `path` (`:memory:` for a throwaway one) and brings every
/// table up to date; idempotent.
pub(crate) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS users (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 name TEXT NOT NULL,
                 email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                 password_hash TEXT NOT NULL,
                 country_code TEXT NOT NULL,
                 phone TEXT NOT NULL,
                 authy_id INTEGER,
                 created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
             );",
    )?;
    factors_and_devices(&conn)?;
    totp_secrets(&conn)?;
    passkeys(&conn)?;
    activity(&conn)?;
    Ok(conn)
}

/// Creates the tables (idempotent), and the users' credential epoch where an older file has
/// none.
fn factors_and_devices(conn: &Connection) -> rusqlite::Result<()> {
    let has_epoch = conn
        .prepare("SELECT 1 FROM pragma_table_info('users') WHERE name = 'credential_epoch'")?
        .exists([])?;
    if !has_epoch {
        conn.execute_batch(
            "ALTER TABLE users ADD COLUMN credential_epoch INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS factors (
             user_id INTEGER NOT NULL,
             id TEXT NOT NULL,
             kind TEXT NOT NULL,
             provider TEXT NOT NULL,
             subject INTEGER NOT NULL,
             label TEXT NOT NULL,
             phone TEXT,
             created_at INTEGER NOT NULL,
             last_used_at INTEGER,
             PRIMARY KEY (user_id, id)
         );
         CREATE TABLE IF NOT EXISTS recovery_codes (
             user_id TEXT NOT NULL,
             hash BLOB NOT NULL,
             PRIMARY KEY (user_id, hash)
         );
         CREATE TABLE IF NOT EXISTS spent_recovery_codes (
             user_id TEXT NOT NULL,
             hash BLOB NOT NULL,
             PRIMARY KEY (user_id, hash)
         );
         CREATE TABLE IF NOT EXISTS remembered_devices (
             user_id TEXT NOT NULL,
             id TEXT NOT NULL,
             label TEXT NOT NULL,
             created_at INTEGER NOT NULL,
             expires_at INTEGER NOT NULL,
             PRIMARY KEY (user_id, id)
         );
         CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);",
    )
}

/// Creates the table (idempotent).
fn totp_secrets(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS totp_secrets (
             subject INTEGER PRIMARY KEY,
             sealed BLOB NOT NULL,
             last_step INTEGER
         );",
    )
}

/// Creates the table (idempotent): each passkey's credential, under its factor's subject.
fn passkeys(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS passkeys (
             subject INTEGER PRIMARY KEY,
             user_id TEXT NOT NULL,
             credential_id BLOB NOT NULL UNIQUE,
             credential BLOB NOT NULL,
             counter INTEGER NOT NULL
         );",
    )
}

/// Creates the tables (idempotent): each user's recent security activity, and the notices the
/// demo would email them.
fn activity(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS security_events (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             user_id TEXT NOT NULL,
             at INTEGER NOT NULL,
             what TEXT NOT NULL,
             client TEXT
         );
         CREATE INDEX IF NOT EXISTS security_events_by_user ON security_events (user_id, seq);
         CREATE TABLE IF NOT EXISTS mailbox (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             user_id TEXT NOT NULL,
             at INTEGER NOT NULL,
             recipient TEXT NOT NULL,
             subject TEXT NOT NULL
         );",
    )
}

//! `demo admin`: an administrator's view of one user and their reset, on the users' file (the
//! app may be running; SQLite serialises the writes).

use crate::users::SqliteUsers;
use std::path::Path;
use tower_authy::factors::{Reset, Stores, reset_second_factor};
use tower_authy::{
    FactorStore, factors::Factor, recovery::RecoveryCodeStore, remember::DeviceStore,
    store::StoreError,
};

/// Why an administration command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No user has this email.
    #[error("no user has the email {0}")]
    NoSuchUser(String),
    /// The database.
    #[error("the database: {0}")]
    Store(#[from] StoreError),
}

/// What an administrator sees of a user's second factors.
#[derive(Debug)]
pub struct Status {
    /// The user's id.
    pub user_id: String,
    /// Their factors, oldest first.
    pub factors: Vec<Factor>,
    /// Recovery codes left.
    pub recovery_codes: usize,
    /// Remembered devices still valid.
    pub devices: usize,
}

async fn user(users: &SqliteUsers, email: &str) -> Result<String, AdminError> {
    users
        .id_of(email)
        .await?
        .ok_or_else(|| AdminError::NoSuchUser(email.to_owned()))
}

/// The user with `email`'s second factors, recovery codes and remembered devices.
///
/// # Errors
/// [`AdminError`].
pub async fn status(database: &Path, email: &str) -> Result<Status, AdminError> {
    let users = SqliteUsers::open(database, false)?;
    let user_id = user(&users, email).await?;
    let now = crate::sessions::now();
    Ok(Status {
        factors: users.factors(&user_id).await?,
        recovery_codes: users.remaining(&user_id).await?,
        devices: users.devices(&user_id, now).await?.len(),
        user_id,
    })
}

/// Resets the second factor of the user with `email` (tower-authy's administrator's reset on
/// the demo's stores, and their passkeys' credentials), and raises their credential epoch once more, so that their sessions end
/// even when they held no factor (a password-only session under a lenient policy).
///
/// # Errors
/// [`AdminError`].
pub async fn reset(database: &Path, email: &str) -> Result<Reset, AdminError> {
    let users = SqliteUsers::open(database, false)?;
    let user_id = user(&users, email).await?;
    let stores = Stores {
        factors: &users,
        recovery: Some(&users),
        devices: Some(&users),
        audit: Some(&crate::activity::Activity::new(users.clone())),
    };
    let done = reset_second_factor(&stores, &user_id).await?;
    // Their passkeys' credentials go with the factors (none names them any more).
    users.forget_passkeys(&user_id).await?;
    users.bump_credential_epoch(&user_id).await?;
    Ok(done)
}

//! The demo's SQLite user store passes tower-authy's conformance suite.

#![allow(clippy::unwrap_used)]

use demo::users::{NewUser, SignupError, SqliteUsers};
use tower_authy::conformance::{self, KnownUser};
use tower_authy::secret::Password;

#[tokio::test]
async fn sqlite_users_conform() {
    let users = SqliteUsers::open(":memory:".as_ref(), true).unwrap();
    let new = |email: &str, _: u64| NewUser {
        name: "Ada".into(),
        email: email.into(),
        country_code: "1".into(),
        phone: "5551234567".into(),
        factor: None,
    };
    users
        .create(new("other@example.com", 1), &Password::new("pw-other"))
        .await
        .unwrap();
    let id = users
        .create(new("ada@example.com", 42), &Password::new("pw-ada-123"))
        .await
        .unwrap();
    conformance::user_store(
        &users,
        &KnownUser {
            id,
            login: "ada@example.com".into(),
            password: "pw-ada-123".into(),
        },
    )
    .await;

    assert!(
        matches!(
            users
                .create(new("ADA@example.com", 43), &Password::new("x"))
                .await,
            Err(SignupError::EmailTaken)
        ),
        "emails are unique, any case"
    );
}

/// The database persists across opens; a file from before the factor model, whose users'
/// rows carry an Authy id, has each moved into a factor of the configured provider (with the
/// row's phone) exactly once, and the user logs in with it as before.
#[tokio::test]
async fn the_database_persists_and_legacy_authy_ids_become_factors_once() {
    use tower_authy::{FactorStore, factors::FactorKind, provider::authy::AuthyClient};
    let dir = std::env::temp_dir().join(format!("demo-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.sqlite3");
    let id = {
        let users = SqliteUsers::open(&path, true).unwrap();
        users
            .create(
                NewUser {
                    name: "Ada".into(),
                    email: "ada@example.com".into(),
                    country_code: "1".into(),
                    phone: "5551234567".into(),
                    factor: None,
                },
                &Password::new("pw-ada-123"),
            )
            .await
            .unwrap()
    };
    // As the first schema kept it: the Authy id in the user's row.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE users SET authy_id = 7 WHERE email = 'ada@example.com'",
            [],
        )
        .unwrap();
    let reopened = SqliteUsers::open(&path, true).unwrap();
    assert!(reopened.email_taken("ada@example.com").await.unwrap());
    let authy = AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
        .build()
        .unwrap();
    assert_eq!(reopened.adopt_legacy_authy_ids(&authy).await.unwrap(), 1);
    assert_eq!(
        reopened.adopt_legacy_authy_ids(&authy).await.unwrap(),
        0,
        "once"
    );
    let held = reopened.factors(&id).await.unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        (
            held[0].kind,
            held[0].provider.as_str(),
            held[0].subject,
            held[0].phone.as_deref()
        ),
        (FactorKind::Push, "authy", 7, Some("+15551234567"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Recovery codes, remembered devices, factors and passkeys in the same SQLite file pass
/// tower-authy's suites; the
/// remembered-device key they sign with never shows in `Debug`.
#[tokio::test]
async fn second_factor_stores_conform() {
    let users = SqliteUsers::open(std::path::Path::new(":memory:"), true).unwrap();
    conformance::recovery_code_store(&users).await;
    conformance::device_store(&users).await;
    conformance::passkey_store(std::sync::Arc::new(users.clone())).await;
    let new = |email: &str| NewUser {
        name: "A".into(),
        email: email.into(),
        country_code: String::new(),
        phone: String::new(),
        factor: None,
    };
    let password = Password::new("a long enough password");
    let a = users
        .create(new("fa@example.com"), &password)
        .await
        .unwrap();
    let b = users
        .create(new("fb@example.com"), &password)
        .await
        .unwrap();
    conformance::factor_store(&users, &users, &a, &b).await;
    let key = users.remember_key().await.unwrap();
    assert_eq!(format!("{key:?}"), "RememberKey(..)");
}

//! The demo's SQLite user store passes tower-authy's conformance suite.

#![allow(clippy::unwrap_used)]

use demo::users::{NewUser, SignupError, SqliteUsers};
use tower_authy::conformance::{self, KnownUser};
use tower_authy::secret::Password;

#[tokio::test]
async fn sqlite_users_conform() {
    let users = SqliteUsers::open(":memory:".as_ref(), true).unwrap();
    let new = |email: &str, authy_id| NewUser {
        name: "Ada".into(),
        email: email.into(),
        country_code: "1".into(),
        phone: "5551234567".into(),
        authy_id: Some(authy_id),
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
            authy_id: Some(42),
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

#[tokio::test]
async fn the_database_persists_and_is_migrated_once() {
    let dir = std::env::temp_dir().join(format!("demo-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.sqlite3");
    {
        let users = SqliteUsers::open(&path, true).unwrap();
        users
            .create(
                NewUser {
                    name: "Ada".into(),
                    email: "ada@example.com".into(),
                    country_code: "1".into(),
                    phone: "5551234567".into(),
                    authy_id: Some(7),
                },
                &Password::new("pw-ada-123"),
            )
            .await
            .unwrap();
    }
    let reopened = SqliteUsers::open(&path, true).unwrap();
    assert!(reopened.email_taken("ada@example.com").await.unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Recovery codes and remembered devices in the same SQLite file pass tower-authy's suites; the
/// remembered-device key they sign with never shows in `Debug`.
#[tokio::test]
async fn second_factor_stores_conform() {
    let users = SqliteUsers::open(std::path::Path::new(":memory:"), true).unwrap();
    conformance::recovery_code_store(&users).await;
    conformance::device_store(&users).await;
    let new = |email: &str| NewUser {
        name: "A".into(),
        email: email.into(),
        country_code: String::new(),
        phone: String::new(),
        authy_id: None,
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

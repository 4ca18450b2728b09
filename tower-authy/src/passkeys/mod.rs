//! Passkeys and security keys (WebAuthn) as second factors, and passkey sign-in (feature
//! `webauthn`, turned on by [`TwoFactorBuilder::passkeys`](crate::TwoFactorBuilder::passkeys)).
//!
//! A passkey is one more [`Factor`](crate::factors::Factor): kind
//! [`Passkey`](crate::factors::FactorKind::Passkey), provider
//! [`PASSKEY_PROVIDER`](crate::factors::PASSKEY_PROVIDER), its credential kept in the
//! [`PasskeyStore`](crate::provider::webauthn::PasskeyStore) under the factor's subject. The
//! routes (all `POST`, all behind the session's CSRF token):
//!
//! | route | what |
//! |---|---|
//! | `{prefix}/passkey/options` | the pending login's request options (JSON) |
//! | `{prefix}/passkey` | the login's assertion (`credential`, JSON): proves the second factor |
//! | `{prefix}/passkey/register/options` | an enrolment's creation options (JSON) |
//! | `{prefix}/passkey/register` | the new credential (`credential`, `label`): adds the factor |
//! | `{prefix}/passkey/sign-in/options` | with sign-in on: options for a discoverable passkey |
//! | `{prefix}/passkey/sign-in` | its assertion: both factors at once |
//!
//! The page script (`{prefix}/assets/tower-authy.js`) fetches the options, asks the browser,
//! and submits the answer in a form; API clients post the same JSON, with
//! `Content-Type: application/json` and the `X-CSRF-Token` header.
//!
//! Invariants kept here:
//! - a ceremony's state never leaves the server: it waits in the challenge store under a key
//!   bound to the login's challenge (or to the session), until the login's deadline, and is
//!   taken once, so an assertion counts once, on any instance;
//! - a login's assertion proves only the factor the login is on, for the user whose password
//!   was accepted; a sign-in's proves the account whose factor holds the credential, whose
//!   WebAuthn user handle it must carry;
//! - the counter is written back by compare-and-set, and one that is not above the stored one
//!   refuses the login (a possible clone);
//! - refused assertions count against the login's and the account's attempt limits.

pub(crate) mod routes;

use crate::provider::webauthn::{PublicKeyCredential, RegisterPublicKeyCredential, Uuid};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The WebAuthn user handle of user `user_id`: derived, so no table maps it, and opaque (a
/// digest, not the id, goes to the authenticator).
pub(crate) fn user_handle(user_id: &str) -> Uuid {
    let mut h = Sha256::new();
    h.update(b"tower-authy webauthn user handle\0");
    h.update(user_id.as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// The key a login's authentication ceremony waits under.
pub(crate) fn login_key(challenge_id: &str) -> String {
    format!("passkey-login:{challenge_id}")
}

/// A credential as a form field (a JSON string) or a JSON body (an object).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum CredentialJson {
    /// A form's field.
    Text(String),
    /// A JSON body's object.
    Object(serde_json::Value),
}

impl Default for CredentialJson {
    fn default() -> Self {
        CredentialJson::Text(String::new())
    }
}

impl CredentialJson {
    fn parse<T: serde::de::DeserializeOwned>(self) -> Option<T> {
        match self {
            CredentialJson::Text(text) => serde_json::from_str(&text).ok(),
            CredentialJson::Object(value) => serde_json::from_value(value).ok(),
        }
    }

    /// An assertion (`navigator.credentials.get`'s answer, as JSON).
    pub(crate) fn assertion(self) -> Option<PublicKeyCredential> {
        self.parse()
    }

    /// A new credential (`navigator.credentials.create`'s answer, as JSON).
    pub(crate) fn registration(self) -> Option<RegisterPublicKeyCredential> {
        self.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_handles_are_stable_distinct_and_opaque() {
        assert_eq!(user_handle("u1"), user_handle("u1"));
        assert_ne!(user_handle("u1"), user_handle("u2"));
        assert!(!user_handle("u1").as_bytes().starts_with(b"u1"));
    }

    #[test]
    fn malformed_credentials_are_none() {
        for text in ["", "{}", "null", "[1,2]", "{\"id\":\"x\"}", "\u{0}"] {
            assert!(CredentialJson::Text(text.into()).assertion().is_none());
            assert!(CredentialJson::Text(text.into()).registration().is_none());
        }
    }
}

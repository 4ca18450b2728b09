//! WebAuthn ceremonies (work in progress, issue 25), driven by a software authenticator: a
//! passkey registers and authenticates, a ceremony finishes once, another origin, another
//! relying party id and a missing user verification are refused, and the relying party is
//! checked when configured.

use tower_authy::provider::webauthn::{
    CeremonyError, Passkeys, RelyingParty, RelyingPartyError, Uuid,
};
use tower_authy::store::MemoryChallengeStore;
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const NOW: i64 = 1_000;
const DEADLINE: i64 = 1_300;

fn rp(id: &str, origin: &str) -> RelyingParty {
    RelyingParty {
        id: id.into(),
        name: "Example".into(),
        origins: vec![origin.into()],
    }
}

fn passkeys() -> Passkeys {
    Passkeys::new(&rp("localhost", "http://localhost:3000")).unwrap()
}

fn origin() -> Url {
    Url::parse("http://localhost:3000").unwrap()
}

/// Registers `authenticator` with `passkeys` under ceremony `key`.
async fn register(
    passkeys: &Passkeys,
    store: &MemoryChallengeStore,
    authenticator: &mut SoftPasskey,
    key: &str,
) -> Result<tower_authy::provider::webauthn::Passkey, CeremonyError> {
    let user = Uuid::from_u128(7);
    let options = passkeys
        .start_registration(
            store,
            key,
            user,
            "ada@example.com",
            Vec::new(),
            DEADLINE,
            NOW,
        )
        .await?;
    let answer = authenticator.do_registration(origin(), options).unwrap();
    passkeys
        .finish_registration(store, key, &answer, NOW + 1)
        .await
}

#[tokio::test]
async fn a_passkey_registers_and_authenticates_once_per_ceremony() {
    let (passkeys, store) = (passkeys(), MemoryChallengeStore::new());
    let mut authenticator = SoftPasskey::new(true);
    let passkey = register(&passkeys, &store, &mut authenticator, "reg-1")
        .await
        .unwrap();

    let options = passkeys
        .start_authentication(
            &store,
            "auth-1",
            std::slice::from_ref(&passkey),
            DEADLINE,
            NOW,
        )
        .await
        .unwrap();
    let answer = authenticator.do_authentication(origin(), options).unwrap();
    let result = passkeys
        .finish_authentication(&store, "auth-1", &answer, NOW + 2)
        .await
        .unwrap();
    assert!(result.user_verified());
    // The same assertion again: the ceremony is gone.
    let replayed = passkeys
        .finish_authentication(&store, "auth-1", &answer, NOW + 3)
        .await;
    assert!(
        matches!(replayed, Err(CeremonyError::Unknown)),
        "{replayed:?}"
    );
}

#[tokio::test]
async fn another_origin_or_rp_id_and_a_missing_user_verification_are_refused() {
    let (passkeys, store) = (passkeys(), MemoryChallengeStore::new());
    // Registration answered for another origin.
    let mut authenticator = SoftPasskey::new(true);
    let options = passkeys
        .start_registration(
            &store,
            "reg-x",
            Uuid::from_u128(8),
            "bob",
            Vec::new(),
            DEADLINE,
            NOW,
        )
        .await
        .unwrap();
    let phished = Url::parse("http://localhost:4000").unwrap();
    let answer = authenticator.do_registration(phished, options).unwrap();
    let refused = passkeys
        .finish_registration(&store, "reg-x", &answer, NOW + 1)
        .await;
    assert!(
        matches!(refused, Err(CeremonyError::Refused)),
        "{refused:?}"
    );

    // A passkey registered here; a phishing page on another site relays our challenge, and
    // the authenticator signs for that site's id and origin: refused here.
    let passkey = register(&passkeys, &store, &mut authenticator, "reg-y")
        .await
        .unwrap();
    let mut options = passkeys
        .start_authentication(
            &store,
            "auth-x",
            std::slice::from_ref(&passkey),
            DEADLINE,
            NOW,
        )
        .await
        .unwrap();
    options.public_key.rp_id = "example.com".into();
    let answer = authenticator
        .do_authentication(Url::parse("https://app.example.com").unwrap(), options)
        .unwrap();
    let refused = passkeys
        .finish_authentication(&store, "auth-x", &answer, NOW + 1)
        .await;
    assert!(
        matches!(refused, Err(CeremonyError::Refused)),
        "{refused:?}"
    );

    // An authenticator that does not verify its user, answering options a page altered to
    // say user verification is not needed: the server still requires it.
    let mut careless = SoftPasskey::new(false);
    let options = passkeys
        .start_registration(
            &store,
            "reg-z",
            Uuid::from_u128(9),
            "cy",
            Vec::new(),
            DEADLINE,
            NOW,
        )
        .await
        .unwrap();
    let mut json = serde_json::to_value(&options).unwrap();
    json["publicKey"]["authenticatorSelection"]["userVerification"] = "discouraged".into();
    let altered = serde_json::from_value(json).unwrap();
    let answer = careless.do_registration(origin(), altered).unwrap();
    let refused = passkeys
        .finish_registration(&store, "reg-z", &answer, NOW + 1)
        .await;
    assert!(
        matches!(refused, Err(CeremonyError::Refused)),
        "{refused:?}"
    );
}

#[test]
fn the_relying_party_is_checked_when_configured() {
    let err = |id: &str, origins: &[&str]| {
        Passkeys::new(&RelyingParty {
            id: id.into(),
            name: "Example".into(),
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        })
        .unwrap_err()
    };
    assert_eq!(err("example.com", &[]), RelyingPartyError::NoOrigin);
    assert!(matches!(
        err("example.com", &["http://app.example.com"]),
        RelyingPartyError::InsecureOrigin(_)
    ));
    assert!(matches!(
        err("example.com", &["https://app.example.org"]),
        RelyingPartyError::IdNotOfOrigin { .. }
    ));
    assert!(matches!(
        err("ample.com", &["https://example.com"]),
        RelyingPartyError::IdNotOfOrigin { .. }
    ));
    assert!(matches!(
        err("example.com", &["not a url"]),
        RelyingPartyError::NotAnOrigin(_)
    ));
    assert!(Passkeys::new(&rp("example.com", "https://app.example.com")).is_ok());
    assert!(Passkeys::new(&rp("localhost", "http://localhost:3000")).is_ok());
}

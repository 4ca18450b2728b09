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

/// Two logins with one credential, accepted out of order (two instances, or two copies of the
/// credential): the later signature is recorded, and the earlier one, whose counter is now
/// behind the stored one, is refused as a possible clone; the stored counter stays the later.
#[tokio::test]
async fn a_counter_that_goes_backwards_is_refused_as_a_possible_clone() {
    use tower_authy::provider::webauthn::{MemoryPasskeyStore, PasskeyStore};
    let (passkeys, store, kept) = (
        passkeys(),
        MemoryChallengeStore::new(),
        MemoryPasskeyStore::new(),
    );
    let mut authenticator = SoftPasskey::new(true);
    let passkey = register(&passkeys, &store, &mut authenticator, "reg-c")
        .await
        .unwrap();
    passkeys.keep(&kept, 41, "ada", &passkey).await.unwrap();
    let loaded = passkeys.load(&kept, "ada", &[41]).await.unwrap();
    assert_eq!(loaded.len(), 1);
    assert!(
        passkeys.load(&kept, "eve", &[41]).await.unwrap().is_empty(),
        "not eve's"
    );

    let a = passkeys
        .start_authentication(&store, "auth-a", &loaded, DEADLINE, NOW)
        .await
        .unwrap();
    let b = passkeys
        .start_authentication(&store, "auth-b", &loaded, DEADLINE, NOW)
        .await
        .unwrap();
    let first = authenticator.do_authentication(origin(), a).unwrap();
    let second = authenticator.do_authentication(origin(), b).unwrap();
    let later = passkeys
        .finish_authentication(&store, "auth-b", &second, NOW + 1)
        .await
        .unwrap();
    passkeys.record_use(&kept, 41, &later).await.unwrap();
    let earlier = passkeys
        .finish_authentication(&store, "auth-a", &first, NOW + 2)
        .await
        .unwrap();
    let refused = passkeys.record_use(&kept, 41, &earlier).await;
    assert!(
        matches!(refused, Err(CeremonyError::PossibleClone)),
        "{refused:?}"
    );
    assert_eq!(
        kept.get(41).await.unwrap().unwrap().counter,
        later.counter()
    );
}

/// One credential belongs to one account: registering it again, for anyone, is refused.
#[tokio::test]
async fn a_credential_registered_to_one_account_is_refused_for_another() {
    use tower_authy::provider::webauthn::MemoryPasskeyStore;
    let (passkeys, store, kept) = (
        passkeys(),
        MemoryChallengeStore::new(),
        MemoryPasskeyStore::new(),
    );
    let mut authenticator = SoftPasskey::new(true);
    let passkey = register(&passkeys, &store, &mut authenticator, "reg-d")
        .await
        .unwrap();
    passkeys.keep(&kept, 1, "ada", &passkey).await.unwrap();
    let again = passkeys.keep(&kept, 2, "eve", &passkey).await;
    assert!(
        matches!(again, Err(CeremonyError::AlreadyRegistered)),
        "{again:?}"
    );
    assert!(passkeys.load(&kept, "eve", &[2]).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_passkey_store_conforms() {
    let store = std::sync::Arc::new(tower_authy::provider::webauthn::MemoryPasskeyStore::new());
    tower_authy::conformance::passkey_store(store).await;
}

//! Passkeys and security keys (WebAuthn), on [`webauthn_rs`]: the relying party, checked when
//! configured, and the two ceremonies with user verification required. Work in progress: the
//! ceremonies' state goes through [`ChallengeStore::keep_ceremony`] and
//! [`take_ceremony`](ChallengeStore::take_ceremony), so a ceremony finishes at most once, on any
//! instance. Credentials are kept in a [`PasskeyStore`] under their factor's subject (one
//! account per credential; the counter written back by compare-and-set, so a counter that goes
//! backwards across instances is caught). The factor kind and the routes come next.
//!
//! [`ChallengeStore::keep_ceremony`]: crate::ChallengeStore::keep_ceremony

use crate::ChallengeStore;
use crate::store::StoreError;
use url::Url;
pub use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, CredentialID, Passkey, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Uuid,
};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration,
};

#[cfg(feature = "memory-store")]
pub use crate::store::passkey::MemoryPasskeyStore;
pub use crate::store::passkey::{PasskeyStore, StoredCredential};
#[cfg(feature = "redis")]
pub use crate::store::redis_passkeys::RedisPasskeyStore;

/// Who the credentials are for: the relying party's id (a domain), its name, and the origins
/// its pages are served from.
#[derive(Debug, Clone)]
pub struct RelyingParty {
    /// The id credentials are scoped to: the origins' host or a parent domain of it.
    pub id: String,
    /// What the browser shows ("Example").
    pub name: String,
    /// The origins pages run the ceremonies on (`https://app.example.com`).
    pub origins: Vec<String>,
}

/// Why a [`RelyingParty`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RelyingPartyError {
    /// No origin was given.
    #[error("a relying party needs at least one origin")]
    NoOrigin,
    /// An origin is not a URL.
    #[error("{0} is not an origin")]
    NotAnOrigin(String),
    /// Plain `http` is for `localhost` only (browsers refuse WebAuthn on other plain origins).
    #[error("{0} is plain http on a host other than localhost")]
    InsecureOrigin(String),
    /// The id is not the origin's host or a parent domain of it.
    #[error("the relying party id {id} is not an effective domain of {origin}")]
    IdNotOfOrigin {
        /// The relying party's id.
        id: String,
        /// The origin it does not cover.
        origin: String,
    },
}

/// Passkeys as a [`TwoFactor`](crate::TwoFactor) holds them: the ceremonies, the credentials,
/// and whether a passkey alone signs in.
pub(crate) struct Part {
    pub(crate) ceremonies: Passkeys,
    pub(crate) store: std::sync::Arc<dyn PasskeyStore>,
    pub(crate) sign_in: bool,
}

/// The configured ceremonies.
pub struct Passkeys {
    webauthn: webauthn_rs::Webauthn,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys").finish_non_exhaustive()
    }
}

/// Why a ceremony failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CeremonyError {
    /// No such ceremony: never started, expired, or already finished.
    #[error("no such ceremony (expired or already finished)")]
    Unknown,
    /// The authenticator's answer does not check out (origin, challenge, signature, user
    /// verification, ...).
    #[error("the authenticator's answer was refused")]
    Refused,
    /// The assertion's signature counter is not above the one stored for the credential
    /// (another instance accepted a later one): the credential may have been cloned.
    #[error("the credential's counter went backwards: it may have been cloned")]
    PossibleClone,
    /// The credential is registered already (to this account or another).
    #[error("this credential is registered already")]
    AlreadyRegistered,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a passkey sign-in proved: the credential's account and factor, the user handle the
/// authenticator returned, and the assertion (to record).
pub(crate) struct SignIn {
    pub(crate) user_id: String,
    pub(crate) subject: u64,
    pub(crate) user_handle: Uuid,
    pub(crate) result: AuthenticationResult,
}

/// Asks the authenticator for a discoverable credential (a passkey that can name its account
/// at sign-in) where it can make one.
/// (`options` is a [`CreationChallengeResponse`] as JSON.)
pub(crate) fn prefer_discoverable(options: &mut serde_json::Value) {
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(serde_json::Value::as_object_mut)
    {
        selection.insert("residentKey".into(), "preferred".into());
    }
}

impl Passkeys {
    /// The ceremonies for `rp`, checked: every origin `https` (or `http://localhost`), the id an
    /// effective domain of each.
    ///
    /// # Errors
    /// [`RelyingPartyError`] naming the first problem.
    pub fn new(rp: &RelyingParty) -> Result<Passkeys, RelyingPartyError> {
        let origins: Vec<Url> = rp
            .origins
            .iter()
            .map(|o| Url::parse(o).map_err(|_| RelyingPartyError::NotAnOrigin(o.clone())))
            .collect::<Result<_, _>>()?;
        let Some(first) = origins.first() else {
            return Err(RelyingPartyError::NoOrigin);
        };
        for (url, raw) in origins.iter().zip(&rp.origins) {
            let host = url.host_str().unwrap_or_default();
            match url.scheme() {
                "https" => {}
                "http" if host == "localhost" => {}
                "http" => return Err(RelyingPartyError::InsecureOrigin(raw.clone())),
                _ => return Err(RelyingPartyError::NotAnOrigin(raw.clone())),
            }
            let covered = host == rp.id || host.ends_with(&format!(".{}", rp.id));
            if !covered {
                return Err(RelyingPartyError::IdNotOfOrigin {
                    id: rp.id.clone(),
                    origin: raw.clone(),
                });
            }
        }
        let id_not_of = || RelyingPartyError::IdNotOfOrigin {
            id: rp.id.clone(),
            origin: rp.origins[0].clone(),
        };
        let mut builder = webauthn_rs::WebauthnBuilder::new(&rp.id, first)
            .map_err(|_| id_not_of())?
            .rp_name(&rp.name);
        for extra in &origins[1..] {
            builder = builder.append_allowed_origin(extra);
        }
        let webauthn = builder.build().map_err(|_| id_not_of())?;
        Ok(Passkeys { webauthn })
    }

    /// Starts registering a passkey for `user` (its WebAuthn handle, `login` as its name),
    /// excluding the credentials they already hold; the state waits under `key` until
    /// `expires_at`.
    ///
    /// # Errors
    /// [`CeremonyError`].
    #[allow(clippy::too_many_arguments)]
    pub async fn start_registration(
        &self,
        store: &dyn ChallengeStore,
        key: &str,
        user: Uuid,
        login: &str,
        exclude: Vec<CredentialID>,
        expires_at: i64,
        now: i64,
    ) -> Result<CreationChallengeResponse, CeremonyError> {
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user, login, login, exclude)
            .map_err(|_| CeremonyError::Refused)?;
        let state = serde_json::to_vec(&state).map_err(StoreError::unavailable)?;
        store.keep_ceremony(key, state, expires_at, now).await?;
        Ok(options)
    }

    /// Finishes the registration waiting under `key` (once): the new passkey.
    ///
    /// # Errors
    /// [`CeremonyError::Unknown`] for no such ceremony, [`CeremonyError::Refused`] for an
    /// answer that does not check out.
    pub async fn finish_registration(
        &self,
        store: &dyn ChallengeStore,
        key: &str,
        answer: &RegisterPublicKeyCredential,
        now: i64,
    ) -> Result<Passkey, CeremonyError> {
        let state = store
            .take_ceremony(key, now)
            .await?
            .ok_or(CeremonyError::Unknown)?;
        let state: PasskeyRegistration =
            serde_json::from_slice(&state).map_err(|_| CeremonyError::Unknown)?;
        self.webauthn
            .finish_passkey_registration(answer, &state)
            .map_err(|_| CeremonyError::Refused)
    }

    /// Starts an authentication with one of `passkeys`; the state waits under `key`.
    ///
    /// # Errors
    /// [`CeremonyError`].
    pub async fn start_authentication(
        &self,
        store: &dyn ChallengeStore,
        key: &str,
        passkeys: &[Passkey],
        expires_at: i64,
        now: i64,
    ) -> Result<RequestChallengeResponse, CeremonyError> {
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(passkeys)
            .map_err(|_| CeremonyError::Refused)?;
        let state = serde_json::to_vec(&state).map_err(StoreError::unavailable)?;
        store.keep_ceremony(key, state, expires_at, now).await?;
        Ok(options)
    }

    /// Finishes the authentication waiting under `key` (once). The caller updates the
    /// credential with the result, refusing a counter that went backwards.
    ///
    /// # Errors
    /// [`CeremonyError::Unknown`] for no such ceremony (a replayed assertion lands here),
    /// [`CeremonyError::Refused`] for an answer that does not check out.
    pub async fn finish_authentication(
        &self,
        store: &dyn ChallengeStore,
        key: &str,
        answer: &PublicKeyCredential,
        now: i64,
    ) -> Result<AuthenticationResult, CeremonyError> {
        let state = store
            .take_ceremony(key, now)
            .await?
            .ok_or(CeremonyError::Unknown)?;
        let state: PasskeyAuthentication =
            serde_json::from_slice(&state).map_err(|_| CeremonyError::Unknown)?;
        self.webauthn
            .finish_passkey_authentication(answer, &state)
            .map_err(|_| CeremonyError::Refused)
    }

    /// Keeps a newly registered `passkey` for `user_id` under `subject` (the factor's).
    ///
    /// # Errors
    /// [`CeremonyError::AlreadyRegistered`] when its credential is anyone's already.
    pub async fn keep(
        &self,
        store: &dyn PasskeyStore,
        subject: u64,
        user_id: &str,
        passkey: &Passkey,
    ) -> Result<(), CeremonyError> {
        let stored = StoredCredential {
            user_id: user_id.to_owned(),
            credential_id: AsRef::<[u8]>::as_ref(passkey.cred_id()).to_vec(),
            credential: serde_json::to_vec(passkey).map_err(StoreError::unavailable)?,
            counter: 0,
        };
        if store.register(subject, stored).await? {
            Ok(())
        } else {
            Err(CeremonyError::AlreadyRegistered)
        }
    }

    /// The passkeys kept under `subjects` for `user_id` (others are left out).
    ///
    /// # Errors
    /// [`CeremonyError::Store`] when the store fails.
    pub async fn load(
        &self,
        store: &dyn PasskeyStore,
        user_id: &str,
        subjects: &[u64],
    ) -> Result<Vec<Passkey>, CeremonyError> {
        let mut found = Vec::new();
        for subject in subjects {
            let Some(stored) = store.get(*subject).await? else {
                continue;
            };
            if stored.user_id != user_id {
                continue;
            }
            if let Ok(passkey) = serde_json::from_slice(&stored.credential) {
                found.push(passkey);
            }
        }
        Ok(found)
    }

    /// Records an accepted assertion (`result`) on the credential under `subject`: its counter
    /// and backup flags, as a compare-and-set. A counter that is not above the stored one
    /// (both not zero: synced passkeys report 0) means another copy of the credential signed
    /// later: refused, and the login with it must fail.
    ///
    /// # Errors
    /// [`CeremonyError::PossibleClone`], [`CeremonyError::Unknown`] for a credential no
    /// longer kept, [`CeremonyError::Store`].
    pub async fn record_use(
        &self,
        store: &dyn PasskeyStore,
        subject: u64,
        result: &AuthenticationResult,
    ) -> Result<(), CeremonyError> {
        for _ in 0..5 {
            let Some(stored) = store.get(subject).await? else {
                return Err(CeremonyError::Unknown);
            };
            let counted = result.counter() > 0 || stored.counter > 0;
            if counted && result.counter() <= stored.counter {
                tracing::warn!(
                    event = "passkey_possible_clone",
                    user_id = %stored.user_id,
                    "a passkey's signature counter went backwards; login refused"
                );
                return Err(CeremonyError::PossibleClone);
            }
            let mut passkey: Passkey =
                serde_json::from_slice(&stored.credential).map_err(|_| CeremonyError::Unknown)?;
            passkey.update_credential(result);
            let expected = stored.counter;
            let next = StoredCredential {
                credential: serde_json::to_vec(&passkey).map_err(StoreError::unavailable)?,
                counter: result.counter(),
                ..stored
            };
            if store.update(subject, expected, next).await? {
                return Ok(());
            }
        }
        Err(CeremonyError::PossibleClone)
    }

    /// Starts a sign-in with any discoverable passkey of this relying party (user verification
    /// required); the state waits under `key`. The page chooses the mediation.
    pub(crate) async fn start_sign_in(
        &self,
        store: &dyn ChallengeStore,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<RequestChallengeResponse, CeremonyError> {
        let (mut options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|_| CeremonyError::Refused)?;
        options.mediation = None;
        let state = serde_json::to_vec(&state).map_err(StoreError::unavailable)?;
        store.keep_ceremony(key, state, expires_at, now).await?;
        Ok(options)
    }

    /// Finishes the sign-in waiting under `key` (once): the credential it used is looked up
    /// by id in `passkeys`, and the assertion checked against it.
    pub(crate) async fn finish_sign_in(
        &self,
        store: &dyn ChallengeStore,
        passkeys: &dyn PasskeyStore,
        key: &str,
        answer: &PublicKeyCredential,
        now: i64,
    ) -> Result<SignIn, CeremonyError> {
        let state = store
            .take_ceremony(key, now)
            .await?
            .ok_or(CeremonyError::Unknown)?;
        let state: DiscoverableAuthentication =
            serde_json::from_slice(&state).map_err(|_| CeremonyError::Unknown)?;
        let (user_handle, credential_id) = self
            .webauthn
            .identify_discoverable_authentication(answer)
            .map_err(|_| CeremonyError::Refused)?;
        let Some((subject, stored)) = passkeys.find(credential_id).await? else {
            return Err(CeremonyError::Refused);
        };
        let passkey: Passkey =
            serde_json::from_slice(&stored.credential).map_err(|_| CeremonyError::Refused)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(answer, state, &passkey)
            .map_err(|_| CeremonyError::Refused)?;
        Ok(SignIn {
            user_id: stored.user_id,
            subject,
            user_handle,
            result,
        })
    }
}

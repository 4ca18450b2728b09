//! Passkeys and security keys (WebAuthn), on [`webauthn_rs`]: the relying party, checked when
//! configured, and the two ceremonies with user verification required. Work in progress: the
//! ceremonies' state goes through [`ChallengeStore::keep_ceremony`] and
//! [`take_ceremony`](ChallengeStore::take_ceremony), so a ceremony finishes at most once, on any
//! instance; the factor, its store and the routes come next.
//!
//! [`ChallengeStore::keep_ceremony`]: crate::ChallengeStore::keep_ceremony

use crate::ChallengeStore;
use crate::store::StoreError;
use url::Url;
pub use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, CredentialID, Passkey, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Uuid,
};
use webauthn_rs::prelude::{PasskeyAuthentication, PasskeyRegistration};

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
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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
}

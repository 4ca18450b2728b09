//! Step-up mode's contract: [`FirstFactor`] (who the application's own login says is logged
//! in) and its settings, re-exported by [`crate::step_up`], which holds the step-up page.

use crate::secret::Password;
use crate::store::{StoreError, UserRecord, UserStore};
use async_trait::async_trait;
use http::request::Parts;
use std::sync::Arc;

/// Who the application's own login says a request's user is (step-up mode, see
/// [`TwoFactor::step_up`](crate::TwoFactor::step_up)).
///
/// Read it from the request: the application's session, an extension its authentication layer
/// inserted, a header its proxy sets. `Ok(None)` when nobody is logged in.
///
/// ```
/// use tower_authy::{step_up::FirstFactor, store::StoreError, UserRecord};
/// use tower_authy::tower_sessions::Session;
///
/// /// The app keeps its signed-in user in its session under "user".
/// struct AppLogin;
///
/// #[async_trait::async_trait]
/// impl FirstFactor for AppLogin {
///     async fn current_user(
///         &self,
///         request: &http::request::Parts,
///     ) -> Result<Option<UserRecord>, StoreError> {
///         let Some(session) = request.extensions.get::<Session>() else {
///             return Ok(None);
///         };
///         let email: Option<String> = session.get("user").await.map_err(StoreError::unavailable)?;
///         // Here the application would read the user's credential epoch from its database.
///         Ok(email.map(|email| UserRecord { id: email.clone(), login: email, credential_epoch: 0 }))
///     }
/// }
/// ```
#[async_trait]
pub trait FirstFactor: Send + Sync + 'static {
    /// The user the application's login signed in for this request, if any. Their second
    /// factors come from the [`FactorStore`](crate::FactorStore) given to
    /// [`TwoFactor::step_up`](crate::TwoFactor::step_up).
    ///
    /// # Errors
    /// [`StoreError`] when it cannot tell (then nobody gets in).
    async fn current_user(&self, request: &Parts) -> Result<Option<UserRecord>, StoreError>;
}

#[async_trait]
impl<T: FirstFactor + ?Sized> FirstFactor for Arc<T> {
    async fn current_user(&self, request: &Parts) -> Result<Option<UserRecord>, StoreError> {
        (**self).current_user(request).await
    }
}

/// Step-up mode's settings.
pub(crate) struct StepUp {
    pub(crate) first_factor: Arc<dyn FirstFactor>,
    /// The application's login page; the guard adds `return_to`.
    pub(crate) login_url: String,
}

/// The user store of step-up mode: tower-authy checks no password there.
pub(crate) struct NoPasswords;

#[async_trait]
impl UserStore for NoPasswords {
    async fn verify_password(
        &self,
        _: &str,
        _: &Password,
    ) -> Result<Option<UserRecord>, StoreError> {
        Ok(None)
    }

    async fn load(&self, _: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(None)
    }
}

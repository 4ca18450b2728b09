//! Step-up mode: the application's own login is the first factor, tower-authy adds the second.
//!
//! The application says who a request's user is through [`FirstFactor`]; tower-authy's own
//! login routes are not mounted. The guard sends a request with no first-factor user to the
//! application's login page, and one whose user has not completed the second factor in this
//! session (or completed it as somebody else) to tower-authy's step-up page, which starts the
//! push or code.

pub(crate) mod pages;
pub(crate) mod routes;

pub use crate::store::first_factor::FirstFactor;

#[cfg(feature = "axum-login")]
pub use self::axum_login_adapter::AxumLogin;

#[cfg(feature = "axum-login")]
mod axum_login_adapter {
    use super::FirstFactor;
    use crate::store::{StoreError, UserRecord};
    use async_trait::async_trait;
    use axum_login::{AuthSession, AuthnBackend};
    use http::request::Parts;
    use std::sync::Arc;

    type ToRecord<U> = Arc<dyn Fn(&U) -> UserRecord + Send + Sync>;

    /// Step-up mode on an [axum-login](https://docs.rs/axum-login) 0.18 login (`axum-login`
    /// feature): the first-factor user is the one axum-login's `AuthSession<B>` holds, mapped
    /// to a [`UserRecord`] by your closure. Put axum-login's `AuthManagerLayer` outside
    /// tower-authy's guard.
    ///
    /// Logging out through axum-login ends the second factor too, and so does a changed
    /// `session_auth_hash` (a password change): axum-login then reports nobody.
    ///
    /// ```
    /// # use axum_login::{AuthUser, AuthnBackend, UserId};
    /// # #[derive(Clone, Debug)]
    /// # struct MyUser { id: i64, email: String, hash: Vec<u8> }
    /// # impl AuthUser for MyUser {
    /// #     type Id = i64;
    /// #     fn id(&self) -> i64 { self.id }
    /// #     fn session_auth_hash(&self) -> &[u8] { &self.hash }
    /// # }
    /// # #[derive(Clone)]
    /// # struct MyBackend;
    /// # impl AuthnBackend for MyBackend {
    /// #     type User = MyUser;
    /// #     type Credentials = ();
    /// #     type Error = std::convert::Infallible;
    /// #     async fn authenticate(&self, _: ()) -> Result<Option<MyUser>, Self::Error> { Ok(None) }
    /// #     async fn get_user(&self, _: &UserId<Self>) -> Result<Option<MyUser>, Self::Error> { Ok(None) }
    /// # }
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// use tower_authy::{step_up::AxumLogin, TwoFactor, UserRecord};
    ///
    /// let first_factor = AxumLogin::<MyBackend>::new(|u| UserRecord {
    ///     id: u.id.to_string(),
    ///     login: u.email.clone(),
    ///     credential_epoch: 0,
    /// });
    /// let factors = tower_authy::store::MemoryUserStore::new(); // your FactorStore
    /// let two_factor = TwoFactor::step_up(authy, first_factor, factors, "/login")
    ///     .callback_url("https://app.example/authy/callback")
    ///     .build()
    ///     .unwrap();
    /// // Router::new().route(..).route_layer(two_factor.layer()).merge(two_factor.router())
    /// //     .layer(AuthManagerLayerBuilder::new(backend, two_factor.session_layer(store)).build())
    /// ```
    pub struct AxumLogin<B: AuthnBackend> {
        to_record: ToRecord<B::User>,
    }

    impl<B: AuthnBackend> AxumLogin<B> {
        /// The adapter; `to_record` maps your user type to what tower-authy needs.
        pub fn new(to_record: impl Fn(&B::User) -> UserRecord + Send + Sync + 'static) -> Self {
            AxumLogin {
                to_record: Arc::new(to_record),
            }
        }
    }

    impl<B: AuthnBackend> std::fmt::Debug for AxumLogin<B> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("AxumLogin").finish_non_exhaustive()
        }
    }

    #[async_trait]
    impl<B: AuthnBackend + 'static> FirstFactor for AxumLogin<B> {
        async fn current_user(&self, request: &Parts) -> Result<Option<UserRecord>, StoreError> {
            match request.extensions.get::<AuthSession<B>>() {
                Some(auth) => Ok(auth.user.as_ref().map(|u| (self.to_record)(u))),
                None => Err(StoreError::unavailable(
                    "no axum-login AuthSession: put its AuthManagerLayer outside tower-authy",
                )),
            }
        }
    }
}

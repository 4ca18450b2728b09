//! tower-authy and axum-login 0.18 in one app, over one tower-sessions `Session`: an axum-login
//! login alone does not open a route that tower-authy guards; completing tower-authy does, and
//! axum-login's user is still there afterwards.

#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::routing::{get, post};
use axum_login::{AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend, UserId};
use mock_authy::{CallbackMethod, MockAuthy};
use std::time::Duration;
use test_support::{Browser, PASSWORD};
use tower_authy::{
    TwoFactor, VerifiedUser, provider::authy::AuthyClient, secret::ApiKey, store::MemoryUserStore,
};
use tower_sessions::MemoryStore;

#[derive(Clone, Debug)]
struct PlainUser {
    id: i64,
    hash: Vec<u8>,
}

impl AuthUser for PlainUser {
    type Id = i64;
    fn id(&self) -> i64 {
        self.id
    }
    fn session_auth_hash(&self) -> &[u8] {
        &self.hash
    }
}

#[derive(Clone)]
struct Backend;

impl AuthnBackend for Backend {
    type User = PlainUser;
    type Credentials = ();
    type Error = std::convert::Infallible;

    async fn authenticate(&self, (): ()) -> Result<Option<PlainUser>, Self::Error> {
        Ok(Some(PlainUser {
            id: 7,
            hash: b"v1".to_vec(),
        }))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<PlainUser>, Self::Error> {
        Ok((*id == 7).then(|| PlainUser {
            id: 7,
            hash: b"v1".to_vec(),
        }))
    }
}

async fn plain_login(mut auth: AuthSession<Backend>) -> &'static str {
    let user = auth.authenticate(()).await.unwrap().unwrap();
    auth.login(&user).await.unwrap();
    "logged in with axum-login"
}

async fn both(user: VerifiedUser, auth: AuthSession<Backend>) -> String {
    format!(
        "tower-authy user {} / axum-login user {:?}",
        user.user_id,
        auth.user.map(|u| u.id)
    )
}

#[tokio::test]
async fn shares_one_session_with_axum_login_and_still_demands_the_second_factor() {
    let mock = MockAuthy::builder().seed(3).start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    mock.set_callback(Some((
        format!("{base}/authy/callback"),
        CallbackMethod::Post,
    )));
    let client = AuthyClient::builder(ApiKey::new(mock.api_key()))
        .base_url(mock.base_url())
        .timeouts(Duration::from_secs(1), Duration::from_secs(2))
        .build()
        .unwrap();
    let authy_id = client
        .register_user("ada@example.com", "5551230001", "1")
        .await
        .unwrap();
    let users = MemoryUserStore::new();
    users.insert(
        "ada@example.com",
        PASSWORD,
        [tower_authy::factors::Factor::of(&client, authy_id, 0)],
    );
    let two_factor = TwoFactor::builder(client, users.clone(), users)
        .callback_url(format!("{base}/authy/callback"))
        .with_insecure_http_for_local_demo()
        .build()
        .unwrap();

    // One SessionManagerLayer, from tower-authy's cookie policy, under axum-login's manager.
    let auth_layer =
        AuthManagerLayerBuilder::new(Backend, two_factor.session_layer(MemoryStore::default()))
            .build();
    let app = Router::new()
        .route("/both", get(both))
        .route_layer(two_factor.layer())
        .route("/plain-login", post(plain_login))
        .merge(two_factor.router())
        .layer(auth_layer);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut b = Browser::new(&base);
    let plain = b
        .http
        .post(format!("{}/plain-login", b.base))
        .send()
        .await
        .unwrap();
    // The cookie store (shared with `b.http`) kept the session cookie.
    assert!(b.cookie().is_some());
    assert_eq!(plain.status(), 200);
    assert_eq!(
        b.get("/both").await.status,
        303,
        "an axum-login session is not a second factor"
    );

    b.login("ada@example.com", PASSWORD).await;
    let token = mock.app_token(authy_id).unwrap();
    assert_eq!(
        b.post("/authy/token", &[("token", &token)]).await.status,
        303
    );
    let page = b.get("/both").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.ends_with("axum-login user Some(7)"),
        "{}",
        page.body
    );
}

/// A user whose `session_auth_hash` changes when `version` does (a password change).
#[derive(Clone)]
struct Versioned(std::sync::Arc<std::sync::atomic::AtomicU8>);

impl Versioned {
    fn user(&self) -> PlainUser {
        PlainUser {
            id: 7,
            hash: vec![self.0.load(std::sync::atomic::Ordering::SeqCst)],
        }
    }
}

impl AuthnBackend for Versioned {
    type User = PlainUser;
    type Credentials = ();
    type Error = std::convert::Infallible;

    async fn authenticate(&self, (): ()) -> Result<Option<PlainUser>, Self::Error> {
        Ok(Some(self.user()))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<PlainUser>, Self::Error> {
        Ok((*id == 7).then(|| self.user()))
    }
}

/// Step-up on axum-login: one builder call (`TwoFactor::step_up` with `AxumLogin`) and one
/// layer; axum-login's logout and a password change (new `session_auth_hash`) end the second
/// factor.
#[tokio::test]
async fn step_up_on_an_axum_login_app() {
    let mock = MockAuthy::builder().seed(4).start().await.unwrap();
    let server = test_support::Server::bind().await;
    let callback = format!("{}/authy/callback", server.base);
    mock.set_callback(Some((callback.clone(), CallbackMethod::Post)));
    let client = AuthyClient::builder(ApiKey::new(mock.api_key()))
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let authy_id = client
        .register_user("ada@example.com", "5551230001", "1")
        .await
        .unwrap();
    let backend = Versioned(Default::default());

    // Ada's second factor, kept under her axum-login id's user in a factor store.
    let factors = MemoryUserStore::new();
    let ada = factors.insert(
        "ada@example.com",
        "unused",
        [tower_authy::factors::Factor::of(&client, authy_id, 0)],
    );
    let adapter =
        tower_authy::step_up::AxumLogin::<Versioned>::new(move |_| tower_authy::UserRecord {
            id: ada.clone(),
            login: "ada@example.com".to_owned(),
            credential_epoch: 0,
        });
    let two_factor = TwoFactor::step_up(client, adapter, factors, "/login")
        .callback_url(&callback)
        .default_return_to("/account")
        .with_insecure_http_for_local_demo()
        .build()
        .unwrap();
    let auth_layer = AuthManagerLayerBuilder::new(
        backend.clone(),
        two_factor.session_layer(MemoryStore::default()),
    )
    .build();
    let app = Router::new()
        .route(
            "/account",
            get(|u: VerifiedUser| async move { format!("account of {}", u.user.login) }),
        )
        .route_layer(two_factor.layer())
        .route(
            "/login",
            post(|mut auth: AuthSession<Versioned>| async move {
                let user = auth.authenticate(()).await.unwrap().unwrap();
                auth.login(&user).await.unwrap();
                "logged in"
            }),
        )
        .route(
            "/logout",
            post(|mut auth: AuthSession<Versioned>| async move {
                auth.logout().await.unwrap();
                "logged out"
            }),
        )
        .merge(two_factor.router())
        .layer(auth_layer);
    let base = server.serve(app);
    let mut b = Browser::new(&base).csrf_from("/authy/step-up");

    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/login?return_to=%2Faccount")
    );
    assert_eq!(b.post("/login", &[]).await.status, 200);
    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/authy/step-up?return_to=%2Faccount"),
        "an axum-login session alone is not a second factor"
    );
    // The second factor by a code from the app.
    assert_eq!(b.post("/authy/step-up", &[]).await.status, 303);
    let token = mock.app_token(authy_id).unwrap();
    assert_eq!(
        b.post("/authy/token", &[("token", &token)]).await.status,
        303
    );
    let page = b.get("/account").await;
    assert_eq!(
        (page.status, page.body.as_str()),
        (200, "account of ada@example.com")
    );

    // A password change: axum-login drops the user, and the second factor goes with it.
    backend.0.store(2, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/login?return_to=%2Faccount")
    );
    assert_eq!(b.post("/login", &[]).await.status, 200);
    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/authy/step-up?return_to=%2Faccount"),
        "the new login needs the second factor again"
    );

    // This time by push; then axum-login's logout ends both.
    assert_eq!(b.post("/authy/step-up", &[]).await.status, 303);
    let push = mock.approval_requests().pop().unwrap();
    assert!(mock.approve(&push.uuid).await.unwrap().unwrap().delivered);
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(b.get("/account").await.status, 200);
    assert_eq!(b.post("/logout", &[]).await.status, 200);
    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/login?return_to=%2Faccount")
    );
}

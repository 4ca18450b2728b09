//! Step-up mode: an application with its own login adds tower-authy's second factor.

#![allow(clippy::unwrap_used)]

use axum::routing::{get, post};
use axum::{Form, Router};
use mock_authy::{CallbackMethod, MockAuthy};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use test_support::{Browser, Server, WAIT};
use tower_authy::tower_sessions::{MemoryStore, Session};
use tower_authy::{
    FactorStore, TwoFactor, UserRecord, VerifiedUser, provider::authy::AuthyClient, secret::ApiKey,
    step_up::FirstFactor, store::MemoryUserStore, store::StoreError,
};

/// The application's users, by email.
#[derive(Clone, Default)]
struct Accounts(Arc<Mutex<HashMap<String, UserRecord>>>);

/// The application's own login keeps the email in the session under "app_user".
#[async_trait::async_trait]
impl FirstFactor for Accounts {
    async fn current_user(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<UserRecord>, StoreError> {
        let Some(session) = request.extensions.get::<Session>() else {
            return Ok(None);
        };
        let email: Option<String> = session
            .get("app_user")
            .await
            .map_err(StoreError::unavailable)?;
        Ok(email.and_then(|e| self.0.lock().unwrap().get(&e).cloned()))
    }
}

#[derive(serde::Deserialize)]
struct AppLogin {
    email: String,
}

struct App {
    mock: MockAuthy,
    accounts: Accounts,
    /// The users' second factors (each account is a user here too, with an unused password).
    factors: MemoryUserStore,
    base: String,
}

impl App {
    async fn start() -> App {
        App::start_with(false).await
    }

    /// With `enrolment`, users without a second factor turn one on instead of being refused.
    async fn start_with(enrolment: bool) -> App {
        App::start_with_policy(enrolment, tower_authy::guard::Policy::required()).await
    }

    /// With `policy` deciding who must prove a second factor.
    async fn start_with_policy(enrolment: bool, policy: tower_authy::guard::Policy) -> App {
        let mock = MockAuthy::builder().seed(5).start().await.unwrap();
        let server = Server::bind().await;
        let callback_url = format!("{}/authy/callback", server.base);
        mock.set_callback(Some((callback_url.clone(), CallbackMethod::Post)));
        let client = AuthyClient::builder(ApiKey::new(mock.api_key()))
            .base_url(mock.base_url())
            .build()
            .unwrap();
        let accounts = Accounts::default();
        let factors = MemoryUserStore::new();
        let mut builder =
            TwoFactor::step_up(client, accounts.clone(), factors.clone(), "/app/login");
        if !enrolment {
            builder = builder.without_enrolment();
        }
        let two_factor = builder
            .policy(policy)
            .callback_url(&callback_url)
            .default_return_to("/account")
            .with_insecure_http_for_local_demo()
            .passkeys(
                passkeys(),
                tower_authy::provider::webauthn::MemoryPasskeyStore::new(),
            )
            .build()
            .unwrap();
        // The application's own login and logout (no password: not what is tested here).
        let app = Router::new()
            .route("/account", get(account))
            .route_layer(two_factor.layer())
            .route(
                "/app/login",
                post(|session: Session, Form(f): Form<AppLogin>| async move {
                    session.insert("app_user", f.email).await.unwrap();
                    "logged in"
                }),
            )
            .route(
                "/app/logout",
                post(|session: Session| async move {
                    session.remove::<String>("app_user").await.unwrap();
                    "logged out"
                }),
            )
            .merge(two_factor.router())
            .layer(two_factor.session_layer(MemoryStore::default()));
        let base = server.serve(app);
        App {
            mock,
            accounts,
            factors,
            base,
        }
    }

    /// An account in the application and with Authy.
    async fn account(&self, email: &str, phone: &str) -> u64 {
        let client = AuthyClient::builder(ApiKey::new(self.mock.api_key()))
            .base_url(self.mock.base_url())
            .build()
            .unwrap();
        let authy_id = client.register_user(email, phone, "1").await.unwrap();
        let factor = tower_authy::factors::Factor::of(&client, authy_id, 0);
        self.add_account(email, [factor]);
        authy_id
    }

    /// An account in the application holding `factors`; its user id.
    fn add_account(
        &self,
        email: &str,
        factors: impl IntoIterator<Item = tower_authy::factors::Factor>,
    ) -> String {
        let id = self.factors.insert(email, "unused", factors);
        let record = UserRecord {
            id: id.clone(),
            login: email.to_owned(),
            credential_epoch: 0,
        };
        self.accounts
            .0
            .lock()
            .unwrap()
            .insert(email.to_owned(), record);
        id
    }

    /// Logs in with the application's own login.
    async fn app_login(&self, b: &mut Browser, email: &str) {
        assert_eq!(b.post("/app/login", &[("email", email)]).await.status, 200);
    }

    /// The second factor by OneTouch, from the guard's redirect to the protected page.
    async fn step_up(&self, b: &mut Browser, authy_id: u64) {
        let page = b.get("/account").await;
        assert_eq!(
            (page.status, page.location.as_deref()),
            (303, Some("/authy/step-up?return_to=%2Faccount"))
        );
        let form = b.get("/authy/step-up?return_to=%2Faccount").await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains("Send the request"), "{}", form.body);
        let sent = b.post("/authy/step-up", &[("return_to", "/account")]).await;
        assert_eq!(
            (sent.status, sent.location.as_deref()),
            (303, Some("/authy/verify"))
        );
        let push = self
            .mock
            .wait_for(WAIT, |m| {
                m.approval_requests()
                    .into_iter()
                    .rev()
                    .find(|a| a.authy_id == authy_id)
            })
            .await
            .unwrap();
        assert!(
            self.mock
                .approve(&push.uuid)
                .await
                .unwrap()
                .unwrap()
                .delivered
        );
        let confirm = b.post("/authy/confirm", &[]).await;
        assert_eq!(
            (confirm.status, confirm.location.as_deref()),
            (303, Some("/account"))
        );
    }
}

fn passkeys() -> tower_authy::provider::webauthn::Passkeys {
    let rp = tower_authy::provider::webauthn::RelyingParty {
        id: "localhost".into(),
        name: "Step-up".into(),
        origins: vec!["http://localhost:3000".into()],
    };
    tower_authy::provider::webauthn::Passkeys::new(&rp).unwrap()
}

async fn account(user: VerifiedUser) -> String {
    let alone = if user.second_factor {
        ""
    } else {
        " (the app's login alone)"
    };
    format!("account of {}{alone}", user.user.login)
}

#[tokio::test]
async fn if_enrolled_the_apps_login_alone_opens_the_page_for_a_user_without_a_factor() {
    let app = App::start_with_policy(false, tower_authy::guard::Policy::if_enrolled()).await;
    let ada = app.account("ada@example.com", "5551230001").await;
    app.add_account("bob@example.com", []);
    let mut b = Browser::new(&app.base).csrf_from("/authy/step-up");
    assert_eq!(b.get("/account").await.status, 303, "nobody logged in");
    app.app_login(&mut b, "bob@example.com").await;
    let page = b.get("/account").await;
    assert_eq!(
        page.body,
        "account of bob@example.com (the app's login alone)"
    );

    // Ada has a factor: she proves it.
    let mut a = Browser::new(&app.base).csrf_from("/authy/step-up");
    app.app_login(&mut a, "ada@example.com").await;
    app.step_up(&mut a, ada).await;
    assert_eq!(a.get("/account").await.body, "account of ada@example.com");
}

#[tokio::test]
async fn the_apps_login_then_a_push_opens_the_protected_page() {
    let app = App::start().await;
    let ada = app.account("ada@example.com", "5551230001").await;
    let mut b = Browser::new(&app.base).csrf_from("/authy/step-up");

    // Nobody logged in: the application's own login page, with the way back.
    let page = b.get("/account").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/app/login?return_to=%2Faccount"))
    );
    assert_eq!(b.get_json("/account").await.status, 401);
    // tower-authy's own login is not mounted in this mode.
    assert_eq!(b.get("/authy/login").await.status, 404);

    app.app_login(&mut b, "ada@example.com").await;
    app.step_up(&mut b, ada).await;
    let page = b.get("/account").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body, "account of ada@example.com");
}

#[tokio::test]
async fn logging_out_of_the_app_ends_the_second_factor_too() {
    let app = App::start().await;
    let ada = app.account("ada@example.com", "5551230001").await;
    app.account("bob@example.com", "5551230002").await;
    let mut b = Browser::new(&app.base).csrf_from("/authy/step-up");
    app.app_login(&mut b, "ada@example.com").await;
    app.step_up(&mut b, ada).await;
    assert_eq!(b.get("/account").await.status, 200);

    // Another user logs in on the same browser: Ada's second factor does not carry over.
    app.app_login(&mut b, "bob@example.com").await;
    let page = b.get("/account").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/authy/step-up?return_to=%2Faccount")
    );

    // Back as Ada: her second factor was dropped, so she proves it again.
    app.app_login(&mut b, "ada@example.com").await;
    assert_eq!(b.get("/account").await.status, 303);

    app.step_up(&mut b, ada).await;
    assert_eq!(b.get("/account").await.status, 200);
    assert_eq!(b.post("/app/logout", &[]).await.status, 200);
    let page = b.get("/account").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/app/login?return_to=%2Faccount")
    );
    app.app_login(&mut b, "ada@example.com").await;
    assert_eq!(
        b.get("/account").await.status,
        303,
        "logging in again needs the second factor again"
    );
}

#[tokio::test]
async fn the_step_up_page_refuses_without_a_login_a_csrf_token_or_a_second_factor() {
    let app = App::start().await;
    let mut b = Browser::new(&app.base).csrf_from("/authy/step-up");
    // Not logged in to the application: back to its login (401 for API clients), no token.
    let r = b.get("/authy/step-up?return_to=%2Faccount").await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (303, Some("/app/login?return_to=%2Faccount"))
    );
    assert_eq!(b.get_json("/authy/step-up").await.status, 401);
    assert_eq!(b.post("/authy/step-up", &[]).await.status, 403);
    app.account("ada@example.com", "5551230001").await;
    app.app_login(&mut b, "ada@example.com").await;
    let r = b.post_without_csrf("/authy/step-up", &[]).await;
    assert_eq!(r.status, 403);
    assert!(app.mock.approval_requests().is_empty(), "no push was sent");

    // A user with no second factor set up cannot start one, and cannot pass.
    app.add_account("eve@example.com", []);
    app.app_login(&mut b, "eve@example.com").await;
    let r = b.post("/authy/step-up", &[]).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("No second factor"), "{}", r.body);
    assert!(app.mock.approval_requests().is_empty());
    assert_eq!(b.get("/account").await.status, 303);
}

#[tokio::test]
async fn with_enrolment_a_user_without_a_second_factor_turns_it_on() {
    let app = App::start_with(true).await;
    app.add_account("eve@example.com", []);
    // Once enrolling, the session's CSRF token comes with the enrolment page's JSON.
    let mut b = Browser::new(&app.base).csrf_from("/authy/enrol");
    app.app_login(&mut b, "eve@example.com").await;
    let page = b.get("/authy/step-up?return_to=%2Faccount").await;
    assert_eq!(page.location.as_deref(), Some("/authy/enrol"));
    let fields = [
        ("email", "eve@example.com"),
        ("country_code", "1"),
        ("phone", "5551230077"),
    ];
    let page = b.post("/authy/enrol", &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let authy_id = app.mock.users()[0].id;
    let token = app.mock.app_token(authy_id).unwrap();
    let done = b.post("/authy/enrol/confirm", &[("token", &token)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(b.get("/account").await.status, 200);
    let eve = app.accounts.0.lock().unwrap()["eve@example.com"].id.clone();
    let saved = app.factors.factors(&eve).await.unwrap();
    assert_eq!(
        saved.iter().map(|f| f.subject).collect::<Vec<_>>(),
        [authy_id]
    );
    assert_eq!(
        b.get("/authy/disable").await.status,
        404,
        "no password to ask for here"
    );
}

#[test]
fn the_apps_login_url_must_be_a_local_path() {
    let client = AuthyClient::builder(ApiKey::new("k")).build().unwrap();
    let built = TwoFactor::step_up(
        client,
        Accounts::default(),
        MemoryUserStore::new(),
        "https://evil.example/login",
    )
    .callback_url("https://app.example/authy/callback")
    .build();
    assert!(matches!(
        built,
        Err(tower_authy::ConfigError::StepUpLoginUrl(_))
    ));
}

#[tokio::test]
async fn in_step_up_mode_a_passkey_is_enrolled_then_proves_the_second_factor() {
    use tower_authy::provider::webauthn::{CreationChallengeResponse, RequestChallengeResponse};
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    let origin = url::Url::parse("http://localhost:3000").unwrap();
    let app = App::start_with(true).await;
    app.add_account("eve@example.com", []);
    let mut b = Browser::new(&app.base).csrf_from("/authy/enrol");
    app.app_login(&mut b, "eve@example.com").await;
    let page = b.get("/authy/step-up?return_to=%2Faccount").await;
    assert_eq!(page.location.as_deref(), Some("/authy/enrol"));
    // Her first factor is a passkey, set up at enrolment.
    let options = b.post("/authy/passkey/register/options", &[]).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let options: CreationChallengeResponse = serde_json::from_str(&options.body).unwrap();
    let mut key = SoftPasskey::new(true);
    let answer = key.do_registration(origin.clone(), options).unwrap();
    let answer = serde_json::to_string(&answer).unwrap();
    let done = b
        .post("/authy/passkey/register", &[("credential", &answer)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(b.get("/account").await.status, 200);

    // Next time: the application's login, then the passkey on top of it.
    let mut b = Browser::new(&app.base).csrf_from("/authy/step-up");
    app.app_login(&mut b, "eve@example.com").await;
    let sent = b.post("/authy/step-up", &[("return_to", "/account")]).await;
    assert_eq!(
        sent.location.as_deref(),
        Some("/authy/verify"),
        "{}",
        sent.body
    );
    let page = b.get("/authy/verify").await;
    assert!(
        page.body.contains("data-passkey=\"login\""),
        "{}",
        page.body
    );
    let options = b.post("/authy/passkey/options", &[]).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let options: RequestChallengeResponse = serde_json::from_str(&options.body).unwrap();
    let answer = key.do_authentication(origin, options).unwrap();
    let answer = serde_json::to_string(&answer).unwrap();
    let done = b.post("/authy/passkey", &[("credential", &answer)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(b.get("/account").await.body, "account of eve@example.com");
    // Sign-in with a passkey alone is for tower-authy's own login only.
    assert_eq!(
        b.post("/authy/passkey/sign-in/options", &[]).await.status,
        404
    );
}

//! Passkeys through the real HTTP routes, driven by a software authenticator: a verified user
//! registers one from the factors page, logs in with it (offered first), and every attack the
//! issue lists is refused: a replayed assertion, another origin or relying party id, another
//! account's passkey, a cloned credential (its counter), a passkey sign-in carrying another
//! account's user handle. Passkey sign-in logs in with the passkey alone.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::sync::Arc;
use test_support::{Browser, PASSWORD, Server, T0, app_router};
use tower_authy::provider::webauthn::{
    CreationChallengeResponse, MemoryPasskeyStore, Passkeys, PublicKeyCredential, RelyingParty,
    RequestChallengeResponse,
};
use tower_authy::{
    TwoFactor, TwoFactorBuilder, provider::totp::MemoryTotpSecretStore, provider::totp::TotpKey,
    provider::totp::TotpProvider, store::ManualClock, store::MemoryChallengeStore,
    store::MemoryUserStore,
};
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const ORIGIN: &str = "http://localhost:3000";

struct Site {
    secrets: Arc<MemoryTotpSecretStore>,
    totp: TotpProvider,
    clock: ManualClock,
    users: MemoryUserStore,
    /// Shared by every instance, as a load balancer's sticky-less sessions would be.
    sessions: tower_sessions::MemoryStore,
    base: String,
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

fn rp() -> RelyingParty {
    RelyingParty {
        id: "localhost".into(),
        name: "Passkey test".into(),
        origins: vec![ORIGIN.into()],
    }
}

fn totp(secrets: &Arc<MemoryTotpSecretStore>, clock: &ManualClock) -> TotpProvider {
    TotpProvider::builder(TotpKey::from_bytes([5; 32]), secrets.clone())
        .clock(clock.clone())
        .build()
        .unwrap()
}

impl Site {
    async fn new(configure: impl Fn(TwoFactorBuilder) -> TwoFactorBuilder) -> Site {
        let secrets = Arc::new(MemoryTotpSecretStore::new());
        let clock = ManualClock::new(T0);
        let mut site = Site {
            totp: totp(&secrets, &clock),
            secrets,
            clock,
            users: MemoryUserStore::new(),
            sessions: tower_sessions::MemoryStore::default(),
            base: String::new(),
        };
        site.base = site.instance(&configure).await;
        site
    }

    /// Another instance on the same users, clock and sessions (its own stores unless
    /// `configure` gives shared ones).
    async fn instance(&self, configure: &impl Fn(TwoFactorBuilder) -> TwoFactorBuilder) -> String {
        let builder = TwoFactor::builder(
            totp(&self.secrets, &self.clock),
            self.users.clone(),
            self.users.clone(),
        )
        .clock(self.clock.clone())
        .challenge_store(Arc::new(MemoryChallengeStore::new()))
        .default_return_to("/account")
        .with_insecure_http_for_local_demo()
        .passkeys(Passkeys::new(&rp()).unwrap(), MemoryPasskeyStore::new());
        let two_factor = configure(builder).build().unwrap();
        let server = Server::bind().await;
        server.serve(app_router(&two_factor, self.sessions.clone()))
    }

    /// A user with an authenticator app, logged in with both factors.
    async fn verified(&self, email: &str) -> Browser {
        use tower_authy::SecondFactorProvider;
        let subject = self.totp.register(email, "", "").await.unwrap();
        self.users.insert(
            email,
            PASSWORD,
            [tower_authy::factors::Factor::of(&self.totp, subject, 0)],
        );
        let mut b = Browser::new(&self.base);
        assert_eq!(b.login(email, PASSWORD).await.status, 303);
        let code = self.totp.code_at(subject, now(&self.clock)).await.unwrap();
        let page = b.post("/authy/token", &[("token", &code)]).await;
        assert_eq!(page.status, 303, "{}", page.body);
        b
    }

    /// Registers `authenticator` for the verified user in `b`: the registration options (as
    /// JSON) and the new credential's id.
    async fn add_passkey(
        &self,
        b: &mut Browser,
        authenticator: &mut SoftPasskey,
    ) -> (Value, String) {
        assert_eq!(b.post("/authy/factors/add", &[]).await.status, 303);
        let options = b.post("/authy/passkey/register/options", &[]).await;
        assert_eq!(options.status, 200, "{}", options.body);
        let json = options.json();
        let parsed: CreationChallengeResponse = serde_json::from_value(json.clone()).unwrap();
        let answer = authenticator.do_registration(origin(), parsed).unwrap();
        let id = answer.id.clone();
        let answer = serde_json::to_string(&answer).unwrap();
        let page = b
            .post(
                "/authy/passkey/register",
                &[("credential", &answer), ("label", "Laptop")],
            )
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        (json, id)
    }

    /// A fresh login with the password, up to the passkey's options.
    async fn passkey_login(&self, email: &str) -> (Browser, RequestChallengeResponse) {
        let mut b = Browser::new(&self.base);
        assert_eq!(b.login(email, PASSWORD).await.status, 303);
        let page = b.get("/authy/verify").await;
        assert!(
            page.body.contains("data-passkey=\"login\""),
            "{}",
            page.body
        );
        let options = b.post("/authy/passkey/options", &[]).await;
        assert_eq!(options.status, 200, "{}", options.body);
        (b, serde_json::from_str(&options.body).unwrap())
    }
}

fn now(clock: &ManualClock) -> i64 {
    use tower_authy::store::Clock;
    clock.now()
}

fn as_form(answer: &PublicKeyCredential) -> String {
    serde_json::to_string(answer).unwrap()
}

#[tokio::test]
async fn a_passkey_added_from_the_factors_page_logs_in_first_and_once() {
    let site = Site::new(|b| b).await;
    let mut ada = site.verified("ada@example.com").await;
    let mut key = SoftPasskey::new(true);
    // The enrolment page of a user who has a factor adds another; it offers the passkey.
    assert_eq!(ada.post("/authy/factors/add", &[]).await.status, 303);
    let page = ada.get("/authy/enrol").await;
    assert!(
        page.body.contains("Add another way to sign in"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("no second step yet"), "{}", page.body);
    assert!(
        page.body.contains("data-passkey=\"register\""),
        "{}",
        page.body
    );
    site.add_passkey(&mut ada, &mut key).await;
    let factors = ada.get_json("/authy/factors").await.json();
    let kinds: Vec<&str> = factors["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["app", "passkey"], "{factors}");
    assert_eq!(factors["factors"][1]["label"], "Laptop");

    // The next login offers the passkey first; its assertion logs in.
    let (mut b, options) = site.passkey_login("ada@example.com").await;
    let answer = key.do_authentication(origin(), options).unwrap();
    let page = b
        .post("/authy/passkey", &[("credential", &as_form(&answer))])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(b.get("/account").await.status, 200);

    // The same assertion again, in another login: its ceremony is gone, and the new one's
    // challenge is another.
    let (mut again, _) = site.passkey_login("ada@example.com").await;
    let page = again
        .post("/authy/passkey", &[("credential", &as_form(&answer))])
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert_eq!(again.get("/account").await.status, 303, "not logged in");
    // Without options first, there is no ceremony at all.
    let (mut third, _) = site.passkey_login("ada@example.com").await;
    let page = third
        .post("/authy/passkey", &[("credential", &as_form(&answer))])
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    let page = third
        .post("/authy/passkey", &[("credential", &as_form(&answer))])
        .await;
    assert_eq!(page.status, 409, "the ceremony was taken: {}", page.body);
    // Codes are not what this login waits for.
    let page = third.post("/authy/token", &[("token", "123456")]).await;
    assert_eq!(page.status, 409, "{}", page.body);
    let page = third
        .post("/authy/passkey", &[("credential", "{nope")])
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
}

#[tokio::test]
async fn another_origin_another_rp_id_and_another_accounts_passkey_are_refused() {
    let site = Site::new(|b| b).await;
    let mut ada = site.verified("ada@example.com").await;
    let mut ada_key = SoftPasskey::new(true);
    site.add_passkey(&mut ada, &mut ada_key).await;
    let mut bob = site.verified("bob@example.com").await;
    let mut bob_key = SoftPasskey::new(true);
    let (registration, _) = site.add_passkey(&mut bob, &mut bob_key).await;
    assert_eq!(
        registration["publicKey"]["excludeCredentials"],
        Value::Null,
        "bob had no passkey yet: nothing to exclude"
    );

    // A phishing page relays ada's options; her authenticator signs for its origin.
    let (mut b, options) = site.passkey_login("ada@example.com").await;
    let phished = Url::parse("http://localhost:4000").unwrap();
    let answer = ada_key.do_authentication(phished, options).unwrap();
    let page = b
        .post("/authy/passkey", &[("credential", &as_form(&answer))])
        .await;
    assert_eq!(page.status, 401, "{}", page.body);

    // ... or for its own relying party id.
    let (mut b, mut options) = site.passkey_login("ada@example.com").await;
    options.public_key.rp_id = "evil.example".into();
    let answer = ada_key
        .do_authentication(Url::parse("https://evil.example").unwrap(), options)
        .unwrap();
    let page = b
        .post("/authy/passkey", &[("credential", &as_form(&answer))])
        .await;
    assert_eq!(page.status, 401, "{}", page.body);

    // Bob's passkey answering ada's login (her options, his credential).
    let (mut b, ada_options) = site.passkey_login("ada@example.com").await;
    let (_, bob_options) = site.passkey_login("bob@example.com").await;
    let mut mixed = ada_options.clone();
    mixed.public_key.allow_credentials = bob_options.public_key.allow_credentials;
    let answer = bob_key.do_authentication(origin(), mixed).unwrap();
    let page = b
        .post("/authy/passkey", &[("credential", &as_form(&answer))])
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert_eq!(b.get("/account").await.status, 303);

    // Registering again excludes the authenticator ada holds.
    assert_eq!(ada.post("/authy/factors/add", &[]).await.status, 303);
    let options = ada
        .post("/authy/passkey/register/options", &[])
        .await
        .json();
    let excluded = options["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(excluded.len(), 1, "{options}");
}

#[tokio::test]
async fn a_cloned_passkey_is_caught_by_its_counter() {
    let site = Site::new(|b| b).await;
    let mut ada = site.verified("ada@example.com").await;
    let mut key = SoftPasskey::new(true);
    site.add_passkey(&mut ada, &mut key).await;
    // Two logins at once (two instances, or the owner and a copy of the key): the one signed
    // first is accepted after the one signed later.
    let (mut first, first_options) = site.passkey_login("ada@example.com").await;
    let (mut second, second_options) = site.passkey_login("ada@example.com").await;
    let earlier = key.do_authentication(origin(), first_options).unwrap();
    let later = key.do_authentication(origin(), second_options).unwrap();
    let page = second
        .post("/authy/passkey", &[("credential", &as_form(&later))])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = first
        .post("/authy/passkey", &[("credential", &as_form(&earlier))])
        .await;
    assert_eq!(
        page.status, 401,
        "a counter that went backwards: {}",
        page.body
    );
    assert!(page.body.contains("copied"), "{}", page.body);
    assert_eq!(first.get("/account").await.status, 303);
}

/// A sign-in assertion from the software authenticator, which makes no discoverable
/// credentials: it is pointed at `credential_id`, and the user handle (which the signature
/// does not cover) is set to `handle`.
fn sign_in_answer(
    key: &mut SoftPasskey,
    mut options: RequestChallengeResponse,
    credential_id: &Value,
    handle: &Value,
) -> String {
    options.public_key.allow_credentials =
        serde_json::from_value(serde_json::json!([{"type": "public-key", "id": credential_id}]))
            .unwrap();
    let answer = key.do_authentication(origin(), options).unwrap();
    let mut json = serde_json::to_value(&answer).unwrap();
    json["response"]["userHandle"] = handle.clone();
    json.to_string()
}

#[tokio::test]
async fn a_passkey_alone_signs_in_when_turned_on_and_only_as_its_owner() {
    let site = Site::new(|b| b.passkey_sign_in()).await;
    let mut ada = site.verified("ada@example.com").await;
    let mut key = SoftPasskey::new(true);
    let (registration, held) = site.add_passkey(&mut ada, &mut key).await;
    assert_eq!(
        registration["publicKey"]["authenticatorSelection"]["residentKey"], "preferred",
        "sign-in asks for a discoverable credential"
    );
    let ada_handle = registration["publicKey"]["user"]["id"].clone();
    let credential_id = Value::String(held);

    let mut bob = site.verified("bob@example.com").await;
    let (bob_registration, _) = site
        .add_passkey(&mut bob, &mut SoftPasskey::new(true))
        .await;
    let bob_handle = bob_registration["publicKey"]["user"]["id"].clone();
    assert_ne!(ada_handle, bob_handle);

    let mut b = Browser::new(&site.base);
    let login = b.get("/authy/login").await;
    assert!(
        login.body.contains("data-passkey=\"sign-in\""),
        "{}",
        login.body
    );
    // Ada's credential, claiming to be bob's: refused.
    let options = b.post("/authy/passkey/sign-in/options", &[]).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let options: RequestChallengeResponse = serde_json::from_str(&options.body).unwrap();
    let answer = sign_in_answer(&mut key, options, &credential_id, &bob_handle);
    let page = b
        .post("/authy/passkey/sign-in", &[("credential", &answer)])
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert_eq!(b.get("/account").await.status, 303);
    // As herself: logged in with both factors, no password.
    let options = b.post("/authy/passkey/sign-in/options", &[]).await;
    let options: RequestChallengeResponse = serde_json::from_str(&options.body).unwrap();
    let answer = sign_in_answer(&mut key, options, &credential_id, &ada_handle);
    let page = b
        .post(
            "/authy/passkey/sign-in",
            &[("credential", &answer), ("return_to", "/account")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/account"));
    assert_eq!(b.get("/account").await.status, 200);
    // Its ceremony is gone: the same answer does not sign in again.
    let mut c = Browser::new(&site.base);
    let _ = c.get("/authy/login").await;
    let page = c
        .post("/authy/passkey/sign-in", &[("credential", &answer)])
        .await;
    assert_eq!(page.status, 409, "{}", page.body);
}

#[tokio::test]
async fn sign_in_is_off_by_default_and_refused_in_step_up_mode_or_without_passkeys() {
    let site = Site::new(|b| b).await;
    let mut b = Browser::new(&site.base);
    let login = b.get("/authy/login").await;
    assert!(!login.body.contains("data-passkey"), "{}", login.body);
    assert_eq!(
        b.post("/authy/passkey/sign-in/options", &[]).await.status,
        404
    );
    let users = MemoryUserStore::new();
    let totp = TotpProvider::builder(TotpKey::from_bytes([5; 32]), MemoryTotpSecretStore::new())
        .build()
        .unwrap();
    let without = TwoFactor::builder(totp, users.clone(), users)
        .with_insecure_http_for_local_demo()
        .passkey_sign_in()
        .build();
    assert!(matches!(
        without.err(),
        Some(tower_authy::ConfigError::PasskeySignIn)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_redis_a_ceremony_finishes_once_across_two_instances() {
    use tower_authy::provider::webauthn::RedisPasskeyStore;
    use tower_authy::store::RedisChallengeStore;
    let Some(redis) = test_support::RedisServer::start().await else {
        return;
    };
    let challenges = RedisChallengeStore::connect(&redis.url, 2).await.unwrap();
    let credentials = RedisPasskeyStore::new(challenges.pool().clone());
    let shared = move |b: TwoFactorBuilder| {
        b.challenge_store(challenges.clone())
            .passkeys(Passkeys::new(&rp()).unwrap(), credentials.clone())
    };
    let site = Site::new(&shared).await;
    let two = site.instance(&shared).await;
    let mut ada = site.verified("ada@example.com").await;
    let mut key = SoftPasskey::new(true);
    site.add_passkey(&mut ada, &mut key).await;

    // Options from instance one, the assertion to instance two: accepted there.
    let (mut on_one, options) = site.passkey_login("ada@example.com").await;
    let answer = as_form(&key.do_authentication(origin(), options).unwrap());
    let mut on_two = Browser::new(&two);
    on_two.set_cookie(&on_one.cookie().unwrap());
    let page = on_two
        .post("/authy/passkey", &[("credential", &answer)])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    // The same assertion, at the same moment, to instance one: its ceremony is gone.
    let page = on_one
        .post("/authy/passkey", &[("credential", &answer)])
        .await;
    assert!(
        matches!(page.status, 403 | 409),
        "{}: {}",
        page.status,
        page.body
    );

    // Two posts racing on the two instances for one fresh login: one wins.
    let (mut first, options) = site.passkey_login("ada@example.com").await;
    let answer = as_form(&key.do_authentication(origin(), options).unwrap());
    let mut second = Browser::new(&two);
    second.set_cookie(&first.cookie().unwrap());
    let fields = [("credential", answer.as_str())];
    let (a, b) = tokio::join!(
        first.post("/authy/passkey", &fields),
        second.post("/authy/passkey", &fields),
    );
    let won = [a.status, b.status].iter().filter(|s| **s == 303).count();
    assert_eq!(won, 1, "{} {} / {} {}", a.status, a.body, b.status, b.body);
}

#[tokio::test]
async fn a_passkey_without_user_verification_is_not_registered() {
    let site = Site::new(|b| b).await;
    let mut ada = site.verified("ada@example.com").await;
    assert_eq!(ada.post("/authy/factors/add", &[]).await.status, 303);
    let mut options = ada
        .post("/authy/passkey/register/options", &[])
        .await
        .json();
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    // The page (or whoever runs it) asks for less; an authenticator that does not verify the
    // person answers.
    options["publicKey"]["authenticatorSelection"]["userVerification"] = "discouraged".into();
    let options: CreationChallengeResponse = serde_json::from_value(options).unwrap();
    let answer = SoftPasskey::new(false)
        .do_registration(origin(), options)
        .unwrap();
    let page = ada
        .post(
            "/authy/passkey/register",
            &[("credential", &serde_json::to_string(&answer).unwrap())],
        )
        .await;
    assert_eq!(page.status, 401, "{}", page.body);
    let factors = ada.get_json("/authy/factors").await.json();
    assert_eq!(factors["factors"].as_array().unwrap().len(), 1, "{factors}");
}

#[tokio::test]
async fn an_api_client_gets_the_options_and_posts_the_credential_as_json() {
    let site = Site::new(|b| b).await;
    let mut ada = site.verified("ada@example.com").await;
    let mut key = SoftPasskey::new(true);
    site.add_passkey(&mut ada, &mut key).await;
    // An API client: JSON in, JSON out, its cookie and the CSRF token it was given.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let json = |r: reqwest::RequestBuilder| r.header("accept", "application/json");
    let start: Value = json(http.get(format!("{}/authy/login", site.base)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = start["csrf_token"].as_str().unwrap().to_owned();
    let body = serde_json::json!({"login": "ada@example.com", "password": PASSWORD});
    let logged: Value = json(http.post(format!("{}/authy/login", site.base)))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(logged["redirect"], "/authy/verify", "{logged}");
    let csrf = logged["csrf_token"].as_str().unwrap().to_owned();
    let options = json(http.post(format!("{}/authy/passkey/options", site.base)))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 200);
    let options: RequestChallengeResponse = options.json().await.unwrap();
    let answer = key.do_authentication(origin(), options).unwrap();
    let done = json(http.post(format!("{}/authy/passkey", site.base)))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "credential": answer }))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["redirect"], "/account", "{done}");
    let account = http
        .get(format!("{}/account", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200);
}

#[tokio::test]
async fn sign_in_options_are_bounded_per_address() {
    let throttle = tower_authy::limits::LoginThrottle {
        per_address: 1,
        ..tower_authy::limits::LoginThrottle::default()
    };
    let site = Site::new(move |b| b.passkey_sign_in().login_throttle(throttle)).await;
    // Ten a minute from one address (ten times its password allowance), then 429.
    for n in 0..10 {
        let mut b = Browser::new(&site.base);
        let page = b.post("/authy/passkey/sign-in/options", &[]).await;
        assert_eq!(page.status, 200, "request {n}: {}", page.body);
    }
    let mut b = Browser::new(&site.base);
    let page = b.post("/authy/passkey/sign-in/options", &[]).await;
    assert_eq!(page.status, 429, "{}", page.body);
    // A minute later, again.
    site.clock.advance(61);
    assert_eq!(
        b.post("/authy/passkey/sign-in/options", &[]).await.status,
        200
    );
}

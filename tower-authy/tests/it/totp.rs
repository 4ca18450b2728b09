//! The self-hosted TOTP provider end to end: codes from an authenticator app log in, each time
//! step counts once (also across two instances sharing the store), skew is bounded, the pages
//! offer no SMS, call or push, and enrolment shows a QR code whose secret works.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use test_support::{Browser, PASSWORD, Server, T0, app_router};
use tower_authy::{
    TwoFactor, TwoFactorBuilder, provider::totp::MemoryTotpSecretStore, provider::totp::TotpKey,
    provider::totp::TotpProvider, store::ManualClock, store::MemoryChallengeStore,
    store::MemoryUserStore,
};

struct Totp {
    provider: TotpProvider,
    store: Arc<MemoryTotpSecretStore>,
    clock: ManualClock,
    users: MemoryUserStore,
    challenges: Arc<MemoryChallengeStore>,
}

impl Totp {
    fn new() -> Totp {
        let store = Arc::new(MemoryTotpSecretStore::new());
        let clock = ManualClock::new(T0);
        Totp {
            provider: provider(&store, &clock),
            store,
            clock,
            users: MemoryUserStore::new(),
            challenges: Arc::new(MemoryChallengeStore::new()),
        }
    }

    /// An instance of the app: its own provider value, the shared stores.
    async fn instance(
        &self,
        configure: impl FnOnce(TwoFactorBuilder) -> TwoFactorBuilder,
    ) -> String {
        let builder = TwoFactor::builder(
            provider(&self.store, &self.clock),
            self.users.clone(),
            self.users.clone(),
        )
        .clock(self.clock.clone())
        .challenge_store(self.challenges.clone())
        .default_return_to("/account")
        .with_insecure_http_for_local_demo();
        let two_factor = configure(builder).build().unwrap();
        let server = Server::bind().await;
        server.serve(app_router(
            &two_factor,
            tower_sessions::MemoryStore::default(),
        ))
    }

    async fn user(&self, email: &str) -> u64 {
        use tower_authy::SecondFactorProvider;
        let subject = self.provider.register(email, "", "").await.unwrap();
        self.users.insert(
            email,
            PASSWORD,
            [tower_authy::factors::Factor::of(&self.provider, subject, 0)],
        );
        subject
    }

    async fn code(&self, subject: u64, offset_steps: i64) -> String {
        let at = self.clock_now() + offset_steps * 30;
        self.provider.code_at(subject, at).await.unwrap()
    }

    fn clock_now(&self) -> i64 {
        use tower_authy::store::Clock;
        self.clock.now()
    }
}

fn provider(store: &Arc<MemoryTotpSecretStore>, clock: &ManualClock) -> TotpProvider {
    TotpProvider::builder(TotpKey::from_bytes([3; 32]), store.clone())
        .issuer("Totp Test")
        .clock(clock.clone())
        .build()
        .unwrap()
}

async fn logged_in(base: &str, email: &str) -> Browser {
    let mut b = Browser::new(base);
    let page = b.login(email, PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    b
}

#[tokio::test]
async fn an_app_code_logs_in_and_the_page_offers_no_sms_call_or_push() {
    let t = Totp::new();
    let base = t.instance(|b| b).await;
    let subject = t.user("ada@example.com").await;
    let mut b = logged_in(&base, "ada@example.com").await;
    let page = b.get("/authy/verify").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("your authenticator app"),
        "{}",
        page.body
    );
    for absent in ["Send me an SMS", "Call me", "onetouch-status", "Authy"] {
        assert!(
            !page.body.contains(absent),
            "{absent} offered: {}",
            page.body
        );
    }
    assert_eq!(b.post("/authy/sms", &[]).await.status, 404);
    assert_eq!(b.post("/authy/call", &[]).await.status, 404);
    let code = t.code(subject, 0).await;
    let page = b.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(b.get("/account").await.status, 200);
}

#[tokio::test]
async fn a_code_counts_once_even_on_another_instance_sharing_the_store() {
    let t = Totp::new();
    let (one, two) = (t.instance(|b| b).await, t.instance(|b| b).await);
    let subject = t.user("ada@example.com").await;
    let code = t.code(subject, 0).await;
    let mut first = logged_in(&one, "ada@example.com").await;
    assert_eq!(
        first.post("/authy/token", &[("token", &code)]).await.status,
        303
    );

    let mut second = logged_in(&two, "ada@example.com").await;
    let page = second.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(
        page.status, 401,
        "a used code is refused on the other instance"
    );
    assert!(
        page.body.contains("That code is not valid"),
        "{}",
        page.body
    );
    // The previous step's code is refused too once a later one was used.
    let earlier = t.code(subject, -1).await;
    assert_eq!(
        second
            .post("/authy/token", &[("token", &earlier)])
            .await
            .status,
        401
    );
    assert_eq!(second.get("/account").await.status, 303, "not logged in");

    t.clock.advance(30);
    let next = t.code(subject, 0).await;
    assert_eq!(
        second
            .post("/authy/token", &[("token", &next)])
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn one_step_of_skew_is_accepted_two_are_not() {
    let t = Totp::new();
    let base = t.instance(|b| b).await;
    let subject = t.user("ada@example.com").await;
    let mut b = logged_in(&base, "ada@example.com").await;
    for off in [-2, 2] {
        let code = t.code(subject, off).await;
        assert_eq!(
            b.post("/authy/token", &[("token", &code)]).await.status,
            401,
            "offset {off}"
        );
    }
    let code = t.code(subject, 1).await;
    assert_eq!(
        b.post("/authy/token", &[("token", &code)]).await.status,
        303
    );
}

#[tokio::test]
async fn secrets_are_sealed_at_rest_and_a_wrong_key_fails_closed() {
    use tower_authy::{SecondFactorProvider, provider::totp::TotpSecretStore};
    let t = Totp::new();
    let subject = t.user("ada@example.com").await;
    let uri = t.provider.authenticator_uri(subject, "").await.unwrap();
    let secret = url::Url::parse(&uri)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "secret")
        .unwrap()
        .1
        .into_owned();
    let raw = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let sealed = t.store.sealed(subject).await.unwrap().unwrap();
    assert!(
        !sealed.windows(raw.len()).any(|w| w == raw.as_slice()),
        "secret stored in the clear"
    );
    assert!(format!("{:?}", t.provider).contains("redacted"));

    let wrong = TotpProvider::builder(TotpKey::from_bytes([4; 32]), t.store.clone())
        .clock(t.clock.clone())
        .build()
        .unwrap();
    let code = tower_authy::secret::Token::parse(&t.code(subject, 0).await).unwrap();
    let err = wrong.verify_code(subject, &code).await.unwrap_err();
    assert!(err.is_unavailable() && !err.is_token_rejection(), "{err}");
}

#[tokio::test]
async fn enrolment_shows_a_qr_code_and_key_that_turn_the_factor_on() {
    use tower_authy::FactorStore;
    let t = Totp::new();
    let base = t.instance(|b| b).await;
    let id = t.users.insert("bob@example.com", PASSWORD, []);
    let mut b = Browser::new(&base);
    let login = b.login("bob@example.com", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/authy/enrol"));
    let page = b.get("/authy/enrol").await;
    assert!(
        !page.body.contains("Phone number"),
        "asks for a phone: {}",
        page.body
    );
    let page = b
        .post("/authy/enrol", &[("email", "bob@example.com")])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("data-testid=\"qr-code\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Send me an SMS"));
    let key = page
        .body
        .split("data-testid=\"manual-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the key is shown for typing in")
        .to_owned();
    assert!(
        t.users.factors(&id).await.unwrap().is_empty(),
        "not on before a code"
    );
    let code = t.provider.authenticator_code(&key, t.clock_now()).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        b.post("/authy/enrol/confirm", &[("token", wrong)])
            .await
            .status,
        401
    );
    let page = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert!(
        page.status == 200 || page.status == 303,
        "{}: {}",
        page.status,
        page.body
    );
    let subject = t.users.factors(&id).await.unwrap()[0].subject;

    // From now on the app's codes log Bob in.
    t.clock.advance(30);
    let mut again = logged_in(&base, "bob@example.com").await;
    let code = t.code(subject, 0).await;
    assert_eq!(
        again.post("/authy/token", &[("token", &code)]).await.status,
        303
    );
}

/// A store that can be switched off, as a database outage.
#[derive(Debug, Default)]
struct Flaky {
    inner: MemoryTotpSecretStore,
    down: std::sync::atomic::AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<(), tower_authy::store::StoreError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            Err(tower_authy::store::StoreError::unavailable(
                "the TOTP store is down",
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl tower_authy::provider::totp::TotpSecretStore for Flaky {
    async fn insert(
        &self,
        s: u64,
        sealed: Vec<u8>,
    ) -> Result<bool, tower_authy::store::StoreError> {
        self.check()?;
        self.inner.insert(s, sealed).await
    }
    async fn sealed(&self, s: u64) -> Result<Option<Vec<u8>>, tower_authy::store::StoreError> {
        self.check()?;
        self.inner.sealed(s).await
    }
    async fn advance(&self, s: u64, step: u64) -> Result<bool, tower_authy::store::StoreError> {
        self.check()?;
        self.inner.advance(s, step).await
    }
    async fn remove(&self, s: u64) -> Result<(), tower_authy::store::StoreError> {
        self.check()?;
        self.inner.remove(s).await
    }
    async fn reseal(
        &self,
        s: u64,
        expected: &[u8],
        sealed: Vec<u8>,
    ) -> Result<bool, tower_authy::store::StoreError> {
        self.check()?;
        self.inner.reseal(s, expected, sealed).await
    }
}

#[tokio::test]
async fn a_store_outage_fails_closed_with_a_clear_page() {
    use tower_authy::SecondFactorProvider;
    let store = Arc::new(Flaky::default());
    let clock = ManualClock::new(T0);
    let provider = TotpProvider::builder(TotpKey::from_bytes([5; 32]), store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    let users = MemoryUserStore::new();
    let subject = provider.register("ada@example.com", "", "").await.unwrap();
    users.insert(
        "ada@example.com",
        PASSWORD,
        [tower_authy::factors::Factor::of(&provider, subject, 0)],
    );
    let two_factor = TwoFactor::builder(provider.clone(), users.clone(), users)
        .clock(clock.clone())
        .default_return_to("/account")
        .with_insecure_http_for_local_demo()
        .build()
        .unwrap();
    let base = Server::bind().await.serve(app_router(
        &two_factor,
        tower_sessions::MemoryStore::default(),
    ));
    let mut b = logged_in(&base, "ada@example.com").await;
    let code = provider.code_at(subject, T0).await.unwrap();
    store.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let page = b.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert_eq!(page.retry_after.as_deref(), Some("30"));
    assert_eq!(b.get("/account").await.status, 303, "nobody gets in");
    store.down.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        b.post("/authy/token", &[("token", &code)]).await.status,
        303,
        "the code was not spent"
    );
}

/// The key rotates without locking anyone out: an app whose provider has a new key and the old
/// one among its previous keys still accepts codes for secrets sealed under the old key, and
/// seals each again under the new key on use (or all at once with `reseal`), after which the
/// old key can go. Without the old key such a secret fails closed (503), as before.
#[tokio::test]
async fn a_new_key_opens_secrets_sealed_under_the_previous_one_and_reseals_them() {
    use tower_authy::provider::totp::TotpSecretStore;
    let t = Totp::new();
    let ada = t.user("ada@example.com").await;
    let bob = t.user("bob@example.com").await;
    let ada_app = t.provider.code_at(ada, 1_000_000).await.unwrap();
    let (old_key, new_key) = (TotpKey::from_bytes([3; 32]), TotpKey::from_bytes([4; 32]));
    let rotated = |previous: Vec<TotpKey>| {
        TotpProvider::builder(new_key.clone(), t.store.clone())
            .issuer("Totp Test")
            .clock(t.clock.clone())
            .previous_keys(previous)
            .build()
            .unwrap()
    };
    let serve = |provider: TotpProvider| {
        let two_factor = TwoFactor::builder(provider, t.users.clone(), t.users.clone())
            .clock(t.clock.clone())
            .challenge_store(t.challenges.clone())
            .default_return_to("/account")
            .with_insecure_http_for_local_demo()
            .build()
            .unwrap();
        async move {
            Server::bind().await.serve(app_router(
                &two_factor,
                tower_sessions::MemoryStore::default(),
            ))
        }
    };

    // Without the old key, the sealed secrets do not open: the login fails closed.
    let base = serve(rotated(Vec::new())).await;
    let mut b = logged_in(&base, "ada@example.com").await;
    let code = t.code(ada, 0).await;
    assert_eq!(
        b.post("/authy/token", &[("token", &code)]).await.status,
        503
    );

    // With it, Ada's code logs in and her secret is sealed under the new key.
    let sealed_before = t.store.sealed(ada).await.unwrap().unwrap();
    let base = serve(rotated(vec![old_key.clone()])).await;
    let mut b = logged_in(&base, "ada@example.com").await;
    t.clock.advance(30);
    let code = t.code(ada, 0).await;
    let done = b.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_ne!(t.store.sealed(ada).await.unwrap().unwrap(), sealed_before);

    // Bob's, untouched so far, is sealed again by reseal; a second reseal has nothing to do.
    let provider = rotated(vec![old_key]);
    assert!(provider.reseal(bob).await.unwrap());
    assert!(!provider.reseal(bob).await.unwrap());
    assert!(!provider.reseal(ada).await.unwrap());

    // The old key can go now: both log in on the new key alone.
    let only_new = rotated(Vec::new());
    let base = serve(only_new.clone()).await;
    t.clock.advance(30);
    for (email, subject) in [("ada@example.com", ada), ("bob@example.com", bob)] {
        let mut b = logged_in(&base, email).await;
        let code = only_new
            .code_at(subject, tower_authy::store::Clock::now(&t.clock))
            .await
            .unwrap();
        let done = b.post("/authy/token", &[("token", &code)]).await;
        assert_eq!(
            done.location.as_deref(),
            Some("/account"),
            "{email}: {}",
            done.body
        );
    }
    // What Ada's app shows is unchanged by the rotation: the same secret, sealed anew.
    assert_eq!(only_new.code_at(ada, 1_000_000).await.unwrap(), ada_app);
}

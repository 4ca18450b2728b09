//! The demo in headless Chromium, as a person uses it: sign up, log in, approve on the virtual
//! phone, account page; deny and the way back; SMS for a user without the app; wrong codes
//! until the account locks; a remembered device, recovery codes and a recovery-code login;
//! enrolment at the first login, QR code included; the push and code flows again on Twilio
//! Verify (the embedded mock's) and on self-hosted TOTP, chosen by configuration alone; and a
//! passkey on chromedriver's virtual authenticator (enrolled, signing in alone, second step).
//! Screenshots go to `target/screenshots/`.

#![allow(clippy::unwrap_used)]

use demo::{AuthyMode, Config, Provider};
use mock_authy::OneTouchBehaviour;
use std::path::PathBuf;
use test_support::Chromium;

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
}

async fn sign_up(d: &Chromium, base: &str, name: &str, email: &str, phone: &str) {
    d.goto(&format!("{base}/signup")).await.unwrap();
    d.type_into("#name", name).await;
    d.type_into("#email", email).await;
    d.type_into("#password", "a long enough password").await;
    d.type_into("#country_code", "1").await;
    d.type_into("#phone", phone).await;
    d.click("form button[type=submit]").await;
    d.wait_path("/authy/login").await;
}

async fn log_in(d: &Chromium, email: &str, password: &str) {
    d.type_into("#login", email).await;
    d.type_into("#password", password).await;
    d.click("form button[type=submit]").await;
}

/// Opens the virtual phone in a second tab, presses a button on the newest request, comes back.
async fn answer_on_phone(d: &Chromium, phone_url: &str, button: &str) {
    let app_tab = d.window().await.unwrap();
    let phone_tab = d.new_window(true).await.unwrap().handle;
    d.switch_to_window(phone_tab).await.unwrap();
    d.goto(phone_url).await.unwrap();
    d.click(&format!(".request button.{button}")).await;
    d.wait_text("Nothing waiting.").await;
    d.switch_to_window(app_tab).await.unwrap();
}

/// The demo on its embedded mock, with a throwaway database.
async fn start_demo() -> demo::Demo {
    start_demo_on(Provider::Authy).await
}

/// The demo on `provider` (embedded where there is a service), with a throwaway database.
async fn start_demo_on(provider: Provider) -> demo::Demo {
    demo::start(Config {
        provider,
        verify: None,
        totp_key: Some("0f".repeat(32)),
        listen: "127.0.0.1:0".parse().unwrap(),
        database: ":memory:".into(),
        authy: AuthyMode::Embedded,
        cheap_hashing: true,
        request_timeout: std::time::Duration::from_secs(10),
        redis: None,
        insecure_http_callback_on_loopback: false,
        passkey_origin: None,
    })
    .await
    .unwrap()
}

fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    i64::try_from(since.unwrap().as_secs()).unwrap()
}

#[tokio::test]
async fn on_verify_a_push_an_app_code_and_an_sms_log_in() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    let demo = start_demo_on(Provider::Verify).await;
    let (base, phone) = (demo.url.clone(), demo.phone_url().unwrap());
    let mock = demo.mock.as_ref().unwrap();

    sign_up(&d, &base, "Ada Lovelace", "ada@example.com", "555-123-4567").await;
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    let code = d.text("[data-testid=match-code]").await;
    let push = mock.verify_challenges().pop().unwrap();
    assert!(
        push.fields
            .iter()
            .any(|f| f["label"] == "Code" && f["value"] == code.as_str())
    );
    answer_on_phone(&d, &phone, "approve").await;
    d.wait_path("/account").await;
    d.wait_text("Welcome, Ada Lovelace").await;
    d.save_screenshot(&screenshots().join("verify-account.png"))
        .await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // A code by SMS, sent through Verify to the number Ada signed up with: proving it makes it
    // her channel for good, even once her app is set up.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    d.click("form[action='/authy/sms'] button").await;
    d.wait_text("We sent a code by SMS.").await;
    let sms = mock.verify_codes().pop().unwrap();
    assert_eq!(
        (sms.to.as_str(), sms.channel.as_str()),
        ("+15551234567", "sms")
    );
    d.type_into("#token", &sms.code).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Welcome, Ada Lovelace").await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // The code from the app (Verify's TOTP factor), as the virtual phone shows it, once Ada
    // has set the app up (counted only then).
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    let entity = &mock.verify_challenges().pop().unwrap().identity;
    let early = mock.verify_entity_totp_code(entity).unwrap();
    d.type_into("#token", &early).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("That code is not valid").await;
    assert_eq!(mock.verify_totp_factors(entity), 1);
    let app_code = mock.verify_entity_totp_code(entity).unwrap();
    d.type_into("#token", &app_code).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Welcome, Ada Lovelace").await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // The proved number still takes codes once the app is set up.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    d.click("form[action='/authy/sms'] button").await;
    d.wait_text("We sent a code by SMS.").await;
    assert_eq!(mock.verify_codes().len(), 2);

    d.quit().await;
    demo.stop();
}

#[tokio::test]
async fn on_self_hosted_totp_an_authenticator_app_is_enrolled_and_logs_in() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    let demo = start_demo_on(Provider::Totp).await;
    assert!(demo.mock.is_none(), "no vendor, no mock");
    let base = demo.url.clone();
    // Plays the authenticator app: the same code settings as the demo's provider.
    let app = tower_authy::provider::totp::TotpProvider::builder(
        tower_authy::provider::totp::TotpKey::from_bytes([0; 32]),
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    )
    .build()
    .unwrap();

    sign_up(
        &d,
        &base,
        "Grace Hopper",
        "grace@example.com",
        "555-246-8100",
    )
    .await;
    log_in(&d, "grace@example.com", "a long enough password").await;
    d.wait_text("Add an authenticator app").await;
    // The address just logged in with is not asked for again.
    d.wait_text("For grace@example.com").await;
    d.click("form[action='/authy/enrol'] button").await;
    d.wait_text("Scan this with an authenticator app").await;
    assert!(!d.text("body").await.contains("Send me an SMS"));
    d.save_screenshot(&screenshots().join("totp-enrol.png"))
        .await;
    let key = d.text("[data-testid=manual-key]").await;
    let code = app.authenticator_code(&key, unix_now()).unwrap();
    d.type_into("#token", &code).await;
    d.click("form[action='/authy/enrol/confirm'] button").await;
    d.wait_text("Your new recovery codes").await;
    d.click("a[href='/account']").await;
    d.wait_text("Welcome, Grace Hopper").await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // The next login: no push, no SMS, no call; the same code is spent, the next one works.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "grace@example.com", "a long enough password").await;
    d.wait_path("/authy/verify").await;
    let page = d.text("body").await;
    for absent in ["Waiting for your approval", "Send me an SMS", "Call me"] {
        assert!(!page.contains(absent), "{absent}: {page}");
    }
    d.type_into("#token", &code).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("That code is not valid").await;
    let next = app.authenticator_code(&key, unix_now() + 30).unwrap();
    d.type_into("#token", &next).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Welcome, Grace Hopper").await;

    d.quit().await;
    demo.stop();
}

#[tokio::test]
async fn a_browser_in_french_gets_the_second_step_in_french() {
    let Some(d) = Chromium::start_in("fr-FR,fr").await else {
        return;
    };
    let demo = start_demo().await;
    let (base, phone) = (demo.url.clone(), demo.phone_url().unwrap());
    sign_up(&d, &base, "Ada Lovelace", "ada@example.com", "555-123-4567").await;
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    d.wait_text("Se souvenir de cet appareil").await;
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_path("/authy/verify").await;
    d.wait_text("En attente de votre approbation").await;
    assert_eq!(d.attr("html", "lang").await.as_deref(), Some("fr"));
    d.save_screenshot(&screenshots().join("waiting-fr.png"))
        .await;
    // What the page's script says comes in French too.
    answer_on_phone(&d, &phone, "deny").await;
    d.wait_text("La demande a été refusée sur votre téléphone")
        .await;
    d.quit().await;
    demo.stop();
}

#[tokio::test]
async fn a_person_signs_up_logs_in_and_approves_on_the_virtual_phone() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    let demo = start_demo().await;
    let (base, phone) = (demo.url.clone(), demo.phone_url().unwrap());
    let mock = demo.mock.as_ref().unwrap();

    // Sign up does not log in: the account page still asks for a login.
    sign_up(&d, &base, "Ada Lovelace", "ada@example.com", "555-123-4567").await;
    d.goto(&format!("{base}/account")).await.unwrap();
    d.wait_path("/authy/login").await;

    // Log in, see the matching code, approve on the phone: the page moves on by itself.
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_path("/authy/verify").await;
    d.wait_text("Waiting for your approval").await;
    let code = d.text("[data-testid=match-code]").await;
    assert_eq!(
        code,
        mock.approval_requests().last().unwrap().details["Code"]
            .as_str()
            .unwrap()
    );
    d.save_screenshot(&screenshots().join("waiting.png")).await;
    answer_on_phone(&d, &phone, "approve").await;
    d.wait_path("/account").await;
    d.wait_text("Welcome, Ada Lovelace").await;
    d.save_screenshot(&screenshots().join("account.png")).await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // Deny: a clear message, and the way back to the login page.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    answer_on_phone(&d, &phone, "deny").await;
    d.wait_text("denied on your phone").await;
    d.click("#restart").await;
    d.wait_path("/authy/login").await;

    // Bob has no Authy app: the SMS fallback.
    sign_up(&d, &base, "Bob", "bob@example.com", "555-987-6543").await;
    let bob = mock
        .users()
        .into_iter()
        .find(|u| u.emails == ["bob@example.com"])
        .unwrap()
        .id;
    mock.set_onetouch(bob, OneTouchBehaviour::NoDevice).unwrap();
    log_in(&d, "bob@example.com", "a long enough password").await;
    d.wait_path("/authy/verify").await;
    assert!(!d.text("body").await.contains("Waiting for your approval"));
    d.click("form[action='/authy/sms'] button").await;
    d.wait_text("We sent a code by SMS.").await;
    let sms = mock.outbox(bob).unwrap().pop().unwrap().token;
    d.type_into("#token", &sms).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Welcome, Bob").await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // Wrong codes: five per login, ten per account, then the account is locked.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "bob@example.com", "a long enough password").await;
    for _ in 0..5 {
        d.type_into("#token", "0000000").await;
        d.click("form[action='/authy/token'] button").await;
        d.wait_text("That code is not valid").await;
    }
    d.type_into("#token", "0000000").await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Too many wrong codes for this login").await;
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "bob@example.com", "a long enough password").await;
    for _ in 0..4 {
        d.type_into("#token", "0000000").await;
        d.click("form[action='/authy/token'] button").await;
        d.wait_text("That code is not valid").await;
    }
    d.type_into("#token", "0000000").await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Account locked").await;
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "bob@example.com", "a long enough password").await;
    d.wait_text("Wrong email or password.").await;

    d.quit().await;
    demo.stop();
}

/// A remembered browser skips the push; recovery codes are made on the account page and one
/// logs in when the phone is "lost".
#[tokio::test]
async fn a_remembered_device_and_a_recovery_code_in_the_browser() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    let demo = start_demo().await;
    let (base, phone) = (demo.url.clone(), demo.phone_url().unwrap());
    let mock = demo.mock.as_ref().unwrap();
    sign_up(&d, &base, "Ada Lovelace", "ada@example.com", "555-123-4567").await;

    // Tick "remember this device", approve on the phone.
    d.type_into("#login", "ada@example.com").await;
    d.type_into("#password", "a long enough password").await;
    d.click("input[name=remember]").await;
    d.click("form button[type=submit]").await;
    d.wait_text("Waiting for your approval").await;
    answer_on_phone(&d, &phone, "approve").await;
    d.wait_text("Welcome, Ada Lovelace").await;

    // Recovery codes, from the account page.
    d.click("a[href='/authy/recovery-codes']").await;
    d.wait_text("You have 0 left").await;
    d.click("form[action='/authy/recovery-codes'] button").await;
    d.wait_text("Your new recovery codes").await;
    let code = d
        .text("[data-testid=recovery-codes] li:first-child code")
        .await;
    assert_eq!(code.len(), 19, "{code}");
    d.save_screenshot(&screenshots().join("recovery-codes.png"))
        .await;

    // Log out and in again: the password is enough on this browser, and no push goes out.
    d.goto(&format!("{base}/account")).await.unwrap();
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;
    let pushes = mock.approval_requests().len();
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Welcome, Ada Lovelace").await;
    assert_eq!(
        mock.approval_requests().len(),
        pushes,
        "no push for a remembered device"
    );

    // Forget the device: the next login needs the second factor, and the phone is "lost".
    d.goto(&format!("{base}/authy/devices")).await.unwrap();
    d.save_screenshot(&screenshots().join("devices.png")).await;
    d.click("form[action='/authy/devices/forget'] button").await;
    d.wait_text("No device skips the second step").await;
    d.goto(&format!("{base}/account")).await.unwrap();
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Lost your phone?").await;
    d.type_into("#token", &code).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Welcome, Ada Lovelace").await;

    d.quit().await;
    demo.stop();
}

/// A person signs up without a phone, and turns the second step on at the first login: the
/// phone, the QR code for an authenticator app, a code by SMS.
#[tokio::test]
async fn a_person_without_a_phone_enrols_at_the_first_login() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    let demo = start_demo().await;
    let base = demo.url.clone();
    let mock = demo.mock.as_ref().unwrap();

    d.goto(&format!("{base}/signup")).await.unwrap();
    d.type_into("#name", "Grace Hopper").await;
    d.type_into("#email", "grace@example.com").await;
    d.type_into("#password", "a long enough password").await;
    d.click("form button[type=submit]").await;
    d.wait_path("/authy/login").await;
    assert!(
        mock.users().is_empty(),
        "no phone, nothing registered with Authy"
    );

    log_in(&d, "grace@example.com", "a long enough password").await;
    d.wait_text("Turn on the second step").await;
    // The address just logged in with is not asked for again.
    d.wait_text("For grace@example.com").await;
    d.type_into("#country_code", "1").await;
    d.type_into("#phone", "555-246-8100").await;
    d.click("form[action='/authy/enrol'] button").await;
    d.wait_text("Prove it is your phone").await;
    assert!(
        d.text("[data-testid=qr-code]").await.is_empty(),
        "the QR code is a picture"
    );
    d.save_screenshot(&screenshots().join("enrol.png")).await;

    d.click("form[action='/authy/enrol/sms'] button").await;
    d.wait_text("We sent a code by SMS.").await;
    let grace = mock.users()[0].id;
    let code = mock.outbox(grace).unwrap().pop().unwrap().token;
    d.type_into("#token", &code).await;
    d.click("form[action='/authy/enrol/confirm'] button").await;
    // The first recovery codes come with the second factor.
    d.wait_text("Your new recovery codes").await;
    d.click("a[href='/account']").await;
    d.wait_text("Welcome, Grace Hopper").await;

    d.quit().await;
    demo.stop();
}

/// Two factors at once in the demo: Ada signs up with her phone (an Authy push), adds an
/// authenticator app on the factors page, logs in with the app and then with the push ("Try
/// another way"), and removes the app.
#[tokio::test]
async fn a_person_holds_a_push_and_an_app_logs_in_with_each_and_removes_one() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    let demo = start_demo().await;
    let (base, phone) = (demo.url.clone(), demo.phone_url().unwrap());
    let app = tower_authy::provider::totp::TotpProvider::builder(
        tower_authy::provider::totp::TotpKey::from_bytes([0; 32]),
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    )
    .build()
    .unwrap();

    sign_up(&d, &base, "Ada Lovelace", "ada@example.com", "555-123-4567").await;
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    answer_on_phone(&d, &phone, "approve").await;
    d.wait_text("Welcome, Ada Lovelace").await;

    // A second way in: an authenticator app.
    d.click("a[href='/authy/factors']").await;
    d.wait_text("Ways to sign in").await;
    d.click("form[action='/authy/factors/add'] button").await;
    d.wait_path("/authy/enrol").await;
    d.click("input[name=provider][value=totp]").await;
    // The address just logged in with is not asked for again.
    d.wait_text("For ada@example.com").await;
    d.click("form[action='/authy/enrol'] button").await;
    d.wait_text("Scan this with an authenticator app").await;
    let key = d.text("[data-testid=manual-key]").await;
    d.type_into("#token", &app.authenticator_code(&key, unix_now()).unwrap())
        .await;
    d.type_into("#label", "Ada's laptop app").await;
    d.click("form[action='/authy/enrol/confirm'] button").await;
    d.wait_path("/authy/factors").await;
    d.wait_text("Ada's laptop app").await;
    // tower-authy's pages for a verified user name them in the site's header too.
    d.wait_text("Logged in as ada@example.com").await;
    d.save_screenshot(&screenshots().join("factors.png")).await;
    d.goto(&format!("{base}/account")).await.unwrap();
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // The app, used last, is offered first: its next code logs in.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Try another way").await;
    let next = app.authenticator_code(&key, unix_now() + 30).unwrap();
    d.type_into("#token", &next).await;
    d.click("form[action='/authy/token'] button").await;
    d.wait_text("Welcome, Ada Lovelace").await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // Another way: the push.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Try another way").await;
    d.click("form[action='/authy/factor'] button").await;
    d.wait_text("Waiting for your approval").await;
    answer_on_phone(&d, &phone, "approve").await;
    d.wait_text("Welcome, Ada Lovelace").await;

    // The app removed (the second step was just proved): the phone alone is left.
    d.goto(&format!("{base}/authy/factors")).await.unwrap();
    d.execute(
        "[...document.querySelectorAll('[data-testid=factors] li')] \
            .find(li => li.textContent.includes('laptop')) \
            .querySelector(\"form[action='/authy/factors/remove'] button\").click()",
        vec![],
    )
    .await
    .unwrap();
    // The page comes back without the app, and the last factor has no remove button.
    d.wait_gone("form[action='/authy/factors/remove']").await;
    let list = d.text("[data-testid=factors]").await;
    assert!(!list.contains("laptop"), "{list}");
    assert!(list.contains("Authy"), "{list}");

    d.quit().await;
    demo.stop();
}

/// Fails unless the page now shown is no wider than the window (no sideways scrolling).
async fn fits_the_width(d: &Chromium, what: &str) {
    let widths = d
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .unwrap();
    let (page, window) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
    assert!(window <= 400, "the window is a phone's: {window} px");
    assert!(
        page <= window,
        "{what}: {page} px wide in a {window} px window"
    );
}

#[tokio::test]
async fn every_page_fits_a_phone_360_pixels_wide() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    d.set_window_size(360, 800).await.unwrap();
    let demo = start_demo().await;
    let (base, phone) = (demo.url.clone(), demo.phone_url().unwrap());

    for (path, what) in [("/", "home"), ("/signup", "sign-up form")] {
        d.goto(&format!("{base}{path}")).await.unwrap();
        fits_the_width(&d, what).await;
    }
    sign_up(&d, &base, "Ada Lovelace", "ada@example.com", "555-123-4567").await;
    fits_the_width(&d, "login form").await;
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    fits_the_width(&d, "second-step page").await;
    answer_on_phone(&d, &phone, "approve").await;
    d.wait_path("/account").await;
    fits_the_width(&d, "account page").await;
    for (path, what) in [
        ("/authy/factors", "ways to sign in"),
        ("/authy/recovery-codes", "recovery codes"),
        ("/authy/devices", "remembered devices"),
    ] {
        d.goto(&format!("{base}{path}")).await.unwrap();
        d.wait_path(path).await;
        fits_the_width(&d, what).await;
    }
    d.goto(&format!("{base}/authy/factors")).await.unwrap();
    d.click("form[action='/authy/factors/add'] button").await;
    d.wait_path("/authy/enrol").await;
    fits_the_width(&d, "enrolment form").await;
    d.quit().await;
}

#[tokio::test]
async fn a_passkey_is_enrolled_logs_in_and_signs_in_alone_on_a_virtual_authenticator() {
    let Some(d) = Chromium::start().await else {
        return;
    };
    let demo = start_demo().await;
    let phone = demo.phone_url().unwrap();
    // Browsers allow WebAuthn on plain http at localhost only: the demo's passkey origin.
    let base = demo.url.replace("127.0.0.1", "localhost");
    let authenticator = d.add_virtual_authenticator().await;

    sign_up(&d, &base, "Ada Lovelace", "ada@example.com", "555-123-4567").await;
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_text("Waiting for your approval").await;
    answer_on_phone(&d, &phone, "approve").await;
    d.wait_text("Welcome, Ada Lovelace").await;

    // The factors page's "add", then the passkey button: the browser's authenticator makes it.
    d.goto(&format!("{base}/authy/factors")).await.unwrap();
    d.click("form[action='/authy/factors/add'] button").await;
    d.wait_path("/authy/enrol").await;
    d.type_into("#passkey-label", "Ada's laptop").await;
    d.click("section[data-passkey=register] [data-passkey-start]")
        .await;
    d.wait_path("/authy/factors").await;
    d.wait_text("Ada's laptop").await;
    let held = d.virtual_credentials(&authenticator).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["isResidentCredential"], true, "{held:?}");
    d.save_screenshot(&screenshots().join("passkey-factors.png"))
        .await;
    d.goto(&format!("{base}/account")).await.unwrap();
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // Sign in with the passkey alone: the login page offers it in the email field's autofill
    // (conditional UI), where the virtual authenticator answers at once. No password.
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    d.wait_path("/account").await;
    d.wait_text("Welcome, Ada Lovelace").await;
    d.click("form[action='/authy/logout'] button").await;
    d.wait_path("/").await;

    // The password, then the passkey as the second step (offered first; no phone needed). The
    // authenticator is away while the password is typed (else the autofill signs in first).
    d.remove_virtual_authenticator(&authenticator).await;
    d.goto(&format!("{base}/authy/login")).await.unwrap();
    log_in(&d, "ada@example.com", "a long enough password").await;
    d.wait_path("/authy/verify").await;
    let back = d.add_virtual_authenticator().await;
    d.add_virtual_credential(&back, held_again(held[0].clone()))
        .await;
    d.save_screenshot(&screenshots().join("passkey-login.png"))
        .await;
    d.click("section[data-passkey=login] [data-passkey-start]")
        .await;
    d.wait_text("Welcome, Ada Lovelace").await;
}

/// A credential as "Get Credentials" listed it, as "Add Credential" takes it back (a higher
/// signature count: it was used to sign in meanwhile).
fn held_again(mut credential: serde_json::Value) -> serde_json::Value {
    let listed = credential["signCount"].as_u64().unwrap();
    credential["signCount"] = (listed + 10).into();
    credential
}

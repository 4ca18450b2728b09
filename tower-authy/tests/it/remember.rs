//! "Remember this device": opt-in per login, a signed cookie bound to the user and their
//! credential epoch, listed and forgotten by the user, a cap per user, an expiry.

#![allow(clippy::unwrap_used)]

use test_support::{Browser, PASSWORD, World};
use tower_authy::{
    UserStore, remember::DeviceStore, remember::MemoryDeviceStore, remember::RememberDevice,
    remember::RememberKey, secret::Password,
};

const DAY: i64 = 86_400;

async fn world() -> (World, MemoryDeviceStore) {
    let store = MemoryDeviceStore::new();
    let kept = store.clone();
    let w = World::configured(move |b| {
        let settings = RememberDevice {
            days: 30,
            per_user: 2,
        };
        b.remember_devices(settings, RememberKey::from_bytes([9; 32]), kept)
    })
    .await;
    (w, store)
}

/// Password (with the box ticked or not), then the Authy app's token. The clocks move to the
/// next 30 s step first, so that each login has a fresh token.
async fn full_login(w: &World, b: &mut Browser, email: &str, authy_id: u64, remember: bool) {
    w.advance(30);
    let mut fields = vec![("login", email), ("password", PASSWORD)];
    if remember {
        fields.push(("remember", "1"));
    }
    let page = b.post("/authy/login", &fields).await;
    assert_eq!(
        page.location.as_deref(),
        Some("/authy/verify"),
        "{}",
        page.body
    );
    let token = w.mock.app_token(authy_id).unwrap();
    let done = b.post("/authy/token", &[("token", &token)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
}

/// Logs out, then gives the password alone: where does the browser go?
async fn password_again(b: &mut Browser, email: &str) -> String {
    b.post("/authy/logout", &[]).await;
    assert_eq!(b.get("/account").await.status, 303, "logged out");
    let page = b
        .post("/authy/login", &[("login", email), ("password", PASSWORD)])
        .await;
    page.location.unwrap_or_default()
}

fn holds_device_cookie(b: &Browser) -> bool {
    b.cookie()
        .is_some_and(|c| c.contains("tower-authy-device="))
}

/// `tower-authy-device=...` as the browser holds it.
fn device_cookie(b: &Browser) -> String {
    let cookies = b.cookie().unwrap();
    let found = cookies
        .split("; ")
        .find(|c| c.starts_with("tower-authy-device="));
    found.unwrap().to_owned()
}

#[tokio::test]
async fn a_remembered_device_skips_the_second_factor_until_it_expires() {
    let (w, store) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    assert!(
        b.get("/authy/login")
            .await
            .body
            .contains("Remember this device for 30 days")
    );
    full_login(&w, &mut b, "ada@example.com", authy_id, true).await;
    assert!(holds_device_cookie(&b));

    let pushes = w.mock.approval_requests().len();
    assert_eq!(password_again(&mut b, "ada@example.com").await, "/account");
    assert_eq!(
        b.get("/account").await.status,
        200,
        "both factors count as proved"
    );
    assert_eq!(w.mock.approval_requests().len(), pushes, "no push was sent");

    let password = Password::new(PASSWORD);
    let ada = w.users.verify_password("ada@example.com", &password).await;
    let ada = ada.unwrap().unwrap().id;
    let listed = store.devices(&ada, w.mock.now()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].label, "Unknown browser",
        "the test browser sends no User-Agent"
    );

    w.advance(30 * DAY);
    assert_eq!(
        password_again(&mut b, "ada@example.com").await,
        "/authy/verify",
        "30 days later the phone is needed again"
    );
}

#[tokio::test]
async fn without_the_box_nothing_is_remembered() {
    let (w, _) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    full_login(&w, &mut b, "ada@example.com", authy_id, false).await;
    assert!(!holds_device_cookie(&b));
    assert_eq!(
        password_again(&mut b, "ada@example.com").await,
        "/authy/verify"
    );
}

#[tokio::test]
async fn a_new_credential_epoch_ends_every_remembered_device() {
    let (w, _) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    full_login(&w, &mut b, "ada@example.com", authy_id, true).await;
    assert!(w.users.bump_credential_epoch("ada@example.com"));
    assert_eq!(
        password_again(&mut b, "ada@example.com").await,
        "/authy/verify"
    );
}

#[tokio::test]
async fn users_list_and_forget_their_devices() {
    let (w, _) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    full_login(&w, &mut b, "ada@example.com", authy_id, true).await;

    let page = b.get_json("/authy/devices").await;
    let devices = page.json()["devices"].as_array().unwrap().clone();
    assert_eq!(devices.len(), 1, "{}", page.body);
    let id = devices[0]["id"].as_str().unwrap().to_owned();
    assert!(b.get("/authy/devices").await.body.contains("Forget"));

    let forged = b
        .post_without_csrf("/authy/devices/forget", &[("device", &id)])
        .await;
    assert_eq!(forged.status, 403);
    let before = b.cookie();
    let gone = b.post("/authy/devices/forget", &[("device", &id)]).await;
    assert_eq!(gone.location.as_deref(), Some("/authy/devices"));
    assert_ne!(b.cookie(), before, "the session id rotates");
    assert!(
        b.get("/authy/devices")
            .await
            .body
            .contains("No device skips")
    );
    assert_eq!(
        password_again(&mut b, "ada@example.com").await,
        "/authy/verify"
    );

    let mut anonymous = w.browser();
    assert_eq!(anonymous.get("/authy/devices").await.status, 303);
}

#[tokio::test]
async fn a_cookie_counts_for_its_own_user_and_only_the_newest_devices_are_kept() {
    let (w, _) = world().await;
    let ada = w.user("ada@example.com", "5551230001").await;
    w.user("bob@example.com", "5551230002").await;
    let mut shared = w.browser();
    full_login(&w, &mut shared, "ada@example.com", ada, true).await;
    shared.post("/authy/logout", &[]).await;
    // Bob on Ada's remembered browser still needs his phone.
    let page = shared
        .post(
            "/authy/login",
            &[("login", "bob@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/authy/verify"));

    // Ada remembers two more browsers: the first one is forgotten (two per user).
    let mut second = w.browser();
    full_login(&w, &mut second, "ada@example.com", ada, true).await;
    let mut third = w.browser();
    full_login(&w, &mut third, "ada@example.com", ada, true).await;
    let mut first = w.browser();
    first.set_cookie(&device_cookie(&shared));
    let from_first = first
        .post(
            "/authy/login",
            &[("login", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        from_first.location.as_deref(),
        Some("/authy/verify"),
        "the oldest was dropped"
    );
    assert_eq!(
        password_again(&mut third, "ada@example.com").await,
        "/account"
    );
}

#[tokio::test]
async fn a_forged_cookie_counts_for_nothing() {
    let (w, _) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    full_login(&w, &mut b, "ada@example.com", authy_id, true).await;
    let genuine = device_cookie(&b);
    let (head, tag) = genuine.rsplit_once('.').unwrap();
    let far = head.rsplit_once('.').unwrap().0.to_owned() + ".99999999999";
    for forged in [format!("{head}.AAAA{tag}"), format!("{far}.{tag}")] {
        let mut other = w.browser();
        other.set_cookie(&forged);
        let page = other
            .post(
                "/authy/login",
                &[("login", "ada@example.com"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(page.location.as_deref(), Some("/authy/verify"), "{forged}");
    }
}

/// A world remembering devices with `key` (and `previous` keys) on the shared `users` and
/// `devices`.
async fn world_with_keys(
    users: &tower_authy::store::MemoryUserStore,
    devices: &MemoryDeviceStore,
    key: u8,
    previous: &[u8],
) -> World {
    let (kept, previous) = (
        devices.clone(),
        previous
            .iter()
            .map(|k| RememberKey::from_bytes([*k; 32]))
            .collect::<Vec<_>>(),
    );
    World::start_with(test_support::Options {
        users: Some(std::sync::Arc::new(users.clone())),
        factors: Some(std::sync::Arc::new(users.clone())),
        configure: Box::new(move |b| {
            b.remember_devices(
                RememberDevice::default(),
                RememberKey::from_bytes([key; 32]),
                kept,
            )
            .previous_remember_keys(previous)
        }),
        ..test_support::Options::default()
    })
    .await
}

/// Rotating the remember-device key: devices remembered under the old key still skip the
/// second factor while it is listed as a previous key, and their cookie is signed again with
/// the new one on use; once the old key is dropped, only re-signed cookies count.
#[tokio::test]
async fn a_rotated_key_keeps_remembered_devices_and_signs_their_cookies_again() {
    let (users, devices) = (
        tower_authy::store::MemoryUserStore::new(),
        MemoryDeviceStore::new(),
    );
    let old = world_with_keys(&users, &devices, 1, &[]).await;
    let subject = old.user("ada-registration@example.com", "5551230001").await;
    users.insert("ada@example.com", PASSWORD, [old.factor(subject)]);
    let mut first = old.browser();
    full_login(&old, &mut first, "ada@example.com", subject, true).await;
    let signed_with_old = device_cookie(&first);

    // The new key signs; the old one is still accepted, and the cookie is signed again.
    let rotated = world_with_keys(&users, &devices, 2, &[1]).await;
    let mut b = Browser::new(&rotated.base);
    b.set_cookie(&signed_with_old);
    let page = b
        .post(
            "/authy/login",
            &[("login", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/account"), "{}", page.body);
    let signed_again = device_cookie(&b);
    assert_ne!(
        signed_again, signed_with_old,
        "signed again with the new key"
    );
    let same_device = |c: &str| c.rsplit_once('.').unwrap().0.to_owned();
    assert_eq!(same_device(&signed_again), same_device(&signed_with_old));

    // The old key dropped: the re-signed cookie counts, the old one no longer does.
    let new_only = world_with_keys(&users, &devices, 2, &[]).await;
    for (cookie, expected) in [
        (&signed_again, "/account"),
        (&signed_with_old, "/authy/verify"),
    ] {
        let mut b = Browser::new(&new_only.base);
        b.set_cookie(cookie);
        let page = b
            .post(
                "/authy/login",
                &[("login", "ada@example.com"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(page.location.as_deref(), Some(expected), "{cookie}");
    }
}

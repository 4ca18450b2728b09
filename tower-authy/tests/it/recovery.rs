//! Recovery codes: made by a verified user, shown once, stored as hashes, each accepted once in
//! place of a token under the same attempt limits; a new set replaces the old.

#![allow(clippy::unwrap_used)]

use test_support::{Browser, PASSWORD, World};
use tower_authy::{
    UserStore, recovery::MemoryRecoveryCodeStore, recovery::RecoveryCodeStore, secret::Password,
};

async fn world() -> (World, MemoryRecoveryCodeStore) {
    let store = MemoryRecoveryCodeStore::new();
    let kept = store.clone();
    let w = World::configured(move |b| b.recovery_codes(kept)).await;
    (w, store)
}

async fn ada_id(w: &World) -> String {
    let password = Password::new(PASSWORD);
    let ada = w.users.verify_password("ada@example.com", &password);
    ada.await.unwrap().unwrap().id
}

/// Logs in with the Authy app's token.
async fn logged_in(w: &World, authy_id: u64) -> Browser {
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let token = w.mock.app_token(authy_id).unwrap();
    let done = b.post("/authy/token", &[("token", &token)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    b
}

/// Makes a new set and reads the codes off the page.
async fn new_codes(b: &mut Browser) -> Vec<String> {
    let page = b.post("/authy/recovery-codes", &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let codes = page.recovery_codes();
    assert_eq!(codes.len(), 10, "{}", page.body);
    codes
}

/// Password, then `code` on the code form.
async fn log_in_with(w: &World, code: &str) -> test_support::Page {
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    b.post("/authy/token", &[("token", code)]).await
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_in_place_of_the_phone() {
    let (w, store) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = logged_in(&w, authy_id).await;
    let page = b.get_json("/authy/recovery-codes").await;
    assert_eq!(page.json()["remaining"], 0);

    let before = b.cookie();
    let codes = new_codes(&mut b).await;
    assert_ne!(b.cookie(), before, "a new set rotates the session id");
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 19 && c.matches('-').count() == 3)
    );
    let user_id = ada_id(&w).await;
    assert_eq!(store.remaining(&user_id).await.unwrap(), 10);
    assert_eq!(b.get("/account").await.status, 200, "still logged in");

    // Typed in lower case with spaces: still the code.
    let typed = codes[0].to_lowercase().replace('-', " ");
    let first = log_in_with(&w, &typed).await;
    assert_eq!(
        first.location.as_deref(),
        Some("/account"),
        "{}",
        first.body
    );
    let again = log_in_with(&w, &codes[0]).await;
    assert_eq!(again.status, 401, "single use");
    assert!(again.body.contains("not valid"));
    let second = log_in_with(&w, &codes[1]).await;
    assert_eq!(second.status, 303);
    assert_eq!(store.remaining(&user_id).await.unwrap(), 8);
    assert_eq!(w.verify_calls(), 1, "recovery codes never go to Authy");
}

#[tokio::test]
async fn a_new_set_replaces_the_old_one() {
    let (w, _) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = logged_in(&w, authy_id).await;
    let first = b.post("/authy/recovery-codes", &[]).await;
    assert!(
        !first.body.contains("no longer work"),
        "a first set voids nothing"
    );
    let old = first.recovery_codes();
    let second = b.post("/authy/recovery-codes", &[]).await;
    assert!(
        second.body.contains("Your earlier codes no longer work."),
        "{}",
        second.body
    );
    let new = second.recovery_codes();
    assert_eq!((old.len(), new.len()), (10, 10));
    assert!(old.iter().all(|c| !new.contains(c)));
    assert_eq!(log_in_with(&w, &old[0]).await.status, 401);
    assert_eq!(log_in_with(&w, &new[0]).await.status, 303);
    let page = b.get("/authy/recovery-codes").await;
    assert!(
        page.body.contains("data-testid=\"codes-left\">9<"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn wrong_recovery_codes_count_like_wrong_tokens() {
    let (w, store) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = logged_in(&w, authy_id).await;
    let codes = new_codes(&mut b).await;

    let mut guesser = w.browser();
    guesser.login("ada@example.com", PASSWORD).await;
    for _ in 0..5 {
        let wrong = guesser
            .post("/authy/token", &[("token", "AAAA-AAAA-AAAA-AAAA")])
            .await;
        assert_eq!(wrong.status, 401);
    }
    let blocked = guesser.post("/authy/token", &[("token", &codes[0])]).await;
    assert_eq!(blocked.status, 429, "the login's attempts are spent");
    let user_id = ada_id(&w).await;
    assert_eq!(
        store.remaining(&user_id).await.unwrap(),
        10,
        "the refused code was not spent"
    );
}

#[tokio::test]
async fn only_a_verified_session_with_its_token_makes_codes() {
    let (w, store) = world().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let user_id = ada_id(&w).await;

    let mut anonymous = w.browser();
    let page = anonymous.get("/authy/recovery-codes").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (
            303,
            Some("/authy/login?return_to=%2Fauthy%2Frecovery-codes")
        )
    );
    assert_eq!(
        anonymous.post("/authy/recovery-codes", &[]).await.status,
        303
    );

    let mut half = w.browser();
    half.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        half.post("/authy/recovery-codes", &[]).await.status,
        303,
        "password only"
    );

    let mut b = logged_in(&w, authy_id).await;
    let forged = b.post_without_csrf("/authy/recovery-codes", &[]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        store.remaining(&user_id).await.unwrap(),
        0,
        "nothing was made"
    );
}

#[tokio::test]
async fn without_a_store_there_are_no_recovery_codes() {
    let w = World::start().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = logged_in(&w, authy_id).await;
    assert_eq!(b.get("/authy/recovery-codes").await.status, 404);
    let page = log_in_with(&w, "ABCD-EFGH-JKMN-PQRS").await;
    assert_eq!(page.status, 422, "a recovery code is not a code here");
}

/// The pause a [`Pausing`] store makes: it says the code was taken, then waits to go on.
type Pause = (
    tokio::sync::oneshot::Sender<()>,
    tokio::sync::oneshot::Receiver<()>,
);

/// A recovery code store that, when armed, holds a redemption after it took the code until the
/// test lets it go: the moment a push can approve the same login.
#[derive(Clone, Default)]
struct Pausing {
    inner: MemoryRecoveryCodeStore,
    armed: std::sync::Arc<std::sync::Mutex<Option<Pause>>>,
}

#[async_trait::async_trait]
impl RecoveryCodeStore for Pausing {
    async fn replace(
        &self,
        user_id: &str,
        hashes: Vec<tower_authy::recovery::RecoveryCodeHash>,
    ) -> Result<(), tower_authy::store::StoreError> {
        self.inner.replace(user_id, hashes).await
    }

    async fn redeem(
        &self,
        user_id: &str,
        hash: &tower_authy::recovery::RecoveryCodeHash,
    ) -> Result<bool, tower_authy::store::StoreError> {
        let taken = self.inner.redeem(user_id, hash).await?;
        let armed = self.armed.lock().unwrap().take();
        if let Some((redeemed, resume)) = armed {
            redeemed.send(()).unwrap();
            resume.await.unwrap();
        }
        Ok(taken)
    }

    async fn remaining(&self, user_id: &str) -> Result<usize, tower_authy::store::StoreError> {
        self.inner.remaining(user_id).await
    }

    async fn restore(
        &self,
        user_id: &str,
        hash: &tower_authy::recovery::RecoveryCodeHash,
    ) -> Result<(), tower_authy::store::StoreError> {
        self.inner.restore(user_id, hash).await
    }
}

/// A recovery code typed while the push approves the same login is not spent: the login
/// completes (the push did it) and the code still works. Failed before the fix: the code was
/// taken, the login answered 409, and the user had one code fewer.
#[tokio::test]
async fn a_recovery_code_used_while_a_push_approves_the_login_is_not_spent() {
    let store = Pausing::default();
    let kept = store.clone();
    let w = World::configured(move |b| b.recovery_codes(kept)).await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut owner = logged_in(&w, authy_id).await;
    let codes = new_codes(&mut owner).await;
    let user_id = ada_id(&w).await;

    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let push = w.latest_push(authy_id).await;
    let (redeemed, at_redeem) = tokio::sync::oneshot::channel();
    let (resume, resumed) = tokio::sync::oneshot::channel();
    *store.armed.lock().unwrap() = Some((redeemed, resumed));
    let fields = [("token", codes[0].as_str())];
    let (page, ()) = tokio::join!(b.post("/authy/token", &fields), async {
        at_redeem.await.unwrap();
        w.approve(&push).await;
        resume.send(()).unwrap();
    });
    assert_eq!(page.location.as_deref(), Some("/account"), "{}", page.body);
    assert_eq!(b.get("/account").await.status, 200);
    assert_eq!(store.remaining(&user_id).await.unwrap(), 10, "not spent");
    assert_eq!(log_in_with(&w, &codes[0]).await.status, 303, "still works");
    assert_eq!(store.remaining(&user_id).await.unwrap(), 9);
}

//! Conformance of a [`PasskeyStore`].

use crate::provider::webauthn::{PasskeyStore, StoredCredential};

fn credential(user: &str, id: u8, counter: u32) -> StoredCredential {
    StoredCredential {
        user_id: user.to_owned(),
        credential_id: vec![id; 16],
        credential: vec![id, 1, 2, 3],
        counter,
    }
}

/// Checks the [`PasskeyStore`] contract: one credential id belongs to one subject of one
/// user, a subject holds one credential, updates are compare-and-sets on the counter (with
/// concurrent updates from one expected counter, exactly one wins), removal forgets.
///
/// # Panics
/// When the store breaks a rule.
pub async fn passkey_store<S: PasskeyStore>(store: std::sync::Arc<S>) {
    let answer = "store answers";
    assert!(
        store
            .register(1, credential("ada", 7, 0))
            .await
            .expect(answer)
    );
    assert!(
        !store
            .register(2, credential("eve", 7, 0))
            .await
            .expect(answer),
        "a credential id is registered once, to one account"
    );
    assert!(
        !store
            .register(1, credential("ada", 8, 0))
            .await
            .expect(answer),
        "a subject holds one credential"
    );
    assert_eq!(store.get(2).await.expect(answer), None);
    assert_eq!(
        store.find(&[7; 16]).await.expect(answer),
        Some((1, credential("ada", 7, 0))),
        "a credential is found by its id"
    );
    assert_eq!(store.find(&[8; 16]).await.expect(answer), None);
    assert_eq!(
        store.get(1).await.expect(answer),
        Some(credential("ada", 7, 0))
    );
    assert!(
        !store
            .update(1, 5, credential("ada", 7, 9))
            .await
            .expect(answer),
        "an update expecting another counter changes nothing"
    );
    let mut racing = Vec::new();
    for n in 1..=20u32 {
        let store = std::sync::Arc::clone(&store);
        racing.push(tokio::spawn(async move {
            store
                .update(1, 0, credential("ada", 7, n))
                .await
                .expect("store answers")
        }));
    }
    let mut won = 0;
    for r in racing {
        won += usize::from(r.await.expect("task"));
    }
    assert_eq!(won, 1, "one of the updates from counter 0 wins");
    assert!(
        store
            .get(1)
            .await
            .expect(answer)
            .is_some_and(|c| c.counter > 0)
    );
    assert!(store.remove(1).await.expect(answer));
    assert!(!store.remove(1).await.expect(answer));
    assert_eq!(store.find(&[7; 16]).await.expect(answer), None, "gone");
    assert!(
        store
            .register(3, credential("eve", 7, 0))
            .await
            .expect(answer),
        "a forgotten credential may be registered again"
    );
}

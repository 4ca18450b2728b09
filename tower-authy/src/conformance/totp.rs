//! Conformance of the store behind the self-hosted TOTP provider.

use crate::provider::totp::TotpSecretStore;
use std::sync::Arc;

/// Checks the [`TotpSecretStore`] contract: a subject is inserted once, its sealed secret
/// reads back unchanged, each time step is accepted once and never after a later one, also
/// when many tasks race, and a removed subject is gone. Uses subjects near `u64::MAX - 10`.
///
/// # Panics
/// When the store breaks a rule.
pub async fn totp_secret_store<S: TotpSecretStore>(store: Arc<S>) {
    let (a, b) = (u64::MAX - 10, u64::MAX - 11);
    let answer = "store answers";
    assert!(
        store.insert(a, vec![1, 2, 3]).await.expect(answer),
        "a new subject is inserted"
    );
    assert!(
        !store.insert(a, vec![9]).await.expect(answer),
        "a subject is inserted once"
    );
    assert_eq!(
        store.sealed(a).await.expect(answer),
        Some(vec![1, 2, 3]),
        "the first secret stays"
    );
    assert_eq!(
        store.sealed(b).await.expect(answer),
        None,
        "an unknown subject has no secret"
    );
    assert!(
        !store.advance(b, 5).await.expect(answer),
        "an unknown subject advances nothing"
    );
    assert!(
        store.advance(a, 100).await.expect(answer),
        "a first step is accepted"
    );
    assert!(
        !store.advance(a, 100).await.expect(answer),
        "a step is accepted once"
    );
    assert!(
        !store.advance(a, 99).await.expect(answer),
        "an earlier step is refused"
    );
    assert!(
        store.advance(a, 101).await.expect(answer),
        "a later step is accepted"
    );
    assert!(
        store.insert(b, vec![4]).await.expect(answer),
        "another subject"
    );
    assert!(
        store.advance(b, 50).await.expect(answer),
        "steps are per subject"
    );

    // Eight tasks race for the same step: exactly one wins.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move { store.advance(a, 200).await }));
    }
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.expect("task ends").expect(answer));
    }
    assert_eq!(winners, 1, "one racing use of a step wins");

    assert!(
        !store.reseal(a, &[9], vec![5, 5]).await.expect(answer),
        "a reseal expecting another secret changes nothing"
    );
    assert!(
        !store
            .reseal(u64::MAX - 12, &[], vec![5])
            .await
            .expect(answer),
        "an unknown subject is not resealed"
    );
    assert!(
        store.reseal(a, &[1, 2, 3], vec![5, 5]).await.expect(answer),
        "the expected secret is resealed"
    );
    assert_eq!(store.sealed(a).await.expect(answer), Some(vec![5, 5]));
    assert!(
        !store.advance(a, 200).await.expect(answer),
        "a reseal keeps the last step used"
    );

    store.remove(a).await.expect(answer);
    assert_eq!(
        store.sealed(a).await.expect(answer),
        None,
        "a removed subject is gone"
    );
    store.remove(b).await.expect(answer);
}

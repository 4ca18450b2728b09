//! Conformance of the stores behind recovery codes and remembered devices.

use crate::{
    recovery::RecoveryCodeHash, recovery::RecoveryCodeStore, remember::DeviceStore,
    remember::RememberedDevice,
};

/// Checks the [`RecoveryCodeStore`] contract: a set replaces the last, each code redeems once,
/// and only for its own user; a spent code of the current set can be restored, once. Uses the user ids `conformance-a` and `conformance-b`.
///
/// # Panics
/// When the store breaks a rule.
pub async fn recovery_code_store<S: RecoveryCodeStore + ?Sized>(store: &S) {
    let (a, b) = ("conformance-a", "conformance-b");
    let h = |n: u8| RecoveryCodeHash::from_bytes([n; 32]);
    let answer = "store answers";
    store
        .replace(a, vec![h(1), h(2), h(3)])
        .await
        .expect(answer);
    store.replace(b, vec![h(9)]).await.expect(answer);
    assert_eq!(
        store.remaining(a).await.expect(answer),
        3,
        "remaining counts the set"
    );
    assert!(
        store.redeem(a, &h(1)).await.expect(answer),
        "a code in the set redeems"
    );
    assert!(
        !store.redeem(a, &h(1)).await.expect(answer),
        "a code redeems once"
    );
    assert!(
        !store.redeem(a, &h(9)).await.expect(answer),
        "another user's code does not"
    );
    assert!(
        !store.redeem(b, &h(2)).await.expect(answer),
        "nor the other way round"
    );
    assert_eq!(store.remaining(a).await.expect(answer), 2);
    store.restore(a, &h(1)).await.expect(answer);
    assert_eq!(
        store.remaining(a).await.expect(answer),
        3,
        "a spent code comes back"
    );
    store.restore(a, &h(1)).await.expect(answer);
    store.restore(a, &h(9)).await.expect(answer);
    store.restore(b, &h(2)).await.expect(answer);
    assert_eq!(
        (
            store.remaining(a).await.expect(answer),
            store.remaining(b).await.expect(answer)
        ),
        (3, 1),
        "only a spent code of the user's own set comes back, once"
    );
    assert!(store.redeem(a, &h(1)).await.expect(answer));
    assert!(store.redeem(a, &h(2)).await.expect(answer));
    store.replace(a, vec![h(4)]).await.expect(answer);
    store.restore(a, &h(2)).await.expect(answer);
    assert!(
        !store.redeem(a, &h(2)).await.expect(answer),
        "a new set voids the old one, spent codes included"
    );
    assert!(store.redeem(a, &h(4)).await.expect(answer));
    assert_eq!(store.remaining(a).await.expect(answer), 0);
    assert_eq!(
        store.remaining(b).await.expect(answer),
        1,
        "other users keep theirs"
    );
    assert_eq!(store.remaining("conformance-none").await.expect(answer), 0);
}

/// Checks the [`DeviceStore`] contract: newest first, the oldest dropped beyond `keep`,
/// expired ones not listed, forgetting one or all, users apart. Uses the user ids
/// `conformance-a` and `conformance-b`.
///
/// # Panics
/// When the store breaks a rule.
pub async fn device_store<S: DeviceStore + ?Sized>(store: &S) {
    let (a, b) = ("conformance-a", "conformance-b");
    let answer = "store answers";
    let device = |id: &str, at: i64| RememberedDevice {
        id: id.into(),
        label: "Browser".into(),
        created_at: at,
        expires_at: at + 100,
    };
    let ids = |v: Vec<RememberedDevice>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
    for (i, id) in ["d1", "d2", "d3"].into_iter().enumerate() {
        let at = i64::try_from(i).unwrap_or(0);
        store.remember(a, device(id, at), 2).await.expect(answer);
    }
    store
        .remember(b, device("other", 0), 2)
        .await
        .expect(answer);
    assert_eq!(
        ids(store.devices(a, 0).await.expect(answer)),
        ["d3", "d2"],
        "newest first, the oldest dropped beyond keep"
    );
    assert_eq!(
        ids(store.devices(a, 101).await.expect(answer)),
        ["d3"],
        "expired devices are not listed"
    );
    assert_eq!(
        store.forget(a, Some("other")).await.expect(answer),
        0,
        "only one's own"
    );
    assert_eq!(store.forget(a, Some("d3")).await.expect(answer), 1);
    assert_eq!(ids(store.devices(a, 0).await.expect(answer)), ["d2"]);
    assert_eq!(store.forget(a, None).await.expect(answer), 1, "forget all");
    assert!(store.devices(a, 0).await.expect(answer).is_empty());
    assert_eq!(
        ids(store.devices(b, 0).await.expect(answer)),
        ["other"],
        "users apart"
    );
}

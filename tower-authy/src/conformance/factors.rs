//! Conformance of a [`FactorStore`].

use crate::factors::{Factor, FactorKind, FactorStore};
use crate::store::UserStore;

/// Checks the [`FactorStore`] contract on two users the application created (`a` and `b`,
/// with no factors yet, both known to `users`): the set changes only by compare-and-set on
/// the ids the caller saw, ids are unique per user, users are apart, renames and uses are
/// recorded, and a removal raises the user's credential epoch.
///
/// # Panics
/// When the store breaks a rule.
pub async fn factor_store<S: FactorStore + ?Sized>(
    store: &S,
    users: &dyn UserStore,
    a: &str,
    b: &str,
) {
    let answer = "store answers";
    let factor = |id: &str, kind: FactorKind, at: i64| Factor {
        id: id.to_owned(),
        kind,
        provider: "authy".to_owned(),
        subject: 42,
        label: format!("factor {id}"),
        phone: Some("+15551230001".to_owned()),
        created_at: at,
        last_used_at: None,
    };
    let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    assert!(
        store.factors(a).await.expect(answer).is_empty(),
        "a new user has no factors"
    );
    assert!(
        !store
            .add(a, factor("f1", FactorKind::Push, 10), &ids(&["other"]))
            .await
            .expect(answer),
        "an add expecting other factors changes nothing"
    );
    assert!(
        store
            .add(a, factor("f1", FactorKind::Push, 10), &[])
            .await
            .expect(answer),
        "the first factor is added"
    );
    assert!(
        !store
            .add(a, factor("f2", FactorKind::App, 20), &[])
            .await
            .expect(answer),
        "a stale add (the set changed since) changes nothing"
    );
    assert!(
        store
            .add(a, factor("f2", FactorKind::App, 20), &ids(&["f1"]))
            .await
            .expect(answer),
        "a second factor is added"
    );
    assert!(
        !store
            .add(a, factor("f2", FactorKind::Phone, 30), &ids(&["f2", "f1"]))
            .await
            .expect(answer),
        "an id is unique per user"
    );
    assert!(
        store
            .add(b, factor("f1", FactorKind::Phone, 30), &[])
            .await
            .expect(answer),
        "users are apart"
    );
    let listed = store.factors(a).await.expect(answer);
    assert_eq!(
        listed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["f1", "f2"],
        "oldest first"
    );
    assert_eq!(listed[1], factor("f2", FactorKind::App, 20), "kept whole");

    assert!(store.rename(a, "f2", "my phone").await.expect(answer));
    assert!(!store.rename(a, "nope", "x").await.expect(answer));
    store.touch(a, "f1", 99).await.expect(answer);
    let listed = store.factors(a).await.expect(answer);
    assert_eq!(listed[1].label, "my phone");
    assert_eq!(listed[0].last_used_at, Some(99));
    assert_eq!(
        store.factors(b).await.expect(answer)[0].label,
        "factor f1",
        "another user's factor is untouched"
    );

    let epoch = |u: Option<crate::UserRecord>| u.expect("the user exists").credential_epoch;
    let before = epoch(users.load(a).await.expect(answer));
    assert!(
        !store.remove(a, "f1", &ids(&["f1"])).await.expect(answer),
        "a stale remove changes nothing"
    );
    assert!(
        !store
            .remove(a, "nope", &ids(&["f1", "f2"]))
            .await
            .expect(answer)
    );
    assert!(
        store
            .remove(a, "f1", &ids(&["f2", "f1"]))
            .await
            .expect(answer)
    );
    assert_eq!(
        epoch(users.load(a).await.expect(answer)),
        before + 1,
        "a removal raises the epoch"
    );
    assert_eq!(
        store
            .factors(a)
            .await
            .expect(answer)
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        ["f2"]
    );
    assert_eq!(store.factors(b).await.expect(answer).len(), 1);
    assert!(
        store
            .factors("conformance-nobody")
            .await
            .expect(answer)
            .is_empty(),
        "an unknown user has none"
    );
    assert!(
        !store
            .add("conformance-nobody", factor("f9", FactorKind::App, 1), &[])
            .await
            .expect(answer),
        "an unknown user gets none"
    );
}

//! The part of the conformance suite for stores shared by several instances: the same rules,
//! raced from several clients of one backend at once.

use super::challenge;
use crate::limits::AttemptLimits;
use crate::store::{AttemptDecision, ChallengeState, ChallengeStore};
use std::sync::Arc;

/// Runs `op` `per_client` times on every client at once; returns how many calls said yes.
async fn race<S, F, Fut>(clients: &[Arc<S>], per_client: usize, op: F) -> usize
where
    S: ChallengeStore,
    F: Fn(Arc<S>) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let calls: Vec<_> = clients
        .iter()
        .flat_map(|c| (0..per_client).map(|_| tokio::spawn(op(Arc::clone(c)))))
        .collect();
    let mut yes = 0;
    for call in calls {
        yes += usize::from(call.await.expect("task"));
    }
    yes
}

/// Checks that several clients of one shared backend (one per instance) keep every rule
/// together: of parallel transitions of one challenge from all of them exactly one wins and all
/// see it; parallel token attempts stay within the per-login and per-account limits; a nonce is
/// accepted once; quotas and the password throttle count across clients.
///
/// `clients` must be handles on the same, empty backend (for a store with its own connection
/// pool: one store per pool).
///
/// # Panics
/// When the clients break a rule together, or fewer than two are given.
pub async fn shared_challenge_store<S: ChallengeStore>(clients: &[Arc<S>]) {
    assert!(clients.len() >= 2, "give at least two clients");
    clients[0]
        .create(challenge("shared-1", Some("shared-uuid")))
        .await
        .expect("create");
    let winners = race(clients, 25, |c| async move {
        c.transition(
            "shared-1",
            ChallengeState::Pending,
            ChallengeState::Approved,
        )
        .await
        .expect("transition")
    })
    .await;
    assert_eq!(winners, 1, "one transition wins across clients");
    for c in clients {
        let seen = c.find_by_approval("shared-uuid").await.expect("find");
        assert_eq!(
            seen.map(|c| c.state),
            Some(ChallengeState::Approved),
            "every client sees the winner's state"
        );
    }

    let limits = AttemptLimits {
        per_challenge: 3,
        per_account: 5,
        lockout_secs: 60,
    };
    for id in ["shared-2", "shared-3"] {
        clients[0]
            .create(challenge(id, None))
            .await
            .expect("create");
    }
    let mut allowed = 0;
    for id in ["shared-2", "shared-3"] {
        let on_this = race(clients, 10, move |c| async move {
            let d = c.begin_attempt(id, "shared-acct", &limits, 1_000).await;
            d.expect("attempt") == AttemptDecision::Allowed
        })
        .await;
        assert!(on_this <= 3, "the per-login limit holds across clients");
        allowed += on_this;
    }
    assert_eq!(allowed, 5, "the per-account limit holds across clients");

    let fresh = race(clients, 10, |c| async move {
        c.consume_nonce("shared-nonce", 1_300, 1_000)
            .await
            .expect("nonce")
    })
    .await;
    assert_eq!(fresh, 1, "a nonce is accepted once across clients");

    let uses = race(clients, 10, |c| async move {
        c.take_quota("shared-quota", 4, 600, 1_000)
            .await
            .expect("quota")
    })
    .await;
    assert_eq!(uses, 4, "a quota counts across clients");

    let guesses = race(clients, 10, |c| async move {
        c.take_attempt("shared-throttle", 5, 900, 1_000)
            .await
            .expect("attempt")
    })
    .await;
    assert_eq!(guesses, 5, "the password throttle counts across clients");

    clients[0]
        .keep_ceremony("shared-ceremony", b"state".to_vec(), 1_300, 1_000)
        .await
        .expect("keep_ceremony");
    let finished = race(clients, 25, |c| async move {
        c.take_ceremony("shared-ceremony", 1_001)
            .await
            .expect("take_ceremony")
            .is_some_and(|state| state == b"state")
    })
    .await;
    assert_eq!(
        finished, 1,
        "a ceremony finishes once, whichever client asks"
    );
}

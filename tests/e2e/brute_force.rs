//! An attacker who knows the password makes thousands of random token guesses against one
//! account, spreading them over fresh logins, new sessions and forged `X-Forwarded-For` values.
//! Only the per-account limit of guesses may ever reach the provider, whichever it is.
//!
//! 3,000 guesses a provider in every run (300 times the limit: the account locks after the
//! tenth wrong code, for longer than the run lasts); `BRUTE_FORCE_GUESSES=10000 cargo test -p
//! e2e --test e2e brute_force -- --nocapture` is BENCHMARKS.md §6's longer run.

#![allow(clippy::unwrap_used)]

use mock_authy::{CallbackMethod, Endpoint};
use std::time::Duration;
use test_support::{App, Browser, MockProcess, PASSWORD, ProviderKind};

/// Guesses a provider: `BRUTE_FORCE_GUESSES`, else 3,000.
fn guesses() -> usize {
    std::env::var("BRUTE_FORCE_GUESSES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000)
}
const PER_LOGIN: u32 = 5;
const PER_ACCOUNT: u32 = 10;

/// xorshift64*: reproducible guesses without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn attacker(app: &App, n: u64) -> Browser {
    Browser::forwarded_for(&app.base, &format!("198.51.{}.{}", n / 250 % 250, n % 250))
}

test_support::every_provider!(thousands_of_guesses_reach_the_provider_at_most_the_account_limit);

async fn thousands_of_guesses_reach_the_provider_at_most_the_account_limit(kind: ProviderKind) {
    let mock = MockProcess::spawn().await;
    let app = App::on(
        kind,
        &mock.base,
        Duration::from_secs(2),
        tower_authy::store::MemoryUserStore::new(),
        tower_authy::store::SystemClock,
        Box::new(|b| {
            b.attempt_limits(tower_authy::limits::AttemptLimits {
                per_challenge: PER_LOGIN,
                per_account: PER_ACCOUNT,
                lockout_secs: 900,
            })
            .send_limits(tower_authy::limits::SendLimits {
                pushes_per_10_minutes: 100,
                per_login: 3,
                per_hour: 10,
            })
        }),
    )
    .await;
    mock.set_callback(Some((&app.callback_url, CallbackMethod::Post)))
        .await
        .unwrap();
    app.user("victim@example.com", "5551230001").await;

    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let (mut logins, mut refused_logins, mut wrong, mut successes) = (0u32, 0u32, 0u32, 0u32);
    let mut b = attacker(&app, 0);
    let mut logged_in = false;
    let guesses = guesses();
    for n in 0..guesses as u64 {
        // A new session and a new address every few guesses, and a fresh password login.
        if !logged_in || rng.next() % 4 == 0 {
            b = attacker(&app, n);
            logins += 1;
            logged_in = b.login("victim@example.com", PASSWORD).await.status == 303;
            refused_logins += u32::from(!logged_in);
        }
        // Authy's app shows 7 digits; Verify's and authenticator apps 6.
        let guess = match kind {
            ProviderKind::Authy => format!("{:07}", rng.next() % 10_000_000),
            _ => format!("{:06}", rng.next() % 1_000_000),
        };
        let page = b.post("/authy/token", &[("token", &guess)]).await;
        match page.status {
            303 => successes += 1,
            401 if page.body.contains("That code is not valid") => wrong += 1,
            // 403 locked, 429 this login's attempts used up: nothing reached Authy.
            _ => {}
        }
    }
    let reached = app.code_checks();
    println!(
        "brute force on {kind:?}: {guesses} guesses, {logins} password logins ({refused_logins} refused while locked), \
         {reached} reached the provider, {wrong} answered 'wrong code', {successes} succeeded"
    );
    assert!(
        reached <= PER_ACCOUNT as usize,
        "{reached} guesses reached the provider; the limit is {PER_ACCOUNT}"
    );
    assert!(reached > 0, "guesses were checked at all");
    if kind == ProviderKind::Authy {
        let at_mock = mock.calls(Endpoint::Verify).await.unwrap();
        assert_eq!(at_mock, reached, "every check is one request, none retried");
    }
    assert!(refused_logins > 0, "the account locked");
    // Each guess that reaches the provider wins with probability about 3 / 10^6 or less (three
    // valid codes with one step of skew); at most PER_ACCOUNT do per lockout window.
    assert!(successes <= 1);
}

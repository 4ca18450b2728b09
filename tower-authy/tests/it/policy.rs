//! Who must prove a second factor (`guard::Policy`), through the HTTP interface: everyone,
//! users a predicate selects, users who have one ("if enrolled"), everyone after a grace date;
//! a route group demanding more than the application; sessions in memory and on Redis.

use std::time::{Duration, UNIX_EPOCH};
use test_support::{Options, PASSWORD, RecordingStore, RedisServer, T0, World};
use tower_authy::guard::Policy;
use tower_authy::store::RedisChallengeStore;
use tower_sessions_redis_store::RedisStore;

fn if_enrolled() -> Options {
    Options {
        configure: Box::new(|b| b.policy(Policy::if_enrolled())),
        enrolment: true,
        ..Options::default()
    }
}

/// A world under `policy`, with enrolment, sessions and challenges in memory.
async fn in_memory(policy: Policy) -> World {
    World::start_with(Options {
        configure: Box::new(move |b| b.policy(policy)),
        enrolment: true,
        ..Options::default()
    })
    .await
}

/// Runs `scenario` on a world under `policy` with sessions and challenges on a Redis of its
/// own (skipped where Redis is missing and not required).
async fn with_redis<F, Fut>(policy: Policy, scenario: F)
where
    F: FnOnce(World) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    scenario(on_redis(&redis, policy).await).await;
}

/// The same world with its sessions and challenges on `redis`.
async fn on_redis(redis: &RedisServer, policy: Policy) -> World {
    let store = RedisChallengeStore::connect(&redis.url, 2).await.unwrap();
    let sessions = RecordingStore::over(RedisStore::new(store.pool().clone()));
    World::start_with(Options {
        configure: Box::new(move |b| b.policy(policy).challenge_store(store)),
        sessions: Some(sessions),
        enrolment: true,
        ..Options::default()
    })
    .await
}

/// Bob, who holds no factor, logs in with his password alone (the policy lets him): his
/// browser, at `/account` as a session without a second factor.
async fn bob_with_the_password_alone(w: &World) -> test_support::Browser {
    w.users.insert("bob@example.com", PASSWORD, []);
    let mut b = w.browser();
    let login = b.login("bob@example.com", PASSWORD).await;
    assert_eq!(
        login.location.as_deref(),
        Some("/account"),
        "no enrolment: {}",
        login.body
    );
    let page = b.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.ends_with("password only"), "{}", page.body);
    b
}

/// Under "if enrolled" (and for users a predicate leaves out), a user without a factor logs in
/// with the password alone, the handler can tell, and a route group that requires a second
/// factor sends them to set one up and back; a user with a factor still proves it.
async fn if_enrolled_lets_users_without_a_factor_in(w: &World) {
    let mut b = bob_with_the_password_alone(w).await;

    // `/admin` requires a second factor whatever the app's policy.
    let admin = b.get("/admin").await;
    assert_eq!(
        admin.location.as_deref(),
        Some("/authy/enrol?return_to=%2Fadmin"),
        "{}",
        admin.body
    );
    let api = b.get_json("/admin").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.json()["reason"], "second_factor_required");
    assert!(
        !b.get("/authy/factors")
            .await
            .body
            .contains("Your second factors"),
        "tower-authy's own pages need both factors"
    );

    // A user with a factor proves it, as always.
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut a = w.browser();
    let login = a.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/authy/verify"));
    assert_eq!(a.get("/account").await.status, 303, "pending counts as out");
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(a.post("/authy/confirm", &[]).await.status, 303);
    assert!(a.get("/account").await.body.ends_with("two factors"));
    assert_eq!(a.get("/admin").await.status, 200);
}

#[tokio::test]
async fn if_enrolled_lets_users_without_a_factor_in_with_the_password() {
    let w = World::start_with(if_enrolled()).await;
    if_enrolled_lets_users_without_a_factor_in(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_enrolled_on_redis() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let w = on_redis(&redis, Policy::if_enrolled()).await;
    if_enrolled_lets_users_without_a_factor_in(&w).await;
}

#[tokio::test]
async fn a_session_without_a_second_factor_sets_one_up_where_a_route_requires_it() {
    let w = World::start_with(if_enrolled()).await;
    let mut b = bob_with_the_password_alone(&w).await;
    assert_eq!(b.get("/admin").await.status, 303);
    let form = b.get("/authy/enrol?return_to=/admin").await;
    assert!(
        form.body.contains("Turn on the second step"),
        "{}",
        form.body
    );
    assert!(
        !form.body.contains("Skip for now"),
        "required here, not offered"
    );
    assert_eq!(
        b.get("/account").await.status,
        200,
        "still logged in while enrolling"
    );
    let fields = [("country_code", "1"), ("phone", "5551239999")];
    assert_eq!(b.post("/authy/enrol", &fields).await.status, 200);
    let authy_id = w.mock.users()[0].id;
    let token = w.mock.app_token(authy_id).unwrap();
    let done = b.post("/authy/enrol/confirm", &[("token", &token)]).await;
    assert_eq!(done.location.as_deref(), Some("/admin"), "{}", done.body);
    let admin = b.get("/admin").await;
    assert!(admin.body.ends_with("two factors"), "{}", admin.body);
}

#[tokio::test]
async fn a_session_without_a_second_factor_ends_once_the_user_has_one() {
    let w = World::start_with(if_enrolled()).await;
    let mut b = bob_with_the_password_alone(&w).await;
    // Bob sets up a factor elsewhere (here: the application writes it).
    let subject = w.user("bob@example.com", "5551230002").await;
    let page = b.get("/account").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/authy/login?return_to=%2Faccount"),
        "the password alone no longer counts: {}",
        page.body
    );
    b.login("bob@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    b.post("/authy/confirm", &[]).await;
    assert!(b.get("/account").await.body.ends_with("two factors"));
}

/// Admins must use a second factor; everyone else may.
async fn only_the_users_a_predicate_selects_must_have_a_factor(w: &World) {
    w.users.insert("admin@example.com", PASSWORD, []);
    let mut admin = w.browser();
    let login = admin.login("admin@example.com", PASSWORD).await;
    assert_eq!(
        login.location.as_deref(),
        Some("/authy/enrol"),
        "an admin without a factor enrols: {}",
        login.body
    );
    assert_eq!(admin.get("/account").await.status, 303);
    bob_with_the_password_alone(w).await;
}

fn admins_only() -> Policy {
    Policy::required_for(|user| user.login.starts_with("admin@"))
}

#[tokio::test]
async fn only_admins_must_have_a_second_factor() {
    let w = in_memory(admins_only()).await;
    only_the_users_a_predicate_selects_must_have_a_factor(&w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_must_have_a_second_factor_on_redis() {
    with_redis(admins_only(), |w| async move {
        only_the_users_a_predicate_selects_must_have_a_factor(&w).await;
    })
    .await;
}

fn grace_of_an_hour() -> Policy {
    Policy::required_after(UNIX_EPOCH + Duration::from_secs(T0.unsigned_abs() + 3_600))
}

/// Before the date, enrolment is offered at login and may be skipped; from the date on, the
/// same session is sent to set a factor up and a new login enrols with no way to skip.
async fn grace(w: &World) {
    w.users.insert("bob@example.com", PASSWORD, []);
    let mut b = w.browser();
    let login = b.login("bob@example.com", PASSWORD).await;
    assert_eq!(
        login.location.as_deref(),
        Some("/authy/enrol?return_to=%2Faccount&offer=1"),
        "{}",
        login.body
    );
    let offer = b.get(login.location.as_deref().unwrap()).await;
    assert!(offer.body.contains("Turn on the second step"));
    assert!(
        offer.body.contains(r#"href="/account">Skip for now"#),
        "{}",
        offer.body
    );
    assert!(b.get("/account").await.body.ends_with("password only"));

    w.advance(3_600);
    assert_eq!(
        b.get("/account").await.location.as_deref(),
        Some("/authy/enrol?return_to=%2Faccount")
    );
    let mut c = w.browser();
    let login = c.login("bob@example.com", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/authy/enrol"));
    let form = c.get("/authy/enrol").await;
    assert!(form.body.contains("Turn on the second step"));
    assert!(!form.body.contains("Skip for now"));
    assert_eq!(c.get("/account").await.status, 303);
}

#[tokio::test]
async fn before_the_grace_date_enrolment_is_offered_and_may_be_skipped_after_it_is_required() {
    grace(&in_memory(grace_of_an_hour()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_period_on_redis() {
    with_redis(grace_of_an_hour(), |w| async move { grace(&w).await }).await;
}

#[tokio::test]
async fn without_enrolment_a_route_that_requires_a_factor_says_so() {
    let w = World::configured(|b| b.policy(Policy::if_enrolled())).await;
    let mut b = bob_with_the_password_alone(&w).await;
    let admin = b.get("/admin").await;
    assert_eq!(admin.status, 403, "no way round to a login and back");
    assert!(
        admin.body.contains("Second factor required"),
        "{}",
        admin.body
    );
}

/// The default: a user without a factor enrols at login, and no "offer" in the address makes
/// it skippable.
async fn required(w: &World) {
    w.users.insert("bob@example.com", PASSWORD, []);
    let mut b = w.browser();
    let login = b.login("bob@example.com", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/authy/enrol"));
    let page = b.get("/authy/enrol?offer=1&return_to=/account").await;
    assert!(page.body.contains("Turn on the second step"));
    assert!(!page.body.contains("Skip for now"), "{}", page.body);
    assert_eq!(b.get("/account").await.status, 303);
    assert_eq!(b.get("/admin").await.status, 303);
}

#[tokio::test]
async fn the_default_policy_lets_nobody_in_with_the_password_alone() {
    let w = World::start().await;
    w.users.insert("bob@example.com", PASSWORD, []);
    let mut b = w.browser();
    let login = b.login("bob@example.com", PASSWORD).await;
    assert_eq!(login.status, 401, "no factor, no enrolment: refused");
    assert_eq!(b.get("/account").await.status, 303);
    required(&in_memory(Policy::required()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_policy_on_redis() {
    with_redis(Policy::required(), |w| async move { required(&w).await }).await;
}

/// Where the policy does not require a second factor, a user may remove their last one (a
/// fresh proof, as for any removal); their next login is then the password alone. Where it
/// does, the same request is refused (409) and the factor stays.
#[tokio::test]
async fn the_last_factor_goes_only_where_the_policy_allows() {
    use tower_authy::{FactorStore, UserStore, secret::Password};
    for (policy, removed) in [(Policy::if_enrolled(), true), (Policy::required(), false)] {
        let w = in_memory(policy).await;
        let subject = w.user("ada@example.com", "5551230001").await;
        let password = Password::new(PASSWORD);
        let ada = w.users.verify_password("ada@example.com", &password).await;
        let ada = ada.unwrap().unwrap().id;
        let factor = w.users.factors(&ada).await.unwrap()[0].id.clone();
        let mut b = w.browser();
        assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
        let push = w.latest_push(subject).await;
        w.approve(&push).await;
        assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
        let answer = b
            .post("/authy/factors/remove", &[("factor", &factor)])
            .await;
        let left = w.users.factors(&ada).await.unwrap().len();
        if removed {
            assert_eq!(
                answer.location.as_deref(),
                Some("/authy/factors"),
                "{}",
                answer.body
            );
            assert_eq!(left, 0);
            let next = w.browser().login("ada@example.com", PASSWORD).await;
            assert_eq!(
                next.location.as_deref(),
                Some("/account"),
                "the password alone"
            );
        } else {
            assert_eq!(answer.status, 409, "{}", answer.body);
            assert_eq!(left, 1);
        }
    }
}

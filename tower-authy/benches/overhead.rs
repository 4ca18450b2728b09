//! Protected-route overhead for an already-verified session: the same trivial handler
//! (a) bare, (b) behind tower-sessions reading the user id from the session, (c) behind
//! axum-login's `login_required!`, (d) behind tower-authy, and (e) behind a hand-written
//! `from_fn` guard doing the least a session-checking layer can, and (f) the same guard on
//! tower-http's `AsyncRequireAuthorizationLayer`. In-process with criterion (ns per
//! request; its estimates, read back after the run, give the ratios) and, when `wrk` is installed,
//! over HTTP on loopback (requests per second). Ratios are to (b), measured in the same run.
//!
//! `cargo bench -p tower-authy --bench overhead`

#![allow(clippy::unwrap_used, missing_docs)]

use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum_login::{
    AuthManagerLayerBuilder, AuthSession, AuthUser, AuthnBackend, UserId, login_required,
};
use criterion::Criterion;
use http::{Request, header};
use tower::{Service, ServiceExt};
use tower_authy::store::RedisChallengeStore;
use tower_authy::{
    TwoFactor, VerifiedUser, provider::authy::AuthyClient, secret::ApiKey, store::MemoryUserStore,
};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer, SessionStore};
use tower_sessions_redis_store::RedisStore;

const GROUP: &str = "protected-route";

#[derive(Clone, Debug)]
struct PlainUser(i64);

impl AuthUser for PlainUser {
    type Id = i64;
    fn id(&self) -> i64 {
        self.0
    }
    fn session_auth_hash(&self) -> &[u8] {
        b"v1"
    }
}

#[derive(Clone)]
struct Backend;

impl AuthnBackend for Backend {
    type User = PlainUser;
    type Credentials = ();
    type Error = std::convert::Infallible;
    async fn authenticate(&self, (): ()) -> Result<Option<PlainUser>, Self::Error> {
        Ok(Some(PlainUser(7)))
    }
    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<PlainUser>, Self::Error> {
        Ok(Some(PlainUser(*id)))
    }
}

async fn call(
    app: &mut Router,
    cookie: Option<&str>,
    method: &str,
    uri: &str,
    body: &str,
) -> http::Response<Body> {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if method == "POST" {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let req = req.body(Body::from(body.to_owned())).unwrap();
    <Router as ServiceExt<Request<Body>>>::ready(app)
        .await
        .unwrap()
        .call(req)
        .await
        .unwrap()
}

/// The session cookie a response sets, as a `Cookie` header value.
/// The session cookie a response sets (a completed login also sets the device cookie).
fn cookie_of(r: &http::Response<Body>) -> String {
    let cookie = r
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|set| tower_sessions::cookie::Cookie::parse(set.to_str().unwrap()).unwrap())
        .find(|c| !c.name().contains("tower-authy-known"))
        .unwrap();
    format!("{}={}", cookie.name(), cookie.value())
}

async fn body_text(r: http::Response<Body>) -> String {
    String::from_utf8(
        axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap()
}

/// The four apps, each with a cookie for a logged-in (for (d): two-factor verified) session.
async fn apps(
    mock: &mock_authy::MockAuthy,
    redis: Option<&str>,
) -> Vec<(&'static str, Router, Option<String>)> {
    let bare = Router::new().route("/", get(|| async { "ok" }));

    let sessions = sessions_app(MemoryStore::default());

    let auth_layer = AuthManagerLayerBuilder::new(
        Backend,
        SessionManagerLayer::new(MemoryStore::default()).with_secure(false),
    )
    .build();
    let axum_login = Router::new()
        .route(
            "/",
            get(|a: AuthSession<Backend>| async move {
                a.user.map(|u| u.0.to_string()).unwrap_or_default()
            }),
        )
        .route_layer(login_required!(Backend))
        .route(
            "/login",
            post(|mut a: AuthSession<Backend>| async move {
                let u = a.authenticate(()).await.unwrap().unwrap();
                a.login(&u).await.unwrap();
            }),
        )
        .layer(auth_layer);

    let client = AuthyClient::builder(ApiKey::new(mock.api_key()))
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let authy_id = client
        .register_user("bench@example.com", "5550000001", "1")
        .await
        .unwrap();
    let users = MemoryUserStore::new();
    users.insert(
        "bench@example.com",
        "pw",
        [tower_authy::factors::Factor::of(&client, authy_id, 0)],
    );
    let tower_authy = tower_authy_app(client.clone(), users.clone(), None, MemoryStore::default());

    // (e) The least any session-checking guard layer does: read the id, pass it on, or redirect.
    async fn guard(
        session: Session,
        mut req: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        match session.get::<String>("user_id").await.unwrap() {
            Some(id) => {
                req.extensions_mut().insert(id);
                next.run(req).await
            }
            None => (http::StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response(),
        }
    }
    let hand_written = Router::new()
        .route(
            "/",
            get(|axum::Extension(id): axum::Extension<String>| async move { id }),
        )
        .route_layer(axum::middleware::from_fn(guard))
        .route(
            "/login",
            post(|s: Session| async move { s.insert("user_id", "7").await.unwrap() }),
        )
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false));

    let on_tower_http = Router::new()
        .route(
            "/",
            get(|axum::Extension(id): axum::Extension<String>| async move { id }),
        )
        .route_layer(tower_http::auth::AsyncRequireAuthorizationLayer::new(
            SessionAuthorizer,
        ))
        .route(
            "/login",
            post(|s: Session| async move { s.insert("user_id", "7").await.unwrap() }),
        )
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false));

    let mut out = vec![("a bare", bare, None)];
    for (name, mut app) in [
        ("b tower-sessions", sessions),
        ("c axum-login", axum_login),
        ("e hand-written guard", hand_written),
        ("f tower-http authorize", on_tower_http),
    ] {
        let r = call(&mut app, None, "POST", "/login", "").await;
        let cookie = cookie_of(&r);
        out.push((name, app, Some(cookie)));
    }
    // (d): a real login through tower-authy: password, then the app token from the mock.
    let mut app = tower_authy;
    let cookie = verified_cookie(&mut app, mock, authy_id).await;
    out.push(("d tower-authy", app, Some(cookie)));

    // (g) and (h): the same over a real Redis (tower-sessions-redis-store, and tower-authy's
    // challenges in Redis too), when redis-server is installed.
    if let Some(url) = redis {
        let store = RedisChallengeStore::connect(url, 2).await.unwrap();
        let redis_sessions = RedisStore::new(store.pool().clone());
        let mut sessions_on_redis = sessions_app(redis_sessions.clone());
        let r = call(&mut sessions_on_redis, None, "POST", "/login", "").await;
        out.push((
            "g tower-sessions, Redis",
            sessions_on_redis,
            Some(cookie_of(&r)),
        ));
        let mut app = tower_authy_app(client, users, Some(store), redis_sessions);
        let cookie = verified_cookie(&mut app, mock, authy_id).await;
        out.push(("h tower-authy, Redis", app, Some(cookie)));
    }
    out
}

/// (b) and (g): a handler reading the user id from a tower-sessions session in `store`, and a
/// `/login` that puts one there.
fn sessions_app<S: SessionStore + Clone>(store: S) -> Router {
    Router::new()
        .route(
            "/",
            get(|s: Session| async move {
                s.get::<String>("user_id")
                    .await
                    .unwrap()
                    .unwrap_or_default()
            }),
        )
        .route(
            "/login",
            post(|s: Session| async move { s.insert("user_id", "7").await.unwrap() }),
        )
        .layer(SessionManagerLayer::new(store).with_secure(false))
}

/// The protected route behind tower-authy, with its challenges in `store` (memory if `None`).
fn tower_authy_app<S: SessionStore + Clone>(
    client: AuthyClient,
    users: MemoryUserStore,
    store: Option<RedisChallengeStore>,
    sessions: S,
) -> Router {
    let mut builder = TwoFactor::builder(client, users.clone(), users)
        .callback_url("http://127.0.0.1:1/authy/callback")
        .with_insecure_http_for_local_demo();
    if let Some(store) = store {
        builder = builder.challenge_store(store);
    }
    let two_factor = builder.build().unwrap();
    Router::new()
        .route("/", get(|u: VerifiedUser| async move { u.user_id }))
        .route_layer(two_factor.layer())
        .merge(two_factor.router())
        .layer(two_factor.session_layer(sessions))
}

/// Logs the bench user in with both factors (password, then the app's code from the mock);
/// returns the verified session's cookie.
async fn verified_cookie(app: &mut Router, mock: &mock_authy::MockAuthy, authy_id: u64) -> String {
    let csrf_on = |page: String| {
        page.split("name=\"csrf_token\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let r = call(app, None, "GET", "/authy/login", "").await;
    let mut cookie = cookie_of(&r);
    let csrf = csrf_on(body_text(r).await);
    let r = call(
        app,
        Some(&cookie),
        "POST",
        "/authy/login",
        &format!("login=bench%40example.com&password=pw&csrf_token={csrf}"),
    )
    .await;
    cookie = cookie_of(&r);
    // The session id changed, and the CSRF token with it: the waiting page has the new one.
    let r = call(app, Some(&cookie), "GET", "/authy/verify", "").await;
    let csrf = csrf_on(body_text(r).await);
    // A code is single use: each login takes the next time step's.
    mock.advance_clock(std::time::Duration::from_secs(30));
    let token = mock.app_token(authy_id).unwrap();
    let r = call(
        app,
        Some(&cookie),
        "POST",
        "/authy/token",
        &format!("token={token}&csrf_token={csrf}"),
    )
    .await;
    assert_eq!(r.status(), 303);
    cookie_of(&r)
}

/// (f): the (e) guard as a tower-http authorizer.
#[derive(Clone)]
struct SessionAuthorizer;

impl<B: Send + 'static> tower_http::auth::AsyncAuthorizeRequest<B> for SessionAuthorizer {
    type RequestBody = B;
    type ResponseBody = Body;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Request<B>, http::Response<Body>>> + Send>,
    >;

    fn authorize(&mut self, mut req: Request<B>) -> Self::Future {
        Box::pin(async move {
            let session = req.extensions().get::<Session>().cloned().unwrap();
            match session.get::<String>("user_id").await.unwrap() {
                Some(id) => {
                    req.extensions_mut().insert(id);
                    Ok(req)
                }
                None => Err(
                    (http::StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response(),
                ),
            }
        })
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Checks every variant answers 200 for its logged-in cookie, then lets criterion time them.
fn in_process(
    c: &mut Criterion,
    rt: &tokio::runtime::Runtime,
    apps: &[(&'static str, Router, Option<String>)],
) {
    let mut group = c.benchmark_group(GROUP);
    for (name, app, cookie) in apps {
        let r = rt.block_on(call(&mut app.clone(), cookie.as_deref(), "GET", "/", ""));
        assert_eq!(r.status(), 200, "{name}");
        group.bench_function(*name, |b| {
            // Every variant pays the same Router clone (an Arc) per request.
            b.to_async(rt).iter(|| {
                let (mut app, cookie) = (app.clone(), cookie.as_deref());
                async move { std::hint::black_box(call(&mut app, cookie, "GET", "/", "").await) }
            });
        });
    }
    group.finish();
}

/// The median time per request criterion estimated for one variant, in nanoseconds.
fn estimate_ns(name: &str) -> f64 {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion");
    let file = dir.join(GROUP).join(name).join("new/estimates.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["median"]["point_estimate"].as_f64().unwrap()
}

/// Requests per second from `wrk` against each app served on loopback, interleaved three times.
async fn over_http(apps: &[(&'static str, Router, Option<String>)]) -> Option<Vec<f64>> {
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("wrk is not installed: skipping the HTTP figures (apt-get install wrk)");
        return None;
    }
    let mut urls = Vec::new();
    for (_, app, cookie) in apps {
        let base = test_support::Server::bind().await.serve(app.clone());
        urls.push((format!("{base}/"), cookie.clone()));
    }
    let mut rps = vec![Vec::new(); apps.len()];
    for _ in 0..3 {
        for (i, (url, cookie)) in urls.iter().enumerate() {
            let mut cmd = tokio::process::Command::new("wrk");
            cmd.args(["-t1", "-c32", "-d3s", url]);
            if let Some(c) = cookie {
                cmd.args(["-H", &format!("Cookie: {c}")]);
            }
            let out = String::from_utf8(cmd.output().await.unwrap().stdout).unwrap();
            assert!(!out.contains("Non-2xx"), "{out}");
            let r: f64 = out
                .lines()
                .find_map(|l| l.strip_prefix("Requests/sec:"))
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            rps[i].push(r);
        }
    }
    Some(rps.into_iter().map(median).collect())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock = rt
        .block_on(mock_authy::MockAuthy::builder().seed(1).start())
        .unwrap();
    let redis = rt.block_on(test_support::RedisServer::start());
    let apps = rt.block_on(apps(&mock, redis.as_ref().map(|r| r.url.as_str())));
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    in_process(&mut c, &rt, &apps);
    c.final_summary();
    // Under `cargo test` criterion runs each variant once as a check and measures nothing.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let ns: Vec<f64> = apps.iter().map(|(name, _, _)| estimate_ns(name)).collect();
    let base = ns[1];
    println!("in-process, ns per request (criterion's median estimate); throughput ratio to (b):");
    for ((name, _, _), n) in apps.iter().zip(&ns) {
        println!("  {name:<24} {n:>8.0} ns   {:.3}", base / n);
    }
    if ns.len() > 6 {
        println!("  (h) to (g), both on Redis: {:.3}", ns[6] / ns[7]);
    }
    if let Some(rps) = rt.block_on(over_http(&apps)) {
        let base = rps[1];
        println!(
            "over HTTP (wrk -t1 -c32 -d3s, median of 3 interleaved runs), requests/s; ratio to (b):"
        );
        for ((name, _, _), r) in apps.iter().zip(&rps) {
            println!("  {name:<24} {r:>8.0} /s   {:.3}", r / base);
        }
        if rps.len() > 6 {
            println!("  (h) to (g), both on Redis: {:.3}", rps[7] / rps[6]);
        }
    }
}

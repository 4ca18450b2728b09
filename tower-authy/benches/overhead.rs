//! Protected-route overhead for an already-verified session: the same trivial handler
//! (a) bare, (b) behind tower-sessions reading the user id from the session, (c) behind
//! axum-login's `login_required!`, (d) behind tower-authy, and (e) behind a hand-written
//! `from_fn` guard doing the least a session-checking layer can. In-process (ns per request, median of
//! interleaved rounds) and, when `wrk` is installed, over HTTP on loopback (requests per second).
//! Ratios are to (b), measured in the same run.
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
use http::{Request, header};
use std::time::Instant;
use tower::{Service, ServiceExt};
use tower_authy::{ApiKey, AuthyClient, MemoryUserStore, TwoFactor, VerifiedUser};
use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

const PER_ROUND: usize = 20_000;
const ROUNDS: usize = 9;

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

fn cookie_of(r: &http::Response<Body>) -> String {
    r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
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
async fn apps(mock: &mock_authy::MockAuthy) -> Vec<(&'static str, Router, Option<String>)> {
    let bare = Router::new().route("/", get(|| async { "ok" }));

    let sessions = Router::new()
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
        .layer(SessionManagerLayer::new(MemoryStore::default()).with_secure(false));

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
    users.insert("bench@example.com", "pw", Some(authy_id));
    let two_factor = TwoFactor::builder(client, users)
        .callback_url("http://127.0.0.1:1/authy/callback")
        .with_insecure_http_for_local_demo()
        .build()
        .unwrap();
    let tower_authy = Router::new()
        .route("/", get(|u: VerifiedUser| async move { u.user_id }))
        .route_layer(two_factor.layer())
        .merge(two_factor.router())
        .layer(two_factor.session_layer(MemoryStore::default()));

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

    let mut out = vec![("a bare", bare, None)];
    for (name, mut app) in [
        ("b tower-sessions", sessions),
        ("c axum-login", axum_login),
        ("e hand-written guard", hand_written),
    ] {
        let r = call(&mut app, None, "POST", "/login", "").await;
        let cookie = cookie_of(&r);
        out.push((name, app, Some(cookie)));
    }
    // (d): a real login through tower-authy: password, then the app token from the mock.
    let mut app = tower_authy;
    let r = call(&mut app, None, "GET", "/authy/login", "").await;
    let mut cookie = cookie_of(&r);
    let page = body_text(r).await;
    let csrf = page
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = call(
        &mut app,
        Some(&cookie),
        "POST",
        "/authy/login",
        &format!("login=bench%40example.com&password=pw&csrf_token={csrf}"),
    )
    .await;
    cookie = cookie_of(&r);
    let token = mock.app_token(authy_id).unwrap();
    let r = call(
        &mut app,
        Some(&cookie),
        "POST",
        "/authy/token",
        &format!("token={token}&csrf_token={csrf}"),
    )
    .await;
    assert_eq!(r.status(), 303);
    cookie = cookie_of(&r);
    out.push(("d tower-authy", app, Some(cookie)));
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn in_process(apps: &mut [(&'static str, Router, Option<String>)]) -> Vec<f64> {
    let mut samples = vec![Vec::new(); apps.len()];
    // Warm up, and check every variant answers 200 for its logged-in cookie.
    for (name, app, cookie) in apps.iter_mut() {
        let r = call(app, cookie.as_deref(), "GET", "/", "").await;
        assert_eq!(r.status(), 200, "{name}");
        for _ in 0..2_000 {
            let _ = call(app, cookie.as_deref(), "GET", "/", "").await;
        }
    }
    for _ in 0..ROUNDS {
        for (i, (_, app, cookie)) in apps.iter_mut().enumerate() {
            let t0 = Instant::now();
            for _ in 0..PER_ROUND {
                let r = call(app, cookie.as_deref(), "GET", "/", "").await;
                std::hint::black_box(r.into_response());
            }
            samples[i].push(t0.elapsed().as_nanos() as f64 / PER_ROUND as f64);
        }
    }
    samples.into_iter().map(median).collect()
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push((
            format!("http://{}/", listener.local_addr().unwrap()),
            cookie.clone(),
        ));
        let app = app.clone();
        tokio::spawn(async move {
            axum::serve(
                axum::serve::ListenerExt::tap_io(listener, |tcp| drop(tcp.set_nodelay(true))),
                app,
            )
            .await
            .unwrap()
        });
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
    rt.block_on(async {
        let mock = mock_authy::MockAuthy::builder().seed(1).start().await.unwrap();
        let mut apps = apps(&mock).await;
        let ns = in_process(&mut apps).await;
        let base = ns[1];
        println!("in-process, ns per request (median of {ROUNDS} rounds of {PER_ROUND}); throughput ratio to (b):");
        for ((name, _, _), n) in apps.iter().zip(&ns) {
            println!("  {name:<22} {n:>8.0} ns   {:.3}", base / n);
        }
        if let Some(rps) = over_http(&apps).await {
            let base = rps[1];
            println!("over HTTP (wrk -t1 -c32 -d3s, median of 3 interleaved runs), requests/s; ratio to (b):");
            for ((name, _, _), r) in apps.iter().zip(&rps) {
                println!("  {name:<22} {r:>8.0} /s   {:.3}", r / base);
            }
        }
    });
}

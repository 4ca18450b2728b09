//! The demo locked down (issue 9): its own Host only, security headers everywhere, a random key
//! for the embedded mock, sign-ups limited per phone and per address, slow clients cut off.

#![allow(clippy::unwrap_used)]

use demo::{AuthyMode, Config, Demo};
use std::time::Duration;
use test_support::Browser;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

const WAIT: Duration = Duration::from_secs(10);

async fn start(request_timeout: Duration) -> Demo {
    demo::start(Config {
        provider: demo::Provider::Authy,
        verify: None,
        totp_key: None,
        listen: "127.0.0.1:0".parse().unwrap(),
        database: ":memory:".into(),
        authy: AuthyMode::Embedded,
        cheap_hashing: true,
        request_timeout,
        redis: None,
        insecure_http_callback_on_loopback: false,
        passkey_origin: None,
    })
    .await
    .unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_up(demo: &Demo, email: &str, phone: &str) -> u16 {
    let mut b = Browser::new(&demo.url);
    let fields = [
        ("name", "Ada"),
        ("email", email),
        ("password", "a long enough password"),
        ("country_code", "1"),
        ("phone", phone),
    ];
    b.post("/signup", &fields).await.status
}

#[tokio::test]
async fn requests_for_another_host_are_refused() {
    let demo = start(WAIT).await;
    for path in ["/", "/signup", "/authy/login", "/authy/callback"] {
        let r = http()
            .get(format!("{}{path}", demo.url))
            .header("host", "rebound.example:3000")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 421, "{path}");
    }
    let port = demo.url.rsplit(':').next().unwrap();
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let r = http()
            .get(format!("{}/", demo.url))
            .header("host", host.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let demo = start(WAIT).await;
    for path in [
        "/",
        "/signup",
        "/account",
        "/authy/login",
        "/static/app.css",
        "/nope",
    ] {
        let r = http()
            .get(format!("{}{path}", demo.url))
            .send()
            .await
            .unwrap();
        let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok());
        assert_eq!(h("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(h("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(
            h("content-security-policy"),
            Some(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                 connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
            "{path}"
        );
        let cache = h("cache-control").unwrap_or_default();
        if path == "/static/app.css" {
            assert_eq!(cache, "max-age=300", "the stylesheet keeps its own caching");
        } else {
            assert_eq!(cache, "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn the_embedded_mock_has_a_random_key_each_run() {
    let (a, b) = (start(WAIT).await, start(WAIT).await);
    let key = |d: &Demo| d.mock.as_ref().unwrap().api_key().to_owned();
    assert_ne!(key(&a), mock_authy::DEFAULT_API_KEY);
    assert_ne!(key(&a), key(&b));
    assert!(key(&a).len() >= 32);
}

#[tokio::test]
async fn sign_ups_are_limited_per_phone_and_per_address() {
    let demo = start(WAIT).await;
    for n in 0..3 {
        assert_eq!(
            sign_up(&demo, &format!("p{n}@example.com"), "5550000001").await,
            303
        );
    }
    assert_eq!(
        sign_up(&demo, "p3@example.com", "5550000001").await,
        429,
        "a fourth account on one phone in an hour"
    );
    let mock = demo.mock.as_ref().unwrap();
    assert_eq!(
        mock.users().len(),
        1,
        "the refused sign-up never reached Authy"
    );

    // Seven more phones bring this address to ten sign-ups; the eleventh is refused.
    for n in 0..7 {
        assert_eq!(
            sign_up(
                &demo,
                &format!("q{n}@example.com"),
                &format!("555100000{n}")
            )
            .await,
            303
        );
    }
    assert_eq!(sign_up(&demo, "r@example.com", "5552000000").await, 429);
    assert_eq!(mock.users().len(), 8);
}

/// Sends `request`, then waits for the server to answer or hang up.
async fn answer_to(demo: &Demo, request: &str) -> String {
    let mut tcp = tokio::net::TcpStream::connect(demo.url.trim_start_matches("http://"))
        .await
        .unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(WAIT, tcp.read(&mut buf))
        .await
        .expect("the server gave up on the slow client in time")
        .unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn slow_headers_and_slow_bodies_are_cut_off() {
    let demo = start(Duration::from_secs(1)).await;
    let port = demo.url.rsplit(':').next().unwrap();
    // Headers that never end: the connection is closed (hyper may say 408 first).
    let answer = answer_to(
        &demo,
        &format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: "),
    )
    .await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );
    // A sign-up body that never arrives.
    let answer = answer_to(
        &demo,
        &format!(
            "POST /signup HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nname=A"
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
}

/// tower-authy's login and second-factor pages come inside the demo's own header, with nothing
/// inline for the strict Content-Security-Policy to block.
#[tokio::test]
async fn second_factor_pages_carry_the_site_header_and_nothing_inline() {
    let demo = start(WAIT).await;
    assert_eq!(sign_up(&demo, "ada@example.com", "5551230001").await, 303);
    let mut b = Browser::new(&demo.url);
    let login = b.get("/authy/login").await;
    let password = b.login("ada@example.com", "a long enough password").await;
    assert_eq!(password.location.as_deref(), Some("/authy/verify"));
    let verify = b.get("/authy/verify").await;
    for page in [&login, &verify, &b.get("/").await, &b.get("/signup").await] {
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(r#"<header class="site">"#),
            "{}",
            page.body
        );
        assert!(page.body.contains(r#"href="/static/app.css""#));
        for inline in ["<style", "style=", "<script>", "onclick="] {
            assert!(!page.body.contains(inline), "{inline} in {}", page.body);
        }
    }
    assert!(verify.body.contains("Second step · Authy demo"));
}

/// `GET /metrics` answers on its own loopback listener, in Prometheus's format, with
/// tower-authy's counters moving as people log in; a non-loopback address is refused.
#[tokio::test]
async fn metrics_answer_on_a_loopback_listener_of_their_own() {
    let refused = demo::metrics::serve("0.0.0.0:0".parse().unwrap()).await;
    assert!(matches!(
        refused,
        Err(demo::metrics::MetricsError::NotLoopback(_))
    ));
    let addr = demo::metrics::serve("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let demo = start(Duration::from_secs(10)).await;
    assert_eq!(sign_up(&demo, "ada@example.com", "5551230001").await, 303);
    let mut b = Browser::new(&demo.url);
    b.login("ada@example.com", "a long enough password").await;
    let rebound = http()
        .get(format!("http://{addr}/metrics"))
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421, "another Host reads nothing");
    let scrape = http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), 200);
    let text = scrape.text().await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("tower_authy_first_factor_total{outcome=\"success\"}")),
        "{text}"
    );
    assert!(
        text.contains("tower_authy_pushes_total{outcome=\"sent\"}"),
        "{text}"
    );
    assert!(
        demo.url.parse::<reqwest::Url>().unwrap().port() != Some(addr.port()),
        "not on the app's own listener"
    );
    demo.stop();
}

//! Response hygiene: security headers on every response, a strict CSP with nothing inline,
//! the application's layout around the pages, and slow or oversized bodies cut off.

use std::time::Duration;
use test_support::{PASSWORD, World};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Sends raw bytes and reads the answer's status line, giving up after `deadline`.
async fn raw_status(base: &str, request: &str, deadline: Duration) -> Option<String> {
    let addr = base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(deadline, tcp.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .map(str::to_owned)
}

#[tokio::test]
async fn a_slow_body_is_refused_within_the_timeout() {
    let w = World::configured(|b| b.body_timeout(Duration::from_secs(1))).await;
    // Declares 200 bytes, sends 7, then nothing.
    let request = "POST /authy/login HTTP/1.1\r\nHost: app\r\n\
                   Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nlogin=a";
    let status = raw_status(&w.base, request, test_support::WAIT).await;
    assert_eq!(status.as_deref(), Some("HTTP/1.1 408 Request Timeout"));
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let w = World::start().await;
    for path in ["/authy/login", "/authy/callback", "/authy/token"] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: app\r\nContent-Type: application/json\r\n\
             Content-Length: 10000000\r\n\r\n"
        );
        let status = raw_status(&w.base, &request, test_support::WAIT).await;
        assert_eq!(
            status.as_deref(),
            Some("HTTP/1.1 413 Payload Too Large"),
            "{path}"
        );
    }
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("cache-control", "no-store"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
];

#[tokio::test]
async fn every_tower_authy_response_carries_the_security_headers() {
    let w = World::start().await;
    w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let csrf = b.csrf_token().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = b.cookie().unwrap();
    let url = |p: &str| format!("{}{p}", w.base);
    let form = [("csrf_token", csrf.as_str()), ("token", "12")];
    let requests = vec![
        ("guard", http.get(url("/account"))),
        (
            "guard json",
            http.get(url("/account"))
                .header("accept", "application/json"),
        ),
        ("login page", http.get(url("/authy/login"))),
        (
            "verify page",
            http.get(url("/authy/verify")).header("cookie", &cookie),
        ),
        (
            "status",
            http.get(url("/authy/status")).header("cookie", &cookie),
        ),
        (
            "events",
            http.get(url("/authy/events")).header("cookie", &cookie),
        ),
        ("status without login", http.get(url("/authy/status"))),
        (
            "token",
            http.post(url("/authy/token"))
                .header("cookie", &cookie)
                .form(&form),
        ),
        (
            "sms without csrf",
            http.post(url("/authy/sms")).header("cookie", &cookie),
        ),
        (
            "call",
            http.post(url("/authy/call"))
                .header("cookie", &cookie)
                .form(&form),
        ),
        (
            "confirm",
            http.post(url("/authy/confirm"))
                .header("cookie", &cookie)
                .form(&form),
        ),
        (
            "login",
            http.post(url("/authy/login")).form(&[("login", "x")]),
        ),
        ("logout", http.post(url("/authy/logout")).form(&form)),
        ("callback", http.post(url("/authy/callback")).body("{}")),
        ("callback get", http.get(url("/authy/callback"))),
        (
            "too large",
            http.post(url("/authy/login")).body(vec![b'a'; 100_000]),
        ),
    ];
    for (name, req) in requests {
        let r = req.send().await.unwrap();
        for (header, value) in SECURITY_HEADERS {
            assert_eq!(
                r.headers().get(header).and_then(|v| v.to_str().ok()),
                Some(value),
                "{name} ({}) lacks {header}",
                r.status()
            );
        }
    }
    // The application's own routes are its business.
    let home = http.get(url("/")).send().await.unwrap();
    assert!(home.headers().get("x-frame-options").is_none());
}

#[tokio::test]
async fn apps_that_set_their_own_headers_can_turn_them_off() {
    let w = World::configured(|b| b.without_security_headers()).await;
    let r = reqwest::get(format!("{}/authy/login", w.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for (header, _) in SECURITY_HEADERS {
        assert!(r.headers().get(header).is_none(), "{header}");
    }
}

/// The pages hold no inline script, style or event handler, so the strict CSP costs nothing;
/// their stylesheet and script come from tower-authy's own routes.
#[tokio::test]
async fn pages_have_nothing_inline_and_their_assets_are_served() {
    let w = World::start().await;
    w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    let login = b.get("/authy/login").await;
    b.login("ada@example.com", PASSWORD).await;
    let verify = b.get("/authy/verify").await;
    for page in [&login, &verify] {
        assert_eq!(page.status, 200);
        for inline in ["<style", "style=", "onclick", "onload", "javascript:"] {
            assert!(!page.body.contains(inline), "{inline} in {}", page.body);
        }
        assert!(!page.body.contains("<script>"), "no inline script");
        assert!(
            page.body
                .contains(r#"href="/authy/assets/tower-authy.css""#)
        );
    }
    assert!(
        verify
            .body
            .contains(r#"<script src="/authy/assets/tower-authy.js" defer>"#)
    );
    for (path, kind, needle) in [
        ("/authy/assets/tower-authy.css", "text/css", "button"),
        (
            "/authy/assets/tower-authy.js",
            "text/javascript",
            "EventSource",
        ),
    ] {
        let asset = b.get(path).await;
        assert_eq!(asset.status, 200, "{path}");
        assert!(asset.content_type.starts_with(kind), "{path}");
        assert!(asset.body.contains(needle), "{path}");
    }
}

/// An application's layout wraps every tower-authy page; values stay escaped.
#[tokio::test]
async fn a_layout_wraps_the_pages_in_the_applications_own() {
    let w = World::configured(|b| {
        b.layout(|page: tower_authy::layout::PageParts<'_>| {
            format!(
                "<!doctype html><title>{} · Shop</title>{}<nav id=site>Shop</nav><main>{}</main>",
                page.title().replace('<', "&lt;"),
                page.head_html(),
                page.content_html()
            )
        })
    })
    .await;
    let mut b = w.browser();
    let page = b.get("/authy/login?return_to=/search%3Fq%3D%3Cb%3E").await;
    assert!(
        page.body
            .starts_with("<!doctype html><title>Log in · Shop</title>")
    );
    assert!(page.body.contains("<nav id=site>Shop</nav>"));
    assert!(
        page.body
            .contains(r#"<form method="post" action="/authy/login">"#)
    );
    assert!(
        page.body.contains(r#"value="/search?q=&lt;b&gt;""#),
        "the return_to value is kept, escaped: {}",
        page.body
    );
}

/// On the pages only a verified user sees, the layout is told who they are (and the session's
/// CSRF token, for a log-out form); on the login page, nobody.
#[tokio::test]
async fn a_layout_learns_who_is_logged_in_on_a_verified_users_pages() {
    let w = World::configured(|b| {
        b.recovery_codes(tower_authy::recovery::MemoryRecoveryCodeStore::new())
            .layout(|page: tower_authy::layout::PageParts<'_>| {
                let who = match (page.verified_login(), page.csrf_token()) {
                    (Some(login), Some(csrf)) => format!("{login} ({} chars)", csrf.len()),
                    _ => "nobody".to_owned(),
                };
                format!("<nav>{who}</nav><main>{}</main>", page.content_html())
            })
    })
    .await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    let login = b.get("/authy/login").await;
    assert!(
        login.body.starts_with("<nav>nobody</nav>"),
        "{}",
        login.body
    );
    b.login("ada@example.com", PASSWORD).await;
    let code = w.app_code(subject).await;
    assert_eq!(
        b.post("/authy/token", &[("token", &code)]).await.status,
        303
    );
    let csrf = b.csrf_token().await;
    let codes = b.get("/authy/recovery-codes").await;
    assert!(
        codes.body.starts_with(&format!(
            "<nav>ada@example.com ({} chars)</nav>",
            csrf.len()
        )),
        "{}",
        codes.body
    );
}

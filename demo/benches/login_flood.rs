//! The demo under a flood of concurrent logins for unknown emails, each from its own loopback
//! address (so the per-address throttle lets every one through to a password check, which for
//! an unknown email hashes Argon2's dummy at the default 19 MiB): the demo's resident memory
//! and the answers' latency, against baselines measured in the same run (the idle process, and
//! one login alone).
//!
//! `cargo bench -p demo --bench login_flood` floods with 1,000 logins at once; under
//! `cargo test` it floods with 40, to keep the bench working. The demo runs as its own
//! process (the release binary under `cargo bench`), so its memory is its own.

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let logins = if bench { 1_000 } else { 40 };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(flood(logins));
}

/// A kibibyte figure from `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One browser from `address`: it opens the login form (session and CSRF token).
struct Client {
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

async fn client(base: &str, address: IpAddr) -> Client {
    let http = reqwest::Client::builder()
        .local_address(address)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .get(format!("{base}/authy/login"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();
    Client { http, cookie, csrf }
}

impl Client {
    /// Posts the password for an unknown email; the status and how long the answer took.
    async fn login(&self, base: &str, email: &str) -> (u16, Duration) {
        let started = Instant::now();
        let r = self
            .http
            .post(format!("{base}/authy/login"))
            .header("cookie", &self.cookie)
            .form(&[
                ("login", email),
                ("password", "not the password"),
                ("csrf_token", &self.csrf),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let _ = r.bytes().await;
        (status, started.elapsed())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn flood(logins: usize) {
    let dir = std::env::temp_dir().join(format!("demo-flood-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--listen", "127.0.0.1:0", "--database"])
        .arg(dir.join("users.sqlite3"))
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = demo.id().unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let base = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the demo starts within a minute")
            .unwrap()
            .expect("the demo prints its URL");
        if let Some(url) = line.strip_prefix("demo app:") {
            break url.trim().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    // Baselines: the idle process, and one login at a time.
    let one = client(&base, IpAddr::V4(Ipv4Addr::LOCALHOST)).await;
    let mut alone = Vec::new();
    for i in 0..5 {
        alone.push(one.login(&base, &format!("alone{i}@example.com")).await.1);
    }
    alone.sort();
    let alone = alone[2];
    let idle_kib = status_kib(pid, "VmRSS:");

    // Every client has its session and token first; then all post at once.
    let mut clients = Vec::with_capacity(logins);
    for i in 0..logins {
        let address = Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8);
        clients.push(Arc::new(client(&base, IpAddr::V4(address)).await));
    }
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(status_kib(pid, "VmRSS:"), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let started = Instant::now();
    let answers: Vec<(u16, Duration)> =
        futures_util::future::join_all(clients.iter().enumerate().map(|(i, c)| {
            let (c, base) = (Arc::clone(c), base.clone());
            async move { c.login(&base, &format!("nobody{i}@example.com")).await }
        }))
        .await;
    let wall = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    let high_water_kib = status_kib(pid, "VmHWM:");
    let after_kib = status_kib(pid, "VmRSS:");

    let mut latencies: Vec<Duration> = answers.iter().map(|a| a.1).collect();
    latencies.sort();
    let count = |s: u16| answers.iter().filter(|a| a.0 == s).count();
    let others = logins - count(401) - count(503);
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "{logins} concurrent logins for unknown emails, each from its own address ({wall:.2?} in all)"
    );
    println!(
        "  answers: {} × 401 (password checked), {} × 503 + Retry-After (hashing busy), {others} other",
        count(401),
        count(503)
    );
    println!(
        "  RSS idle (baseline)      {:8.1} MiB   1.00",
        mib(idle_kib)
    );
    println!(
        "  RSS peak while flooded   {:8.1} MiB   {:.2}",
        mib(peak.load(Ordering::Relaxed).max(high_water_kib)),
        high_water_kib.max(peak.load(Ordering::Relaxed)) as f64 / idle_kib as f64
    );
    println!(
        "  RSS after                {:8.1} MiB   {:.2}",
        mib(after_kib),
        after_kib as f64 / idle_kib as f64
    );
    println!(
        "  one login alone (baseline) {:8.1} ms   1.00",
        alone.as_secs_f64() * 1e3
    );
    for (name, p) in [("p50", 0.5), ("p99", 0.99), ("max", 1.0)] {
        let t = percentile(&latencies, p);
        println!(
            "  {name} under the flood       {:8.1} ms   {:.1}",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / alone.as_secs_f64()
        );
    }
    assert_eq!(others, 0, "every answer is a 401 or a 503");
    let _ = demo.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}

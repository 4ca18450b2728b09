//! A crowd of browsers waiting on the event stream at once, on one instance: the app's memory
//! per open stream, its CPU while they wait, and approval-to-browser latency while they wait.
//!
//! `cargo bench -p tower-authy --bench crowd` (10,000 browsers; 200 under `cargo test`).
//!
//! The app and the mock run in this process; the browsers in a child (this binary again, with
//! `--browsers`), since 10,000 client and 10,000 server sockets do not fit in one process's
//! descriptor limit here. The child reads `cookie uuid` lines on stdin, opens one stream per
//! line, says `ready`, and on `go` approves a sample of the logins one at a time through the
//! mock's control API, timing each until its browser's stream reports it.

#![allow(clippy::unwrap_used, missing_docs)]

use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};
use test_support::{Durability, PASSWORD, RedisServer, World, read_events_until};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::oneshot;
use tower_authy::{store::RedisChallengeStore, store::RedisChangeFeed};

/// How many approvals are timed while the crowd waits.
const SAMPLES: usize = 500;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--browsers") {
        rt.block_on(browsers(&args[i + 1], &args[i + 2]));
        return;
    }
    let bench = args.iter().any(|a| a == "--bench");
    let crowd = if bench { 10_000 } else { 200 };
    match args.iter().position(|a| a == "--app") {
        Some(i) if args[i + 1] == "redis" => rt.block_on(async {
            // Skipped when redis-server is not installed (outside CI).
            if let Some(redis) = RedisServer::start_with(Durability::EverySecond).await {
                app(crowd, Some(&redis.url)).await;
            }
        }),
        Some(i) if args[i + 1] == "bare" => rt.block_on(bare(crowd)),
        Some(_) => rt.block_on(app(crowd, None)),
        // Each configuration in a fresh process, so that one's freed memory does not hide the
        // next one's growth.
        None => {
            for state in ["bare", "memory", "redis"] {
                let mut run = std::process::Command::new(std::env::current_exe().unwrap());
                run.args(["--app", state]);
                if bench {
                    run.arg("--bench");
                }
                assert!(run.status().unwrap().success());
            }
        }
    }
}

/// The app's side: `crowd` pending logins, then the measurements around the child's streams.
/// Challenges and announcements in memory, or in the Redis at `redis`.
async fn app(crowd: usize, redis: Option<&str>) {
    let shared = match redis {
        Some(url) => Some((
            RedisChallengeStore::connect(url, 4).await.unwrap(),
            RedisChangeFeed::connect(url, "tower-authy:").await.unwrap(),
        )),
        None => None,
    };
    println!(
        "one instance, challenges and announcements {}:",
        if redis.is_some() {
            "in Redis"
        } else {
            "in memory"
        }
    );
    let world = World::configured(|b| {
        let b = b.login_throttle(tower_authy::limits::LoginThrottle {
            per_address: 10_000,
            ..tower_authy::limits::LoginThrottle::default()
        });
        match shared {
            Some((store, feed)) => b.challenge_store(store).change_feed(feed),
            None => b,
        }
    })
    .await;
    let started = Instant::now();
    let logins: Vec<(u64, String)> = futures_util::stream::iter(0..crowd)
        .map(|i| {
            let world = &world;
            async move {
                let email = format!("u{i}@example.com");
                let authy_id = world.user(&email, &format!("555{i:07}")).await;
                let mut browser = world.browser();
                assert_eq!(browser.login(&email, PASSWORD).await.status, 303);
                (authy_id, browser.cookie().unwrap())
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let uuids: HashMap<u64, String> = world
        .mock
        .approval_requests()
        .into_iter()
        .map(|a| (a.authy_id, a.uuid))
        .collect();
    println!(
        "  {crowd} pending logins in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let input: Vec<(String, String)> = logins
        .into_iter()
        .map(|(authy_id, cookie)| (cookie, uuids[&authy_id].clone()))
        .collect();
    let mut streams = Crowd::open(&world.base, world.mock.base_url(), &input).await;
    let idle = Duration::from_secs(if crowd >= 10_000 { 10 } else { 1 });
    let cpu = cpu_seconds();
    let polls = authy_polls(&world.mock);
    let t = Instant::now();
    tokio::time::sleep(idle).await;
    let used = cpu_seconds() - cpu;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  while they wait (the {secs:.0} s after they opened): the app and the mock use {:.1}% of one core; Authy is asked about {:.0} pushes/s (lost-callback safety net)",
        100.0 * used / secs,
        (authy_polls(&world.mock) - polls) as f64 / secs
    );
    println!("  {}", streams.approve_sample().await);
    println!(
        "  the tutorial's page polls /authy/status every 2 s: {} requests/s for the same crowd",
        crowd / 2
    );
    streams.end().await;
}

/// The baseline: a bare axum server-sent event stream (one event, then silence), with no
/// sessions and no tower-authy, on the same server set-up.
async fn bare(crowd: usize) {
    use axum::response::sse::{Event, KeepAlive, Sse};
    println!("baseline, a bare axum event stream:");
    let events = || async {
        let first = futures_util::stream::once(async {
            Ok::<_, std::convert::Infallible>(Event::default().data("pending"))
        });
        Sse::new(first.chain(futures_util::stream::pending())).keep_alive(KeepAlive::default())
    };
    let app = axum::Router::new().route("/authy/events", axum::routing::get(events));
    let base = test_support::Server::bind().await.serve(app);
    let input = vec![("none=1".to_owned(), String::new()); crowd];
    Crowd::open(&base, "http://127.0.0.1:1", &input)
        .await
        .end()
        .await;
}

/// The browsers' process, with every stream open.
struct Crowd {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Crowd {
    /// Opens one stream per `(cookie, uuid)` and prints what they cost this process.
    async fn open(app: &str, mock: &str, logins: &[(String, String)]) -> Crowd {
        let before = rss_bytes();
        let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args(["--browsers", app, mock])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut input = String::new();
        for (cookie, uuid) in logins {
            input.push_str(&format!("{cookie} {uuid}\n"));
        }
        input.push('\n');
        stdin.write_all(input.as_bytes()).await.unwrap();
        let opening = Instant::now();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ready"));
        let grew = rss_bytes() - before;
        println!(
            "  {} event streams open in {:.1} s; this process's RSS grew {:.1} MiB: {:.0} B per open stream",
            logins.len(),
            opening.elapsed().as_secs_f64(),
            grew as f64 / 1_048_576.0,
            grew as f64 / logins.len() as f64
        );
        Crowd {
            child,
            stdin,
            lines,
        }
    }

    /// Has the browsers time a sample of approvals; their report.
    async fn approve_sample(&mut self) -> String {
        self.stdin.write_all(b"go\n").await.unwrap();
        self.lines.next_line().await.unwrap().unwrap()
    }

    async fn end(mut self) {
        drop(self.stdin);
        assert!(self.child.wait().await.unwrap().success());
    }
}

/// The browsers' side, in the child process.
async fn browsers(app: &str, mock: &str) {
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut logins = Vec::new();
    while let Some(line) = stdin.next_line().await.unwrap() {
        let Some((cookie, uuid)) = line.split_once(' ') else {
            break;
        };
        logins.push((cookie.to_owned(), uuid.to_owned()));
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    // Open every stream and read its first ("pending") event, 256 at a time; then each waits
    // in its own task and reports the moment its approval arrives.
    let url = format!("{app}/authy/events");
    let waiting: Vec<(String, oneshot::Receiver<Instant>)> = futures_util::stream::iter(logins)
        .map(|(cookie, uuid)| {
            let request = http.get(&url).header("cookie", cookie).send();
            async move {
                let mut events = request.await.unwrap();
                read_events_until(&mut events, "pending").await;
                let (tx, rx) = oneshot::channel();
                tokio::spawn(async move {
                    let mut seen = String::new();
                    while !seen.contains("approved") {
                        let Some(chunk) = events.chunk().await.unwrap() else {
                            return;
                        };
                        seen.push_str(&String::from_utf8_lossy(&chunk));
                    }
                    let _ = tx.send(Instant::now());
                    // Hold the connection until the run ends, as a browser on the page.
                    std::future::pending::<()>().await;
                });
                (uuid, rx)
            }
        })
        .buffer_unordered(256)
        .collect()
        .await;
    println!("ready");
    if stdin.next_line().await.unwrap().as_deref() != Some("go") {
        return;
    }

    let control = mock_authy::ControlClient::new(mock).unwrap();
    let step = (waiting.len() / SAMPLES).max(1);
    let mut latencies = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    for (uuid, arrived) in waiting.into_iter().step_by(step) {
        let t0 = Instant::now();
        control.approve(&uuid).await.unwrap();
        let arrived = tokio::time::timeout(Duration::from_secs(30), arrived)
            .await
            .expect("the approval reached the browser")
            .unwrap();
        latencies.record((arrived - t0).as_micros() as u64).unwrap();
    }
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "approval (phone -> signed callback -> stream) while the crowd waits, {} timed: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        ms(0.5),
        ms(0.99),
        latencies.max() as f64 / 1000.0
    );
}

/// How many approval-request status reads reached the mock.
fn authy_polls(mock: &mock_authy::MockAuthy) -> usize {
    mock.journal()
        .iter()
        .filter(|e| e.endpoint == "approval_request_get")
        .count()
}

/// This process's resident set, from `/proc/self/statm`.
fn rss_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: i64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// This process's CPU time so far (user + system), from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

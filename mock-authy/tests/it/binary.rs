//! The `mock-authy` binary as a CI pipeline starts it.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn binary_prints_its_address_serves_and_honours_flags() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-authy"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            "ci-key",
            "--seed",
            "4",
        ])
        .env_remove("MOCK_AUTHY_API_KEY")
        .env_remove("MOCK_AUTHY_RATE_LIMITS")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let base = first
        .strip_prefix("mock-authy listening on ")
        .unwrap()
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));

    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{base}/protected/json/app/details"))
        .header("X-Authy-API-Key", "ci-key")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let wrong = http
        .get(format!("{base}/protected/json/app/details"))
        .header("X-Authy-API-Key", "mock-authy-api-key")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let control = mock_authy::ControlClient::new(&base).unwrap();
    assert_eq!(
        control.rate_limits().await.unwrap(),
        mock_authy::RateLimits::authy(),
        "Authy's rate limits are on by default in the binary"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn binary_rejects_unknown_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_mock-authy"))
        .arg("--bogus")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bogus"));
}

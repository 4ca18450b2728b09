//! A real `redis-server` (Debian's) for one test: its own free loopback port and temporary
//! directory, stopped on drop. Restartable on the same port with its data (append-only file).

use crate::WAIT;
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const REDIS_SERVER: &str = "redis-server";

/// When the append-only file reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Before each write is acknowledged (`appendfsync always`): a crash loses nothing, which
    /// the restart tests rely on.
    EveryWrite,
    /// Once a second (`appendfsync everysec`, Redis's recommended setting for production): the
    /// benchmarks' setting.
    EverySecond,
}

/// One `redis-server` process.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    durability: Durability,
    dir: PathBuf,
    /// `redis://127.0.0.1:<port>`.
    pub url: String,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            drop(child.start_kill());
        }
        drop(std::fs::remove_dir_all(&self.dir));
    }
}

impl RedisServer {
    /// Starts a server, or `None` when `redis-server` is not installed (never under CI or
    /// `scripts/test-all.sh`, which install it and set `REQUIRE_REDIS`).
    pub async fn start() -> Option<RedisServer> {
        RedisServer::start_with(Durability::EveryWrite).await
    }

    /// [`start`](Self::start) with another [`Durability`].
    pub async fn start_with(durability: Durability) -> Option<RedisServer> {
        let installed = std::process::Command::new(REDIS_SERVER)
            .arg("--version")
            .output()
            .is_ok();
        if !installed {
            assert!(
                std::env::var_os("CI").is_none() && std::env::var_os("REQUIRE_REDIS").is_none(),
                "redis-server must be installed (scripts/test-all.sh installs it)"
            );
            eprintln!("skipping: apt-get install redis-server");
            return None;
        }
        for _ in 0..5 {
            // A free port from the system; Redis cannot take port 0 itself.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let dir = std::env::temp_dir().join(format!("redis-test-{port}"));
            std::fs::create_dir_all(&dir).unwrap();
            let mut server = RedisServer {
                child: None,
                port,
                durability,
                url: format!("redis://127.0.0.1:{port}"),
                dir,
            };
            if server.run().await {
                return Some(server);
            }
        }
        panic!("redis-server would not start");
    }

    /// Starts the process; `false` when it exited before it was ready (port taken).
    async fn run(&mut self) -> bool {
        let mut child = Command::new(REDIS_SERVER)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                match self.durability {
                    Durability::EveryWrite => "always",
                    Durability::EverySecond => "everysec",
                },
            ])
            .args(["--logfile", "", "--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(WAIT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("Ready to accept connections") {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        // Keep draining the log so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        self.child = Some(child);
        ready
    }

    /// Stops the server (as a crash would: no shutdown save beyond the append-only file).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            drop(child.kill().await);
        }
    }

    /// Starts it again on the same port, with the data it had.
    pub async fn restart(&mut self) {
        self.stop().await;
        assert!(self.run().await, "redis-server restarted");
    }
}

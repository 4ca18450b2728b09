//! `cargo run -p demo`: the tutorial app, offline on an embedded mock Authy unless told otherwise.

use demo::{AuthyMode, Config};
use std::process::ExitCode;

const USAGE: &str = "\
Usage: demo [OPTIONS]

Options (each falls back to the environment variable shown):
  --listen ADDR        where the app listens [DEMO_LISTEN] (default 127.0.0.1:3000)
  --database PATH      SQLite file for users [DEMO_DATABASE] (default demo.sqlite3)
  --public-url URL     the app's public https:// URL, for a real Authy's callbacks [DEMO_PUBLIC_URL]
  -h, --help           this text

Authy: with no AUTHY_API_KEY, an embedded mock-authy plays Authy and prints a virtual phone URL.
Set AUTHY_API_KEY (and optionally AUTHY_API_URL) and --public-url to use a real Authy.
";

fn options() -> Result<Option<Config>, String> {
    let env = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    let (mut listen, mut database, mut public_url) = (
        env("DEMO_LISTEN"),
        env("DEMO_DATABASE"),
        env("DEMO_PUBLIC_URL"),
    );
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag, None),
        };
        let slot = match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--listen" => &mut listen,
            "--database" => &mut database,
            "--public-url" => &mut public_url,
            other => return Err(format!("unknown option {other}")),
        };
        *slot = Some(
            inline
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))?,
        );
    }
    let authy = match env("AUTHY_API_KEY") {
        None => AuthyMode::Embedded,
        Some(api_key) => AuthyMode::Remote {
            api_key,
            api_url: env("AUTHY_API_URL").unwrap_or_else(|| "https://api.authy.com".to_owned()),
            public_url: public_url.ok_or("with AUTHY_API_KEY, --public-url (or DEMO_PUBLIC_URL) must give the https:// URL Authy's callbacks reach")?,
        },
    };
    Ok(Some(Config {
        listen: listen
            .as_deref()
            .unwrap_or("127.0.0.1:3000")
            .parse()
            .map_err(|e| format!("--listen: {e}"))?,
        database: database.unwrap_or_else(|| "demo.sqlite3".to_owned()).into(),
        authy,
        cheap_hashing: false,
        request_timeout: std::time::Duration::from_secs(10),
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let config = match options() {
        Ok(Some(c)) => c,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("demo: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let embedded = matches!(config.authy, AuthyMode::Embedded);
    let database = config.database.display().to_string();
    let demo = match demo::start(config).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("demo app:        {}", demo.url);
    if let Some(phone) = demo.phone_url() {
        println!("virtual phone:   {phone}");
        println!("Authy:           embedded mock (offline); approve logins on the virtual phone");
    } else {
        println!("Authy:           remote, callbacks expected at the public URL");
    }
    println!("users database:  {database}");
    if embedded {
        println!("Open the app, sign up, log in, then approve on the virtual phone. Ctrl-C stops.");
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    println!("demo: shutting down");
    demo.stop();
    ExitCode::SUCCESS
}

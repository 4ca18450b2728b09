//! `mock-authy`: the simulator as a process, for CI pipelines and demos.

use mock_authy::{CallbackMethod, MockAuthy};
use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "\
Usage: mock-authy [OPTIONS]

Options (each falls back to the environment variable shown):
  --listen ADDR             address to bind [MOCK_AUTHY_LISTEN] (default 127.0.0.1:3031; port 0 picks one)
  --api-key KEY             API key clients must send [MOCK_AUTHY_API_KEY] (default mock-authy-api-key)
  --callback-url URL        where OneTouch callbacks go [MOCK_AUTHY_CALLBACK_URL]
  --callback-method METHOD  POST or GET [MOCK_AUTHY_CALLBACK_METHOD] (default POST)
  --seed N                  reproducible ids, uuids and codes [MOCK_AUTHY_SEED]
  --allow-host NAMES        comma-separated host names the control API and phone page also
                            answer, besides loopback ones [MOCK_AUTHY_ALLOW_HOSTS]
  --control-token TOKEN     require this token on the control API and phone page, as the
                            X-Mock-Control-Token header or ?control_token= [MOCK_AUTHY_CONTROL_TOKEN]
  -h, --help                this text
";

struct Options {
    listen: SocketAddr,
    api_key: Option<String>,
    callback_url: Option<String>,
    callback_method: CallbackMethod,
    seed: Option<u64>,
    allow_hosts: Vec<String>,
    control_token: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (mut listen, mut api_key, mut callback_url, mut method, mut seed) = (
        env("MOCK_AUTHY_LISTEN"),
        env("MOCK_AUTHY_API_KEY"),
        env("MOCK_AUTHY_CALLBACK_URL"),
        env("MOCK_AUTHY_CALLBACK_METHOD"),
        env("MOCK_AUTHY_SEED"),
    );
    let (mut allow_hosts, mut control_token) = (
        env("MOCK_AUTHY_ALLOW_HOSTS"),
        env("MOCK_AUTHY_CONTROL_TOKEN"),
    );
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag, None),
        };
        if name == "-h" || name == "--help" {
            return Ok(None);
        }
        let slot = match name.as_str() {
            "--listen" => &mut listen,
            "--api-key" => &mut api_key,
            "--callback-url" => &mut callback_url,
            "--callback-method" => &mut method,
            "--seed" => &mut seed,
            "--allow-host" => &mut allow_hosts,
            "--control-token" => &mut control_token,
            other => return Err(format!("unknown option {other}")),
        };
        let value = inline
            .or_else(|| args.next())
            .ok_or_else(|| format!("{name} needs a value"))?;
        *slot = Some(value);
    }
    Ok(Some(Options {
        listen: listen
            .as_deref()
            .unwrap_or("127.0.0.1:3031")
            .parse()
            .map_err(|e| format!("--listen: {e}"))?,
        api_key,
        callback_url,
        callback_method: method.as_deref().unwrap_or("POST").parse()?,
        seed: seed
            .map(|s| s.parse().map_err(|e| format!("--seed: {e}")))
            .transpose()?,
        allow_hosts: allow_hosts
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
        control_token,
    }))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("mock-authy: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut builder = MockAuthy::builder().listen(opts.listen);
    if let Some(key) = opts.api_key {
        builder = builder.api_key(key);
    }
    if let Some(url) = &opts.callback_url {
        builder = builder.callback(url.clone(), opts.callback_method);
    }
    if let Some(seed) = opts.seed {
        builder = builder.seed(seed);
    }
    for host in &opts.allow_hosts {
        builder = builder.allow_control_host(host);
    }
    if let Some(token) = &opts.control_token {
        builder = builder.control_token(token);
    }
    let mock = match builder.start().await {
        Ok(m) => m,
        Err(e) => {
            eprintln!("mock-authy: cannot listen on {}: {e}", opts.listen);
            return ExitCode::FAILURE;
        }
    };
    // Scripts read this line to find the port; keep its shape stable.
    println!("mock-authy listening on {}", mock.base_url());
    println!("virtual phone: {}/__mock/phone", mock.base_url());
    match &opts.callback_url {
        Some(url) => println!(
            "OneTouch callbacks: {} {url}",
            opts.callback_method.as_str()
        ),
        None => println!("OneTouch callbacks: none configured (PUT /__mock/callback to set one)"),
    }
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("mock-authy: cannot listen for Ctrl-C; running until killed");
        std::future::pending::<()>().await;
    }
    println!("mock-authy: shutting down");
    mock.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Options>, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_in_both_spellings() {
        let o = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--seed=7",
            "--callback-method",
            "get",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(o.listen.port(), 0);
        assert_eq!(o.seed, Some(7));
        assert_eq!(o.callback_method, CallbackMethod::Get);
        let o = parse(&["--allow-host", "mock.ci, other.ci", "--control-token=t"])
            .unwrap()
            .unwrap();
        assert_eq!(o.allow_hosts, ["mock.ci", "other.ci"]);
        assert_eq!(o.control_token.as_deref(), Some("t"));
    }

    #[test]
    fn bad_flags_are_reported() {
        assert!(parse(&["--nope"]).is_err());
        assert!(parse(&["--listen"]).is_err());
        assert!(parse(&["--callback-method", "PUT"]).is_err());
        assert!(parse(&["--seed", "x"]).is_err());
        assert!(parse(&["--help"]).unwrap().is_none());
    }
}

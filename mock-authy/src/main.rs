//! `mock-authy`: the simulator as a process, for CI pipelines and demos. A thin clap wrapper
//! over the library's builder.

use clap::{Parser, ValueEnum};
use mock_authy::{CallbackMethod, MockAuthy, OneTouchBehaviour, RateLimits};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// An offline, controllable simulator of the Authy API, OneTouch callbacks included.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Options {
    /// Address to bind (port 0 picks a free one).
    #[arg(long, env = "MOCK_AUTHY_LISTEN", default_value = "127.0.0.1:3031")]
    listen: SocketAddr,
    /// API key clients must send [default: mock-authy-api-key].
    #[arg(long, env = "MOCK_AUTHY_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Where OneTouch callbacks go (or set later with PUT /__mock/callback).
    #[arg(long, env = "MOCK_AUTHY_CALLBACK_URL")]
    callback_url: Option<String>,
    /// The callback's HTTP method: POST or GET.
    #[arg(long, env = "MOCK_AUTHY_CALLBACK_METHOD", default_value = "POST")]
    callback_method: CallbackMethod,
    /// Reproducible ids, uuids and codes.
    #[arg(long, env = "MOCK_AUTHY_SEED")]
    seed: Option<u64>,
    /// Freeze the clock at this Unix time; it then moves only through POST /__mock/clock/advance.
    #[arg(long, env = "MOCK_AUTHY_FROZEN_CLOCK", value_name = "UNIX_SECONDS")]
    frozen_clock: Option<i64>,
    /// How new users' phones answer OneTouch requests.
    #[arg(
        long,
        env = "MOCK_AUTHY_DEFAULT_ONETOUCH",
        value_enum,
        default_value = "manual"
    )]
    default_onetouch: OneTouch,
    /// With auto-approve or auto-deny: how long the phone takes to answer.
    #[arg(
        long,
        env = "MOCK_AUTHY_ONETOUCH_AFTER_MS",
        default_value_t = 0,
        value_name = "MS"
    )]
    onetouch_after_ms: u64,
    /// Delivery attempts per callback (at least 1).
    #[arg(long, env = "MOCK_AUTHY_CALLBACK_ATTEMPTS", default_value_t = 3)]
    callback_attempts: u32,
    /// The first retry's backoff (doubling after each attempt).
    #[arg(
        long,
        env = "MOCK_AUTHY_CALLBACK_BACKOFF_MS",
        default_value_t = 100,
        value_name = "MS"
    )]
    callback_backoff_ms: u64,
    /// The timeout of each delivery attempt.
    #[arg(
        long,
        env = "MOCK_AUTHY_CALLBACK_TIMEOUT_MS",
        default_value_t = 5000,
        value_name = "MS"
    )]
    callback_timeout_ms: u64,
    /// Host names the control API and phone page also answer, besides loopback ones.
    #[arg(
        long = "allow-host",
        env = "MOCK_AUTHY_ALLOW_HOSTS",
        value_delimiter = ',',
        value_name = "NAMES"
    )]
    allow_hosts: Vec<String>,
    /// Require this token on the control API and phone page, as the X-Mock-Control-Token
    /// header or ?control_token=.
    #[arg(long, env = "MOCK_AUTHY_CONTROL_TOKEN", hide_env_values = true)]
    control_token: Option<String>,
    /// Authy's DoS protection (429, 60003) per number: 10 SMS and 10 calls an hour, 5 phone
    /// verifications in 10 minutes. `off` for none; change them live with PUT
    /// /__mock/rate_limits.
    #[arg(long, env = "MOCK_AUTHY_RATE_LIMITS", value_enum, default_value = "on")]
    rate_limits: Switch,
    /// Twilio account SID the Verify v2 API (under /v2) accepts
    /// [default: AC0000000000000000000000000000a11f].
    #[arg(long, env = "MOCK_TWILIO_ACCOUNT_SID")]
    twilio_account_sid: Option<String>,
    /// Twilio auth token the Verify v2 API accepts and signs webhooks with
    /// [default: mock-twilio-auth-token].
    #[arg(long, env = "MOCK_TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
}

/// `--rate-limits` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Switch {
    /// Authy's limits.
    On,
    /// No limits.
    Off,
}

/// `--default-onetouch` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OneTouch {
    /// Requests wait for the control API or the phone page.
    Manual,
    /// The phone approves every request.
    AutoApprove,
    /// The phone denies every request.
    AutoDeny,
    /// No Authy app: pushes are refused.
    NoDevice,
}

impl Options {
    fn onetouch(&self) -> OneTouchBehaviour {
        let after_ms = self.onetouch_after_ms;
        match self.default_onetouch {
            OneTouch::Manual => OneTouchBehaviour::Manual,
            OneTouch::AutoApprove => OneTouchBehaviour::AutoApprove { after_ms },
            OneTouch::AutoDeny => OneTouchBehaviour::AutoDeny { after_ms },
            OneTouch::NoDevice => OneTouchBehaviour::NoDevice,
        }
    }
}

impl Options {
    /// Refuses settings that would expose the control API (which approves any login) beyond
    /// this machine without a token.
    fn check(&self) -> Result<(), String> {
        if !self.listen.ip().is_loopback() && self.control_token.is_none() {
            return Err(format!(
                "--listen {} is not a loopback address: the control API approves any login, so \
                 give --control-token (or MOCK_AUTHY_CONTROL_TOKEN) to serve it there",
                self.listen
            ));
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let opts = Options::parse();
    if let Err(why) = opts.check() {
        eprintln!("mock-authy: {why}");
        return ExitCode::from(2);
    }
    let mut builder = MockAuthy::builder()
        .listen(opts.listen)
        .default_onetouch(opts.onetouch())
        .rate_limits(match opts.rate_limits {
            Switch::On => RateLimits::authy(),
            Switch::Off => RateLimits::off(),
        })
        .callback_retries(
            opts.callback_attempts,
            Duration::from_millis(opts.callback_backoff_ms),
            Duration::from_millis(opts.callback_timeout_ms),
        );
    if let Some(key) = &opts.api_key {
        builder = builder.api_key(key);
    }
    if let Some(url) = &opts.callback_url {
        builder = builder.callback(url.clone(), opts.callback_method);
    }
    if let Some(seed) = opts.seed {
        builder = builder.seed(seed);
    }
    if let Some(at) = opts.frozen_clock {
        builder = builder.frozen_clock(at);
    }
    for host in &opts.allow_hosts {
        builder = builder.allow_control_host(host);
    }
    if let Some(token) = &opts.control_token {
        builder = builder.control_token(token);
    }
    builder = builder.twilio_credentials(
        opts.twilio_account_sid
            .as_deref()
            .unwrap_or(mock_authy::DEFAULT_ACCOUNT_SID),
        opts.twilio_auth_token
            .as_deref()
            .unwrap_or(mock_authy::DEFAULT_AUTH_TOKEN),
    );
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
    println!(
        "Verify v2: {}/v2/Services/{}",
        mock.base_url(),
        mock_authy::DEFAULT_SERVICE_SID
    );
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
    use clap::CommandFactory as _;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(std::iter::once("mock-authy").chain(args.iter().copied()))
    }

    #[test]
    fn the_definition_is_consistent() {
        Options::command().debug_assert();
    }

    #[test]
    fn flags_in_both_spellings() {
        let o = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--seed=7",
            "--callback-method",
            "get",
            "--default-onetouch",
            "auto-approve",
            "--onetouch-after-ms=50",
            "--frozen-clock",
            "1700000000",
        ])
        .unwrap();
        assert_eq!(o.listen.port(), 0);
        assert_eq!(o.seed, Some(7));
        assert_eq!(o.callback_method, CallbackMethod::Get);
        assert_eq!(
            o.onetouch(),
            OneTouchBehaviour::AutoApprove { after_ms: 50 }
        );
        assert_eq!(o.frozen_clock, Some(1_700_000_000));
        let o = parse(&["--allow-host", "mock.ci,other.ci", "--control-token=t"]).unwrap();
        assert_eq!(o.allow_hosts, ["mock.ci", "other.ci"]);
        assert_eq!(o.control_token.as_deref(), Some("t"));
    }

    #[test]
    fn a_non_loopback_listen_address_needs_a_control_token() {
        for listen in ["0.0.0.0:3031", "192.0.2.10:3031", "[::]:3031"] {
            let o = parse(&["--listen", listen]).unwrap();
            let why = o.check().unwrap_err();
            assert!(why.contains("--control-token"), "{why}");
            let o = parse(&["--listen", listen, "--control-token", "t"]).unwrap();
            assert!(o.check().is_ok());
        }
        for listen in ["127.0.0.1:3031", "[::1]:0"] {
            assert!(parse(&["--listen", listen]).unwrap().check().is_ok());
        }
    }

    #[test]
    fn bad_flags_are_reported() {
        assert!(parse(&["--nope"]).is_err());
        assert!(parse(&["--listen"]).is_err());
        assert!(parse(&["--callback-method", "PUT"]).is_err());
        assert!(parse(&["--seed", "x"]).is_err());
        assert!(parse(&["--default-onetouch", "sometimes"]).is_err());
        assert_eq!(
            parse(&["--help"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayHelp
        );
    }
}

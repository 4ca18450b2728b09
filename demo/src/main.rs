//! `cargo run -p demo`: the tutorial app, offline on an embedded mock Authy unless told otherwise.
//! A thin clap wrapper over [`demo::start`].

use clap::Parser;
use demo::{AuthyMode, Config, Provider, VerifyRemote};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Twilio's "Two-Factor Authentication with Authy" tutorial app, on tower-authy.
///
/// With no AUTHY_API_KEY, an embedded mock-authy plays Authy and prints a virtual phone URL.
/// Set AUTHY_API_KEY (and optionally AUTHY_API_URL) and --public-url to use a real Authy.
/// `--provider verify` uses Twilio Verify v2 instead (the embedded mock's, or a real one with
/// TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and VERIFY_SERVICE_SID); `--provider totp` needs no
/// vendor at all (authenticator apps; their secrets are sealed under a key kept in a file
/// beside the database, or DEMO_TOTP_KEY).
#[derive(Parser)]
#[command(version, about)]
struct Options {
    /// What to do; without a command, serve the app.
    #[command(subcommand)]
    command: Option<Command>,
    /// Which provider proves the second factor.
    #[arg(long, env = "DEMO_PROVIDER", value_enum, default_value = "authy")]
    provider: Provider,
    /// Where the app listens.
    #[arg(long, env = "DEMO_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// SQLite file for users.
    #[arg(
        long,
        env = "DEMO_DATABASE",
        default_value = "demo.sqlite3",
        global = true
    )]
    database: PathBuf,
    /// The app's public https:// URL, which a real Authy's callbacks reach.
    #[arg(long, env = "DEMO_PUBLIC_URL")]
    public_url: Option<String>,
    /// A real Authy's API key; without it, the embedded mock plays Authy.
    #[arg(long, env = "AUTHY_API_KEY", hide_env_values = true)]
    authy_api_key: Option<String>,
    /// The Authy API's base URL.
    #[arg(long, env = "AUTHY_API_URL", default_value = "https://api.authy.com")]
    authy_api_url: String,
    /// A real Twilio account for `--provider verify`; without it, the embedded mock's Verify.
    #[arg(long, env = "TWILIO_ACCOUNT_SID")]
    twilio_account_sid: Option<String>,
    /// The account's auth token (it also signs Verify's webhooks).
    #[arg(long, env = "TWILIO_AUTH_TOKEN", hide_env_values = true)]
    twilio_auth_token: Option<String>,
    /// The Verify service (VA…).
    #[arg(long, env = "VERIFY_SERVICE_SID")]
    verify_service_sid: Option<String>,
    /// Verify's base URL.
    #[arg(
        long,
        env = "VERIFY_API_URL",
        default_value = "https://verify.twilio.com"
    )]
    verify_api_url: String,
    /// 64 hex digits sealing `--provider totp` secrets (older keys that still open after
    /// commas); without it, the key file beside the database (`<database>.keys`, made once).
    #[arg(long, env = "DEMO_TOTP_KEY", hide_env_values = true)]
    totp_key: Option<String>,
    /// Where Prometheus scrapes `GET /metrics` (a loopback address only).
    #[arg(long, env = "DEMO_METRICS_LISTEN", default_value = "127.0.0.1:9464")]
    metrics_listen: SocketAddr,
    /// A Redis URL (redis://host:port): challenges, sessions and notifications live there, so
    /// several demo instances share one set of logins.
    #[arg(long, env = "DEMO_REDIS_URL")]
    redis: Option<String>,
    /// LOCAL TESTING ONLY: allow a plain http:// --public-url on a loopback address, to run
    /// against a separately started mock-authy binary as a CI pipeline would.
    #[arg(long, env = "DEMO_INSECURE_HTTP_CALLBACK_ON_LOOPBACK")]
    insecure_http_callback_on_loopback: bool,
    /// The origin people open the demo at, for passkeys (which are bound to it): an https://
    /// origin, or http://localhost:<port>. Default: http://localhost:<the listening port>.
    #[arg(long, env = "DEMO_PASSKEY_ORIGIN")]
    passkey_origin: Option<String>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Administration of the users database (`--database`), with the app stopped or running.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(clap::Subcommand)]
enum Admin {
    /// Seals every TOTP secret again under a new key and puts it first in the key file (the
    /// key it replaces stays, for instances still running; restart them).
    RotateTotpKey,
    /// Makes a new key for the remembered-device cookies; devices remembered under the old
    /// one keep working (and are signed again at their next login) until the next rotation.
    RotateRememberKey,
    /// Shows a user's second factors, recovery codes left and remembered devices.
    Status {
        /// The user's email.
        #[arg(long)]
        email: String,
    },
    /// For a user who lost every factor: removes their factors, voids their recovery codes,
    /// forgets their remembered devices and ends their sessions; they enrol again at their
    /// next login.
    #[command(name = "reset-2fa")]
    Reset2fa {
        /// The user's email.
        #[arg(long)]
        email: String,
    },
}

/// Runs an administration command; the exit code.
async fn admin(command: Admin, database: &std::path::Path) -> ExitCode {
    match command {
        Admin::RotateTotpKey => match demo::keys::rotate_totp_key(database).await {
            Ok(done) => {
                println!(
                    "TOTP key rotated: {} secrets sealed under the new key, {} unreadable",
                    done.resealed, done.unreadable
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("demo: {e}");
                ExitCode::FAILURE
            }
        },
        Admin::RotateRememberKey => {
            let rotated = match demo::users::SqliteUsers::open(database, false) {
                Ok(users) => users.rotate_remember_key().await,
                Err(e) => Err(e),
            };
            match rotated {
                Ok(()) => {
                    println!("remembered-device key rotated; restart the demo instances");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("demo: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Admin::Status { email } => match demo::admin::status(database, &email).await {
            Ok(s) => {
                println!("user {} ({email})", s.user_id);
                for f in &s.factors {
                    let used = f
                        .last_used_at
                        .map_or_else(|| "never".to_owned(), |t| t.to_string());
                    println!(
                        "  factor {}: {} ({}, {}), last used {used}",
                        f.id,
                        f.label,
                        f.kind.as_str(),
                        f.provider
                    );
                }
                println!("  recovery codes left: {}", s.recovery_codes);
                println!("  remembered devices: {}", s.devices);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("demo: {e}");
                ExitCode::FAILURE
            }
        },
        Admin::Reset2fa { email } => match demo::admin::reset(database, &email).await {
            Ok(done) => {
                println!(
                    "second factor reset for {email}: {} factors removed, {} remembered devices forgotten, recovery codes void, sessions ended",
                    done.factors_removed, done.devices_forgotten
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("demo: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

impl Options {
    fn config(self) -> Result<Config, &'static str> {
        let authy = match self.authy_api_key {
            None => AuthyMode::Embedded,
            Some(api_key) => AuthyMode::Remote {
                api_key,
                api_url: self.authy_api_url,
                public_url: self.public_url.clone().ok_or(
                    "with AUTHY_API_KEY, --public-url (or DEMO_PUBLIC_URL) must give the https:// URL Authy's callbacks reach",
                )?,
            },
        };
        let verify = match (self.provider, self.twilio_account_sid) {
            (Provider::Verify, Some(account_sid)) => Some(VerifyRemote {
                account_sid,
                auth_token: self
                    .twilio_auth_token
                    .ok_or("with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN is needed too")?,
                service_sid: self
                    .verify_service_sid
                    .ok_or("with TWILIO_ACCOUNT_SID, VERIFY_SERVICE_SID is needed too")?,
                api_url: self.verify_api_url,
                public_url: self.public_url.clone().ok_or(
                    "with a real Verify, --public-url must give the https:// URL its webhooks reach",
                )?,
            }),
            _ => None,
        };
        Ok(Config {
            provider: self.provider,
            verify,
            totp_key: self.totp_key,
            listen: self.listen,
            database: self.database,
            authy,
            cheap_hashing: false,
            request_timeout: Duration::from_secs(10),
            redis: self.redis,
            insecure_http_callback_on_loopback: self.insecure_http_callback_on_loopback,
            passkey_origin: self.passkey_origin,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let mut options = Options::parse();
    if let Some(Command::Admin(command)) = options.command.take() {
        return admin(command, &options.database).await;
    }
    let options_metrics = options.metrics_listen;
    let config = match options.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::from(2);
        }
    };
    // A non-loopback address is refused; a port in use (another instance) only turns them off.
    let metrics = match demo::metrics::serve(options_metrics).await {
        Ok(addr) => format!("http://{addr}/metrics"),
        Err(e @ demo::metrics::MetricsError::NotLoopback(_)) => {
            eprintln!("demo: {e}");
            return ExitCode::from(2);
        }
        Err(e) => format!("off ({e})"),
    };
    let provider = config.provider;
    let database = config.database.display().to_string();
    let demo = match demo::start(config).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("demo app:        {}", demo.url);
    println!(
        "passkeys:        open {} to add and use one (browsers allow them on localhost)",
        demo.passkey_origin
    );
    println!("provider:        {provider:?}");
    if let Some(phone) = demo.phone_url() {
        println!("virtual phone:   {phone}");
        println!("second factor:   embedded mock (offline); approve logins on the virtual phone");
    } else if provider == Provider::Totp {
        println!(
            "second factor:   self-hosted TOTP; enrol an authenticator app at the first login"
        );
    } else {
        println!("second factor:   remote, callbacks expected at the public URL");
    }
    println!("users database:  {database}");
    println!("metrics:         {metrics}");
    if demo.phone_url().is_some() {
        println!("Open the app, sign up, log in, then approve on the virtual phone. Ctrl-C stops.");
    }
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    println!("demo: shutting down");
    demo.stop();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    fn parse(args: &[&str]) -> Result<Options, clap::Error> {
        Options::try_parse_from(std::iter::once("demo").chain(args.iter().copied()))
    }

    #[test]
    fn the_definition_is_consistent() {
        Options::command().debug_assert();
    }

    #[test]
    fn a_real_authy_needs_a_public_url() {
        let o = parse(&["--listen=127.0.0.1:0", "--authy-api-key", "k"]).unwrap();
        assert!(o.config().is_err());
        let o = parse(&[
            "--authy-api-key",
            "k",
            "--public-url",
            "https://app.example",
        ])
        .unwrap();
        assert!(matches!(
            o.config().unwrap().authy,
            AuthyMode::Remote { .. }
        ));
        assert!(parse(&["--bogus"]).is_err());
    }

    #[test]
    fn the_provider_is_configuration() {
        assert_eq!(
            parse(&[]).unwrap().config().unwrap().provider,
            Provider::Authy
        );
        let totp = parse(&["--provider", "totp"]).unwrap().config().unwrap();
        assert_eq!(totp.provider, Provider::Totp);
        let embedded = parse(&["--provider", "verify"]).unwrap().config().unwrap();
        assert!(
            embedded.verify.is_none(),
            "no account: the embedded mock's Verify"
        );
        let half = parse(&["--provider", "verify", "--twilio-account-sid", "AC1"]).unwrap();
        assert!(
            half.config().is_err(),
            "a real account needs its token, service and URL"
        );
        let remote = parse(&[
            "--provider",
            "verify",
            "--twilio-account-sid",
            "AC1",
            "--twilio-auth-token",
            "t",
            "--verify-service-sid",
            "VA1",
            "--public-url",
            "https://app.example",
        ])
        .unwrap()
        .config()
        .unwrap();
        let shown = format!("{remote:?}");
        assert!(
            remote.verify.is_some() && !shown.contains("\"t\""),
            "{shown}"
        );
        assert!(parse(&["--provider", "sms"]).is_err());
    }

    #[test]
    fn admin_commands_take_the_database_before_or_after() {
        for args in [
            &["admin", "rotate-totp-key", "--database", "x.db"][..],
            &["--database", "x.db", "admin", "rotate-totp-key"][..],
        ] {
            let o = parse(args).unwrap();
            assert!(matches!(
                o.command,
                Some(Command::Admin(Admin::RotateTotpKey))
            ));
            assert_eq!(o.database, PathBuf::from("x.db"));
        }
        let o = parse(&["admin", "rotate-remember-key"]).unwrap();
        assert!(matches!(
            o.command,
            Some(Command::Admin(Admin::RotateRememberKey))
        ));
        assert!(
            parse(&[]).unwrap().command.is_none(),
            "serving is the default"
        );
        assert!(parse(&["admin", "bogus"]).is_err());
        let reset = parse(&["admin", "reset-2fa", "--email", "a@example.com"]).unwrap();
        assert!(matches!(
            reset.command,
            Some(Command::Admin(Admin::Reset2fa { email })) if email == "a@example.com"
        ));
        assert!(
            parse(&["admin", "status"]).is_err(),
            "the email is required"
        );
    }
}

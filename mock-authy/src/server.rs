//! Starting the mock: [`MockAuthyBuilder`] and the accept loop.

use crate::authy::OneTouchBehaviour;
use crate::callback::CallbackMethod;
use crate::clock::Clock;
use crate::handle::MockAuthy;
use crate::limits::RateLimits;
use crate::model::World;
use crate::state::{CallbackTarget, Config, DropConnection, Inner};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The API key the mock accepts when none is configured.
pub const DEFAULT_API_KEY: &str = "mock-authy-api-key";

/// Configures and starts a [`MockAuthy`].
#[derive(Debug)]
#[must_use]
pub struct MockAuthyBuilder {
    listen: SocketAddr,
    api_key: String,
    app_name: String,
    callback: Option<CallbackTarget>,
    seed: Option<u64>,
    frozen_at: Option<i64>,
    default_onetouch: OneTouchBehaviour,
    rate_limits: RateLimits,
    callback_attempts: u32,
    callback_backoff: Duration,
    callback_timeout: Duration,
    control_hosts: Vec<String>,
    control_token: Option<String>,
    twilio: crate::state::TwilioConfig,
}

impl Default for MockAuthyBuilder {
    fn default() -> Self {
        MockAuthyBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: DEFAULT_API_KEY.to_owned(),
            app_name: "mock-authy".to_owned(),
            callback: None,
            seed: None,
            frozen_at: None,
            default_onetouch: OneTouchBehaviour::Manual,
            rate_limits: RateLimits::off(),
            callback_attempts: 3,
            callback_backoff: Duration::from_millis(100),
            callback_timeout: Duration::from_secs(5),
            control_hosts: Vec::new(),
            control_token: None,
            twilio: crate::state::TwilioConfig {
                account_sid: crate::verify::DEFAULT_ACCOUNT_SID.to_owned(),
                auth_token: crate::verify::DEFAULT_AUTH_TOKEN.to_owned(),
            },
        }
    }
}

impl MockAuthyBuilder {
    /// Address to listen on. Default `127.0.0.1:0` (a free loopback port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The API key clients must present. Default [`DEFAULT_API_KEY`].
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// The application name shown by `app/details` and on the phone page.
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.app_name = name.into();
        self
    }

    /// Where OneTouch callbacks go, and with which method. Can also be set after start.
    pub fn callback(mut self, url: impl Into<String>, method: CallbackMethod) -> Self {
        self.callback = Some(CallbackTarget {
            url: url.into(),
            method,
        });
        self
    }

    /// Makes ids, uuids, codes and fault probabilities reproducible.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Freezes the clock at this Unix time; it then moves only by [`MockAuthy::advance_clock`].
    pub fn frozen_clock(mut self, unix_seconds: i64) -> Self {
        self.frozen_at = Some(unix_seconds);
        self
    }

    /// How new users' phones answer OneTouch requests. Default: [`OneTouchBehaviour::Manual`].
    pub fn default_onetouch(mut self, behaviour: OneTouchBehaviour) -> Self {
        self.default_onetouch = behaviour;
        self
    }

    /// Authy's DoS protection (429, `60003`) on SMS, calls and phone verifications, per
    /// number. Default: [`RateLimits::off`]; the binary starts with [`RateLimits::authy`].
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Delivery attempts per callback (at least 1; default 3), the first backoff (doubling),
    /// and the timeout of each attempt.
    pub fn callback_retries(mut self, attempts: u32, backoff: Duration, timeout: Duration) -> Self {
        self.callback_attempts = attempts.max(1);
        self.callback_backoff = backoff;
        self.callback_timeout = timeout;
        self
    }

    /// Also accepts this `Host` name (without port) on the control API and the phone page.
    /// By default they answer only requests addressed to a loopback name (`localhost`,
    /// `127.0.0.1`, `[::1]`), so a web page cannot reach them through DNS rebinding.
    pub fn allow_control_host(mut self, host: impl Into<String>) -> Self {
        self.control_hosts.push(host.into().to_ascii_lowercase());
        self
    }

    /// Requires this token on the control API and the phone page, as the
    /// `X-Mock-Control-Token` header or the `control_token` query parameter (the phone page
    /// passes on the one it was opened with). Default: no token.
    pub fn control_token(mut self, token: impl Into<String>) -> Self {
        self.control_token = Some(token.into());
        self
    }

    /// The Twilio account SID and auth token the Verify v2 API accepts (HTTP Basic) and signs
    /// its webhooks with. Default [`DEFAULT_ACCOUNT_SID`](crate::DEFAULT_ACCOUNT_SID) and
    /// [`DEFAULT_AUTH_TOKEN`](crate::DEFAULT_AUTH_TOKEN).
    pub fn twilio_credentials(
        mut self,
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
    ) -> Self {
        self.twilio = crate::state::TwilioConfig {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
        };
        self
    }

    /// Binds and starts serving.
    ///
    /// # Errors
    /// When the address cannot be bound, or the HTTP client for callbacks cannot be built.
    pub async fn start(self) -> std::io::Result<MockAuthy> {
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .timeout(self.callback_timeout)
            .user_agent("mock-authy (OneTouch callbacks)")
            .build()
            .map_err(std::io::Error::other)?;
        let (changes, _) = watch::channel(0);
        let inner = Arc::new(Inner {
            config: Config {
                twilio: self.twilio,
                api_key: self.api_key,
                app_name: self.app_name,
                seed: self.seed,
                default_onetouch: self.default_onetouch,
                rate_limits: self.rate_limits,
                callback_attempts: self.callback_attempts,
                callback_backoff: self.callback_backoff,
                callback_timeout: self.callback_timeout,
                control_hosts: self.control_hosts,
                control_token: self.control_token,
            },
            clock: Clock::new(self.frozen_at),
            world: Mutex::new(World::new(
                self.seed,
                self.default_onetouch,
                self.rate_limits,
            )),
            callback: Mutex::new(self.callback),
            changes,
            http,
            base_url: format!("http://{addr}"),
        });
        crate::state::reset(&inner);
        let app = crate::router(Arc::clone(&inner));
        let (stop_tx, stop_rx) = watch::channel(false);
        let server = tokio::spawn(serve(listener, app, stop_rx));
        Ok(MockAuthy {
            inner,
            addr,
            stop: stop_tx,
            server: Some(server),
        })
    }
}

/// Accepts connections until told to stop. Each connection is served by hyper directly (not
/// `axum::serve`) so that a fault can close a connection without answering.
async fn serve(listener: TcpListener, app: axum::Router, mut stop: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        let Ok((stream, _)) = accepted else { continue };
        // Small answers must not wait for the peer's delayed ACK (Nagle's algorithm).
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        use tower::ServiceExt as _;
                        let response = app
                            .oneshot(req.map(axum::body::Body::new))
                            .await
                            .unwrap_or_else(|e| match e {});
                        if response.extensions().get::<DropConnection>().is_some() {
                            return Err(std::io::Error::other("fault: connection dropped"));
                        }
                        Ok(response)
                    }
                });
            let io = hyper_util::rt::TokioIo::new(stream);
            // Errors here are client disconnects and injected faults; nothing to report.
            // A client that never finishes its headers is cut off.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .keep_alive(true)
                .serve_connection(io, service)
                .await;
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
}

impl MockAuthy {
    /// Starts a mock with default settings on a free loopback port.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start() -> std::io::Result<MockAuthy> {
        MockAuthy::builder().start().await
    }

    /// A builder for non-default settings.
    pub fn builder() -> MockAuthyBuilder {
        MockAuthyBuilder::default()
    }
}

//! The running mock: its shared state, the builder, the handle and the accept loop.

use crate::callback::{self, CallbackDelivery, CallbackMethod};
use crate::model::{
    ApprovalRequest, ApprovalStatus, ControlError, Fault, JournalEntry, OneTouchBehaviour,
    OutboxMessage, User, World,
};
use crate::otp::Clock;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The API key the mock accepts when none is configured.
pub const DEFAULT_API_KEY: &str = "mock-authy-api-key";

/// Marks a response whose connection must be closed without sending it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

#[derive(Debug, Clone)]
pub(crate) struct CallbackTarget {
    pub(crate) url: String,
    pub(crate) method: CallbackMethod,
}

#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) api_key: String,
    pub(crate) app_name: String,
    pub(crate) seed: Option<u64>,
    pub(crate) default_onetouch: OneTouchBehaviour,
    pub(crate) callback_attempts: u32,
    pub(crate) callback_backoff: Duration,
    pub(crate) callback_timeout: Duration,
    pub(crate) control_hosts: Vec<String>,
    pub(crate) control_token: Option<String>,
}

/// State shared by every request handler and the handle.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) clock: Clock,
    pub(crate) world: Mutex<World>,
    pub(crate) callback: Mutex<Option<CallbackTarget>>,
    pub(crate) changes: watch::Sender<u64>,
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
}

impl Inner {
    pub(crate) fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut world = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut world)
    }

    /// Wakes the phone page and anyone waiting on [`MockAuthy::wait_for`].
    pub(crate) fn notify(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub(crate) fn callback_target(&self) -> Option<CallbackTarget> {
        self.callback
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Approves or denies a pending request, then delivers the callback (if one is configured).
    pub(crate) async fn decide(
        self: &Arc<Self>,
        uuid: &str,
        to: ApprovalStatus,
    ) -> Result<(ApprovalRequest, Option<CallbackDelivery>), ControlError> {
        let now = self.clock.now();
        let approval = self.with_world(|w| w.transition(uuid, to, now))?;
        tracing::info!(uuid, status = to.as_str(), "approval request decided");
        self.notify();
        let delivery = callback::deliver(self, &approval).await;
        if let Some(d) = &delivery {
            self.with_world(|w| w.deliveries.push(d.clone()));
            self.notify();
        }
        Ok((approval, delivery))
    }

    /// Runs the user's automatic OneTouch behaviour for a new request, in the background.
    pub(crate) fn schedule_auto_answer(
        self: &Arc<Self>,
        uuid: String,
        behaviour: OneTouchBehaviour,
    ) {
        let (to, after_ms) = match behaviour {
            OneTouchBehaviour::AutoApprove { after_ms } => (ApprovalStatus::Approved, after_ms),
            OneTouchBehaviour::AutoDeny { after_ms } => (ApprovalStatus::Denied, after_ms),
            OneTouchBehaviour::Manual | OneTouchBehaviour::NoDevice => return,
        };
        let inner = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
            // Already decided or expired by hand: nothing to do.
            let _ = inner.decide(&uuid, to).await;
        });
    }
}

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
    callback_attempts: u32,
    callback_backoff: Duration,
    callback_timeout: Duration,
    control_hosts: Vec<String>,
    control_token: Option<String>,
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
            callback_attempts: 3,
            callback_backoff: Duration::from_millis(100),
            callback_timeout: Duration::from_secs(5),
            control_hosts: Vec::new(),
            control_token: None,
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
                api_key: self.api_key,
                app_name: self.app_name,
                seed: self.seed,
                default_onetouch: self.default_onetouch,
                callback_attempts: self.callback_attempts,
                callback_backoff: self.callback_backoff,
                callback_timeout: self.callback_timeout,
                control_hosts: self.control_hosts,
                control_token: self.control_token,
            },
            clock: Clock::new(self.frozen_at),
            world: Mutex::new(World::new(self.seed, self.default_onetouch)),
            callback: Mutex::new(self.callback),
            changes,
            http,
            base_url: format!("http://{addr}"),
        });
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

/// A running mock Authy. Dropping it stops the server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let mock = mock_authy::MockAuthy::start().await?;
/// assert!(mock.base_url().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockAuthy {
    inner: Arc<Inner>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
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

    /// `http://127.0.0.1:PORT`, the base URL to give an Authy client.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key the mock accepts.
    pub fn api_key(&self) -> &str {
        &self.inner.config.api_key
    }

    /// Sets (or clears) where OneTouch callbacks are delivered.
    pub fn set_callback(&self, target: Option<(String, CallbackMethod)>) {
        *self
            .inner
            .callback
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            target.map(|(url, method)| CallbackTarget { url, method });
    }

    /// Every registered user.
    pub fn users(&self) -> Vec<User> {
        self.inner
            .with_world(|w| w.users.values().cloned().collect())
    }

    /// One user.
    pub fn user(&self, authy_id: u64) -> Option<User> {
        self.inner.with_world(|w| w.users.get(&authy_id).cloned())
    }

    /// The SMS and voice codes sent to a user, oldest first.
    pub fn outbox(&self, authy_id: u64) -> Option<Vec<OutboxMessage>> {
        self.user(authy_id).map(|u| u.outbox)
    }

    /// The token the user's Authy app shows right now (on the mock's clock).
    pub fn app_token(&self, authy_id: u64) -> Option<String> {
        let now = self.inner.clock.now();
        self.inner.with_world(|w| w.app_token(authy_id, now))
    }

    /// Every approval request, oldest first, with expiry applied.
    pub fn approval_requests(&self) -> Vec<ApprovalRequest> {
        let now = self.inner.clock.now();
        self.inner.with_world(|w| {
            w.expire_overdue(now);
            w.approvals.clone()
        })
    }

    /// Approves a pending request as the user's phone would, and delivers the callback.
    ///
    /// # Errors
    /// [`ControlError`] when the uuid is unknown or the request is no longer pending.
    pub async fn approve(&self, uuid: &str) -> Result<Option<CallbackDelivery>, ControlError> {
        self.inner
            .decide(uuid, ApprovalStatus::Approved)
            .await
            .map(|(_, d)| d)
    }

    /// Denies a pending request, and delivers the callback.
    ///
    /// # Errors
    /// As [`approve`](Self::approve).
    pub async fn deny(&self, uuid: &str) -> Result<Option<CallbackDelivery>, ControlError> {
        self.inner
            .decide(uuid, ApprovalStatus::Denied)
            .await
            .map(|(_, d)| d)
    }

    /// Expires a pending request now. Authy sends no callback for expiry.
    ///
    /// # Errors
    /// As [`approve`](Self::approve).
    pub fn expire(&self, uuid: &str) -> Result<ApprovalRequest, ControlError> {
        let now = self.inner.clock.now();
        let r = self
            .inner
            .with_world(|w| w.transition(uuid, ApprovalStatus::Expired, now));
        self.inner.notify();
        r
    }

    /// Sets how a user's phone answers OneTouch requests.
    ///
    /// # Errors
    /// [`ControlError::UnknownUser`].
    pub fn set_onetouch(
        &self,
        authy_id: u64,
        behaviour: OneTouchBehaviour,
    ) -> Result<(), ControlError> {
        let r = self.inner.with_world(|w| {
            let user = w
                .users
                .get_mut(&authy_id)
                .ok_or(ControlError::UnknownUser)?;
            user.onetouch = behaviour;
            Ok(())
        });
        self.inner.notify();
        r
    }

    /// Adds a fault.
    pub fn inject_fault(&self, fault: Fault) {
        self.inner.with_world(|w| w.faults.push(fault));
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.inner.with_world(|w| w.faults.clear());
    }

    /// Every Authy API request received (not control requests), oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.inner
            .with_world(|w| w.journal.iter().cloned().collect())
    }

    /// Every callback delivery, oldest first.
    pub fn deliveries(&self) -> Vec<CallbackDelivery> {
        self.inner.with_world(|w| w.deliveries.clone())
    }

    /// Forgets users, requests, faults and the journal, and puts the clock back.
    pub fn reset(&self) {
        reset(&self.inner);
    }

    /// Moves the mock's clock forward.
    pub fn advance_clock(&self, by: Duration) {
        self.inner
            .clock
            .advance(i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
        self.inner.notify();
    }

    /// The mock's current Unix time in seconds.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// Waits until `probe` returns `Some`, re-checking whenever the mock's state changes, for at
    /// most `deadline`. Returns `None` on timeout.
    pub async fn wait_for<T>(
        &self,
        deadline: Duration,
        mut probe: impl FnMut(&MockAuthy) -> Option<T>,
    ) -> Option<T> {
        let mut changes = self.inner.changes.subscribe();
        let wait = async {
            loop {
                if let Some(v) = probe(self) {
                    return v;
                }
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(deadline, wait).await.ok()
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// A future that completes when the mock's state next changes (a request, a decision, a reset).
    pub fn changed(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut changes = self.inner.changes.subscribe();
        async move {
            let _ = changes.changed().await;
        }
    }
}

impl Drop for MockAuthy {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

pub(crate) fn reset(inner: &Inner) {
    inner.with_world(|w| *w = World::new(inner.config.seed, inner.config.default_onetouch));
    inner.clock.reset();
    inner.notify();
}

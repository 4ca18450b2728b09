//! A loopback server for any router, and the app every suite puts tower-authy in.

use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tower_authy::{TwoFactor, VerifiedUser, guard::Policy};

/// A bound loopback port (port 0: the system picks a free one), served once given a router.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Server {
    /// Binds a free loopback port.
    pub async fn bind() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        Server { listener, base }
    }

    /// Serves `app` in the background (with `TCP_NODELAY` and `ConnectInfo<SocketAddr>`);
    /// returns the base URL.
    pub fn serve(self, app: Router) -> String {
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            drop(tcp.set_nodelay(true));
        });
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        self.base
    }
}

async fn account(user: VerifiedUser) -> String {
    let how = if user.second_factor {
        "two factors"
    } else {
        "password only"
    };
    format!("account of {} ({}), {how}", user.user.login, user.user_id)
}

/// The app the suites test: `/account` behind the guard (`/security` with a fresh second
/// factor, `/admin` under `Policy::required()`), `/` open, tower-authy's routes, and sessions
/// in `sessions`.
pub fn app_router<S>(two_factor: &TwoFactor, sessions: S) -> Router
where
    S: tower_sessions::SessionStore + Clone,
{
    // `/security` needs the second factor proved within the last five minutes.
    let security = Router::new().route("/security", get(account)).route_layer(
        two_factor
            .layer()
            .fresh(std::time::Duration::from_secs(300)),
    );
    // `/admin` needs a second factor whatever the app's policy.
    let admin = Router::new()
        .route("/admin", get(account))
        .route_layer(two_factor.layer().policy(Policy::required()));
    Router::new()
        .route("/account", get(account))
        .route_layer(two_factor.layer())
        .merge(security)
        .merge(admin)
        .route("/", get(|| async { "home" }))
        .merge(two_factor.router())
        .layer(two_factor.session_layer(sessions))
}

//! The HTTP client every provider that calls a service uses, with checked settings.

use crate::error::ConfigError;
use std::time::Duration;

/// The HTTP client every provider uses: `base_url` must be an absolute http(s) URL with no
/// credentials, query or fragment, and the timeouts 100 ms to 60 s, connect within total.
pub(crate) fn http_client(
    base_url: &str,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    let base_ok = url::Url::parse(base_url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if !base_ok {
        return Err(ConfigError::BaseUrl(base_url.to_owned()));
    }
    let sane = |d: Duration| d >= Duration::from_millis(100) && d <= Duration::from_secs(60);
    if !sane(connect_timeout) || !sane(timeout) || connect_timeout > timeout {
        return Err(ConfigError::ClientTimeouts);
    }
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .user_agent(concat!("tower-authy/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            tracing::error!(error = %e, "the HTTP client could not be built");
            ConfigError::HttpClient
        })
}

//! [`TwoFactorBuilder::build`]: every setting checked, then the shared state made.

use super::{Shared, TwoFactor, TwoFactorBuilder};
use crate::error::ConfigError;
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

impl TwoFactorBuilder {
    /// Checks the configuration and builds.
    ///
    /// # Errors
    /// [`ConfigError`] for the first mistake found.
    pub fn build(self) -> Result<TwoFactor, ConfigError> {
        let p = &self.prefix;
        if !p.starts_with('/') || p.len() < 2 || p.ends_with('/') || p.contains(['?', '#', ' ']) {
            return Err(ConfigError::Prefix(p.clone()));
        }
        // A provider without pushes sends no webhooks: it needs no callback URL.
        let pushes = std::iter::once(&self.client)
            .chain(&self.more_providers)
            .any(|p| p.capabilities().push);
        let url = match self.callback_url {
            Some(url) => url,
            None if !pushes => String::new(),
            None => return Err(ConfigError::MissingCallbackUrl),
        };
        let expected_path = format!("{p}/callback");
        let callback_ok = (url.is_empty() && !pushes)
            || url::Url::parse(&url).is_ok_and(|u| {
                let scheme_ok =
                    u.scheme() == "https" || (self.insecure_http && u.scheme() == "http");
                scheme_ok
                && u.host().is_some()
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none()
                && u.fragment().is_none()
                && u.path() == expected_path
                // The URL is signed as written: it must already be in canonical form.
                && u.as_str().trim_end_matches('/') == url.trim_end_matches('/')
            });
        if !callback_ok {
            return Err(ConfigError::CallbackUrl { url, expected_path });
        }
        if !(30..=600).contains(&self.challenge_ttl.as_secs()) {
            return Err(ConfigError::ChallengeTtl);
        }
        let l = &self.limits;
        if !(1..=100).contains(&l.per_challenge)
            || !(1..=100).contains(&l.per_account)
            || !(1..=86_400).contains(&l.lockout_secs)
        {
            return Err(ConfigError::AttemptLimits);
        }
        let sl = &self.sends;
        if ![sl.pushes_per_10_minutes, sl.per_login, sl.per_hour]
            .iter()
            .all(|n| (1..=100).contains(n))
        {
            return Err(ConfigError::SendLimits);
        }
        if self.push_message.trim().is_empty() || self.push_message.chars().count() > 200 {
            return Err(ConfigError::PushMessage);
        }
        if let Some(s) = &self.step_up {
            if crate::session::safe_return_to(&s.login_url).is_none() {
                return Err(ConfigError::StepUpLoginUrl(s.login_url.clone()));
            }
        }
        if crate::session::safe_return_to(&self.default_return_to).is_none() {
            return Err(ConfigError::DefaultReturnTo(self.default_return_to));
        }
        if !(1..=3600).contains(&self.nonce_window.as_secs()) {
            return Err(ConfigError::CallbackFreshness);
        }
        let poll = self.status_poll_every;
        if poll < Duration::from_millis(100) || poll > Duration::from_secs(60) {
            return Err(ConfigError::StatusPollInterval);
        }
        let t = &self.login_throttle;
        if !(1..=100).contains(&t.per_account)
            || !(1..=10_000).contains(&t.per_address)
            || !(1..=86_400).contains(&t.lockout.as_secs())
            || !(1..=128).contains(&t.ipv6_prefix)
        {
            return Err(ConfigError::LoginThrottle);
        }
        let st = &self.stream_limits;
        if !(1..=100).contains(&st.per_session) || !(1..=100).contains(&st.per_challenge) {
            return Err(ConfigError::StreamLimits);
        }
        if !(1..=60).contains(&self.authy_poll_every.as_secs()) {
            return Err(ConfigError::AuthyPollInterval);
        }
        if !(1..=60).contains(&self.body_timeout.as_secs()) {
            return Err(ConfigError::BodyTimeout);
        }
        if let Some(r) = &self.remember
            && (!(1..=365).contains(&r.settings.days) || !(1..=100).contains(&r.settings.per_user))
        {
            return Err(ConfigError::RememberDevice);
        }
        let step_up_mode = self.step_up.is_some();
        #[cfg(feature = "webauthn")]
        let passkeys = match self.passkeys {
            Some(mut part) => {
                if self.passkey_sign_in && step_up_mode {
                    return Err(ConfigError::PasskeySignIn);
                }
                part.sign_in = self.passkey_sign_in;
                Some(part)
            }
            None if self.passkey_sign_in => return Err(ConfigError::PasskeySignIn),
            None => None,
        };
        let mut names = vec![self.client.name()];
        for p in &self.more_providers {
            if names.contains(&p.name()) {
                return Err(ConfigError::DuplicateProvider(p.name()));
            }
            names.push(p.name());
        }
        let client: Arc<dyn crate::SecondFactorProvider> =
            Arc::new(crate::telemetry::Timed(self.client));
        let providers = std::iter::once(Arc::clone(&client))
            .chain(self.more_providers.into_iter().map(|p| {
                Arc::new(crate::telemetry::Timed(p)) as Arc<dyn crate::SecondFactorProvider>
            }))
            .collect();
        Ok(TwoFactor {
            shared: Arc::new(Shared {
                client,
                providers,
                factors: self.factors,
                users: self.users,
                step_up: self.step_up,
                policy: self.policy,
                audit: crate::audit::Auditor {
                    sink: self.audit,
                    clock: Arc::clone(&self.clock),
                },
                messages: crate::i18n::Messages::build(&self.messages, self.choose_language)?,
                challenges: self.challenges.ok_or(ConfigError::MissingChallengeStore)?,
                clock: self.clock,
                callback_url: url,
                prefix: self.prefix,
                challenge_ttl: i64::try_from(self.challenge_ttl.as_secs()).unwrap_or(600),
                limits: self.limits,
                sends: self.sends,
                nonce_window_secs: i64::try_from(self.nonce_window.as_secs()).unwrap_or(300),
                default_return_to: self.default_return_to,
                stylesheet: self.stylesheet,
                layout: self.layout,
                recovery: self.recovery,
                #[cfg(feature = "webauthn")]
                passkeys,
                enrolment: self.enrolment,
                remember: self.remember.map(|mut r| {
                    r.previous = self.remember_previous;
                    r
                }),
                push: super::Push {
                    message: self.push_message,
                    details: self.push_details,
                    logos: self.push_logos,
                    window_secs: 600,
                    poll_secs: i64::try_from(self.authy_poll_every.as_secs()).unwrap_or(3),
                },
                streams: super::Streams {
                    poll_every: self.status_poll_every,
                    limits: self.stream_limits,
                    open: Mutex::new(HashMap::new()),
                    changes: self
                        .changes
                        .unwrap_or_else(|| Arc::new(crate::store::LocalChangeFeed::new())),
                    watchers: crate::watchers::Watchers::new(),
                },
                passwords: super::Passwords {
                    throttle: self.login_throttle,
                    forwarded_hops: self.forwarded_hops,
                    cost_ns: AtomicU64::new(0),
                    known_devices: self.known_devices.filter(|_| !step_up_mode),
                },
                http: super::Http {
                    secure_cookies: !self.insecure_http,
                    security_headers: self.security_headers,
                    body_timeout: self.body_timeout,
                },
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::{AttemptLimits, LoginThrottle, SendLimits, StreamLimits};
    use crate::{provider::authy::AuthyClient, secret::ApiKey, store::MemoryUserStore};
    use serde_json::Map;
    use std::time::Duration;

    fn builder() -> TwoFactorBuilder {
        let client = AuthyClient::builder(ApiKey::new("k")).build().unwrap();
        TwoFactor::builder(client, MemoryUserStore::new(), MemoryUserStore::new())
            .callback_url("https://app.example/authy/callback")
    }

    #[test]
    fn secure_defaults_build() {
        let tf = builder().build().unwrap();
        assert!(tf.shared.http.secure_cookies);
        assert_eq!(tf.shared.challenge_ttl, 300);
        assert!(tf.shared.limits.per_account <= 100);
    }

    #[test]
    fn mistakes_are_reported_when_building() {
        let err = |b: TwoFactorBuilder| b.build().unwrap_err();
        for bad in ["authy", "/", "/authy/", "/a?b", "/a b"] {
            assert_eq!(
                err(builder().prefix(bad)),
                ConfigError::Prefix(bad.into()),
                "{bad}"
            );
        }
        let client = AuthyClient::builder(ApiKey::new("k")).build().unwrap();
        assert_eq!(
            err(TwoFactor::builder(
                client,
                MemoryUserStore::new(),
                MemoryUserStore::new()
            )),
            ConfigError::MissingCallbackUrl
        );
        for url in [
            "http://app.example/authy/callback",
            "https://app.example/other/callback",
            "https://app.example/authy/callback/",
            "app.example/authy/callback",
            "https://app.example/authy/callback?x=1",
            "https://user:pw@app.example/authy/callback",
            "https:///authy/callback",
            "https://app.example/authy/../authy/callback",
        ] {
            assert!(
                matches!(
                    err(builder().callback_url(url)),
                    ConfigError::CallbackUrl { .. }
                ),
                "{url}"
            );
        }
        assert!(
            builder()
                .callback_url("http://127.0.0.1:3000/authy/callback")
                .with_insecure_http_for_local_demo()
                .build()
                .is_ok()
        );
        assert_eq!(
            err(builder().challenge_ttl(Duration::from_secs(601))),
            ConfigError::ChallengeTtl
        );
        assert_eq!(
            err(builder().challenge_ttl(Duration::from_secs(5))),
            ConfigError::ChallengeTtl
        );
        assert_eq!(
            err(builder().attempt_limits(AttemptLimits {
                per_account: 101,
                ..AttemptLimits::default()
            })),
            ConfigError::AttemptLimits
        );
        assert_eq!(
            err(builder().attempt_limits(AttemptLimits {
                per_challenge: 0,
                ..AttemptLimits::default()
            })),
            ConfigError::AttemptLimits
        );
        assert_eq!(
            err(builder().send_limits(SendLimits {
                pushes_per_10_minutes: 0,
                ..SendLimits::default()
            })),
            ConfigError::SendLimits
        );
        assert_eq!(
            err(builder().push("", Map::new(), vec![])),
            ConfigError::PushMessage
        );
        assert_eq!(
            err(builder().push("x".repeat(201), Map::new(), vec![])),
            ConfigError::PushMessage
        );
    }

    #[test]
    fn new_limits_are_checked_when_building() {
        let err = |b: TwoFactorBuilder| b.build().unwrap_err();
        let throttle = LoginThrottle::default();
        for bad in [
            LoginThrottle {
                per_account: 0,
                ..throttle
            },
            LoginThrottle {
                per_account: 101,
                ..throttle
            },
            LoginThrottle {
                per_address: 0,
                ..throttle
            },
            LoginThrottle {
                lockout: Duration::ZERO,
                ..throttle
            },
            LoginThrottle {
                lockout: Duration::from_secs(86_401),
                ..throttle
            },
            LoginThrottle {
                ipv6_prefix: 0,
                ..throttle
            },
            LoginThrottle {
                ipv6_prefix: 129,
                ..throttle
            },
        ] {
            assert_eq!(
                err(builder().login_throttle(bad)),
                ConfigError::LoginThrottle,
                "{bad:?}"
            );
        }
        assert_eq!(
            err(builder().event_streams(StreamLimits {
                per_session: 0,
                per_challenge: 4
            })),
            ConfigError::StreamLimits
        );
        assert_eq!(
            err(builder().authy_poll_every(Duration::from_millis(500))),
            ConfigError::AuthyPollInterval
        );
        assert_eq!(
            err(builder().body_timeout(Duration::from_secs(61))),
            ConfigError::BodyTimeout
        );
        assert_eq!(
            err(builder().attempt_limits(AttemptLimits {
                lockout_secs: 0,
                ..AttemptLimits::default()
            })),
            ConfigError::AttemptLimits
        );
        for unsafe_path in ["https://evil.example/", "//evil.example", "account", ""] {
            assert_eq!(
                err(builder().default_return_to(unsafe_path)),
                ConfigError::DefaultReturnTo(unsafe_path.into())
            );
        }
        for window in [Duration::ZERO, Duration::from_secs(3601)] {
            assert_eq!(
                err(builder().callback_freshness(window)),
                ConfigError::CallbackFreshness
            );
        }
        for every in [Duration::ZERO, Duration::from_secs(61)] {
            assert_eq!(
                err(builder().status_poll_every(every)),
                ConfigError::StatusPollInterval
            );
        }
        let tf = builder().build().unwrap();
        assert_eq!(tf.shared.passwords.throttle, LoginThrottle::default());
        assert!(
            tf.shared.http.security_headers,
            "security headers are on by default"
        );
        assert_eq!(
            tf.shared.passwords.forwarded_hops, 0,
            "X-Forwarded-For is not trusted by default"
        );
    }

    #[test]
    fn insecure_opt_out_drops_secure_cookies_only_when_asked() {
        let tf = builder()
            .with_insecure_http_for_local_demo()
            .build()
            .unwrap();
        assert!(!tf.shared.http.secure_cookies);
    }
}

//! The mock's shared state: configuration, the simulated world, the callback target and the
//! change signal that wakes the phone page and waiting tests.

use crate::authy::OneTouchBehaviour;
use crate::callback::CallbackMethod;
use crate::clock::Clock;
use crate::limits::RateLimits;
use crate::model::World;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// Marks a response whose connection must be closed without sending it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

#[derive(Debug, Clone)]
pub(crate) struct CallbackTarget {
    pub(crate) url: String,
    pub(crate) method: CallbackMethod,
}

/// Who may call the Verify v2 API, and the key its webhooks are signed with.
#[derive(Debug, Clone)]
pub(crate) struct TwilioConfig {
    pub(crate) account_sid: String,
    pub(crate) auth_token: String,
}

#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) twilio: TwilioConfig,
    pub(crate) api_key: String,
    pub(crate) app_name: String,
    pub(crate) seed: Option<u64>,
    pub(crate) default_onetouch: OneTouchBehaviour,
    pub(crate) rate_limits: RateLimits,
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
}

pub(crate) fn reset(inner: &Inner) {
    inner.with_world(|w| {
        *w = World::new(
            inner.config.seed,
            inner.config.default_onetouch,
            inner.config.rate_limits,
        );
        w.verify = crate::verify::VerifyWorld::with_default_service(
            crate::verify::DEFAULT_SERVICE_SID,
            &inner.config.app_name,
            inner.clock.now(),
        );
    });
    inner.clock.reset();
    inner.notify();
}

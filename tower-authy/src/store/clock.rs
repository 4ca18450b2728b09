//! The time, as the stores and flows read it.

/// The time, in Unix seconds. Tests substitute a [`ManualClock`] to test expiry without sleeping.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Now, in Unix seconds.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told. Clones share the same time. (Feature `test-util`.)
#[cfg(feature = "test-util")]
#[derive(Debug, Clone, Default)]
pub struct ManualClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

#[cfg(feature = "test-util")]
impl ManualClock {
    /// A clock reading `unix_seconds`.
    pub fn new(unix_seconds: i64) -> Self {
        ManualClock(std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
            unix_seconds,
        )))
    }

    /// Moves the clock forward.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(feature = "test-util")]
impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

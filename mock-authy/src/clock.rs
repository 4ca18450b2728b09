//! The virtual clock: wall-clock time plus an offset tests move, or frozen.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time plus an offset that tests move forward, so expiry is tested without sleeping.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_secs: AtomicI64,
    /// When set, time stands still at `frozen + offset`.
    frozen: Option<i64>,
}

impl Clock {
    pub(crate) fn new(frozen: Option<i64>) -> Self {
        Clock {
            offset_secs: AtomicI64::new(0),
            frozen,
        }
    }

    /// Current Unix time in seconds.
    pub(crate) fn now(&self) -> i64 {
        let base = self.frozen.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        base + self.offset_secs.load(Ordering::SeqCst)
    }

    pub(crate) fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }

    pub(crate) fn reset(&self) {
        self.offset_secs.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn clock_advances_only_when_told_while_frozen() {
        let c = Clock::new(Some(1_000));
        assert_eq!(c.now(), 1_000);
        c.advance(61);
        assert_eq!(c.now(), 1_061);
        c.reset();
        assert_eq!(c.now(), 1_000);
    }
}

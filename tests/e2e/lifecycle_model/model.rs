//! The model's own bookkeeping: what each session, challenge and throttle should be.

use super::*;

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Throttle {
    pub(super) count: u32,
    pub(super) last: i64,
}

impl Throttle {
    /// Mirrors `ChallengeStore::take_attempt`.
    pub(super) fn take(&mut self, max: u32, now: i64) -> bool {
        if now - self.last >= PW_LOCKOUT {
            self.count = 0;
        }
        if self.count >= max {
            return false;
        }
        self.count += 1;
        self.last = now;
        true
    }

    pub(super) fn refund(&mut self) {
        self.count = self.count.saturating_sub(1);
    }
}

/// What the model knows about one session's current login.
#[derive(Debug, Default, Clone)]
pub(super) struct Challenge {
    pub(super) user: usize,
    pub(super) uuid: Option<String>,
    /// A valid, fresh callback approving this challenge was sent.
    pub(super) legit_approval: bool,
    /// A final state the app reported for it.
    pub(super) final_seen: Option<String>,
    pub(super) codes_reaching_authy: usize,
    /// "Remember this device" was ticked, at this credential epoch.
    pub(super) remember: Option<u64>,
    /// The user's credential epoch when the password was accepted.
    pub(super) epoch: u64,
}

/// A remembered-device cookie a session's browser holds, as the model knows it.
#[derive(Debug, Clone)]
pub(super) struct Device {
    pub(super) cookie: String,
    pub(super) user: usize,
    pub(super) epoch: u64,
    pub(super) expires: i64,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Session {
    pub(super) challenge: Option<Challenge>,
    /// Who completed both factors here, and at which credential epoch.
    pub(super) verified: Option<usize>,
    pub(super) verified_epoch: u64,
    /// The password was accepted for this user, who has no second factor: enrolling, since
    /// this credential epoch, until this deadline.
    pub(super) enrolling: Option<usize>,
    pub(super) enrol_epoch: u64,
    pub(super) enrol_deadline: i64,
}

//! The simulated world: Authy's ([`crate::authy`]) and Verify v2's ([`crate::verify`]),
//! siblings, composed here over what they share (the random numbers, the journal, the injected
//! faults, the callbacks delivered).
//!
//! Everything here is synchronous and lives behind one mutex; no lock is held across an await.
//! The HTTP side (`api`, `control`, `delivery`) sits above it; nothing here imports it.
//!
//! `journal` holds what the control API shows of requests, `fault` the faults and control
//! errors; the world itself is here.

mod fault;
mod journal;

pub use fault::{Fault, FaultKind};
pub use journal::JournalEntry;

use crate::authy::{AuthyWorld, OneTouchBehaviour};
use crate::endpoint::Endpoint;
use crate::limits::RateLimits;
use crate::rng::Rng;
use std::collections::VecDeque;

/// Journal entries kept; older ones are dropped first.
const JOURNAL_CAP: usize = 10_000;

/// The mutable world: Authy's and Verify's, side by side, over what they share.
#[derive(Debug)]
pub(crate) struct World {
    pub(crate) rng: Rng,
    pub(crate) journal: VecDeque<JournalEntry>,
    journal_seq: u64,
    pub(crate) deliveries: Vec<crate::CallbackDelivery>,
    pub(crate) faults: Vec<Fault>,
    /// The per-number send limits, for both sides.
    pub(crate) rate_limits: RateLimits,
    /// The Authy side.
    pub(crate) authy: AuthyWorld,
    /// The Verify v2 side.
    pub(crate) verify: crate::verify::VerifyWorld,
}

impl World {
    pub(crate) fn new(
        seed: Option<u64>,
        default_onetouch: OneTouchBehaviour,
        rate_limits: RateLimits,
    ) -> Self {
        let mut rng = Rng::new(seed);
        let authy = AuthyWorld::new(&mut rng, default_onetouch);
        World {
            rng,
            journal: VecDeque::new(),
            journal_seq: 0,
            deliveries: Vec::new(),
            faults: Vec::new(),
            rate_limits,
            authy,
            verify: crate::verify::VerifyWorld::default(),
        }
    }

    pub(crate) fn record(&mut self, mut entry: JournalEntry) {
        self.journal_seq += 1;
        entry.seq = self.journal_seq;
        if self.journal.len() >= JOURNAL_CAP {
            self.journal.pop_front();
        }
        self.journal.push_back(entry);
    }

    /// Picks the faults that apply to this request: latencies to sum, and at most one terminal fault.
    pub(crate) fn take_faults(&mut self, endpoint: Endpoint) -> (u64, Option<FaultKind>) {
        let mut delay = 0;
        let mut terminal = None;
        let World { faults, rng, .. } = self;
        for f in faults.iter_mut() {
            if !f.endpoint.matches(endpoint) {
                continue;
            }
            if f.times == Some(0) {
                continue;
            }
            let is_latency = matches!(f.kind, FaultKind::Latency { .. });
            if !is_latency && terminal.is_some() {
                continue;
            }
            if f.probability.is_some_and(|p| rng.next_f64() >= p) {
                continue;
            }
            if let Some(n) = f.times.as_mut() {
                *n -= 1;
            }
            match &f.kind {
                FaultKind::Latency { ms } => delay += ms,
                other => terminal = Some(other.clone()),
            }
        }
        faults.retain(|f| f.times != Some(0));
        (delay, terminal)
    }
}

#[cfg(test)]
mod tests;

//! Faults to inject.

use crate::endpoint::FaultTarget;
use serde::{Deserialize, Serialize};

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Answer with this status and an Authy error body.
    Status {
        /// HTTP status.
        status: u16,
        /// Authy `error_code`, a digit string.
        #[serde(default = "default_error_code")]
        error_code: String,
        /// Error message.
        #[serde(default = "default_error_message")]
        message: String,
    },
    /// Wait this long, then answer normally (or apply the next fault).
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// Headers, then part of a body, then the connection closes.
    TruncatedBody,
    /// Close the connection without answering.
    DropConnection,
}

fn default_error_code() -> String {
    "60000".into()
}
fn default_error_message() -> String {
    "An error occurred".into()
}

/// A fault to inject into matching requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    /// The endpoint it applies to, or every one (`"endpoint": "*"` on the control API).
    pub endpoint: FaultTarget,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Apply to this many matching requests, then stop. `None` means no count limit.
    #[serde(default)]
    pub times: Option<u32>,
    /// Apply with this probability (seeded). `None` means always.
    #[serde(default)]
    pub probability: Option<f64>,
}

impl Fault {
    /// A fault on an endpoint (or on [`FaultTarget::Any`]) that applies to every matching
    /// request.
    pub fn new(endpoint: impl Into<FaultTarget>, kind: FaultKind) -> Self {
        Fault {
            endpoint: endpoint.into(),
            kind,
            times: None,
            probability: None,
        }
    }

    /// Applies only to the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Applies with probability `p`, drawn from the mock's (seedable) generator.
    #[must_use]
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }
}

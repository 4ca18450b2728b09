//! OneTouch's words, shared by the Authy and Verify worlds and the callbacks: how a phone
//! answers a push ([`OneTouchBehaviour`]) and where a push stands ([`ApprovalStatus`]).

use serde::{Deserialize, Serialize};

/// How a user's phone answers OneTouch approval requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum OneTouchBehaviour {
    /// Requests stay pending until approved or denied through the control API or phone page.
    #[default]
    Manual,
    /// The phone approves every request after `after_ms` milliseconds.
    AutoApprove {
        /// Delay before approving.
        #[serde(default)]
        after_ms: u64,
    },
    /// The phone denies every request after `after_ms` milliseconds.
    AutoDeny {
        /// Delay before denying.
        #[serde(default)]
        after_ms: u64,
    },
    /// The user has no Authy app: OneTouch requests fail and SMS is sent without `force`.
    NoDevice,
}

impl OneTouchBehaviour {
    pub(crate) fn has_device(self) -> bool {
        self != OneTouchBehaviour::NoDevice
    }
}

/// The life of an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    /// Waiting for the user.
    Pending,
    /// The user tapped Approve.
    Approved,
    /// The user tapped Deny.
    Denied,
    /// Nobody answered in time.
    Expired,
}

impl ApprovalStatus {
    /// The wire name (`pending`, `approved`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Denied => "denied",
            ApprovalStatus::Expired => "expired",
        }
    }
}

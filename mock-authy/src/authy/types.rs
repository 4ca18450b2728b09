//! Authy's records as the control API shows them: users, their codes, approval requests.

pub use crate::onetouch::{ApprovalStatus, OneTouchBehaviour};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A registered Authy user, as the control API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The authy_id.
    pub id: u64,
    /// Every email registered with this phone.
    pub emails: Vec<String>,
    /// Digits only.
    pub cellphone: String,
    /// Digits only.
    pub country_code: String,
    /// True once a token was verified with `force` or after first use.
    pub confirmed: bool,
    /// How the phone answers OneTouch requests.
    pub onetouch: OneTouchBehaviour,
    /// SMS and voice codes "sent" to this user, oldest first.
    pub outbox: Vec<OutboxMessage>,
    #[serde(skip)]
    pub(crate) secret: [u8; 20],
}

/// How a code reached the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Text message.
    Sms,
    /// Voice call.
    Call,
    /// Email (`email/{id}`).
    Email,
}

/// A code the mock "sent" by SMS or voice call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// SMS or call.
    pub channel: Channel,
    /// The code, a digit string.
    pub token: String,
    /// Unix seconds on the mock's clock.
    pub sent_at: i64,
    /// The `action` the code is bound to, if any.
    pub action: Option<String>,
    /// The custom `action_message`, if any.
    pub action_message: Option<String>,
    /// Whether the code has been verified (codes are single use).
    pub used: bool,
}

/// A OneTouch approval request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// Authy's id for the request.
    pub uuid: String,
    /// The user it was sent to.
    pub authy_id: u64,
    /// The text shown on the phone.
    pub message: String,
    /// Shown to the user (`null` when none were given).
    pub details: Value,
    /// Kept but not shown (`null` when none were given).
    pub hidden_details: Value,
    /// The user's email when the request was made: Authy reports it even after the user is
    /// deleted.
    #[serde(default)]
    pub user_email: Option<String>,
    /// Logos, or null.
    pub logos: Value,
    /// 0 means never.
    pub seconds_to_expire: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Current status.
    pub status: ApprovalStatus,
    /// When the status left `pending`.
    pub processed_at: Option<i64>,
}

impl ApprovalRequest {
    /// Unix seconds at which it expires, if it ever does.
    pub fn expires_at(&self) -> Option<i64> {
        (self.seconds_to_expire > 0).then(|| self.created_at + self.seconds_to_expire)
    }
}

/// Why a control operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// No request has that uuid.
    #[error("no approval request has that uuid")]
    UnknownApproval,
    /// No user has that id.
    #[error("no user has that id")]
    UnknownUser,
    /// The request is no longer pending.
    #[error("the approval request is already {}", .0.as_str())]
    NotPending(ApprovalStatus),
    /// Not a possible phone number for its country code.
    #[error("not a possible phone number for that country code")]
    InvalidPhoneNumber,
}

//! What the control API shows: users, their codes, approval requests, the journal.

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

/// One request the mock received.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Unix seconds on the mock's clock.
    pub at: i64,
    /// HTTP method.
    pub method: String,
    /// Path with duplicate slashes collapsed; no query string.
    pub path: String,
    /// The endpoint's name (see [`Endpoint`](crate::Endpoint)), or `unknown`.
    pub endpoint: String,
    /// The status code answered (0 when the connection was dropped).
    pub status: u16,
    /// The merged parameters, `api_key` removed.
    pub params: Value,
    /// The fault applied, if any.
    pub fault: Option<String>,
}

//! OneTouch callbacks, built and signed as Authy sends them (authy-api.md B.1 and B.2).

use crate::onetouch::ApprovalStatus;
use serde::{Deserialize, Serialize};

/// How the application's console configured the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum CallbackMethod {
    /// JSON body (Authy's default since 2018).
    #[default]
    Post,
    /// The same fields flattened into the query string.
    Get,
}

impl CallbackMethod {
    /// `POST` or `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackMethod::Post => "POST",
            CallbackMethod::Get => "GET",
        }
    }
}

impl std::str::FromStr for CallbackMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "POST" => Ok(CallbackMethod::Post),
            "GET" => Ok(CallbackMethod::Get),
            other => Err(format!(
                "callback method must be POST or GET, not {other:?}"
            )),
        }
    }
}

/// The exact request the mock sent, so that tests can replay or tamper with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentCallback {
    /// `POST` or `GET`.
    pub method: CallbackMethod,
    /// The full URL, with the query string for GET callbacks.
    pub url: String,
    /// The JSON body (empty for GET).
    pub body: String,
    /// `X-Authy-Signature-Nonce`.
    pub nonce: String,
    /// `X-Authy-Signature`.
    pub signature: String,
}

/// One try at delivering a callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// From 1.
    pub attempt: u32,
    /// The status the application answered, if it answered.
    pub status: Option<u16>,
    /// Why there was no answer.
    pub error: Option<String>,
    /// Wall-clock start, Unix milliseconds.
    pub started_at_ms: u64,
    /// How long the attempt took.
    pub duration_ms: u64,
}

/// Every attempt at delivering one callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallbackDelivery {
    /// The approval request.
    pub uuid: String,
    /// `approved` or `denied`.
    pub status: ApprovalStatus,
    /// The request as sent (each attempt sends the same bytes).
    pub request: SentCallback,
    /// Attempts in order.
    pub attempts: Vec<DeliveryAttempt>,
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
}

impl CallbackDelivery {
    /// The status of the last attempt that got an answer.
    pub fn last_status(&self) -> Option<u16> {
        self.attempts.iter().rev().find_map(|a| a.status)
    }
}

//! The journal: every request the mock received, as the control API shows it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

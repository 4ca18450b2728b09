//! The application endpoints beyond `app/details`: monthly statistics and user activity
//! (authy-api.md A.4.12).

use super::endpoints::{invalid_parameter, parse_id, user_not_found};
use crate::authy::Channel;
use crate::params;
use crate::state::Inner;
use http::StatusCode;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// `GET /protected/json/app/stats`: this month's figures on the mock's clock, counted from
/// the journal (API calls, successful token checks) and the outboxes (SMS, calls).
pub(super) fn stats(inner: &Arc<Inner>, now: i64) -> (StatusCode, Value) {
    let at =
        time::OffsetDateTime::from_unix_timestamp(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let this_month = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .is_ok_and(|d| (d.year(), d.month()) == (at.year(), at.month()))
    };
    inner.with_world(|w| {
        let api_calls = w.journal.iter().filter(|e| this_month(e.at)).count();
        let auths = w
            .journal
            .iter()
            .filter(|e| this_month(e.at) && e.endpoint == "verify" && e.status == 200)
            .count();
        let sent = |channel: Channel| {
            w.authy
                .users
                .values()
                .flat_map(|u| &u.outbox)
                .filter(|m| m.channel == channel && this_month(m.sent_at))
                .count()
        };
        let users = w.authy.users.len();
        (
            StatusCode::OK,
            json!({
                "app_id": 3,
                "count": 1,
                "message": "Monthly statistics.",
                "stats": [{
                    "api_calls_count": api_calls,
                    "auths_count": auths,
                    "calls_count": sent(Channel::Call),
                    "month": at.month().to_string(),
                    "sms_count": sent(Channel::Sms),
                    "users_count": users,
                    "year": at.year(),
                }],
                "success": true,
                "total_users": users,
            }),
        )
    })
}

/// The activity types Authy records.
const ACTIVITY_TYPES: [&str; 4] = ["password_reset", "banned", "unbanned", "cookie_login"];

/// `POST /protected/json/users/{id}/register_activity`: `type` (one of four), `user_ip`,
/// `data[...]`. The mock keeps it in the journal only.
pub(super) fn register_activity(
    inner: &Arc<Inner>,
    id: &str,
    p: &Map<String, Value>,
) -> (StatusCode, Value) {
    let Some(id) = parse_id(id).filter(|id| inner.with_world(|w| w.authy.users.contains_key(id)))
    else {
        return user_not_found();
    };
    let kind = params::text(p, "type").unwrap_or_default();
    if !ACTIVITY_TYPES.contains(&kind.as_str()) {
        return invalid_parameter("type");
    }
    if p.get("data").is_some_and(|d| !d.is_object()) {
        return invalid_parameter("data");
    }
    tracing::info!(authy_id = id, kind, "activity registered");
    (
        StatusCode::OK,
        json!({"message": "Activity was created.", "success": true}),
    )
}

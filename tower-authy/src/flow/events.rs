//! `GET /events`: the waiting page's server-sent event stream.
//!
//! Invariants kept here:
//! - a stream only ever reports its own session's challenge;
//! - streams are capped per session and per challenge on this instance, and each holds its slot
//!   until the browser goes away;
//! - Authy is asked about a pending push at most once per `authy_poll_every` per challenge,
//!   however many streams wait on it and on however many instances (the right to ask is a quota
//!   in the shared challenge store); nobody asks once the challenge has settled or expired.

use super::lifecycle::{current, notify, pending_challenge, status_body};
use crate::config::Shared;
use crate::store::{Challenge, ChallengeState};
use crate::web::Shared_;
use crate::web::{Handled, Reply};
use axum::Extension;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use http::{HeaderValue, StatusCode, header};
use std::convert::Infallible;
use std::sync::{Arc, PoisonError};
use std::time::Duration;
use tower_sessions::Session;

/// Pushes the challenge's status as it changes: the callback's arrival reaches the browser at
/// once. Also re-reads the store every `status_poll_every`, for callbacks that land on another
/// instance, and at the deadline, for expiry.
pub(crate) async fn events(Extension(shared): Shared_, session: Session) -> Handled {
    let reply = Reply::json(&shared);
    let (_, first) = pending_challenge(&shared, &session, &reply).await?;
    let session_key = session.id().map_or_else(String::new, |id| id.to_string());
    let Some(slot) = StreamSlot::take(&shared, &session_key, &first.id) else {
        tracing::warn!(event = "event_streams_capped", user_id = %first.user_id, "too many event streams");
        crate::telemetry::throttled("streams");
        let mut r = reply.problem(StatusCode::TOO_MANY_REQUESTS, "problem-streams");
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return Ok(r);
    };
    let watch = Watch {
        changes: shared
            .streams
            .watchers
            .watch(shared.streams.changes.as_ref(), &first.id),
        shared: Arc::clone(&shared),
        id: first.id.clone(),
        last: None,
        done: false,
        authy_every: authy_poll_every(&shared),
        next_authy_check: tokio::time::Instant::now() + authy_poll_every(&shared),
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(watch, |mut w| async move {
        if w.done {
            return None;
        }
        loop {
            let c = match current(&w.shared, &w.id).await {
                Ok(Some(c)) => c,
                // Store down or challenge gone: end the stream; the page falls back to a reload.
                _ => return None,
            };
            if w.last != Some(c.state) {
                w.done = c.state != ChallengeState::Pending;
                w.last = Some(c.state);
                let event = Event::default()
                    .event("status")
                    .data(status_body(&w.shared, &c).to_string());
                return Some((Ok::<_, Infallible>(event), w));
            }
            // A callback can be lost (the app was down, or it beat the challenge into the
            // store): now and then, ask Authy itself. Reading is idempotent.
            if tokio::time::Instant::now() >= w.next_authy_check {
                // A lost callback is rare: ask again later and later (up to a minute apart),
                // so a crowd of long-waiting browsers does not turn into a stream of requests.
                w.authy_every = (w.authy_every * 2).min(AUTHY_POLL_AT_MOST_EVERY);
                w.next_authy_check = tokio::time::Instant::now() + w.authy_every;
                ask_authy_once_per_interval(&w.shared, &c).await;
                continue;
            }
            let until_deadline = u64::try_from(c.expires_at - w.shared.clock.now()).unwrap_or(0);
            let wait = w
                .shared
                .streams
                .poll_every
                .min(Duration::from_secs(until_deadline.max(1)));
            tokio::select! {
                () = w.changes.changed() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The longest a waiting stream goes without asking Authy about its push.
const AUTHY_POLL_AT_MOST_EVERY: Duration = Duration::from_secs(60);

fn authy_poll_every(shared: &Shared) -> Duration {
    Duration::from_secs(u64::try_from(shared.push.poll_secs).unwrap_or(3))
}

/// One waiting browser's event stream.
struct Watch {
    shared: Arc<Shared>,
    id: String,
    changes: crate::watchers::Watch,
    last: Option<ChallengeState>,
    done: bool,
    authy_every: Duration,
    next_authy_check: tokio::time::Instant,
    _slot: StreamSlot,
}

/// A counted place among the open streams of one session and one challenge; given back on drop
/// (the browser went away, or the stream ended).
struct StreamSlot {
    shared: Arc<Shared>,
    keys: [String; 2],
}

impl StreamSlot {
    fn take(shared: &Arc<Shared>, session_key: &str, challenge_id: &str) -> Option<StreamSlot> {
        let keys = [format!("s:{session_key}"), format!("c:{challenge_id}")];
        let caps = [
            shared.streams.limits.per_session,
            shared.streams.limits.per_challenge,
        ];
        let mut open = shared
            .streams
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if keys
            .iter()
            .zip(caps)
            .any(|(k, cap)| open.get(k).copied().unwrap_or(0) >= cap)
        {
            return None;
        }
        for k in &keys {
            *open.entry(k.clone()).or_insert(0) += 1;
        }
        crate::telemetry::event_streams(1.0);
        Some(StreamSlot {
            shared: Arc::clone(shared),
            keys,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        crate::telemetry::event_streams(-1.0);
        let mut open = self
            .shared
            .streams
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for k in &self.keys {
            if let Some(n) = open.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    open.remove(k);
                }
            }
        }
    }
}

/// Settles a pending challenge from Authy's own record of its approval request, if no other
/// stream (here or on another instance) has asked within the interval.
async fn ask_authy_once_per_interval(shared: &Shared, c: &Challenge) {
    let Some(uuid) = &c.push_id else { return };
    let now = shared.clock.now();
    match shared
        .challenges
        .take_quota(
            &format!("authy-poll:{}", c.id),
            1,
            shared.push.poll_secs,
            now,
        )
        .await
    {
        Ok(true) => {}
        // Someone else asked within the interval, or the store is down (the next read of the
        // challenge ends the stream then).
        Ok(false) | Err(_) => return,
    }
    let Some(provider) = shared.provider_of(c) else {
        return;
    };
    let to = match provider.push_status(c.subject, uuid).await {
        Ok(crate::provider::PushStatus::Approved) => ChallengeState::Approved,
        Ok(crate::provider::PushStatus::Denied) => ChallengeState::Denied,
        Ok(crate::provider::PushStatus::Expired) => ChallengeState::Expired,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the approval request from Authy");
            return;
        }
    };
    if let Ok(true) = shared
        .challenges
        .transition(&c.id, ChallengeState::Pending, to)
        .await
    {
        tracing::info!(event = "challenge_settled_by_poll", user_id = %c.user_id, status = to.as_str(), "no callback arrived; Authy's record settled the challenge");
        crate::flow::lifecycle::push_answered(shared, c, to);
        notify(shared, &c.id);
    }
}

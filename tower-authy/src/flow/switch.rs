//! "Try another way": `POST /factor` switches the pending login to another of the user's
//! factors. It keeps the login's deadline, ends the challenge it leaves (a late answer to its
//! push changes nothing), and offers only the pending user's own factors.

use crate::store::ChallengeState;
use crate::web::{Checked, Handled, Reply};
use http::StatusCode;
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct SwitchForm {
    #[serde(default)]
    factor: String,
}

/// "Try another way": the pending login goes on with another of the user's factors.
pub(crate) async fn switch(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<SwitchForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (pending, c) = reply.with_challenge(&session).await?;
    if let Some(r) = super::lifecycle::finished_page(&reply, c.state) {
        return Ok(r);
    }
    let others = crate::offer::others(&shared, &c).await?;
    let Some(factor) = others.into_iter().find(|f| f.id == form.factor) else {
        return Ok(reply.problem(StatusCode::NOT_FOUND, "problem-unknown-factor"));
    };
    // The challenge left behind ends: an answer to its push no longer counts.
    if !shared
        .challenges
        .transition(&c.id, ChallengeState::Pending, ChallengeState::Expired)
        .await?
    {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-already-answered"));
    }
    super::lifecycle::notify(&shared, &c.id);
    tracing::info!(event = "factor_switched", user_id = %c.user_id, provider = %factor.provider, "login goes on with another factor");
    let now = shared.clock.now();
    super::login::challenge_on(
        &shared,
        &session,
        &reply,
        pending,
        &factor,
        c.expires_at,
        now,
    )
    .await
}

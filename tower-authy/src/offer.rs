//! The user's factors as a login offers them.

use crate::config::Shared;
use crate::store::StoreError;
use crate::store::factor::{Factor, login_order};

/// The user's factors in the order login offers them, leaving out any of a provider no longer
/// configured (it cannot be proved).
pub(crate) async fn of_user(
    shared: &Shared,
    user: &crate::UserRecord,
) -> Result<Vec<Factor>, StoreError> {
    let mut all = shared.factors.factors(&user.id).await?;
    all.retain(|f| shared.offers(f));
    login_order(&mut all);
    Ok(all)
}

/// The ids of every factor the store holds for the user, offered or not: what a
/// compare-and-set on their factors expects.
pub(crate) async fn held_ids(shared: &Shared, user_id: &str) -> Result<Vec<String>, StoreError> {
    let held = shared.factors.factors(user_id).await?;
    Ok(held.into_iter().map(|f| f.id).collect())
}

/// The user's factors other than the one challenge `c` proves ("try another way").
pub(crate) async fn others(
    shared: &Shared,
    c: &crate::store::Challenge,
) -> Result<Vec<Factor>, StoreError> {
    let Some(user) = shared.users.load(&c.user_id).await? else {
        return Ok(Vec::new());
    };
    let mut all = of_user(shared, &user).await?;
    all.retain(|f| f.id != c.factor_id);
    Ok(all)
}

//! The user's factors as a login offers them: the store's, and a record's legacy Authy id.

use crate::config::Shared;
use crate::factors::{Factor, FactorKind, LEGACY, capitalised, login_order};
use crate::store::StoreError;

/// The factor a user record's legacy Authy id stands for: one of the first provider.
fn legacy(shared: &Shared, subject: u64) -> Factor {
    Factor {
        id: LEGACY.to_owned(),
        kind: FactorKind::of(shared.client.as_ref()),
        provider: shared.client.name().to_owned(),
        subject,
        label: capitalised(shared.client.app_label()),
        phone: None,
        created_at: 0,
        last_used_at: None,
    }
}

/// The user's factors in the order login offers them: the store's (when the factor model is
/// on), and the record's legacy Authy id unless the store already holds it.
pub(crate) async fn of_user(
    shared: &Shared,
    user: &crate::UserRecord,
) -> Result<Vec<Factor>, StoreError> {
    let mut all = match &shared.factors {
        Some(store) => store.factors(&user.id).await?,
        None => Vec::new(),
    };
    if let Some(subject) = user.authy_id {
        let primary = shared.client.name();
        if !all
            .iter()
            .any(|f| f.subject == subject && f.provider == primary)
        {
            all.push(legacy(shared, subject));
        }
    }
    // A factor of a provider no longer configured cannot be proved: never offered.
    all.retain(|f| shared.provider_named(&f.provider).is_some());
    login_order(&mut all);
    Ok(all)
}

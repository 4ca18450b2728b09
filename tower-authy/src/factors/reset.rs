//! An administrator's reset, for a user who lost every factor.

use super::FactorStore;
use crate::audit::EventKind;
use crate::store::StoreError;
use crate::store::{recovery::RecoveryCodeStore, remember::DeviceStore};

/// The stores an administrator's reset clears, as the application configured them.
#[allow(missing_debug_implementations)]
pub struct Stores<'a> {
    /// Each user's factors.
    pub factors: &'a dyn FactorStore,
    /// Recovery codes, when they are on.
    pub recovery: Option<&'a dyn RecoveryCodeStore>,
    /// Remembered devices, when they are on.
    pub devices: Option<&'a dyn DeviceStore>,
    /// Where the `admin_reset` audit event goes (and `epoch_bumped`, when factors were
    /// removed), when anywhere.
    pub audit: Option<&'a dyn crate::audit::AuditSink>,
}

/// What a reset removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reset {
    /// Factors removed from the store (each removal raised the credential epoch, so every
    /// session the user had ended).
    pub factors_removed: usize,
    /// Remembered devices forgotten.
    pub devices_forgotten: usize,
}

/// An administrator's reset for a user who lost every factor: removes their factors (each
/// removal raises the credential epoch, ending their sessions),
/// makes their recovery codes void and forgets their remembered devices. At their next login
/// they enrol again. Logged as the event `admin_reset`. With passkeys, the credentials of the
/// removed passkey factors stay in the `PasskeyStore` and prove nothing (every login and
/// sign-in reaches a credential through one of the user's factors); forget them too, by each
/// passkey factor's subject read before the reset, or all of the user's at once as the demo's
/// `admin reset-2fa` does.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use tower_authy::factors::{reset_second_factor, Stores};
/// use tower_authy::{factors::Factor, factors::FactorKind, FactorStore, store::MemoryUserStore};
/// let users = MemoryUserStore::new();
/// let app = Factor { id: "f1".into(), kind: FactorKind::App, provider: "totp".into(),
///     subject: 7, label: "App".into(), phone: None, created_at: 0, last_used_at: None };
/// let id = users.insert("ada@example.com", "pw", [app]);
/// let stores = Stores { factors: &users, recovery: None, devices: None, audit: None };
/// let done = reset_second_factor(&stores, &id).await.unwrap();
/// assert_eq!(done.factors_removed, 1);
/// assert!(users.factors(&id).await.unwrap().is_empty());
/// # }
/// ```
///
/// # Errors
/// [`StoreError`] when a store cannot answer (what was done before stays done; run it again).
pub async fn reset_second_factor(stores: &Stores<'_>, user_id: &str) -> Result<Reset, StoreError> {
    let mut done = Reset::default();
    // Each removal is a compare-and-set on the ids just read: a factor added meanwhile is read
    // on the next round and removed too.
    for _ in 0..64 {
        let factors = stores.factors.factors(user_id).await?;
        let Some(first) = factors.first() else {
            break;
        };
        let ids: Vec<String> = factors.iter().map(|f| f.id.clone()).collect();
        if stores.factors.remove(user_id, &first.id, &ids).await? {
            done.factors_removed += 1;
        }
    }
    if let Some(codes) = stores.recovery {
        codes.replace(user_id, Vec::new()).await?;
    }
    if let Some(devices) = stores.devices {
        done.devices_forgotten = devices.forget(user_id, None).await?;
    }
    tracing::warn!(event = "admin_reset", user_id = %user_id, factors = done.factors_removed, devices = done.devices_forgotten, "an administrator reset the user's second factors");
    if let Some(sink) = stores.audit {
        let factors_removed = done.factors_removed;
        crate::audit::record_now(sink, EventKind::AdminReset { factors_removed }, user_id);
        if factors_removed > 0 {
            crate::audit::record_now(sink, EventKind::EpochBumped, user_id);
        }
    }
    Ok(done)
}

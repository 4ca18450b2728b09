//! Recovery codes: ten single-use codes a user keeps on paper for the day the phone is lost.
//!
//! A code is 16 characters of Crockford's base32 (80 random bits), shown as `ABCD-EFGH-JKMN-PQRS`.
//! Only a hash of each is stored (SHA-256 over the user id and the code): with 80 bits of
//! entropy, a stolen table of hashes gives nothing to guess from. A code is accepted in place of
//! a token on the code form, under the same attempt limits, and redeemed at most once.

use crate::store::StoreError;
use async_trait::async_trait;
use sha2::{Digest, Sha256};
#[cfg(feature = "memory-store")]
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
#[cfg(feature = "memory-store")]
use std::sync::{Mutex, PoisonError};

/// How many codes a set holds.
pub const RECOVERY_CODES_PER_SET: usize = 10;
/// Random bytes per code: 80 bits, 16 characters of base32.
const BYTES: usize = 10;

/// Crockford's base32 (no I, L, O or U, so nothing reads as something else), read leniently:
/// any case, dashes and spaces ignored, O as 0, I and L as 1.
fn crockford() -> &'static data_encoding::Encoding {
    static ENCODING: std::sync::OnceLock<data_encoding::Encoding> = std::sync::OnceLock::new();
    ENCODING.get_or_init(|| {
        let mut spec = data_encoding::Specification::new();
        spec.symbols.push_str("0123456789ABCDEFGHJKMNPQRSTVWXYZ");
        spec.translate.from.push_str("abcdefghjkmnpqrstvwxyzOoIiLl");
        spec.translate.to.push_str("ABCDEFGHJKMNPQRSTVWXYZ001111");
        spec.ignore.push_str("- ");
        spec.encoding().expect("a valid base32 specification")
    })
}

/// A recovery code as the user reads it (16 characters, canonical). Its `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RecoveryCode(String);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

impl RecoveryCode {
    /// A fresh random code.
    fn generate() -> RecoveryCode {
        RecoveryCode(crockford().encode(&crate::random::bytes::<BYTES>()))
    }

    /// Reads what a person typed (see [`crockford`]). `None` when it cannot be a recovery
    /// code (it may still be a token: tokens are 6 to 12 digits, never 16 characters).
    pub(crate) fn parse(input: &str) -> Option<RecoveryCode> {
        let bytes = crockford().decode(input.trim().as_bytes()).ok()?;
        (bytes.len() == BYTES).then(|| RecoveryCode(crockford().encode(&bytes)))
    }

    /// `ABCD-EFGH-JKMN-PQRS`: how the code is shown.
    pub(crate) fn display(&self) -> String {
        let groups: Vec<&str> = (0..self.0.len())
            .step_by(4)
            .map(|i| &self.0[i..i + 4])
            .collect();
        groups.join("-")
    }

    /// What the store keeps: the hash of this code for this user.
    pub(crate) fn hash(&self, user_id: &str) -> RecoveryCodeHash {
        let mut h = Sha256::new();
        h.update(user_id.as_bytes());
        h.update([0]);
        h.update(self.0.as_bytes());
        RecoveryCodeHash(h.finalize().into())
    }
}

/// A fresh set of codes for `user_id`: the codes to show once, and the hashes to store.
pub(crate) fn new_set(user_id: &str) -> (Vec<RecoveryCode>, Vec<RecoveryCodeHash>) {
    let codes: Vec<RecoveryCode> = (0..RECOVERY_CODES_PER_SET)
        .map(|_| RecoveryCode::generate())
        .collect();
    let hashes = codes.iter().map(|c| c.hash(user_id)).collect();
    (codes, hashes)
}

/// What a [`RecoveryCodeStore`] keeps of a recovery code: a SHA-256 hash, never the code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecoveryCodeHash([u8; 32]);

impl RecoveryCodeHash {
    /// The 32 bytes, for storing.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A hash read back from storage.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        RecoveryCodeHash(bytes)
    }
}

impl std::fmt::Debug for RecoveryCodeHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCodeHash(..)")
    }
}

/// Where each user's recovery codes are kept, as hashes: usually beside the application's
/// users, in its database.
///
/// ```
/// use tower_authy::{recovery::MemoryRecoveryCodeStore, recovery::RecoveryCodeHash, recovery::RecoveryCodeStore};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let store = MemoryRecoveryCodeStore::new();
/// let a = RecoveryCodeHash::from_bytes([1; 32]);
/// store.replace("user-1", vec![a]).await.unwrap();
/// assert!(store.redeem("user-1", &a).await.unwrap());
/// assert!(!store.redeem("user-1", &a).await.unwrap(), "single use");
/// assert_eq!(store.remaining("user-1").await.unwrap(), 0);
/// // Given back (its login was approved another way meanwhile): usable again.
/// store.restore("user-1", &a).await.unwrap();
/// assert_eq!(store.remaining("user-1").await.unwrap(), 1);
/// // A new set: the old code never comes back.
/// assert!(store.redeem("user-1", &a).await.unwrap());
/// store.replace("user-1", vec![RecoveryCodeHash::from_bytes([2; 32])]).await.unwrap();
/// store.restore("user-1", &a).await.unwrap();
/// assert!(!store.redeem("user-1", &a).await.unwrap());
/// # }
/// ```
#[async_trait]
pub trait RecoveryCodeStore: Send + Sync + 'static {
    /// Replaces the user's whole set: the old codes stop working.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn replace(&self, user_id: &str, hashes: Vec<RecoveryCodeHash>)
    -> Result<(), StoreError>;

    /// Removes `hash` from the user's set if it is there, and says whether it was: atomically,
    /// so that two instances given the same code cannot both accept it.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn redeem(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<bool, StoreError>;

    /// How many unused codes the user has.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn remaining(&self, user_id: &str) -> Result<usize, StoreError>;

    /// Gives back a code [`redeem`](Self::redeem) took for a login that another factor (a push
    /// answered at the same moment) had already approved, so that the code is not lost. Only a
    /// code of the user's current set comes back: after [`replace`](Self::replace) an old code
    /// stays dead (keep the spent codes of the current set beside the unused ones, and drop
    /// both on replace). Nothing happens for a code that is not spent.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn restore(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<(), StoreError>;
}

#[async_trait]
impl<T: RecoveryCodeStore + ?Sized> RecoveryCodeStore for Arc<T> {
    async fn replace(
        &self,
        user_id: &str,
        hashes: Vec<RecoveryCodeHash>,
    ) -> Result<(), StoreError> {
        (**self).replace(user_id, hashes).await
    }

    async fn redeem(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<bool, StoreError> {
        (**self).redeem(user_id, hash).await
    }

    async fn remaining(&self, user_id: &str) -> Result<usize, StoreError> {
        (**self).remaining(user_id).await
    }

    async fn restore(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<(), StoreError> {
        (**self).restore(user_id, hash).await
    }
}

#[cfg(feature = "memory-store")]
/// Recovery codes in this process's memory: for tests, demos and single-instance apps.
/// Cheap to clone; clones share the codes.
#[derive(Debug, Clone, Default)]
pub struct MemoryRecoveryCodeStore {
    sets: Arc<Mutex<HashMap<String, CodeSet>>>,
}

#[cfg(feature = "memory-store")]
/// One user's current set: the unused codes and the spent ones.
#[derive(Debug, Default)]
struct CodeSet {
    unused: HashSet<RecoveryCodeHash>,
    spent: HashSet<RecoveryCodeHash>,
}

#[cfg(feature = "memory-store")]
impl MemoryRecoveryCodeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, CodeSet>) -> R) -> R {
        f(&mut self.sets.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(feature = "memory-store")]
#[async_trait]
impl RecoveryCodeStore for MemoryRecoveryCodeStore {
    async fn replace(
        &self,
        user_id: &str,
        hashes: Vec<RecoveryCodeHash>,
    ) -> Result<(), StoreError> {
        let set = CodeSet {
            unused: hashes.into_iter().collect(),
            spent: HashSet::new(),
        };
        self.with(|s| s.insert(user_id.to_owned(), set));
        Ok(())
    }

    async fn redeem(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            s.get_mut(user_id)
                .is_some_and(|set| set.unused.remove(hash) && set.spent.insert(*hash))
        }))
    }

    async fn remaining(&self, user_id: &str) -> Result<usize, StoreError> {
        Ok(self.with(|s| s.get(user_id).map_or(0, |set| set.unused.len())))
    }

    async fn restore(&self, user_id: &str, hash: &RecoveryCodeHash) -> Result<(), StoreError> {
        self.with(|s| {
            if let Some(set) = s.get_mut(user_id)
                && set.spent.remove(hash)
            {
                set.unused.insert(*hash);
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_crockford_characters_read_leniently() {
        let (codes, hashes) = new_set("u1");
        assert_eq!((codes.len(), hashes.len()), (10, 10));
        let shown = codes[0].display();
        assert_eq!(shown.len(), 19);
        assert_eq!(RecoveryCode::parse(&shown), Some(codes[0].clone()));
        assert_eq!(
            RecoveryCode::parse(&shown.to_lowercase().replace('-', " ")),
            Some(codes[0].clone())
        );
        let c = RecoveryCode::parse("ABCD-EFGH-JKMN-PQRS").unwrap();
        assert_eq!(RecoveryCode::parse("abcd efgh jkmn pqrs"), Some(c.clone()));
        assert_eq!(
            RecoveryCode::parse("0OIL-EFGH-JKMN-PQRS"),
            RecoveryCode::parse("0011-EFGH-JKMN-PQRS")
        );
        for bad in [
            "",
            "123456",
            "ABCD-EFGH-JKMN-PQR",
            "ABCD-EFGH-JKMN-PQRSU",
            "ABCD-EFGH-JKMN-PQR!",
        ] {
            assert_eq!(RecoveryCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_hash_belongs_to_one_user_and_one_code() {
        let c = RecoveryCode::parse("ABCD-EFGH-JKMN-PQRS").unwrap();
        let d = RecoveryCode::parse("ABCD-EFGH-JKMN-PQRT").unwrap();
        assert_eq!(c.hash("u1"), c.hash("u1"));
        assert_ne!(c.hash("u1"), c.hash("u2"));
        assert_ne!(c.hash("u1"), d.hash("u1"));
        assert_eq!(
            format!("{c:?} {:?}", c.hash("u1")),
            "RecoveryCode(..) RecoveryCodeHash(..)"
        );
    }

    #[test]
    fn sets_differ() {
        let (a, _) = new_set("u1");
        let (b, _) = new_set("u1");
        assert_ne!(a, b);
        let distinct: HashSet<String> = a.iter().map(RecoveryCode::display).collect();
        assert_eq!(distinct.len(), RECOVERY_CODES_PER_SET);
    }
}

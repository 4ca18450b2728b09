//! Recovery codes: ten single-use codes a user keeps on paper for the day the phone is lost.
//!
//! A code is 16 characters of Crockford's base32 (80 random bits), shown as `ABCD-EFGH-JKMN-PQRS`.
//! Only a hash of each is stored (SHA-256 over the user id and the code): with 80 bits of
//! entropy, a stolen table of hashes gives nothing to guess from. A code is accepted in place of
//! a token on the code form, under the same attempt limits, and redeemed at most once.
//!
//! The store's contract ([`RecoveryCodeStore`]) lives with the other stores, in `store`;
//! `routes` holds the page where a verified user makes a new set, `pages` what it shows.

pub(crate) mod pages;
pub(crate) mod routes;

#[cfg(feature = "memory-store")]
pub use crate::store::recovery::MemoryRecoveryCodeStore;
pub use crate::store::recovery::{RECOVERY_CODES_PER_SET, RecoveryCodeHash, RecoveryCodeStore};
pub(crate) use crate::store::recovery::{RecoveryCode, new_set};

//! [`RedisPasskeyStore`]: the users' WebAuthn credentials in Redis, shared by every instance.
//!
//! Key layout, under the prefix (default `tower-authy:`), every key under the one hash tag
//! `{pk}` so that the scripts' keys share a Redis Cluster slot:
//!
//! | key | type | what |
//! |---|---|---|
//! | `{pk}:s:<subject>` | hash `user`, `id` (hex), `cred`, `counter`, `index` | one credential |
//! | `{pk}:c:<credential id, hex>` | string | its subject |
//!
//! Credentials are durable: the keys have no TTL, and the Redis they live in must persist
//! (AOF or RDB) like any database of users. Registration and the counter's update are Lua
//! scripts, so one credential id goes to one account and one of two concurrent updates wins.

use super::StoreError;
use super::passkey::{PasskeyStore, StoredCredential};
use async_trait::async_trait;
use fred::clients::Pool;
use fred::interfaces::{HashesInterface, KeysInterface};
use fred::types::scripts::Script;
use std::collections::HashMap;
use std::sync::Arc;

/// A [`PasskeyStore`] in Redis (features `redis` and `webauthn`).
#[derive(Clone)]
pub struct RedisPasskeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    prefix: String,
    register: Script,
    update: Script,
    remove: Script,
}

impl std::fmt::Debug for RedisPasskeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPasskeyStore")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

fn down(e: fred::error::Error) -> StoreError {
    StoreError::unavailable(e)
}

impl RedisPasskeyStore {
    /// A store on `pool` (the challenge store's
    /// [`pool`](crate::store::RedisChallengeStore::pool) will do), keys under `tower-authy:`.
    pub fn new(pool: Pool) -> Self {
        RedisPasskeyStore::with_prefix(pool, "tower-authy:")
    }

    /// A store whose keys all start with `prefix`.
    pub fn with_prefix(pool: Pool, prefix: impl Into<String>) -> Self {
        RedisPasskeyStore {
            inner: Arc::new(Inner {
                pool,
                prefix: prefix.into(),
                register: Script::from_lua(include_str!("redis/passkey_register.lua")),
                update: Script::from_lua(include_str!("redis/passkey_update.lua")),
                remove: Script::from_lua(include_str!("redis/passkey_remove.lua")),
            }),
        }
    }

    fn subject_key(&self, subject: u64) -> String {
        format!("{}{{pk}}:s:{subject}", self.inner.prefix)
    }

    fn index_key(&self, credential_id: &[u8]) -> String {
        let hex = data_encoding::HEXLOWER.encode(credential_id);
        format!("{}{{pk}}:c:{hex}", self.inner.prefix)
    }

    async fn run<V>(&self, script: &Script, keys: Vec<String>, args: V) -> Result<bool, StoreError>
    where
        V: TryInto<fred::types::MultipleValues> + Send,
        V::Error: Into<fred::error::Error> + Send,
    {
        let client = self.inner.pool.next();
        let n: i64 = script
            .evalsha_with_reload(client, keys, args)
            .await
            .map_err(down)?;
        Ok(n == 1)
    }
}

fn credential(mut h: HashMap<String, String>) -> Option<StoredCredential> {
    Some(StoredCredential {
        user_id: h.remove("user")?,
        credential_id: data_encoding::HEXLOWER
            .decode(h.remove("id")?.as_bytes())
            .ok()?,
        credential: h.remove("cred")?.into_bytes(),
        counter: h.remove("counter")?.parse().ok()?,
    })
}

/// The credential as the store keeps it: JSON (tower-authy writes nothing else).
fn text(stored: &StoredCredential) -> Result<String, StoreError> {
    String::from_utf8(stored.credential.clone()).map_err(StoreError::unavailable)
}

#[async_trait]
impl PasskeyStore for RedisPasskeyStore {
    async fn register(&self, subject: u64, stored: StoredCredential) -> Result<bool, StoreError> {
        let keys = vec![
            self.subject_key(subject),
            self.index_key(&stored.credential_id),
        ];
        let args = vec![
            stored.user_id.clone(),
            data_encoding::HEXLOWER.encode(&stored.credential_id),
            text(&stored)?,
            stored.counter.to_string(),
            subject.to_string(),
        ];
        self.run(&self.inner.register, keys, args).await
    }

    async fn get(&self, subject: u64) -> Result<Option<StoredCredential>, StoreError> {
        let h: HashMap<String, String> = self
            .inner
            .pool
            .hgetall(self.subject_key(subject))
            .await
            .map_err(down)?;
        Ok(if h.is_empty() { None } else { credential(h) })
    }

    async fn find(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<(u64, StoredCredential)>, StoreError> {
        let subject: Option<String> = self
            .inner
            .pool
            .get(self.index_key(credential_id))
            .await
            .map_err(down)?;
        let Some(subject) = subject.and_then(|s| s.parse::<u64>().ok()) else {
            return Ok(None);
        };
        Ok(self
            .get(subject)
            .await?
            .filter(|c| c.credential_id == credential_id)
            .map(|c| (subject, c)))
    }

    async fn update(
        &self,
        subject: u64,
        expected_counter: u32,
        stored: StoredCredential,
    ) -> Result<bool, StoreError> {
        let args = vec![
            expected_counter.to_string(),
            data_encoding::HEXLOWER.encode(&stored.credential_id),
            text(&stored)?,
            stored.counter.to_string(),
        ];
        self.run(&self.inner.update, vec![self.subject_key(subject)], args)
            .await
    }

    async fn remove(&self, subject: u64) -> Result<bool, StoreError> {
        let no_args: Vec<String> = Vec::new();
        self.run(&self.inner.remove, vec![self.subject_key(subject)], no_args)
            .await
    }
}

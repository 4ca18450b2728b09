//! [`RedisChallengeStore`]: the challenge store shared by every instance, in Redis.
//!
//! Every operation that reads and then writes runs as one Lua script on the server, so it is
//! atomic across instances: exactly one caller wins a transition, attempt counting cannot
//! overshoot, a nonce is accepted once. Every key carries a TTL derived from what it serves.
//!
//! Key layout, under the prefix (default `tower-authy:`), with Redis Cluster hash tags so that a
//! script's keys share a slot:
//!
//! | key | type | what | TTL |
//! |---|---|---|---|
//! | `{c:<challenge>}` | hash | the challenge | its lifetime + 1 h |
//! | `u:<approval uuid>` | string | the challenge's id | same |
//! | `{a:<user>}:fail` | hash `n`, `last` | the account's token failures | `lockout` |
//! | `{a:<user>}:try:<challenge>` | string | the challenge's token attempts | 2 h |
//! | `q:{<key>}` | list | uses of a quota, newest first | the window |
//! | `n:{<key>}` | string | a seen callback nonce | until it may be forgotten |
//! | `t:{<key>}` | hash `n`, `last` | a throttled key (password guesses) | `lockout` |

use super::{AttemptDecision, Challenge, ChallengeState, ChallengeStore, StoreError};
use crate::limits::AttemptLimits;
use async_trait::async_trait;
use fred::clients::Pool;
use fred::interfaces::{HashesInterface, KeysInterface, TransactionInterface};
use fred::types::scripts::Script;
use fred::types::{Expiration, SetOptions};
use std::collections::HashMap;
use std::sync::Arc;

/// Finished challenges are kept this long after their deadline, so late callbacks are refused
/// with "not pending" rather than "unknown" (as in the memory store).
const RETAIN_SECS: i64 = 3600;
/// A challenge's attempt counter outlives any challenge.
const ATTEMPTS_TTL_SECS: i64 = 7200;

/// A [`ChallengeStore`] in Redis, for any number of instances (`redis` feature).
///
/// Built on a [`fred`] connection pool; give it one of your own ([`RedisChallengeStore::new`])
/// or let it connect ([`RedisChallengeStore::connect`]). When Redis is unreachable or slow,
/// every operation fails within the pool's command timeout, and the flows fail closed.
#[derive(Clone)]
pub struct RedisChallengeStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    prefix: String,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisChallengeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisChallengeStore")
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}

struct Scripts {
    transition: Script,
    begin_attempt: Script,
    account_locked: Script,
    take_quota: Script,
    take_attempt: Script,
    refund_attempt: Script,
}

impl Scripts {
    fn new() -> Self {
        Scripts {
            transition: Script::from_lua(include_str!("redis/transition.lua")),
            begin_attempt: Script::from_lua(include_str!("redis/begin_attempt.lua")),
            account_locked: Script::from_lua(include_str!("redis/account_locked.lua")),
            take_quota: Script::from_lua(include_str!("redis/take_quota.lua")),
            take_attempt: Script::from_lua(include_str!("redis/take_attempt.lua")),
            refund_attempt: Script::from_lua(include_str!("redis/refund_attempt.lua")),
        }
    }
}

fn down(e: fred::error::Error) -> StoreError {
    StoreError::unavailable(e)
}

impl RedisChallengeStore {
    /// A store on `pool` (initialised, or initialised by you later), keys under `tower-authy:`.
    pub fn new(pool: Pool) -> Self {
        RedisChallengeStore::with_prefix(pool, "tower-authy:")
    }

    /// A store whose keys all start with `prefix` (several applications on one Redis).
    pub fn with_prefix(pool: Pool, prefix: impl Into<String>) -> Self {
        RedisChallengeStore {
            inner: Arc::new(Inner {
                pool,
                prefix: prefix.into(),
                scripts: Scripts::new(),
            }),
        }
    }

    /// Connects a pool of `connections` to the Redis at `url` (`redis://host:port/db`), with a
    /// 2 s connection and command timeout and reconnection forever (every 500 ms).
    ///
    /// # Errors
    /// [`StoreError`] when the URL is invalid or Redis cannot be reached now.
    pub async fn connect(url: &str, connections: usize) -> Result<Self, StoreError> {
        use fred::prelude::{Builder, ClientLike, Config, ReconnectPolicy};
        let config = Config::from_url(url).map_err(down)?;
        let timeout = std::time::Duration::from_secs(2);
        let pool = Builder::from_config(config)
            .with_connection_config(|c| c.connection_timeout = timeout)
            .with_performance_config(|p| p.default_command_timeout = timeout)
            .set_policy(ReconnectPolicy::new_constant(0, 500))
            .build_pool(connections.max(1))
            .map_err(down)?;
        pool.init().await.map_err(down)?;
        Ok(RedisChallengeStore::new(pool))
    }

    /// The pool, for health checks or to share with a session store.
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Runs a script on the next connection (loading it there first if needed).
    async fn run<V>(&self, script: &Script, keys: Vec<String>, args: V) -> Result<i64, StoreError>
    where
        V: TryInto<fred::types::MultipleValues> + Send,
        V::Error: Into<fred::error::Error> + Send,
    {
        let client = self.inner.pool.next();
        script
            .evalsha_with_reload(client, keys, args)
            .await
            .map_err(down)
    }

    fn key(&self, tail: &str) -> String {
        format!("{}{tail}", self.inner.prefix)
    }

    fn challenge_key(&self, id: &str) -> String {
        self.key(&format!("{{c:{id}}}"))
    }

    fn account_keys(&self, user_id: &str, challenge_id: Option<&str>) -> Vec<String> {
        let mut keys = vec![self.key(&format!("{{a:{user_id}}}:fail"))];
        if let Some(id) = challenge_id {
            keys.push(self.key(&format!("{{a:{user_id}}}:try:{id}")));
        }
        keys
    }
}

fn to_hash(c: &Challenge) -> Vec<(&'static str, String)> {
    vec![
        ("id", c.id.clone()),
        ("user_id", c.user_id.clone()),
        ("subject", c.subject.to_string()),
        ("provider", c.provider.clone()),
        ("factor_id", c.factor_id.clone()),
        ("push_id", c.push_id.clone().unwrap_or_default()),
        ("match_code", c.match_code.clone()),
        ("state", c.state.as_str().to_owned()),
        ("created_at", c.created_at.to_string()),
        ("expires_at", c.expires_at.to_string()),
    ]
}

fn from_hash(mut h: HashMap<String, String>) -> Option<Challenge> {
    let mut take = |k: &str| h.remove(k);
    let state = match take("state")?.as_str() {
        "pending" => ChallengeState::Pending,
        "approved" => ChallengeState::Approved,
        "denied" => ChallengeState::Denied,
        "expired" => ChallengeState::Expired,
        "locked" => ChallengeState::Locked,
        "completed" => ChallengeState::Completed,
        _ => return None,
    };
    Some(Challenge {
        id: take("id")?,
        user_id: take("user_id")?,
        // Challenges written before the rename (they live minutes) under their old names.
        subject: take("subject").or_else(|| take("authy_id"))?.parse().ok()?,
        provider: take("provider").unwrap_or_default(),
        factor_id: take("factor_id").unwrap_or_default(),
        push_id: take("push_id")
            .or_else(|| take("approval_uuid"))
            .filter(|u| !u.is_empty()),
        match_code: take("match_code")?,
        state,
        created_at: take("created_at")?.parse().ok()?,
        expires_at: take("expires_at")?.parse().ok()?,
    })
}

#[async_trait]
impl ChallengeStore for RedisChallengeStore {
    async fn create(&self, challenge: Challenge) -> Result<(), StoreError> {
        let ttl = (challenge.expires_at - challenge.created_at).max(1) + RETAIN_SECS;
        let key = self.challenge_key(&challenge.id);
        // The challenge (atomically with its TTL) and its uuid index, sent together on one
        // connection: one round trip. Redis runs them in that order; where it cannot (the index
        // on another Cluster node), a callback that overtakes the challenge waits for it.
        let client = self.inner.pool.next();
        let tx = client.multi();
        let _: () = tx.hset(&key, to_hash(&challenge)).await.map_err(down)?;
        let _: () = tx.expire(&key, ttl, None).await.map_err(down)?;
        let index = async {
            if let Some(uuid) = &challenge.push_id {
                let expiry = Some(Expiration::EX(ttl));
                let index = self.key(&format!("u:{uuid}"));
                let () = client
                    .set(index, challenge.id.as_str(), expiry, None, false)
                    .await?;
            }
            Ok::<_, fred::error::Error>(())
        };
        let ((), ()) = tokio::try_join!(tx.exec(true), index).map_err(down)?;
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Challenge>, StoreError> {
        let h: HashMap<String, String> = self
            .inner
            .pool
            .hgetall(self.challenge_key(id))
            .await
            .map_err(down)?;
        Ok(if h.is_empty() { None } else { from_hash(h) })
    }

    async fn find_by_approval(&self, uuid: &str) -> Result<Option<Challenge>, StoreError> {
        let index = self.key(&format!("u:{uuid}"));
        let id: Option<String> = self.inner.pool.get(index).await.map_err(down)?;
        match id {
            Some(id) => self.get(&id).await,
            None => Ok(None),
        }
    }

    async fn transition(
        &self,
        id: &str,
        from: ChallengeState,
        to: ChallengeState,
    ) -> Result<bool, StoreError> {
        let script = &self.inner.scripts.transition;
        let keys = vec![self.challenge_key(id)];
        let args = vec![from.as_str(), to.as_str()];
        let moved: i64 = self.run(script, keys, args).await?;
        Ok(moved == 1)
    }

    async fn begin_attempt(
        &self,
        id: &str,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<AttemptDecision, StoreError> {
        let script = &self.inner.scripts.begin_attempt;
        let keys = self.account_keys(user_id, Some(id));
        let args = vec![
            now,
            limits.lockout_secs,
            i64::from(limits.per_account),
            i64::from(limits.per_challenge),
            ATTEMPTS_TTL_SECS,
        ];
        let decision: i64 = self.run(script, keys, args).await?;
        Ok(match decision {
            0 => AttemptDecision::Allowed,
            1 => AttemptDecision::ChallengeExhausted,
            _ => AttemptDecision::AccountLocked,
        })
    }

    async fn account_locked(
        &self,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<bool, StoreError> {
        let script = &self.inner.scripts.account_locked;
        let keys = self.account_keys(user_id, None);
        let args = vec![now, limits.lockout_secs, i64::from(limits.per_account)];
        let locked: i64 = self.run(script, keys, args).await?;
        Ok(locked == 1)
    }

    async fn clear_failures(&self, user_id: &str) -> Result<(), StoreError> {
        let keys = self.account_keys(user_id, None);
        let _: i64 = self.inner.pool.del(keys).await.map_err(down)?;
        Ok(())
    }

    async fn take_quota(
        &self,
        key: &str,
        max: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let script = &self.inner.scripts.take_quota;
        let keys = vec![self.key(&format!("q:{{{key}}}"))];
        let args = vec![now, window_secs, i64::from(max)];
        let taken: i64 = self.run(script, keys, args).await?;
        Ok(taken == 1)
    }

    async fn consume_nonce(
        &self,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let ttl = (expires_at - now).max(1);
        let set: Option<String> = self
            .inner
            .pool
            .set(
                self.key(&format!("n:{{{key}}}")),
                "1",
                Some(Expiration::EX(ttl)),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(down)?;
        Ok(set.is_some())
    }

    async fn keep_ceremony(
        &self,
        key: &str,
        state: Vec<u8>,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let ttl = (expires_at - now).max(1);
        let _: Option<String> = self
            .inner
            .pool
            .set(
                self.key(&format!("w:{{{key}}}")),
                state,
                Some(Expiration::EX(ttl)),
                None,
                false,
            )
            .await
            .map_err(down)?;
        Ok(())
    }

    async fn take_ceremony(&self, key: &str, _now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        // GETDEL: read and delete in one command, so one caller of all instances gets it.
        self.inner
            .pool
            .getdel(self.key(&format!("w:{{{key}}}")))
            .await
            .map_err(down)
    }

    async fn take_attempt(
        &self,
        key: &str,
        max: u32,
        lockout_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let script = &self.inner.scripts.take_attempt;
        let keys = vec![self.key(&format!("t:{{{key}}}"))];
        let args = vec![now, lockout_secs, i64::from(max)];
        let taken: i64 = self.run(script, keys, args).await?;
        Ok(taken == 1)
    }

    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        let script = &self.inner.scripts.refund_attempt;
        let keys = vec![self.key(&format!("t:{{{key}}}"))];
        let _: i64 = self.run(script, keys, Vec::<i64>::new()).await?;
        Ok(())
    }
}

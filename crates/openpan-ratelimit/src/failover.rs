//! Shared budgets that survive losing Redis: while Redis does not answer, each node keeps its
//! own budgets in memory, and Redis is tried again once a second. A node that starts while
//! Redis is down starts on its own budgets and connects when Redis comes back.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use openpan_core::RepoError;
use openpan_core::ratelimit::{Quota, RateDecision, RateLimiter};

use crate::{MemoryRateLimiter, RedisRateLimiter};

/// How long the node keeps to its own budgets after Redis failed before asking it again; one
/// request per period pays for finding Redis still gone.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Redis first, this node's memory while Redis is unreachable.
///
/// Each node then allows a client the whole quota, so N nodes allow up to N times it: a
/// looser limit for the minutes of an outage, rather than none (failing open) or an API that
/// refuses everything (failing closed).
pub struct FailoverRateLimiter {
    url: String,
    prefix: String,
    shared: OnceLock<RedisRateLimiter>,
    local: MemoryRateLimiter,
    outage: Mutex<Option<Instant>>,
}

impl FailoverRateLimiter {
    /// Connects to Redis at `url` (keys namespaced with `prefix`); when it does not answer,
    /// starts on this node's own budgets. Fails only for a URL that cannot be right.
    pub async fn start(url: &str, prefix: &str) -> Result<Self, RepoError> {
        let limiter = Self {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            shared: OnceLock::new(),
            local: MemoryRateLimiter::new(),
            outage: Mutex::new(None),
        };
        match limiter.connected().await {
            Ok(_) => {}
            Err(err @ RepoError::Unavailable(_)) => limiter.record(Err(&err)),
            Err(err) => return Err(err),
        }
        Ok(limiter)
    }

    /// The Redis connection, made now if it was not yet.
    async fn connected(&self) -> Result<&RedisRateLimiter, RepoError> {
        if let Some(shared) = self.shared.get() {
            return Ok(shared);
        }
        let shared = RedisRateLimiter::connect(&self.url, &self.prefix).await?;
        Ok(self.shared.get_or_init(|| shared))
    }

    /// Whether Redis answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        match self.connected().await {
            Ok(shared) => shared.ping().await,
            Err(_) => false,
        }
    }

    /// Whether this check should ask Redis: always when it answered last time, and during an
    /// outage once per `RETRY_EVERY` (the first caller to find the period over claims it).
    fn should_ask_redis(&self) -> bool {
        let Ok(mut outage) = self.outage.lock() else {
            return false;
        };
        match *outage {
            None => true,
            Some(retry_at) if Instant::now() >= retry_at => {
                *outage = Some(Instant::now() + RETRY_EVERY);
                true
            }
            Some(_) => false,
        }
    }

    fn record(&self, answered: Result<(), &RepoError>) {
        let Ok(mut outage) = self.outage.lock() else {
            return;
        };
        match (answered, outage.is_some()) {
            (Ok(()), true) => {
                *outage = None;
                tracing::info!("redis answers again; rate limits are shared by every node once more");
            }
            (Err(err), false) => {
                *outage = Some(Instant::now() + RETRY_EVERY);
                tracing::warn!(
                    error = %err,
                    "redis does not answer; rate limits fall back to this node's own budgets"
                );
            }
            (Err(_), true) => *outage = Some(Instant::now() + RETRY_EVERY),
            (Ok(()), false) => {}
        }
    }
}

#[async_trait]
impl RateLimiter for FailoverRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, RepoError> {
        if self.should_ask_redis() {
            let checked = match self.connected().await {
                Ok(shared) => shared.check(key, quota).await,
                Err(err) => Err(err),
            };
            match checked {
                Ok(decision) => {
                    self.record(Ok(()));
                    return Ok(decision);
                }
                Err(err) => self.record(Err(&err)),
            }
        }
        self.local.check(key, quota).await
    }
}

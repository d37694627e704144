//! One governor keyed limiter per distinct quota.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

use openpan_core::RepoError;
use openpan_core::ratelimit::{Quota, RateDecision, RateLimiter};

type Keyed = governor::RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Forget idle keys after this many checks, so one-off keys (client addresses) do not pile up.
const SWEEP_EVERY: u64 = 50_000;

/// Budgets held in this process; right for one node, wrong for several (use Redis then).
#[derive(Default)]
pub struct MemoryRateLimiter {
    limiters: RwLock<HashMap<Quota, Arc<Keyed>>>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl MemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    fn limiter_for(&self, quota: Quota) -> Result<Arc<Keyed>, RepoError> {
        if let Some(limiter) = self.limiters.read().map_err(poisoned)?.get(&quota) {
            return Ok(limiter.clone());
        }
        let limit = NonZeroU32::new(quota.limit).ok_or_else(|| RepoError::Other("rate limit of zero".into()))?;
        let interval = emission_interval(quota);
        let governor_quota = governor::Quota::with_period(interval)
            .ok_or_else(|| RepoError::Other("rate limit period of zero".into()))?
            .allow_burst(limit);
        let limiter =
            Arc::new(governor::RateLimiter::keyed(governor_quota).with_middleware::<StateInformationMiddleware>());
        let mut limiters = self.limiters.write().map_err(poisoned)?;
        Ok(limiters.entry(quota).or_insert(limiter).clone())
    }

    fn sweep(&self) {
        if let Ok(limiters) = self.limiters.read() {
            for limiter in limiters.values() {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }
}

fn poisoned<T>(_: T) -> RepoError {
    RepoError::Other("rate limiter lock poisoned".into())
}

/// The time one unit takes to refill.
fn emission_interval(quota: Quota) -> Duration {
    Duration::from_secs(u64::from(quota.period_secs)) / quota.limit.max(1)
}

fn ceil_secs(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, RepoError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        let limiter = self.limiter_for(quota)?;
        let interval = emission_interval(quota);
        let decision = match limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                RateDecision {
                    allowed: true,
                    limit: quota.limit,
                    remaining,
                    reset_secs: ceil_secs(interval * (quota.limit - remaining)),
                    retry_after_secs: 0,
                }
            }
            Err(not_until) => RateDecision {
                allowed: false,
                limit: quota.limit,
                remaining: 0,
                reset_secs: ceil_secs(interval * quota.limit),
                retry_after_secs: ceil_secs(not_until.wait_time_from(self.clock.now())).max(1),
            },
        };
        Ok(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_budget_runs_out_and_keys_are_independent() {
        let limiter = MemoryRateLimiter::new();
        let quota = Quota {
            limit: 3,
            period_secs: 60,
        };
        let remaining: Vec<u32> = [
            limiter.check("a", quota).await.unwrap(),
            limiter.check("a", quota).await.unwrap(),
            limiter.check("a", quota).await.unwrap(),
        ]
        .iter()
        .map(|decision| decision.remaining)
        .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let denied = limiter.check("a", quota).await.unwrap();
        assert!(!denied.allowed);
        assert!((1..=20).contains(&denied.retry_after_secs));
        assert!(limiter.check("b", quota).await.unwrap().allowed);
    }
}

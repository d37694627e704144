//! The rate-limit port: one budget per key, shared by every node that uses the same backend.

use async_trait::async_trait;

use crate::error::RepoError;

/// `limit` requests per `period_secs`, refilled continuously (GCRA), bursting up to `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    pub limit: u32,
    pub period_secs: u32,
}

/// The outcome of one check, with what the `X-Rate-Limit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the budget is full again.
    pub reset_secs: u64,
    /// Seconds until the next request would be allowed; 0 when allowed.
    pub retry_after_secs: u64,
}

impl RateDecision {
    /// The decision to report when two budgets apply: denied if either denies, otherwise the
    /// one with less left.
    pub fn tighter(self, other: RateDecision) -> RateDecision {
        match (self.allowed, other.allowed) {
            (true, false) => other,
            (false, true) => self,
            (false, false) => {
                if self.retry_after_secs >= other.retry_after_secs {
                    self
                } else {
                    other
                }
            }
            (true, true) => {
                if self.remaining <= other.remaining {
                    self
                } else {
                    other
                }
            }
        }
    }
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes one unit from `key`'s budget under `quota`, or reports when one will be free.
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(allowed: bool, remaining: u32, retry: u64) -> RateDecision {
        RateDecision {
            allowed,
            limit: 10,
            remaining,
            reset_secs: 1,
            retry_after_secs: retry,
        }
    }

    #[test]
    fn tighter_prefers_denial_then_lower_remaining() {
        assert!(!decision(true, 5, 0).tighter(decision(false, 0, 3)).allowed);
        assert_eq!(decision(true, 5, 0).tighter(decision(true, 2, 0)).remaining, 2);
        assert_eq!(decision(false, 0, 1).tighter(decision(false, 0, 7)).retry_after_secs, 7);
    }
}

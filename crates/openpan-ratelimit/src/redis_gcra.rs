//! GCRA in Redis: one Lua script per check, atomic on the server, timed by the server's clock
//! so nodes with skewed clocks still share one budget.

use async_trait::async_trait;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use openpan_core::RepoError;
use openpan_core::ratelimit::{Quota, RateDecision, RateLimiter};

/// KEYS[1] = bucket; ARGV[1] = emission interval (µs), ARGV[2] = burst.
/// Returns {allowed, remaining, retry_after_us, reset_us}. The theoretical arrival time (TAT)
/// is stored with "%.0f" because Lua's default number format would round 16-digit values.
const GCRA_SCRIPT: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local tolerance = interval * burst
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', string.format('%d', ttl_ms))
return {1, math.floor((tolerance - (new_tat - now)) / interval), 0, new_tat - now}
"#;

/// Budgets in Redis, shared by every node pointed at the same server.
#[derive(Clone)]
pub struct RedisRateLimiter {
    connection: ConnectionManager,
    script: redis::Script,
    prefix: String,
}

impl RedisRateLimiter {
    /// Connects to `url` (`redis://…`); keys are namespaced with `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, RepoError> {
        let client = redis::Client::open(url).map_err(|err| RepoError::Other(Box::new(err)))?;
        // Without timeouts an unreachable Redis would hang every request instead of letting
        // the caller fail open.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_millis(500))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|err| RepoError::Unavailable(Box::new(err)))?;
        Ok(Self {
            connection,
            script: redis::Script::new(GCRA_SCRIPT),
            prefix: prefix.to_owned(),
        })
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> bool {
        let mut connection = self.connection.clone();
        redis::cmd("PING").query_async::<String>(&mut connection).await.is_ok()
    }
}

fn ceil_secs_from_us(micros: i64) -> u64 {
    (micros.max(0) as u64).div_ceil(1_000_000)
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<RateDecision, RepoError> {
        let interval_us = (u64::from(quota.period_secs) * 1_000_000 / u64::from(quota.limit.max(1))).max(1);
        let mut connection = self.connection.clone();
        let (allowed, remaining, retry_after_us, reset_us): (i64, i64, i64, i64) = self
            .script
            .key(format!("{}{}", self.prefix, key))
            .arg(interval_us)
            .arg(quota.limit)
            .invoke_async(&mut connection)
            .await
            .map_err(|err| RepoError::Unavailable(Box::new(err)))?;
        Ok(RateDecision {
            allowed: allowed == 1,
            limit: quota.limit,
            remaining: remaining.clamp(0, i64::from(quota.limit)) as u32,
            reset_secs: ceil_secs_from_us(reset_us),
            retry_after_secs: if allowed == 1 {
                0
            } else {
                ceil_secs_from_us(retry_after_us).max(1)
            },
        })
    }
}

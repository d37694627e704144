//! Implementations of `openpan_core::ratelimit::RateLimiter`: in-process GCRA (governor) for a
//! single node, GCRA in Redis for several nodes sharing one budget, and Redis with a per-node
//! fallback for while Redis is gone.
//!
//! Must never depend on the HTTP layer or the database crate.

mod failover;
mod memory;
mod redis_gcra;

pub use failover::FailoverRateLimiter;
pub use memory::MemoryRateLimiter;
pub use redis_gcra::RedisRateLimiter;

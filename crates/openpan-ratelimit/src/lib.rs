//! Implementations of `openpan_core::ratelimit::RateLimiter`: in-process GCRA (governor) for a
//! single node, and GCRA in Redis for several nodes sharing one budget.
//!
//! Must never depend on the HTTP layer or the database crate.

mod memory;
mod redis_gcra;

pub use memory::MemoryRateLimiter;
pub use redis_gcra::RedisRateLimiter;

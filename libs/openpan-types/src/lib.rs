//! Wire types of the openpan open platform (seed 002's `/api/v2` shapes and the OAuth token
//! responses). This crate is a compatibility promise to integrations: field names and numeric
//! ids are exactly what the platform document and the official SDKs print.
//!
//! It depends on serde only and must never depend on anything under `crates/` (no axum, sqlx or
//! tokio), so the SDK and third-party tools can use it on their own.
#![warn(missing_docs)]

mod dto;
mod error;

pub use dto::*;
pub use error::*;

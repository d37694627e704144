//! Wire types of the openpan open platform (seed 002's `/api/v2` shapes, the OAuth token
//! responses and the other dialects' envelopes). This crate is a compatibility promise to
//! integrations: field names and numeric ids are exactly what the platform document and the
//! official SDKs print.
//!
//! It depends on serde only and must never depend on anything under `crates/` (no axum, sqlx or
//! tokio), so the SDK and third-party tools can use it on their own.
#![warn(missing_docs)]

mod apps;
mod auth_service;
mod dto;
mod error;
mod events;
mod knowledge;
mod oa;
mod v1;

pub use apps::*;
pub use auth_service::*;
pub use dto::*;
pub use error::*;
pub use events::*;
pub use knowledge::*;
pub use oa::*;
pub use v1::*;

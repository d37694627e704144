//! The openpan domain: ids, the authenticated `Principal`, the OAuth2 grant rules, the services
//! every facade (HTTP dialects, admin CLI, console) calls, and the ports they reach storage and
//! shared state through.
//!
//! Must never depend on an IO or framework crate (axum, sqlx, redis, reqwest, tokio's fs/net;
//! tokio only for the task-local audit scope): everything outside the process goes through the
//! traits in [`ports`], and time through [`clock::Clock`]. `tidy` tests in `crates/openpan`
//! enforce this.

pub mod audit;
pub mod auth;
pub mod auth_service;
pub mod blank;
pub mod blob;
pub mod cache;
pub mod clock;
pub mod collab;
pub mod comment;
pub mod convert;
pub mod criteria;
pub mod drive;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod gpt;
pub mod ids;
pub mod knowledge;
pub mod model;
pub mod notice;
pub mod oauth;
pub mod org;
pub mod ports;
pub mod preview;
pub mod ratelimit;
pub mod review;
pub mod scope;
pub mod search;
pub mod secrets;
pub mod services;
pub mod share;
pub mod sms;
pub mod tag;
pub mod webhook;

pub use error::{Error, FieldError, NotFoundKind, Refusal, RepoError, Result};

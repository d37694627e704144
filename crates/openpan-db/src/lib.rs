//! The storage adapter: every repository port of `openpan-core` over SQLite (the embedded
//! default) and PostgreSQL (scale-out), from one source of query logic.
//!
//! Queries are built once with sea-query and rendered per dialect; [`on_pool!`] is the single
//! place where the engine is chosen. Migrations live in `migrations/{sqlite,postgres}` with
//! identical names. Must never depend on the HTTP layer or know about wire formats.

mod account;
mod audit;
mod backup;
mod batch;
mod collab;
mod comment;
mod criteria;
mod drive;
mod errors;
mod events;
mod idempotency;
mod knowledge;
mod notice;
mod oauth_server;
mod org;
mod platform;
mod pool;
mod repo;
mod review;
mod schema;
mod session;
mod share;
mod sms;
mod tag;

pub use backup::{BackupError, TableRows, private_dir, private_file, table_file};
pub use pool::{ConnectError, RevocationNotices, SqlRepo};

//! The openpan binary's library half: configuration, wiring, the admin CLI's commands,
//! first-start bootstrap and the people's client commands. Integration tests use it to run the real server in-process.
//!
//! This is the only crate that names concrete implementations (database, rate limiter).

pub mod admin;
pub mod ai;
pub mod app;
pub mod backup;
pub mod client;
pub mod config;
pub mod convert;
pub mod sms;

//! `openpan-sdk`: a typed async client of the openpan open platform for Rust programs.
//!
//! - Tokens through every grant the server takes ([`Grant`]): `client_credentials`,
//!   `jwt_simple`, the SDKs' signed `jwt`, RFC 7523 `jwt-bearer`, `password`, the code flow
//!   with PKCE ([`Pkce`], [`Client::authorize_url`]) and RFC 8628 device authorization
//!   ([`Client::start_device_authorization`], [`Client::wait_for_device`]).
//! - Tokens renewed before they lapse (refresh token, or the grant again), once for all
//!   concurrent calls, and once more when the server refuses one; `429` answers waited out for
//!   their `X-Rate-Limit-Reset` seconds.
//! - Errors keep the platform's codes ([`Error::code`] against [`types::ErrorCode`]).
//! - Listings as streams that fetch pages on demand ([`Client::children`], [`Client::users`]);
//!   streamed uploads ([`Client::upload`]), resumable uploads part by part and downloads that
//!   continue after an interruption ([`Client::download_to`]).
//!
//! It speaks HTTP to the server only: it depends on `openpan-types` for the wire shapes and must
//! never depend on anything under `crates/` (the server's internals).

mod auth;
mod client;
mod drive;
mod error;
mod transfer;

pub use auth::{DEVICE_CODE, DeviceAuthorization, Grant, JWT_BEARER, JwtKey, Pkce, Subject, Tokens};
pub use client::{Client, ClientBuilder, Clock, TokenListener, TokenStore};
pub use drive::{Item, NewShareLink};
pub use error::{Error, Result};
pub use openpan_types as types;
pub use transfer::{Progress, UploadTarget, part_path};

//! The product test suite: one binary, each test with its own server, data dir and database
//! (SQLite by default, PostgreSQL when `OPENPAN_TEST_DATABASE_URL` is set).

mod accounts;
mod admin_cli;
mod api_errors;
mod api_v1;
mod api_v1_file;
mod audit;
mod auth_service;
mod collab;
mod comment;
mod crash;
mod demos;
mod department_space;
mod drive;
mod drive_transfer;
mod events;
mod grants;
mod harness;
mod isolation;
mod listing_cache;
mod oa;
mod oa_lists;
mod oauth;
mod oidc;
mod openapi;
mod org;
mod permission_model;
mod platform;
mod rate_limit;
mod review;
mod search;
mod share;
mod sso;
mod tag;
mod tidy;
mod users;

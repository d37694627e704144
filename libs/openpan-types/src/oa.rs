//! The OA dialect's shapes (`/api/open-api/...`, `/api/auth/...`): success is
//! `{"status": 1, "data": …}`, failure `{"status": 0, "errors": [{"code", "message"}]}`, with
//! the platform's error codes. Durations are strings, as the dialect's document prints them.

use serde::Serialize;

/// A successful answer.
#[derive(Debug, Clone, Serialize)]
pub struct OaSuccess<T> {
    /// Always 1.
    pub status: i32,
    /// The payload.
    pub data: T,
}

/// A failed answer.
#[derive(Debug, Clone, Serialize)]
pub struct OaFailure {
    /// Always 0.
    pub status: i32,
    /// What went wrong, one item per field at fault.
    pub errors: Vec<OaError>,
}

/// One reason of a failure.
#[derive(Debug, Clone, Serialize)]
pub struct OaError {
    /// A code of the platform's catalogue (`docs/error-codes.md`).
    pub code: String,
    /// In the caller's language.
    pub message: String,
}

/// `open-api/get-token` and `open-api/refresh-token`.
#[derive(Debug, Clone, Serialize)]
pub struct OaToken {
    /// The user's id, as a string; absent on refresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The bearer token for every API of the dialect (and `/api/v2`).
    pub token: String,
    /// Trades for a new pair at `open-api/refresh-token`, once.
    pub refresh_token: String,
    /// Seconds the token stays valid.
    pub expired_in: String,
    /// Seconds the refresh token stays valid.
    pub refresh_token_expired_in: String,
}

/// `auth/login-info/refresh`.
#[derive(Debug, Clone, Serialize)]
pub struct OaLoginInfo {
    /// Who the token speaks for.
    pub current_user: OaCurrentUser,
    /// The token presented, or a new one when `refresh_new_token=true`.
    pub token: String,
    /// The new token's refresh token, when a new one was issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The user behind a token.
#[derive(Debug, Clone, Serialize)]
pub struct OaCurrentUser {
    /// The numeric id, as a string.
    pub user_id: String,
    /// The person's name.
    pub user_name: String,
    /// The login: email, else phone.
    pub user_accounts: String,
    /// Empty when none.
    pub email: String,
    /// Empty when none.
    pub phone: String,
    /// The enterprise's id, as a string.
    pub enterprise_id: String,
    /// `1` for the enterprise's administrator.
    pub is_admin: String,
}

//! The OA dialect's shapes (`/api/open-api/...`, `/api/auth/...`): success is
//! `{"status": 1, "data": …}`, failure `{"status": 0, "errors": [{"code", "message"}]}`, with
//! the platform's error codes. Durations are strings, as the dialect's document prints them.

use serde::Serialize;

/// A successful answer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaSuccess<T> {
    /// Always 1.
    pub status: i32,
    /// The payload.
    pub data: T,
}

/// A failed answer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaFailure {
    /// Always 0.
    pub status: i32,
    /// What went wrong, one item per field at fault.
    pub errors: Vec<OaError>,
}

/// One reason of a failure.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaError {
    /// A code of the platform's catalogue (`docs/error-codes.md`).
    pub code: String,
    /// In the caller's language.
    pub message: String,
}

/// `open-api/get-token` and `open-api/refresh-token`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// A list API's answer: one page (or everything with `page=0`) and the size of the whole
/// selection. Field names are the names the list's `search` and `order_by` take.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaList<T> {
    /// Rows matching the conditions, over all pages.
    pub total: i64,
    /// This page's rows.
    pub list: Vec<T>,
}

/// A row of `open-api/users`. Ids are strings, flags `1`/`0`, times `YYYY-MM-DD HH:MM:SS` in
/// the platform's zone (+08:00), as in `current_user`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaUser {
    /// The user's numeric id.
    pub user_id: String,
    /// The person's name.
    pub user_name: String,
    /// The login: email, else phone.
    pub user_accounts: String,
    /// Empty when none.
    pub email: String,
    /// Empty when none, or hidden by its owner from a caller who is not an administrator.
    pub phone: String,
    /// `1` for an administrator of the enterprise.
    pub is_admin: String,
    /// `0` for a disabled account.
    pub active: String,
    /// When it was created.
    pub created_at: String,
    /// Empty when the user never logged in.
    pub last_login_at: String,
}

/// A row of `open-api/departments`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaDepartment {
    /// The department's numeric id.
    pub department_id: String,
    /// Its name.
    pub department_name: String,
    /// `0` for a top-level department.
    pub parent_id: String,
    /// Empty when none.
    pub director_id: String,
    /// Members.
    pub user_count: i64,
    /// Direct subdepartments.
    pub children_count: i64,
    /// When it was created.
    pub created_at: String,
}

/// A row of `open-api/groups`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaGroup {
    /// The group's numeric id.
    pub group_id: String,
    /// Its name.
    pub group_name: String,
    /// Its description.
    pub description: String,
    /// Empty when none.
    pub admin_user_id: String,
    /// Members.
    pub user_count: i64,
    /// `1` when every member of the enterprise sees it.
    pub is_visible: String,
    /// When it was created.
    pub created_at: String,
}

/// A row of `open-api/folders/{id}/items`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaItem {
    /// The file's or folder's numeric id.
    pub item_id: String,
    /// Its name.
    pub name: String,
    /// `file` or `folder`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Bytes; for folders, of the live files below.
    pub size: i64,
    /// Its description.
    pub description: String,
    /// Files: the current version's SHA-1; empty for folders.
    pub sha1: String,
    /// The owner's user id.
    pub owner_id: String,
    /// Who changed it last (a user id).
    pub modified_by: String,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub modified_at: String,
}

/// A row of `open-api/audit-logs`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OaAuditLog {
    /// The event's numeric id, increasing.
    pub log_id: String,
    /// The platform's action code, as `admin/log/log_info` reports it.
    pub action_type: i32,
    /// Empty for an app acting for its enterprise or the operator.
    pub operator_id: String,
    /// Empty when no app made the change.
    pub app_id: String,
    /// The id of what the change concerned.
    pub target_id: String,
    /// Its name at the time.
    pub target_name: String,
    /// Empty when the change concerns no department.
    pub department_id: String,
    /// Details of the change, a JSON object as text.
    pub detail: String,
    /// The address the change came from.
    pub ip: String,
    /// When it was created.
    pub created_at: String,
}

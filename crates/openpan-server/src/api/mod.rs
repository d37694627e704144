//! `/api/v2`: route modules mirror the URL paths.

mod admin_user;
mod folder;

use axum::Router;
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;
use openpan_types::ErrorCode;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/user/get_user_info", get(admin_user::get_user_info))
        .route("/admin/user/all", get(admin_user::list_users))
        .route("/folder/{id}/info", get(folder::folder_info))
        .fallback(|| async { ApiError::new(ErrorCode::ApiNotFound) })
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorCode::MethodNotAllowed) })
}

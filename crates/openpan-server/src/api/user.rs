//! `/api/v2/user/*` (user token): one's own account and the enterprise directory.

use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;

use openpan_core::ids::UserId;
use openpan_core::model::Page;
use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId};

/// The signed-in user.
#[utoipa::path(get, path = "/user/info", tag = "users", responses(
    (status = 200, body = wire::User),
))]
pub async fn me(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::User>> {
    let me = state.core.current_user(&principal).await?;
    Ok(Json(convert::user(&me)))
}

/// A colleague of the same enterprise.
#[utoipa::path(get, path = "/user/{id}/info", tag = "users",
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, body = wire::User),
    ))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::User>> {
    let found = state.core.colleague(&principal, UserId(id)).await?;
    Ok(Json(convert::user(&found)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = UserRename)]
pub struct UpdateArgs {
    /// The new display name.
    #[schema(value_type = String, required, min_length = 1)]
    name: Option<String>,
}

/// Changes the signed-in user's display name.
#[utoipa::path(post, path = "/user/update", tag = "users", request_body = UpdateArgs, responses((status = 200, body = wire::User)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<UpdateArgs>,
) -> Result<Json<wire::User>> {
    let name = args.name.ok_or_else(|| ApiError::field("name", "不能为空"))?;
    let updated = state.core.rename_self(&principal, &name).await?;
    Ok(Json(convert::user(&updated)))
}

#[utoipa::path(get, path = "/user/search", tag = "users", params(crate::openapi::PageQuery, ("query_words" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "Part of a name, email or phone")), responses((status = 200, body = wire::ListedUserPage)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ListedUserPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (users, total_count, enterprise) = state
        .core
        .search_colleagues(&principal, params.opt_str("query_words"), page)
        .await?;
    Ok(Json(wire::ListedUserPage {
        users: users
            .iter()
            .map(|user| convert::listed_user(user, &enterprise))
            .collect(),
        total_count,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total_count),
    }))
}

#[utoipa::path(get, path = "/user/space_usage", tag = "users", responses((status = 200, body = wire::SpaceUsage)))]
pub async fn space_usage(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::SpaceUsage>> {
    let me = state.core.fresh_self(&principal).await?;
    Ok(Json(wire::SpaceUsage {
        space_used: me.space_used,
        space_total: me.space_total,
    }))
}

/// The departments the signed-in user belongs to (also at `department/own_list`).
#[utoipa::path(get, path = "/user/departments", tag = "users", responses((status = 200, body = wire::DepartmentList)))]
pub async fn departments(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<wire::DepartmentList>> {
    let listing = state.core.my_departments(&principal).await?;
    Ok(Json(wire::DepartmentList {
        departments: listing
            .children
            .iter()
            .map(|department| convert::mini_department(department, &listing.users, listing.item_count(department.id)))
            .collect(),
    }))
}

/// Sets the signed-in user's picture: the image bytes as the body (PNG, JPEG, GIF or WebP,
/// at most 2 MB).
#[utoipa::path(post, path = "/user/profile_pic_upload", tag = "users",
    request_body(content = String, content_type = "application/octet-stream", description = "The image"),
    responses((status = 200, body = wire::User)))]
pub async fn upload_profile_pic(
    State(state): State<AppState>,
    Caller(principal): Caller,
    body: axum::body::Bytes,
) -> Result<Json<wire::User>> {
    let me = state.core.upload_profile_pic(&principal, body).await?;
    Ok(Json(convert::user(&me)))
}

/// A user's picture, the image itself.
#[utoipa::path(get, path = "/user/{id}/profile_pic_download", tag = "users",
    params(("profile_pic_key" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "The `profile_pic_key` of the user's info: a picture since replaced is not found")),
    responses((status = 200, description = "The image (PNG, JPEG, GIF or WebP)")))]
pub async fn download_profile_pic(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<axum::response::Response> {
    let key = params.opt_str("profile_pic_key");
    let (body, kind) = state.core.profile_pic(&principal, UserId(id), key).await?;
    let content_type = axum::http::HeaderValue::from_str(&kind)
        .unwrap_or(axum::http::HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("private, max-age=86400"),
            ),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

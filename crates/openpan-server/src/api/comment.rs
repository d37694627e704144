//! `/api/v2/comment/*` and `file/{id}/comments` (user token).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::ids::{CommentId, ItemId};
use openpan_core::model::Page;
use openpan_types as wire;

use super::items::{required, success};
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_i64, lenient_string};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CommentCreate)]
pub struct CommentArgs {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    file_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required, min_length = 1)]
    content: Option<String>,
}

/// Comments on a file.
#[utoipa::path(post, path = "/comment/create", tag = "comments", request_body = CommentArgs, responses((status = 200, body = wire::Comment)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<CommentArgs>,
) -> Result<Json<wire::Comment>> {
    let file_id = required(args.file_id, "file_id")?;
    let content = args.content.ok_or_else(|| ApiError::field("content", "不能为空"))?;
    let view = state.core.create_comment(&principal, ItemId(file_id), &content).await?;
    Ok(Json(convert::comment(&view)))
}

/// Deletes a comment (its author, or the file's owner).
#[utoipa::path(post, path = "/comment/{id}/delete", tag = "comments", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    state.core.delete_comment(&principal, CommentId(id)).await?;
    Ok(success())
}

/// `file/{id}/comments`: the SDKs ask without paging and expect every comment, so a page
/// holds the most a page may unless `page_capacity` says otherwise.
#[utoipa::path(get, path = "/file/{id}/comments", tag = "comments", params(crate::openapi::PageQuery), responses((status = 200, body = wire::CommentPage)))]
pub async fn file_comments(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::CommentPage>> {
    let capacity = params.opt_i64("page_capacity")?.or(Some(Page::MAX_CAPACITY));
    let page = Page::parse(params.opt_i64("page_id")?, capacity)?;
    let (views, total) = state.core.list_comments(&principal, ItemId(id), page).await?;
    Ok(Json(wire::CommentPage {
        success: true,
        comments: views.iter().map(convert::comment).collect(),
        total_count: total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total),
    }))
}

//! `/api/v2/review/*` and `/api/v2/review_comment/*` (user token).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::ids::{ReviewCommentId, ReviewId};
use openpan_core::model::Page;
use openpan_core::review::ReviewRole;
use openpan_core::services::{ReviewEdit, ReviewRequest};
use openpan_types as wire;

use super::items::{required, success};
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, id_list, lenient_i64, lenient_string};

/// A review: `create` reads the files, title, due time, description and reviewers; `edit`
/// the reviewers added and removed and the due time.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ReviewSettings)]
pub struct ReviewArgs {
    /// `create`: the files to review.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    file_ids: Option<Vec<serde_json::Value>>,
    #[serde(default, deserialize_with = "lenient_string")]
    title: Option<String>,
    /// The day the review is due, `yyyy-MM-dd`.
    #[serde(default, deserialize_with = "lenient_string")]
    due_time: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    description: Option<String>,
    /// `create`: the reviewers.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    invited_user_ids: Option<Vec<serde_json::Value>>,
    /// `edit`: reviewers taken off.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    deleted_reviewers: Option<Vec<serde_json::Value>>,
    /// `edit`: reviewers added.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    added_reviewers: Option<Vec<serde_json::Value>>,
}

/// Asks colleagues to review files.
#[utoipa::path(post, path = "/review/create", tag = "reviews", request_body = Option<ReviewArgs>, responses((status = 200, body = wire::CreatedReview)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<ReviewArgs>,
) -> Result<Json<wire::CreatedReview>> {
    let request = ReviewRequest {
        file_ids: id_list("file_ids", args.file_ids.as_deref())?,
        title: args.title,
        due_time: args.due_time,
        description: args.description,
        invited_user_ids: id_list("invited_user_ids", args.invited_user_ids.as_deref())?,
    };
    let review = state.core.create_review(&principal, request).await?;
    Ok(Json(wire::CreatedReview {
        id: review.id.0,
        name: review.name,
    }))
}

/// Changes a review's reviewers or due time.
#[utoipa::path(post, path = "/review/edit/{id}", tag = "reviews", request_body = Option<ReviewArgs>, responses((status = 200, body = wire::Review)))]
pub async fn edit(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<ReviewArgs>,
) -> Result<Json<wire::Review>> {
    let edit = ReviewEdit {
        deleted_reviewers: id_list("deleted_reviewers", args.deleted_reviewers.as_deref())?,
        added_reviewers: id_list("added_reviewers", args.added_reviewers.as_deref())?,
        due_time: args.due_time,
    };
    let view = state.core.edit_review(&principal, ReviewId(id), edit).await?;
    Ok(Json(convert::review(&view)))
}

#[utoipa::path(get, path = "/review/info/{id}", tag = "reviews", responses((status = 200, body = wire::Review)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Review>> {
    let view = state.core.review_info(&principal, ReviewId(id)).await?;
    Ok(Json(convert::review(&view)))
}

/// `review/list`: `type` is `all` (default), `initiated` (started by the caller) or
/// `invited` (put before them).
#[utoipa::path(get, path = "/review/list", tag = "reviews", params(crate::openapi::PageQuery, ("type" = Option<crate::openapi::ReviewRole>, Query, description = "all (default), initiated or invited")), responses((status = 200, body = wire::ReviewPage)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ReviewPage>> {
    let role = match params.opt_str("type") {
        None | Some("all") => ReviewRole::Any,
        Some("initiated") => ReviewRole::Inviter,
        Some("invited") => ReviewRole::Reviewer,
        Some(_) => return Err(ApiError::field("type", "只能是all、initiated或invited")),
    };
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (views, total) = state.core.list_reviews(&principal, role, page).await?;
    Ok(Json(wire::ReviewPage {
        reviews: views.iter().map(convert::review).collect(),
        total_count: total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total),
    }))
}

/// Ends a review (the platform ends it with a GET; POST works too).
#[utoipa::path(method(get, post), path = "/review/complete/{id}", tag = "reviews", responses((status = 200, body = wire::Review)))]
pub async fn complete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Review>> {
    let view = state.core.complete_review(&principal, ReviewId(id)).await?;
    Ok(Json(convert::review(&view)))
}

/// Deletes a review.
#[utoipa::path(post, path = "/review/delete/{id}", tag = "reviews", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    state.core.delete_review(&principal, ReviewId(id)).await?;
    Ok(success())
}

#[utoipa::path(get, path = "/review/comment_list/{id}", tag = "reviews", params(crate::openapi::PageQuery), responses((status = 200, body = wire::ReviewCommentPage)))]
pub async fn comment_list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::ReviewCommentPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (review, comments, total) = state.core.review_comments(&principal, ReviewId(id), page).await?;
    Ok(Json(wire::ReviewCommentPage {
        review: convert::review_ref(&review),
        review_comment_count: comments.len() as i64,
        review_comments: comments.iter().map(convert::review_comment).collect(),
        total_count: total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total),
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ReviewCommentCreate)]
pub struct ReviewCommentArgs {
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required, min_length = 1)]
    content: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    review_id: Option<i64>,
}

/// Comments on a review.
#[utoipa::path(post, path = "/review_comment/create", tag = "reviews", request_body = ReviewCommentArgs, responses((status = 200, body = wire::CreatedReviewComment)))]
pub async fn create_comment(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<ReviewCommentArgs>,
) -> Result<Json<wire::CreatedReviewComment>> {
    let review_id = required(args.review_id, "review_id")?;
    let content = args.content.ok_or_else(|| ApiError::field("content", "不能为空"))?;
    let (review, comment) = state
        .core
        .create_review_comment(&principal, ReviewId(review_id), &content)
        .await?;
    Ok(Json(wire::CreatedReviewComment {
        success: true,
        comment: convert::review_comment(&comment),
        review: convert::review_ref(&review),
        password_protected: String::new(),
    }))
}

/// Deletes a review comment.
#[utoipa::path(method(delete, post), path = "/review_comment/delete/{id}", tag = "reviews", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete_comment(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    state
        .core
        .delete_review_comment(&principal, ReviewCommentId(id))
        .await?;
    Ok(success())
}

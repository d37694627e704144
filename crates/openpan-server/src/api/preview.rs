//! Previews (`/api/v2/file/preview_token` of the Java SDK, `file/{id}/preview`,
//! `preview_download`, `thumbnail`), the viewer page's `/preview/info`, and the preview URLs
//! (`/preview/{token}/content|thumbnail`), which are their own credentials.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde::Deserialize;

use openpan_core::auth::Principal;
use openpan_core::error::Refusal;
use openpan_core::ids::ItemId;
use openpan_core::services::{Preview, PreviewPart, Readiness};
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_i64};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PreviewTokenRequest)]
pub struct PreviewTokenArgs {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    file_id: Option<i64>,
    /// A version id; absent or 0 for the current one.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    file_version_id: Option<i64>,
    /// Seconds the token works (default 3600, at most 86400).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 86400)]
    period: Option<i64>,
}

/// A token for the viewer page `/preview/preview.html?preview_token=…` (the Java SDK posts
/// to `file//preview_token`).
#[utoipa::path(post, path = "/file/preview_token", tag = "files", request_body = PreviewTokenArgs,
    responses((status = 200, body = wire::PreviewToken)))]
pub async fn preview_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<PreviewTokenArgs>,
) -> Result<Json<wire::PreviewToken>> {
    let file_id = args.file_id.ok_or_else(|| ApiError::field("file_id", "不能为空"))?;
    let grant = state
        .core
        .preview_token(&principal, ItemId(file_id), args.file_version_id, args.period)
        .await?;
    Ok(Json(wire::PreviewToken {
        preview_token: grant.token,
    }))
}

/// Opens a preview of a file's version; `preview_file_not_generated` while an office
/// document is still being converted.
#[utoipa::path(get, path = "/file/{id}/preview", tag = "files",
    params(("version" = Option<i64>, Query, minimum = 0, description = "A version id; 0 or absent for the current one")),
    responses((status = 200, body = wire::FilePreview)))]
pub async fn preview(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::FilePreview>> {
    let (token, preview) = open(&state, &principal, id, params.opt_i64("version")?).await?;
    Ok(Json(describe(&state, &token, &preview)))
}

/// A URL for what the viewer shows: the file itself, or the PDF made of an office document.
#[utoipa::path(get, path = "/file/{id}/preview_download", tag = "files",
    params(("version" = Option<i64>, Query, minimum = 0, description = "A version id; 0 or absent for the current one")),
    responses((status = 200, body = wire::DownloadUrl)))]
pub async fn preview_download(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::DownloadUrl>> {
    let (token, _) = open(&state, &principal, id, params.opt_i64("version")?).await?;
    Ok(Json(wire::DownloadUrl {
        download_url: part_url(&state, &token, "content"),
    }))
}

/// A URL of the thumbnail of a file's current version; `preview_file_not_generated` while it
/// is being made.
#[utoipa::path(get, path = "/file/{id}/thumbnail", tag = "files",
    responses((status = 200, body = wire::ThumbnailUrl)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::ThumbnailUrl>> {
    let (grant, readiness) = state.core.thumbnail_token(&principal, ItemId(id)).await?;
    match readiness {
        Readiness::Ready => Ok(Json(wire::ThumbnailUrl {
            thumbnail_url: part_url(&state, &grant.token, "thumbnail"),
        })),
        Readiness::Pending => Err(not_generated()),
        Readiness::Unavailable => Err(ApiError::field("id", "此文件没有缩略图")),
    }
}

/// A preview that can be shown now.
async fn open(state: &AppState, principal: &Principal, id: i64, version: Option<i64>) -> Result<(String, Preview)> {
    let (grant, preview) = state.core.file_preview(principal, ItemId(id), version).await?;
    match preview.content {
        Readiness::Ready => Ok((grant.token, preview)),
        Readiness::Pending => Err(not_generated()),
        Readiness::Unavailable => Err(ApiError::field("id", "此文件不能预览")),
    }
}

/// What the viewer page asks first: the preview a token opens, pending or not.
#[utoipa::path(get, path = "/preview/info", tag = "console", security(()),
    params(("preview_token" = String, Query, pattern = "^t?[0-9a-f]+\\.[0-9a-f]+$", description = "From `file/preview_token`")),
    responses((status = 200, body = wire::FilePreview)))]
pub async fn info(State(state): State<AppState>, params: Params) -> Result<Json<wire::FilePreview>> {
    let token = params.str("preview_token")?;
    let preview = state.core.open_preview(token).await?;
    Ok(Json(describe(&state, token, &preview)))
}

/// The bytes a preview shows (`content`: the file, or the PDF made of an office document;
/// `thumbnail`: a PNG), with the media type a browser shows them as.
#[utoipa::path(get, path = "/preview/{token}/{part}", tag = "transfers", security(()),
    params(("token" = String, Path, pattern = "^t?[0-9a-f]+\\.[0-9a-f]+$", description = "A preview token"),
        ("part" = String, Path, pattern = "^(content|thumbnail)$")),
    responses((status = 200, description = "The bytes", content_type = "application/octet-stream"),
        (status = 206, description = "The asked range"),
        (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = wire::TransferErrorBody)))]
pub async fn part(
    State(state): State<AppState>,
    Path((token, part)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response> {
    let part = match part.as_str() {
        "content" => PreviewPart::Content,
        "thumbnail" => PreviewPart::Thumbnail,
        _ => return Err(ApiError::new(wire::ErrorCode::ApiNotFound)),
    };
    let download = state.core.preview_part(&token, part).await?;
    let media = match part {
        PreviewPart::Thumbnail => "image/png",
        // By the version's own name: the file may have been renamed since.
        PreviewPart::Content => openpan_core::preview::media_type(&download.version.name),
    };
    crate::transfer::send_inline(&state, &download, media, &method, &headers).await
}

fn not_generated() -> ApiError {
    ApiError::from(openpan_core::error::Error::Refused(Refusal::PreviewFileNotGenerated))
}

fn part_url(state: &AppState, token: &str, part: &str) -> String {
    format!("{}/preview/{token}/{part}", state.public_url)
}

fn describe(state: &AppState, token: &str, preview: &Preview) -> wire::FilePreview {
    wire::FilePreview {
        file_id: preview.file.id.0,
        file_version_id: preview.version.id.0,
        name: preview.file.name.clone(),
        size: preview.version.size,
        kind: preview.kind.map(|kind| kind.as_str().to_owned()),
        status: preview.content.as_str().to_owned(),
        thumbnail_status: preview.thumbnail.as_str().to_owned(),
        preview_token: token.to_owned(),
        preview_url: format!("{}/preview/preview.html?preview_token={token}", state.public_url),
        content_url: part_url(state, token, "content"),
        thumbnail_url: part_url(state, token, "thumbnail"),
        watermark: preview.watermark.clone(),
        is_current: preview.current,
        expires_at: preview.expires_at,
    }
}

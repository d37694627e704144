//! `/api/v1/file/*`: the browser form upload (an app's upload token, then the browser's
//! multipart post, which carries no bearer token), download URLs and conversions.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;

use openpan_core::blob::ByteStream;
use openpan_core::convert::ConversionTarget;
use openpan_core::ids::ItemId;
use openpan_core::ports::{FormUpload, NameClash};
use openpan_core::services::{FormUploadRequest, ItemDetail};
use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Args, Caller, Params};

/// The most bytes a form field other than `file` may have: a browser cannot make the server
/// hold more than this of a field it reads whole or skips (the `file` part is streamed).
const MAX_FIELD_BYTES: u64 = 4096;
/// The longest token read from a form.
const MAX_TOKEN_BYTES: usize = 256;

/// What a browser form upload may do.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::UploadTokenRequest)]
#[allow(dead_code)]
pub(crate) struct UploadTokenRequest {
    /// Where the file goes (0: the personal root).
    folder_id: i64,
    /// An http(s) address the browser is sent to afterwards, with the signed outcome.
    redirect: Option<String>,
    /// Whether to notify the app's callback address.
    callback: Option<bool>,
    /// Given back with the outcome.
    state: Option<String>,
    /// When the name is taken: `rename` (default), `fail` or `overwrite`.
    on_conflict: Option<String>,
    /// Seconds the token stays valid.
    #[schema(minimum = 1)]
    expires_in: Option<i64>,
}

/// `POST file/upload_token` with `folder_id` (0: the personal root) and optionally `redirect`,
/// `callback` (true: notify the app's callback address), `state`, `on_conflict`
/// (`rename`, `fail`, `overwrite`) and `expires_in` (seconds).
#[utoipa::path(post, path = "/file/upload_token", tag = "v1 file",
    request_body(content = UploadTokenRequest, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1UploadToken)))]
pub async fn upload_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1UploadToken>> {
    let params = args.params();
    let on_conflict = match args.opt("on_conflict") {
        None => NameClash::default(),
        Some(raw) => {
            NameClash::parse(raw).ok_or_else(|| ApiError::field("on_conflict", "应为rename、fail或overwrite"))?
        }
    };
    // Parsed here as it will be when the browser is sent there, so an address that could not
    // be used is refused now, not after a file was stored.
    let redirect = args
        .opt("redirect")
        .map(|raw| {
            url::Url::parse(raw)
                .ok()
                .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
                .map(String::from)
                .ok_or_else(|| ApiError::field("redirect", "必须是http或https地址"))
        })
        .transpose()?;
    let request = FormUploadRequest {
        folder_id: ItemId(args.i64("folder_id")?),
        redirect,
        notify: params.opt_bool("callback")?.unwrap_or(false),
        state: args.opt("state").map(str::to_owned),
        on_conflict,
        expires_in: params.opt_i64("expires_in")?,
    };
    let ticket = state.core.issue_form_upload(&principal, request).await?;
    Ok(Json(wire::V1UploadToken {
        upload_url: format!("{}/api/v1/file/upload", state.public_url),
        upload_token: ticket.token,
        folder_id: ticket.folder_id.0,
        expires_at: ticket.expires_at,
    }))
}

/// A browser's upload form.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::UploadForm)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// From `file/upload_token`; before the file.
    token: String,
    /// The bytes, under the name they are stored as.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// `POST /api/v1/file/upload`: a browser's `multipart/form-data` form with a `token` field
/// (or `?token=`) before the `file` field. Answers the file as JSON, or, when the token names
/// a `redirect`, sends the browser there with the signed outcome in the query.
#[utoipa::path(post, path = "/api/v1/file/upload", tag = "v1 file", security(()),
    params(("token" = Option<String>, Query, description = "Instead of the form's `token` field")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = wire::File),
        (status = 303, description = "To the token's `redirect`, with the signed outcome in its query")))]
pub async fn upload(State(state): State<AppState>, request: Request) -> Result<Response> {
    let query_token = request
        .uri()
        .query()
        .and_then(|query| Params::parse(query).opt_str("token").map(str::to_owned));
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let boundary =
        multer::parse_boundary(&content_type).map_err(|_| ApiError::field("file", "需要multipart/form-data请求体"))?;
    let limits = multer::SizeLimit::new()
        .per_field(MAX_FIELD_BYTES)
        .for_field("file", u64::MAX);
    let mut multipart = multer::Multipart::with_constraints(
        request.into_body().into_data_stream(),
        boundary,
        multer::Constraints::new().size_limit(limits),
    );
    let mut token = query_token;
    // Fields are read in order: the token must come before the file, which is streamed.
    let field = loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(ApiError::field("file", "缺少名为file的文件")),
            Err(err) => return Err(ApiError::field("file", format!("请求体不完整: {err}"))),
        };
        match field.name() {
            Some("file") => break field,
            Some("token") if token.is_none() => {
                let bytes = field.bytes().await.map_err(|_| ApiError::field("token", "无效"))?;
                if bytes.len() > MAX_TOKEN_BYTES {
                    return Err(ApiError::field("token", "无效"));
                }
                token = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
            }
            _ => continue,
        }
    };
    let token = token
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::field("token", "不能为空，且须在file字段之前"))?;
    let form = state.core.open_form_upload(&token).await?;
    let file_name = field.file_name().unwrap_or_default().to_owned();
    let outcome = if file_name.trim().is_empty() {
        Err(ApiError::field("file", "没有选择文件"))
    } else {
        let stream: ByteStream = Box::pin(field.map_err(std::io::Error::other));
        state
            .core
            .receive_form_upload(&form, &file_name, stream)
            .await
            .map_err(ApiError::from)
    };
    match &form.redirect_url {
        Some(redirect) => Ok(redirect_with_outcome(&state, &form, redirect, &outcome).await),
        None => {
            let detail = outcome?;
            Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)).into_response())
        }
    }
}

/// `303 See Other` to the app's `redirect`, telling the outcome in signed query parameters:
/// `file_id`, `file_name`, `size`, `sha1`, `folder_id` on success; `error` (the `/api/v2`
/// code) and `error_field` on failure; `state` when the app gave one; `timestamp` and
/// `signature` always.
async fn redirect_with_outcome(
    state: &AppState,
    form: &FormUpload,
    redirect: &str,
    outcome: &std::result::Result<ItemDetail, ApiError>,
) -> Response {
    let mut params: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, value: String| params.push((name.to_owned(), value));
    match outcome {
        Ok(detail) => {
            let file = &detail.view.item;
            add("file_id", file.id.0.to_string());
            add("file_name", file.name.clone());
            add("size", file.size.to_string());
            add("sha1", file.sha1.clone().unwrap_or_default());
            add("folder_id", file.parent_id.map_or(0, |id| id.0).to_string());
        }
        Err(error) => {
            add("error", error.code.as_str().to_owned());
            if let Some((field, _)) = error.fields.first() {
                add("error_field", field.clone());
            }
        }
    }
    if let Some(app_state) = &form.state {
        add("state", app_state.clone());
    }
    let signed = match state.core.signed_redirect_params(form.app_id, params).await {
        Ok(signed) => signed,
        Err(error) => return ApiError::from(error).into_response(),
    };
    // The address was checked when the token was issued; a parse failure here is a bug.
    let Ok(mut url) = url::Url::parse(redirect) else {
        return ApiError::new(openpan_types::ErrorCode::InternalServerError).into_response();
    };
    url.query_pairs_mut().extend_pairs(signed);
    (StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()
}

/// `GET file/download_url?file_id=…[&version=…&valid_period=…]`.
#[utoipa::path(get, path = "/file/download_url", tag = "v1 file",
    params(("file_id" = i64, Query), ("version" = Option<i64>, Query, description = "A version id (default the current one)"),
        ("valid_period" = Option<i64>, Query, minimum = 1, description = "Seconds the URL works")),
    responses((status = 200, body = wire::V1DownloadUrl)))]
pub async fn download_url(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1DownloadUrl>> {
    let file_id = args.i64("file_id")?;
    let params = args.params();
    let ticket = state
        .core
        .download_url(
            &principal,
            ItemId(file_id),
            params.opt_i64("version")?,
            params.opt_i64("valid_period")?,
        )
        .await?;
    Ok(Json(wire::V1DownloadUrl {
        file_id,
        download_url: crate::transfer::download_link(&state, &ticket),
        expires_at: ticket.expires_at,
    }))
}

/// A conversion to make.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::ConvertRequest)]
#[allow(dead_code)]
pub(crate) struct ConvertRequest {
    file_id: i64,
    /// `txt` (text of documents, PDFs and text files), `pdf` (office documents, by
    /// LibreOffice) or `png` (a thumbnail of a picture, a PDF or an office document).
    #[schema(pattern = "^(txt|text|pdf|png|thumbnail)$")]
    target: String,
    /// A version id (default the current one).
    version: Option<i64>,
    /// Seconds the URL works, at most a day.
    #[schema(minimum = 1, maximum = 86400)]
    valid_period: Option<i64>,
}

/// `POST file/convert` with `file_id`, `target` (`txt`, `pdf` or `png`) and optionally `version` and
/// `valid_period` (seconds, at most a day): the converted file's URL.
#[utoipa::path(post, path = "/file/convert", tag = "v1 file",
    request_body(content = ConvertRequest, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1Conversion)))]
pub async fn convert(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1Conversion>> {
    let file_id = args.i64("file_id")?;
    let target = ConversionTarget::parse(args.required("target")?)
        .ok_or_else(|| ApiError::field("target", "应为txt、pdf或png"))?;
    let params = args.params();
    let converted = state
        .core
        .convert_file(
            &principal,
            ItemId(file_id),
            params.opt_i64("version")?,
            target,
            params.opt_i64("valid_period")?,
        )
        .await?;
    Ok(Json(wire::V1Conversion {
        file_id,
        version_id: converted.version_id.0,
        target: converted.target.as_str().to_owned(),
        download_url: crate::transfer::ticket_link(
            &state,
            "converted",
            &converted.ticket,
            &converted.signature,
            &converted.name,
        ),
        name: converted.name,
        size: converted.size,
        truncated: converted.truncated,
        expires_at: converted.expires_at,
    }))
}

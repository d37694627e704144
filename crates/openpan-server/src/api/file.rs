//! `/api/v2/file/*` (user token): the seed's paths and the SDKs' older ones side by side.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use openpan_core::blank::BlankKind;
use openpan_core::drive::ItemKind;
use openpan_core::ids::ItemId;
use openpan_core::services::{UploadRequest, UploadTarget};
use openpan_types as wire;

use super::folder::{TargetArgs, UpdateArgs};
use super::items::{Action, act, folder_ref, required, success};
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_bool, lenient_i64, parse_i64};

const FILE: ItemKind = ItemKind::File;

#[utoipa::path(get, path = "/file/{id}/info", tag = "files", responses((status = 200, body = wire::File)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::File>> {
    let detail = state.core.item_info(&principal, ItemId(id), FILE).await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

#[utoipa::path(get, path = "/file/{id}/trash", tag = "files", responses((status = 200, body = wire::File)))]
pub async fn trash_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::File>> {
    let detail = state.core.trash_info(&principal, ItemId(id), FILE).await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

/// Renames a file or changes its description.
#[utoipa::path(post, path = "/file/{id}/update", tag = "files", request_body = Option<UpdateArgs>, responses((status = 200, body = wire::File)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<UpdateArgs>,
) -> Result<Json<wire::File>> {
    let detail = state
        .core
        .update_item(
            &principal,
            ItemId(id),
            FILE,
            args.name.as_deref(),
            args.description.as_deref(),
        )
        .await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

/// Moves a file into a folder.
#[utoipa::path(post, path = "/file/{id}/move", tag = "files", request_body = TargetArgs, responses((status = 200, body = wire::SuccessBody)))]
pub async fn move_to(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<TargetArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state
        .core
        .move_item(&principal, ItemId(id), FILE, args.target(&state, &principal).await?)
        .await?;
    Ok(success())
}

/// Copies a file into a folder (renamed on a clash unless `is_check_conflict`).
#[utoipa::path(post, path = "/file/{id}/copy", tag = "files", request_body = TargetArgs, responses((status = 200, body = wire::File)))]
pub async fn copy(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<TargetArgs>,
) -> Result<Json<wire::File>> {
    let detail = state
        .core
        .copy_item(
            &principal,
            ItemId(id),
            FILE,
            args.target(&state, &principal).await?,
            args.on_conflict(),
        )
        .await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = FileCopyByPath)]
pub struct PathArgs {
    /// A `/`-separated folder path from the user's root; missing folders are made.
    #[schema(value_type = String, required, min_length = 1)]
    target_folder_path: Option<String>,
}

/// Copies a file into the folder at a path.
#[utoipa::path(post, path = "/file/{id}/copy_by_path", tag = "files", request_body = PathArgs, responses((status = 200, body = wire::File)))]
pub async fn copy_by_path(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<PathArgs>,
) -> Result<Json<wire::File>> {
    let path = args
        .target_folder_path
        .ok_or_else(|| ApiError::field("target_folder_path", "不能为空"))?;
    let detail = state.core.copy_file_by_path(&principal, ItemId(id), &path).await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

macro_rules! action_handler {
    ($name:ident, $action:expr, $path:tt, $doc:tt) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "files", responses((status = 200, body = wire::SuccessBody)))]
        pub async fn $name(
            State(state): State<AppState>,
            Caller(principal): Caller,
            PathId(id): PathId,
        ) -> Result<Json<wire::SuccessBody>> {
            act(&state, &principal, ItemId(id), FILE, $action).await?;
            Ok(success())
        }
    };
}

action_handler!(delete, Action::Trash, "/file/{id}/delete", "Moves a file to the trash.");
action_handler!(
    restore,
    Action::Restore,
    "/file/{id}/restore_from_trash",
    "Brings a file back from the trash."
);
action_handler!(
    purge,
    Action::Purge,
    "/file/{id}/delete_from_trash",
    "Deletes a file in the trash for good."
);

/// The body of every upload-URL request; each path reads the fields it knows: `file/upload`
/// needs `parent_id` and `name`, `file/upload_by_path` `target_folder_path` and `name`,
/// `file/{id}/new_version` nothing, `file/resumable_upload` one of `parent_id`,
/// `target_folder_path` or `file_id`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = UploadRequest)]
pub struct UploadArgs {
    /// The folder the file goes in (0: the user's root).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    parent_id: Option<i64>,
    /// A `/`-separated folder path from the root; missing folders are made.
    target_folder_path: Option<String>,
    /// The file's name.
    name: Option<String>,
    /// Only `api`.
    #[schema(pattern = "^api$")]
    upload_type: Option<String>,
    /// Whether a file of the same name becomes a new version of it (else the upload fails).
    #[serde(default, deserialize_with = "lenient_bool")]
    is_covered: Option<bool>,
    /// The size the bytes will have.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    file_size: Option<i64>,
    /// A note kept with the version.
    remark: Option<String>,
    /// With `parent_id` 0 or a path: the department whose space it goes in.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    department_id: Option<i64>,
    /// Resumable uploads: a new version of this file instead of a new file.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    file_id: Option<i64>,
    /// Resumable uploads: bytes per part.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    part_size: Option<i64>,
    /// The SHA-1 the bytes will have (`new_version_v2`): other bytes are refused.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-fA-F]{40}$")]
    sha1: Option<String>,
}

impl UploadArgs {
    /// The request for `target`; a folder 0 (or a path from it) with a `department_id` is in
    /// that department's space.
    async fn request(
        self,
        state: &AppState,
        principal: &openpan_core::auth::Principal,
        target: UploadTarget,
    ) -> Result<UploadRequest> {
        if let Some(kind) = self.upload_type.as_deref()
            && kind != "api"
        {
            return Err(ApiError::field("upload_type", "只能是api"));
        }
        let target = match target {
            UploadTarget::Folder(id) => {
                UploadTarget::Folder(folder_ref(state, principal, id, self.department_id).await?)
            }
            UploadTarget::Path(base, path) => {
                UploadTarget::Path(folder_ref(state, principal, base, self.department_id).await?, path)
            }
            file @ UploadTarget::File(_) => file,
        };
        Ok(UploadRequest {
            target,
            name: self.name,
            is_covered: self.is_covered.unwrap_or(false),
            declared_size: self.file_size,
            remark: self.remark,
            sha1: self.sha1,
        })
    }
}

async fn presign(
    state: &AppState,
    principal: &openpan_core::auth::Principal,
    request: UploadRequest,
) -> Result<Json<wire::PresignUrl>> {
    let ticket = state.core.start_upload(principal, request).await?;
    Ok(Json(wire::PresignUrl {
        presign_url: format!("{}/upload/{}/{}", state.public_url, ticket.upload_id, ticket.secret),
    }))
}

/// A URL to upload a new file to (`file/upload` of the SDKs, `file/upload_v2` of the
/// platform document): `POST` the bytes there as multipart `file`.
#[utoipa::path(post, path = "/file/upload", tag = "files", request_body = Option<UploadArgs>, responses((status = 200, body = wire::PresignUrl)))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<UploadArgs>,
) -> Result<Json<wire::PresignUrl>> {
    let parent = required(args.parent_id, "parent_id")?;
    let request = args
        .request(&state, &principal, UploadTarget::Folder(ItemId(parent)))
        .await?;
    presign(&state, &principal, request).await
}

/// A URL to upload a new file to, in the folder at a path (made where missing).
#[utoipa::path(post, path = "/file/upload_by_path", tag = "files", request_body = Option<UploadArgs>, responses((status = 200, body = wire::PresignUrl)))]
pub async fn upload_by_path(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(mut args): JsonBody<UploadArgs>,
) -> Result<Json<wire::PresignUrl>> {
    let path = args
        .target_folder_path
        .take()
        .ok_or_else(|| ApiError::field("target_folder_path", "不能为空"))?;
    let request = args
        .request(&state, &principal, UploadTarget::Path(ItemId(0), path))
        .await?;
    presign(&state, &principal, request).await
}

/// A URL to upload a file's new version to (`file/{id}/new_version` of the SDKs,
/// `new_version_v2` of the platform document).
#[utoipa::path(post, path = "/file/{id}/new_version", tag = "files", request_body = Option<UploadArgs>, responses((status = 200, body = wire::PresignUrl)))]
pub async fn new_version(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<UploadArgs>,
) -> Result<Json<wire::PresignUrl>> {
    let request = args.request(&state, &principal, UploadTarget::File(ItemId(id))).await?;
    presign(&state, &principal, request).await
}

/// `file/{id}/download` (and `download_v2`).
#[utoipa::path(get, path = "/file/{id}/download", tag = "files", params(("version" = Option<i64>, Query, minimum = 0, description = "A version id; 0 or absent for the current one"), ("valid_period" = Option<i64>, Query, minimum = 1, maximum = 604800, description = "Seconds the URL works (default 3600)")), responses((status = 200, body = wire::DownloadUrl)))]
pub async fn download(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::DownloadUrl>> {
    let version = params.opt_i64("version")?;
    let valid_period = params.opt_i64("valid_period")?;
    let ticket = state
        .core
        .download_url(&principal, ItemId(id), version, valid_period)
        .await?;
    Ok(Json(wire::DownloadUrl {
        download_url: crate::transfer::download_link(&state, &ticket),
    }))
}

#[utoipa::path(get, path = "/file/{id}/versions", tag = "files", responses((status = 200, body = wire::FileVersions)))]
pub async fn versions(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::FileVersions>> {
    let (versions, users) = state.core.list_versions(&principal, ItemId(id)).await?;
    Ok(Json(wire::FileVersions {
        success: true,
        file_versions: versions
            .iter()
            .map(|version| convert::file_version(version, &users))
            .collect(),
    }))
}

/// `{id}` and `{version_id}` of the version paths, both int64.
fn version_path(Path((id, version_id)): Path<(String, String)>) -> Result<(ItemId, i64)> {
    Ok((ItemId(parse_i64("id", &id)?), parse_i64("version_id", &version_id)?))
}

#[utoipa::path(get, path = "/file/{id}/version/{version_id}/info", tag = "files", responses((status = 200, body = wire::FileVersion)))]
pub async fn version_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    path: Path<(String, String)>,
) -> Result<Json<wire::FileVersion>> {
    let (id, version_id) = version_path(path)?;
    let (version, users) = state.core.version_info(&principal, id, version_id).await?;
    Ok(Json(convert::file_version(&version, &users)))
}

/// Makes an earlier version the current one (as a new version with its bytes).
#[utoipa::path(post, path = "/file/{id}/version/{version_id}/promote", tag = "files", responses((status = 200, body = wire::File)))]
pub async fn promote_version(
    State(state): State<AppState>,
    Caller(principal): Caller,
    path: Path<(String, String)>,
) -> Result<Json<wire::File>> {
    let (id, version_id) = version_path(path)?;
    let detail = state.core.promote_version(&principal, id, version_id).await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

/// Deletes an earlier version.
#[utoipa::path(post, path = "/file/{id}/version/{version_id}/delete", tag = "files", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete_version(
    State(state): State<AppState>,
    Caller(principal): Caller,
    path: Path<(String, String)>,
) -> Result<Json<wire::SuccessBody>> {
    let (id, version_id) = version_path(path)?;
    state.core.delete_version(&principal, id, version_id).await?;
    Ok(success())
}

/// `file/create_blank_file`'s body, camelCase as the platform document prints it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = BlankFileCreate)]
pub struct BlankArgs {
    /// The name, without the extension the type gives.
    #[schema(value_type = String, required, min_length = 1)]
    name: Option<String>,
    /// `1` (or `doc`, `docx`), `2` (`ppt`, `pptx`), `3` (`xls`, `xlsx`), `txt` or `md`; a
    /// number or text.
    #[serde(rename = "type")]
    #[schema(value_type = String, required, pattern = "^(1|2|3|docx?|pptx?|xlsx?|txt|md)$")]
    kind: Option<serde_json::Value>,
    /// The folder it goes in (0: the user's root).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 0)]
    parent_folder_id: Option<i64>,
    /// The enterprise the folder belongs to (the caller's).
    #[serde(default, deserialize_with = "lenient_i64")]
    parent_enterprise_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    department_id: Option<i64>,
    /// Only `2`: a clashing name is made unique.
    #[schema(value_type = Option<String>, pattern = "^2$")]
    name_conflict_resolve_strategy: Option<serde_json::Value>,
}

/// A string or a number, as text.
fn loose_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.trim().to_owned()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Creates an empty Office document, text or Markdown file.
#[utoipa::path(post, path = "/file/create_blank_file", tag = "files", request_body = BlankArgs, responses((status = 200, body = wire::File)))]
pub async fn create_blank_file(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<BlankArgs>,
) -> Result<Json<wire::File>> {
    let kind = args
        .kind
        .as_ref()
        .and_then(loose_text)
        .ok_or_else(|| ApiError::field("type", "不能为空"))?;
    let kind = BlankKind::parse(&kind).ok_or_else(|| ApiError::field("type", "只能是1(doc)、2(ppt)或3(xls)"))?;
    if let Some(strategy) = &args.name_conflict_resolve_strategy
        && loose_text(strategy).as_deref() != Some("2")
    {
        return Err(ApiError::field("nameConflictResolveStrategy", "只支持2(自动重命名)"));
    }
    let parent = required(args.parent_folder_id, "parentFolderId")?;
    let parent = folder_ref(&state, &principal, ItemId(parent), args.department_id).await?;
    let me = state.core.current_user(&principal).await?;
    if let Some(enterprise) = args.parent_enterprise_id
        && enterprise != me.enterprise.id.0
    {
        // Folders of partner enterprises come with external collaboration; none is reachable yet.
        return Err(ApiError::new(openpan_types::ErrorCode::FolderNotFound));
    }
    let name = args.name.ok_or_else(|| ApiError::field("name", "不能为空"))?;
    let detail = state.core.create_blank_file(&principal, parent, &name, kind).await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = PackDownload)]
pub struct PackArgs {
    /// `file_{id}` or `folder_{id}`, 1 to 500 of them.
    #[schema(value_type = Vec<String>, required, min_items = 1, max_items = 500)]
    item_typed_ids: Option<Vec<String>>,
}

/// A URL that streams the chosen files and folders as one zip.
#[utoipa::path(post, path = "/file/pack_download", tag = "files", request_body = PackArgs, responses((status = 200, body = wire::DownloadUrl)))]
pub async fn pack_download(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<PackArgs>,
) -> Result<Json<wire::DownloadUrl>> {
    let ids = args.item_typed_ids.unwrap_or_default();
    let ticket = state.core.pack_download_url(&principal, &ids).await?;
    Ok(Json(wire::DownloadUrl {
        download_url: crate::transfer::ticket_link(&state, "pack", &ticket.ticket, &ticket.signature, &ticket.name),
    }))
}

/// Opens a resumable upload session (`parent_id`, `target_folder_path` or `file_id`;
/// `name`, `file_size`, optional `part_size`): parts are `PUT` to its URL in any order and
/// the session is committed with the whole file's SHA-1.
#[utoipa::path(post, path = "/file/resumable_upload", tag = "files", request_body = Option<UploadArgs>, responses((status = 200, body = wire::ResumableUpload)))]
pub async fn resumable_upload(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(mut args): JsonBody<UploadArgs>,
) -> Result<Json<wire::ResumableUpload>> {
    let target = if let Some(file) = args.file_id {
        UploadTarget::File(ItemId(file))
    } else if let Some(path) = args.target_folder_path.take() {
        UploadTarget::Path(ItemId(0), path)
    } else {
        UploadTarget::Folder(ItemId(required(args.parent_id, "parent_id")?))
    };
    let part_size = args.part_size;
    let request = args.request(&state, &principal, target).await?;
    let (ticket, upload) = state
        .core
        .start_resumable_upload(&principal, request, part_size)
        .await?;
    let url = format!("{}/upload/{}/{}", state.public_url, ticket.upload_id, ticket.secret);
    Ok(Json(convert::resumable(&upload, url)))
}

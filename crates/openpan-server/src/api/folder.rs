//! `/api/v2/folder/*` (user token).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::drive::ItemKind;
use openpan_core::ids::ItemId;
use openpan_core::services::OnConflict;
use openpan_types as wire;

use super::items::{Action, act, children_page, folder_ref, required, success};
use crate::AppState;
use crate::convert;
use crate::error::Result;
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_i64};
use axum::response::Response;
use openpan_core::auth::Principal;

const FOLDER: ItemKind = ItemKind::Folder;

/// A folder: its path, owner, counts and permissions. `0` is the user's root.
#[utoipa::path(get, path = "/folder/{id}/info", tag = "folders",
    params(("id" = i64, Path, description = "The folder's id")),
    responses(
        (status = 200, body = wire::Folder),
    ))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Folder>> {
    let detail = state.core.item_info(&principal, ItemId(id), FOLDER).await?;
    Ok(Json(convert::folder(&detail.view, &detail.users, &detail.frequent)))
}

/// A folder in the trash.
#[utoipa::path(get, path = "/folder/{id}/trash", tag = "folders",
    params(("id" = i64, Path, description = "The folder's id")),
    responses(
        (status = 200, body = wire::Folder),
    ))]
pub async fn trash_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Folder>> {
    let detail = state.core.trash_info(&principal, ItemId(id), FOLDER).await?;
    Ok(Json(convert::folder(&detail.view, &detail.users, &detail.frequent)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = FolderCreate)]
pub struct CreateArgs {
    /// The new folder's name.
    #[schema(value_type = String, required, min_length = 1)]
    name: Option<String>,
    /// The folder it goes in; 0 is the user's root (or, with `department_id`, the
    /// department's space).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 0)]
    parent_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    department_id: Option<i64>,
    /// The PHP SDK's spelling.
    #[serde(default, rename = "departmentId", deserialize_with = "lenient_i64")]
    #[schema(ignore)]
    department_id_camel: Option<i64>,
}

/// Creates a folder.
#[utoipa::path(post, path = "/folder/create", tag = "folders", request_body = CreateArgs, responses((status = 200, body = wire::Folder)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<CreateArgs>,
) -> Result<Json<wire::Folder>> {
    let parent = required(args.parent_id, "parent_id")?;
    let parent = folder_ref(
        &state,
        &principal,
        ItemId(parent),
        args.department_id.or(args.department_id_camel),
    )
    .await?;
    let name = args.name.ok_or_else(|| crate::ApiError::field("name", "不能为空"))?;
    let detail = state.core.create_folder(&principal, parent, &name).await?;
    Ok(Json(convert::folder(&detail.view, &detail.users, &detail.frequent)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = FolderCreateByPath)]
pub struct CreateByPathArgs {
    /// A `/`-separated path from the root; the folders it names are made where missing.
    #[schema(value_type = String, required, min_length = 1)]
    target_folder_path: Option<String>,
    /// The department whose space the path starts in.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    department_id: Option<i64>,
}

/// Creates the folders of a path that are missing and answers the last.
#[utoipa::path(post, path = "/folder/create_by_path", tag = "folders", request_body = CreateByPathArgs, responses((status = 200, body = wire::Folder)))]
pub async fn create_by_path(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<CreateByPathArgs>,
) -> Result<Json<wire::Folder>> {
    let base = folder_ref(&state, &principal, ItemId(0), args.department_id).await?;
    let path = args
        .target_folder_path
        .ok_or_else(|| crate::ApiError::field("target_folder_path", "不能为空"))?;
    let detail = state.core.create_folder_by_path(&principal, base, &path).await?;
    Ok(Json(convert::folder(&detail.view, &detail.users, &detail.frequent)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ItemUpdate)]
pub struct UpdateArgs {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
}

/// Renames a folder or changes its description.
#[utoipa::path(post, path = "/folder/{id}/update", tag = "folders", request_body = Option<UpdateArgs>, responses((status = 200, body = wire::Folder)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<UpdateArgs>,
) -> Result<Json<wire::Folder>> {
    let detail = state
        .core
        .update_item(
            &principal,
            ItemId(id),
            FOLDER,
            args.name.as_deref(),
            args.description.as_deref(),
        )
        .await?;
    Ok(Json(convert::folder(&detail.view, &detail.users, &detail.frequent)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ItemTarget)]
pub struct TargetArgs {
    /// The folder to move or copy into; 0 is the user's root (or, with a department, the
    /// department's space).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 0)]
    pub target_folder_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    pub department_id: Option<i64>,
    #[serde(default, rename = "departmentId", deserialize_with = "lenient_i64")]
    #[schema(ignore)]
    pub department_id_camel: Option<i64>,
    /// `{type, id}` of the target's space, as the platform document's move example sends.
    #[serde(default)]
    pub target_space: Option<TargetSpace>,
    /// The Python SDK's copy flag: true fails on a name clash, false renames.
    #[serde(default, deserialize_with = "crate::extract::lenient_bool")]
    pub is_check_conflict: Option<bool>,
}

/// The space a target folder id is in.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct TargetSpace {
    /// `personal` or `department`.
    #[serde(rename = "type")]
    #[schema(pattern = "^(personal|department)$")]
    pub kind: Option<String>,
    /// The department, with type `department`.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    pub id: Option<i64>,
}

impl TargetArgs {
    /// The target folder: `target_folder_id`, where 0 with a `department_id` (or a
    /// `target_space` of type department) is that department's space root.
    pub async fn target(&self, state: &AppState, principal: &Principal) -> Result<ItemId> {
        let mut department = self.department_id.or(self.department_id_camel);
        if let Some(space) = &self.target_space {
            match space.kind.as_deref() {
                None | Some("personal") => {}
                Some("department") => match space.id {
                    Some(id) if id > 0 => department = department.or(Some(id)),
                    _ => return Err(crate::ApiError::field("target_space.id", "必须是部门id")),
                },
                Some(_) => {
                    return Err(crate::ApiError::field(
                        "target_space.type",
                        "只能是personal或department",
                    ));
                }
            }
        }
        let target = required(self.target_folder_id, "target_folder_id").map(ItemId)?;
        folder_ref(state, principal, target, department).await
    }

    pub fn on_conflict(&self) -> OnConflict {
        if self.is_check_conflict == Some(true) {
            OnConflict::Fail
        } else {
            OnConflict::Rename
        }
    }
}

/// Moves a folder into another.
#[utoipa::path(post, path = "/folder/{id}/move", tag = "folders", request_body = TargetArgs, responses((status = 200, body = wire::SuccessBody)))]
pub async fn move_to(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<TargetArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state
        .core
        .move_item(&principal, ItemId(id), FOLDER, args.target(&state, &principal).await?)
        .await?;
    Ok(success())
}

/// Copies a folder and all in it into another (renamed on a clash unless `is_check_conflict`).
#[utoipa::path(post, path = "/folder/{id}/copy", tag = "folders", request_body = TargetArgs, responses((status = 200, body = wire::Folder)))]
pub async fn copy(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<TargetArgs>,
) -> Result<Json<wire::Folder>> {
    let detail = state
        .core
        .copy_item(
            &principal,
            ItemId(id),
            FOLDER,
            args.target(&state, &principal).await?,
            args.on_conflict(),
        )
        .await?;
    Ok(Json(convert::folder(&detail.view, &detail.users, &detail.frequent)))
}

macro_rules! action_handler {
    ($name:ident, $action:expr, $path:tt, $doc:tt) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "folders", responses((status = 200, body = wire::SuccessBody)))]
        pub async fn $name(
            State(state): State<AppState>,
            Caller(principal): Caller,
            PathId(id): PathId,
        ) -> Result<Json<wire::SuccessBody>> {
            act(&state, &principal, ItemId(id), FOLDER, $action).await?;
            Ok(success())
        }
    };
}

action_handler!(
    delete,
    Action::Trash,
    "/folder/{id}/delete",
    "Moves a folder and all in it to the trash."
);
action_handler!(
    restore,
    Action::Restore,
    "/folder/{id}/restore_from_trash",
    "Brings a folder back from the trash."
);
action_handler!(
    purge,
    Action::Purge,
    "/folder/{id}/delete_from_trash",
    "Deletes a folder in the trash for good."
);

/// A page of a folder's children, folders first.
#[utoipa::path(get, path = "/folder/{id}/children", tag = "folders",
    params(
        ("id" = i64, Path, description = "The folder's id; 0 is the user's root"),
        crate::openapi::PageQuery, crate::openapi::KindQuery, crate::openapi::SortQuery, crate::openapi::MarkerQuery,
        ("department_id" = Option<i64>, Query, minimum = 0, description = "With id 0: the department's space"),
    ),
    responses((status = 200, body = wire::ItemPage)))]
pub async fn children(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Response> {
    let folder = folder_ref(&state, &principal, ItemId(id), params.opt_i64("department_id")?).await?;
    children_page(&state, &principal, folder, &params).await
}

/// `folder/department_folders`: the top of a department's space.
#[utoipa::path(get, path = "/folder/department_folders", tag = "folders", params(crate::openapi::PageQuery, crate::openapi::KindQuery, crate::openapi::SortQuery, crate::openapi::MarkerQuery, ("department_id" = i64, Query, minimum = 1, description = "The department")), responses((status = 200, body = wire::ItemPage)))]
pub async fn department_folders(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Response> {
    let department = required(params.opt_i64("department_id")?, "department_id")?;
    if department < 1 {
        return Err(crate::ApiError::field("department_id", "必须是部门id"));
    }
    let folder = folder_ref(&state, &principal, ItemId(0), Some(department)).await?;
    children_page(&state, &principal, folder, &params).await
}

#[utoipa::path(get, path = "/folder/personal_items", tag = "folders", params(crate::openapi::PageQuery, crate::openapi::KindQuery, crate::openapi::SortQuery, crate::openapi::MarkerQuery), responses((status = 200, body = wire::ItemPage)))]
pub async fn personal_items(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Response> {
    children_page(&state, &principal, ItemId(0), &params).await
}

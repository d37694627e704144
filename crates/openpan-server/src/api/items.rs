//! What the folder, file and trash routes share: listing parameters, department checks,
//! and the argument-less item actions with their batch forms.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;

use openpan_core::auth::Principal;
use openpan_core::drive::{ItemKind, KindFilter, Sort};
use openpan_core::ids::{DepartmentId, ItemId};
use openpan_core::model::Page;
use openpan_core::{Error, FieldError};
use openpan_types::{self as wire, ErrorCode};

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, id_list, lenient_bool, lenient_i64};
use crate::listing_cache::PageKey;

pub fn success() -> Json<wire::SuccessBody> {
    Json(wire::SuccessBody { success: true })
}

fn field(err: FieldError) -> ApiError {
    Error::Invalid(vec![err]).into()
}

/// `type`, `sort_by`, `sort_direction`, `page_id`, `page_capacity` of a listing.
pub fn listing_params(params: &Params) -> Result<(KindFilter, Sort, Page)> {
    let filter = KindFilter::parse(params.opt_str("type")).map_err(field)?;
    let sort = Sort::parse(params.opt_str("sort_by"), params.opt_str("sort_direction")).map_err(field)?;
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    Ok((filter, sort, page))
}

/// A page of `folder`'s children (`children`, `personal_items`): answered from the node's cache
/// of rendered pages when nothing it shows has changed since, else rendered and kept.
pub async fn children_page(
    state: &AppState,
    principal: &Principal,
    folder: ItemId,
    params: &Params,
) -> Result<Response> {
    let (filter, sort, page) = listing_params(params)?;
    let marker = params.opt_str("marker");
    if principal.root().is_some() {
        // An embedded component's token sees the page through its scopes, which the stamp
        // does not tell apart: it is rendered for it alone.
        let listing = state
            .core
            .list_children(principal, folder, filter, sort, page, marker)
            .await?;
        return Ok(Json(convert::item_page(&listing)).into_response());
    }
    let stamp = state.core.listing_stamp(principal, folder).await?;
    let key = PageKey {
        stamp,
        filter,
        sort,
        page,
        marker: marker.map(Box::from),
    };
    if let Some(body) = state.listings.get(&key) {
        return Ok(json_body(body));
    }
    let listing = state
        .core
        .list_children(principal, stamp.folder, filter, sort, page, marker)
        .await?;
    let body =
        serde_json::to_vec(&convert::item_page(&listing)).map_err(|_| ApiError::new(ErrorCode::InternalServerError))?;
    let body = Bytes::from(body);
    state.listings.insert(key, body.clone());
    Ok(json_body(body))
}

fn json_body(body: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// The folder a request names: folder 0 with a `department_id` above 0 is that department's
/// space root (for those who work in it); otherwise the id as given (0: the caller's personal
/// root), which a real folder id keeps whatever department is named beside it.
pub async fn folder_ref(
    state: &AppState,
    principal: &Principal,
    id: ItemId,
    department_id: Option<i64>,
) -> Result<ItemId> {
    match department_id {
        None | Some(0) => Ok(id),
        Some(department) if department < 0 => Err(ApiError::field("department_id", "不能小于0")),
        Some(department) if id.0 == 0 => Ok(state
            .core
            .department_root(principal, DepartmentId(department))
            .await?
            .id),
        Some(_) => Ok(id),
    }
}

/// A required int64 body field.
pub fn required(value: Option<i64>, name: &str) -> Result<i64> {
    value.ok_or_else(|| ApiError::field(name, "不能为空"))
}

/// The argument-less item actions.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Trash,
    Restore,
    Purge,
}

pub async fn act(state: &AppState, principal: &Principal, id: ItemId, kind: ItemKind, action: Action) -> Result<()> {
    let core = &state.core;
    match action {
        Action::Trash => core.trash_item(principal, id, kind).await?,
        Action::Restore => core.restore_item(principal, id, kind).await?,
        Action::Purge => core.purge_item(principal, id, kind).await?,
    }
    Ok(())
}

/// The body of the batch forms (`delete_batch`, `*_batch_from_trash`, `move_batch`), for
/// files (`file_ids`) and folders (`folder_ids`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ItemBatch)]
pub struct BatchArgs {
    /// Files (paths under `/file/`), numbers or numeric strings.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    pub file_ids: Option<Vec<serde_json::Value>>,
    /// Folders (paths under `/folder/`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    pub folder_ids: Option<Vec<serde_json::Value>>,
    /// `move_batch`: the folder they go in.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    pub target_folder_id: Option<i64>,
    /// `delete_batch_from_trash`: the whole trash of the kind instead of the ids.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub clear_trash: Option<bool>,
    /// `restore_batch_from_trash`: the whole trash of the kind instead of the ids.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub restore_all: Option<bool>,
}

impl BatchArgs {
    /// The ids for `kind`, each a number or a numeric string.
    pub fn ids(&self, kind: ItemKind) -> Result<Vec<ItemId>> {
        let name = match kind {
            ItemKind::File => "file_ids",
            ItemKind::Folder => "folder_ids",
        };
        let values = match kind {
            ItemKind::File => &self.file_ids,
            ItemKind::Folder => &self.folder_ids,
        };
        Ok(id_list(name, values.as_deref())?.into_iter().map(ItemId).collect())
    }
}

/// Applies `action` to each id; all ids are checked first, so a bad id changes nothing.
pub async fn act_on_all(
    state: &AppState,
    principal: &Principal,
    ids: &[ItemId],
    kind: ItemKind,
    action: Action,
) -> Result<()> {
    for id in ids {
        match action {
            Action::Trash => state.core.item_info(principal, *id, kind).await.map(drop)?,
            Action::Restore | Action::Purge => state.core.trash_info(principal, *id, kind).await.map(drop)?,
        }
    }
    for id in ids {
        // An item listed below a folder listed before it went along with that folder (into the
        // trash, out of it, or for good): what the batch asks of it is already done.
        if already_done(state, principal, *id, kind, action).await? {
            continue;
        }
        act(state, principal, *id, kind, action).await?;
    }
    Ok(())
}

/// Whether `action` on `id` has been done since the batch checked it, by an earlier item of
/// the same batch (or a concurrent request asking the same).
async fn already_done(
    state: &AppState,
    principal: &Principal,
    id: ItemId,
    kind: ItemKind,
    action: Action,
) -> Result<bool> {
    use openpan_core::Refusal;
    let found = match action {
        Action::Trash => state.core.item_info(principal, id, kind).await.map(drop),
        Action::Restore | Action::Purge => state.core.trash_info(principal, id, kind).await.map(drop),
    };
    match (action, found) {
        (_, Ok(())) => Ok(false),
        (Action::Trash, Err(Error::Refused(Refusal::FolderDeleted | Refusal::FileDeleted)))
        | (Action::Restore, Err(Error::Refused(Refusal::FolderNotInTrash | Refusal::FileNotInTrash)))
        | (Action::Purge, Err(Error::NotFound { .. })) => Ok(true),
        (_, Err(err)) => Err(err.into()),
    }
}

/// Moves each id into `target`, after checking them all.
pub async fn move_all(
    state: &AppState,
    principal: &Principal,
    ids: &[ItemId],
    kind: ItemKind,
    target: ItemId,
) -> Result<()> {
    for id in ids {
        state.core.item_info(principal, *id, kind).await?;
    }
    for id in ids {
        state.core.move_item(principal, *id, kind, target).await?;
    }
    Ok(())
}

/// Restores (`restore_all`) or else empties (`clear_trash`) the whole trash for one kind.
pub async fn whole_trash(state: &AppState, principal: &Principal, kind: ItemKind, restore: bool) -> Result<()> {
    let filter = match kind {
        ItemKind::File => KindFilter::Files,
        ItemKind::Folder => KindFilter::Folders,
    };
    if restore {
        state.core.restore_all(principal, None, filter).await?;
    } else {
        state.core.clear_trash(principal, None, filter).await?;
    }
    Ok(())
}

/// `{file,folder}/delete_batch`.
async fn trash_batch(state: &AppState, principal: &Principal, args: BatchArgs, kind: ItemKind) -> Result<()> {
    act_on_all(state, principal, &args.ids(kind)?, kind, Action::Trash).await
}

/// `{file,folder}/delete_batch_from_trash` (`clear_trash: true` empties the kind's trash).
async fn purge_batch(state: &AppState, principal: &Principal, args: BatchArgs, kind: ItemKind) -> Result<()> {
    whole_or_each(state, principal, &args, kind, args.clear_trash, Action::Purge).await
}

/// `{file,folder}/restore_batch_from_trash` (`restore_all: true` restores the kind's trash),
/// and the Python SDK's `file/restore_from_trash` with ids in the body.
async fn restore_batch(state: &AppState, principal: &Principal, args: BatchArgs, kind: ItemKind) -> Result<()> {
    whole_or_each(state, principal, &args, kind, args.restore_all, Action::Restore).await
}

/// `action` on the kind's whole trash when the batch's flag (`whole`) says so, else on its ids.
async fn whole_or_each(
    state: &AppState,
    principal: &Principal,
    args: &BatchArgs,
    kind: ItemKind,
    whole: Option<bool>,
    action: Action,
) -> Result<()> {
    if whole == Some(true) {
        whole_trash(state, principal, kind, matches!(action, Action::Restore)).await
    } else {
        act_on_all(state, principal, &args.ids(kind)?, kind, action).await
    }
}

/// `{file,folder}/move_batch`.
async fn move_batch(state: &AppState, principal: &Principal, args: BatchArgs, kind: ItemKind) -> Result<()> {
    let target = ItemId(required(args.target_folder_id, "target_folder_id")?);
    move_all(state, principal, &args.ids(kind)?, kind, target).await
}

/// The batch routes, one handler per path (each described on its own).
macro_rules! batch_handlers {
    ($($name:ident: $path:tt, $tag:tt, $run:ident, $kind:expr, $doc:tt;)*) => {$(
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = $tag, request_body = Option<BatchArgs>,
            responses((status = 200, body = wire::SuccessBody)))]
        pub async fn $name(
            State(state): State<AppState>,
            Caller(principal): Caller,
            JsonBody(args): JsonBody<BatchArgs>,
        ) -> Result<Json<wire::SuccessBody>> {
            $run(&state, &principal, args, $kind).await?;
            Ok(success())
        }
    )*};
}

batch_handlers! {
    folders_trash: "/folder/delete_batch", "folders", trash_batch, ItemKind::Folder,
        "Moves folders (`folder_ids`) to the trash; all are checked first, so a bad id changes nothing.";
    folders_purge: "/folder/delete_batch_from_trash", "folders", purge_batch, ItemKind::Folder,
        "Deletes folders in the trash for good (`folder_ids`, or `clear_trash: true` for all).";
    folders_restore: "/folder/restore_batch_from_trash", "folders", restore_batch, ItemKind::Folder,
        "Brings folders back from the trash (`folder_ids`, or `restore_all: true` for all).";
    folders_move: "/folder/move_batch", "folders", move_batch, ItemKind::Folder,
        "Moves folders (`folder_ids`) into `target_folder_id`.";
    files_trash: "/file/delete_batch", "files", trash_batch, ItemKind::File,
        "Moves files (`file_ids`) to the trash; all are checked first, so a bad id changes nothing.";
    files_purge: "/file/delete_batch_from_trash", "files", purge_batch, ItemKind::File,
        "Deletes files in the trash for good (`file_ids`, or `clear_trash: true` for all).";
    files_restore: "/file/restore_batch_from_trash", "files", restore_batch, ItemKind::File,
        "Brings files back from the trash (`file_ids`, or `restore_all: true` for all).";
    files_move: "/file/move_batch", "files", move_batch, ItemKind::File,
        "Moves files (`file_ids`) into `target_folder_id`.";
}

//! Recent and frequent items (user token): `file/recent_items`, `file/{item_id}/mark_as_used`
//! and `frequent/*`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::drive::ItemKind;
use openpan_core::ids::ItemId;
use openpan_core::model::Page;
use openpan_types as wire;

use super::items::success;
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, id_list, lenient_i64, typed_id};

#[utoipa::path(get, path = "/file/recent_items", tag = "files", params(("limit" = i64, Query, minimum = 0, maximum = 1000, description = "How many")), responses((status = 200, body = wire::ItemPage)))]
pub async fn recent_items(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ItemPage>> {
    let limit = params
        .opt_i64("limit")?
        .ok_or_else(|| ApiError::field("limit", "不能为空"))?;
    let listing = state.core.recent_items(&principal, limit).await?;
    Ok(Json(convert::item_page(&listing)))
}

/// Counts a use of a file toward the recent and frequent lists.
#[utoipa::path(post, path = "/file/{id}/mark_as_used", tag = "files", responses((status = 200, body = wire::SuccessBody)))]
pub async fn mark_as_used(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    state.core.mark_as_used(&principal, ItemId(id)).await?;
    Ok(success())
}

#[utoipa::path(get, path = "/frequent/list", tag = "files", params(crate::openapi::PageQuery), responses((status = 200, body = wire::FrequentPage)))]
pub async fn frequent_list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::FrequentPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let listing = state.core.frequent_items(&principal, page).await?;
    Ok(Json(convert::frequent_page(&listing)))
}

/// Which files to pin or unpin: `item_typed_ids` (`"file_{id}"`), `file_ids` or one `file_id`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = FrequentFiles)]
pub struct FrequentArgs {
    /// `file_{id}` of each.
    #[serde(default)]
    item_typed_ids: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    file_ids: Option<Vec<serde_json::Value>>,
    #[serde(default, deserialize_with = "lenient_i64")]
    file_id: Option<i64>,
}

impl FrequentArgs {
    fn ids(self) -> Result<Vec<ItemId>> {
        let mut ids = Vec::new();
        for typed in self.item_typed_ids.into_iter().flatten() {
            match typed_id(&typed) {
                Some((ItemKind::File, id)) => ids.push(ItemId(id)),
                _ => return Err(ApiError::field("item_typed_ids", "必须是file_{id}")),
            }
        }
        ids.extend(id_list("file_ids", self.file_ids.as_deref())?.into_iter().map(ItemId));
        ids.extend(self.file_id.map(ItemId));
        if ids.is_empty() {
            return Err(ApiError::field("item_typed_ids", "不能为空"));
        }
        Ok(ids)
    }
}

/// Pins files to the frequent list.
#[utoipa::path(post, path = "/frequent/add", tag = "files", request_body = Option<FrequentArgs>, responses((status = 200, body = wire::SuccessBody)))]
pub async fn frequent_add(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<FrequentArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.set_frequent(&principal, &args.ids()?, true).await?;
    Ok(success())
}

/// Unpins files from the frequent list.
#[utoipa::path(post, path = "/frequent/delete", tag = "files", request_body = Option<FrequentArgs>, responses((status = 200, body = wire::SuccessBody)))]
pub async fn frequent_delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<FrequentArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.set_frequent(&principal, &args.ids()?, false).await?;
    Ok(success())
}

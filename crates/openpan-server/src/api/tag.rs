//! `/api/v2/tag/*` (user token): tags on items, the caller's recent and common tags, and the
//! items carrying a tag.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::drive::{ItemKind, Sort, SortKey};
use openpan_core::ids::ItemId;
use openpan_core::model::Page;
use openpan_core::search::SearchOrder;
use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, id_list, lenient_i64, lenient_string, typed_id};

/// Which items and which tags: items as `item_typed_ids` (`file_{id}`, `folder_{id}`),
/// `file_ids`/`folder_ids` or one `file_id`/`folder_id`; tags as `tag_names`, `tags` or one
/// `tag_name`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = TagChange)]
pub struct TagArgs {
    /// `file_{id}` or `folder_{id}` of each item.
    #[serde(default)]
    item_typed_ids: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    file_ids: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    folder_ids: Option<Vec<serde_json::Value>>,
    #[serde(default, deserialize_with = "lenient_i64")]
    file_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    folder_id: Option<i64>,
    #[serde(default)]
    tag_names: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient_string")]
    tag_name: Option<String>,
}

impl TagArgs {
    fn items(&self) -> Result<Vec<(ItemId, ItemKind)>> {
        let mut items = Vec::new();
        for typed in self.item_typed_ids.iter().flatten() {
            let (kind, id) =
                typed_id(typed).ok_or_else(|| ApiError::field("item_typed_ids", "必须是file_{id}或folder_{id}"))?;
            items.push((ItemId(id), kind));
        }
        for (name, values, kind) in [
            ("file_ids", &self.file_ids, ItemKind::File),
            ("folder_ids", &self.folder_ids, ItemKind::Folder),
        ] {
            items.extend(
                id_list(name, values.as_deref())?
                    .into_iter()
                    .map(|id| (ItemId(id), kind)),
            );
        }
        items.extend(self.file_id.map(|id| (ItemId(id), ItemKind::File)));
        items.extend(self.folder_id.map(|id| (ItemId(id), ItemKind::Folder)));
        Ok(items)
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .tag_names
            .iter()
            .chain(self.tags.iter())
            .flatten()
            .cloned()
            .collect();
        names.extend(self.tag_name.clone());
        names
    }
}

/// Tags items.
#[utoipa::path(post, path = "/tag/item_add_tags", tag = "tags", request_body = Option<TagArgs>, responses((status = 200, body = wire::TaggedItems)))]
pub async fn item_add_tags(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<TagArgs>,
) -> Result<Json<wire::TaggedItems>> {
    let tagged = state
        .core
        .add_item_tags(&principal, &args.items()?, &args.names())
        .await?;
    Ok(Json(convert::tagged_items(&tagged)))
}

/// Takes tags off items.
#[utoipa::path(post, path = "/tag/item_remove_tags", tag = "tags", request_body = Option<TagArgs>, responses((status = 200, body = wire::TaggedItems)))]
pub async fn item_remove_tags(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<TagArgs>,
) -> Result<Json<wire::TaggedItems>> {
    let tagged = state
        .core
        .remove_item_tags(&principal, &args.items()?, &args.names())
        .await?;
    Ok(Json(convert::tagged_items(&tagged)))
}

#[utoipa::path(get, path = "/tag/list", tag = "tags", responses((status = 200, body = wire::TagList)))]
pub async fn list(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::TagList>> {
    Ok(Json(convert::tag_list(&state.core.recent_tags(&principal).await?)))
}

#[utoipa::path(get, path = "/tag/common_list", tag = "tags", responses((status = 200, body = wire::TagList)))]
pub async fn common_list(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::TagList>> {
    Ok(Json(convert::tag_list(&state.core.common_tags(&principal).await?)))
}

/// Adds tags to the caller's common tags (items are not read).
#[utoipa::path(post, path = "/tag/add_common_list", tag = "tags", request_body = Option<TagArgs>, responses((status = 200, body = wire::TagList)))]
pub async fn add_common_list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<TagArgs>,
) -> Result<Json<wire::TagList>> {
    let tags = state.core.set_common_tags(&principal, &args.names(), true).await?;
    Ok(Json(convert::tag_list(&tags)))
}

/// Removes tags from the caller's common tags (items are not read).
#[utoipa::path(post, path = "/tag/remove_common_list", tag = "tags", request_body = Option<TagArgs>, responses((status = 200, body = wire::TagList)))]
pub async fn remove_common_list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<TagArgs>,
) -> Result<Json<wire::TagList>> {
    let tags = state.core.set_common_tags(&principal, &args.names(), false).await?;
    Ok(Json(convert::tag_list(&tags)))
}

/// The items carrying a tag; `page_id` counts from 1 here, and the answer echoes it.
#[utoipa::path(get, path = "/tag/filter_items_by_tag_name", tag = "tags", params(
    ("tag_name" = String, Query, min_length = 1, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "The tag"),
    ("page_id" = Option<i64>, Query, minimum = 0, description = "1-based page (0 is read as 1)"),
    ("page_capacity" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "Entries per page"),
    crate::openapi::SortQuery,
), responses((status = 200, body = wire::ItemPage)))]
pub async fn filter_items_by_tag_name(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ItemPage>> {
    let name = params.str("tag_name")?;
    let sort = Sort::parse(params.opt_str("sort_by"), params.opt_str("sort_direction"))
        .map_err(|err| ApiError::field(err.field, err.message))?;
    let order = match sort.by {
        SortKey::Name => SearchOrder::Name,
        SortKey::Date => SearchOrder::Date,
        SortKey::Size => SearchOrder::Size,
    };
    let page_id = params.opt_i64("page_id")?.unwrap_or(1);
    if page_id < 0 {
        return Err(ApiError::field("page_id", "从1开始"));
    }
    let page = Page::parse(Some((page_id - 1).max(0)), params.opt_i64("page_capacity")?)?;
    let listing = state
        .core
        .filter_items_by_tag(&principal, name, order, sort.descending, page)
        .await?;
    let mut body = convert::item_page(&listing);
    body.page_id = page_id.max(1);
    Ok(Json(body))
}

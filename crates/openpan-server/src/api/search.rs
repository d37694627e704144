//! `/api/v2/item/search` (user token): the seed's query parameters, parsed strictly, so a
//! malformed one is named in the error envelope instead of being ignored.

use axum::Json;
use axum::extract::State;

use openpan_core::drive::KindFilter;
use openpan_core::ids::{DepartmentId, ItemId};
use openpan_core::model::Page;
use openpan_core::search::{SearchField, SearchOrder};
use openpan_core::services::{ItemSearch, SearchScope};
use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, Params, parse_i64};

/// Characters a query may have; longer ones are refused rather than silently cut.
const MAX_QUERY_CHARS: usize = 200;

/// Finds files and folders by name, content, creator or tag.
#[utoipa::path(get, path = "/item/search", tag = "files", params(
    ("query_words" = String, Query, min_length = 1, max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "What to look for"),
    ("query_filter" = Option<String>, Query, pattern = "^(file_name|content|creator|tag|all)$", description = "Where to look (default all)"),
    ("type" = Option<crate::openapi::ItemType>, Query, description = "What to find (default all)"),
    ("sort_by" = Option<String>, Query, pattern = "^(name|date|size|score)$", description = "Default score"),
    ("sort_direction" = Option<crate::openapi::SortDirection>, Query, description = "Default desc"),
    crate::openapi::PageQuery,
    ("search_in_folder" = Option<i64>, Query, minimum = 0, description = "Only below this folder"),
    ("department_id" = Option<i64>, Query, minimum = -1, description = "0: the personal space; -1: shared with me; a department's space; absent: everywhere"),
    ("updated_time_range" = Option<String>, Query, pattern = "^ *(-?[0-9]{1,12})? *, *(-?[0-9]{1,12})? *$", description = "`start,end` in Unix seconds; either side may be empty"),
    ("precise_search" = Option<bool>, Query, description = "Whole words only"),
    ("fields" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "`permission` adds each item's permissions"),
), responses((status = 200, body = wire::ItemPage)))]
pub async fn search(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ItemPage>> {
    let request = parse(&params)?;
    let with_permissions = params
        .opt_str("fields")
        .is_some_and(|fields| fields.split(',').any(|field| field.trim() == "permission"));
    let listing = state.core.search_items(&principal, request).await?;
    Ok(Json(convert::item_page_with(&listing, with_permissions)))
}

fn parse(params: &Params) -> Result<ItemSearch> {
    let words = params.str("query_words")?.to_owned();
    if words.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::field("query_words", "不能超过200个字符"));
    }
    let kind = KindFilter::parse(params.opt_str("type")).map_err(|err| ApiError::field(err.field, err.message))?;
    let order = match params.opt_str("sort_by") {
        None | Some("score") => SearchOrder::Score,
        Some("name") => SearchOrder::Name,
        Some("date") => SearchOrder::Date,
        Some("size") => SearchOrder::Size,
        Some(_) => return Err(ApiError::field("sort_by", "只能是name、date、size或score")),
    };
    let descending = match params.opt_str("sort_direction") {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(ApiError::field("sort_direction", "只能是desc或asc")),
    };
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let within = match params.opt_i64("search_in_folder")? {
        Some(id) if id < 0 => return Err(ApiError::field("search_in_folder", "不能小于0")),
        id => id.map(ItemId),
    };
    let field = SearchField::parse(params.opt_str("query_filter"))
        .ok_or_else(|| ApiError::field("query_filter", "只能是file_name、content、creator、tag或all"))?;
    let (modified_from, modified_to) = match params.opt_str("updated_time_range") {
        None => (None, None),
        Some(range) => time_range(range)?,
    };
    let scope = match params.opt_i64("department_id")? {
        None => SearchScope::Everywhere,
        Some(0) => SearchScope::Personal,
        Some(-1) => SearchScope::SharedWithMe,
        Some(id) if id > 0 => SearchScope::Department(DepartmentId(id)),
        Some(_) => return Err(ApiError::field("department_id", "只能是0、-1或部门id")),
    };
    Ok(ItemSearch {
        words,
        field,
        kind,
        order,
        descending,
        page,
        within,
        scope,
        modified_from,
        modified_to,
        precise: params.opt_bool("precise_search")?.unwrap_or(false),
    })
}

/// `start,end` in Unix seconds; either side may be empty, the comma may not.
fn time_range(range: &str) -> Result<(Option<i64>, Option<i64>)> {
    const FIELD: &str = "updated_time_range";
    let (start, end) = range
        .split_once(',')
        .ok_or_else(|| ApiError::field(FIELD, "格式为开始时间戳,结束时间戳"))?;
    let bound = |side: &str| -> Result<Option<i64>> {
        match side.trim() {
            "" => Ok(None),
            side => parse_i64(FIELD, side).map(Some),
        }
    };
    let (start, end) = (bound(start)?, bound(end)?);
    if let (Some(start), Some(end)) = (start, end)
        && start > end
    {
        return Err(ApiError::field(FIELD, "开始时间不能晚于结束时间"));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ranges_may_leave_either_side_open_but_need_the_comma() {
        assert_eq!(
            time_range("1509954358,1509954360").unwrap(),
            (Some(1509954358), Some(1509954360))
        );
        assert_eq!(time_range(",1509954360").unwrap(), (None, Some(1509954360)));
        assert_eq!(time_range("1509954358,").unwrap(), (Some(1509954358), None));
        assert_eq!(time_range(",").unwrap(), (None, None));
        assert!(time_range("1509954358").is_err());
        assert!(time_range("a,b").is_err());
        assert!(time_range("20,10").is_err());
    }
}

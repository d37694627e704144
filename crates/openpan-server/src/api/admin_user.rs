//! `/api/v2/admin/user/*` (enterprise token).

use axum::Json;
use axum::extract::State;

use openpan_core::model::Page;
use openpan_core::services::{IdentifierType, UserLookup};
use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, Params};

pub async fn get_user_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::User>> {
    let identifier = params.str("identifier")?.to_owned();
    let identifier_type = IdentifierType::parse(params.str("type")?)
        .ok_or_else(|| ApiError::field("type", "取值必须是simple_phone_or_email、user_ticket、email或phone"))?;
    let platform_id = params.opt_i64("platform_id")?;
    let lookup = UserLookup {
        identifier,
        identifier_type,
        platform_id,
    };
    let found = state.core.get_user_info(&principal, lookup).await?;
    Ok(Json(convert::user(&found)))
}

pub async fn list_users(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::UserPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    // `platform_id` is accepted for compatibility: an enterprise has one directory here.
    params.opt_i64("platform_id")?;
    let (users, total_count) = state.core.list_users(&principal, page).await?;
    Ok(Json(wire::UserPage {
        users: users.iter().map(|user| convert::detailed_user(user, false)).collect(),
        total_count,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total_count),
    }))
}

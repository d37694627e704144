//! `/api/v2/trash/*` (user token).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::FieldError;
use openpan_core::drive::KindFilter;
use openpan_types as wire;

use super::items::{listing_params, success};
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params};

#[derive(Debug, Default, Deserialize)]
pub struct TypeArgs {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `type` from the JSON body (Java, PHP) or the query (Python), default all.
fn kind(params: &Params, args: &TypeArgs) -> Result<KindFilter> {
    let raw = args.kind.as_deref().or_else(|| params.opt_str("type"));
    KindFilter::parse(raw).map_err(|err: FieldError| ApiError::field(err.field, err.message))
}

pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ItemPage>> {
    let (filter, sort, page) = listing_params(&params)?;
    let listing = state.core.list_trash(&principal, filter, sort, page).await?;
    Ok(Json(convert::item_page(&listing)))
}

pub async fn clear(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
    JsonBody(args): JsonBody<TypeArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.clear_trash(&principal, kind(&params, &args)?).await?;
    Ok(success())
}

pub async fn restore_all(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
    JsonBody(args): JsonBody<TypeArgs>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.restore_all(&principal, kind(&params, &args)?).await?;
    Ok(success())
}

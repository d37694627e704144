//! `/api/v2/trash/*` (user token).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::FieldError;
use openpan_core::drive::KindFilter;
use openpan_core::ids::DepartmentId;
use openpan_types as wire;

use super::items::{listing_params, success};
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params};

/// Which part of the trash: `type` and `department_id` may come in the body (the Java and PHP
/// SDKs) or the query (the Python SDK).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = TrashScope)]
pub struct TypeArgs {
    /// What (default all).
    #[serde(rename = "type")]
    #[schema(value_type = Option<crate::openapi::ItemType>)]
    kind: Option<String>,
    /// A department folder's trash; 0 or absent for the caller's.
    #[serde(default, deserialize_with = "crate::extract::lenient_i64")]
    #[schema(minimum = 0)]
    department_id: Option<i64>,
}

/// A department's trash (`department_id` above 0, in the body or the query) or the caller's.
fn department(params: &Params, body: Option<i64>) -> Result<Option<DepartmentId>> {
    match body
        .map(Ok)
        .or_else(|| params.opt_i64("department_id").transpose())
        .transpose()?
    {
        None | Some(0) => Ok(None),
        Some(id) if id < 0 => Err(ApiError::field("department_id", "不能小于0")),
        Some(id) => Ok(Some(DepartmentId(id))),
    }
}

/// `type` from the JSON body (Java, PHP) or the query (Python), default all.
fn kind(params: &Params, args: &TypeArgs) -> Result<KindFilter> {
    let raw = args.kind.as_deref().or_else(|| params.opt_str("type"));
    KindFilter::parse(raw).map_err(|err: FieldError| ApiError::field(err.field, err.message))
}

#[utoipa::path(get, path = "/trash/list", tag = "trash", params(crate::openapi::PageQuery, crate::openapi::KindQuery, crate::openapi::SortQuery, ("department_id" = Option<i64>, Query, minimum = 0, description = "A department folder's trash; 0 or absent for the caller's")), responses((status = 200, body = wire::ItemPage)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ItemPage>> {
    let (filter, sort, page) = listing_params(&params)?;
    let department = department(&params, None)?;
    let listing = state
        .core
        .list_trash(&principal, department, filter, sort, page)
        .await?;
    Ok(Json(convert::item_page(&listing)))
}

/// Empties the trash (or the part `type` names) for good.
#[utoipa::path(post, path = "/trash/clear", tag = "trash", request_body = Option<TypeArgs>, params(crate::openapi::KindQuery, ("department_id" = Option<i64>, Query, minimum = 0, description = "A department folder's trash")), responses((status = 200, body = wire::SuccessBody)))]
pub async fn clear(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
    JsonBody(args): JsonBody<TypeArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let department = department(&params, args.department_id)?;
    state
        .core
        .clear_trash(&principal, department, kind(&params, &args)?)
        .await?;
    Ok(success())
}

/// Brings back everything in the trash (or the part `type` names).
#[utoipa::path(post, path = "/trash/restore_all", tag = "trash", request_body = Option<TypeArgs>, params(crate::openapi::KindQuery, ("department_id" = Option<i64>, Query, minimum = 0, description = "A department folder's trash")), responses((status = 200, body = wire::SuccessBody)))]
pub async fn restore_all(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
    JsonBody(args): JsonBody<TypeArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let department = department(&params, args.department_id)?;
    state
        .core
        .restore_all(&principal, department, kind(&params, &args)?)
        .await?;
    Ok(success())
}

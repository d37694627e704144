//! `/api/v2/admin/user/*` (enterprise token).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::ids::UserId;
use openpan_core::model::Page;
use openpan_core::services::{AccountChanges, IdentifierType, NewAccount, UserLookup};
use openpan_types as wire;

use super::items::success;
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_bool, lenient_i64};

/// How a user is looked up.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct LookupQuery {
    /// The email, phone, ticket or third-party id.
    #[param(
        min_length = 1,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    identifier: String,
    /// What `identifier` is.
    #[param(rename = "type", pattern = "^(simple_phone_or_email|user_ticket|email|phone)$")]
    kind: String,
    /// The third-party platform whose ids `identifier` is in.
    #[param(minimum = 1)]
    platform_id: Option<i64>,
}

/// `identifier`, `type` and the optional `platform_id` of a user lookup.
fn lookup(params: &Params) -> Result<UserLookup> {
    let identifier = params.str("identifier")?.to_owned();
    let identifier_type = IdentifierType::parse(params.str("type")?)
        .ok_or_else(|| ApiError::field("type", "取值必须是simple_phone_or_email、user_ticket、email或phone"))?;
    let platform_id = params.opt_i64("platform_id")?;
    Ok(UserLookup {
        identifier,
        identifier_type,
        platform_id,
    })
}

/// A link that signs the user in to the drive, once, within five minutes.
#[utoipa::path(get, path = "/admin/user/get_login_url", tag = "admin", params(LookupQuery), responses((status = 200, body = wire::LoginUrl)))]
pub async fn get_login_url(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::LoginUrl>> {
    let ticket = state.core.issue_login_ticket(&principal, lookup(&params)?).await?;
    let login_url = url::Url::parse_with_params(
        &format!("{}/sso/login", state.public_url),
        [
            ("client_id", ticket.client_id.as_str()),
            ("auth_key", ticket.auth_key.as_str()),
        ],
    )
    .map_err(|_| ApiError::new(openpan_types::ErrorCode::InternalServerError))?;
    Ok(Json(wire::LoginUrl {
        login_url: login_url.into(),
        expires_in: ticket.expires_in,
    }))
}

/// The sign-in ticket of `get_login_url` as parameters, for a portal that builds the request.
#[utoipa::path(get, path = "/admin/user/get_login_params", tag = "admin", params(LookupQuery), responses((status = 200, body = wire::LoginParams)))]
pub async fn get_login_params(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::LoginParams>> {
    let ticket = state.core.issue_login_ticket(&principal, lookup(&params)?).await?;
    Ok(Json(wire::LoginParams {
        auth_key: ticket.auth_key,
        client_id: ticket.client_id,
        expires_in: ticket.expires_in,
    }))
}

/// Finds a user by email, phone, ticket or third-party id.
#[utoipa::path(get, path = "/admin/user/get_user_info", tag = "admin", params(LookupQuery), responses((status = 200, body = wire::User)))]
pub async fn get_user_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::User>> {
    let found = state.core.get_user_info(&principal, lookup(&params)?).await?;
    Ok(Json(convert::user(&found)))
}

#[utoipa::path(get, path = "/admin/user/all", tag = "admin", params(crate::openapi::PageQuery, ("platform_id" = Option<i64>, Query, description = "Accepted for compatibility")), responses((status = 200, body = wire::UserPage)))]
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

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = UserCreate)]
pub struct CreateArgs {
    /// An email or a phone is required.
    email: Option<String>,
    phone: Option<String>,
    /// The display name (default: the email's local part, else the phone).
    name: Option<String>,
    /// GB, `-1` for unlimited.
    #[serde(default, deserialize_with = "lenient_i64")]
    space_total: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    hide_phone: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    disable_download: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    force_active: Option<bool>,
    /// The first password (else the user sets one on activation).
    password: Option<String>,
    /// Multi-storage deployments only; this one has a single store.
    #[serde(default, deserialize_with = "lenient_i64")]
    storage_id: Option<i64>,
}

/// Creates a user.
#[utoipa::path(post, path = "/admin/user/create", tag = "admin", request_body = Option<CreateArgs>, responses((status = 200, body = wire::DetailedUser)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<CreateArgs>,
) -> Result<Json<wire::DetailedUser>> {
    let _ = args.storage_id;
    let new = NewAccount {
        email: args.email,
        phone: args.phone,
        name: args.name,
        space_total_gb: args.space_total,
        hide_phone: args.hide_phone.unwrap_or(false),
        disable_download: args.disable_download.unwrap_or(false),
        force_active: args.force_active.unwrap_or(false),
        password: args.password,
    };
    let created = state.core.admin_create_user(&principal, new).await?;
    Ok(Json(convert::detailed_user(&created, false)))
}

#[utoipa::path(get, path = "/admin/user/{id}/info", tag = "admin", params(("last_login_flag" = Option<bool>, Query, description = "Include the last sign-in time")), responses((status = 200, body = wire::DetailedUser)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::DetailedUser>> {
    let with_last_login = params.opt_bool("last_login_flag")?.unwrap_or(false);
    let found = state.core.admin_user_info(&principal, UserId(id)).await?;
    Ok(Json(convert::detailed_user(&found, with_last_login)))
}

/// What changes; what is absent stays as it was.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = UserUpdate)]
pub struct UpdateArgs {
    name: Option<String>,
    /// GB, -1 for unlimited.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = -1)]
    space_total: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    hide_phone: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    disable_download: Option<bool>,
    #[serde(default, deserialize_with = "lenient_i64")]
    storage_id: Option<i64>,
}

/// Changes a user.
#[utoipa::path(post, path = "/admin/user/{id}/update", tag = "admin", request_body = Option<UpdateArgs>, responses((status = 200, body = wire::DetailedUser)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<UpdateArgs>,
) -> Result<Json<wire::DetailedUser>> {
    let _ = args.storage_id;
    let changes = AccountChanges {
        name: args.name,
        space_total_gb: args.space_total,
        hide_phone: args.hide_phone,
        disable_download: args.disable_download,
    };
    let updated = state.core.admin_update_user(&principal, UserId(id), changes).await?;
    Ok(Json(convert::detailed_user(&updated, false)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = UserDelete)]
pub struct DeleteArgs {
    /// The user who receives the deleted user's files (else they go with the user).
    #[serde(default, deserialize_with = "lenient_i64")]
    user_receive_items: Option<i64>,
}

/// Deletes a user.
#[utoipa::path(post, path = "/admin/user/{id}/delete", tag = "admin", request_body = Option<DeleteArgs>, responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<DeleteArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let receiver = args.user_receive_items.map(UserId);
    state.core.admin_delete_user(&principal, UserId(id), receiver).await?;
    Ok(success())
}

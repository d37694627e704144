//! `/api/v2/share_link/*` and the item link lists (user token). Visitors holding a link use
//! the ordinary item paths with the `Share-Link-Token` header (see `ratelimit::gate`).

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use openpan_core::drive::ItemKind;
use openpan_core::ids::{ItemId, UserId};
use openpan_core::model::Page;
use openpan_core::services::ShareLinkRequest;
use openpan_types as wire;

use super::items::success;
use crate::AppState;
use crate::convert;
use crate::error::Result;
use crate::extract::{Caller, ClientAddr, JsonBody, Params, PathId, lenient_bool, lenient_i64, lenient_string};

/// A link's settings; on `update`, what is absent stays as it was.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ShareLinkSettings)]
pub struct ShareLinkArgs {
    /// `create`: the file to share (or `folder_id`).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    file_id: Option<i64>,
    /// `create`: the folder to share (or `file_id`).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1)]
    folder_id: Option<i64>,
    /// `public` (anyone with the link) or `company` (colleagues only).
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(pattern = "^(public|company)$")]
    access: Option<String>,
    /// The last day the link works, `yyyy-MM-dd`; empty for never.
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    due_time: Option<String>,
    /// Visitors may preview but not download.
    #[serde(default, deserialize_with = "lenient_bool")]
    disable_download: Option<bool>,
    /// Whether visitors need `password`.
    #[serde(default, deserialize_with = "lenient_bool")]
    password_protected: Option<bool>,
    #[serde(default, deserialize_with = "lenient_string")]
    password: Option<String>,
}

impl From<ShareLinkArgs> for ShareLinkRequest {
    fn from(args: ShareLinkArgs) -> Self {
        ShareLinkRequest {
            file_id: args.file_id,
            folder_id: args.folder_id,
            access: args.access,
            due_time: args.due_time,
            disable_download: args.disable_download,
            password_protected: args.password_protected,
            password: args.password,
        }
    }
}

/// Makes a link that opens a file or folder.
#[utoipa::path(post, path = "/share_link/create", tag = "share links", request_body = Option<ShareLinkArgs>, responses((status = 200, body = wire::ShareLink)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<ShareLinkArgs>,
) -> Result<Json<wire::ShareLink>> {
    let view = state.core.create_share_link(&principal, args.into()).await?;
    Ok(Json(convert::share_link(&view, &state.public_url)))
}

#[utoipa::path(get, path = "/share_link/{unique_name}/info", tag = "share links", params(("password" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "The link's password, when it has one")), responses((status = 200, body = wire::ShareLink)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(unique_name): Path<String>,
    ClientAddr(client): ClientAddr,
    params: Params,
) -> Result<Json<wire::ShareLink>> {
    let view = state
        .core
        .share_link_info(&principal, &unique_name, params.opt_str("password"), &client)
        .await?;
    let mut link = convert::share_link(&view, &state.public_url);
    if matches!(principal.kind(), openpan_core::auth::PrincipalKind::Visitor { .. }) {
        // A link's visitors may be anyone: they learn who shared it by name, not how to reach them.
        link.owned_by.login = String::new();
    }
    Ok(Json(link))
}

/// Changes a link's settings.
#[utoipa::path(post, path = "/share_link/{unique_name}/update", tag = "share links", request_body = Option<ShareLinkArgs>, responses((status = 200, body = wire::ShareLink)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(unique_name): Path<String>,
    JsonBody(args): JsonBody<ShareLinkArgs>,
) -> Result<Json<wire::ShareLink>> {
    let view = state
        .core
        .update_share_link(&principal, &unique_name, args.into())
        .await?;
    Ok(Json(convert::share_link(&view, &state.public_url)))
}

/// Ends a link (also at `share_link/{unique_name}/close`).
#[utoipa::path(post, path = "/share_link/{unique_name}/revoke", tag = "share links", responses((status = 200, body = wire::SuccessBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(unique_name): Path<String>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.revoke_share_link(&principal, &unique_name).await?;
    Ok(success())
}

async fn item_links(
    state: &AppState,
    principal: &openpan_core::auth::Principal,
    id: i64,
    kind: ItemKind,
    params: &Params,
) -> Result<Json<wire::ShareLinkPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let creator = params.opt_i64("owner_id")?.filter(|id| *id > 0).map(UserId);
    let (views, total) = state
        .core
        .list_share_links(principal, ItemId(id), kind, creator, page)
        .await?;
    Ok(Json(wire::ShareLinkPage {
        share_links: views
            .iter()
            .map(|view| convert::share_link(view, &state.public_url))
            .collect(),
        total_count: total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total),
    }))
}

#[utoipa::path(get, path = "/file/{id}/share_links", tag = "share links", params(crate::openapi::PageQuery, ("owner_id" = Option<i64>, Query, description = "Only links this user made")), responses((status = 200, body = wire::ShareLinkPage)))]
pub async fn file_links(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::ShareLinkPage>> {
    item_links(&state, &principal, id, ItemKind::File, &params).await
}

#[utoipa::path(get, path = "/folder/{id}/share_links", tag = "share links", params(crate::openapi::PageQuery, ("owner_id" = Option<i64>, Query, description = "Only links this user made")), responses((status = 200, body = wire::ShareLinkPage)))]
pub async fn folder_links(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::ShareLinkPage>> {
    item_links(&state, &principal, id, ItemKind::Folder, &params).await
}

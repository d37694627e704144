//! `admin/app/...`: an enterprise's apps (OAuth clients) — register, change redirect URIs and
//! scopes, rotate the secret, disable, enable and delete. Needs the `admin.apps` scope.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::ids::AppId;
use openpan_core::model::{App, AppStatus, ClientType};
use openpan_core::services::{AppChanges, CreateApp};
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, PathId, lenient_i64, lenient_string, string_list};

fn app_of(app: App, client_secret: Option<String>) -> wire::App {
    wire::App {
        app_id: app.id.0,
        name: app.name,
        client_id: app.client_id,
        client_type: app.client_type.as_str().to_owned(),
        redirect_uris: app.redirect_uris,
        scopes: app.allowed_scopes.map(|scopes| scopes.to_string()),
        callback_url: app.callback_url,
        status: app.status.as_str().to_owned(),
        created_at: app.created_at,
        client_secret,
        previous_secret_valid_until: app.previous_secret_until,
        jwt_public_key: app.jwt_public_key,
        jwt_key_id: app.jwt_key_id,
    }
}

/// An app's settings; on `update`, what is absent stays as it was.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = AppSettings)]
pub struct AppArgs {
    /// `create`: required.
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    /// Where the app's webhooks go; on `update`, an empty string stops delivery.
    #[serde(default, deserialize_with = "lenient_string")]
    callback_url: Option<String>,
    /// `create`: `confidential` (default; has a secret) or `public` (PKCE only).
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(pattern = "^(confidential|public)$")]
    client_type: Option<String>,
    /// The exact redirect URIs the code flow may use.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    redirect_uris: Option<serde_json::Value>,
    /// Space-separated; empty: any scope.
    #[serde(default, deserialize_with = "lenient_string")]
    scopes: Option<String>,
    /// PEM; empty removes the key.
    #[serde(default, deserialize_with = "lenient_string")]
    jwt_public_key: Option<String>,
}

fn redirect_uris(args: &mut AppArgs) -> Result<Option<Vec<String>>> {
    string_list("redirect_uris", args.redirect_uris.take())
}

/// The enterprise's apps.
#[utoipa::path(get, path = "/admin/app/list", tag = "admin", responses((status = 200, body = wire::AppList)))]
pub async fn list(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::AppList>> {
    let enterprise = principal.administered_enterprise()?;
    let apps = state.core.list_apps(&principal, enterprise).await?;
    Ok(Json(wire::AppList {
        apps: apps.into_iter().map(|app| app_of(app, None)).collect(),
    }))
}

/// Registers an app (an OAuth client); the answer carries its secret, this once.
#[utoipa::path(post, path = "/admin/app/create", tag = "admin", request_body = Option<AppArgs>, responses((status = 200, body = wire::App)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(mut args): JsonBody<AppArgs>,
) -> Result<Json<wire::App>> {
    let enterprise_id = principal.administered_enterprise()?;
    let client_type = match args.client_type.as_deref() {
        None => ClientType::Confidential,
        Some(raw) => {
            ClientType::parse(raw).ok_or_else(|| ApiError::field("client_type", "应为confidential或public"))?
        }
    };
    let cmd = CreateApp {
        enterprise_id,
        name: args.name.take().unwrap_or_default(),
        callback_url: args.callback_url.take().filter(|url| !url.is_empty()),
        client_type,
        redirect_uris: redirect_uris(&mut args)?.unwrap_or_default(),
        allowed_scopes: args.scopes.take(),
    };
    let created = state.core.create_app(&principal, cmd).await?;
    let secret = (client_type == ClientType::Confidential).then_some(created.client_secret);
    Ok(Json(app_of(created.app, secret)))
}

/// `GET admin/app/{id}/info`.
#[utoipa::path(get, path = "/admin/app/{id}/info", tag = "admin", responses((status = 200, body = wire::App)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::App>> {
    let app = state.core.managed_app(&principal, AppId(id)).await?;
    Ok(Json(app_of(app, None)))
}

/// Changes an app's name, redirect URIs, scopes, signing key or callback address.
#[utoipa::path(post, path = "/admin/app/{id}/update", tag = "admin", request_body = Option<AppArgs>, responses((status = 200, body = wire::App)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(mut args): JsonBody<AppArgs>,
) -> Result<Json<wire::App>> {
    let changes = AppChanges {
        name: args.name.take(),
        redirect_uris: redirect_uris(&mut args)?,
        allowed_scopes: args
            .scopes
            .take()
            .map(|scopes| Some(scopes).filter(|scopes| !scopes.trim().is_empty())),
        jwt_public_key: args
            .jwt_public_key
            .take()
            .map(|pem| Some(pem).filter(|pem| !pem.trim().is_empty())),
        callback_url: args
            .callback_url
            .take()
            .map(|url| Some(url).filter(|url| !url.trim().is_empty())),
    };
    let app = state.core.update_app(&principal, AppId(id), changes).await?;
    Ok(Json(app_of(app, None)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SecretRotation)]
pub struct RotateArgs {
    /// How long the old secret keeps working (default a day, at most a week).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0, maximum = 604800)]
    grace_seconds: Option<i64>,
}

/// Gives an app a new secret, shown this once; the old one works for the grace period.
#[utoipa::path(post, path = "/admin/app/{id}/rotate_secret", tag = "admin", request_body = Option<RotateArgs>, responses((status = 200, body = wire::App)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<RotateArgs>,
) -> Result<Json<wire::App>> {
    let grace = args.grace_seconds.unwrap_or(24 * 3600);
    let rotated = state.core.rotate_app_secret(&principal, AppId(id), grace).await?;
    Ok(Json(app_of(rotated.app, Some(rotated.client_secret))))
}

async fn set_status(
    state: &AppState,
    principal: &openpan_core::auth::Principal,
    id: i64,
    status: AppStatus,
) -> Result<Json<wire::SuccessBody>> {
    state.core.set_app_status(principal, AppId(id), status).await?;
    Ok(Json(wire::SuccessBody { success: true }))
}

/// Disables an app: its tokens stop working at once.
#[utoipa::path(post, path = "/admin/app/{id}/disable", tag = "admin", responses((status = 200, body = wire::SuccessBody)))]
pub async fn disable(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    set_status(&state, &principal, id, AppStatus::Disabled).await
}

/// Enables a disabled app.
#[utoipa::path(post, path = "/admin/app/{id}/enable", tag = "admin", responses((status = 200, body = wire::SuccessBody)))]
pub async fn enable(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    set_status(&state, &principal, id, AppStatus::Active).await
}

/// Deletes an app: its tokens stop working; it cannot come back.
#[utoipa::path(post, path = "/admin/app/{id}/delete", tag = "admin", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    set_status(&state, &principal, id, AppStatus::Deleted).await
}

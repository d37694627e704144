//! `/api/v1/account/*`: service discovery, app instances, the plan's renewal and the
//! authentication configuration.

use axum::Json;
use axum::extract::State;

use openpan_core::ids::AppId;
use openpan_core::model::{AppStatus, Page, UserField};
use openpan_core::services::{AppInstance, AppSettings, DEFAULT_INSTANCE};
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Args, Caller};

/// Where openpan serves an app: the drive's platform for `workonline`, its own `/api/v1`
/// modules for `file` and `sms`.
fn builtin_url(state: &AppState, app: &str) -> String {
    match app {
        "workonline" => format!("{}/api/v2", state.public_url),
        other => format!("{}/api/v1/{other}", state.public_url),
    }
}

fn instance_json(state: &AppState, instance: AppInstance) -> wire::V1Instance {
    wire::V1Instance {
        app: instance.app.to_owned(),
        api_url: instance
            .api_url
            .clone()
            .unwrap_or_else(|| builtin_url(state, instance.app)),
        builtin: instance.api_url.is_none(),
        instance: instance.name,
        created_at: instance.created_at,
    }
}

/// The apps whose addresses the account module tells.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum ServiceApp {
    Workonline,
    File,
    Sms,
}

/// `GET account/get_api_address?account=…&app=…&instance=…` (instance `default` when absent).
#[utoipa::path(get, path = "/account/get_api_address", tag = "v1 account",
    params(("account" = String, Query, min_length = 1, pattern = "^[^\\u0000]*\\S[^\\u0000]*$", description = "The enterprise's short name"),
        ("app" = inline(ServiceApp), Query, description = "`workonline` is the drive"),
        ("instance" = Option<String>, Query, pattern = "^[a-z0-9][a-z0-9_-]{0,31}$", description = "Default `default`")),
    responses((status = 200, body = wire::V1ApiAddress)))]
pub async fn get_api_address(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1ApiAddress>> {
    let account = args.required("account")?;
    let app = args.required("app")?;
    let instance = args.opt("instance").unwrap_or(DEFAULT_INSTANCE);
    let found = state.core.api_address(&principal, account, app, instance).await?;
    let json = instance_json(&state, found);
    Ok(Json(wire::V1ApiAddress {
        account: account.to_owned(),
        app: json.app,
        instance: json.instance,
        api_url: json.api_url,
    }))
}

/// `GET account/get_token_info`.
#[utoipa::path(get, path = "/account/get_token_info", tag = "v1 account",
    responses((status = 200, body = wire::V1TokenInfo)))]
pub async fn get_token_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<wire::V1TokenInfo>> {
    let info = state.core.token_info(&principal).await?;
    Ok(Json(wire::V1TokenInfo {
        app_id: info.app.id.0,
        client_id: info.app.client_id,
        account: info.enterprise.short_name,
        enterprise_id: info.enterprise.id.0,
        user_id: info.user_id.map(|id| id.0),
    }))
}

/// `GET account/list_instances[?app=…]`.
#[utoipa::path(get, path = "/account/list_instances", tag = "v1 account",
    params(("app" = inline(Option<ServiceApp>), Query, description = "Only this app's instances")),
    responses((status = 200, body = wire::V1InstanceList)))]
pub async fn list_instances(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1InstanceList>> {
    let instances = state.core.list_app_instances(&principal, args.opt("app")).await?;
    Ok(Json(wire::V1InstanceList {
        instances: instances
            .into_iter()
            .map(|found| instance_json(&state, found))
            .collect(),
    }))
}

/// An app instance to create.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::NewInstance)]
#[allow(dead_code)]
pub(crate) struct NewInstance {
    app: String,
    instance: String,
    /// Where the instance answers; absent: openpan serves it.
    api_url: Option<String>,
}

/// An app instance.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::InstanceName)]
#[allow(dead_code)]
pub(crate) struct InstanceName {
    app: String,
    instance: String,
}

/// `POST account/create_instance` with `app`, `instance` and optionally `api_url`.
#[utoipa::path(post, path = "/account/create_instance", tag = "v1 account",
    request_body(content = NewInstance, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1Instance)))]
pub async fn create_instance(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1Instance>> {
    let app = args.required("app")?;
    let name = args.required("instance")?;
    let created = state
        .core
        .create_app_instance(&principal, app, name, args.opt("api_url"))
        .await?;
    Ok(Json(instance_json(&state, created)))
}

/// `POST account/delete_instance` with `app` and `instance`.
#[utoipa::path(post, path = "/account/delete_instance", tag = "v1 account",
    request_body(content = InstanceName, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1Success)))]
pub async fn delete_instance(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1Success>> {
    let app = args.required("app")?;
    let name = args.required("instance")?;
    state.core.delete_app_instance(&principal, app, name).await?;
    Ok(Json(wire::V1Success { success: true }))
}

/// `GET account/renewal`.
#[utoipa::path(get, path = "/account/renewal", tag = "v1 account",
    responses((status = 200, body = wire::V1Renewal)))]
pub async fn renewal(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::V1Renewal>> {
    let enterprise = state.core.renewal(&principal).await?;
    Ok(Json(wire::V1Renewal {
        expired: enterprise.is_expired(state.core.now()),
        account: enterprise.short_name,
        paid_until: enterprise.paid_until,
    }))
}

fn auth_app(app: openpan_core::model::App) -> wire::V1AuthApp {
    wire::V1AuthApp {
        app_id: app.id.0,
        client_id: app.client_id,
        name: app.name,
        status: app.status.as_str().to_owned(),
        callback_url: app.callback_url,
        user_field: app.user_field.as_string(),
        grant_types: crate::oauth::GRANT_TYPES.map(str::to_owned).to_vec(),
        created_at: app.created_at,
    }
}

/// `GET account/auth_config`.
#[utoipa::path(get, path = "/account/auth_config", tag = "v1 account",
    responses((status = 200, body = wire::V1AuthConfig)))]
pub async fn auth_config(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::V1AuthConfig>> {
    let apps = state.core.auth_config(&principal).await?;
    Ok(Json(wire::V1AuthConfig {
        token_endpoint: format!("{}/oauth/token", state.public_url),
        apps: apps.into_iter().map(auth_app).collect(),
    }))
}

/// An app's authentication settings to change; what is absent stays as it was.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::AuthSettings)]
#[allow(dead_code)]
pub(crate) struct AuthSettings {
    app_id: i64,
    /// Empty clears it.
    callback_url: Option<String>,
    /// How the app names users: `any`, `id`, `email`, `phone` or `custom_id:<platform id>`.
    user_field: Option<String>,
    /// `active` or `disabled`.
    status: Option<String>,
}

/// `POST account/update_auth_config` with `app_id` and any of `callback_url` (empty clears
/// it), `user_field` and `status` (`active` or `disabled`).
#[utoipa::path(post, path = "/account/update_auth_config", tag = "v1 account",
    request_body(content = AuthSettings, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::V1AuthApp)))]
pub async fn update_auth_config(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1AuthApp>> {
    let app_id = AppId(args.i64("app_id")?);
    let callback_url = args
        .has("callback_url")
        .then(|| args.opt("callback_url").map(str::to_owned));
    let user_field = args
        .opt("user_field")
        .map(|raw| {
            UserField::parse(raw)
                .ok_or_else(|| ApiError::field("user_field", "应为any、id、email、phone或custom_id:<平台id>"))
        })
        .transpose()?;
    let status = args
        .opt("status")
        .map(|raw| match AppStatus::parse(raw) {
            Some(status @ (AppStatus::Active | AppStatus::Disabled)) => Ok(status),
            _ => Err(ApiError::field("status", "应为active或disabled")),
        })
        .transpose()?;
    let settings = AppSettings {
        callback_url,
        user_field,
        status,
    };
    let app = state.core.update_auth_config(&principal, app_id, settings).await?;
    Ok(Json(auth_app(app)))
}

/// `GET account/notice_key?app_id=…` (administrators): the key the app checks the signatures
/// of its notices and form upload redirects with.
#[utoipa::path(get, path = "/account/notice_key", tag = "v1 account",
    params(("app_id" = i64, Query)),
    responses((status = 200, body = wire::V1NoticeKey)))]
pub async fn notice_key(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1NoticeKey>> {
    let app_id = args.i64("app_id")?;
    let notice_key = state.core.notice_key(&principal, AppId(app_id)).await?;
    Ok(Json(wire::V1NoticeKey { app_id, notice_key }))
}

/// A notice key to replace.
#[derive(utoipa::ToSchema)]
#[schema(as = v1::KeyRotation)]
#[allow(dead_code)]
pub(crate) struct KeyRotation {
    app_id: i64,
    /// Seconds the previous key keeps signing (default a day).
    #[schema(minimum = 0)]
    grace_period: Option<i64>,
}

/// `POST account/rotate_notice_key` with `app_id` and optional `grace_period` (seconds, default
/// a day): a new key; messages carry the previous key's signature too until the grace ends.
#[utoipa::path(post, path = "/account/rotate_notice_key", tag = "v1 account",
    request_body(content = KeyRotation, description = "JSON, a form or query parameters"),
    responses((status = 200, body = wire::RotatedKey)))]
pub async fn rotate_notice_key(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::RotatedKey>> {
    let app = AppId(args.i64("app_id")?);
    let grace = args.params().opt_i64("grace_period")?;
    crate::api::events::rotated(&state, &principal, app, grace)
        .await
        .map(Json)
}

/// `GET account/list_notices[?app_id&page_id&page_capacity]` (administrators): the notices
/// sent to the enterprise's apps and how their delivery went, newest first.
#[utoipa::path(get, path = "/account/list_notices", tag = "v1 account",
    params(("app_id" = Option<i64>, Query, description = "Only this app's notices"), crate::openapi::PageQuery),
    responses((status = 200, body = wire::V1NoticePage)))]
pub async fn list_notices(
    State(state): State<AppState>,
    Caller(principal): Caller,
    args: Args,
) -> Result<Json<wire::V1NoticePage>> {
    let params = args.params();
    let app = params.opt_i64("app_id")?.map(AppId);
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (notices, total) = state.core.list_notices(&principal, app, page).await?;
    Ok(Json(wire::V1NoticePage {
        notices: notices
            .into_iter()
            .map(|notice| wire::V1Notice {
                notice_id: notice.id,
                app_id: notice.app_id.0,
                event: notice.event,
                status: notice.status.as_str().to_owned(),
                attempts: notice.attempts,
                last_error: notice.last_error,
                next_attempt_at: notice.next_attempt_at,
                created_at: notice.created_at,
                delivered_at: notice.delivered_at,
                body: serde_json::from_str(&notice.body).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
        total_count: total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total),
    }))
}

//! `/api/v2/admin/enterprise/*` (enterprise token): the enterprise's registration details,
//! which the auth service's `getCompanyInfo` reports, and how its apps may sign users in.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::auth_service::EnterpriseProfileChanges;
use openpan_core::services::CompanyInfo;
use openpan_types as wire;

use crate::AppState;
use crate::error::Result;
use crate::extract::{Caller, JsonBody, lenient_bool, lenient_string};

fn profile_json(info: CompanyInfo) -> wire::EnterpriseProfileJson {
    let CompanyInfo { enterprise, profile } = info;
    wire::EnterpriseProfileJson {
        id: enterprise.id.0,
        name: enterprise.name,
        short_name: enterprise.short_name,
        company_type: profile.company_type,
        tax_number: profile.tax_number,
        province: profile.province,
        city: profile.city,
        zone: profile.zone,
        address: profile.address,
        tel_phone: profile.tel_phone,
        legal_person_phone: profile.legal_person_phone,
        legal_person_name: profile.legal_person_name,
        created: enterprise.created_at,
    }
}

/// `GET admin/enterprise/info`.
#[utoipa::path(get, path = "/admin/enterprise/info", tag = "admin", responses((status = 200, body = wire::EnterpriseProfileJson)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<wire::EnterpriseProfileJson>> {
    Ok(Json(profile_json(state.core.enterprise_profile(&principal).await?)))
}

/// Registration details; what is absent stays as it was, an empty string clears it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = EnterpriseProfileUpdate)]
pub struct UpdateBody {
    #[serde(deserialize_with = "lenient_string")]
    company_type: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    tax_number: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    province: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    city: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    zone: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    address: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    tel_phone: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    legal_person_phone: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    legal_person_name: Option<String>,
}

/// Changes the enterprise's registration details: the fields given change; an empty string clears one.
#[utoipa::path(post, path = "/admin/enterprise/update", tag = "admin", request_body = Option<UpdateBody>, responses((status = 200, body = wire::EnterpriseProfileJson)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Json<wire::EnterpriseProfileJson>> {
    let changes = EnterpriseProfileChanges {
        company_type: body.company_type,
        tax_number: body.tax_number,
        province: body.province,
        city: body.city,
        zone: body.zone,
        address: body.address,
        tel_phone: body.tel_phone,
        legal_person_phone: body.legal_person_phone,
        legal_person_name: body.legal_person_name,
    };
    Ok(Json(profile_json(
        state.core.update_enterprise_profile(&principal, changes).await?,
    )))
}

/// `GET admin/enterprise/oauth_settings`.
#[utoipa::path(get, path = "/admin/enterprise/oauth_settings", tag = "admin", responses((status = 200, body = wire::OAuthSettings)))]
pub async fn oauth_settings(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Json<wire::OAuthSettings>> {
    let enterprise = principal.administered_enterprise()?;
    Ok(Json(wire::OAuthSettings {
        password_grant_enabled: state.core.password_grant_enabled(&principal, enterprise).await?,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = OAuthSettingsUpdate)]
pub struct OAuthSettingsBody {
    /// Whether apps may take users' passwords (the `password` grant).
    #[serde(deserialize_with = "lenient_bool")]
    #[schema(value_type = bool, required)]
    password_grant_enabled: Option<bool>,
}

/// Changes how the enterprise's apps may sign users in.
#[utoipa::path(post, path = "/admin/enterprise/oauth_settings/update", tag = "admin", request_body = OAuthSettingsBody, responses((status = 200, body = wire::OAuthSettings)))]
pub async fn update_oauth_settings(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(body): JsonBody<OAuthSettingsBody>,
) -> Result<Json<wire::OAuthSettings>> {
    let enterprise = principal.administered_enterprise()?;
    let enabled = body
        .password_grant_enabled
        .ok_or_else(|| crate::error::ApiError::field("password_grant_enabled", "不能为空"))?;
    state.core.set_password_grant(&principal, enterprise, enabled).await?;
    Ok(Json(wire::OAuthSettings {
        password_grant_enabled: enabled,
    }))
}

/// `GET admin/enterprise/status`: this node's version and uptime, whether each store answers,
/// the enterprise's people and space, and each app's webhook queue.
#[utoipa::path(get, path = "/admin/enterprise/status", tag = "admin", responses((status = 200, body = wire::SystemStatus)))]
pub async fn status(State(state): State<AppState>, Caller(principal): Caller) -> Result<Json<wire::SystemStatus>> {
    let found = state.core.enterprise_status(&principal).await?;
    let stores = futures_util::future::join_all(state.health.iter().map(|check| async move {
        let (healthy, took) = crate::probe(check.as_ref()).await;
        wire::StoreStatus {
            name: check.name().to_owned(),
            healthy,
            latency_ms: i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
        }
    }))
    .await;
    let enterprise = found.enterprise;
    Ok(Json(wire::SystemStatus {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: state.started_at,
        checked_at: state.core.now(),
        stores,
        enterprise: wire::EnterpriseUsage {
            id: enterprise.id.0,
            name: enterprise.name,
            user_count: found.user_count,
            space_used: enterprise.space_used,
            space_total: enterprise.space_total,
        },
        webhooks: found
            .webhooks
            .into_iter()
            .map(|view| wire::AppWebhook {
                app_name: view.app.name.clone(),
                app_status: view.app.status.as_str().to_owned(),
                webhook: super::events::webhook_of(view),
            })
            .collect(),
    }))
}

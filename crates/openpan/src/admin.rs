//! What the admin CLI and first-start bootstrap do, through the same core services as HTTP.

use anyhow::Context;
use serde_json::json;

use openpan_core::Error;
use openpan_core::auth::Principal;
use openpan_core::error::FieldError;
use openpan_core::ids::{AppId, EnterpriseId, UserId};
use openpan_core::model::{AppStatus, ClientType};
use openpan_core::services::{AppChanges, Core, CreateApp, CreateEnterprise, CreateUser};

/// Turns a core error into a CLI message that names the bad option.
pub fn describe(err: Error) -> anyhow::Error {
    match err {
        Error::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|FieldError { field, message }| format!("--{}: {message}", field.replace('_', "-")))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Error::Conflict(kind) => anyhow::anyhow!("already exists: {kind:?}"),
        Error::NotFound { kind } => anyhow::anyhow!("{kind:?} not found"),
        other => anyhow::Error::new(other),
    }
}

pub async fn create_enterprise(core: &Core, cmd: CreateEnterprise) -> anyhow::Result<serde_json::Value> {
    let created = core
        .create_enterprise(&Principal::local_operator(), cmd)
        .await
        .map_err(describe)?;
    let mut out = json!({
        "enterprise_id": created.enterprise.id.0,
        "admin_user_id": created.admin.id.0,
        "short_name": created.enterprise.short_name,
        "name": created.enterprise.name,
        "admin_email": created.admin.email,
    });
    if let Some(password) = created.generated_password {
        out["admin_password"] = json!(password);
    }
    Ok(out)
}

pub async fn create_user(
    core: &Core,
    cmd: CreateUser,
    ticket: Option<(i64, String)>,
) -> anyhow::Result<serde_json::Value> {
    let operator = Principal::local_operator();
    let user = core.create_user(&operator, cmd).await.map_err(describe)?;
    if let Some((platform_id, custom_id)) = ticket {
        core.map_user_ticket(&operator, user.id, platform_id, &custom_id)
            .await
            .map_err(describe)?;
    }
    Ok(json!({
        "user_id": user.id.0,
        "enterprise_id": user.enterprise_id.0,
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
    }))
}

pub async fn create_app(core: &Core, cmd: CreateApp) -> anyhow::Result<serde_json::Value> {
    let created = core
        .create_app(&Principal::local_operator(), cmd)
        .await
        .map_err(describe)?;
    let mut shown = app_json(&created.app);
    if created.app.client_type == ClientType::Confidential {
        shown["client_secret"] = json!(created.client_secret);
    }
    Ok(shown)
}

/// An app as the CLI prints it (never its secret).
fn app_json(app: &openpan_core::model::App) -> serde_json::Value {
    json!({
        "app_id": app.id.0,
        "enterprise_id": app.enterprise_id.0,
        "name": app.name,
        "client_id": app.client_id,
        "client_type": app.client_type.as_str(),
        "redirect_uris": app.redirect_uris,
        "scopes": app.allowed_scopes.map(|scopes| scopes.to_string()),
        "status": app.status.as_str(),
        "jwt_key_id": app.jwt_key_id,
    })
}

pub async fn update_app(core: &Core, app_id: i64, changes: AppChanges) -> anyhow::Result<serde_json::Value> {
    let app = core
        .update_app(&Principal::local_operator(), AppId(app_id), changes)
        .await
        .map_err(describe)?;
    Ok(app_json(&app))
}

pub async fn rotate_app_secret(core: &Core, app_id: i64, grace_hours: i64) -> anyhow::Result<serde_json::Value> {
    let rotated = core
        .rotate_app_secret(
            &Principal::local_operator(),
            AppId(app_id),
            grace_hours.saturating_mul(3600),
        )
        .await
        .map_err(describe)?;
    let mut shown = app_json(&rotated.app);
    shown["client_secret"] = json!(rotated.client_secret);
    shown["previous_secret_valid_until"] = json!(rotated.app.previous_secret_until);
    Ok(shown)
}

pub async fn rotate_signing_key(core: &Core) -> anyhow::Result<serde_json::Value> {
    let kid = core
        .rotate_signing_key(&Principal::local_operator())
        .await
        .map_err(describe)?;
    Ok(json!({ "kid": kid, "signs_after_seconds": openpan_core::services::PUBLISH_AHEAD_SECS }))
}

pub async fn set_app_status(core: &Core, app_id: i64, status: AppStatus) -> anyhow::Result<serde_json::Value> {
    core.set_app_status(&Principal::local_operator(), AppId(app_id), status)
        .await
        .map_err(describe)?;
    Ok(json!({ "app_id": app_id, "status": status.as_str() }))
}

pub async fn set_account_sync(core: &Core, enterprise_id: i64, enabled: bool) -> anyhow::Result<serde_json::Value> {
    core.set_account_sync(&Principal::local_operator(), EnterpriseId(enterprise_id), enabled)
        .await
        .map_err(describe)?;
    Ok(json!({ "enterprise_id": enterprise_id, "account_sync_enabled": enabled }))
}

pub async fn set_password_grant(core: &Core, enterprise_id: i64, enabled: bool) -> anyhow::Result<serde_json::Value> {
    core.set_password_grant(&Principal::local_operator(), EnterpriseId(enterprise_id), enabled)
        .await
        .map_err(describe)?;
    Ok(json!({ "enterprise_id": enterprise_id, "password_grant_enabled": enabled }))
}

pub async fn delete_user(core: &Core, user_id: i64, receiver_id: i64) -> anyhow::Result<serde_json::Value> {
    core.delete_user(&Principal::local_operator(), UserId(user_id), Some(UserId(receiver_id)))
        .await
        .map_err(describe)?;
    Ok(json!({ "user_id": user_id, "deleted": true, "receiver_id": receiver_id }))
}

/// `create-user-token`: a user access token (three months) for the auth service, printed once.
pub async fn create_user_token(core: &Core, user_id: i64) -> anyhow::Result<serde_json::Value> {
    let token = core
        .create_user_token(&Principal::local_operator(), UserId(user_id))
        .await
        .map_err(describe)?;
    Ok(json!({ "access_token": token.access_token, "expires_in": token.expires_in }))
}

/// `revoke-user-tokens`: every user access token of the user stops working.
pub async fn revoke_user_tokens(core: &Core, user_id: i64) -> anyhow::Result<serde_json::Value> {
    let revoked = core
        .revoke_user_tokens(&Principal::local_operator(), UserId(user_id))
        .await
        .map_err(describe)?;
    Ok(json!({ "user_id": user_id, "revoked": revoked }))
}

/// `set-app-user-field`: how the app names users in the OA dialect's `get-token`.
pub async fn set_app_user_field(core: &Core, app_id: i64, field: &str) -> anyhow::Result<serde_json::Value> {
    let parsed = openpan_core::model::UserField::parse(field)
        .ok_or_else(|| anyhow::anyhow!("--field: one of any, id, email, phone, custom_id:<platform id>"))?;
    core.set_app_user_field(&Principal::local_operator(), AppId(app_id), parsed)
        .await
        .map_err(describe)?;
    Ok(json!({ "app_id": app_id, "user_field": parsed.as_string() }))
}

/// Sets when an enterprise's plan ends (`none`: no end).
pub async fn renew(core: &Core, enterprise_id: i64, until: &str) -> anyhow::Result<serde_json::Value> {
    let until = openpan_core::services::parse_paid_until(until).map_err(describe)?;
    let enterprise = core
        .renew_enterprise(&Principal::local_operator(), EnterpriseId(enterprise_id), until)
        .await
        .map_err(describe)?;
    Ok(json!({
        "enterprise_id": enterprise.id.0,
        "account": enterprise.short_name,
        "paid_until": enterprise.paid_until,
        "expired": enterprise.is_expired(core.now()),
    }))
}

/// What first start created, to print once.
pub struct Bootstrapped {
    pub enterprise: serde_json::Value,
    pub app: serde_json::Value,
    /// The public app `openpan login` signs people in through.
    pub cli_app: serde_json::Value,
}

/// On an empty database: one enterprise with its admin and one app. `None` when the database
/// already has an enterprise (or another node bootstrapped it at the same moment).
pub async fn bootstrap(core: &Core) -> anyhow::Result<Option<Bootstrapped>> {
    if core.is_bootstrapped().await.map_err(describe)? {
        return Ok(None);
    }
    let cmd = CreateEnterprise {
        name: "openpan".to_owned(),
        short_name: Some("openpan".to_owned()),
        admin_name: "Administrator".to_owned(),
        admin_email: "admin@openpan.local".to_owned(),
        admin_password: None,
    };
    let enterprise = match core.create_enterprise(&Principal::local_operator(), cmd).await {
        Ok(created) => created,
        Err(Error::Conflict(_)) => return Ok(None),
        Err(err) => return Err(describe(err)).context("bootstrap failed"),
    };
    let enterprise_id = enterprise.enterprise.id;
    let enterprise_json = json!({
        "enterprise_id": enterprise_id.0,
        "admin_user_id": enterprise.admin.id.0,
        "short_name": enterprise.enterprise.short_name,
        "admin_email": enterprise.admin.email,
        "admin_password": enterprise.generated_password,
    });
    let app = create_app(
        core,
        CreateApp {
            enterprise_id: EnterpriseId(enterprise_id.0),
            name: "Default app".to_owned(),
            callback_url: None,
            client_type: Default::default(),
            redirect_uris: Vec::new(),
            allowed_scopes: None,
        },
    )
    .await?;
    let cli_app = create_app(
        core,
        CreateApp {
            enterprise_id: EnterpriseId(enterprise_id.0),
            name: "openpan CLI".to_owned(),
            callback_url: None,
            client_type: openpan_core::model::ClientType::Public,
            redirect_uris: Vec::new(),
            allowed_scopes: None,
        },
    )
    .await?;
    Ok(Some(Bootstrapped {
        enterprise: enterprise_json,
        app,
        cli_app,
    }))
}

/// `admin fsck`'s report as one JSON object.
pub fn fsck_report(report: &openpan_core::services::FsckReport) -> serde_json::Value {
    let damaged = |blobs: &[openpan_core::services::DamagedBlob]| {
        blobs
            .iter()
            .map(|blob| {
                json!({
                    "blob_id": blob.blob_id,
                    "storage_key": blob.storage_key,
                    "recorded_size": blob.recorded_size,
                    "found_size": blob.found_size,
                    "file_ids": blob.files.iter().map(|file| file.0).collect::<Vec<_>>(),
                })
            })
            .collect::<Vec<_>>()
    };
    json!({
        "status": if report.has_problems() { "problems" } else { "ok" },
        "objects": report.objects,
        "content_blobs": report.content_blobs,
        "missing": damaged(&report.missing),
        "wrong_size": damaged(&report.wrong_size),
        "wrong_hash": damaged(&report.wrong_hash),
        "missing_derived": report.missing_derived.iter().map(|missing| json!({
            "storage_key": missing.storage_key,
            "kind": missing.what,
        })).collect::<Vec<_>>(),
        "orphans": report.orphans.iter().map(|orphan| json!({
            "storage_key": orphan.storage_key,
            "size": orphan.size,
            "modified_at": orphan.modified_at,
            "removed": orphan.removed,
        })).collect::<Vec<_>>(),
        "young_unrecorded": report.young_unrecorded,
        "reference_counts": report.reference_counts.iter().map(|(drift, fixed)| json!({
            "blob_id": drift.blob_id,
            "recorded": drift.recorded,
            "actual": drift.actual,
            "fixed": fixed,
        })).collect::<Vec<_>>(),
    })
}

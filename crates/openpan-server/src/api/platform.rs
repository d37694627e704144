//! `/api/v2/admin/platform/{platform_id}/*` (enterprise token): integrators' ids and bulk sync.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;

use openpan_core::services::{MappingKey, SyncOrgRecord, SyncOutcome, SyncUserRecord, SyncUsers};
use openpan_types as wire;

use crate::AppState;
use crate::context::RequestContext;
use crate::convert;
use crate::error::{ApiError, Result, error_items};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_bool, lenient_i64, lenient_string};

/// The user an integrator's id names (or the integrator's id of a user).
#[utoipa::path(get, path = "/admin/platform/{id}/mapping_user", tag = "admin", params(("id" = i64, Path, minimum = 1, description = "The integrator's platform"), ("user_id" = Option<String>, Query, description = "The integrator's id"), ("yfy_user_id" = Option<i64>, Query, description = "The drive's id (instead)")), responses((status = 200, body = wire::MappingUser)))]
pub async fn mapping_user(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(platform_id): PathId,
    params: Params,
) -> Result<Json<wire::MappingUser>> {
    let key = MappingKey::from_params(params.opt_str("user_id"), params.opt_i64("yfy_user_id")?, true)?;
    let (user, custom_id) = state.core.mapping_user(&principal, platform_id, key).await?;
    Ok(Json(wire::MappingUser {
        custom_id,
        user: convert::detailed_user(&user, false),
    }))
}

/// The department an integrator's id names (or the integrator's id of a department).
#[utoipa::path(get, path = "/admin/platform/{id}/mapping_department", tag = "admin", params(("id" = i64, Path, minimum = 1, description = "The integrator's platform"), ("department_id" = Option<String>, Query, description = "The integrator's id"), ("yfy_department_id" = Option<i64>, Query, description = "The drive's id (instead)")), responses((status = 200, body = wire::MappingDepartment)))]
pub async fn mapping_department(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(platform_id): PathId,
    params: Params,
) -> Result<Json<wire::MappingDepartment>> {
    let key = MappingKey::from_params(
        params.opt_str("department_id"),
        params.opt_i64("yfy_department_id")?,
        false,
    )?;
    let (view, custom_id) = state.core.mapping_department(&principal, platform_id, key).await?;
    Ok(Json(wire::MappingDepartment {
        custom_id,
        department: convert::detailed_department(&view),
    }))
}

/// The group an integrator's id names (or the integrator's id of a group).
#[utoipa::path(get, path = "/admin/platform/{id}/mapping_group", tag = "admin", params(("id" = i64, Path, minimum = 1, description = "The integrator's platform"), ("group_id" = Option<String>, Query, description = "The integrator's id"), ("yfy_group_id" = Option<i64>, Query, description = "The drive's id (instead)")), responses((status = 200, body = wire::MappingGroup)))]
pub async fn mapping_group(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(platform_id): PathId,
    params: Params,
) -> Result<Json<wire::MappingGroup>> {
    let key = MappingKey::from_params(params.opt_str("group_id"), params.opt_i64("yfy_group_id")?, false)?;
    let (group, users, custom_id) = state.core.mapping_group(&principal, platform_id, key).await?;
    Ok(Json(wire::MappingGroup {
        custom_id,
        group: convert::group(&group, &users),
    }))
}

/// One account as the integrator's directory has it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SyncedUser)]
pub struct SyncUserArgs {
    /// The integrator's id of the account (`user_id` is accepted for it too).
    #[serde(default, deserialize_with = "lenient_string")]
    custom_id: Option<String>,
    #[serde(default, rename = "user_id", deserialize_with = "lenient_string")]
    #[schema(ignore)]
    user_id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    storage_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    space_total: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    hide_phone: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    disable_download: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    force_active: Option<bool>,
    password: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SyncUsers)]
pub struct SyncUsersArgs {
    /// Created where the integrator's id is new, else changed.
    #[schema(value_type = Vec<SyncUserArgs>, required)]
    users: Option<Vec<SyncUserArgs>>,
    #[serde(default, deserialize_with = "lenient_string")]
    default_department_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    default_group_id: Option<String>,
    custom_password: Option<String>,
}

fn sync_result(outcomes: Vec<SyncOutcome>, context: &RequestContext) -> wire::SyncResult {
    let results: Vec<wire::SyncItemResult> = outcomes
        .into_iter()
        .map(|outcome| wire::SyncItemResult {
            custom_id: outcome.custom_id,
            success: outcome.error.is_none(),
            id: outcome.id,
            created: outcome.created,
            errors: outcome
                .error
                .map(|error| error_items(&ApiError::from(error), context.lang))
                .unwrap_or_default(),
        })
        .collect();
    wire::SyncResult {
        success_items_count: results.iter().filter(|result| result.success).count() as i64,
        request_id: context.request_id.clone(),
        results,
    }
}

/// Creates and changes users from an integrator's directory, each answered on its own.
#[utoipa::path(post, path = "/admin/platform/{id}/sync_users", tag = "admin", request_body = SyncUsersArgs, params(("id" = i64, Path, minimum = 1, description = "The integrator's platform")), responses((status = 200, body = wire::SyncResult)))]
pub async fn sync_users(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Extension(context): Extension<RequestContext>,
    PathId(platform_id): PathId,
    JsonBody(args): JsonBody<SyncUsersArgs>,
) -> Result<Json<wire::SyncResult>> {
    let users = args.users.ok_or_else(|| ApiError::field("users", "不能为空"))?;
    let sync = SyncUsers {
        users: users
            .into_iter()
            .map(|user| {
                let _ = user.storage_id;
                SyncUserRecord {
                    custom_id: user.custom_id.or(user.user_id),
                    name: user.name,
                    email: user.email,
                    phone: user.phone,
                    space_total_gb: user.space_total,
                    hide_phone: user.hide_phone,
                    disable_download: user.disable_download,
                    force_active: user.force_active,
                    password: user.password,
                }
            })
            .collect(),
        default_department: args.default_department_id,
        default_group: args.default_group_id,
        custom_password: args.custom_password,
    };
    let outcomes = state.core.sync_users(&principal, platform_id, sync).await?;
    Ok(Json(sync_result(outcomes, &context)))
}

/// One department or group as the integrator's directory has it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SyncedOrgUnit)]
pub struct SyncOrgArgs {
    #[serde(default, deserialize_with = "lenient_string")]
    custom_id: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    parent_custom_id: Option<String>,
    description: Option<String>,
}

impl From<SyncOrgArgs> for SyncOrgRecord {
    fn from(args: SyncOrgArgs) -> Self {
        SyncOrgRecord {
            custom_id: args.custom_id,
            name: args.name,
            parent_custom_id: args.parent_custom_id,
            description: args.description,
        }
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SyncDepartments)]
pub struct SyncDepartmentsArgs {
    #[schema(value_type = Vec<SyncOrgArgs>, required)]
    departments: Option<Vec<SyncOrgArgs>>,
}

/// Creates and changes departments from an integrator's directory (parents before children).
#[utoipa::path(post, path = "/admin/platform/{id}/sync_departments", tag = "admin", request_body = SyncDepartmentsArgs, params(("id" = i64, Path, minimum = 1, description = "The integrator's platform")), responses((status = 200, body = wire::SyncResult)))]
pub async fn sync_departments(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Extension(context): Extension<RequestContext>,
    PathId(platform_id): PathId,
    JsonBody(args): JsonBody<SyncDepartmentsArgs>,
) -> Result<Json<wire::SyncResult>> {
    let records = args
        .departments
        .ok_or_else(|| ApiError::field("departments", "不能为空"))?;
    let records = records.into_iter().map(SyncOrgRecord::from).collect();
    let outcomes = state.core.sync_departments(&principal, platform_id, records).await?;
    Ok(Json(sync_result(outcomes, &context)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = SyncGroups)]
pub struct SyncGroupsArgs {
    #[schema(value_type = Vec<SyncOrgArgs>, required)]
    groups: Option<Vec<SyncOrgArgs>>,
}

/// Creates and changes groups from an integrator's directory.
#[utoipa::path(post, path = "/admin/platform/{id}/sync_groups", tag = "admin", request_body = SyncGroupsArgs, params(("id" = i64, Path, minimum = 1, description = "The integrator's platform")), responses((status = 200, body = wire::SyncResult)))]
pub async fn sync_groups(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Extension(context): Extension<RequestContext>,
    PathId(platform_id): PathId,
    JsonBody(args): JsonBody<SyncGroupsArgs>,
) -> Result<Json<wire::SyncResult>> {
    let records = args.groups.ok_or_else(|| ApiError::field("groups", "不能为空"))?;
    let records = records.into_iter().map(SyncOrgRecord::from).collect();
    let outcomes = state.core.sync_groups(&principal, platform_id, records).await?;
    Ok(Json(sync_result(outcomes, &context)))
}

/// Who manages each department's folder, by the integrator's department ids: the body is a
/// bare JSON array of them, or an object holding one under `department_ids` (no platform
/// source shows the wrapping, so both are read); ids may be strings or numbers.
#[utoipa::path(post, path = "/admin/platform/{id}/get_file_manager_info", tag = "admin", request_body = Vec<String>, params(("id" = i64, Path, minimum = 1, description = "The integrator's platform")), responses((status = 200, body = wire::FileManagerInfoList)))]
pub async fn file_manager_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(platform_id): PathId,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<Json<wire::FileManagerInfoList>> {
    let list = match &body {
        serde_json::Value::Array(list) => list,
        serde_json::Value::Object(fields) => match ["department_ids", "custom_department_ids", "departments"]
            .iter()
            .find_map(|key| fields.get(*key))
        {
            Some(serde_json::Value::Array(list)) => list,
            _ => return Err(ApiError::field("department_ids", "必须是部门id的数组")),
        },
        _ => return Err(ApiError::field("department_ids", "必须是部门id的数组")),
    };
    let ids = list
        .iter()
        .map(|id| match id {
            serde_json::Value::String(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
            serde_json::Value::Number(id) => Ok(id.to_string()),
            _ => Err(ApiError::field("department_ids", "每个部门id必须是非空字符串或数字")),
        })
        .collect::<Result<Vec<String>>>()?;
    let found = state.core.file_manager_info(&principal, platform_id, &ids).await?;
    Ok(Json(wire::FileManagerInfoList {
        department_file_manager_info_list: found
            .into_iter()
            .map(|department| wire::DepartmentFileManagerInfo {
                department_id: department.department.0,
                custom_department_id: department.custom_department_id,
                custom_user_list: department
                    .managers
                    .into_iter()
                    .map(|manager| wire::CustomUser {
                        id: manager.user.id.0,
                        name: manager.user.name,
                        custom_id: manager.custom_id,
                        email: manager.user.email.unwrap_or_default(),
                        phone: manager.user.phone.unwrap_or_default(),
                        department_ids: manager
                            .departments
                            .into_iter()
                            .map(|(id, custom, name)| wire::CustomDepartmentRef {
                                department_id: id.0,
                                custom_department_id: custom,
                                name,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }))
}

//! Departments and groups: `/api/v2/admin/department/*` and `/admin/group/*` (enterprise
//! token) change them; `/department/*` and `/group/*` (user token) read them. The read paths
//! are served under both prefixes with the same handlers.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::ids::{DepartmentId, GroupId};
use openpan_core::model::Page;
use openpan_core::services::{DepartmentEdit, DepartmentSpec, GroupSpec};
use openpan_types as wire;

use super::items::{required, success};
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_bool, lenient_i64};

/// A department's settings; on `update`, what is absent stays as it was.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = DepartmentSettings)]
pub struct DepartmentArgs {
    name: Option<String>,
    /// The parent department (`create`: required).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    parent_id: Option<i64>,
    /// The user who heads it.
    #[serde(default, deserialize_with = "lenient_i64")]
    director_id: Option<i64>,
    /// Its space in GB; -1 for unlimited.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = -1)]
    space_total: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    hide_phone: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    disable_share: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    enable_watermark: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    collab_auto_accepted: Option<bool>,
    /// `update`: how the department folder's members work in it.
    permission_type: Option<String>,
    /// `update`: the users who manage the department folder.
    file_managers: Option<Vec<i64>>,
}

/// Creates a department.
#[utoipa::path(post, path = "/admin/department/create", tag = "admin", request_body = Option<DepartmentArgs>, responses((status = 200, body = wire::DetailedDepartment)))]
pub async fn create_department(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<DepartmentArgs>,
) -> Result<Json<wire::DetailedDepartment>> {
    let spec = DepartmentSpec {
        name: args.name,
        parent_id: args.parent_id,
        director_id: args.director_id,
        space_total_gb: args.space_total,
        hide_phone: args.hide_phone,
        disable_share: args.disable_share,
        enable_watermark: args.enable_watermark,
        collab_auto_accepted: args.collab_auto_accepted,
    };
    let view = state.core.create_department(&principal, spec).await?;
    Ok(Json(convert::detailed_department(&view)))
}

#[utoipa::path(get, path = "/department/{id}/info", tag = "departments", responses((status = 200, body = wire::DetailedDepartment)))]
pub async fn department_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::DetailedDepartment>> {
    let view = state.core.department_info(&principal, DepartmentId(id)).await?;
    Ok(Json(convert::detailed_department(&view)))
}

/// Changes a department.
#[utoipa::path(post, path = "/admin/department/{id}/update", tag = "admin", request_body = Option<DepartmentArgs>, responses((status = 200, body = wire::DetailedDepartment)))]
pub async fn update_department(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<DepartmentArgs>,
) -> Result<Json<wire::DetailedDepartment>> {
    let edit = DepartmentEdit {
        name: args.name,
        parent_id: args.parent_id,
        director_id: args.director_id,
        space_total_gb: args.space_total,
        hide_phone: args.hide_phone,
        disable_share: args.disable_share,
        enable_watermark: args.enable_watermark,
        collab_auto_accepted: args.collab_auto_accepted,
        permission_type: args.permission_type,
        file_managers: args.file_managers,
    };
    let view = state.core.update_department(&principal, DepartmentId(id), edit).await?;
    Ok(Json(convert::detailed_department(&view)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = DepartmentSpace)]
pub struct SpaceArgs {
    /// GB; -1 for unlimited.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = -1)]
    space_total: Option<i64>,
}

/// Changes a department's space alone, under the same rules as `update`.
#[utoipa::path(post, path = "/admin/department/{id}/update_space", tag = "admin", request_body = SpaceArgs, responses((status = 200, body = wire::DetailedDepartment)))]
pub async fn update_department_space(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<SpaceArgs>,
) -> Result<Json<wire::DetailedDepartment>> {
    let space_total = args
        .space_total
        .ok_or_else(|| ApiError::field("space_total", "不能为空"))?;
    let edit = DepartmentEdit {
        space_total_gb: Some(space_total),
        ..DepartmentEdit::default()
    };
    let view = state.core.update_department(&principal, DepartmentId(id), edit).await?;
    Ok(Json(convert::detailed_department(&view)))
}

/// Deletes an empty department.
#[utoipa::path(post, path = "/admin/department/{id}/delete", tag = "admin", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete_department(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    state.core.delete_department(&principal, DepartmentId(id)).await?;
    Ok(success())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = Member)]
pub struct MemberArgs {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    user_id: Option<i64>,
}

/// Adds a user to a department.
#[utoipa::path(post, path = "/admin/department/{id}/add_user", tag = "admin", request_body = MemberArgs, responses((status = 200, body = wire::SuccessBody)))]
pub async fn add_department_user(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<MemberArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let user = required(args.user_id, "user_id")?;
    state
        .core
        .add_department_user(&principal, DepartmentId(id), user)
        .await?;
    Ok(success())
}

/// Takes a user out of a department.
#[utoipa::path(post, path = "/admin/department/{id}/remove_user", tag = "admin", request_body = MemberArgs, responses((status = 200, body = wire::SuccessBody)))]
pub async fn remove_department_user(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<MemberArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let user = required(args.user_id, "user_id")?;
    state
        .core
        .remove_department_user(&principal, DepartmentId(id), user)
        .await?;
    Ok(success())
}

#[utoipa::path(get, path = "/department/{id}/children", tag = "departments", params(("permission_filter" = Option<bool>, Query, description = "Accepted for compatibility (the Java SDK sends it): every child department is listed")), responses((status = 200, body = wire::DepartmentChildren)))]
pub async fn department_children(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::DepartmentChildren>> {
    // The Java SDK always sends `permission_filter`; every department is listed either way.
    params.opt_bool("permission_filter")?;
    let listing = state.core.department_children(&principal, DepartmentId(id)).await?;
    Ok(Json(convert::department_children(&listing)))
}

#[utoipa::path(get, path = "/department/{id}/users", tag = "departments", params(crate::openapi::PageQuery, ("query_words" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "Part of a name, email or phone")), responses((status = 200, body = wire::ListedUserPage)))]
pub async fn department_users(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::ListedUserPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (users, total, enterprise) = state
        .core
        .department_users(&principal, DepartmentId(id), params.opt_str("query_words"), page)
        .await?;
    Ok(Json(convert::listed_user_page(&users, total, page, &enterprise)))
}

/// A group's settings; on `update`, what is absent stays as it was.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = GroupSettings)]
pub struct GroupArgs {
    /// `create`: required.
    name: Option<String>,
    description: Option<String>,
    /// The user who manages it.
    #[serde(default, deserialize_with = "lenient_i64")]
    admin_user_id: Option<i64>,
    /// Whether colleagues see it.
    #[serde(default, deserialize_with = "lenient_bool")]
    visible: Option<bool>,
    /// Whether invitations to its members are accepted without asking.
    #[serde(default, deserialize_with = "lenient_bool")]
    collab_auto_accepted: Option<bool>,
    /// The PHP SDK's spelling.
    #[serde(default, rename = "collabAutoAccepted", deserialize_with = "lenient_bool")]
    #[schema(ignore)]
    collab_auto_accepted_camel: Option<bool>,
}

impl GroupArgs {
    fn spec(self) -> GroupSpec {
        GroupSpec {
            name: self.name,
            description: self.description,
            admin_user_id: self.admin_user_id,
            visible: self.visible,
            collab_auto_accepted: self.collab_auto_accepted.or(self.collab_auto_accepted_camel),
        }
    }
}

/// Creates a group.
#[utoipa::path(post, path = "/admin/group/create", tag = "admin", request_body = Option<GroupArgs>, responses((status = 200, body = wire::Group)))]
pub async fn create_group(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<GroupArgs>,
) -> Result<Json<wire::Group>> {
    let (group, users) = state.core.create_group(&principal, args.spec()).await?;
    Ok(Json(convert::group(&group, &users)))
}

#[utoipa::path(get, path = "/group/{id}/info", tag = "groups", responses((status = 200, body = wire::Group)))]
pub async fn group_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Group>> {
    let (group, users) = state.core.group_info(&principal, GroupId(id)).await?;
    Ok(Json(convert::group(&group, &users)))
}

/// Changes a group.
#[utoipa::path(post, path = "/admin/group/{id}/update", tag = "admin", request_body = Option<GroupArgs>, responses((status = 200, body = wire::Group)))]
pub async fn update_group(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<GroupArgs>,
) -> Result<Json<wire::Group>> {
    let (group, users) = state.core.update_group(&principal, GroupId(id), args.spec()).await?;
    Ok(Json(convert::group(&group, &users)))
}

/// Deletes a group.
#[utoipa::path(post, path = "/admin/group/{id}/delete", tag = "admin", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete_group(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    state.core.delete_group(&principal, GroupId(id)).await?;
    Ok(success())
}

/// Adds a user to a group.
#[utoipa::path(post, path = "/admin/group/{id}/add_user", tag = "admin", request_body = MemberArgs, responses((status = 200, body = wire::SuccessBody)))]
pub async fn add_group_user(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<MemberArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let user = required(args.user_id, "user_id")?;
    state.core.add_group_user(&principal, GroupId(id), user).await?;
    Ok(success())
}

/// Takes a user out of a group.
#[utoipa::path(post, path = "/admin/group/{id}/remove_user", tag = "admin", request_body = MemberArgs, responses((status = 200, body = wire::SuccessBody)))]
pub async fn remove_group_user(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<MemberArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let user = required(args.user_id, "user_id")?;
    state.core.remove_group_user(&principal, GroupId(id), user).await?;
    Ok(success())
}

#[utoipa::path(get, path = "/group/list", tag = "groups", params(crate::openapi::PageQuery, ("query_words" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "Part of the name")), responses((status = 200, body = wire::GroupPage)))]
pub async fn list_groups(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::GroupPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let listing = state
        .core
        .list_groups(&principal, params.opt_str("query_words"), page)
        .await?;
    Ok(Json(wire::GroupPage {
        groups: listing
            .groups
            .iter()
            .map(|group| convert::group(group, &listing.users))
            .collect(),
        total_count: listing.total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(listing.total),
    }))
}

#[utoipa::path(get, path = "/group/{id}/users", tag = "groups", params(crate::openapi::PageQuery, ("query_words" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "Part of a name, email or phone")), responses((status = 200, body = wire::ListedUserPage)))]
pub async fn group_users(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::ListedUserPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (users, total, enterprise) = state
        .core
        .group_users(&principal, GroupId(id), params.opt_str("query_words"), page)
        .await?;
    Ok(Json(convert::listed_user_page(&users, total, page, &enterprise)))
}

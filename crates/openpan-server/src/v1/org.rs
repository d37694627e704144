//! `/api/v1/org/*`: users, departments and groups over the organization core. Lists take the
//! OA dialect's criteria (`page`, `limit`, `order_by`, `search`) and answer its rows; single
//! records and changes answer the `/api/v2` shapes, through the `/api/v2` handlers, with ids
//! given as parameters (`user_id`, `department_id`, `group_id`) instead of path segments.
//! Everyone reads; the core lets only administrators change anything.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use openpan_core::auth::PrincipalKind;
use openpan_core::criteria::{DepartmentField, GroupField, UserField};
use openpan_types::{OaDepartment, OaGroup, OaList, OaUser};

use crate::AppState;
use crate::api::{admin_user, org, user};
use crate::error::Result;
use crate::extract::{Args, Caller, JsonBody, PathId};
use crate::oa::{departments_page, groups_page, list_criteria, users_page};

/// `GET org/list_users`.
#[utoipa::path(get, path = "/org/list_users", tag = "v1 org", params(crate::openapi::CriteriaQuery),
    responses((status = 200, body = OaList<OaUser>)))]
pub async fn list_users(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    args: Args,
) -> Result<Json<OaList<OaUser>>> {
    let criteria = list_criteria::<UserField>(&args.0, &headers)?;
    Ok(Json(users_page(&state, &principal, &criteria).await?))
}

/// `GET org/list_departments`.
#[utoipa::path(get, path = "/org/list_departments", tag = "v1 org", params(crate::openapi::CriteriaQuery),
    responses((status = 200, body = OaList<OaDepartment>)))]
pub async fn list_departments(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    args: Args,
) -> Result<Json<OaList<OaDepartment>>> {
    let criteria = list_criteria::<DepartmentField>(&args.0, &headers)?;
    Ok(Json(departments_page(&state, &principal, &criteria).await?))
}

/// `GET org/list_groups`.
#[utoipa::path(get, path = "/org/list_groups", tag = "v1 org", params(crate::openapi::CriteriaQuery),
    responses((status = 200, body = OaList<OaGroup>)))]
pub async fn list_groups(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    args: Args,
) -> Result<Json<OaList<OaGroup>>> {
    let criteria = list_criteria::<GroupField>(&args.0, &headers)?;
    Ok(Json(groups_page(&state, &principal, &criteria).await?))
}

/// `GET org/get_user?user_id=…`: a colleague for user tokens, the full record for
/// enterprise tokens.
#[utoipa::path(get, path = "/org/get_user", tag = "v1 org",
    params(("user_id" = i64, Query), ("last_login_flag" = Option<bool>, Query, description = "Enterprise tokens: include the last sign-in time")),
    responses((status = 200, body = openpan_types::User,
        description = "A colleague; for enterprise tokens with the administrator's fields too (`DetailedUser`)")))]
pub async fn get_user(state: State<AppState>, caller: Caller, args: Args) -> Response {
    let id = match args.i64("user_id") {
        Ok(id) => PathId(id),
        Err(error) => return error.into_response(),
    };
    match caller.0.kind() {
        PrincipalKind::EnterpriseAdmin { .. } => {
            admin_user::info(state, caller, id, args.params()).await.into_response()
        }
        _ => user::info(state, caller, id).await.into_response(),
    }
}

/// `/api/v1` bodies: the record's id beside the `/api/v2` fields (described only; the
/// handlers read them through `Args`).
mod bodies {
    use serde::Deserialize;

    use crate::api::{admin_user, org};

    macro_rules! with_id {
        ($(#[$meta:meta])* $name:ident: $id:ident $(+ $fields:ty)?) => {
            $(#[$meta])*
            #[derive(Deserialize, utoipa::ToSchema)]
            #[schema(as = v1::$name)]
            #[allow(dead_code)]
            pub(crate) struct $name {
                $id: i64,
                $(#[serde(flatten)] fields: $fields,)?
            }
        };
    }

    with_id!(/// A user and what changes.
        UserUpdate: user_id + admin_user::UpdateArgs);
    with_id!(/// A user to delete and who takes their items.
        UserDeletion: user_id + admin_user::DeleteArgs);
    with_id!(/// A department and what changes.
        DepartmentUpdate: department_id + org::DepartmentArgs);
    with_id!(/// A department.
        DepartmentRef: department_id);
    with_id!(/// A department and a user.
        DepartmentMember: department_id + org::MemberArgs);
    with_id!(/// A group and what changes.
        GroupUpdate: group_id + org::GroupArgs);
    with_id!(/// A group.
        GroupRef: group_id);
    with_id!(/// A group and a user.
        GroupMember: group_id + org::MemberArgs);
}
use bodies::*;

/// Handlers that read one id parameter and hand the rest to a `/api/v2` handler: as query
/// parameters (`params`), as its JSON body (`body`), or nothing more (`bare`).
macro_rules! delegate {
    ($(#[$meta:meta])* $name:ident: $id:literal => $target:path, body) => {
        $(#[$meta])*
        pub async fn $name(state: State<AppState>, caller: Caller, args: Args) -> Response {
            let prepared = args.i64($id).and_then(|id| Ok((PathId(id), args.body()?)));
            match prepared {
                Ok((id, body)) => $target(state, caller, id, JsonBody(body)).await.into_response(),
                Err(error) => error.into_response(),
            }
        }
    };
    ($(#[$meta:meta])* $name:ident: $id:literal => $target:path, params) => {
        $(#[$meta])*
        pub async fn $name(state: State<AppState>, caller: Caller, args: Args) -> Response {
            match args.i64($id) {
                Ok(id) => $target(state, caller, PathId(id), args.params()).await.into_response(),
                Err(error) => error.into_response(),
            }
        }
    };
    ($(#[$meta:meta])* $name:ident: $id:literal => $target:path, bare) => {
        $(#[$meta])*
        pub async fn $name(state: State<AppState>, caller: Caller, args: Args) -> Response {
            match args.i64($id) {
                Ok(id) => $target(state, caller, PathId(id)).await.into_response(),
                Err(error) => error.into_response(),
            }
        }
    };
    ($(#[$meta:meta])* $name:ident => $target:path, body) => {
        $(#[$meta])*
        pub async fn $name(state: State<AppState>, caller: Caller, args: Args) -> Response {
            match args.body() {
                Ok(body) => $target(state, caller, JsonBody(body)).await.into_response(),
                Err(error) => error.into_response(),
            }
        }
    };
}

delegate!(
    /// `GET org/get_department?department_id=…`.
    #[utoipa::path(get, path = "/org/get_department", tag = "v1 org", params(("department_id" = i64, Query)),
        responses((status = 200, body = openpan_types::DetailedDepartment)))]
    get_department: "department_id" => org::department_info, bare
);
delegate!(
    /// `GET org/department_children?department_id=…` (0: the top level).
    #[utoipa::path(get, path = "/org/department_children", tag = "v1 org", params(("department_id" = i64, Query, description = "0: the top level")),
        responses((status = 200, body = openpan_types::DepartmentChildren)))]
    department_children: "department_id" => org::department_children, params
);
delegate!(
    /// `GET org/department_users?department_id=…[&query_words&page_id&page_capacity]`.
    #[utoipa::path(get, path = "/org/department_users", tag = "v1 org", params(("department_id" = i64, Query), crate::openapi::PageQuery, ("query_words" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "Part of a name, email or phone")),
        responses((status = 200, body = openpan_types::ListedUserPage)))]
    department_users: "department_id" => org::department_users, params
);
delegate!(
    /// `GET org/get_group?group_id=…`.
    #[utoipa::path(get, path = "/org/get_group", tag = "v1 org", params(("group_id" = i64, Query)),
        responses((status = 200, body = openpan_types::Group)))]
    get_group: "group_id" => org::group_info, bare
);
delegate!(
    /// `GET org/group_users?group_id=…[&query_words&page_id&page_capacity]`.
    #[utoipa::path(get, path = "/org/group_users", tag = "v1 org", params(("group_id" = i64, Query), crate::openapi::PageQuery, ("query_words" = Option<String>, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", description = "Part of a name, email or phone")),
        responses((status = 200, body = openpan_types::ListedUserPage)))]
    group_users: "group_id" => org::group_users, params
);
delegate!(
    /// `POST org/create_user` with the `/api/v2/admin/user/create` fields.
    #[utoipa::path(post, path = "/org/create_user", tag = "v1 org",
        request_body(content = Option<admin_user::CreateArgs>, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::DetailedUser)))]
    create_user => admin_user::create, body
);
delegate!(
    /// `POST org/update_user` with `user_id` and the `/api/v2/admin/user/{id}/update` fields.
    #[utoipa::path(post, path = "/org/update_user", tag = "v1 org",
        request_body(content = UserUpdate, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::DetailedUser)))]
    update_user: "user_id" => admin_user::update, body
);
delegate!(
    /// `POST org/delete_user` with `user_id` and `user_receive_items` (who takes their items).
    #[utoipa::path(post, path = "/org/delete_user", tag = "v1 org",
        request_body(content = UserDeletion, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::SuccessBody)))]
    delete_user: "user_id" => admin_user::delete, body
);
delegate!(
    /// `POST org/create_department`.
    #[utoipa::path(post, path = "/org/create_department", tag = "v1 org",
        request_body(content = Option<org::DepartmentArgs>, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::DetailedDepartment)))]
    create_department => org::create_department, body
);
delegate!(
    /// `POST org/update_department` with `department_id`.
    #[utoipa::path(post, path = "/org/update_department", tag = "v1 org",
        request_body(content = DepartmentUpdate, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::DetailedDepartment)))]
    update_department: "department_id" => org::update_department, body
);
delegate!(
    /// `POST org/delete_department` with `department_id`.
    #[utoipa::path(post, path = "/org/delete_department", tag = "v1 org",
        request_body(content = DepartmentRef, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::SuccessBody)))]
    delete_department: "department_id" => org::delete_department, bare
);
delegate!(
    /// `POST org/add_department_user` with `department_id` and `user_id`.
    #[utoipa::path(post, path = "/org/add_department_user", tag = "v1 org",
        request_body(content = DepartmentMember, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::SuccessBody)))]
    add_department_user: "department_id" => org::add_department_user, body
);
delegate!(
    /// `POST org/remove_department_user` with `department_id` and `user_id`.
    #[utoipa::path(post, path = "/org/remove_department_user", tag = "v1 org",
        request_body(content = DepartmentMember, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::SuccessBody)))]
    remove_department_user: "department_id" => org::remove_department_user, body
);
delegate!(
    /// `POST org/create_group`.
    #[utoipa::path(post, path = "/org/create_group", tag = "v1 org",
        request_body(content = Option<org::GroupArgs>, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::Group)))]
    create_group => org::create_group, body
);
delegate!(
    /// `POST org/update_group` with `group_id`.
    #[utoipa::path(post, path = "/org/update_group", tag = "v1 org",
        request_body(content = GroupUpdate, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::Group)))]
    update_group: "group_id" => org::update_group, body
);
delegate!(
    /// `POST org/delete_group` with `group_id`.
    #[utoipa::path(post, path = "/org/delete_group", tag = "v1 org",
        request_body(content = GroupRef, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::SuccessBody)))]
    delete_group: "group_id" => org::delete_group, bare
);
delegate!(
    /// `POST org/add_group_user` with `group_id` and `user_id`.
    #[utoipa::path(post, path = "/org/add_group_user", tag = "v1 org",
        request_body(content = GroupMember, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::SuccessBody)))]
    add_group_user: "group_id" => org::add_group_user, body
);
delegate!(
    /// `POST org/remove_group_user` with `group_id` and `user_id`.
    #[utoipa::path(post, path = "/org/remove_group_user", tag = "v1 org",
        request_body(content = GroupMember, description = "JSON, a form or query parameters"),
        responses((status = 200, body = openpan_types::SuccessBody)))]
    remove_group_user: "group_id" => org::remove_group_user, body
);

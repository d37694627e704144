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
    get_department: "department_id" => org::department_info, bare
);
delegate!(
    /// `GET org/department_children?department_id=…` (0: the top level).
    department_children: "department_id" => org::department_children, params
);
delegate!(
    /// `GET org/department_users?department_id=…[&query_words&page_id&page_capacity]`.
    department_users: "department_id" => org::department_users, params
);
delegate!(
    /// `GET org/get_group?group_id=…`.
    get_group: "group_id" => org::group_info, bare
);
delegate!(
    /// `GET org/group_users?group_id=…[&query_words&page_id&page_capacity]`.
    group_users: "group_id" => org::group_users, params
);
delegate!(
    /// `POST org/create_user` with the `/api/v2/admin/user/create` fields.
    create_user => admin_user::create, body
);
delegate!(
    /// `POST org/update_user` with `user_id` and the `/api/v2/admin/user/{id}/update` fields.
    update_user: "user_id" => admin_user::update, body
);
delegate!(
    /// `POST org/delete_user` with `user_id` and `user_receive_items` (who takes their items).
    delete_user: "user_id" => admin_user::delete, body
);
delegate!(
    /// `POST org/create_department`.
    create_department => org::create_department, body
);
delegate!(
    /// `POST org/update_department` with `department_id`.
    update_department: "department_id" => org::update_department, body
);
delegate!(
    /// `POST org/delete_department` with `department_id`.
    delete_department: "department_id" => org::delete_department, bare
);
delegate!(
    /// `POST org/add_department_user` with `department_id` and `user_id`.
    add_department_user: "department_id" => org::add_department_user, body
);
delegate!(
    /// `POST org/remove_department_user` with `department_id` and `user_id`.
    remove_department_user: "department_id" => org::remove_department_user, body
);
delegate!(
    /// `POST org/create_group`.
    create_group => org::create_group, body
);
delegate!(
    /// `POST org/update_group` with `group_id`.
    update_group: "group_id" => org::update_group, body
);
delegate!(
    /// `POST org/delete_group` with `group_id`.
    delete_group: "group_id" => org::delete_group, bare
);
delegate!(
    /// `POST org/add_group_user` with `group_id` and `user_id`.
    add_group_user: "group_id" => org::add_group_user, body
);
delegate!(
    /// `POST org/remove_group_user` with `group_id` and `user_id`.
    remove_group_user: "group_id" => org::remove_group_user, body
);

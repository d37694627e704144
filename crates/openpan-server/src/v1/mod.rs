//! `/api/v1/{module}/{api}` (the API overview document): the account module (service
//! discovery, instances, renewal, authentication configuration), and the org, file and SMS
//! modules. Each handler reads its parameters from the query string or a form or JSON body,
//! calls one core service and answers plain JSON; failures answer the `/api/v2` envelope.

mod account;
pub mod file;
mod org;
mod sms;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/get_api_address", get(account::get_api_address))
        .route("/account/get_token_info", get(account::get_token_info))
        .route("/account/list_instances", get(account::list_instances))
        .route("/account/create_instance", post(account::create_instance))
        .route("/account/delete_instance", post(account::delete_instance))
        .route("/account/renewal", get(account::renewal))
        .route("/account/auth_config", get(account::auth_config))
        .route("/account/update_auth_config", post(account::update_auth_config))
        .route("/account/notice_key", get(account::notice_key))
        .route("/account/rotate_notice_key", post(account::rotate_notice_key))
        .route("/account/list_notices", get(account::list_notices))
        .route("/file/upload_token", post(file::upload_token))
        .route("/file/download_url", get(file::download_url))
        .route("/file/convert", post(file::convert))
        .route("/org/list_users", get(org::list_users))
        .route("/org/get_user", get(org::get_user))
        .route("/org/create_user", post(org::create_user))
        .route("/org/update_user", post(org::update_user))
        .route("/org/delete_user", post(org::delete_user))
        .route("/org/list_departments", get(org::list_departments))
        .route("/org/get_department", get(org::get_department))
        .route("/org/department_children", get(org::department_children))
        .route("/org/department_users", get(org::department_users))
        .route("/org/create_department", post(org::create_department))
        .route("/org/update_department", post(org::update_department))
        .route("/org/delete_department", post(org::delete_department))
        .route("/org/add_department_user", post(org::add_department_user))
        .route("/org/remove_department_user", post(org::remove_department_user))
        .route("/org/list_groups", get(org::list_groups))
        .route("/org/get_group", get(org::get_group))
        .route("/org/group_users", get(org::group_users))
        .route("/org/create_group", post(org::create_group))
        .route("/org/update_group", post(org::update_group))
        .route("/org/delete_group", post(org::delete_group))
        .route("/org/add_group_user", post(org::add_group_user))
        .route("/org/remove_group_user", post(org::remove_group_user))
        .route("/sms/send", post(sms::send))
        .route("/sms/list", get(sms::list))
        .route("/sms/get", get(sms::get))
        .route("/sms/create_template", post(sms::create_template))
        .route("/sms/list_templates", get(sms::list_templates))
        .route("/sms/delete_template", post(sms::delete_template))
}

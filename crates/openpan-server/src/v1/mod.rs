//! `/api/v1/{module}/{api}` (the API overview document): the account module (service
//! discovery, instances, renewal, authentication configuration), and the org, file and SMS
//! modules. Each handler reads its parameters from the query string or a form or JSON body,
//! calls one core service and answers plain JSON; failures answer the `/api/v2` envelope.

mod account;
pub mod file;
mod org;
mod sms;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The modules' operations, described (see `openapi`) and served from the same list.
pub(crate) fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(account::get_api_address))
        .routes(routes!(account::get_token_info))
        .routes(routes!(account::list_instances))
        .routes(routes!(account::create_instance))
        .routes(routes!(account::delete_instance))
        .routes(routes!(account::renewal))
        .routes(routes!(account::auth_config))
        .routes(routes!(account::update_auth_config))
        .routes(routes!(account::notice_key))
        .routes(routes!(account::rotate_notice_key))
        .routes(routes!(account::list_notices))
        .routes(routes!(file::upload_token))
        .routes(routes!(file::download_url))
        .routes(routes!(file::convert))
        .routes(routes!(org::list_users))
        .routes(routes!(org::get_user))
        .routes(routes!(org::create_user))
        .routes(routes!(org::update_user))
        .routes(routes!(org::delete_user))
        .routes(routes!(org::list_departments))
        .routes(routes!(org::get_department))
        .routes(routes!(org::department_children))
        .routes(routes!(org::department_users))
        .routes(routes!(org::create_department))
        .routes(routes!(org::update_department))
        .routes(routes!(org::delete_department))
        .routes(routes!(org::add_department_user))
        .routes(routes!(org::remove_department_user))
        .routes(routes!(org::list_groups))
        .routes(routes!(org::get_group))
        .routes(routes!(org::group_users))
        .routes(routes!(org::create_group))
        .routes(routes!(org::update_group))
        .routes(routes!(org::delete_group))
        .routes(routes!(org::add_group_user))
        .routes(routes!(org::remove_group_user))
        .routes(routes!(sms::send))
        .routes(routes!(sms::list))
        .routes(routes!(sms::get))
        .routes(routes!(sms::create_template))
        .routes(routes!(sms::list_templates))
        .routes(routes!(sms::delete_template))
}

pub fn routes() -> Router<AppState> {
    documented().split_for_parts().0
}

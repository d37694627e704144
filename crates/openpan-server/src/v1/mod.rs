//! `/api/v1/{module}/{api}` (the API overview document): the account module (service
//! discovery, instances, renewal, authentication configuration), and the org, file and SMS
//! modules. Each handler reads its parameters from the query string or a form or JSON body,
//! calls one core service and answers plain JSON; failures answer the `/api/v2` envelope.

mod account;

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
}

//! `/api/v2`: route modules mirror the URL paths.

mod admin_enterprise;
pub(crate) mod admin_user;
mod apps;
mod collab;
mod comment;
pub(crate) mod events;
mod file;
mod folder;
mod gpt;
mod items;
mod knowledge;
mod log;
pub(crate) mod org;
mod platform;
pub(crate) mod preview;
mod review;
mod search;
mod share;
mod tag;
mod trash;
mod usage;
pub(crate) mod user;

use axum::Router;
use axum::routing::{MethodRouter, get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use openpan_types::ErrorCode;

/// Every `/api/v2` operation, each with its OpenAPI description (see `crate::openapi`), but
/// for those in `idempotent()` and the second paths in `twins()`.
pub(crate) fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // The signed-in user and colleagues.
        .routes(routes!(user::me))
        .routes(routes!(user::info))
        .routes(routes!(user::update))
        .routes(routes!(user::search))
        .routes(routes!(user::space_usage))
        .routes(routes!(user::departments))
        .routes(routes!(user::upload_profile_pic))
        .routes(routes!(user::download_profile_pic))
        // Folders.
        .routes(routes!(folder::info))
        .routes(routes!(folder::trash_info))
        .routes(routes!(folder::children))
        .routes(routes!(folder::personal_items))
        .routes(routes!(folder::department_folders))
        .routes(routes!(folder::update))
        .routes(routes!(folder::move_to))
        .routes(routes!(folder::delete))
        .routes(routes!(folder::restore))
        .routes(routes!(folder::purge))
        .routes(routes!(items::folders_trash))
        .routes(routes!(items::folders_purge))
        .routes(routes!(items::folders_restore))
        .routes(routes!(items::folders_move))
        // Files.
        .routes(routes!(file::info))
        .routes(routes!(file::trash_info))
        .routes(routes!(file::download))
        .routes(routes!(file::versions))
        .routes(routes!(file::version_info))
        .routes(routes!(file::update))
        .routes(routes!(file::move_to))
        .routes(routes!(file::delete))
        .routes(routes!(file::restore))
        .routes(routes!(file::purge))
        .routes(routes!(file::promote_version))
        .routes(routes!(file::delete_version))
        .routes(routes!(file::pack_download))
        .routes(routes!(preview::preview_token))
        .routes(routes!(preview::preview))
        .routes(routes!(preview::preview_download))
        .routes(routes!(preview::thumbnail))
        .routes(routes!(items::files_trash))
        .routes(routes!(items::files_purge))
        .routes(routes!(items::files_restore))
        .routes(routes!(items::files_move))
        .routes(routes!(usage::recent_items))
        .routes(routes!(usage::frequent_list))
        .routes(routes!(usage::mark_as_used))
        .routes(routes!(usage::frequent_add))
        .routes(routes!(usage::frequent_delete))
        .routes(routes!(search::search))
        // The trash.
        .routes(routes!(trash::list))
        .routes(routes!(trash::clear))
        .routes(routes!(trash::restore_all))
        // Sharing.
        .routes(routes!(share::info))
        .routes(routes!(share::file_links))
        .routes(routes!(share::folder_links))
        .routes(routes!(share::create))
        .routes(routes!(share::update))
        .routes(routes!(share::revoke))
        .routes(routes!(collab::collab_folders))
        .routes(routes!(collab::folder_collabs))
        .routes(routes!(collab::info))
        .routes(routes!(collab::invite))
        .routes(routes!(collab::invite_batch))
        .routes(routes!(collab::remove))
        .routes(routes!(collab::update))
        .routes(routes!(collab::accept))
        .routes(routes!(collab::delete))
        // Comments, tags and reviews.
        .routes(routes!(comment::file_comments))
        .routes(routes!(comment::create))
        .routes(routes!(comment::delete))
        .routes(routes!(tag::list))
        .routes(routes!(tag::common_list))
        .routes(routes!(tag::item_add_tags))
        .routes(routes!(tag::item_remove_tags))
        .routes(routes!(tag::add_common_list))
        .routes(routes!(tag::remove_common_list))
        .routes(routes!(tag::filter_items_by_tag_name))
        .routes(routes!(review::list))
        // Knowledge bases.
        .routes(routes!(knowledge::create_data))
        .routes(routes!(knowledge::get_data_info))
        .routes(routes!(knowledge::edit_data))
        .routes(routes!(knowledge::list_data))
        .routes(routes!(knowledge::delete_data))
        .routes(routes!(knowledge::add_train_file))
        .routes(routes!(knowledge::list_train_file))
        .routes(routes!(knowledge::delete_train_file))
        .routes(routes!(knowledge::list_data_segment))
        .routes(routes!(knowledge::list_data_qa))
        .routes(routes!(knowledge::data_match_test))
        .routes(routes!(gpt::create_gpt))
        .routes(routes!(gpt::get_gpt_info))
        .routes(routes!(gpt::edit_gpt_info))
        .routes(routes!(gpt::delete_gpt))
        .routes(routes!(gpt::list))
        .routes(routes!(gpt::list_square_gpt))
        .routes(routes!(gpt::chat_stream))
        .routes(routes!(gpt::ai_chat))
        .routes(routes!(gpt::get_ai_file_detail))
        .routes(routes!(review::info))
        .routes(routes!(review::comment_list))
        .routes(routes!(review::create))
        .routes(routes!(review::edit))
        .routes(routes!(review::complete))
        .routes(routes!(review::delete))
        .routes(routes!(review::create_comment))
        .routes(routes!(review::delete_comment))
        // Departments and groups.
        .routes(routes!(org::department_info))
        .routes(routes!(org::department_children))
        .routes(routes!(org::department_users))
        .routes(routes!(org::list_groups))
        .routes(routes!(org::group_info))
        .routes(routes!(org::group_users))
        // The event feed.
        .routes(routes!(events::feed))
        .routes(routes!(events::stream))
        // Administration (enterprise tokens).
        .routes(routes!(admin_user::list_users))
        .routes(routes!(admin_user::info))
        .routes(routes!(admin_user::get_user_info))
        .routes(routes!(admin_user::get_login_url))
        .routes(routes!(admin_user::get_login_params))
        .routes(routes!(admin_user::create))
        .routes(routes!(admin_user::update))
        .routes(routes!(admin_user::delete))
        .routes(routes!(admin_enterprise::info))
        .routes(routes!(admin_enterprise::status))
        .routes(routes!(admin_enterprise::update))
        .routes(routes!(admin_enterprise::oauth_settings))
        .routes(routes!(admin_enterprise::update_oauth_settings))
        .routes(routes!(org::create_department))
        .routes(routes!(org::update_department))
        .routes(routes!(org::delete_department))
        .routes(routes!(org::update_department_space))
        .routes(routes!(org::add_department_user))
        .routes(routes!(org::remove_department_user))
        .routes(routes!(org::create_group))
        .routes(routes!(org::update_group))
        .routes(routes!(org::delete_group))
        .routes(routes!(org::add_group_user))
        .routes(routes!(org::remove_group_user))
        .routes(routes!(platform::mapping_user))
        .routes(routes!(platform::mapping_department))
        .routes(routes!(platform::mapping_group))
        .routes(routes!(platform::sync_users))
        .routes(routes!(platform::sync_departments))
        .routes(routes!(platform::sync_groups))
        .routes(routes!(platform::file_manager_info))
        .routes(routes!(apps::list))
        .routes(routes!(apps::info))
        .routes(routes!(apps::create))
        .routes(routes!(apps::update))
        .routes(routes!(apps::rotate_secret))
        .routes(routes!(apps::disable))
        .routes(routes!(apps::enable))
        .routes(routes!(apps::delete))
        .routes(routes!(events::webhook))
        .routes(routes!(events::deliveries))
        .routes(routes!(events::update_webhook))
        .routes(routes!(events::redeliver))
        .routes(routes!(events::rotate_key))
        .routes(routes!(log::action_type_info))
        .routes(routes!(log::log_info))
        .routes(routes!(log::log_list))
        .routes(routes!(log::log_list_by_pagination))
}

/// Creates, uploads and copies: a retry with the same `Idempotency-Key` gets the first answer
/// (the layer is added in `routes`, which has the state it needs).
pub(crate) fn idempotent() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(folder::create))
        .routes(routes!(folder::create_by_path))
        .routes(routes!(folder::copy))
        .routes(routes!(file::upload))
        .routes(routes!(file::upload_by_path))
        .routes(routes!(file::resumable_upload))
        .routes(routes!(file::create_blank_file))
        .routes(routes!(file::copy))
        .routes(routes!(file::copy_by_path))
        .routes(routes!(file::new_version))
}

/// Second paths of documented operations (the enterprise token's `/admin/` spelling, the
/// platform document's `_v2` names, the SDKs' older names): each served by the same handler
/// as its first path and described by a copy of that path's operation, so one table keeps
/// both in step. The last field says whether the first path is in `idempotent()`.
pub(crate) fn twins() -> Vec<(&'static str, &'static str, MethodRouter<AppState>, bool)> {
    vec![
        (
            "/admin/department/{id}/info",
            "/department/{id}/info",
            get(org::department_info),
            false,
        ),
        (
            "/admin/department/{id}/children",
            "/department/{id}/children",
            get(org::department_children),
            false,
        ),
        (
            "/admin/department/{id}/users",
            "/department/{id}/users",
            get(org::department_users),
            false,
        ),
        ("/admin/group/list", "/group/list", get(org::list_groups), false),
        (
            "/admin/group/{id}/info",
            "/group/{id}/info",
            get(org::group_info),
            false,
        ),
        (
            "/admin/group/{id}/users",
            "/group/{id}/users",
            get(org::group_users),
            false,
        ),
        ("/admin/events", "/events", get(events::feed), false),
        ("/admin/events/stream", "/events/stream", get(events::stream), false),
        (
            "/department/own_list",
            "/user/departments",
            get(user::departments),
            false,
        ),
        ("/file/{id}/info_v2", "/file/{id}/info", get(file::info), false),
        (
            "/file/{id}/download_v2",
            "/file/{id}/download",
            get(file::download),
            false,
        ),
        (
            "/file/restore_from_trash",
            "/file/restore_batch_from_trash",
            post(items::files_restore),
            false,
        ),
        (
            "/share_link/{unique_name}/close",
            "/share_link/{unique_name}/revoke",
            post(share::revoke),
            false,
        ),
        ("/file/upload_v2", "/file/upload", post(file::upload), true),
        (
            "/file/{id}/new_version_v2",
            "/file/{id}/new_version",
            post(file::new_version),
            true,
        ),
    ]
}

pub fn routes(state: AppState) -> Router<AppState> {
    let (plain, _) = documented().split_for_parts();
    let (idempotent, _) = idempotent().split_for_parts();
    let (plain, idempotent) = twins().into_iter().fold(
        (plain, idempotent),
        |(plain, idempotent), (twin, _, handler, is_idempotent)| {
            if is_idempotent {
                (plain, idempotent.route(twin, handler))
            } else {
                (plain.route(twin, handler), idempotent)
            }
        },
    );
    let idempotent = idempotent.route_layer(axum::middleware::from_fn_with_state(state, crate::idempotency::layer));
    Router::new()
        .merge(plain)
        .merge(idempotent)
        .fallback(|| async { ApiError::new(ErrorCode::ApiNotFound) })
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorCode::MethodNotAllowed) })
}

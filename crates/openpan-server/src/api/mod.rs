//! `/api/v2`: route modules mirror the URL paths.

mod admin_enterprise;
pub(crate) mod admin_user;
mod apps;
mod collab;
mod comment;
pub(crate) mod events;
mod file;
mod folder;
mod items;
mod log;
pub(crate) mod org;
mod platform;
mod review;
mod search;
mod share;
mod tag;
mod trash;
mod usage;
pub(crate) mod user;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::AppState;
use crate::error::ApiError;
use openpan_types::ErrorCode;

/// The routes with an OpenAPI description (see `crate::openapi`); they serve as any other.
pub(crate) fn documented() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(user::me))
        .routes(routes!(user::info))
        .routes(routes!(folder::info))
        .routes(routes!(folder::trash_info))
        .routes(routes!(folder::children))
        .routes(routes!(file::info))
        .routes(routes!(file::trash_info))
        .routes(routes!(file::download))
        .routes(routes!(file::versions))
        .routes(routes!(file::version_info))
        .routes(routes!(folder::personal_items))
        .routes(routes!(folder::department_folders))
        .routes(routes!(collab::collab_folders))
        .routes(routes!(collab::folder_collabs))
        .routes(routes!(collab::info))
        .routes(routes!(comment::file_comments))
        .routes(routes!(trash::list))
        .routes(routes!(usage::recent_items))
        .routes(routes!(usage::frequent_list))
        .routes(routes!(share::info))
        .routes(routes!(share::file_links))
        .routes(routes!(share::folder_links))
        .routes(routes!(user::search))
        .routes(routes!(user::space_usage))
        .routes(routes!(tag::list))
        .routes(routes!(tag::common_list))
        .routes(routes!(review::list))
        .routes(routes!(review::info))
        .routes(routes!(review::comment_list))
        .routes(routes!(org::department_info))
        .routes(routes!(org::department_children))
        .routes(routes!(org::department_users))
        .routes(routes!(org::list_groups))
        .routes(routes!(org::group_info))
        .routes(routes!(org::group_users))
        .routes(routes!(admin_user::list_users))
        .routes(routes!(admin_user::info))
        .routes(routes!(admin_enterprise::info))
        .routes(routes!(admin_enterprise::oauth_settings))
        .routes(routes!(apps::info))
        .routes(routes!(events::webhook))
        .routes(routes!(events::deliveries))
}

/// Second paths of documented operations (the enterprise token's `/admin/` spelling, the
/// platform document's `_v2` names): each served by the same handler as its first path and
/// described by a copy of that path's operation, so one table keeps both in step.
pub(crate) fn twins() -> Vec<(&'static str, &'static str, axum::routing::MethodRouter<AppState>)> {
    vec![
        (
            "/admin/department/{id}/info",
            "/department/{id}/info",
            get(org::department_info),
        ),
        (
            "/admin/department/{id}/children",
            "/department/{id}/children",
            get(org::department_children),
        ),
        (
            "/admin/department/{id}/users",
            "/department/{id}/users",
            get(org::department_users),
        ),
        ("/admin/group/list", "/group/list", get(org::list_groups)),
        ("/admin/group/{id}/info", "/group/{id}/info", get(org::group_info)),
        ("/admin/group/{id}/users", "/group/{id}/users", get(org::group_users)),
        ("/file/{id}/info_v2", "/file/{id}/info", get(file::info)),
        ("/file/{id}/download_v2", "/file/{id}/download", get(file::download)),
    ]
}

pub fn routes(state: AppState) -> Router<AppState> {
    let (documented, _) = documented().split_for_parts();
    let documented = twins()
        .into_iter()
        .fold(documented, |router, (twin, _, handler)| router.route(twin, handler));
    Router::new()
        .merge(documented)
        .merge(idempotent_routes(state))
        .route("/admin/enterprise/update", post(admin_enterprise::update))
        .route(
            "/admin/enterprise/oauth_settings/update",
            post(admin_enterprise::update_oauth_settings),
        )
        .route("/admin/user/get_user_info", get(admin_user::get_user_info))
        .route("/admin/user/create", post(admin_user::create))
        .route("/admin/user/get_login_url", get(admin_user::get_login_url))
        .route("/admin/user/get_login_params", get(admin_user::get_login_params))
        .route("/admin/user/{id}/update", post(admin_user::update))
        .route("/admin/user/{id}/delete", post(admin_user::delete))
        .route("/user/update", post(user::update))
        .route("/user/profile_pic_upload", post(user::upload_profile_pic))
        .route("/user/{id}/profile_pic_download", get(user::download_profile_pic))
        .route("/user/departments", get(user::departments))
        .route("/department/own_list", get(user::departments))
        .route("/admin/department/create", post(org::create_department))
        .route("/admin/department/{id}/update", post(org::update_department))
        .route("/admin/department/{id}/delete", post(org::delete_department))
        .route(
            "/admin/department/{id}/update_space",
            post(org::update_department_space),
        )
        .route("/admin/department/{id}/add_user", post(org::add_department_user))
        .route("/admin/department/{id}/remove_user", post(org::remove_department_user))
        .route("/admin/group/create", post(org::create_group))
        .route("/admin/group/{id}/update", post(org::update_group))
        .route("/admin/group/{id}/delete", post(org::delete_group))
        .route("/admin/group/{id}/add_user", post(org::add_group_user))
        .route("/admin/group/{id}/remove_user", post(org::remove_group_user))
        .route("/admin/platform/{id}/mapping_user", get(platform::mapping_user))
        .route(
            "/admin/platform/{id}/mapping_department",
            get(platform::mapping_department),
        )
        .route("/admin/platform/{id}/mapping_group", get(platform::mapping_group))
        .route("/admin/platform/{id}/sync_users", post(platform::sync_users))
        .route(
            "/admin/platform/{id}/sync_departments",
            post(platform::sync_departments),
        )
        .route("/admin/platform/{id}/sync_groups", post(platform::sync_groups))
        .route(
            "/admin/platform/{id}/get_file_manager_info",
            post(platform::file_manager_info),
        )
        .route("/admin/app/list", get(apps::list))
        .route("/admin/app/create", post(apps::create))
        .route("/admin/app/{id}/update", post(apps::update))
        .route("/admin/app/{id}/rotate_secret", post(apps::rotate_secret))
        .route("/admin/app/{id}/disable", post(apps::disable))
        .route("/admin/app/{id}/enable", post(apps::enable))
        .route("/admin/app/{id}/delete", post(apps::delete))
        .route("/admin/app/{id}/webhook/update", post(events::update_webhook))
        .route("/admin/app/{id}/webhook/redeliver", post(events::redeliver))
        .route("/admin/app/{id}/webhook/rotate_key", post(events::rotate_key))
        .route("/admin/events", get(events::feed))
        .route("/admin/events/stream", get(events::stream))
        .route("/events", get(events::feed))
        .route("/events/stream", get(events::stream))
        .route("/admin/log/action_type_info", post(log::action_type_info))
        .route("/admin/log/log_info", post(log::log_info))
        .route("/admin/log/log_list", post(log::log_list))
        .route("/admin/log/log_list_by_pagination", post(log::log_list_by_pagination))
        .merge(folder_routes())
        .merge(file_routes())
        .route("/file/{id}/mark_as_used", post(usage::mark_as_used))
        .route("/frequent/add", post(usage::frequent_add))
        .route("/frequent/delete", post(usage::frequent_delete))
        .route("/item/search", get(search::search))
        .route("/share_link/create", post(share::create))
        .route("/share_link/{unique_name}/update", post(share::update))
        .route("/share_link/{unique_name}/revoke", post(share::revoke))
        .route("/share_link/{unique_name}/close", post(share::revoke))
        .route("/collab/invite", post(collab::invite))
        .route("/collab/invite_batch", post(collab::invite_batch))
        .route("/collab/remove", post(collab::remove))
        .route("/collab/{id}/update", post(collab::update))
        .route("/collab/{id}/accept", post(collab::accept))
        .route("/collab/{id}/delete", post(collab::delete))
        .route("/comment/create", post(comment::create))
        .route("/comment/{id}/delete", post(comment::delete))
        .route("/tag/item_add_tags", post(tag::item_add_tags))
        .route("/tag/item_remove_tags", post(tag::item_remove_tags))
        .route("/tag/add_common_list", post(tag::add_common_list))
        .route("/tag/remove_common_list", post(tag::remove_common_list))
        .route("/tag/filter_items_by_tag_name", get(tag::filter_items_by_tag_name))
        .route("/review/create", post(review::create))
        .route("/review/edit/{id}", post(review::edit))
        // The platform ends a review with a GET; POST is accepted too.
        .route("/review/complete/{id}", get(review::complete).post(review::complete))
        .route("/review/delete/{id}", post(review::delete))
        .route("/review_comment/create", post(review::create_comment))
        .route(
            "/review_comment/delete/{id}",
            delete(review::delete_comment).post(review::delete_comment),
        )
        .route("/trash/clear", post(trash::clear))
        .route("/trash/restore_all", post(trash::restore_all))
        .fallback(|| async { ApiError::new(ErrorCode::ApiNotFound) })
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorCode::MethodNotAllowed) })
}

/// Creates, uploads and copies: a retry with the same `Idempotency-Key` gets the first answer.
fn idempotent_routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/folder/create", post(folder::create))
        .route("/folder/create_by_path", post(folder::create_by_path))
        .route("/folder/{id}/copy", post(folder::copy))
        .route("/file/upload", post(file::upload))
        .route("/file/upload_v2", post(file::upload))
        .route("/file/upload_by_path", post(file::upload_by_path))
        .route("/file/resumable_upload", post(file::resumable_upload))
        .route("/file/create_blank_file", post(file::create_blank_file))
        .route("/file/{id}/copy", post(file::copy))
        .route("/file/{id}/copy_by_path", post(file::copy_by_path))
        .route("/file/{id}/new_version", post(file::new_version))
        .route("/file/{id}/new_version_v2", post(file::new_version))
        .route_layer(axum::middleware::from_fn_with_state(state, crate::idempotency::layer))
}

fn folder_routes() -> Router<AppState> {
    Router::new()
        .route("/folder/delete_batch", post(items::delete_batch::<true>))
        .route("/folder/delete_batch_from_trash", post(items::purge_batch::<true>))
        .route("/folder/restore_batch_from_trash", post(items::restore_batch::<true>))
        .route("/folder/move_batch", post(items::move_batch::<true>))
        .route("/folder/{id}/update", post(folder::update))
        .route("/folder/{id}/move", post(folder::move_to))
        .route("/folder/{id}/delete", post(folder::delete))
        .route("/folder/{id}/restore_from_trash", post(folder::restore))
        .route("/folder/{id}/delete_from_trash", post(folder::purge))
}

fn file_routes() -> Router<AppState> {
    Router::new()
        .route("/file/pack_download", post(file::pack_download))
        .route("/file/delete_batch", post(items::delete_batch::<false>))
        .route("/file/delete_batch_from_trash", post(items::purge_batch::<false>))
        .route("/file/restore_batch_from_trash", post(items::restore_batch::<false>))
        .route("/file/restore_from_trash", post(items::restore_batch::<false>))
        .route("/file/move_batch", post(items::move_batch::<false>))
        .route("/file/{id}/update", post(file::update))
        .route("/file/{id}/move", post(file::move_to))
        .route("/file/{id}/delete", post(file::delete))
        .route("/file/{id}/restore_from_trash", post(file::restore))
        .route("/file/{id}/delete_from_trash", post(file::purge))
        .route("/file/{id}/version/{version_id}/promote", post(file::promote_version))
        .route("/file/{id}/version/{version_id}/delete", post(file::delete_version))
}

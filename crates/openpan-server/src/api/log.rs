//! `/api/v2/admin/log/*` (enterprise token): the audit log. All POST with JSON bodies.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::audit::{TargetKind, action_name, human_size};
use openpan_core::services::{AuditPage, LogFilter, MAX_PAGE};
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, lenient_bool, lenient_i64};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ActionTypeQuery)]
pub struct ActionTypeArgs {
    /// The codes to name.
    #[serde(default)]
    action_types: Option<Vec<i64>>,
    /// Every code (also when `action_types` is empty).
    #[serde(default, deserialize_with = "lenient_bool")]
    is_all: Option<bool>,
}

/// The audit log's action codes and their names.
#[utoipa::path(post, path = "/admin/log/action_type_info", tag = "admin", request_body = Option<ActionTypeArgs>, responses((status = 200, body = wire::ActionTypes)))]
pub async fn action_type_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<ActionTypeArgs>,
) -> Result<Json<wire::ActionTypes>> {
    let codes = args.action_types.unwrap_or_default();
    // Without codes, the whole catalogue is what a caller can mean.
    let all = args.is_all.unwrap_or(false) || codes.is_empty();
    let types = state.core.action_types(&principal, &codes, all)?;
    Ok(Json(wire::ActionTypes {
        action_types: types
            .into_iter()
            .map(|(code, name)| (code.to_string(), name.to_owned()))
            .collect(),
    }))
}

/// A 1-based page and its size (25 unless given, at most 500) as `(offset, limit)`.
fn page(number: Option<i64>, size: Option<i64>, number_field: &str, size_field: &str) -> Result<(i64, i64)> {
    let number = number.unwrap_or(1).max(1);
    let size = size.unwrap_or(25);
    if !(1..=MAX_PAGE).contains(&size) {
        return Err(ApiError::field(size_field, "必须在1到500之间"));
    }
    let offset = (number - 1)
        .checked_mul(size)
        .ok_or_else(|| ApiError::field(number_field, "过大"))?;
    Ok((offset, size))
}

fn activities(page: &AuditPage) -> Vec<wire::UserActivity> {
    page.events
        .iter()
        .map(|stored| {
            let event = &stored.event;
            let operator = match event.operator {
                Some(id) => match page.users.get(id) {
                    Some(user) => wire::LogOperator {
                        user_name: user.name.clone(),
                        login: user.login().to_owned(),
                        id: id.0.to_string(),
                    },
                    None => wire::LogOperator {
                        user_name: String::new(),
                        login: String::new(),
                        id: id.0.to_string(),
                    },
                },
                None => wire::LogOperator {
                    user_name: String::new(),
                    login: String::new(),
                    id: String::new(),
                },
            };
            let size = match event.target_kind {
                TargetKind::File | TargetKind::Folder => event.target_size.map(human_size).unwrap_or_default(),
                _ => String::new(),
            };
            wire::UserActivity {
                created: event.created_at,
                action_type: wire::ActionTypeRef {
                    name: action_name(event.action).unwrap_or_default().to_owned(),
                    id: event.action.to_string(),
                },
                operator,
                target: wire::LogTarget {
                    target_file_name: event.target_name.clone(),
                    size,
                    id: event.target_id.to_string(),
                },
                additional_info: serde_json::from_str(&event.detail).unwrap_or(serde_json::Value::Null),
                platform: wire::LogPlatform {
                    service_name: event.origin.service.clone(),
                    ip_address: format!("IP:{}", event.origin.ip),
                },
            }
        })
        .collect()
}

/// The most values one filter list of `log_info` takes (each is a bound parameter).
const MAX_FILTER_IDS: usize = 1000;

/// A search of the audit log: a time range, filters (each up to 1000 values) and a page.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = LogSearch)]
pub struct LogInfoArgs {
    /// `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss`.
    #[schema(value_type = String, required, min_length = 1)]
    start_date: Option<String>,
    /// `yyyy-MM-dd` (the whole day) or `yyyy-MM-dd HH:mm:ss`.
    #[schema(value_type = String, required, min_length = 1)]
    end_date: Option<String>,
    /// 1-based.
    #[serde(default, deserialize_with = "lenient_i64")]
    page_number: Option<i64>,
    /// 1 to 500 (default 25).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1, maximum = 500)]
    page_size: Option<i64>,
    action_types: Option<Vec<i64>>,
    file_ids: Option<Vec<i64>>,
    folder_ids: Option<Vec<i64>>,
    review_ids: Option<Vec<i64>>,
    emails: Option<Vec<String>>,
    folder_collection_ids: Option<Vec<i64>>,
    department_ids: Option<Vec<i64>>,
    user_ids: Option<Vec<i64>>,
}

fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::field(field, "不能为空"))
}

/// Searches the audit log.
#[utoipa::path(post, path = "/admin/log/log_info", tag = "admin", request_body = LogInfoArgs, responses((status = 200, body = wire::LogInfo)))]
pub async fn log_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<LogInfoArgs>,
) -> Result<Json<wire::LogInfo>> {
    let start = required(&args.start_date, "start_date")?;
    let end = required(&args.end_date, "end_date")?;
    let page = page(args.page_number, args.page_size, "page_number", "page_size")?;
    for (field, len) in [
        ("action_types", args.action_types.as_ref().map_or(0, Vec::len)),
        ("user_ids", args.user_ids.as_ref().map_or(0, Vec::len)),
        ("emails", args.emails.as_ref().map_or(0, Vec::len)),
        ("file_ids", args.file_ids.as_ref().map_or(0, Vec::len)),
        ("folder_ids", args.folder_ids.as_ref().map_or(0, Vec::len)),
        ("department_ids", args.department_ids.as_ref().map_or(0, Vec::len)),
        ("review_ids", args.review_ids.as_ref().map_or(0, Vec::len)),
        (
            "folder_collection_ids",
            args.folder_collection_ids.as_ref().map_or(0, Vec::len),
        ),
    ] {
        if len > MAX_FILTER_IDS {
            return Err(ApiError::field(field, format!("最多{MAX_FILTER_IDS}个")));
        }
    }
    let filter = LogFilter {
        action_types: args.action_types.unwrap_or_default(),
        user_ids: args.user_ids.unwrap_or_default(),
        emails: args.emails.unwrap_or_default(),
        file_ids: args.file_ids.unwrap_or_default(),
        folder_ids: args.folder_ids.unwrap_or_default(),
        department_ids: args.department_ids.unwrap_or_default(),
        review_ids: args.review_ids.unwrap_or_default(),
        folder_collection_ids: args.folder_collection_ids.unwrap_or_default(),
    };
    let found = state.core.audit_events(&principal, start, end, filter, page).await?;
    Ok(Json(wire::LogInfo {
        total_count: found.total,
        user_activities: activities(&found),
        success: true,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = LogRange)]
pub struct LogListArgs {
    /// `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss`.
    #[schema(value_type = String, required, min_length = 1)]
    start_date: Option<String>,
    /// `yyyy-MM-dd` (the whole day) or `yyyy-MM-dd HH:mm:ss`.
    #[schema(value_type = String, required, min_length = 1)]
    end_date: Option<String>,
    /// 1-based.
    #[serde(default, deserialize_with = "lenient_i64")]
    page_id: Option<i64>,
    /// 1 to 500 (default 25).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1, maximum = 500)]
    page_capacity: Option<i64>,
}

/// The audit log's events in a time range, page by page.
#[utoipa::path(post, path = "/admin/log/log_list", tag = "admin", request_body = LogListArgs, responses((status = 200, body = wire::LogList)))]
pub async fn log_list(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<LogListArgs>,
) -> Result<Json<wire::LogList>> {
    let start = required(&args.start_date, "start_date")?;
    let end = required(&args.end_date, "end_date")?;
    let page = page(args.page_id, args.page_capacity, "page_id", "page_capacity")?;
    let found = state
        .core
        .audit_events(&principal, start, end, LogFilter::default(), page)
        .await?;
    Ok(Json(wire::LogList {
        user_activities: activities(&found),
        success: true,
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = LogDay)]
pub struct LogPageArgs {
    /// `yyyy-MM-dd`.
    #[schema(value_type = String, required, min_length = 1)]
    date: Option<String>,
    /// The 1-based page (the platform document's descriptions of the two fields are swapped).
    #[serde(default, deserialize_with = "lenient_i64")]
    pagination: Option<i64>,
    /// 1 to 500 (default 25).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 1, maximum = 500)]
    page_capacity: Option<i64>,
}

/// One day's audit events, page by page (the export form).
#[utoipa::path(post, path = "/admin/log/log_list_by_pagination", tag = "admin", request_body = LogPageArgs, responses((status = 200, body = wire::LogPage)))]
pub async fn log_list_by_pagination(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<LogPageArgs>,
) -> Result<Json<wire::LogPage>> {
    let date = required(&args.date, "date")?;
    let number = args.pagination.unwrap_or(1).max(1);
    let page = page(Some(number), args.page_capacity, "pagination", "page_capacity")?;
    let found = state
        .core
        .audit_events(&principal, date, date, LogFilter::default(), page)
        .await?;
    Ok(Json(wire::LogPage {
        pagination: number,
        user_activities: activities(&found),
        success: true,
    }))
}

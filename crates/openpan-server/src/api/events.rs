//! `/api/v2/events` (the event feed: pages, long-poll and server-sent events; `admin/events`
//! for enterprise tokens) and `/api/v2/admin/app/{id}/webhook*` (where delivery to an app's
//! callback address stands, its attempts, redelivery and key rotation).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::time::Instant;

use openpan_core::auth::Principal;
use openpan_core::ids::AppId;
use openpan_core::model::Page;
use openpan_core::services::{EventCursor, EventPage, WebhookChanges, WebhookView};
use openpan_core::webhook::{WebhookAttempt, WebhookStatus};
use openpan_types as wire;

use crate::AppState;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_bool, lenient_i64, lenient_string, string_list};

/// Events a page holds unless asked otherwise.
const DEFAULT_LIMIT: i64 = 100;
/// The longest a long-poll waits.
const MAX_WAIT_SECS: i64 = 60;
/// How often a waiting reader looks again for events other nodes recorded.
const POLL: Duration = Duration::from_secs(1);
/// How long one server-sent-events connection lasts; the client reconnects with
/// `Last-Event-ID` (so a revoked token stops reading within this).
const STREAM_SECS: u64 = 600;

/// Where a reader of the feed starts.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct CursorQuery {
    /// The `cursor` of the previous page (the last event read), or `now` for only what comes
    /// next; absent: from the start.
    #[param(pattern = "^([0-9]{1,18}|now)$")]
    cursor: Option<String>,
}

/// The events the caller may see, in the order they happened: a page after `cursor`, waiting
/// up to `wait` seconds for one when there is none yet (also at `admin/events` for enterprise
/// tokens; `Accept: text/event-stream` streams as `events/stream` does).
#[utoipa::path(get, path = "/events", tag = "events", params(
    CursorQuery,
    ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Events per page (default 100)"),
    ("wait" = Option<i64>, Query, minimum = 0, maximum = 60, description = "Seconds to wait for an event (default 0)"),
), responses((status = 200, body = wire::EventPage)))]
pub async fn feed(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    params: Params,
) -> Result<Response> {
    let streams = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"));
    if streams {
        return stream(State(state), Caller(principal), headers, params).await;
    }
    let cursor = cursor_of(&params, None)?;
    let limit = params.opt_i64("limit")?.unwrap_or(DEFAULT_LIMIT);
    let wait = params.opt_i64("wait")?.unwrap_or(0);
    if !(0..=MAX_WAIT_SECS).contains(&wait) {
        return Err(ApiError::field("wait", "应在0到60之间"));
    }
    let deadline = Instant::now() + Duration::from_secs(wait.unsigned_abs());
    let mut recorded = state.events.subscribe();
    let mut cursor = cursor;
    loop {
        recorded.mark_unchanged();
        let page = state.core.event_feed(&principal, cursor, limit).await?;
        let now = Instant::now();
        if !page.events.is_empty() || page.has_more || now >= deadline {
            return Ok(Json(page_of(page)).into_response());
        }
        // Nothing yet: wait from where this read stopped (past events the caller may not see).
        cursor = EventCursor::After(page.cursor);
        let _ = tokio::time::timeout((deadline - now).min(POLL), recorded.changed()).await;
    }
}

/// The feed as server-sent events from the `Last-Event-ID` header (a reconnect) or `cursor`,
/// each with the event's id, type and JSON; the connection ends after ten minutes and the
/// client reconnects (also at `admin/events/stream`).
#[utoipa::path(get, path = "/events/stream", tag = "events", params(CursorQuery),
    responses((status = 200, content_type = "text/event-stream", description = "Frames `id`, `event`, `data` (the event's JSON)")))]
pub async fn stream(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    params: Params,
) -> Result<Response> {
    let resume = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned);
    let cursor = cursor_of(&params, resume.as_deref())?;
    // The first read answers errors (a bad token's enterprise, a closed account) as errors.
    let first = state.core.event_feed(&principal, cursor, DEFAULT_LIMIT).await?;
    let reader = Reader {
        state: state.clone(),
        principal,
        recorded: state.events.subscribe(),
        first: Some(first),
        cursor: 0,
        ends: Instant::now() + Duration::from_secs(STREAM_SECS),
    };
    let events = futures_util::stream::unfold(reader, Reader::next)
        .flat_map(futures_util::stream::iter)
        .map(Ok::<_, Infallible>);
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

struct Reader {
    state: AppState,
    principal: Principal,
    recorded: tokio::sync::watch::Receiver<u64>,
    first: Option<EventPage>,
    cursor: i64,
    ends: Instant,
}

impl Reader {
    /// The next non-empty batch of frames, or `None` when the connection's time is up or the
    /// database failed (the client reconnects).
    async fn next(mut self) -> Option<(Vec<Event>, Self)> {
        loop {
            let page = match self.first.take() {
                Some(page) => page,
                None => {
                    if Instant::now() >= self.ends {
                        return None;
                    }
                    self.recorded.mark_unchanged();
                    match self
                        .state
                        .core
                        .event_feed(&self.principal, EventCursor::After(self.cursor), DEFAULT_LIMIT)
                        .await
                    {
                        Ok(page) => page,
                        Err(error) => {
                            tracing::warn!(?error, "an event stream stopped");
                            return None;
                        }
                    }
                }
            };
            self.cursor = page.cursor;
            if !page.events.is_empty() {
                let frames = page
                    .events
                    .iter()
                    .map(|event| {
                        Event::default()
                            .id(event.seq.to_string())
                            .event(event.event.as_str())
                            .data(event.to_json().to_string())
                    })
                    .collect();
                return Some((frames, self));
            }
            if !page.has_more {
                let left = self.ends.saturating_duration_since(Instant::now());
                let _ = tokio::time::timeout(left.min(POLL), self.recorded.changed()).await;
            }
        }
    }
}

/// The cursor to read from: `resume` (a reconnecting stream's `Last-Event-ID`, which
/// EventSource adds to the URL it first opened) over the `cursor` parameter.
fn cursor_of(params: &Params, resume: Option<&str>) -> Result<EventCursor> {
    match resume.or(params.opt_str("cursor")) {
        None => Ok(EventCursor::After(0)),
        Some(raw) => EventCursor::parse(raw).ok_or_else(|| ApiError::field("cursor", "应为事件id或now")),
    }
}

fn page_of(page: EventPage) -> wire::EventPage {
    wire::EventPage {
        events: page.events.iter().map(|event| event.to_json()).collect(),
        cursor: page.cursor.to_string(),
        has_more: page.has_more,
    }
}

pub(crate) fn webhook_of(view: WebhookView) -> wire::Webhook {
    // Without an address nothing is delivered, whatever the row last said.
    let hook = view.webhook.as_ref().filter(|_| view.app.callback_url.is_some());
    wire::Webhook {
        app_id: view.app.id.0,
        callback_url: view.app.callback_url.clone(),
        status: hook.map_or("none", |hook| hook.status.as_str()).to_owned(),
        disabled_reason: hook.and_then(|hook| hook.disabled_reason.clone()),
        events: view
            .webhook
            .as_ref()
            .map_or_else(|| vec!["*".to_owned()], |hook| hook.subscription.patterns().to_vec()),
        delivered_event_id: hook.map_or(view.latest_event, |hook| hook.cursor),
        latest_event_id: view.latest_event,
        failures: hook.map_or(0, |hook| hook.failures),
        failing_since: hook.and_then(|hook| hook.failing_since),
        next_attempt_at: hook
            .filter(|hook| hook.status == WebhookStatus::Active)
            .map(|hook| hook.next_attempt_at),
        key_generation: hook.map_or(0, |hook| hook.key_generation),
        previous_key_valid_until: hook.and_then(|hook| hook.previous_key_until),
    }
}

fn attempt_of(attempt: WebhookAttempt) -> wire::WebhookAttempt {
    wire::WebhookAttempt {
        id: attempt.id,
        event_id: attempt.seq,
        delivered: attempt.succeeded(),
        event: attempt.event,
        redelivery: attempt.redelivery,
        status_code: attempt.status_code,
        error: attempt.error,
        duration_ms: attempt.duration_ms,
        attempted_at: attempt.attempted_at,
    }
}

/// `GET admin/app/{id}/webhook`.
#[utoipa::path(get, path = "/admin/app/{id}/webhook", tag = "admin", responses((status = 200, body = wire::Webhook)))]
pub async fn webhook(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Webhook>> {
    let view = state.core.webhook_info(&principal, AppId(id)).await?;
    Ok(Json(webhook_of(view)))
}

/// What changes; what is absent stays as it was.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = WebhookUpdate)]
pub struct WebhookArgs {
    /// The event types to deliver (`*`, `file.*`, `file.uploaded` …), as an array or one
    /// comma-separated string.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    events: Option<serde_json::Value>,
    /// `active` or `disabled`.
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(pattern = "^(active|disabled)$")]
    status: Option<String>,
    /// On enabling: start from the newest event instead of delivering those missed.
    #[serde(default, deserialize_with = "lenient_bool")]
    skip_backlog: Option<bool>,
}

/// Changes which events an app's callback receives, or stops and restarts delivery.
#[utoipa::path(post, path = "/admin/app/{id}/webhook/update", tag = "admin", request_body = Option<WebhookArgs>, responses((status = 200, body = wire::Webhook)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<WebhookArgs>,
) -> Result<Json<wire::Webhook>> {
    // One comma-separated string or an array of patterns.
    let events = string_list("events", args.events)?.map(|patterns| patterns.join(","));
    let status = args
        .status
        .map(|raw| WebhookStatus::parse(&raw).ok_or_else(|| ApiError::field("status", "应为active或disabled")))
        .transpose()?;
    let changes = WebhookChanges {
        events,
        status,
        skip_backlog: args.skip_backlog.unwrap_or(false),
    };
    let view = state.core.update_webhook(&principal, AppId(id), changes).await?;
    Ok(Json(webhook_of(view)))
}

/// `GET admin/app/{id}/webhook/deliveries[?page_id&page_capacity]`.
#[utoipa::path(get, path = "/admin/app/{id}/webhook/deliveries", tag = "admin", params(crate::openapi::PageQuery), responses((status = 200, body = wire::WebhookAttemptPage)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    params: Params,
) -> Result<Json<wire::WebhookAttemptPage>> {
    let page = Page::parse(params.opt_i64("page_id")?, params.opt_i64("page_capacity")?)?;
    let (attempts, total) = state.core.webhook_attempts(&principal, AppId(id), page).await?;
    Ok(Json(wire::WebhookAttemptPage {
        deliveries: attempts.into_iter().map(attempt_of).collect(),
        total_count: total,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total),
    }))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = Redelivery)]
pub struct RedeliverArgs {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    event_id: Option<i64>,
}

/// Sends an event to the app's callback again, now.
#[utoipa::path(post, path = "/admin/app/{id}/webhook/redeliver", tag = "admin", request_body = RedeliverArgs, responses((status = 200, body = wire::WebhookAttempt)))]
pub async fn redeliver(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<RedeliverArgs>,
) -> Result<Json<wire::WebhookAttempt>> {
    let event = args.event_id.ok_or_else(|| ApiError::field("event_id", "不能为空"))?;
    let attempt = state.core.redeliver_event(&principal, AppId(id), event).await?;
    Ok(Json(attempt_of(attempt)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = WebhookKeyRotation)]
pub struct RotateArgs {
    /// Seconds the previous key keeps signing (default a day).
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(minimum = 0)]
    grace_period: Option<i64>,
}

/// Gives the app's webhooks a new signing key; both sign during the grace period.
#[utoipa::path(post, path = "/admin/app/{id}/webhook/rotate_key", tag = "admin", request_body = Option<RotateArgs>, responses((status = 200, body = wire::RotatedKey)))]
pub async fn rotate_key(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<RotateArgs>,
) -> Result<Json<wire::RotatedKey>> {
    rotated(&state, &principal, AppId(id), args.grace_period)
        .await
        .map(Json)
}

/// A key rotation's answer, for `/api/v2` and `/api/v1` alike.
pub(crate) async fn rotated(
    state: &AppState,
    principal: &Principal,
    app: AppId,
    grace: Option<i64>,
) -> Result<wire::RotatedKey> {
    let (notice_key, key_generation, previous_until) = state.core.rotate_notice_key(principal, app, grace).await?;
    Ok(wire::RotatedKey {
        app_id: app.0,
        notice_key,
        key_generation,
        previous_key_valid_until: previous_until,
    })
}

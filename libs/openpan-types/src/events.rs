//! The event feed (`/api/v2/events`) and webhook administration (`/api/v2/admin/app/{id}/webhook`).

use serde::{Deserialize, Serialize};

/// `GET events`: events after the cursor, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventPage {
    /// Each as webhooks send it: `id` (the cursor value after it), `event`, `enterprise_id`,
    /// `created_at`, `subject_id`, `target` (`type`, `id`, `name`), `operator_id`, `app_id`
    /// and `data` (what changed).
    pub events: Vec<serde_json::Value>,
    /// Pass as `cursor` to continue after this page (it moves past events the caller may not
    /// see, too).
    pub cursor: String,
    /// More events were waiting than this page held: read again at once.
    pub has_more: bool,
}

/// An app's webhook: where delivery of its enterprise's events stands.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    /// The app.
    pub app_id: i64,
    /// Where events are POSTed; null when the app has none (nothing is delivered).
    pub callback_url: Option<String>,
    /// `active`, `disabled`, or `none` (the app has no callback address: nothing is sent).
    pub status: String,
    /// Why it is disabled.
    pub disabled_reason: Option<String>,
    /// The event patterns it receives (`*`, `file.*`, `collab.invited` …).
    pub events: Vec<String>,
    /// The last event delivered (or passed over as not subscribed).
    pub delivered_event_id: i64,
    /// The enterprise's newest event.
    pub latest_event_id: i64,
    /// Failed attempts in a row at the next event.
    pub failures: i64,
    /// Since when the next event has been failing.
    pub failing_since: Option<i64>,
    /// When the next attempt is due (epoch seconds).
    pub next_attempt_at: Option<i64>,
    /// The signing key's generation (0 before any rotation).
    pub key_generation: i64,
    /// Until when the previous key signs too, after a rotation.
    pub previous_key_valid_until: Option<i64>,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    /// The attempt's id.
    pub id: i64,
    /// The event's id (also its `X-Openpan-Event-Id` header).
    pub event_id: i64,
    /// The event type.
    pub event: String,
    /// Asked for by an administrator, outside the ordered delivery.
    pub redelivery: bool,
    /// What the receiver answered; null when it did not answer.
    pub status_code: Option<u16>,
    /// Whether the receiver took it (answered 2xx).
    pub delivered: bool,
    /// Why not.
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: i64,
    /// When it was made (epoch seconds).
    pub attempted_at: i64,
}

/// `GET admin/app/{id}/webhook/deliveries`: newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookAttemptPage {
    /// This page's attempts.
    pub deliveries: Vec<WebhookAttempt>,
    /// Attempts in all (a month is kept).
    pub total_count: i64,
    /// The page, from 0.
    pub page_id: i64,
    /// Attempts per page.
    pub page_capacity: i64,
    /// Pages in all.
    pub page_count: i64,
}

/// A rotated signing key.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotatedKey {
    /// The app.
    pub app_id: i64,
    /// The new key, 64 hex characters (HMAC-SHA256).
    pub notice_key: String,
    /// The new key's generation.
    pub key_generation: i64,
    /// Until when messages are also signed with the previous key.
    pub previous_key_valid_until: i64,
}

/// `admin/enterprise/status`: the service and the enterprise at a glance, for the console's
/// status page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemStatus {
    /// The server's version.
    pub version: String,
    /// When the node that answered started (epoch seconds).
    pub started_at: i64,
    /// When this answer was made (epoch seconds).
    pub checked_at: i64,
    /// Each store the node depends on (`database`, the blob store, `redis` when configured).
    pub stores: Vec<StoreStatus>,
    /// The enterprise's people and space.
    pub enterprise: EnterpriseUsage,
    /// Each app's webhook queue.
    pub webhooks: Vec<AppWebhook>,
}

/// Whether a store answered, and how fast.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreStatus {
    /// `database`, `local`, `s3`, `redis`.
    pub name: String,
    /// Whether it answered within two seconds.
    pub healthy: bool,
    /// How long it took to answer (or to give up).
    pub latency_ms: i64,
}

/// An enterprise's people and space against its quota.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseUsage {
    /// Enterprise id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its accounts.
    pub user_count: i64,
    /// Bytes stored.
    pub space_used: i64,
    /// Bytes allowed; -1 for no limit.
    pub space_total: i64,
}

/// An app and where delivery of events to it stands.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppWebhook {
    /// The app's name.
    pub app_name: String,
    /// `active` or `disabled`.
    pub app_status: String,
    /// Its webhook.
    pub webhook: Webhook,
}

//! `EventRepo`: reading the event log, and the webhook rows that say where delivery to each
//! app stands, with their attempts.

use async_trait::async_trait;

use openpan_core::RepoError;
use openpan_core::audit::TargetKind;
use openpan_core::drive::Space;
use openpan_core::ids::{AppId, EnterpriseId, UserId};
use openpan_core::model::Page;
use openpan_core::ports::{EventRepo, RepoResult};
use openpan_core::webhook::{LoggedEvent, Subscription, Webhook, WebhookAttempt, WebhookStatus};

use crate::errors::other;
use crate::pool::{SqlRepo, exec, fetch, on_pool, scalar};

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    enterprise_id: i64,
    event_type: String,
    subject_id: i64,
    target_kind: i16,
    target_id: i64,
    target_name: String,
    space_kind: Option<i16>,
    space_id: Option<i64>,
    operator_id: Option<i64>,
    app_id: Option<i64>,
    payload: String,
    created_at: i64,
}

const EVENT_COLUMNS: &str = "seq, enterprise_id, event_type, subject_id, target_kind, target_id, target_name, \
     space_kind, space_id, operator_id, app_id, payload, created_at";

impl From<EventRow> for LoggedEvent {
    fn from(row: EventRow) -> Self {
        Self {
            seq: row.seq,
            enterprise_id: EnterpriseId(row.enterprise_id),
            event: row.event_type,
            subject_id: row.subject_id,
            target_kind: TargetKind::from_code(row.target_kind),
            target_id: row.target_id,
            target_name: row.target_name,
            space: row
                .space_kind
                .zip(row.space_id)
                .and_then(|(kind, id)| Space::from_parts(kind, id)),
            operator: row.operator_id.map(UserId),
            app: row.app_id.map(AppId),
            payload: row.payload,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    app_id: i64,
    enterprise_id: i64,
    events: String,
    status: String,
    disabled_reason: Option<String>,
    cursor: i64,
    failures: i64,
    failing_since: Option<i64>,
    next_attempt_at: i64,
    key_generation: i64,
    previous_key_until: Option<i64>,
    updated_at: i64,
}

const WEBHOOK_COLUMNS: &str = "app_id, enterprise_id, events, status, disabled_reason, cursor, failures, \
     failing_since, next_attempt_at, key_generation, previous_key_until, updated_at";

impl TryFrom<WebhookRow> for Webhook {
    type Error = RepoError;

    fn try_from(row: WebhookRow) -> Result<Self, RepoError> {
        let status = WebhookStatus::parse(&row.status).ok_or_else(|| {
            RepoError::Other(format!("webhook of app {} has status {:?}", row.app_id, row.status).into())
        })?;
        // A pattern this build does not know (written by a newer one) would otherwise stop
        // every delivery; it is kept as everything rather than nothing.
        let subscription = Subscription::parse(&row.events).unwrap_or_else(|_| Subscription::everything());
        Ok(Self {
            app_id: AppId(row.app_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            subscription,
            status,
            disabled_reason: row.disabled_reason,
            cursor: row.cursor,
            failures: row.failures,
            failing_since: row.failing_since,
            next_attempt_at: row.next_attempt_at,
            key_generation: row.key_generation,
            previous_key_until: row.previous_key_until,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    attempt_id: i64,
    app_id: i64,
    enterprise_id: i64,
    seq: i64,
    event_type: String,
    redelivery: bool,
    status_code: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
    attempted_at: i64,
}

const ATTEMPT_COLUMNS: &str =
    "attempt_id, app_id, enterprise_id, seq, event_type, redelivery, status_code, error, duration_ms, attempted_at";

impl From<AttemptRow> for WebhookAttempt {
    fn from(row: AttemptRow) -> Self {
        Self {
            id: row.attempt_id,
            app_id: AppId(row.app_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            seq: row.seq,
            event: row.event_type,
            redelivery: row.redelivery,
            status_code: row.status_code.and_then(|code| u16::try_from(code).ok()),
            error: row.error,
            duration_ms: row.duration_ms,
            attempted_at: row.attempted_at,
        }
    }
}

/// The enterprise's newest event, as a subquery on `app_webhook`'s row.
const LATEST_OF_ROW: &str =
    "(select coalesce(max(e.seq), 0) from event_log e where e.enterprise_id = app_webhook.enterprise_id)";

#[async_trait]
impl EventRepo for SqlRepo {
    async fn events_after(&self, enterprise: EnterpriseId, after: i64, limit: i64) -> RepoResult<Vec<LoggedEvent>> {
        let sql =
            format!("select {EVENT_COLUMNS} from event_log where enterprise_id = ? and seq > ? order by seq limit ?");
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(all EventRow, pool, builder, &sql, enterprise.0, after, limit).map_err(other)?;
            Ok(rows.into_iter().map(LoggedEvent::from).collect())
        })
    }

    async fn find_event(&self, enterprise: EnterpriseId, seq: i64) -> RepoResult<Option<LoggedEvent>> {
        let sql = format!("select {EVENT_COLUMNS} from event_log where enterprise_id = ? and seq = ?");
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(optional EventRow, pool, builder, &sql, enterprise.0, seq).map_err(other)?;
            Ok(row.map(LoggedEvent::from))
        })
    }

    async fn latest_event(&self, enterprise: EnterpriseId) -> RepoResult<i64> {
        on_pool!(self, read, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "select coalesce(max(seq), 0) from event_log where enterprise_id = ?",
                enterprise.0
            )
            .map_err(other)
        })
    }

    async fn find_webhook(&self, app: AppId) -> RepoResult<Option<Webhook>> {
        let sql = format!("select {WEBHOOK_COLUMNS} from app_webhook where app_id = ?");
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(optional WebhookRow, pool, builder, &sql, app.0).map_err(other)?;
            row.map(Webhook::try_from).transpose()
        })
    }

    async fn start_webhook(&self, app: AppId, enterprise: EnterpriseId, now: i64) -> RepoResult<Webhook> {
        let sql = format!(
            "insert into app_webhook (app_id, enterprise_id, events, status, cursor, failures, next_attempt_at, \
             key_generation, updated_at) \
             values (?, ?, '*', 'active', (select coalesce(max(seq), 0) from event_log where enterprise_id = ?), 0, 0, 0, ?) \
             on conflict (app_id) do update set cursor = excluded.cursor, \
             failures = 0, failing_since = null, next_attempt_at = 0, updated_at = excluded.updated_at \
             returning {WEBHOOK_COLUMNS}"
        );
        on_pool!(self, write, |pool, builder| {
            let row =
                fetch!(one WebhookRow, pool, builder, &sql, app.0, enterprise.0, enterprise.0, now).map_err(other)?;
            Webhook::try_from(row)
        })
    }

    async fn change_webhook(
        &self,
        app: AppId,
        subscription: Option<&Subscription>,
        status: Option<WebhookStatus>,
        skip_backlog: bool,
        now: i64,
    ) -> RepoResult<()> {
        let skip = format!(
            "update app_webhook set cursor = {LATEST_OF_ROW}, failures = 0, failing_since = null, \
             next_attempt_at = case when status = 'active' and failures = 0 then next_attempt_at else 0 end \
             where app_id = ?"
        );
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            if let Some(subscription) = subscription {
                exec!(
                    &mut *tx,
                    builder,
                    "update app_webhook set events = ?, updated_at = ? where app_id = ?",
                    subscription.as_string(),
                    now,
                    app.0
                )
                .map_err(other)?;
            }
            match status {
                Some(WebhookStatus::Active) => exec!(
                    &mut *tx,
                    builder,
                    // A running delivery's lease is kept; a disabled or waiting one is due now.
                    "update app_webhook set status = 'active', disabled_reason = null, failures = 0, \
                     failing_since = null, \
                     next_attempt_at = case when status = 'active' and failures = 0 then next_attempt_at else 0 end, \
                     updated_at = ? where app_id = ?",
                    now,
                    app.0
                ),
                Some(WebhookStatus::Disabled) => exec!(
                    &mut *tx,
                    builder,
                    "update app_webhook set status = 'disabled', disabled_reason = 'disabled by an administrator', \
                     updated_at = ? where app_id = ?",
                    now,
                    app.0
                ),
                None => Ok(Default::default()),
            }
            .map_err(other)?;
            if skip_backlog {
                exec!(&mut *tx, builder, &skip, app.0).map_err(other)?;
            }
            tx.commit().await.map_err(other)
        })
    }

    async fn rotate_webhook_key(
        &self,
        app: AppId,
        enterprise: EnterpriseId,
        previous_until: i64,
        now: i64,
    ) -> RepoResult<i64> {
        on_pool!(self, write, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "insert into app_webhook (app_id, enterprise_id, events, status, cursor, failures, next_attempt_at, \
                 key_generation, previous_key_until, updated_at) \
                 values (?, ?, '*', 'active', (select coalesce(max(seq), 0) from event_log where enterprise_id = ?), \
                 0, 0, 1, ?, ?) \
                 on conflict (app_id) do update set key_generation = app_webhook.key_generation + 1, \
                 previous_key_until = excluded.previous_key_until, updated_at = excluded.updated_at \
                 returning key_generation",
                app.0,
                enterprise.0,
                enterprise.0,
                previous_until,
                now
            )
            .map_err(other)
        })
    }

    async fn claim_due_webhooks(&self, now: i64, lease: i64, limit: i64) -> RepoResult<Vec<Webhook>> {
        // The outer conditions repeat the inner ones: PostgreSQL re-checks them on a row another
        // node updated meanwhile, so a webhook is held by one node at a time.
        let due = "select w.app_id from app_webhook w join app a on a.app_id = w.app_id \
             where w.status = 'active' and w.next_attempt_at <= ? and a.status = 'active' \
             and a.callback_url is not null \
             and exists (select 1 from event_log e where e.enterprise_id = w.enterprise_id and e.seq > w.cursor) \
             order by w.next_attempt_at limit ?";
        let claim = format!(
            "update app_webhook set next_attempt_at = ? where app_id in ({due}) \
             and status = 'active' and next_attempt_at <= ? returning {WEBHOOK_COLUMNS}"
        );
        // Every write of this node wakes the sender; looking on the read side first keeps an
        // installation with nothing due from queueing a write behind each of them.
        let any_due = on_pool!(self, read, |pool, builder| {
            fetch!(optional(i64,), pool, builder, due, now, 1).map_err(other)?
        });
        if any_due.is_none() {
            return Ok(Vec::new());
        }
        on_pool!(self, write, |pool, builder| {
            let rows = fetch!(all WebhookRow, pool, builder, &claim, now + lease, now, limit, now).map_err(other)?;
            rows.into_iter().map(Webhook::try_from).collect()
        })
    }

    async fn webhook_advanced(&self, app: AppId, seq: i64, hold_until: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update app_webhook set cursor = case when cursor < ? then ? else cursor end, failures = 0, \
                 failing_since = null, next_attempt_at = ? where app_id = ?",
                seq,
                seq,
                hold_until,
                app.0
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn webhook_failed(&self, app: AppId, now: i64, next_attempt_at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update app_webhook set failures = failures + 1, failing_since = coalesce(failing_since, ?), \
                 next_attempt_at = ? where app_id = ?",
                now,
                next_attempt_at,
                app.0
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn give_up_webhook(&self, app: AppId, reason: &str, event: &LoggedEvent) -> RepoResult<bool> {
        let (space_kind, space_id) = event.space.map(Space::to_parts).unzip();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let disabled = exec!(
                &mut *tx,
                builder,
                "update app_webhook set status = 'disabled', disabled_reason = ?, next_attempt_at = 0, updated_at = ? \
                 where app_id = ? and status = 'active'",
                reason,
                event.created_at,
                app.0
            )
            .map_err(other)?;
            if disabled.rows_affected() == 0 {
                return Ok(false);
            }
            crate::pool::insert_event_log!(
                tx,
                builder,
                event.enterprise_id.0,
                &event.event,
                event.subject_id,
                event.target_kind.map_or(0, TargetKind::code),
                event.target_id,
                &event.target_name,
                event.operator.map(|user| user.0),
                event.app.map(|app| app.0),
                &event.payload,
                event.created_at,
                space_kind,
                space_id
            );
            tx.commit().await.map_err(other)?;
            Ok(true)
        })
    }

    async fn release_webhook(&self, app: AppId, next_attempt_at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update app_webhook set next_attempt_at = ? where app_id = ?",
                next_attempt_at,
                app.0
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn record_webhook_attempt(&self, attempt: &WebhookAttempt) -> RepoResult<i64> {
        on_pool!(self, write, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "insert into webhook_attempt (app_id, enterprise_id, seq, event_type, redelivery, status_code, error, \
                 duration_ms, attempted_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning attempt_id",
                attempt.app_id.0,
                attempt.enterprise_id.0,
                attempt.seq,
                &attempt.event,
                attempt.redelivery,
                attempt.status_code.map(i64::from),
                attempt.error.as_deref(),
                attempt.duration_ms,
                attempt.attempted_at
            )
            .map_err(other)
        })
    }

    async fn list_webhook_attempts(&self, app: AppId, page: Page) -> RepoResult<(Vec<WebhookAttempt>, i64)> {
        let sql = format!(
            "select {ATTEMPT_COLUMNS} from webhook_attempt where app_id = ? order by attempt_id desc limit ? offset ?"
        );
        on_pool!(self, read, |pool, builder| {
            let rows =
                fetch!(all AttemptRow, pool, builder, &sql, app.0, page.capacity, page.offset()).map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                "select count(*) from webhook_attempt where app_id = ?",
                app.0
            )
            .map_err(other)?;
            Ok((rows.into_iter().map(WebhookAttempt::from).collect(), total))
        })
    }

    async fn purge_webhook_history(&self, before: i64, events_before: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let attempts = exec!(
                pool,
                builder,
                "delete from webhook_attempt where attempted_at < ?",
                before
            )
            .map_err(other)?;
            let events = exec!(
                pool,
                builder,
                "delete from event_log where created_at < ?",
                events_before
            )
            .map_err(other)?;
            Ok(attempts.rows_affected() + events.rows_affected())
        })
    }
}

//! Webhooks: each app with a callback address receives its enterprise's events in log order,
//! signed, at least once. Any node delivers; a lease on the app's webhook row keeps two from
//! delivering to the same app at once. A failing receiver holds its app's queue (so order
//! holds) and is retried with growing delays for a day, then the webhook is disabled and the
//! disabling is itself an event. Administrators see every attempt and may redeliver an event.

use std::time::Instant;

use futures_util::StreamExt;

use crate::audit::TargetKind;
use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::ids::AppId;
use crate::model::{App, AppStatus, Page};
use crate::notice::{MessageKind, NoticeSender, OutgoingNotice, retry_delay};
use crate::services::Core;
use crate::webhook::{
    DEFAULT_KEY_GRACE_SECS, GIVE_UP_AFTER_SECS, LEASE_SECS, LoggedEvent, MAX_KEY_GRACE_SECS, Subscription, Webhook,
    WebhookAttempt, WebhookStatus, signature_header,
};

/// Apps delivered to at once; each gets one message in flight, so one slow receiver holds
/// only its own queue. A pass claims no more than it runs at once: a claimed webhook waiting
/// for its turn would let its lease lapse and another node deliver to it meanwhile.
const CONCURRENCY: usize = 8;
const BATCH: i64 = CONCURRENCY as i64;
/// Events one turn reads for one app.
const EVENTS_PER_TURN: i64 = 100;
/// How long attempts stay listable, and events readable from the feed.
const KEEP_SECS: i64 = 30 * 24 * 3600;

/// What an administrator may change about a webhook.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    /// Comma-separated event patterns.
    pub events: Option<String>,
    pub status: Option<WebhookStatus>,
    /// Start from the latest event instead of delivering what piled up meanwhile.
    pub skip_backlog: bool,
}

/// An app's webhook as administrators see it.
#[derive(Debug, Clone)]
pub struct WebhookView {
    pub app: App,
    /// None until the app has had a callback address or a key rotation.
    pub webhook: Option<Webhook>,
    /// The enterprise's newest event, to show how far behind delivery is.
    pub latest_event: i64,
}

impl Core {
    /// The key of `generation` an app's notices, events and redirects are signed with; the
    /// first generation is the key apps had before keys rotated.
    fn signing_key(&self, app: AppId, generation: i64) -> [u8; 32] {
        if generation == 0 {
            self.key.party_key("notice", app.0)
        } else {
            self.key.party_key(&format!("notice.{generation}"), app.0)
        }
    }

    fn keys_of(&self, app: AppId, webhook: Option<&Webhook>) -> Vec<[u8; 32]> {
        let now = self.clock.now();
        let Some(webhook) = webhook else {
            return vec![self.signing_key(app, 0)];
        };
        let mut keys = vec![self.signing_key(app, webhook.key_generation)];
        if webhook.key_generation > 0 && webhook.previous_key_until.is_some_and(|until| until > now) {
            keys.push(self.signing_key(app, webhook.key_generation - 1));
        }
        keys
    }

    /// The keys that sign an app's messages now: the current one first, then the previous
    /// one while its grace lasts.
    pub(crate) async fn signing_keys(&self, app: AppId) -> Result<Vec<[u8; 32]>> {
        let webhook = self.repo.find_webhook(app).await?;
        Ok(self.keys_of(app, webhook.as_ref()))
    }

    /// An app was given a callback address: it receives events from now on.
    pub(crate) async fn start_webhook(&self, app: &App) -> Result<()> {
        self.repo
            .start_webhook(app.id, app.enterprise_id, self.clock.now())
            .await?;
        self.wake_event_readers();
        Ok(())
    }

    /// Stores `url` as the callback address of `app` (as it is stored now). A newly given
    /// address receives what happens from now on: its cursor moves to the newest event before
    /// the address is stored, so no sender can deliver the backlog in between.
    pub(crate) async fn change_callback_url(&self, app: &App, url: Option<&str>) -> Result<()> {
        if app.callback_url.is_none() && url.is_some() {
            self.start_webhook(app).await?;
        }
        self.repo
            .update_app_callback_url(app.id, url)
            .await
            .map_err(crate::error::gone(|| Error::not_found(crate::NotFoundKind::App)))
    }

    /// Delivers what is due to every webhook; how many events were delivered. Receivers'
    /// failures are recorded and retried later; only the database failing fails the pass.
    pub async fn deliver_webhooks(&self) -> Result<usize> {
        let Some(settings) = self.notices.clone() else {
            return Ok(0);
        };
        let mut delivered = 0;
        loop {
            let due = self
                .repo
                .claim_due_webhooks(self.clock.now(), LEASE_SECS, BATCH)
                .await?;
            let claimed = due.len();
            let turns: Vec<Result<(usize, bool)>> = futures_util::stream::iter(due)
                .map(|webhook| self.delivery_turn(settings.sender.as_ref(), webhook))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let mut more = false;
            for turn in turns {
                let (sent, left_some) = turn?;
                delivered += sent;
                more |= left_some;
            }
            // Webhooks whose turn ended with events still waiting go again at once rather than
            // at the next poll, so a backlog drains at the receiver's pace.
            if claimed < BATCH as usize && !more {
                return Ok(delivered);
            }
        }
    }

    /// One claimed webhook: its next events, in order, until one fails or the turn's share
    /// is sent. Returns how many were delivered and whether the turn left events waiting.
    async fn delivery_turn(&self, sender: &dyn NoticeSender, webhook: Webhook) -> Result<(usize, bool)> {
        let app = self.repo.find_app(webhook.app_id).await?;
        let url = app
            .filter(|app| app.status == AppStatus::Active)
            .and_then(|app| app.callback_url);
        let Some(url) = url else {
            self.repo.release_webhook(webhook.app_id, self.clock.now()).await?;
            return Ok((0, false));
        };
        let keys = self.keys_of(webhook.app_id, Some(&webhook));
        let events = self
            .repo
            .events_after(webhook.enterprise_id, webhook.cursor, EVENTS_PER_TURN)
            .await?;
        let full = events.len() as i64 == EVENTS_PER_TURN;
        let mut passed = webhook.cursor;
        let mut delivered = 0;
        for event in events {
            if !webhook.subscription.matches(&event.event) {
                passed = event.seq;
                continue;
            }
            let attempt = self.send_event(sender, &webhook, &keys, &url, &event, false).await?;
            let now = self.clock.now();
            if attempt.succeeded() {
                passed = event.seq;
                delivered += 1;
                self.repo
                    .webhook_advanced(webhook.app_id, passed, now + LEASE_SECS)
                    .await?;
                continue;
            }
            let failing_since = if passed > webhook.cursor {
                // Events were passed in this turn: the failures counted belonged to them.
                self.repo.webhook_advanced(webhook.app_id, passed, now).await?;
                now
            } else {
                webhook.failing_since.unwrap_or(now)
            };
            let failures = if passed > webhook.cursor {
                1
            } else {
                webhook.failures + 1
            };
            if now - failing_since >= GIVE_UP_AFTER_SECS {
                self.give_up(&webhook, &event, &attempt).await?;
            } else {
                self.repo
                    .webhook_failed(webhook.app_id, now, now + retry_delay(failures))
                    .await?;
            }
            return Ok((delivered, false));
        }
        self.repo
            .webhook_advanced(webhook.app_id, passed, self.clock.now())
            .await?;
        Ok((delivered, full))
    }

    /// Disables a webhook that has failed for a day, and logs that as an event of its own
    /// (which the enterprise's other webhooks and its administrators' feed receive).
    async fn give_up(&self, webhook: &Webhook, event: &LoggedEvent, attempt: &WebhookAttempt) -> Result<()> {
        let app = self.repo.find_app(webhook.app_id).await?;
        let reason = format!(
            "delivery failed for {} hours: {}",
            GIVE_UP_AFTER_SECS / 3600,
            attempt.error.as_deref().unwrap_or("no answer")
        );
        let now = self.clock.now();
        let disabled = LoggedEvent {
            seq: 0,
            enterprise_id: webhook.enterprise_id,
            event: "webhook.disabled".to_owned(),
            subject_id: webhook.app_id.0,
            target_kind: Some(TargetKind::App),
            target_id: webhook.app_id.0,
            target_name: app.map(|app| app.name).unwrap_or_default(),
            space: None,
            operator: None,
            app: None,
            payload: serde_json::json!({
                "reason": reason,
                "failing_since": webhook.failing_since,
                "undelivered_event_id": event.seq,
                "last_status_code": attempt.status_code,
            })
            .to_string(),
            created_at: now,
        };
        if self.repo.give_up_webhook(webhook.app_id, &reason, &disabled).await? {
            tracing::warn!(app = webhook.app_id.0, %reason, "a webhook was disabled");
            self.wake_event_readers();
        }
        Ok(())
    }

    /// Sends one event and records the attempt.
    async fn send_event(
        &self,
        sender: &dyn NoticeSender,
        webhook: &Webhook,
        keys: &[[u8; 32]],
        url: &str,
        event: &LoggedEvent,
        redelivery: bool,
    ) -> Result<WebhookAttempt> {
        let body = event.to_json().to_string();
        let timestamp = self.clock.now();
        let signature = signature_header(keys, timestamp, &body);
        let outgoing = OutgoingNotice {
            url,
            kind: MessageKind::Event,
            id: event.seq,
            event: &event.event,
            timestamp,
            signature: &signature,
            body: &body,
        };
        let started = Instant::now();
        let sent = sender.send(&outgoing).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error) = match sent {
            Ok(status) => (Some(status), None),
            Err(failure) => (failure.status, Some(failure.reason)),
        };
        if let Some(error) = &error {
            tracing::info!(app = webhook.app_id.0, event = event.seq, %error, "an event was not delivered");
        }
        let mut attempt = WebhookAttempt {
            id: 0,
            app_id: webhook.app_id,
            enterprise_id: webhook.enterprise_id,
            seq: event.seq,
            event: event.event.clone(),
            redelivery,
            status_code,
            error,
            duration_ms,
            attempted_at: timestamp,
        };
        attempt.id = self.repo.record_webhook_attempt(&attempt).await?;
        Ok(attempt)
    }

    /// An app's webhook (administrators).
    pub async fn webhook_info(&self, principal: &Principal, app_id: AppId) -> Result<WebhookView> {
        let app = self.administered_app(principal, app_id).await?;
        let webhook = self.repo.find_webhook(app.id).await?;
        let latest_event = self.repo.latest_event(app.enterprise_id).await?;
        Ok(WebhookView {
            app,
            webhook,
            latest_event,
        })
    }

    /// Changes what an app's webhook receives, or enables/disables it (administrators).
    pub async fn update_webhook(
        &self,
        principal: &Principal,
        app_id: AppId,
        changes: WebhookChanges,
    ) -> Result<WebhookView> {
        let app = self.administered_app(principal, app_id).await?;
        let subscription = changes
            .events
            .as_deref()
            .map(|raw| {
                Subscription::parse(raw).map_err(|pattern| {
                    if pattern.is_empty() {
                        Error::invalid("events", "不能为空")
                    } else {
                        Error::invalid("events", format!("未知的事件类型: {pattern}"))
                    }
                })
            })
            .transpose()?;
        if app.callback_url.is_none() {
            return Err(Error::invalid("callback_url", "应用未设置回调地址"));
        }
        if self.repo.find_webhook(app.id).await?.is_none() {
            self.start_webhook(&app).await?;
        }
        self.repo
            .change_webhook(
                app.id,
                subscription.as_ref(),
                changes.status,
                changes.skip_backlog,
                self.clock.now(),
            )
            .await?;
        self.wake_event_readers();
        self.webhook_info(principal, app_id).await
    }

    /// The delivery attempts to an app's callback address, newest first (administrators).
    pub async fn webhook_attempts(
        &self,
        principal: &Principal,
        app_id: AppId,
        page: Page,
    ) -> Result<(Vec<WebhookAttempt>, i64)> {
        let app = self.administered_app(principal, app_id).await?;
        Ok(self.repo.list_webhook_attempts(app.id, page).await?)
    }

    /// Sends one event of the log again, now, outside the ordered delivery (administrators);
    /// the attempt is recorded like any other. Works on a disabled webhook too, so an
    /// administrator can check a repaired receiver before enabling it again.
    pub async fn redeliver_event(&self, principal: &Principal, app_id: AppId, seq: i64) -> Result<WebhookAttempt> {
        let app = self.administered_app(principal, app_id).await?;
        let event = self
            .repo
            .find_event(app.enterprise_id, seq)
            .await?
            .ok_or_else(|| Error::invalid("event_id", "事件不存在"))?;
        let Some(url) = app.callback_url.clone() else {
            return Err(Error::invalid("callback_url", "应用未设置回调地址"));
        };
        let Some(settings) = self.notices.clone() else {
            return Err(Error::Unavailable("sending is not configured".into()));
        };
        let webhook = match self.repo.find_webhook(app.id).await? {
            Some(webhook) => webhook,
            None => {
                self.start_webhook(&app).await?;
                self.repo
                    .find_webhook(app.id)
                    .await?
                    .ok_or_else(|| Error::internal("a started webhook went away"))?
            }
        };
        let keys = self.keys_of(app.id, Some(&webhook));
        self.send_event(settings.sender.as_ref(), &webhook, &keys, &url, &event, true)
            .await
    }

    /// Moves an app to a new signing key (administrators); the previous key keeps signing too
    /// for `grace_secs` (default a day), so receivers can switch without missing a message.
    /// Returns the new key (hex), its generation and until when the previous one signs.
    pub async fn rotate_notice_key(
        &self,
        principal: &Principal,
        app_id: AppId,
        grace_secs: Option<i64>,
    ) -> Result<(String, i64, i64)> {
        let app = self.administered_app(principal, app_id).await?;
        let grace = grace_secs.unwrap_or(DEFAULT_KEY_GRACE_SECS);
        if !(0..=MAX_KEY_GRACE_SECS).contains(&grace) {
            return Err(Error::invalid("grace_period", "应在0到2592000秒之间"));
        }
        let now = self.clock.now();
        let generation = self
            .repo
            .rotate_webhook_key(app.id, app.enterprise_id, now + grace, now)
            .await?;
        Ok((
            hex::encode(self.signing_key(app.id, generation)),
            generation,
            now + grace,
        ))
    }

    /// Removes delivery attempts and event-log entries older than a month.
    pub async fn purge_webhook_history(&self) -> Result<u64> {
        let before = self.clock.now() - KEEP_SECS;
        Ok(self.repo.purge_webhook_history(before, before).await?)
    }
}

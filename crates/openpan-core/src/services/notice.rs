//! Notices to apps' callback addresses: recording them, delivering the due ones (any node may;
//! a lease keeps two from sending the same one), retrying with growing delays, and showing keys
//! and delivery records to administrators.

use std::sync::Arc;

use futures_util::StreamExt;

use crate::auth::Principal;
use crate::error::{Error, NotFoundKind, Result};
use crate::ids::{AppId, EnterpriseId};
use crate::model::{App, AppStatus, Page};
use crate::notice::{
    LEASE_SECS, MAX_ATTEMPTS, MessageKind, Notice, NoticeSender, NoticeStatus, OutgoingNotice, retry_delay,
};
use crate::services::Core;
use crate::webhook::signature_header;

/// Notices one delivery pass claims at most.
const BATCH: i64 = 32;
/// Notices sent at once.
const CONCURRENCY: usize = 8;
/// How long delivered and given-up notices stay listable.
const KEEP_SECS: i64 = 30 * 24 * 3600;

/// How notices leave, and how a node learns it has new ones to send.
#[derive(Clone)]
pub struct NoticeSettings {
    pub sender: Arc<dyn NoticeSender>,
    /// Called when this node records a notice, so its sender wakes without waiting for its
    /// next poll.
    pub wake: Arc<dyn Fn() + Send + Sync>,
    /// Called when this node records events (or a webhook becomes due), so the webhook sender
    /// and event-feed readers wake; kept apart from `wake` so ordinary writes do not stir the
    /// notice sender.
    pub events_recorded: Arc<dyn Fn() + Send + Sync>,
}

impl Core {
    /// Configures how notices leave; without it they stay recorded and pending.
    pub fn with_notices(mut self, settings: NoticeSettings) -> Self {
        self.notices = Some(Arc::new(settings));
        self
    }

    /// Tells this node's notice sender that a notice was recorded.
    fn wake_notices(&self) {
        if let Some(settings) = &self.notices {
            (settings.wake)();
        }
    }

    /// Tells this node's webhook sender and event-feed readers that events were recorded or a
    /// webhook became due.
    pub(crate) fn wake_event_readers(&self) {
        if let Some(settings) = &self.notices {
            (settings.events_recorded)();
        }
    }

    /// `account/notice_key` (administrators): an app's current notice key, hex.
    pub async fn notice_key(&self, principal: &Principal, app_id: AppId) -> Result<String> {
        let app = self.administered_app(principal, app_id).await?;
        let keys = self.signing_keys(app.id).await?;
        Ok(hex::encode(keys[0]))
    }

    /// An app of the enterprise the caller administers.
    pub(crate) async fn administered_app(&self, principal: &Principal, app_id: AppId) -> Result<App> {
        let enterprise_id = self.administered(principal).await?;
        let app = self.repo.find_app(app_id).await?;
        let app = app
            .filter(|app| app.enterprise_id == enterprise_id && app.status != AppStatus::Deleted && !app.is_console())
            .ok_or(Error::not_found(NotFoundKind::App))?;
        // Notices and webhooks carry the enterprise's events, and their keys sign messages to
        // the app: a partial administrator needs the audit scope and an app within its own.
        super::apps::check_delegation(principal, app.allowed_scopes)?;
        super::apps::check_event_access(principal)?;
        Ok(app)
    }

    /// Records a notice of `event` for `app`, with `data` as the body's `data`.
    pub(crate) async fn queue_notice(
        &self,
        enterprise_id: EnterpriseId,
        app: AppId,
        event: &str,
        data: serde_json::Value,
    ) -> Result<i64> {
        let now = self.clock.now();
        let body = serde_json::json!({
            "event": event,
            "app_id": app.0,
            "enterprise_id": enterprise_id.0,
            "created_at": now,
            "data": data,
        });
        let id = self
            .repo
            .create_notice(&Notice {
                id: 0,
                enterprise_id,
                app_id: app,
                event: event.to_owned(),
                body: body.to_string(),
                status: NoticeStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                created_at: now,
                delivered_at: None,
            })
            .await?;
        self.wake_notices();
        Ok(id)
    }

    /// Sends the notices that are due; how many were delivered. Failures are recorded on each
    /// notice and retried later; only the database failing fails the pass.
    pub async fn deliver_due_notices(&self) -> Result<usize> {
        let Some(settings) = self.notices.clone() else {
            return Ok(0);
        };
        let mut delivered = 0;
        loop {
            let now = self.clock.now();
            let due = self.repo.claim_due_notices(now, LEASE_SECS, BATCH).await?;
            let claimed = due.len();
            let outcomes: Vec<Result<bool>> = futures_util::stream::iter(due)
                .map(|notice| self.attempt(settings.sender.as_ref(), notice))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for outcome in outcomes {
                delivered += usize::from(outcome?);
            }
            if claimed < BATCH as usize {
                return Ok(delivered);
            }
        }
    }

    /// One attempt at one claimed notice; whether it was delivered.
    async fn attempt(&self, sender: &dyn NoticeSender, notice: Notice) -> Result<bool> {
        let app = self.repo.find_app(notice.app_id).await?;
        let url = app
            .as_ref()
            .filter(|app| app.status == AppStatus::Active)
            .and_then(|app| app.callback_url.clone());
        let sent = match &url {
            // Read at each attempt, so a corrected address is used by the retries.
            Some(url) => {
                let timestamp = self.clock.now();
                let signature = signature_header(&self.signing_keys(notice.app_id).await?, timestamp, &notice.body);
                let outgoing = OutgoingNotice {
                    url,
                    kind: MessageKind::Notice,
                    id: notice.id,
                    event: &notice.event,
                    timestamp,
                    signature: &signature,
                    body: &notice.body,
                };
                sender.send(&outgoing).await.map_err(|failure| failure.reason)
            }
            None => Err("the app has no callback address or is not active".to_owned()),
        };
        let now = self.clock.now();
        match sent {
            Ok(_) => {
                self.repo
                    .finish_notice_attempt(notice.id, NoticeStatus::Delivered, now, None, Some(now))
                    .await?;
                Ok(true)
            }
            Err(error) => {
                let status = if notice.attempts >= MAX_ATTEMPTS {
                    NoticeStatus::Failed
                } else {
                    NoticeStatus::Pending
                };
                tracing::info!(notice = notice.id, attempts = notice.attempts, %error, "a notice was not delivered");
                let next = now + retry_delay(notice.attempts);
                self.repo
                    .finish_notice_attempt(notice.id, status, next, Some(&error), None)
                    .await?;
                Ok(false)
            }
        }
    }

    /// `account/list_notices` (administrators): the enterprise's notices, one app's with `app`.
    pub async fn list_notices(
        &self,
        principal: &Principal,
        app: Option<AppId>,
        page: Page,
    ) -> Result<(Vec<Notice>, i64)> {
        let enterprise_id = self.administered(principal).await?;
        if let Some(app) = app {
            self.administered_app(principal, app).await?;
        }
        Ok(self.repo.list_notices(enterprise_id, app, page).await?)
    }

    /// Removes delivered and given-up notices older than a month, and form upload tokens expired
    /// `grace_secs` ago.
    pub async fn purge_notices_and_form_uploads(&self, grace_secs: i64) -> Result<u64> {
        let now = self.clock.now();
        let notices = self.repo.purge_notices(now - KEEP_SECS).await?;
        let forms = self.repo.purge_form_uploads(now - grace_secs).await?;
        Ok(notices + forms)
    }
}

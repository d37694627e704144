//! The audit log: announcing the event of each write ([`Core::audited`]) and the
//! administrator's queries (`admin/log/*`).

use std::future::Future;

use crate::clock::platform_zone;
use jiff::civil::Date;

use crate::audit::{self, AuditEvent, FeedEntry, StoredEvent, TargetKind};
use crate::auth::Principal;
use crate::drive::{Item, ItemKind, Space};
use crate::error::{Error, Refusal, Result};
use crate::ids::{AppId, EnterpriseId, UserId};
use crate::ports::AuditQuery;
use crate::services::{Core, Users};

/// How far back the log APIs reach.
pub const QUERY_WINDOW_DAYS: i64 = 90;
/// The most events one page holds.
pub const MAX_PAGE: i64 = 500;

/// What a service tells the audit log about one write.
#[derive(Debug, Clone)]
pub(crate) struct Audit {
    pub action: i32,
    pub target_kind: TargetKind,
    /// 0 for what the write creates (the repository fills it in).
    pub target_id: i64,
    pub target_name: String,
    pub target_size: Option<i64>,
    pub department_id: Option<i64>,
    pub detail: serde_json::Value,
    /// An event-log type of its own (else [`audit::feed_event`] names it from the action).
    pub feed: Option<(&'static str, i64)>,
    /// The space of the file or folder it is about.
    pub space: Option<Space>,
}

impl Audit {
    pub(crate) fn new(action: i32, target_kind: TargetKind, target_id: i64, target_name: &str) -> Self {
        Self {
            action,
            target_kind,
            target_id,
            target_name: target_name.to_owned(),
            target_size: None,
            department_id: None,
            detail: serde_json::Value::Object(Default::default()),
            feed: None,
            space: None,
        }
    }

    /// Also logs the change as `event` about `subject_id` (0: what the write creates).
    pub(crate) fn feed(mut self, event: &'static str, subject_id: i64) -> Self {
        self.feed = Some((event, subject_id));
        self
    }

    /// About a file or folder (its size, and its department when in a department's space).
    pub(crate) fn item(action: i32, item: &Item) -> Self {
        let kind = match item.kind {
            ItemKind::File => TargetKind::File,
            ItemKind::Folder => TargetKind::Folder,
        };
        let mut audit = Self::new(action, kind, item.id.0, &item.name);
        audit.target_size = Some(item.size);
        audit.space = Some(item.space);
        if let Space::Department(department) = item.space {
            audit.department_id = Some(department.0);
        }
        audit
    }

    pub(crate) fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if let serde_json::Value::Object(map) = &mut self.detail {
            map.insert(key.to_owned(), value.into());
        }
        self
    }
}

/// The events of one query page, with the users they name.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<StoredEvent>,
    pub total: i64,
    pub users: Users,
}

/// `log_info`'s filters, as the request gives them.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub action_types: Vec<i64>,
    pub user_ids: Vec<i64>,
    pub emails: Vec<String>,
    pub file_ids: Vec<i64>,
    pub folder_ids: Vec<i64>,
    pub department_ids: Vec<i64>,
    /// Reviews and folder collections: none exist yet, so asking for any matches nothing.
    pub review_ids: Vec<i64>,
    pub folder_collection_ids: Vec<i64>,
}

fn parse_day(field: &str, raw: &str) -> Result<Date> {
    raw.trim()
        .parse::<Date>()
        .map_err(|_| Error::invalid(field, "格式必须是yyyy-MM-dd"))
}

/// Epoch seconds at the start of `day` in the platform's zone.
fn day_start(day: Date) -> Result<i64> {
    day.to_zoned(platform_zone())
        .map(|zoned| zoned.timestamp().as_second())
        .map_err(|_| Error::invalid("date", "超出范围"))
}

impl Core {
    /// Runs `write` with its event announced, so the repository records the event in the
    /// write's own transaction; a write that fails records nothing.
    pub(crate) async fn audited<T, E>(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        audit: Audit,
        write: impl Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        self.audited_as(enterprise_id, principal.operator(), principal.app_id(), audit, write)
            .await
    }

    /// [`Core::audited`] for a write whose actor is known without a principal (the bytes
    /// arriving at an upload URL, which is its own credential).
    pub(crate) async fn audited_as<T, E>(
        &self,
        enterprise_id: EnterpriseId,
        operator: Option<UserId>,
        app: Option<AppId>,
        audit: Audit,
        write: impl Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        self.audited_all(enterprise_id, operator, app, vec![audit], write).await
    }

    /// [`Core::audited`] for a write that makes several changes at once, one event each.
    pub(crate) async fn audited_each<T, E>(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        audits: Vec<Audit>,
        write: impl Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        self.audited_all(enterprise_id, principal.operator(), principal.app_id(), audits, write)
            .await
    }

    async fn audited_all<T, E>(
        &self,
        enterprise_id: EnterpriseId,
        operator: Option<UserId>,
        app: Option<AppId>,
        audits: Vec<Audit>,
        write: impl Future<Output = std::result::Result<T, E>>,
    ) -> std::result::Result<T, E> {
        let action = audits.first().map_or(0, |audit| audit.action);
        let mut feeds = false;
        for audit in audits {
            let feed = match audit.feed {
                Some((event, subject_id)) => Some((event, subject_id)),
                None => audit::feed_event(audit.action, audit.target_kind).map(|event| (event, audit.target_id)),
            }
            .map(|(event, subject_id)| FeedEntry {
                event,
                subject_id,
                space: audit.space,
            });
            feeds |= feed.is_some();
            audit::announce(AuditEvent {
                enterprise_id,
                action: audit.action,
                operator,
                app,
                target_kind: audit.target_kind,
                target_id: audit.target_id,
                target_name: audit.target_name,
                target_size: audit.target_size,
                department_id: audit.department_id,
                detail: audit.detail.to_string(),
                origin: Default::default(),
                created_at: self.clock.now(),
                feed,
            });
        }
        let result = write.await;
        if feeds && result.is_ok() {
            self.wake_event_readers();
        }
        let unwritten = audit::pending_count();
        if unwritten > 0 {
            audit::discard_pending();
            if result.is_ok() {
                tracing::error!(action, "a write committed without recording its audit event");
                debug_assert!(false, "action {action}: the write committed without its audit event");
            }
        }
        result
    }

    /// Records the event of a change that writes nothing else (a download, a login).
    pub(crate) async fn record_event(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        audit: Audit,
    ) -> Result<()> {
        self.audited(principal, enterprise_id, audit, self.repo.flush_audit())
            .await
            .map_err(Error::from)
    }

    /// `admin/log/action_type_info`: names of the asked codes, or of all of them.
    pub fn action_types(&self, principal: &Principal, codes: &[i64], all: bool) -> Result<Vec<(i32, &'static str)>> {
        principal.administered_enterprise()?;
        Ok(audit::catalogue()
            .iter()
            .copied()
            .filter(|(code, _)| all || codes.contains(&i64::from(*code)))
            .collect())
    }

    /// `[from, to)` in epoch seconds for `start_date..=end_date`, which must lie within the
    /// last 90 days (today included) and be in order.
    fn log_window(&self, start: &str, end: &str) -> Result<(i64, i64)> {
        let start = parse_day("start_date", start)?;
        let end = parse_day("end_date", end)?;
        let today = jiff::Timestamp::from_second(self.clock.now())
            .map_err(|_| Error::internal("the clock is out of range"))?
            .to_zoned(platform_zone())
            .date();
        let earliest = today
            .checked_sub(jiff::Span::new().days(QUERY_WINDOW_DAYS))
            .map_err(|_| Error::internal("the clock is out of range"))?;
        if start < earliest || end > today || start > end {
            return Err(Error::Refused(Refusal::TimestampRangeInvalid));
        }
        let next = end
            .tomorrow()
            .map_err(|_| Error::Refused(Refusal::TimestampRangeInvalid))?;
        Ok((day_start(start)?, day_start(next)?))
    }

    /// `admin/log/log_info` (and the list forms): matching events of the caller's enterprise
    /// between two days, oldest first.
    pub async fn audit_events(
        &self,
        principal: &Principal,
        start_date: &str,
        end_date: &str,
        filter: LogFilter,
        page: (i64, i64),
    ) -> Result<AuditPage> {
        let enterprise_id = principal.administered_enterprise()?;
        let (from, to) = self.log_window(start_date, end_date)?;
        let (offset, limit) = page;
        if !filter.folder_collection_ids.is_empty() {
            return Ok(AuditPage {
                events: Vec::new(),
                total: 0,
                users: Users::default(),
            });
        }
        let mut operators: Vec<UserId> = filter.user_ids.iter().map(|id| UserId(*id)).collect();
        for email in &filter.emails {
            // An address nobody here has still narrows the query: to nothing, not to everyone.
            match self.repo.find_user_by_login(enterprise_id, email.trim()).await? {
                Some(user) => operators.push(user.id),
                None => operators.push(UserId(0)),
            }
        }
        let actions = filter
            .action_types
            .iter()
            .map(|code| i32::try_from(*code).map_err(|_| Error::invalid("action_types", "无效")))
            .collect::<Result<Vec<_>>>()?;
        let query = AuditQuery {
            enterprise_id,
            from,
            to,
            actions,
            operators,
            files: filter.file_ids,
            folders: filter.folder_ids,
            reviews: filter.review_ids,
            departments: filter.department_ids,
            offset,
            limit,
        };
        let (events, total) = self.repo.list_audit_events(&query).await?;
        let users = self
            .users_by_id(events.iter().filter_map(|stored| stored.event.operator).collect())
            .await?;
        Ok(AuditPage { events, total, users })
    }

    /// Removes events past the retention period; the collector calls it.
    pub async fn purge_audit_events(&self, retention_days: i64) -> Result<u64> {
        let before = self.clock.now() - retention_days.saturating_mul(86_400);
        Ok(self.repo.purge_audit_events(before).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_china() {
        let day: Date = "2026-11-23".parse().unwrap();
        // 2026-11-22T16:00:00Z
        assert_eq!(day_start(day).unwrap(), 1_795_363_200);
    }
}

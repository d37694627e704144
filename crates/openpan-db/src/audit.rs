//! `AuditRepo`: reading the audit log, and writing the events of changes that are not writes.
//! Events of writes go in with the write's own transaction (`commit!`).

use async_trait::async_trait;

use openpan_core::audit::{AuditEvent, Origin, StoredEvent, TargetKind};
use openpan_core::ids::{AppId, EnterpriseId, UserId};
use openpan_core::ports::{AuditQuery, AuditRepo, RepoResult};

use crate::errors::other;
use crate::pool::{SqlRepo, commit, dialect, exec, on_pool};

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    event_id: i64,
    enterprise_id: i64,
    action: i64,
    operator_id: Option<i64>,
    app_id: Option<i64>,
    target_kind: i16,
    target_id: i64,
    target_name: String,
    target_size: Option<i64>,
    department_id: Option<i64>,
    detail: String,
    ip: String,
    user_agent: String,
    service: String,
    created_at: i64,
}

impl From<EventRow> for StoredEvent {
    fn from(row: EventRow) -> Self {
        StoredEvent {
            id: row.event_id,
            event: AuditEvent {
                enterprise_id: EnterpriseId(row.enterprise_id),
                action: i32::try_from(row.action).unwrap_or_default(),
                operator: row.operator_id.map(UserId),
                app: row.app_id.map(AppId),
                target_kind: TargetKind::from_code(row.target_kind).unwrap_or(TargetKind::Enterprise),
                target_id: row.target_id,
                target_name: row.target_name,
                target_size: row.target_size,
                department_id: row.department_id,
                detail: row.detail,
                origin: Origin {
                    ip: row.ip,
                    user_agent: row.user_agent,
                    service: row.service,
                },
                created_at: row.created_at,
                feed: None,
            },
        }
    }
}

/// `column in (?, ?, …)` for a non-empty list, with its values.
fn any_of(column: &str, values: &[i64], conditions: &mut Vec<String>, binds: &mut Vec<i64>) {
    if values.is_empty() {
        return;
    }
    conditions.push(format!("{column} in ({})", crate::pool::marks(values.len())));
    binds.extend_from_slice(values);
}

#[async_trait]
impl AuditRepo for SqlRepo {
    async fn flush_audit(&self) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            commit!(tx, builder)
        })
    }

    async fn list_audit_events(&self, query: &AuditQuery) -> RepoResult<(Vec<StoredEvent>, i64)> {
        let mut conditions = vec![
            "enterprise_id = ?".to_owned(),
            "created_at >= ?".to_owned(),
            "created_at < ?".to_owned(),
        ];
        let mut binds = vec![query.enterprise_id.0, query.from, query.to];
        let actions: Vec<i64> = query.actions.iter().map(|&action| i64::from(action)).collect();
        any_of("action", &actions, &mut conditions, &mut binds);
        let operators: Vec<i64> = query.operators.iter().map(|user| user.0).collect();
        any_of("operator_id", &operators, &mut conditions, &mut binds);
        // Files, folders and reviews: a filter on any matches its kind only.
        if !query.files.is_empty() || !query.folders.is_empty() || !query.reviews.is_empty() {
            let mut either = Vec::new();
            for (kind, ids) in [
                (TargetKind::File, &query.files),
                (TargetKind::Folder, &query.folders),
                (TargetKind::Review, &query.reviews),
            ] {
                if !ids.is_empty() {
                    either.push(format!(
                        "(target_kind = {} and target_id in ({}))",
                        kind.code(),
                        crate::pool::marks(ids.len())
                    ));
                    binds.extend_from_slice(ids);
                }
            }
            conditions.push(format!("({})", either.join(" or ")));
        }
        any_of("department_id", &query.departments, &mut conditions, &mut binds);
        let filter = conditions.join(" and ");
        let list = format!(
            "select event_id, enterprise_id, action, operator_id, app_id, target_kind, target_id, target_name, \
             target_size, department_id, detail, ip, user_agent, service, created_at from audit_event \
             where {filter} order by created_at, event_id limit ? offset ?"
        );
        let count = format!("select count(*) from audit_event where {filter}");
        on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &list);
            let mut rows = sqlx::query_as::<_, EventRow>(&sql);
            for value in &binds {
                rows = rows.bind(*value);
            }
            let rows = rows
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(pool)
                .await
                .map_err(other)?;
            let sql = dialect(&builder(), &count);
            let mut total = sqlx::query_scalar::<_, i64>(&sql);
            for value in &binds {
                total = total.bind(*value);
            }
            let total = total.fetch_one(pool).await.map_err(other)?;
            Ok((rows.into_iter().map(StoredEvent::from).collect(), total))
        })
    }

    async fn purge_audit_events(&self, before: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            exec!(pool, builder, "delete from audit_event where created_at < ?", before)
                .map(|done| done.rows_affected())
                .map_err(other)
        })
    }
}

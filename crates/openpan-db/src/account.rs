//! `AccountRepo`: the `/api/v1` account module's records — an enterprise's paid-until moment,
//! its app instances, and the app settings its authentication configuration edits.

use async_trait::async_trait;
use sea_query::{Expr, Order, Query};
use sea_query_binder::SqlxBinder;

use openpan_core::error::ConflictKind;
use openpan_core::ids::{AppId, EnterpriseId};
use openpan_core::model;
use openpan_core::ports::{AccountRepo, AppInstanceRecord, RepoResult};

use crate::errors::{classify, other};
use crate::pool::{SqlRepo, exec, fetch, on_pool};
use crate::repo::{APP_COLUMNS, AppRow};
use crate::schema::{App, Enterprise};

#[derive(sqlx::FromRow)]
struct InstanceRow {
    enterprise_id: i64,
    app: String,
    name: String,
    api_url: Option<String>,
    created_at: i64,
}

impl From<InstanceRow> for AppInstanceRecord {
    fn from(row: InstanceRow) -> Self {
        Self {
            enterprise_id: EnterpriseId(row.enterprise_id),
            app: row.app,
            name: row.name,
            api_url: row.api_url,
            created_at: row.created_at,
        }
    }
}

#[async_trait]
impl AccountRepo for SqlRepo {
    async fn set_paid_until(&self, enterprise: EnterpriseId, until: Option<i64>) -> RepoResult<()> {
        let update = Query::update()
            .table(Enterprise::Table)
            .value(Enterprise::PaidUntil, until)
            .and_where(Expr::col(Enterprise::EnterpriseId).eq(enterprise.0))
            .to_owned();
        self.update_and_bump(update).await
    }

    async fn list_app_instances(&self, enterprise: EnterpriseId) -> RepoResult<Vec<AppInstanceRecord>> {
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(
                all InstanceRow,
                pool,
                builder,
                "select enterprise_id, app, name, api_url, created_at from app_instance \
                 where enterprise_id = ? order by app, name",
                enterprise.0
            )
            .map_err(other)?;
            Ok(rows.into_iter().map(AppInstanceRecord::from).collect())
        })
    }

    async fn create_app_instance(&self, instance: &AppInstanceRecord) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into app_instance (enterprise_id, app, name, api_url, created_at) values (?, ?, ?, ?, ?)",
                instance.enterprise_id.0,
                &instance.app,
                &instance.name,
                instance.api_url.as_deref(),
                instance.created_at
            )
            .map_err(|err| classify(err, Some(ConflictKind::AppInstance)))?;
            Ok(())
        })
    }

    async fn delete_app_instance(&self, enterprise: EnterpriseId, app: &str, name: &str) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let deleted = exec!(
                pool,
                builder,
                "delete from app_instance where enterprise_id = ? and app = ? and name = ?",
                enterprise.0,
                app,
                name
            )
            .map_err(other)?;
            Ok(deleted.rows_affected() > 0)
        })
    }

    async fn list_apps(&self, enterprise: EnterpriseId) -> RepoResult<Vec<model::App>> {
        let query = Query::select()
            .columns(APP_COLUMNS)
            .from(App::Table)
            .and_where(Expr::col(App::EnterpriseId).eq(enterprise.0))
            .and_where(Expr::col(App::Status).ne(model::AppStatus::Deleted.as_str()))
            .order_by(App::AppId, Order::Asc)
            .to_owned();
        let rows: Vec<AppRow> = on_pool!(self, read, |pool, builder| {
            let (sql, values) = query.build_sqlx(builder());
            sqlx::query_as_with(&sql, values).fetch_all(pool).await.map_err(other)
        })?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    async fn update_app_callback_url(&self, id: AppId, url: Option<&str>) -> RepoResult<()> {
        let update = Query::update()
            .table(App::Table)
            .value(App::CallbackUrl, url.map(str::to_owned))
            .and_where(Expr::col(App::AppId).eq(id.0))
            .to_owned();
        self.update_and_bump(update).await
    }
}

//! `FormUploadRepo`, `NoticeRepo` and `ConversionRepo`: browser form upload tokens, the notices
//! apps are sent at their callback addresses with their delivery records, and conversion results
//! (the `/api/v1/file` module's records).

use async_trait::async_trait;

use openpan_core::RepoError;
use openpan_core::convert::{Conversion, ConversionTarget};
use openpan_core::ids::{AppId, EnterpriseId, ItemId, UserId};
use openpan_core::model::Page;
use openpan_core::notice::{Notice, NoticeStatus};
use openpan_core::ports::{
    ConversionRepo, FormUpload, FormUploadRepo, FormUploadStatus, NameClash, NoticeRepo, RepoResult,
};

use crate::errors::other;
use crate::pool::{SqlRepo, exec, fetch, on_pool, scalar};

const OPEN: i16 = 0;
const RECEIVING: i16 = 1;
const DONE: i16 = 2;

#[derive(sqlx::FromRow)]
struct FormUploadRow {
    token_hash: Vec<u8>,
    enterprise_id: i64,
    user_id: i64,
    app_id: i64,
    folder_id: i64,
    redirect_url: Option<String>,
    notify: bool,
    state: Option<String>,
    on_conflict: String,
    status: i16,
    file_id: Option<i64>,
    expires_at: i64,
    created_at: i64,
}

impl TryFrom<FormUploadRow> for FormUpload {
    type Error = RepoError;

    fn try_from(row: FormUploadRow) -> Result<Self, RepoError> {
        let status = match row.status {
            OPEN => FormUploadStatus::Open,
            RECEIVING => FormUploadStatus::Receiving,
            DONE => FormUploadStatus::Done,
            other => return Err(RepoError::Other(format!("form upload with status {other}").into())),
        };
        let on_conflict = NameClash::parse(&row.on_conflict)
            .ok_or_else(|| RepoError::Other(format!("form upload with on_conflict {:?}", row.on_conflict).into()))?;
        Ok(Self {
            token_hash: row.token_hash,
            enterprise_id: EnterpriseId(row.enterprise_id),
            user_id: UserId(row.user_id),
            app_id: AppId(row.app_id),
            folder_id: ItemId(row.folder_id),
            redirect_url: row.redirect_url,
            notify: row.notify,
            state: row.state,
            on_conflict,
            status,
            file_id: row.file_id.map(ItemId),
            expires_at: row.expires_at,
            created_at: row.created_at,
        })
    }
}

#[async_trait]
impl FormUploadRepo for SqlRepo {
    async fn create_form_upload(&self, upload: &FormUpload) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into form_upload (token_hash, enterprise_id, user_id, app_id, folder_id, redirect_url, \
                 notify, state, on_conflict, status, file_id, expires_at, created_at) \
                 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &upload.token_hash,
                upload.enterprise_id.0,
                upload.user_id.0,
                upload.app_id.0,
                upload.folder_id.0,
                upload.redirect_url.as_deref(),
                upload.notify,
                upload.state.as_deref(),
                upload.on_conflict.as_str(),
                OPEN,
                Option::<i64>::None,
                upload.expires_at,
                upload.created_at
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn find_form_upload(&self, token_hash: &[u8]) -> RepoResult<Option<FormUpload>> {
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(
                optional FormUploadRow,
                pool,
                builder,
                "select token_hash, enterprise_id, user_id, app_id, folder_id, redirect_url, notify, state, \
                 on_conflict, status, file_id, expires_at, created_at from form_upload where token_hash = ?",
                token_hash
            )
            .map_err(other)?;
            row.map(FormUpload::try_from).transpose()
        })
    }

    async fn claim_form_upload(&self, token_hash: &[u8], now: i64) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(
                pool,
                builder,
                "update form_upload set status = ? where token_hash = ? and status = ? and expires_at > ?",
                RECEIVING,
                token_hash,
                OPEN,
                now
            )
            .map_err(other)?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn release_form_upload(&self, token_hash: &[u8]) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update form_upload set status = ? where token_hash = ? and status = ?",
                OPEN,
                token_hash,
                RECEIVING
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn finish_form_upload(&self, token_hash: &[u8], file_id: Option<ItemId>) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update form_upload set status = ?, file_id = ? where token_hash = ?",
                DONE,
                file_id.map(|id| id.0),
                token_hash
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn purge_form_uploads(&self, before: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(pool, builder, "delete from form_upload where expires_at < ?", before).map_err(other)?;
            Ok(done.rows_affected())
        })
    }
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    notice_id: i64,
    enterprise_id: i64,
    app_id: i64,
    event: String,
    body: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    created_at: i64,
    delivered_at: Option<i64>,
}

impl TryFrom<NoticeRow> for Notice {
    type Error = RepoError;

    fn try_from(row: NoticeRow) -> Result<Self, RepoError> {
        let status = NoticeStatus::parse(&row.status)
            .ok_or_else(|| RepoError::Other(format!("notice {} has status {:?}", row.notice_id, row.status).into()))?;
        Ok(Self {
            id: row.notice_id,
            enterprise_id: EnterpriseId(row.enterprise_id),
            app_id: AppId(row.app_id),
            event: row.event,
            body: row.body,
            status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
        })
    }
}

const NOTICE_COLUMNS: &str = "notice_id, enterprise_id, app_id, event, body, status, attempts, next_attempt_at, last_error, created_at, \
     delivered_at";

fn notices(rows: Vec<NoticeRow>) -> RepoResult<Vec<Notice>> {
    rows.into_iter().map(Notice::try_from).collect()
}

#[async_trait]
impl NoticeRepo for SqlRepo {
    async fn create_notice(&self, notice: &Notice) -> RepoResult<i64> {
        on_pool!(self, write, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "insert into app_notice (enterprise_id, app_id, event, body, status, attempts, next_attempt_at, \
                 last_error, created_at, delivered_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning notice_id",
                notice.enterprise_id.0,
                notice.app_id.0,
                &notice.event,
                &notice.body,
                notice.status.as_str(),
                notice.attempts,
                notice.next_attempt_at,
                notice.last_error.as_deref(),
                notice.created_at,
                notice.delivered_at
            )
            .map_err(other)
        })
    }

    async fn claim_due_notices(&self, now: i64, lease: i64, limit: i64) -> RepoResult<Vec<Notice>> {
        // The outer conditions repeat the inner ones: PostgreSQL re-checks them on a row another
        // node updated meanwhile, so a notice is claimed by one node only.
        let claim = format!(
            "update app_notice set attempts = attempts + 1, next_attempt_at = ? \
             where notice_id in (select notice_id from app_notice where status = 'pending' and next_attempt_at <= ? \
             order by next_attempt_at limit ?) and status = 'pending' and next_attempt_at <= ? \
             returning {NOTICE_COLUMNS}"
        );
        on_pool!(self, write, |pool, builder| {
            let rows = fetch!(all NoticeRow, pool, builder, &claim, now + lease, now, limit, now).map_err(other)?;
            notices(rows)
        })
    }

    async fn finish_notice_attempt(
        &self,
        id: i64,
        status: NoticeStatus,
        next_attempt_at: i64,
        error: Option<&str>,
        delivered_at: Option<i64>,
    ) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update app_notice set status = ?, next_attempt_at = ?, last_error = ?, delivered_at = ? \
                 where notice_id = ?",
                status.as_str(),
                next_attempt_at,
                error,
                delivered_at,
                id
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn list_notices(
        &self,
        enterprise: EnterpriseId,
        app: Option<AppId>,
        page: Page,
    ) -> RepoResult<(Vec<Notice>, i64)> {
        // `app_id = 0` matches no app: ids start at 1.
        let (app_id, all_apps) = (app.map_or(0, |app| app.0), app.is_none());
        let list = format!(
            "select {NOTICE_COLUMNS} from app_notice where enterprise_id = ? and (app_id = ? or ?) \
             order by notice_id desc limit ? offset ?"
        );
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(
                all NoticeRow,
                pool,
                builder,
                &list,
                enterprise.0,
                app_id,
                all_apps,
                page.capacity,
                page.offset()
            )
            .map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                "select count(*) from app_notice where enterprise_id = ? and (app_id = ? or ?)",
                enterprise.0,
                app_id,
                all_apps
            )
            .map_err(other)?;
            Ok((notices(rows)?, total))
        })
    }

    async fn purge_notices(&self, before: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(
                pool,
                builder,
                "delete from app_notice where status <> 'pending' and created_at < ?",
                before
            )
            .map_err(other)?;
            Ok(done.rows_affected())
        })
    }
}

#[derive(sqlx::FromRow)]
struct ConversionRow {
    conversion_id: i64,
    source_key: String,
    source_kind: String,
    target: String,
    storage_key: String,
    size: i64,
    sha1: String,
    truncated: bool,
    created_at: i64,
    last_used_at: i64,
}

impl TryFrom<ConversionRow> for Conversion {
    type Error = RepoError;

    fn try_from(row: ConversionRow) -> Result<Self, RepoError> {
        let target = ConversionTarget::parse(&row.target).ok_or_else(|| {
            RepoError::Other(format!("conversion {} has target {:?}", row.conversion_id, row.target).into())
        })?;
        Ok(Self {
            id: row.conversion_id,
            source_key: row.source_key,
            source_kind: row.source_kind,
            target,
            storage_key: row.storage_key,
            size: row.size,
            sha1: row.sha1,
            truncated: row.truncated,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        })
    }
}

const CONVERSION_COLUMNS: &str =
    "conversion_id, source_key, source_kind, target, storage_key, size, sha1, truncated, created_at, last_used_at";

#[async_trait]
impl ConversionRepo for SqlRepo {
    async fn use_conversion(
        &self,
        source_key: &str,
        source_kind: &str,
        target: ConversionTarget,
        now: i64,
    ) -> RepoResult<Option<Conversion>> {
        let touch = format!(
            "update conversion set last_used_at = ? where source_key = ? and source_kind = ? and target = ? \
             returning {CONVERSION_COLUMNS}"
        );
        on_pool!(self, write, |pool, builder| {
            let row = fetch!(
                optional ConversionRow,
                pool,
                builder,
                &touch,
                now,
                source_key,
                source_kind,
                target.as_str()
            )
            .map_err(other)?;
            row.map(Conversion::try_from).transpose()
        })
    }

    async fn create_conversion(&self, conversion: &Conversion) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(
                pool,
                builder,
                "insert into conversion (source_key, source_kind, target, storage_key, size, sha1, truncated, \
                 created_at, last_used_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 on conflict (source_key, source_kind, target) do nothing",
                &conversion.source_key,
                &conversion.source_kind,
                conversion.target.as_str(),
                &conversion.storage_key,
                conversion.size,
                &conversion.sha1,
                conversion.truncated,
                conversion.created_at,
                conversion.last_used_at
            )
            .map_err(other)?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn find_conversion(&self, id: i64) -> RepoResult<Option<Conversion>> {
        let select = format!("select {CONVERSION_COLUMNS} from conversion where conversion_id = ?");
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(optional ConversionRow, pool, builder, &select, id).map_err(other)?;
            row.map(Conversion::try_from).transpose()
        })
    }

    async fn purge_conversions(&self, before: i64) -> RepoResult<Vec<String>> {
        on_pool!(self, write, |pool, builder| {
            let keys = fetch!(
                all(String,),
                pool,
                builder,
                "delete from conversion where last_used_at < ? returning storage_key",
                before
            )
            .map_err(other)?;
            Ok(keys.into_iter().map(|(key,)| key).collect())
        })
    }
}

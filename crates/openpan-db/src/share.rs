//! `ShareRepo`: share links and the wrong-password guard.

use async_trait::async_trait;
use openpan_core::RepoError;
use openpan_core::drive::ItemKind;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{EnterpriseId, ItemId, ShareLinkId, UserId};
use openpan_core::model::Page;
use openpan_core::ports::{RepoResult, ShareRepo};
use openpan_core::share::{NewShareLink, ShareAccess, ShareLink, ShareLinkChanges};

use crate::errors::{classify, other};
use crate::pool::{SqlRepo, commit, exec, fetch, hold_live_item, on_pool, scalar};

#[derive(sqlx::FromRow)]
struct ShareLinkRow {
    share_link_id: i64,
    enterprise_id: i64,
    item_id: i64,
    is_folder: bool,
    unique_name: String,
    access: String,
    password_hash: Option<Vec<u8>>,
    expires_at: Option<i64>,
    disable_download: bool,
    created_by: i64,
    created_at: i64,
    modified_at: i64,
    revoked_at: Option<i64>,
    view_count: i64,
    download_count: i64,
}

impl TryFrom<ShareLinkRow> for ShareLink {
    type Error = RepoError;

    fn try_from(row: ShareLinkRow) -> Result<Self, RepoError> {
        Ok(ShareLink {
            id: ShareLinkId(row.share_link_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            item_id: ItemId(row.item_id),
            item_kind: if row.is_folder {
                ItemKind::Folder
            } else {
                ItemKind::File
            },
            unique_name: row.unique_name,
            access: ShareAccess::parse(&row.access).ok_or_else(|| {
                RepoError::Other(format!("share link {} has access {:?}", row.share_link_id, row.access).into())
            })?,
            password_hash: row.password_hash,
            expires_at: row.expires_at,
            disable_download: row.disable_download,
            created_by: UserId(row.created_by),
            created_at: row.created_at,
            modified_at: row.modified_at,
            revoked: row.revoked_at.is_some(),
            view_count: row.view_count,
            download_count: row.download_count,
        })
    }
}

const LINK_SELECT: &str = "select s.share_link_id, s.enterprise_id, s.item_id, i.is_folder, s.unique_name, s.access, \
     s.password_hash, s.expires_at, s.disable_download, s.created_by, s.created_at, s.modified_at, s.revoked_at, \
     s.view_count, s.download_count from share_link s join item i on i.item_id = s.item_id";

impl SqlRepo {
    async fn one_link(&self, filter: &str, value: LinkKey<'_>) -> RepoResult<Option<ShareLink>> {
        let select = format!("{LINK_SELECT} where {filter}");
        let row = on_pool!(self, read, |pool, builder| {
            match value {
                LinkKey::Name(name) => fetch!(optional ShareLinkRow, pool, builder, &select, name),
                LinkKey::Id(id) => fetch!(optional ShareLinkRow, pool, builder, &select, id),
            }
            .map_err(other)
        })?;
        row.map(ShareLink::try_from).transpose()
    }
}

#[derive(Clone, Copy)]
enum LinkKey<'a> {
    Name(&'a str),
    Id(i64),
}

#[async_trait]
impl ShareRepo for SqlRepo {
    async fn create_share_link(&self, new: &NewShareLink) -> RepoResult<ShareLink> {
        let id = on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // The item must still be live; held so it cannot be purged under the new link.
            hold_live_item!(tx, builder, new.item_id.0, "", " for share");
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into share_link (enterprise_id, item_id, unique_name, access, password_hash, expires_at, \
                 disable_download, created_by, created_at, modified_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 returning share_link_id",
                new.enterprise_id.0,
                new.item_id.0,
                &new.unique_name,
                new.access.as_str(),
                &new.password_hash,
                new.expires_at,
                new.disable_download,
                new.created_by.0,
                new.at,
                new.at
            )
            .map_err(|err| match &err {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => RepoError::NotFound,
                _ => classify(err, Some(ConflictKind::ShareLinkName)),
            })?;
            commit!(tx, builder, Some(id))?;
            Ok::<i64, RepoError>(id)
        })?;
        self.find_share_link_by_id(ShareLinkId(id))
            .await?
            .ok_or(RepoError::NotFound)
    }

    async fn find_share_link(&self, unique_name: &str) -> RepoResult<Option<ShareLink>> {
        self.one_link("s.unique_name = ?", LinkKey::Name(unique_name)).await
    }

    async fn find_share_link_by_id(&self, id: ShareLinkId) -> RepoResult<Option<ShareLink>> {
        self.one_link("s.share_link_id = ?", LinkKey::Id(id.0)).await
    }

    async fn update_share_link(&self, id: ShareLinkId, changes: &ShareLinkChanges, at: i64) -> RepoResult<ShareLink> {
        let (set_expiry, expires_at) = match changes.expires_at {
            None => (false, None),
            Some(value) => (true, value),
        };
        let (set_password, password_hash) = match &changes.password_hash {
            None => (false, None),
            Some(value) => (true, value.clone()),
        };
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let updated = exec!(
                &mut *tx,
                builder,
                "update share_link set access = coalesce(?, access), \
                 expires_at = case when ? then ? else expires_at end, \
                 disable_download = coalesce(?, disable_download), \
                 password_hash = case when ? then ? else password_hash end, modified_at = ? \
                 where share_link_id = ? and revoked_at is null",
                changes.access.map(ShareAccess::as_str),
                set_expiry,
                expires_at,
                changes.disable_download,
                set_password,
                password_hash,
                at,
                id.0
            )
            .map_err(other)?;
            if updated.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            commit!(tx, builder)
        })?;
        self.find_share_link_by_id(id).await?.ok_or(RepoError::NotFound)
    }

    async fn revoke_share_link(&self, id: ShareLinkId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let revoked = exec!(
                &mut *tx,
                builder,
                "update share_link set revoked_at = ?, modified_at = ? where share_link_id = ? and revoked_at is null",
                at,
                at,
                id.0
            )
            .map_err(other)?;
            if revoked.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            commit!(tx, builder)
        })
    }

    async fn list_share_links(
        &self,
        item: ItemId,
        creator: Option<UserId>,
        page: Page,
    ) -> RepoResult<(Vec<ShareLink>, i64)> {
        let filter = "s.item_id = ? and s.revoked_at is null and (? or s.created_by = ?)";
        let select = format!("{LINK_SELECT} where {filter} order by s.share_link_id desc limit ? offset ?");
        let count = format!("select count(*) from share_link s where {filter}");
        let any = creator.is_none();
        let creator = creator.map_or(0, |user| user.0);
        let (rows, total) = on_pool!(self, read, |pool, builder| {
            let rows = fetch!(
                all ShareLinkRow,
                pool,
                builder,
                &select,
                item.0,
                any,
                creator,
                page.capacity,
                page.offset()
            )
            .map_err(other)?;
            let total = scalar!(i64, pool, builder, &count, item.0, any, creator).map_err(other)?;
            Ok::<_, RepoError>((rows, total))
        })?;
        let links = rows
            .into_iter()
            .map(ShareLink::try_from)
            .collect::<RepoResult<Vec<_>>>()?;
        Ok((links, total))
    }

    async fn count_share_use(&self, id: ShareLinkId, download: bool) -> RepoResult<()> {
        let statement = if download {
            "update share_link set download_count = download_count + 1 where share_link_id = ?"
        } else {
            "update share_link set view_count = view_count + 1 where share_link_id = ?"
        };
        on_pool!(self, write, |pool, builder| {
            exec!(pool, builder, statement, id.0).map_err(other)?;
            Ok(())
        })
    }

    async fn reserve_password_attempt(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
        threshold: i64,
        lock: i64,
    ) -> RepoResult<Option<i64>> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let mut refused_until: Option<i64> = None;
            for key in keys {
                exec!(
                    &mut *tx,
                    builder,
                    "insert into password_guard (guard_key, failures, window_start) values (?, 0, ?) \
                     on conflict (guard_key) do nothing",
                    key,
                    now
                )
                .map_err(other)?;
                // An attempt outside the window starts a new one; a locked key counts nothing.
                exec!(
                    &mut *tx,
                    builder,
                    "update password_guard set \
                     failures = case when window_start <= ? then 1 else failures + 1 end, \
                     window_start = case when window_start <= ? then ? else window_start end \
                     where guard_key = ? and locked_until <= ?",
                    now - window,
                    now - window,
                    now,
                    key,
                    now
                )
                .map_err(other)?;
                // One too many: lock, twice as long as last time if that was within a day.
                exec!(
                    &mut *tx,
                    builder,
                    "update password_guard set \
                     lock_secs = case when locked_until > ? and lock_secs > 0 then lock_secs * 2 else ? end, \
                     locked_until = ? + case when locked_until > ? and lock_secs > 0 then lock_secs * 2 else ? end, \
                     failures = 0, window_start = ? \
                     where guard_key = ? and failures > ?",
                    now - 86_400,
                    lock,
                    now,
                    now - 86_400,
                    lock,
                    now,
                    key,
                    threshold
                )
                .map_err(other)?;
                let until = scalar!(
                    i64,
                    &mut *tx,
                    builder,
                    "select locked_until from password_guard where guard_key = ?",
                    key
                )
                .map_err(other)?;
                if until > now {
                    refused_until = refused_until.max(Some(until));
                }
            }
            tx.commit().await.map_err(other)?;
            Ok(refused_until)
        })
    }

    async fn release_password_attempt(&self, keys: &[String]) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            for key in keys {
                exec!(
                    &mut *tx,
                    builder,
                    "update password_guard set failures = failures - 1 where guard_key = ? and failures > 0",
                    key
                )
                .map_err(other)?;
            }
            tx.commit().await.map_err(other)
        })
    }
}

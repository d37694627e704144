//! `PlatformRepo`: integrators' ids for users, departments and groups, and bulk account sync.

use async_trait::async_trait;
use sea_query_binder::SqlxBinder;

use openpan_core::RepoError;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{EnterpriseId, UserId};
use openpan_core::model::User;
use openpan_core::org::OrgKind;
use openpan_core::ports::{PlatformRepo, RepoResult, SyncUser};

use crate::errors::{classify, other};
use crate::pool::{SqlRepo, commit, exec, execute, fetch, on_pool};
use crate::repo::{UserRow, bump_directory_generation, bump_revocation_epoch, insert_user, user_columns_of};

impl SqlRepo {
    /// Sets one of the enterprise's boolean settings, with the audit event announced for it.
    pub(crate) async fn set_enterprise_flag(
        &self,
        column: &'static str,
        enterprise_id: EnterpriseId,
        value: bool,
    ) -> RepoResult<()> {
        let statement = format!("update enterprise set {column} = ? where enterprise_id = ?");
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let done = exec!(&mut *tx, builder, &statement, value, enterprise_id.0).map_err(other)?;
            if done.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            commit!(tx, builder)
        })
    }
}

#[async_trait]
impl PlatformRepo for SqlRepo {
    async fn set_account_sync(&self, enterprise_id: EnterpriseId, enabled: bool) -> RepoResult<()> {
        self.set_enterprise_flag("account_sync_enabled", enterprise_id, enabled)
            .await
    }

    async fn set_password_grant(&self, enterprise_id: EnterpriseId, enabled: bool) -> RepoResult<()> {
        self.set_enterprise_flag("password_grant_enabled", enterprise_id, enabled)
            .await
    }

    async fn user_ticket_of(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        user: UserId,
    ) -> RepoResult<Option<String>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(String,),
                pool,
                builder,
                "select custom_id from user_ticket where enterprise_id = ? and platform_id = ? and user_id = ?",
                enterprise_id.0,
                platform_id,
                user.0
            )
            .map_err(other)
        })?;
        Ok(row.map(|(custom,)| custom))
    }

    async fn find_org_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        kind: OrgKind,
        custom_id: &str,
    ) -> RepoResult<Option<i64>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(i64,),
                pool,
                builder,
                "select local_id from org_ticket where enterprise_id = ? and platform_id = ? and kind = ? \
                 and custom_id = ?",
                enterprise_id.0,
                platform_id,
                kind.code(),
                custom_id
            )
            .map_err(other)
        })?;
        Ok(row.map(|(id,)| id))
    }

    async fn org_ticket_of(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        kind: OrgKind,
        local_id: i64,
    ) -> RepoResult<Option<String>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(String,),
                pool,
                builder,
                "select custom_id from org_ticket where enterprise_id = ? and platform_id = ? and kind = ? \
                 and local_id = ?",
                enterprise_id.0,
                platform_id,
                kind.code(),
                local_id
            )
            .map_err(other)
        })?;
        Ok(row.map(|(custom,)| custom))
    }

    async fn sync_user(&self, sync: SyncUser) -> RepoResult<(User, bool)> {
        let enterprise = sync.new.enterprise_id.0;
        let insert = insert_user(&sync.new, sync.new.enterprise_id);
        let select = format!(
            "select {} from user_account u where u.user_id = ?",
            user_columns_of("u")
        );
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let existing = fetch!(
                optional(i64,),
                &mut *tx,
                builder,
                "select t.user_id from user_ticket t join user_account u on u.user_id = t.user_id \
                 where t.enterprise_id = ? and t.platform_id = ? and t.custom_id = ? and u.deleted_at is null",
                enterprise,
                sync.platform_id,
                &sync.custom_id
            )
            .map_err(other)?;
            let (user_id, created) = match existing {
                Some((user_id,)) => {
                    let changes = &sync.changes;
                    exec!(
                        &mut *tx,
                        builder,
                        "update user_account set name = coalesce(?, name), email = coalesce(?, email), \
                         phone = coalesce(?, phone), password_hash = coalesce(?, password_hash), \
                         active = (active or ?), space_total = coalesce(?, space_total), \
                         hide_phone = coalesce(?, hide_phone), disable_download = coalesce(?, disable_download) \
                         where user_id = ?",
                        &changes.name,
                        &sync.email,
                        &sync.phone,
                        &sync.password_hash,
                        sync.activate,
                        changes.space_total,
                        changes.hide_phone,
                        changes.disable_download,
                        user_id
                    )
                    .map_err(|err| classify(err, Some(ConflictKind::UserLogin)))?;
                    // Other nodes' caches and listings name this user.
                    execute!(&mut *tx, builder, bump_revocation_epoch())?;
                    execute!(&mut *tx, builder, bump_directory_generation(user_id))?;
                    (user_id, false)
                }
                None => {
                    let (sql, values) = insert.build_sqlx(builder());
                    let row: UserRow = sqlx::query_as_with(&sql, values)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|err| classify(err, Some(ConflictKind::UserLogin)))?;
                    let user_id = row.user_id;
                    exec!(
                        &mut *tx,
                        builder,
                        "insert into user_ticket (enterprise_id, platform_id, custom_id, user_id) values (?, ?, ?, ?)",
                        enterprise,
                        sync.platform_id,
                        &sync.custom_id,
                        user_id
                    )
                    .map_err(|err| classify(err, Some(ConflictKind::UserTicket)))?;
                    (user_id, true)
                }
            };
            if let Some(department) = sync.department {
                let joined = exec!(
                    &mut *tx,
                    builder,
                    "insert into department_user (department_id, user_id, created_at) values (?, ?, ?) \
                     on conflict do nothing",
                    department.0,
                    user_id,
                    sync.new.created_at
                )
                .map_err(other)?;
                if joined.rows_affected() > 0 {
                    crate::org::count_department_join!(&mut *tx, builder, department.0, user_id);
                }
            }
            if let Some(group) = sync.group {
                let joined = exec!(
                    &mut *tx,
                    builder,
                    "insert into group_member (group_id, user_id, created_at) values (?, ?, ?) on conflict do nothing",
                    group.0,
                    user_id,
                    sync.new.created_at
                )
                .map_err(other)?;
                if joined.rows_affected() > 0 {
                    exec!(
                        &mut *tx,
                        builder,
                        "update user_group set user_count = user_count + 1 where group_id = ?",
                        group.0
                    )
                    .map_err(other)?;
                }
            }
            let row = fetch!(one UserRow, &mut *tx, builder, &select, user_id).map_err(other)?;
            commit!(tx, builder, Some(user_id))?;
            Ok((User::from(row), created))
        })
    }
}

//! `SessionRepo`: 免登 login tickets and web sessions, stored as keyed hashes.

use async_trait::async_trait;
use sea_query_binder::SqlxBinder;

use openpan_core::ids::{AppId, UserId};
use openpan_core::ports::{RepoResult, SessionRepo};

use crate::errors::other;
use crate::pool::{SqlRepo, commit, exec, fetch, on_pool};

#[async_trait]
impl SessionRepo for SqlRepo {
    async fn create_login_ticket(&self, hash: &[u8], user: UserId, app: AppId, expires_at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into login_ticket (ticket_hash, user_id, app_id, expires_at) values (?, ?, ?, ?)",
                hash,
                user.0,
                app.0,
                expires_at
            )
            .map(|_| ())
            .map_err(other)
        })
    }

    async fn redeem_login_ticket(&self, hash: &[u8], app: AppId, now: i64) -> RepoResult<Option<UserId>> {
        let row = on_pool!(self, write, |pool, builder| {
            fetch!(
                optional(i64,),
                pool,
                builder,
                "update login_ticket set used_at = ? \
                 where ticket_hash = ? and app_id = ? and used_at is null and expires_at > ? returning user_id",
                now,
                hash,
                app.0,
                now
            )
            .map_err(other)
        })?;
        Ok(row.map(|(user,)| UserId(user)))
    }

    async fn record_login(&self, user: UserId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = pool.begin().await.map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "update user_account set last_login_at = ?, active = true where user_id = ? and deleted_at is null",
                at,
                user.0
            )
            .map_err(other)?;
            // Cached records elsewhere hold the old activation state.
            crate::pool::execute!(&mut *tx, builder, crate::repo::bump_revocation_epoch())?;
            commit!(tx, builder)
        })
    }

    async fn create_web_session(&self, hash: &[u8], user: UserId, created_at: i64, expires_at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into web_session (session_hash, user_id, created_at, expires_at) values (?, ?, ?, ?)",
                hash,
                user.0,
                created_at,
                expires_at
            )
            .map(|_| ())
            .map_err(other)
        })
    }

    async fn find_web_session(&self, hash: &[u8], now: i64) -> RepoResult<Option<(UserId, i64)>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(i64, i64),
                pool,
                builder,
                "select s.user_id, s.expires_at from web_session s join user_account u on u.user_id = s.user_id \
                 where s.session_hash = ? and s.expires_at > ? and u.deleted_at is null and u.active",
                hash,
                now
            )
            .map_err(other)
        })?;
        Ok(row.map(|(user, expires_at)| (UserId(user), expires_at)))
    }

    async fn delete_web_session(&self, hash: &[u8]) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(pool, builder, "delete from web_session where session_hash = ?", hash)
                .map(|_| ())
                .map_err(other)
        })
    }

    async fn purge_sessions(&self, now: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let tickets = exec!(pool, builder, "delete from login_ticket where expires_at <= ?", now)
                .map(|done| done.rows_affected())
                .map_err(other)?;
            let sessions = exec!(pool, builder, "delete from web_session where expires_at <= ?", now)
                .map(|done| done.rows_affected())
                .map_err(other)?;
            Ok(tickets + sessions)
        })
    }
}

//! `SessionRepo`: 免登 login tickets and web sessions, stored as keyed hashes.

use async_trait::async_trait;
use sea_query_binder::SqlxBinder;

use openpan_core::auth_service::{AuthCodeRecord, CodeScope, UserTokenRecord};
use openpan_core::ids::{AppId, UserId};
use openpan_core::model::User;
use openpan_core::ports::{RepoResult, SessionRepo, UserRepo};

use crate::errors::other;
use crate::pool::{SqlRepo, commit, exec, fetch, on_pool, scalar};

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
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
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

    async fn purge_sessions(&self, now: i64, keep_expired_tokens: i64) -> RepoResult<u64> {
        let forgotten = now.saturating_sub(keep_expired_tokens);
        on_pool!(self, write, |pool, builder| {
            let mut purged = 0;
            for (statement, before) in [
                ("delete from login_ticket where expires_at <= ?", now),
                ("delete from web_session where expires_at <= ?", now),
                // Kept a day past expiry, so a late exchange hears "expired", not "unknown".
                (
                    "delete from auth_code where expires_at <= ?",
                    now.saturating_sub(24 * 3600),
                ),
                // Auth codes go first: they may name the tokens' users only while those live.
                ("delete from user_token where expires_at <= ?", forgotten),
            ] {
                purged += exec!(pool, builder, statement, before)
                    .map(|done| done.rows_affected())
                    .map_err(other)?;
            }
            Ok(purged)
        })
    }

    async fn find_login(&self, login: &str) -> RepoResult<Option<(User, Option<String>)>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(i64, Option<String>),
                pool,
                builder,
                "select user_id, password_hash from user_account \
                 where deleted_at is null and (email = ? or phone = ?) limit 1",
                login.to_lowercase(),
                login
            )
            .map_err(other)
        })?;
        let Some((user_id, hash)) = row else {
            return Ok(None);
        };
        Ok(self.find_user(UserId(user_id)).await?.map(|user| (user, hash)))
    }

    async fn create_user_token(&self, hash: &[u8], user: UserId, created_at: i64, expires_at: i64) -> RepoResult<i64> {
        on_pool!(self, write, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "insert into user_token (token_hash, user_id, created_at, expires_at) values (?, ?, ?, ?) \
                 returning token_id",
                hash,
                user.0,
                created_at,
                expires_at
            )
            .map_err(other)
        })
    }

    async fn find_user_token(&self, hash: &[u8]) -> RepoResult<Option<UserTokenRecord>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(i64, i64, i64),
                pool,
                builder,
                "select t.token_id, t.user_id, t.expires_at from user_token t \
                 join user_account u on u.user_id = t.user_id where t.token_hash = ? and u.deleted_at is null",
                hash
            )
            .map_err(other)
        })?;
        Ok(row.map(|(id, user, expires_at)| UserTokenRecord {
            id,
            user_id: UserId(user),
            expires_at,
        }))
    }

    async fn delete_user_token(&self, hash: &[u8]) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            exec!(pool, builder, "delete from user_token where token_hash = ?", hash)
                .map(|done| done.rows_affected() > 0)
                .map_err(other)
        })
    }

    async fn delete_user_tokens(&self, user: UserId) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            exec!(&mut *tx, builder, "delete from auth_code where user_id = ?", user.0).map_err(other)?;
            let revoked = exec!(&mut *tx, builder, "delete from user_token where user_id = ?", user.0)
                .map(|done| done.rows_affected())
                .map_err(other)?;
            commit!(tx, builder)?;
            Ok(revoked)
        })
    }

    async fn create_auth_code(&self, hash: &[u8], code: AuthCodeRecord) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into auth_code (code_hash, app_id, user_id, scope, expires_at) values (?, ?, ?, ?, ?)",
                hash,
                code.app_id.0,
                code.user_id.0,
                code.scope.bits(),
                code.expires_at
            )
            .map(|_| ())
            .map_err(other)
        })
    }

    async fn find_auth_code(&self, hash: &[u8]) -> RepoResult<Option<AuthCodeRecord>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(i64, i64, i64, i64, Option<i64>),
                pool,
                builder,
                "select app_id, user_id, scope, expires_at, used_at from auth_code where code_hash = ?",
                hash
            )
            .map_err(other)
        })?;
        Ok(row.map(|(app, user, scope, expires_at, used_at)| AuthCodeRecord {
            app_id: AppId(app),
            user_id: UserId(user),
            scope: CodeScope::from_bits(scope),
            expires_at,
            used: used_at.is_some(),
        }))
    }

    async fn use_auth_code(&self, hash: &[u8], now: i64) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update auth_code set used_at = ? where code_hash = ? and used_at is null and expires_at > ?",
                now,
                hash,
                now
            )
            .map(|done| done.rows_affected() == 1)
            .map_err(other)
        })
    }
}

//! `OAuthServerRepo`: authorization codes, token families and the ID-token signing keys.

use async_trait::async_trait;
use sea_query::Query;
use sea_query_binder::SqlxBinder;

use openpan_core::RepoError;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{AppId, TokenId, UserId};
use openpan_core::model::NewToken;
use openpan_core::oauth::{AuthCode, NewAuthCode, SigningKeyRecord};
use openpan_core::ports::{OAuthServerRepo, RepoResult};
use openpan_core::scope::Scopes;
use openpan_core::services::{DeviceRecord, DeviceStatus, NewDevice};

use crate::errors::{classify, other};
use crate::pool::{SqlRepo, commit, exec, fetch, on_pool};
use crate::repo::{active_apps, bump_revocation_epoch, insert_tokens};
use crate::schema::OauthToken;

#[derive(sqlx::FromRow)]
struct CodeRow {
    code_id: i64,
    code_hash: Vec<u8>,
    app_id: i64,
    user_id: i64,
    redirect_uri: Option<String>,
    scope: String,
    code_challenge: Option<String>,
    nonce: Option<String>,
    auth_time: i64,
    expires_at: i64,
    used_at: Option<i64>,
    token_id: Option<i64>,
}

impl From<CodeRow> for AuthCode {
    fn from(row: CodeRow) -> Self {
        AuthCode {
            id: row.code_id,
            code: NewAuthCode {
                code_hash: row.code_hash,
                app_id: AppId(row.app_id),
                user_id: UserId(row.user_id),
                redirect_uri: row.redirect_uri,
                scopes: Scopes::parse_stored(&row.scope),
                code_challenge: row.code_challenge,
                nonce: row.nonce,
                auth_time: row.auth_time,
                expires_at: row.expires_at,
            },
            used: row.used_at.is_some(),
            token_id: row.token_id.map(TokenId),
        }
    }
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    device_id: i64,
    device_hash: Vec<u8>,
    app_id: i64,
    scope: String,
    status: String,
    user_id: Option<i64>,
    interval_secs: i64,
    polled_at: Option<i64>,
    expires_at: i64,
}

/// A device authorization's row, by a condition on one bound value.
macro_rules! device_where {
    ($condition:literal) => {
        concat!(
            "select device_id, device_hash, app_id, scope, status, user_id, interval_secs, polled_at, expires_at ",
            "from oauth_device where ",
            $condition
        )
    };
}

impl From<DeviceRow> for DeviceRecord {
    fn from(row: DeviceRow) -> Self {
        DeviceRecord {
            id: row.device_id,
            device_hash: row.device_hash,
            app_id: AppId(row.app_id),
            scopes: Scopes::parse_stored(&row.scope),
            // An unknown status is never one that yields tokens.
            status: DeviceStatus::parse(&row.status).unwrap_or(DeviceStatus::Used),
            user_id: row.user_id.map(UserId),
            interval_secs: row.interval_secs,
            polled_at: row.polled_at,
            expires_at: row.expires_at,
        }
    }
}

impl SqlRepo {
    /// Claims a single-use grant (`claim` takes now, id, now and changes one row or none),
    /// then, while the app is still active, stores `token` and (`link`: token id, id) ties it
    /// to the grant — all in one transaction.
    async fn redeem_once(
        &self,
        claim: &'static str,
        link: Option<&'static str>,
        id: i64,
        now: i64,
        token: NewToken,
    ) -> RepoResult<Option<TokenId>> {
        let insert = insert_tokens(&[&token])
            .returning(Query::returning().column(OauthToken::TokenId))
            .to_owned();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let used = exec!(&mut *tx, builder, claim, now, id, now).map_err(other)?;
            if used.rows_affected() == 0 {
                return Ok(None);
            }
            // Held until commit, so a concurrent disable either waits for this token (and
            // deletes it) or is seen here.
            let (sql, values) = active_apps([token.app_id.0]).build_sqlx(builder());
            let active: Option<i64> = sqlx::query_scalar_with(&sql, values)
                .fetch_optional(&mut *tx)
                .await
                .map_err(other)?;
            if active.is_none() {
                return Err(RepoError::Conflict(ConflictKind::AppInactive));
            }
            let (sql, values) = insert.build_sqlx(builder());
            let token_id: i64 = sqlx::query_scalar_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
            if let Some(link) = link {
                exec!(&mut *tx, builder, link, token_id, id).map_err(other)?;
            }
            commit!(tx, builder)?;
            Ok(Some(TokenId(token_id)))
        })
    }
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    algorithm: String,
    private_key: Vec<u8>,
    public_jwk: String,
    created_at: i64,
}

#[async_trait]
impl OAuthServerRepo for SqlRepo {
    async fn create_oauth_code(&self, code: NewAuthCode) -> RepoResult<i64> {
        on_pool!(self, write, |pool, builder| {
            // With the approval's audit event.
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let id = crate::pool::scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into oauth_code (code_hash, app_id, user_id, redirect_uri, scope, code_challenge, nonce, \
                 auth_time, expires_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning code_id",
                code.code_hash.clone(),
                code.app_id.0,
                code.user_id.0,
                code.redirect_uri.clone(),
                code.scopes.to_string(),
                code.code_challenge.clone(),
                code.nonce.clone(),
                code.auth_time,
                code.expires_at
            )
            .map_err(other)?;
            commit!(tx, builder)?;
            Ok(id)
        })
    }

    async fn find_oauth_code(&self, id: i64) -> RepoResult<Option<AuthCode>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional CodeRow,
                pool,
                builder,
                "select code_id, code_hash, app_id, user_id, redirect_uri, scope, code_challenge, nonce, auth_time, \
                 expires_at, used_at, token_id from oauth_code where code_id = ?",
                id
            )
            .map_err(other)
        })?;
        Ok(row.map(Into::into))
    }

    async fn redeem_oauth_code(&self, id: i64, now: i64, token: NewToken) -> RepoResult<Option<TokenId>> {
        self.redeem_once(
            "update oauth_code set used_at = ? where code_id = ? and used_at is null and expires_at > ?",
            Some("update oauth_code set token_id = ? where code_id = ?"),
            id,
            now,
            token,
        )
        .await
    }

    async fn create_device(&self, device: NewDevice) -> RepoResult<i64> {
        on_pool!(self, write, |pool, builder| {
            crate::pool::scalar!(
                i64,
                pool,
                builder,
                "insert into oauth_device (device_hash, user_code_hash, app_id, scope, status, interval_secs, \
                 expires_at) values (?, ?, ?, ?, 'pending', ?, ?) returning device_id",
                device.device_hash.clone(),
                device.user_code_hash.clone(),
                device.app_id.0,
                device.scopes.to_string(),
                device.interval_secs,
                device.expires_at
            )
            .map_err(|err| classify(err, Some(ConflictKind::UserCode)))
        })
    }

    async fn find_device(&self, id: i64) -> RepoResult<Option<DeviceRecord>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional DeviceRow, pool, builder, device_where!("device_id = ?"), id).map_err(other)
        })?;
        Ok(row.map(Into::into))
    }

    async fn find_device_by_user_code(&self, user_code_hash: &[u8]) -> RepoResult<Option<DeviceRecord>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional DeviceRow,
                pool,
                builder,
                device_where!("user_code_hash = ?"),
                user_code_hash.to_vec()
            )
            .map_err(other)
        })?;
        Ok(row.map(Into::into))
    }

    async fn decide_device(&self, id: i64, status: DeviceStatus, user: Option<UserId>, now: i64) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            // With the approval's audit event.
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let decided = exec!(
                &mut *tx,
                builder,
                "update oauth_device set status = ?, user_id = ? where device_id = ? and status = 'pending' \
                 and expires_at > ?",
                status.as_str(),
                user.map(|user| user.0),
                id,
                now
            )
            .map_err(other)?;
            if decided.rows_affected() == 0 {
                return Ok(false);
            }
            commit!(tx, builder)?;
            Ok(true)
        })
    }

    async fn poll_device(&self, id: i64, now: i64, interval_secs: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update oauth_device set polled_at = ?, interval_secs = ? where device_id = ?",
                now,
                interval_secs,
                id
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn redeem_device(&self, id: i64, now: i64, token: NewToken) -> RepoResult<Option<TokenId>> {
        self.redeem_once(
            "update oauth_device set status = 'used', polled_at = ? where device_id = ? and status = 'approved' \
             and expires_at > ?",
            None,
            id,
            now,
            token,
        )
        .await
    }

    async fn revoke_token_family(&self, member: TokenId) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // The pair may be any member of its family (every member names the first pair), or
            // the first pair itself, which may be gone already.
            let first: Option<(i64,)> = fetch!(
                optional(i64,),
                &mut *tx,
                builder,
                "select coalesce(family_id, token_id) from oauth_token where token_id = ?",
                member.0
            )
            .map_err(other)?;
            let first = first.map_or(member.0, |(first,)| first);
            // Lock the family first; the delete, a statement of its own, then also sees a pair
            // that a rotation committed while this waited for its lock (PostgreSQL reads each
            // statement as of its start).
            let _locked: Vec<(i64,)> = fetch!(
                all(i64,),
                &mut *tx,
                builder,
                &format!(
                    "select token_id from oauth_token where token_id = ? or family_id = ?{}",
                    crate::pool::row_lock(&builder(), " for update")
                ),
                first,
                first
            )
            .map_err(other)?;
            let deleted = exec!(
                &mut *tx,
                builder,
                "delete from oauth_token where token_id = ? or family_id = ?",
                first,
                first
            )
            .map_err(other)?
            .rows_affected();
            if deleted > 0 {
                // Nodes that cached these tokens' checks must stop trusting them.
                crate::pool::execute!(&mut *tx, builder, bump_revocation_epoch())?;
            }
            commit!(tx, builder)?;
            Ok(deleted)
        })
    }

    async fn find_used_refresh(&self, id: TokenId) -> RepoResult<Option<(AppId, Vec<u8>, TokenId)>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional(i64, Vec<u8>, i64),
                pool,
                builder,
                "select app_id, used_refresh_hash, coalesce(family_id, token_id) from oauth_token \
                 where token_id = ? and used_refresh_hash is not null",
                id.0
            )
            .map_err(other)
        })?;
        Ok(row.map(|(app, hash, family)| (AppId(app), hash, TokenId(family))))
    }

    async fn list_signing_keys(&self) -> RepoResult<Vec<SigningKeyRecord>> {
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(
                all KeyRow,
                pool,
                builder,
                "select kid, algorithm, private_key, public_jwk, created_at from signing_key order by created_at, kid"
            )
            .map_err(other)
        })?;
        Ok(rows
            .into_iter()
            .map(|row| SigningKeyRecord {
                kid: row.kid,
                algorithm: row.algorithm,
                sealed_private_key: row.private_key,
                public_jwk: row.public_jwk,
                created_at: row.created_at,
            })
            .collect())
    }

    async fn add_signing_key(&self, key: SigningKeyRecord) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into signing_key (kid, algorithm, private_key, public_jwk, created_at) values (?, ?, ?, ?, ?)",
                key.kid.clone(),
                key.algorithm.clone(),
                key.sealed_private_key.clone(),
                key.public_jwk.clone(),
                key.created_at
            )
            .map(|_| ())
            .map_err(other)
        })
    }

    async fn purge_signing_keys(&self, before: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "delete from signing_key where created_at < ? \
                 and kid <> (select kid from signing_key order by created_at desc, kid desc limit 1)",
                before
            )
            .map(|done| done.rows_affected())
            .map_err(other)
        })
    }
}

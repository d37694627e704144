//! `IdempotencyRepo`: claimed keys and their recorded answers.

use async_trait::async_trait;

use openpan_core::RepoError;
use openpan_core::ids::UserId;
use openpan_core::ports::{IdempotencyRepo, IdempotencyStart, RepoResult};

use crate::errors::other;
use crate::pool::dialect;
use crate::pool::{SqlRepo, on_pool};

#[async_trait]
impl IdempotencyRepo for SqlRepo {
    async fn begin_idempotent(
        &self,
        user: UserId,
        key: &str,
        fingerprint: &[u8],
        now: i64,
        stale_before: i64,
    ) -> RepoResult<IdempotencyStart> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let sql = dialect(
                &builder(),
                "insert into idempotency_key (user_id, idem_key, fingerprint, created_at) values (?, ?, ?, ?) \
                 on conflict (user_id, idem_key) do nothing",
            );
            let inserted = sqlx::query(&sql)
                .bind(user.0)
                .bind(key)
                .bind(fingerprint)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            if inserted.rows_affected() == 1 {
                tx.commit().await.map_err(other)?;
                return Ok(IdempotencyStart::Fresh);
            }
            let sql = dialect(
                &builder(),
                "select fingerprint, status, response, created_at from idempotency_key \
                 where user_id = ? and idem_key = ?",
            );
            let (stored, status, response, created_at): (Vec<u8>, Option<i32>, Option<Vec<u8>>, i64) =
                sqlx::query_as(&sql)
                    .bind(user.0)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(other)?;
            let start = if stored != fingerprint {
                IdempotencyStart::Mismatch
            } else if let Some(status) = status {
                IdempotencyStart::Replay {
                    status: u16::try_from(status).map_err(|_| RepoError::Other("stored status out of range".into()))?,
                    body: response.unwrap_or_default(),
                }
            } else if created_at < stale_before {
                // Only one retry may take the abandoned claim over.
                let sql = dialect(
                    &builder(),
                    "update idempotency_key set created_at = ? \
                     where user_id = ? and idem_key = ? and status is null and created_at = ?",
                );
                let taken = sqlx::query(&sql)
                    .bind(now)
                    .bind(user.0)
                    .bind(key)
                    .bind(created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(other)?;
                if taken.rows_affected() == 1 {
                    IdempotencyStart::Fresh
                } else {
                    IdempotencyStart::InFlight
                }
            } else {
                IdempotencyStart::InFlight
            };
            tx.commit().await.map_err(other)?;
            Ok(start)
        })
    }

    async fn finish_idempotent(&self, user: UserId, key: &str, status: u16, body: &[u8]) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let sql = dialect(
                &builder(),
                "update idempotency_key set status = ?, response = ? where user_id = ? and idem_key = ?",
            );
            sqlx::query(&sql)
                .bind(i32::from(status))
                .bind(body)
                .bind(user.0)
                .bind(key)
                .execute(pool)
                .await
                .map_err(other)?;
            Ok(())
        })
    }

    async fn abandon_idempotent(&self, user: UserId, key: &str) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let sql = dialect(
                &builder(),
                "delete from idempotency_key where user_id = ? and idem_key = ? and status is null",
            );
            sqlx::query(&sql)
                .bind(user.0)
                .bind(key)
                .execute(pool)
                .await
                .map_err(other)?;
            Ok(())
        })
    }

    async fn purge_idempotency_keys(&self, before: i64) -> RepoResult<u64> {
        on_pool!(self, write, |pool, builder| {
            let sql = dialect(&builder(), "delete from idempotency_key where created_at < ?");
            let done = sqlx::query(&sql).bind(before).execute(pool).await.map_err(other)?;
            Ok(done.rows_affected())
        })
    }
}

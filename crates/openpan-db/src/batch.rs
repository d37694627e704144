//! Group commit for token issuance. Every `jwt_simple` grant writes a used `jti` and a token;
//! one transaction per grant makes the single SQLite writer the bottleneck of the token
//! endpoint. Grants waiting at the same moment are instead committed together: one multi-row
//! `INSERT … ON CONFLICT DO NOTHING RETURNING` for the jtis (so each replay is still detected
//! on its own) and one multi-row insert for the tokens of the accepted ones.
//!
//! Nothing is acknowledged before its transaction commits, so a crash loses no issued token.

use std::collections::{HashMap, HashSet};

use sea_query::{OnConflict, Query};
use sea_query_binder::SqlxBinder;
use tokio::sync::{mpsc, oneshot};

use openpan_core::RepoError;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{AppId, TokenId};
use openpan_core::model::NewToken;

use crate::errors::other;
use crate::pool::{Pool, on_pool};
use crate::repo::insert_tokens;
use crate::schema::{OauthJti, OauthToken};

/// Upper bound of grants per transaction (keeps statements well under SQLite's variable limit).
const MAX_BATCH: usize = 256;

pub(crate) struct Issue {
    pub app_id: AppId,
    pub jti: String,
    pub jti_expires_at: i64,
    pub token: NewToken,
    pub reply: oneshot::Sender<Result<TokenId, RepoError>>,
}

/// The task that owns token-issuing writes; send it `Issue`s.
pub(crate) fn spawn_issuer(pool: Pool) -> mpsc::Sender<Issue> {
    let (sender, mut receiver) = mpsc::channel::<Issue>(4 * MAX_BATCH);
    let writer = Writer { pool };
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            writer.commit(std::mem::take(&mut batch)).await;
        }
    });
    sender
}

struct Writer {
    pool: Pool,
}

/// A copy of `err` for each waiter of a failed batch, keeping its class.
fn replicate(err: &RepoError) -> RepoError {
    match err {
        RepoError::NotFound => RepoError::NotFound,
        RepoError::Conflict(kind) => RepoError::Conflict(*kind),
        RepoError::Unavailable(source) => RepoError::Unavailable(source.to_string().into()),
        RepoError::Other(source) => RepoError::Other(source.to_string().into()),
    }
}

impl Writer {
    async fn commit(&self, batch: Vec<Issue>) {
        // The same jti twice in one batch: the first one wins, as if they came one by one.
        let mut seen = HashSet::new();
        let mut fresh = Vec::with_capacity(batch.len());
        for issue in batch {
            if seen.insert((issue.app_id, issue.jti.clone())) {
                fresh.push(issue);
            } else {
                let _ = issue.reply.send(Err(RepoError::Conflict(ConflictKind::JtiReplayed)));
            }
        }
        match self.insert(&fresh).await {
            Ok(token_ids) => {
                for issue in fresh {
                    let outcome = match token_ids.get(&issue.token.access_hash) {
                        Some(token_id) => Ok(TokenId(*token_id)),
                        None => Err(RepoError::Conflict(ConflictKind::JtiReplayed)),
                    };
                    let _ = issue.reply.send(outcome);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, grants = fresh.len(), "token batch failed");
                for issue in fresh {
                    let _ = issue.reply.send(Err(replicate(&err)));
                }
            }
        }
    }

    /// Atomic: records the jtis not used before and stores the tokens of exactly those.
    /// Returns the new token ids by access hash (the order of `RETURNING` rows is unspecified).
    async fn insert(&self, issues: &[Issue]) -> Result<HashMap<Vec<u8>, i64>, RepoError> {
        let mut record_jtis = Query::insert()
            .into_table(OauthJti::Table)
            .columns([OauthJti::AppId, OauthJti::Jti, OauthJti::ExpiresAt])
            .on_conflict(
                OnConflict::columns([OauthJti::AppId, OauthJti::Jti])
                    .do_nothing()
                    .to_owned(),
            )
            .returning(Query::returning().columns([OauthJti::AppId, OauthJti::Jti]))
            .to_owned();
        for issue in issues {
            record_jtis.values_panic([
                issue.app_id.0.into(),
                issue.jti.clone().into(),
                issue.jti_expires_at.into(),
            ]);
        }
        on_pool!(self, write, |pool, builder| {
            let mut tx = pool.begin().await.map_err(other)?;
            let (sql, values) = record_jtis.build_sqlx(builder());
            let rows: Vec<(i64, String)> = sqlx::query_as_with(&sql, values)
                .fetch_all(&mut *tx)
                .await
                .map_err(other)?;
            let accepted: HashSet<(i64, String)> = rows.into_iter().collect();
            let tokens: Vec<&NewToken> = issues
                .iter()
                .filter(|issue| accepted.contains(&(issue.app_id.0, issue.jti.clone())))
                .map(|issue| &issue.token)
                .collect();
            let mut token_ids = HashMap::with_capacity(tokens.len());
            if !tokens.is_empty() {
                let insert = insert_tokens(&tokens)
                    .returning(Query::returning().columns([OauthToken::AccessHash, OauthToken::TokenId]))
                    .to_owned();
                let (sql, values) = insert.build_sqlx(builder());
                let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as_with(&sql, values)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(other)?;
                token_ids.extend(rows);
            }
            tx.commit().await.map_err(other)?;
            Ok(token_ids)
        })
    }
}

//! Group commit for token writes. Every `jwt_simple` grant writes a used `jti` and a token, and
//! every refresh consumes a refresh token and writes its replacement; one transaction each
//! makes the single SQLite writer the bottleneck of the token endpoint. Requests waiting at the
//! same moment are instead committed together, each still decided on its own:
//! one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` for the jtis (so every replay is
//! detected), one `UPDATE … RETURNING` consuming the refresh tokens that are still usable, and
//! one multi-row insert for the new tokens of exactly the accepted requests.
//!
//! Nothing is acknowledged before its transaction commits, so a crash loses no issued token.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sea_query::{Cond, Expr, OnConflict, Query};
use sea_query_binder::SqlxBinder;
use tokio::sync::{mpsc, oneshot};

use openpan_core::RepoError;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{AppId, EnterpriseId, TokenId, UserId};
use openpan_core::model::{AppStatus, NewToken, Subject, TokenHashes};
use openpan_core::ports::RotatedPair;
use openpan_core::scope::Scopes;

use crate::errors::other;
use crate::pool::{Pool, on_pool};
use crate::repo::{active_apps, insert_tokens};
use crate::schema::{App, OauthJti, OauthToken, UserAccount};

/// Upper bound of requests per transaction (keeps statements well under SQLite's variable limit).
const MAX_BATCH: usize = 256;

/// A `jwt_simple` grant: record the jti, store the token.
pub(crate) struct Issue {
    pub app_id: AppId,
    pub jti: String,
    pub jti_expires_at: i64,
    pub token: NewToken,
    pub reply: oneshot::Sender<Result<TokenId, RepoError>>,
}

/// A refresh: consume the refresh token, store its replacement for the same subject.
pub(crate) struct Rotate {
    pub app_id: AppId,
    pub token_id: TokenId,
    pub refresh_hash: Vec<u8>,
    pub now: i64,
    pub replacement: TokenHashes,
    pub reply: oneshot::Sender<Result<Option<RotatedPair>, RepoError>>,
}

pub(crate) enum Op {
    Issue(Issue),
    Rotate(Rotate),
}

/// A batch still unfinished after this long is abandoned: its requests answer 503 rather than
/// wait forever (PostgreSQL statements time out sooner, see `pool`).
const BATCH_PATIENCE: Duration = Duration::from_secs(60);

/// The task that owns token writes; send it `Op`s.
pub(crate) fn spawn_token_writer(pool: Pool) -> mpsc::Sender<Op> {
    let (sender, mut receiver) = mpsc::channel::<Op>(4 * MAX_BATCH);
    let writer = Arc::new(Writer { pool });
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let ops = std::mem::take(&mut batch);
            let writer = writer.clone();
            // Each batch runs in a task of its own: a panic or a stuck statement fails that
            // batch's requests (their reply channels close, which callers see as unavailable),
            // never the writer itself.
            let round = tokio::spawn(async move { tokio::time::timeout(BATCH_PATIENCE, writer.commit(ops)).await });
            match round.await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => tracing::error!("token batch timed out; its requests were answered as unavailable"),
                Err(err) => {
                    tracing::error!(error = ?err, "token batch failed; its requests were answered as unavailable")
                }
            }
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

/// What one transaction decided: token ids by access hash, and each consumed refresh token's
/// subject.
#[derive(Default)]
struct Outcome {
    token_ids: HashMap<Vec<u8>, i64>,
    consumed: HashMap<i64, (Subject, Option<Scopes>)>,
    /// Apps of this round that were disabled or deleted meanwhile: no token for them.
    inactive_apps: HashSet<i64>,
}

/// Requests one transaction decides together: no two share a refresh token or (app, jti).
#[derive(Default)]
struct Round {
    issues: Vec<Issue>,
    rotations: Vec<Rotate>,
}

impl Round {
    /// Takes from `ops` what can go in one round; returns the rest. A repeated (app, jti) is a
    /// replay and refused at once; a repeated refresh token waits for the next round, since the
    /// repeat may come from another app and must not be decided by the first one's outcome.
    fn take(ops: Vec<Op>) -> (Round, Vec<Op>) {
        let mut round = Round::default();
        let mut later = Vec::new();
        let mut seen_jtis = HashSet::new();
        let mut seen_tokens = HashSet::new();
        for op in ops {
            match op {
                Op::Issue(issue) if seen_jtis.insert((issue.app_id, issue.jti.clone())) => round.issues.push(issue),
                Op::Issue(issue) => {
                    let _ = issue.reply.send(Err(RepoError::Conflict(ConflictKind::JtiReplayed)));
                }
                Op::Rotate(rotate) if seen_tokens.insert(rotate.token_id) => round.rotations.push(rotate),
                Op::Rotate(rotate) => later.push(Op::Rotate(rotate)),
            }
        }
        // One order of key locks for every node, so concurrent batches cannot deadlock.
        round.issues.sort_by(|a, b| (a.app_id, &a.jti).cmp(&(b.app_id, &b.jti)));
        round.rotations.sort_by_key(|rotate| rotate.token_id);
        (round, later)
    }

    fn len(&self) -> usize {
        self.issues.len() + self.rotations.len()
    }

    /// Answers every request of the round from the transaction's result.
    fn reply(self, result: Result<Outcome, RepoError>) {
        match result {
            Ok(outcome) => {
                for issue in self.issues {
                    let reply = match outcome.token_ids.get(&issue.token.secrets.access_hash) {
                        Some(token_id) => Ok(TokenId(*token_id)),
                        None if outcome.inactive_apps.contains(&issue.app_id.0) => {
                            Err(RepoError::Conflict(ConflictKind::AppInactive))
                        }
                        None => Err(RepoError::Conflict(ConflictKind::JtiReplayed)),
                    };
                    let _ = issue.reply.send(reply);
                }
                for rotate in self.rotations {
                    let consumed = outcome.consumed.get(&rotate.token_id.0).copied();
                    let new_id = outcome.token_ids.get(&rotate.replacement.access_hash).copied();
                    let _ = rotate.reply.send(Ok(consumed
                        .zip(new_id)
                        .map(|((subject, scopes), id)| (TokenId(id), subject, scopes))));
                }
            }
            Err(err) => {
                for issue in self.issues {
                    let _ = issue.reply.send(Err(replicate(&err)));
                }
                for rotate in self.rotations {
                    let _ = rotate.reply.send(Err(replicate(&err)));
                }
            }
        }
    }
}

impl Writer {
    async fn commit(&self, ops: Vec<Op>) {
        let mut pending = ops;
        while !pending.is_empty() {
            let (round, later) = Round::take(pending);
            pending = later;
            let result = self.write(&round.issues, &round.rotations).await;
            match result {
                Err(err) if round.len() > 1 => {
                    // One bad request must not fail everyone else's: decide each on its own.
                    tracing::warn!(error = ?err, requests = round.len(), "token batch failed; retrying one by one");
                    for issue in round.issues {
                        let result = self.write(std::slice::from_ref(&issue), &[]).await;
                        Round {
                            issues: vec![issue],
                            rotations: Vec::new(),
                        }
                        .reply(result);
                    }
                    for rotate in round.rotations {
                        let result = self.write(&[], std::slice::from_ref(&rotate)).await;
                        Round {
                            issues: Vec::new(),
                            rotations: vec![rotate],
                        }
                        .reply(result);
                    }
                }
                result => {
                    if let Err(err) = &result {
                        tracing::warn!(error = ?err, "token write failed");
                    }
                    round.reply(result);
                }
            }
        }
    }

    /// Atomic: records the new jtis, consumes the usable refresh tokens, and stores the tokens
    /// of exactly the accepted requests.
    async fn write(&self, issues: &[Issue], rotations: &[Rotate]) -> Result<Outcome, RepoError> {
        let record_jtis = (!issues.is_empty()).then(|| {
            let mut insert = Query::insert()
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
                insert.values_panic([
                    issue.app_id.0.into(),
                    issue.jti.clone().into(),
                    issue.jti_expires_at.into(),
                ]);
            }
            insert
        });
        let consume = (!rotations.is_empty()).then(|| consume_refresh_tokens(rotations));
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let mut outcome = Outcome::default();
            let mut tokens: Vec<NewToken> = Vec::with_capacity(issues.len() + rotations.len());
            if let Some(record_jtis) = &record_jtis {
                let (sql, values) = record_jtis.build_sqlx(builder());
                let rows: Vec<(i64, String)> = sqlx::query_as_with(&sql, values)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(other)?;
                let accepted: HashSet<(i64, String)> = rows.into_iter().collect();
                // The app may have been disabled since it authenticated; its tokens must not be
                // written after the disable deleted the others. FOR SHARE (PostgreSQL) holds
                // off a concurrent status change until this commits; SQLite has one writer.
                let (sql, values) = active_apps(issues.iter().map(|issue| issue.app_id.0)).build_sqlx(builder());
                let active: Vec<i64> = sqlx::query_scalar_with(&sql, values)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(other)?;
                let active: HashSet<i64> = active.into_iter().collect();
                outcome.inactive_apps = issues
                    .iter()
                    .map(|issue| issue.app_id.0)
                    .filter(|id| !active.contains(id))
                    .collect();
                tokens.extend(
                    issues
                        .iter()
                        .filter(|issue| active.contains(&issue.app_id.0))
                        .filter(|issue| accepted.contains(&(issue.app_id.0, issue.jti.clone())))
                        .map(|issue| issue.token.clone()),
                );
            }
            if let Some(consume) = &consume {
                // Held until commit, before any token row: an app's status or scope change
                // (which deletes its tokens after updating the app) waits for these pairs and
                // deletes them too, instead of missing the ones this inserts.
                let lock = active_apps(rotations.iter().map(|rotate| rotate.app_id.0));
                let (sql, values) = lock.build_sqlx(builder());
                sqlx::query_with(&sql, values).execute(&mut *tx).await.map_err(other)?;
                let (sql, values) = consume.build_sqlx(builder());
                let rows: Vec<ConsumedRow> = sqlx::query_as_with(&sql, values)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(other)?;
                for (token_id, app_id, enterprise_id, user_id, scope, family) in rows {
                    let enterprise_id = EnterpriseId(enterprise_id);
                    let subject = match user_id {
                        Some(user_id) => Subject::User(enterprise_id, UserId(user_id)),
                        None => Subject::Enterprise(enterprise_id),
                    };
                    let scopes = scope.as_deref().map(Scopes::parse_stored);
                    outcome.consumed.insert(token_id, (subject, scopes));
                    if let Some(rotate) = rotations.iter().find(|rotate| rotate.token_id.0 == token_id) {
                        tokens.push(NewToken {
                            app_id: AppId(app_id),
                            subject,
                            secrets: rotate.replacement.clone(),
                            scopes,
                            family: Some(TokenId(family.unwrap_or(token_id))),
                            root: None,
                            acting: None,
                        });
                    }
                }
            }
            if !tokens.is_empty() {
                let token_refs: Vec<&NewToken> = tokens.iter().collect();
                let insert = insert_tokens(&token_refs)
                    .returning(Query::returning().columns([OauthToken::AccessHash, OauthToken::TokenId]))
                    .to_owned();
                let (sql, values) = insert.build_sqlx(builder());
                let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as_with(&sql, values)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(other)?;
                outcome.token_ids.extend(rows);
            }
            tx.commit().await.map_err(other)?;
            Ok(outcome)
        })
    }
}

/// Marks each still-usable refresh token used: it belongs to the asking app, matches the
/// presented secret's hash, has not expired, its app is active, and its user (if any) is active
/// and undeleted.
/// The old access token keeps working until it expires, so a client that refreshes while
/// another of its requests is in flight does not fail that request.
fn consume_refresh_tokens(rotations: &[Rotate]) -> sea_query::UpdateStatement {
    let mut matches = Cond::any();
    for rotate in rotations {
        matches = matches.add(
            Cond::all()
                .add(Expr::col(OauthToken::TokenId).eq(rotate.token_id.0))
                .add(Expr::col(OauthToken::AppId).eq(rotate.app_id.0))
                .add(Expr::col(OauthToken::RefreshHash).eq(rotate.refresh_hash.clone()))
                .add(Expr::col(OauthToken::RefreshExpiresAt).gt(rotate.now)),
        );
    }
    let active_users = Query::select()
        .column(UserAccount::UserId)
        .from(UserAccount::Table)
        .and_where(Expr::col(UserAccount::Active).eq(true))
        .and_where(Expr::col(UserAccount::DeletedAt).is_null())
        .to_owned();
    let active_apps = Query::select()
        .column(App::AppId)
        .from(App::Table)
        .and_where(Expr::col(App::Status).eq(AppStatus::Active.as_str()))
        .to_owned();
    Query::update()
        .table(OauthToken::Table)
        // Kept, so a replay of this refresh token is recognised (and revokes the family).
        .value(OauthToken::UsedRefreshHash, Expr::col(OauthToken::RefreshHash))
        .value(OauthToken::RefreshHash, Option::<Vec<u8>>::None)
        .cond_where(matches)
        // A confined token, or one acting for a console's administrator, is never refreshed
        // (its pair would lose the confinement or the person).
        .and_where(Expr::col(OauthToken::RootItemId).is_null())
        .and_where(Expr::col(OauthToken::ActingUserId).is_null())
        .and_where(Expr::col(OauthToken::AppId).in_subquery(active_apps))
        .cond_where(
            Cond::any()
                .add(Expr::col(OauthToken::UserId).is_null())
                .add(Expr::col(OauthToken::UserId).in_subquery(active_users)),
        )
        .returning(Query::returning().columns([
            OauthToken::TokenId,
            OauthToken::AppId,
            OauthToken::EnterpriseId,
            OauthToken::UserId,
            OauthToken::Scope,
            OauthToken::FamilyId,
        ]))
        .to_owned()
}

/// A consumed refresh token: its pair, subject, scope and family.
type ConsumedRow = (i64, i64, i64, Option<i64>, Option<String>, Option<i64>);

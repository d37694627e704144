//! Connecting to the engine the URL names, and migrating it.

use std::any::TypeId;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The one place that knows which engine is behind the repository.
#[derive(Clone)]
pub(crate) enum Pool {
    /// SQLite allows one writer at a time. Writes go through a pool of one connection, so they
    /// queue here instead of spinning in SQLite's busy handler (which sleeps and wrecks tail
    /// latency); reads use the other pool and never block on writers in WAL mode.
    Sqlite {
        reader: sqlx::SqlitePool,
        writer: sqlx::SqlitePool,
    },
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$pool` bound to the engine's pool for `read` or `write` access and
/// `$builder` to a function making its query builder. The body is written once and compiled
/// for each engine.
macro_rules! on_pool {
    ($repo:expr, $access:ident, |$pool:ident, $builder:ident| $body:expr) => {
        match &$repo.pool {
            $crate::pool::Pool::Sqlite { reader, writer } => {
                let $pool = $crate::pool::on_pool!(@pick $access, reader, writer);
                let _ = (reader, writer);
                let $builder = || sea_query::SqliteQueryBuilder;
                $body
            }
            $crate::pool::Pool::Postgres($pool) => {
                let $builder = || sea_query::PostgresQueryBuilder;
                $body
            }
        }
    };
    (@pick read, $reader:ident, $writer:ident) => {
        $reader
    };
    (@pick write, $reader:ident, $writer:ident) => {
        $writer
    };
}
pub(crate) use on_pool;

/// Runs one statement on `$executor` (a pool, or `&mut *tx`) with the engine's `$builder`.
macro_rules! execute {
    ($executor:expr, $builder:ident, $statement:expr) => {{
        let (sql, values) = $statement.build_sqlx($builder());
        sqlx::query_with(&sql, values)
            .execute($executor)
            .await
            .map_err($crate::errors::other)
    }};
}
pub(crate) use execute;

/// The single value of a read-only query that returns exactly one row.
macro_rules! fetch_scalar {
    ($repo:expr, $query:expr) => {
        $crate::pool::on_pool!($repo, read, |pool, builder| {
            let (sql, values) = $query.build_sqlx(builder());
            sqlx::query_scalar_with(&sql, values)
                .fetch_one(pool)
                .await
                .map_err($crate::errors::other)
        })
    };
}
pub(crate) use fetch_scalar;

/// At most one `$row` from a read-only query.
macro_rules! fetch_optional {
    ($repo:expr, $query:expr => $row:ty) => {
        $crate::pool::on_pool!($repo, read, |pool, builder| {
            let (sql, values) = $query.build_sqlx(builder());
            sqlx::query_as_with::<_, $row, _>(&sql, values)
                .fetch_optional(pool)
                .await
                .map_err($crate::errors::other)
        })
    };
}
pub(crate) use fetch_optional;

/// The repository over one SQLite or PostgreSQL database.
pub struct SqlRepo {
    pub(crate) pool: Pool,
    /// Group-commits token writes (see `batch`).
    pub(crate) token_writer: tokio::sync::mpsc::Sender<crate::batch::Op>,
}

/// See [`SqlRepo::revocation_notices`].
pub struct RevocationNotices {
    listener: sqlx::postgres::PgListener,
}

impl RevocationNotices {
    /// Waits for the next notice. The listener reconnects by itself; while it cannot, this
    /// returns once a second, which only costs the caller an extra poll.
    pub async fn next(&mut self) {
        if let Err(err) = self.listener.recv().await {
            tracing::debug!(error = %err, "revocation notices interrupted");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// Whether a writer connection may go back to the pool. When a disk is full (or an I/O error
/// strikes) SQLite rolls the whole transaction back by itself; the ROLLBACK sqlx then sends
/// fails, and sqlx still counts the transaction as open, so every later `BEGIN IMMEDIATE` on the
/// connection would fail. Such a connection is closed, and the pool opens a new one.
async fn release_sound(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A dropped transaction's rollback is queued on the connection: let it run, then look again.
    let _ = sqlx::query("select 1").execute(&mut *conn).await;
    Ok(!conn.is_in_transaction())
}

/// `migrator` without the migrations numbered after `last`.
fn through(mut migrator: sqlx::migrate::Migrator, last: i64) -> sqlx::migrate::Migrator {
    if migrator.migrations.iter().any(|migration| migration.version > last) {
        let kept: Vec<_> = migrator
            .migrations
            .iter()
            .filter(|migration| migration.version <= last)
            .cloned()
            .collect();
        migrator.migrations = kept.into();
    }
    migrator
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL scheme (expected sqlite: or postgres://)")]
    UnsupportedScheme,
    #[error("cannot open the database: {0}")]
    Open(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl SqlRepo {
    fn with_pool(pool: Pool) -> Self {
        let token_writer = crate::batch::spawn_token_writer(pool.clone());
        Self { pool, token_writer }
    }

    /// Opens `url` (`sqlite:…` or `postgres://…`) with at most `max_connections`; a request
    /// waits `acquire_timeout` for a connection before its call fails as unavailable.
    pub async fn connect(url: &str, max_connections: u32, acquire_timeout: Duration) -> Result<Self, ConnectError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(ConnectError::Open)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL + NORMAL is durable across process crashes (kill -9); only an OS crash
                // can lose the last transactions, the usual trade for an embedded store.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // sqlx hands rows from SQLite's thread to ours through this channel; at its
                // default of 50 a 1,000-row listing ping-pongs between the threads 20 times.
                .row_buffer_size(2048);
            // Turning a new file to WAL needs it to itself for a moment, and SQLite does not
            // wait for that: processes opening a new database together try again.
            let mut attempt = 0;
            let writer = loop {
                let opened = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_release(|conn, _| Box::pin(release_sound(conn)))
                    .connect_with(options.clone())
                    .await;
                match opened {
                    Ok(writer) => break writer,
                    Err(sqlx::Error::Database(err)) if err.message().contains("locked") && attempt < 20 => {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(err) => return Err(ConnectError::Open(err)),
                }
            };
            let reader = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await
                .map_err(ConnectError::Open)?;
            Ok(Self::with_pool(Pool::Sqlite { reader, writer }))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // A statement that runs this long is stuck; fail it rather than hold a connection
            // (and, for the token writer, every waiting grant) forever.
            let options = PgConnectOptions::from_str(url)
                .map_err(ConnectError::Open)?
                .options([("statement_timeout", "30s")]);
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await
                .map_err(ConnectError::Open)?;
            Ok(Self::with_pool(Pool::Postgres(pool)))
        } else {
            Err(ConnectError::UnsupportedScheme)
        }
    }

    /// Applies pending migrations. Safe to run from several nodes at once: sqlx takes an
    /// advisory lock on PostgreSQL, and SQLite serialises writers.
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        self.migrate_through(i64::MAX).await
    }

    /// Applies the pending migrations numbered up to `last`: the schema an older release left,
    /// which the upgrade tests fill with that release's data before migrating the rest of the way.
    pub async fn migrate_through(&self, last: i64) -> Result<(), ConnectError> {
        match &self.pool {
            Pool::Sqlite { writer, .. } => {
                // sqlx takes no lock on SQLite: processes starting together (a server and an
                // admin command) may both try a migration. SQLite runs their transactions one
                // after the other, the second fails and rolls back whole, and running again
                // finds it applied.
                let started = std::time::Instant::now();
                loop {
                    match through(sqlx::migrate!("./migrations/sqlite"), last).run(writer).await {
                        Ok(()) => return Ok(()),
                        // Only losing the race is retried; a migration that cannot apply fails.
                        Err(
                            sqlx::migrate::MigrateError::Execute(_) | sqlx::migrate::MigrateError::ExecuteMigration(..),
                        ) if started.elapsed() < Duration::from_secs(30) => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(err) => return Err(ConnectError::Migrate(err)),
                    }
                }
            }
            Pool::Postgres(pool) => {
                // Nodes starting together wait on the migration lock for as long as the first
                // one migrates, and a migration may rewrite a big table: neither may meet the
                // pool's statement timeout. RESET gives the connection back with it.
                let mut conn = pool.acquire().await.map_err(ConnectError::Open)?;
                sqlx::query("set statement_timeout = 0")
                    .execute(&mut *conn)
                    .await
                    .map_err(ConnectError::Open)?;
                let migrated = through(sqlx::migrate!("./migrations/postgres"), last)
                    .run(&mut *conn)
                    .await;
                sqlx::query("reset statement_timeout")
                    .execute(&mut *conn)
                    .await
                    .map_err(ConnectError::Open)?;
                migrated.map_err(ConnectError::Migrate)
            }
        }
    }

    /// Notices of a moved revocation epoch (PostgreSQL's NOTIFY, sent by a trigger in every
    /// revoking transaction), on a connection of their own; `None` on SQLite, whose nodes
    /// (the server and admin commands beside it) only poll.
    pub async fn revocation_notices(&self) -> Option<RevocationNotices> {
        let Pool::Postgres(pool) = &self.pool else {
            return None;
        };
        let own = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(pool.connect_options().as_ref().clone());
        let listen = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&own).await?;
            listener.listen("openpan_revocations").await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listen.await {
            Ok(listener) => Some(RevocationNotices { listener }),
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for revocations; polling only");
                None
            }
        }
    }

    /// The connection pools' occupancy, for `/metrics`.
    pub fn pool_samples(&self) -> Vec<openpan_core::ports::PoolSample> {
        fn sample<DB: sqlx::Database>(pool: &'static str, of: &sqlx::Pool<DB>) -> openpan_core::ports::PoolSample {
            openpan_core::ports::PoolSample {
                pool,
                open: of.size(),
                idle: of.num_idle() as u32,
                max: of.options().get_max_connections(),
            }
        }
        match &self.pool {
            Pool::Sqlite { reader, writer } => vec![sample("reader", reader), sample("writer", writer)],
            Pool::Postgres(pool) => vec![sample("main", pool)],
        }
    }

    /// Work waiting for the background jobs of any node, for `/metrics`: pending app notices,
    /// webhook events not yet delivered (to apps that can receive them), files queued for knowledge-base training, and blobs
    /// nothing references (the collector's).
    pub async fn queue_depths(&self) -> Result<Vec<(&'static str, i64)>, sqlx::Error> {
        const QUEUES: [(&str, &str); 4] = [
            ("notices", "select count(*) from app_notice where status = 'pending'"),
            (
                "webhook_events",
                "select coalesce(sum((select count(*) from event_log e \
                 where e.enterprise_id = w.enterprise_id and e.seq > w.cursor)), 0) \
                 from app_webhook w join app a on a.app_id = w.app_id \
                 where w.status = 'active' and a.status = 'active' and a.callback_url is not null",
            ),
            (
                "knowledge_training",
                "select count(*) from kb_train_file where status in ('queued', 'running')",
            ),
            (
                "unreferenced_blobs",
                "select count(*) from content_blob where ref_count = 0",
            ),
        ];
        let mut depths = Vec::with_capacity(QUEUES.len());
        for (queue, sql) in QUEUES {
            // SQLite's sum over integers is an integer; PostgreSQL's is numeric.
            let depth: i64 = match &self.pool {
                Pool::Sqlite { reader, .. } => sqlx::query_scalar(sql).fetch_one(reader).await?,
                Pool::Postgres(pool) => {
                    sqlx::query_scalar(&format!("select ({sql})::bigint"))
                        .fetch_one(pool)
                        .await?
                }
            };
            depths.push((queue, depth));
        }
        Ok(depths)
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        match &self.pool {
            Pool::Sqlite { reader, .. } => sqlx::query("select 1").execute(reader).await.is_ok(),
            Pool::Postgres(pool) => sqlx::query("select 1").execute(pool).await.is_ok(),
        }
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { reader, writer } => {
                reader.close().await;
                writer.close().await;
            }
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// `sql` for the engine of `builder`: `?` placeholders become `$1, $2, …` on PostgreSQL.
pub(crate) fn dialect<B: 'static>(_builder: &B, sql: &str) -> String {
    if TypeId::of::<B>() != TypeId::of::<sea_query::PostgresQueryBuilder>() {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn is_postgres<B: 'static>(_builder: &B) -> bool {
    TypeId::of::<B>() == TypeId::of::<sea_query::PostgresQueryBuilder>()
}

/// `lock` (` for update`, ` for share`) to end a select that holds its rows for the rest of
/// the transaction on PostgreSQL; nothing on SQLite, which has no row locks and whose writes
/// are serial anyway.
pub(crate) fn row_lock<B: 'static>(builder: &B, lock: &'static str) -> &'static str {
    if is_postgres(builder) { lock } else { "" }
}

/// `?, ?, …`: `count` placeholders, for an `in (…)` list.
pub(crate) fn marks(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// Raw SQL with `?` placeholders, for statements that read more clearly as SQL than as builder
/// calls (recursive CTEs, conditional updates); `$builder` picks the engine.
/// Runs a statement; evaluates to its `sqlx::Result` of the query result.
macro_rules! exec {
    ($conn:expr, $builder:ident, $sql:expr $(, $arg:expr)* $(,)?) => {{
        let sql = $crate::pool::dialect(&$builder(), $sql);
        sqlx::query(&sql)$(.bind($arg))*.execute($conn).await
    }};
}
pub(crate) use exec;

/// Fetches rows as `$row`: `all`, `optional` or `one`.
macro_rules! fetch {
    ($mode:ident $row:ty, $conn:expr, $builder:ident, $sql:expr $(, $arg:expr)* $(,)?) => {{
        let sql = $crate::pool::dialect(&$builder(), $sql);
        $crate::pool::fetch!(@run $mode, sqlx::query_as::<_, $row>(&sql)$(.bind($arg))*, $conn)
    }};
    (@run all, $query:expr, $conn:expr) => { $query.fetch_all($conn).await };
    (@run optional, $query:expr, $conn:expr) => { $query.fetch_optional($conn).await };
    (@run one, $query:expr, $conn:expr) => { $query.fetch_one($conn).await };
}
pub(crate) use fetch;

/// Fetches one scalar.
macro_rules! scalar {
    ($ty:ty, $conn:expr, $builder:ident, $sql:expr $(, $arg:expr)* $(,)?) => {{
        let sql = $crate::pool::dialect(&$builder(), $sql);
        sqlx::query_scalar::<_, $ty>(&sql)$(.bind($arg))*.fetch_one($conn).await
    }};
}
pub(crate) use scalar;

/// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
/// a deferred transaction that reads and then writes while another process (a second node, the
/// admin CLI) holds the lock fails at once instead of waiting its turn, because SQLite cannot
/// let it wait without risking a deadlock. Evaluates to the `sqlx::Result` of the transaction.
macro_rules! begin {
    ($pool:expr, $builder:ident) => {
        if $crate::pool::is_postgres(&$builder()) {
            $pool.begin().await
        } else {
            $pool.begin_with("BEGIN IMMEDIATE").await
        }
    };
}
pub(crate) use begin;

/// Commits `$tx` together with the audit events announced for it (`openpan_core::audit`);
/// `$created` is the id of what the transaction created, for events that name it.
macro_rules! commit {
    ($tx:ident, $builder:ident) => {
        $crate::pool::commit!($tx, $builder, None)
    };
    ($tx:ident, $builder:ident, $created:expr) => {{
        $crate::pool::commit!(@each $tx, $builder, Option::<i64>::from($created).as_slice())
    }};
    (@each $tx:ident, $builder:ident, $created:expr) => {{
        for event in openpan_core::audit::take_pending_created($created) {
            if let Some(feed) = &event.feed {
                let (space_kind, space_id) = feed.space.map(|space| space.to_parts()).unzip();
                $crate::pool::insert_event_log!(
                    $tx,
                    $builder,
                    event.enterprise_id.0,
                    feed.event,
                    feed.subject_id,
                    event.target_kind.code(),
                    event.target_id,
                    &event.target_name,
                    event.operator.map(|user| user.0),
                    event.app.map(|app| app.0),
                    &event.detail,
                    event.created_at,
                    space_kind,
                    space_id
                );
            }
            $crate::pool::exec!(
                &mut *$tx,
                $builder,
                $crate::pool::INSERT_AUDIT_EVENT,
                event.enterprise_id.0,
                event.action,
                event.operator.map(|user| user.0),
                event.app.map(|app| app.0),
                event.target_kind.code(),
                event.target_id,
                &event.target_name,
                event.target_size,
                event.department_id,
                &event.detail,
                &event.origin.ip,
                &event.origin.user_agent,
                &event.origin.service,
                event.created_at
            )
            .map_err($crate::errors::other)?;
        }
        $tx.commit().await.map_err($crate::errors::other)
    }};
}
pub(crate) use commit;

/// Holds a live item (not in the trash; `$filter` narrows it further) for the rest of the
/// transaction on PostgreSQL (`$lock`: ` for share` to keep it from being purged, ` for update`
/// to write it), or answers `NotFound`. Evaluates to its space as `(kind, id)`.
macro_rules! hold_live_item {
    ($tx:expr, $builder:ident, $id:expr, $filter:literal, $lock:literal) => {{
        let sql = format!(
            "select space_kind, space_id from item where item_id = ? and trash_root_id is null{}{}",
            $filter,
            $crate::pool::row_lock(&$builder(), $lock)
        );
        sqlx::query_as::<_, (i16, i64)>(&$crate::pool::dialect(&$builder(), &sql))
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await
            .map_err($crate::errors::other)?
            .ok_or(openpan_core::RepoError::NotFound)?
    }};
}
pub(crate) use hold_live_item;

/// Event-log entries for rows a change removes along the way, credited to the change's actor
/// (`openpan_core::audit::pending_actor`). `$select` is the select part of an insert into
/// `event_log`: its first three placeholders take the operator, app and time, `$binds` the rest.
macro_rules! log_removed {
    ($tx:ident, $builder:ident, $select:expr, $binds:expr) => {{
        if let Some((enterprise, operator, app, at)) = openpan_core::audit::pending_actor() {
            $crate::pool::hold_event_order!($tx, $builder, enterprise.0);
            let sql = $crate::pool::dialect(
                &$builder(),
                &format!(
                    "insert into event_log (enterprise_id, event_type, subject_id, target_kind, target_id, \
                     operator_id, app_id, payload, created_at, space_kind, space_id) {}",
                    $select
                ),
            );
            let mut query = sqlx::query(&sql)
                .bind(operator.map(|user| user.0))
                .bind(app.map(|app| app.0))
                .bind(at);
            for bind in $binds {
                query = query.bind(*bind);
            }
            query.execute(&mut *$tx).await.map_err($crate::errors::other)?;
        }
    }};
}
pub(crate) use log_removed;

/// `log_removed!` selects of the collaborations of an accessor (kind, id), a removal `reason`
/// in the payload.
pub(crate) fn collabs_removed(reason: &str, condition: &str) -> String {
    format!(
        "select c.enterprise_id, 'collab.removed', c.collab_id, 2, c.folder_id, ?, ?, \
         '{{\"reason\":\"{reason}\"}}', ?, i.space_kind, i.space_id \
         from collab c join item i on i.item_id = c.folder_id where {condition}"
    )
}

/// Takes (on PostgreSQL) the enterprise's event-order row for the rest of the transaction, so
/// its events commit in `seq` order: a transaction draws its `seq` values only after the one
/// before it committed. `commit!` takes it just before the events are written, after every
/// other lock the change holds, so it waits on nothing while held; `log_removed!` takes it
/// earlier, in deletions of users, departments, groups and purges (most already under their
/// enterprise's tree or directory lock; a group's deletion is not), so such a deletion can
/// deadlock with a change still holding rows it removes — PostgreSQL breaks that and the
/// loser is answered "retry". SQLite's single writer orders events already.
/// Appends one entry to the event log inside `$tx`, holding its enterprise's event order
/// first. A file's or folder's space is read from the item as it is after the change; the given
/// space stands when the item is gone (or the target is no item).
macro_rules! insert_event_log {
    (
        $tx:ident, $builder:ident, $enterprise:expr, $event:expr, $subject:expr, $kind:expr, $target:expr,
        $name:expr, $operator:expr, $app:expr, $payload:expr, $at:expr, $space_kind:expr, $space_id:expr
    ) => {{
        let (enterprise, kind, target) = ($enterprise, $kind, $target);
        $crate::pool::hold_event_order!($tx, $builder, enterprise);
        $crate::pool::exec!(
            &mut *$tx,
            $builder,
            $crate::pool::INSERT_EVENT_LOG,
            enterprise,
            $event,
            $subject,
            kind,
            target,
            $name,
            $operator,
            $app,
            $payload,
            $at,
            target,
            kind,
            $space_kind,
            target,
            kind,
            $space_id
        )
        .map_err($crate::errors::other)?;
    }};
}
pub(crate) use insert_event_log;

macro_rules! hold_event_order {
    ($tx:ident, $builder:ident, $enterprise:expr) => {{
        if $crate::pool::is_postgres(&$builder()) {
            $crate::pool::exec!(
                &mut *$tx,
                $builder,
                "insert into event_order (enterprise_id, writes) values (?, 1) \
                 on conflict (enterprise_id) do update set writes = event_order.writes + 1",
                $enterprise
            )
            .map_err($crate::errors::other)?;
        }
    }};
}
pub(crate) use hold_event_order;

/// One event-log entry; the space is read from the item after the change when it still
/// exists (a move names where the item went), else taken from the announcement.
pub(crate) const INSERT_EVENT_LOG: &str = "insert into event_log (enterprise_id, event_type, subject_id, \
     target_kind, target_id, target_name, operator_id, app_id, payload, created_at, space_kind, space_id) \
     select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
     coalesce((select i.space_kind from item i where i.item_id = ? and ? in (1, 2)), ?), \
     coalesce((select i.space_id from item i where i.item_id = ? and ? in (1, 2)), ?)";

pub(crate) const INSERT_AUDIT_EVENT: &str = "insert into audit_event (enterprise_id, action, operator_id, app_id, \
     target_kind, target_id, target_name, target_size, department_id, detail, ip, user_agent, service, created_at) \
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    /// Every migration as `<engine>/<file name> <SHA-384 of its text>`, the lines of
    /// `migrations/released.txt`.
    fn checksum_lines() -> Vec<String> {
        let engines = [
            ("sqlite", sqlx::migrate!("./migrations/sqlite")),
            ("postgres", sqlx::migrate!("./migrations/postgres")),
        ];
        let mut lines = Vec::new();
        for (engine, migrator) in engines {
            for migration in migrator.migrations.iter() {
                assert_eq!(
                    migration.migration_type,
                    sqlx::migrate::MigrationType::Simple,
                    "{engine} migration {} has a down script: migrations only go forward",
                    migration.version
                );
                let hex = migration.checksum.iter().fold(String::new(), |mut hex, byte| {
                    let _ = write!(hex, "{byte:02x}");
                    hex
                });
                let name = migration.description.replace(' ', "_");
                lines.push(format!("{engine}/{:04}_{name} {hex}", migration.version));
            }
        }
        lines
    }

    /// Every migration on main is released: main is always deployable, so some installation
    /// may have applied it, and sqlx refuses to start on a database whose applied migration no
    /// longer matches its file. New migrations are appended with `OPENPAN_BLESS=1`; a line
    /// already there is never rewritten.
    #[test]
    fn released_migrations_are_never_edited_or_removed_and_both_engines_have_the_same_ones() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/released.txt");
        let recorded = std::fs::read_to_string(path).unwrap_or_default();
        let current = checksum_lines();
        for line in recorded
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
        {
            assert!(
                current.iter().any(|now| now == line),
                "released migration changed or removed: {line}\n\
                 write a new migration instead of editing one that installations have applied"
            );
        }
        let new: Vec<&String> = current
            .iter()
            .filter(|line| !recorded.lines().any(|old| old == line.as_str()))
            .collect();
        if std::env::var_os("OPENPAN_BLESS").is_some() {
            let mut text = recorded.clone();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            for line in &new {
                text.push_str(line);
                text.push('\n');
            }
            std::fs::write(path, text).unwrap();
        } else {
            assert!(new.is_empty(), "record new migrations with OPENPAN_BLESS=1: {new:?}");
        }
        let versions = |engine: &str| -> Vec<String> {
            current
                .iter()
                .filter_map(|line| line.strip_prefix(engine)?.split(' ').next().map(str::to_owned))
                .collect()
        };
        assert_eq!(
            versions("sqlite/"),
            versions("postgres/"),
            "each migration is written for both engines"
        );
    }
}

//! Logical backups: every table written out as JSON lines from one snapshot while the drive
//! serves, and loaded back into an empty database of the same schema version.
//!
//! Rows, not engine files, so one format serves SQLite and PostgreSQL and no `pg_dump` of a
//! matching version has to be installed beside the nodes. A table file is a header line
//! (`{"table": …, "columns": […]}`) and then one JSON array per row; bytes are `{"hex": …}`.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use sqlx::{Column, Connection, Row, TypeInfo, ValueRef};

use crate::pool::{Pool, SqlRepo};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::File {
        path: path.to_owned(),
        source,
    }
}

/// Rows of one table, as a backup counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    pub table: String,
    pub rows: u64,
}

/// Where a table's rows go in a backup directory.
pub fn table_file(dir: &Path, table: &str) -> PathBuf {
    dir.join("tables").join(format!("{table}.jsonl"))
}

/// Writes one table's rows, read in transaction `tx` and turned to JSON by `value`.
macro_rules! dump_table {
    ($tx:ident, $dir:expr, $table:expr, $value:ident) => {{
        let mut out = TableWriter::create($dir, &$table)?;
        let select = format!("select * from {}", quoted(&$table));
        let mut rows = sqlx::query(&select).fetch(&mut *$tx);
        while let Some(row) = rows.try_next().await? {
            let values = (0..row.len()).map(|i| $value(&row, i)).collect::<Result<_, _>>()?;
            out.row(&row, values)?;
        }
        out.finish()?
    }};
}

/// Replaces a table's rows with a backup's, binding each value with `bind` for the column's
/// kind in `types`; answers how many went in. The engines differ only in placeholders and
/// binding, and sqlx's query types differ per engine, hence a macro.
macro_rules! load_table {
    ($tx:ident, $dir:expr, $table:expr, $types:expr, $placeholder:expr, $bind:ident) => {{
        sqlx::query(&format!("delete from {}", quoted($table)))
            .execute(&mut *$tx)
            .await?;
        let mut rows = 0;
        let (sql, file_columns) = insert_statement($dir, $table, $placeholder, &$types)?;
        for values in read_rows($dir, $table)? {
            let values = values?;
            if values.len() != file_columns.len() {
                return Err(BackupError::Refused(format!(
                    "{}: a row of {} values for {} columns",
                    $table,
                    values.len(),
                    file_columns.len()
                )));
            }
            let mut query = sqlx::query(&sql);
            for (column, value) in file_columns.iter().zip(values) {
                query = $bind(query, kind_of(&$types, $table, column)?, value)?;
            }
            query.execute(&mut *$tx).await?;
            rows += 1;
        }
        TableRows {
            table: $table.clone(),
            rows,
        }
    }};
}

/// The column list of a table file with no rows (whose columns the loader never needs).
const EMPTY_TABLE: &str = "-";

/// sqlx's bookkeeping: each database has its own, made by the binary's migrations.
const NOT_BACKED_UP: &str = "_sqlx_migrations";

impl SqlRepo {
    /// The highest migration applied: a backup loads only into a database at the same one.
    pub async fn schema_version(&self) -> Result<i64, BackupError> {
        let sql = "select coalesce(max(version), 0) from _sqlx_migrations where success";
        Ok(match &self.pool {
            Pool::Sqlite { reader, .. } => sqlx::query_scalar(sql).fetch_one(reader).await?,
            Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }

    /// Writes every table into `dir/tables/`, all from one snapshot of the database.
    pub async fn export_tables(&self, dir: &Path) -> Result<Vec<TableRows>, BackupError> {
        let tables_dir = dir.join("tables");
        private_dir(&tables_dir).map_err(file_error(&tables_dir))?;
        let mut counts = Vec::new();
        match &self.pool {
            Pool::Sqlite { reader, .. } => {
                let mut conn = reader.acquire().await?;
                // A read transaction in WAL mode sees one moment throughout, writers going on.
                let mut tx = conn.begin().await?;
                let tables: Vec<String> = sqlx::query_scalar(
                    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
                )
                .fetch_all(&mut *tx)
                .await?;
                for table in tables.into_iter().filter(|table| table != NOT_BACKED_UP) {
                    counts.push(dump_table!(tx, dir, table, sqlite_value));
                }
                tx.commit().await?;
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("set transaction isolation level repeatable read, read only")
                    .execute(&mut *tx)
                    .await?;
                // A large table takes longer to read than a request may.
                sqlx::query("set local statement_timeout = 0").execute(&mut *tx).await?;
                let tables: Vec<String> = sqlx::query_scalar(
                    "select tablename::text from pg_tables where schemaname = current_schema() order by tablename",
                )
                .fetch_all(&mut *tx)
                .await?;
                for table in tables.into_iter().filter(|table| table != NOT_BACKED_UP) {
                    counts.push(dump_table!(tx, dir, table, pg_value));
                }
                tx.commit().await?;
            }
        }
        Ok(counts)
    }

    /// Whether no enterprise exists yet (a restore goes only into such a database).
    pub async fn is_empty(&self) -> Result<bool, BackupError> {
        let sql = "select count(*) from enterprise";
        let count: i64 = match &self.pool {
            Pool::Sqlite { reader, .. } => sqlx::query_scalar(sql).fetch_one(reader).await?,
            Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        };
        Ok(count == 0)
    }

    /// Loads `tables` from a backup in `dir` into this database, replacing what its migrations
    /// put there; all or nothing. References between rows are checked once everything is in.
    pub async fn import_tables(&self, dir: &Path, tables: &[String]) -> Result<Vec<TableRows>, BackupError> {
        let mut counts = Vec::new();
        match &self.pool {
            Pool::Sqlite { writer, .. } => {
                // Rows go in table by table, so a child may come before its parent: foreign
                // keys are off on this connection, which therefore never goes back to the pool.
                let mut conn = writer.acquire().await?.detach();
                sqlx::query("pragma foreign_keys = off").execute(&mut conn).await?;
                {
                    let mut tx = conn.begin().await?;
                    // Triggers would restamp what they maintain (the tree's change
                    // generations); the backup's values are the ones wanted.
                    let triggers: Vec<(String, String)> =
                        sqlx::query_as("select name, sql from sqlite_master where type = 'trigger'")
                            .fetch_all(&mut *tx)
                            .await?;
                    for (name, _) in &triggers {
                        sqlx::query(&format!("drop trigger {}", quoted(name)))
                            .execute(&mut *tx)
                            .await?;
                    }
                    for table in tables {
                        let columns: Vec<(String, String)> = sqlx::query_as(&format!(
                            "select name, type from pragma_table_info('{}')",
                            table.replace('\'', "''")
                        ))
                        .fetch_all(&mut *tx)
                        .await?;
                        let types = column_types(table, columns, sqlite_kind)?;
                        counts.push(load_table!(tx, dir, table, types, '?', bind_sqlite));
                    }
                    for (_, sql) in &triggers {
                        sqlx::query(sql).execute(&mut *tx).await?;
                    }
                    let broken: Vec<(String,)> = sqlx::query_as("select \"table\" from pragma_foreign_key_check")
                        .fetch_all(&mut *tx)
                        .await?;
                    if let Some((table,)) = broken.first() {
                        return Err(BackupError::Refused(format!(
                            "the backup's {table} rows refer to rows it does not have"
                        )));
                    }
                    tx.commit().await?;
                }
                conn.close().await?;
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("set local statement_timeout = 0").execute(&mut *tx).await?;
                // Foreign keys come off for the load and go back on after it, which checks
                // every row; needs only ownership of the tables, not a superuser.
                let keys: Vec<(String, String, String)> = sqlx::query_as(
                    "select conrelid::regclass::text, conname::text, pg_get_constraintdef(oid) from pg_constraint \
                     where contype = 'f' and connamespace = current_schema()::regnamespace",
                )
                .fetch_all(&mut *tx)
                .await?;
                for (table, name, _) in &keys {
                    sqlx::query(&format!("alter table {table} drop constraint \"{name}\""))
                        .execute(&mut *tx)
                        .await?;
                }
                for table in tables {
                    let columns: Vec<(String, String)> = sqlx::query_as(
                        "select column_name::text, data_type::text from information_schema.columns \
                         where table_schema = current_schema() and table_name = $1",
                    )
                    .bind(table)
                    .fetch_all(&mut *tx)
                    .await?;
                    let types = column_types(table, columns, pg_kind)?;
                    // Triggers would restamp what they maintain; the backup's values are wanted.
                    sqlx::query(&format!("alter table {} disable trigger user", quoted(table)))
                        .execute(&mut *tx)
                        .await?;
                    counts.push(load_table!(tx, dir, table, types, '$', bind_pg));
                    sqlx::query(&format!("alter table {} enable trigger user", quoted(table)))
                        .execute(&mut *tx)
                        .await?;
                }
                for (table, name, definition) in &keys {
                    sqlx::query(&format!("alter table {table} add constraint \"{name}\" {definition}"))
                        .execute(&mut *tx)
                        .await
                        .map_err(|err| match &err {
                            sqlx::Error::Database(db) if db.code().as_deref() == Some("23503") => BackupError::Refused(
                                format!("the backup's {table} rows refer to rows it does not have ({err})"),
                            ),
                            _ => BackupError::Database(err),
                        })?;
                }
                // Ids were loaded as they were: each sequence continues after the highest.
                let sequences: Vec<(String, String)> = sqlx::query_as(
                    "select table_name::text, column_name::text from information_schema.columns \
                     where table_schema = current_schema() \
                     and (is_identity = 'YES' or column_default like 'nextval(%')",
                )
                .fetch_all(&mut *tx)
                .await?;
                for (table, column) in sequences {
                    sqlx::query(&format!(
                        "select setval(pg_get_serial_sequence('\"{table}\"', '{column}'), \
                         coalesce((select max(\"{column}\") from \"{table}\"), 0) + 1, false)"
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(counts)
    }
}

/// How a column's values are read back and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Int4,
    Int2,
    Bool,
    Float,
    Text,
    Bytes,
}

fn sqlite_kind(declared: &str) -> Option<Kind> {
    // SQLite keeps whatever it is given; the declared type only says what to expect.
    let declared = declared.to_ascii_lowercase();
    Some(if declared.contains("int") {
        Kind::Int
    } else if declared.contains("bool") {
        Kind::Bool
    } else if declared.contains("blob") || declared.is_empty() {
        Kind::Bytes
    } else if declared.contains("real") || declared.contains("double") || declared.contains("float") {
        Kind::Float
    } else {
        Kind::Text
    })
}

fn pg_kind(data_type: &str) -> Option<Kind> {
    Some(match data_type {
        "bigint" => Kind::Int,
        "integer" => Kind::Int4,
        "smallint" => Kind::Int2,
        "boolean" => Kind::Bool,
        "double precision" | "real" => Kind::Float,
        "text" | "character varying" | "character" => Kind::Text,
        "bytea" => Kind::Bytes,
        _ => return None,
    })
}

fn column_types(
    table: &str,
    columns: Vec<(String, String)>,
    kind: impl Fn(&str) -> Option<Kind>,
) -> Result<HashMap<String, Kind>, BackupError> {
    if columns.is_empty() {
        return Err(BackupError::Refused(format!(
            "the backup has a table {table} this database does not"
        )));
    }
    columns
        .into_iter()
        .map(|(name, declared)| match kind(&declared) {
            Some(kind) => Ok((name, kind)),
            None => Err(BackupError::Refused(format!(
                "{table}.{name}: a column type ({declared}) backups do not carry"
            ))),
        })
        .collect()
}

fn kind_of(types: &HashMap<String, Kind>, table: &str, column: &str) -> Result<Kind, BackupError> {
    types.get(column).copied().ok_or_else(|| {
        BackupError::Refused(format!(
            "the backup's {table} has a column {column} this database does not"
        ))
    })
}

/// `insert into <table> (<the file's columns>) values (…)`, with `?` or `$n` placeholders.
/// An identifier in double quotes, any inside doubled.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A new file only its owner may read.
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// A folder only its owner may read: a backup holds password hashes and signing keys.
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

fn insert_statement(
    dir: &Path,
    table: &str,
    placeholder: char,
    types: &HashMap<String, Kind>,
) -> Result<(String, Vec<String>), BackupError> {
    let path = table_file(dir, table);
    let file = std::fs::File::open(&path).map_err(file_error(&path))?;
    let mut header = String::new();
    std::io::BufReader::new(file)
        .read_line(&mut header)
        .map_err(file_error(&path))?;
    let header: Value = serde_json::from_str(&header)
        .map_err(|err| BackupError::Refused(format!("{}: not a table file ({err})", path.display())))?;
    let columns: Vec<String> = header["columns"]
        .as_array()
        .map(|columns| columns.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if header["table"] != table || columns.is_empty() {
        return Err(BackupError::Refused(format!("{}: not {table}'s rows", path.display())));
    }
    if columns == [EMPTY_TABLE] {
        return Ok((String::new(), Vec::new()));
    }
    for column in &columns {
        kind_of(types, table, column)?;
    }
    let names = columns.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
    let marks = (1..=columns.len())
        .map(|n| {
            if placeholder == '$' {
                format!("${n}")
            } else {
                "?".to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        format!("insert into {} ({names}) values ({marks})", quoted(table)),
        columns,
    ))
}

/// The rows of a table file after its header, one at a time.
fn read_rows(dir: &Path, table: &str) -> Result<impl Iterator<Item = Result<Vec<Value>, BackupError>>, BackupError> {
    let path = table_file(dir, table);
    let file = std::fs::File::open(&path).map_err(file_error(&path))?;
    Ok(std::io::BufReader::new(file).lines().skip(1).map(move |line| {
        let line = line.map_err(file_error(&path))?;
        serde_json::from_str(&line)
            .map_err(|err| BackupError::Refused(format!("{}: a damaged row ({err})", path.display())))
    }))
}

fn damaged(value: &Value, kind: Kind) -> BackupError {
    BackupError::Refused(format!("a value {value} where the column holds {kind:?}"))
}

fn bytes_of(value: &Value) -> Option<Vec<u8>> {
    hex::decode(value.get("hex")?.as_str()?).ok()
}

type SqliteQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind_sqlite(query: SqliteQuery<'_>, kind: Kind, value: Value) -> Result<SqliteQuery<'_>, BackupError> {
    Ok(match (&value, kind) {
        (Value::Null, _) => query.bind(None::<i64>),
        (Value::Bool(flag), _) => query.bind(*flag),
        (Value::Number(number), _) => match number.as_i64() {
            Some(int) => query.bind(int),
            None => query.bind(number.as_f64().ok_or_else(|| damaged(&value, kind))?),
        },
        (Value::String(text), _) => query.bind(text.clone()),
        (Value::Object(_), _) => query.bind(bytes_of(&value).ok_or_else(|| damaged(&value, kind))?),
        (Value::Array(_), _) => return Err(damaged(&value, kind)),
    })
}

fn bind_pg(query: PgQuery<'_>, kind: Kind, value: Value) -> Result<PgQuery<'_>, BackupError> {
    let int = || value.as_i64().ok_or_else(|| damaged(&value, kind));
    Ok(match kind {
        Kind::Int if value.is_null() => query.bind(None::<i64>),
        Kind::Int4 if value.is_null() => query.bind(None::<i32>),
        Kind::Int2 if value.is_null() => query.bind(None::<i16>),
        Kind::Bool if value.is_null() => query.bind(None::<bool>),
        Kind::Float if value.is_null() => query.bind(None::<f64>),
        Kind::Text if value.is_null() => query.bind(None::<String>),
        Kind::Bytes if value.is_null() => query.bind(None::<Vec<u8>>),
        Kind::Int => query.bind(int()?),
        Kind::Int4 => query.bind(i32::try_from(int()?).map_err(|_| damaged(&value, kind))?),
        Kind::Int2 => query.bind(i16::try_from(int()?).map_err(|_| damaged(&value, kind))?),
        // SQLite keeps booleans as 0 and 1.
        Kind::Bool => query.bind(match &value {
            Value::Bool(flag) => *flag,
            _ => int()? != 0,
        }),
        Kind::Float => query.bind(value.as_f64().ok_or_else(|| damaged(&value, kind))?),
        Kind::Text => query.bind(value.as_str().ok_or_else(|| damaged(&value, kind))?.to_owned()),
        Kind::Bytes => query.bind(bytes_of(&value).ok_or_else(|| damaged(&value, kind))?),
    })
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Value, BackupError> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    // The value's own storage class, whatever the column declares.
    let class = raw.type_info().name().to_owned();
    Ok(match class.as_str() {
        "INTEGER" | "BOOLEAN" => json!(row.try_get::<i64, _>(i)?),
        "REAL" => json!(row.try_get::<f64, _>(i)?),
        "BLOB" => json!({"hex": hex::encode(row.try_get::<Vec<u8>, _>(i)?)}),
        _ => json!(row.try_get::<String, _>(i)?),
    })
}

fn pg_value(row: &sqlx::postgres::PgRow, i: usize) -> Result<Value, BackupError> {
    if row.try_get_raw(i)?.is_null() {
        return Ok(Value::Null);
    }
    let column = &row.columns()[i];
    Ok(match column.type_info().name() {
        "INT8" => json!(row.try_get::<i64, _>(i)?),
        "INT4" => json!(row.try_get::<i32, _>(i)?),
        "INT2" => json!(row.try_get::<i16, _>(i)?),
        "BOOL" => json!(row.try_get::<bool, _>(i)?),
        "FLOAT8" => json!(row.try_get::<f64, _>(i)?),
        "FLOAT4" => json!(row.try_get::<f32, _>(i)?),
        "BYTEA" => json!({"hex": hex::encode(row.try_get::<Vec<u8>, _>(i)?)}),
        "TEXT" | "VARCHAR" | "NAME" | "BPCHAR" => json!(row.try_get::<String, _>(i)?),
        other => {
            return Err(BackupError::Refused(format!(
                "column {} is of a type ({other}) backups do not carry",
                column.name()
            )));
        }
    })
}

/// One table's file being written.
struct TableWriter {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    table: String,
    rows: u64,
    header_written: bool,
}

impl TableWriter {
    fn create(dir: &Path, table: &str) -> Result<Self, BackupError> {
        let path = table_file(dir, table);
        let file = private_file(&path).map_err(file_error(&path))?;
        Ok(Self {
            out: std::io::BufWriter::new(file),
            path,
            table: table.to_owned(),
            rows: 0,
            header_written: false,
        })
    }

    fn row<R: Row>(&mut self, row: &R, values: Vec<Value>) -> Result<(), BackupError> {
        if !self.header_written {
            let columns: Vec<&str> = row.columns().iter().map(|column| column.name()).collect();
            self.header(&columns)?;
        }
        serde_json::to_writer(&mut self.out, &values).map_err(|err| file_error(&self.path)(err.into()))?;
        self.out.write_all(b"\n").map_err(file_error(&self.path))?;
        self.rows += 1;
        Ok(())
    }

    fn header(&mut self, columns: &[&str]) -> Result<(), BackupError> {
        let header = json!({"table": self.table, "columns": columns});
        writeln!(self.out, "{header}").map_err(file_error(&self.path))?;
        self.header_written = true;
        Ok(())
    }

    /// Flushes and syncs the file; an empty table's file still names it.
    fn finish(mut self) -> Result<TableRows, BackupError> {
        if !self.header_written {
            // Without a row there are no column names to copy; the loader needs none either.
            self.header(&[EMPTY_TABLE])?;
        }
        let file = self
            .out
            .into_inner()
            .map_err(|err| file_error(&self.path)(err.into_error()))?;
        file.sync_all().map_err(file_error(&self.path))?;
        Ok(TableRows {
            table: self.table,
            rows: self.rows,
        })
    }
}

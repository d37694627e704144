//! `sqlx::Error` → `RepoError`, once, here.

use openpan_core::RepoError;
use openpan_core::error::ConflictKind;

/// Classifies an engine error. `conflict` names the uniqueness the calling method protects,
/// since SQLite does not report constraint names reliably.
pub(crate) fn classify(err: sqlx::Error, conflict: Option<ConflictKind>) -> RepoError {
    match &err {
        sqlx::Error::RowNotFound => RepoError::NotFound,
        sqlx::Error::Database(db) if db.is_unique_violation() => match conflict {
            Some(kind) => RepoError::Conflict(kind),
            None => RepoError::Other(Box::new(err)),
        },
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            RepoError::Unavailable(Box::new(err))
        }
        // PostgreSQL broke a deadlock or a serialisation conflict by aborting this transaction:
        // nothing was written, and the same request may simply be sent again.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40P01" | "40001")) => {
            RepoError::Unavailable(Box::new(err))
        }
        // The server is shutting down or starting up (57P01-57P03), refused this connection
        // (53300 too many connections), lost it (class 08), or cancelled a statement
        // (57014, statement_timeout): all pass, and the request may be sent again.
        sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_transient_postgres) => {
            RepoError::Unavailable(Box::new(err))
        }
        // SQLite: busy or locked (the busy timeout ran out under write load), the disk full,
        // or an I/O error; the transaction rolled back whole, and the same request may work later.
        sqlx::Error::Database(db) if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
            let primary = db
                .code()
                .and_then(|code| code.parse::<i32>().ok())
                .map(|code| code & 0xff);
            if matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_FULL)) {
                RepoError::Unavailable(Box::new(err))
            } else {
                RepoError::Other(Box::new(err))
            }
        }
        _ => RepoError::Other(Box::new(err)),
    }
}

const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;

fn is_transient_postgres(code: &str) -> bool {
    // Class 08 but 08P01 (a protocol violation: a bug, not an outage); 53100 is a full disk.
    matches!(
        code,
        "57P01" | "57P02" | "57P03" | "57014" | "53100" | "53300" | "08000" | "08001" | "08003" | "08004" | "08006"
    )
}

pub(crate) fn other(err: sqlx::Error) -> RepoError {
    classify(err, None)
}

#[cfg(test)]
mod tests {
    use super::is_transient_postgres;

    #[test]
    fn a_restarting_or_overloaded_postgres_is_a_passing_outage_but_bad_sql_is_not() {
        for code in ["57P01", "57P02", "57P03", "57014", "53100", "53300", "08006", "08001"] {
            assert!(is_transient_postgres(code), "{code}");
        }
        for code in ["42P01", "23505", "22P02", "P0001", "08P01"] {
            assert!(!is_transient_postgres(code), "{code}");
        }
    }
}

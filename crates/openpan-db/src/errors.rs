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
        // SQLite answers "database is locked" when the busy timeout runs out under write load.
        sqlx::Error::Database(db) if db.code().as_deref() == Some("5") || db.code().as_deref() == Some("6") => {
            RepoError::Unavailable(Box::new(err))
        }
        _ => RepoError::Other(Box::new(err)),
    }
}

pub(crate) fn other(err: sqlx::Error) -> RepoError {
    classify(err, None)
}

-- SQLite's migration of the same name moves used jtis into a WITHOUT ROWID table. PostgreSQL
-- heap tables have no rowid B-tree to drop, so there is nothing to change here; the file keeps
-- both engines' migration lists identical.
select 1;

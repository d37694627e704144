-- The audit log: one row per change, written in the change's own transaction. Append-only —
-- no API edits or deletes a row; only the retention policy removes old ones.
create table audit_event (
    event_id integer primary key autoincrement,
    enterprise_id integer not null,
    action integer not null,
    operator_id integer,
    app_id integer,
    target_kind smallint not null,
    target_id integer not null,
    target_name text not null,
    target_size integer,
    department_id integer,
    detail text not null,
    ip text not null,
    user_agent text not null,
    service text not null,
    created_at integer not null
);
create index audit_event_time on audit_event (enterprise_id, created_at, event_id);

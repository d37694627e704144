-- Collaborations: a user, group or department invited to a folder with a role. What a role lets
-- its holder do is the core's capability matrix; rows only say who was invited where.
create table collab (
    collab_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    folder_id integer not null references item (item_id),
    -- 1: a user, 2: a group, 3: a department (and the departments below it).
    accessor_kind smallint not null,
    accessor_id integer not null,
    role text not null,
    accepted boolean not null,
    invited_by integer not null,
    message text not null default '',
    created_at integer not null,
    modified_at integer not null
);
-- One invitation per accessor and folder; also what a walk up a folder's ancestors joins on.
create unique index collab_folder_accessor on collab (folder_id, accessor_kind, accessor_id);
create index collab_accessor on collab (accessor_kind, accessor_id);

-- The event log: collaboration, share and comment changes in the order they were recorded,
-- written with their audit event in the change's transaction. Webhooks and the event feed
-- read it by `seq`.
create table event_log (
    seq integer primary key autoincrement,
    enterprise_id integer not null,
    -- `collab.invited`, `collab.updated`, `collab.accepted`, `collab.removed`, …
    event_type text not null,
    -- The collaboration, share link or comment.
    subject_id integer not null,
    -- The file or folder (or user, department …) it concerns, as in the audit log.
    target_kind smallint not null,
    target_id integer not null,
    operator_id integer,
    app_id integer,
    -- JSON: what changed.
    payload text not null,
    created_at integer not null
);
create index event_log_enterprise on event_log (enterprise_id, seq);

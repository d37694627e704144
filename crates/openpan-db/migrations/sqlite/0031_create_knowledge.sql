-- AI knowledge bases: datasets trained from drive files. The segments and question/answer
-- pairs are the truth; each node's retrieval index is derived from them and catches a dataset
-- up when its `generation` moves (every change of its segments moves it, in the same
-- transaction).
create table kb_dataset (
    dataset_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    owner_id integer not null references user_account (user_id),
    name text not null,
    description text not null default '',
    generation integer not null default 0,
    created_at integer not null,
    modified_at integer not null
);
create index kb_dataset_owner on kb_dataset (owner_id, dataset_id);

-- A drive file or folder added to a dataset, with how it is analysed.
create table kb_task (
    task_id integer primary key autoincrement,
    dataset_id integer not null references kb_dataset (dataset_id) on delete cascade,
    item_id integer not null,
    item_kind text not null,
    name text not null,
    analysis_method text not null,
    -- direct_segment: characters a passage holds at most.
    max_chars integer not null,
    added_by integer not null,
    created_at integer not null
);
create index kb_task_dataset on kb_task (dataset_id, task_id);

-- The job table: one row per file a task trains (a folder's task has one per file below it).
-- A node claims a due row by moving `lease_until` past now; a node killed mid-job leaves a
-- lease that runs out, and another node takes the row up.
create table kb_train_file (
    train_file_id integer primary key autoincrement,
    task_id integer not null references kb_task (task_id) on delete cascade,
    dataset_id integer not null,
    file_id integer not null,
    file_name text not null,
    -- queued | running | done | failed
    status text not null,
    reason text,
    -- The version trained (done) or being trained (running).
    version_id integer,
    attempts integer not null default 0,
    lease_until integer not null default 0,
    updated_at integer not null
);
create unique index kb_train_file_task on kb_train_file (task_id, file_id);
create index kb_train_file_due on kb_train_file (status, lease_until);
create index kb_train_file_file on kb_train_file (file_id);

-- A passage of a trained file (`segment`), or a question and its answer (`qa`).
create table kb_segment (
    segment_id integer primary key autoincrement,
    dataset_id integer not null,
    train_file_id integer not null references kb_train_file (train_file_id) on delete cascade,
    file_id integer not null,
    kind text not null,
    ordinal integer not null,
    question text,
    content text not null
);
create index kb_segment_dataset on kb_segment (dataset_id, kind, segment_id);
create index kb_segment_train_file on kb_segment (train_file_id);

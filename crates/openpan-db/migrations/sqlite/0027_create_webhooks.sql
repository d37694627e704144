-- Every change of the drive and the directory now enters the event log (not only
-- collaboration, share and comment changes). An event names the space its file or folder was
-- in, so a user's event feed can show the events of the spaces they work in, and the name of
-- what it is about.
alter table event_log add column space_kind smallint;
alter table event_log add column space_id integer;
alter table event_log add column target_name text not null default '';

-- Held (one row per enterprise, updated) by every transaction that writes events, until it
-- commits: on PostgreSQL an enterprise's events then commit in `seq` order, so a reader that
-- saw event n never later finds a smaller one of that enterprise appear.
create table event_order (
    enterprise_id integer primary key,
    writes integer not null
);

-- Webhooks: each app with a callback address receives its enterprise's events in order. The
-- row keeps where delivery stands: the last event delivered (or passed over as not
-- subscribed), the failures at the next one, and the key generation its signatures use.
create table app_webhook (
    app_id integer primary key,
    enterprise_id integer not null references enterprise (enterprise_id),
    -- Comma-separated event patterns: `*`, `file.*`, `collab.invited` …
    events text not null,
    -- active, or disabled (by an administrator, or after failing for a day).
    status text not null,
    disabled_reason text,
    cursor integer not null,
    failures integer not null,
    failing_since integer,
    -- When delivery is next due; while a node delivers, when its lease ends.
    next_attempt_at integer not null,
    key_generation integer not null,
    -- Until when signatures also carry the previous generation's.
    previous_key_until integer,
    updated_at integer not null
);
create index app_webhook_due on app_webhook (status, next_attempt_at);

-- Every attempt to deliver an event to a webhook, with what the receiver answered.
create table webhook_attempt (
    attempt_id integer primary key autoincrement,
    app_id integer not null,
    enterprise_id integer not null,
    seq integer not null,
    event_type text not null,
    redelivery boolean not null,
    status_code integer,
    error text,
    duration_ms integer not null,
    attempted_at integer not null
);
create index webhook_attempt_app on webhook_attempt (app_id, attempt_id);
create index webhook_attempt_time on webhook_attempt (attempted_at);
-- The log keeps a month; older entries go by time.
create index event_log_time on event_log (created_at);

-- Apps that already have a callback address start receiving events from now on.
insert into app_webhook (app_id, enterprise_id, events, status, cursor, failures, next_attempt_at,
    key_generation, updated_at)
select a.app_id, a.enterprise_id, '*', 'active',
    coalesce((select max(e.seq) from event_log e where e.enterprise_id = a.enterprise_id), 0),
    0, 0, 0, a.created_at
from app a where a.callback_url is not null;

-- The `/api/v1/file` browser form upload: a token an app obtains for a user and hands to a
-- browser, which posts one file with it. Only a keyed hash of the token is kept.
create table form_upload (
    token_hash blob primary key,
    enterprise_id integer not null references enterprise (enterprise_id),
    user_id integer not null references user_account (user_id),
    app_id integer not null,
    folder_id integer not null,
    redirect_url text,
    notify boolean not null,
    state text,
    -- When the name is taken: rename, fail or overwrite (a new version).
    on_conflict text not null,
    -- 0 open, 1 receiving bytes, 2 used.
    status integer not null,
    file_id integer,
    expires_at integer not null,
    created_at integer not null
);
create index form_upload_expiry on form_upload (expires_at);

-- Notices for apps' callback addresses: recorded first, then delivered (at least once) by any
-- node, retried with growing delays until delivered or given up.
create table app_notice (
    notice_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    app_id integer not null,
    event text not null,
    body text not null,
    -- pending, delivered or failed (given up).
    status text not null,
    attempts integer not null,
    -- When a pending notice is next due; while an attempt runs, when its lease ends.
    next_attempt_at integer not null,
    last_error text,
    created_at integer not null,
    delivered_at integer
);
create index app_notice_due on app_notice (status, next_attempt_at);
create index app_notice_enterprise on app_notice (enterprise_id, notice_id);

-- Share links: an item opened to whoever holds the link (or the enterprise's users), maybe
-- behind a password (stored as a keyed hash) and until a due date.
create table share_link (
    share_link_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    item_id integer not null references item (item_id),
    unique_name text not null,
    -- 'public' or 'company'.
    access text not null,
    password_hash blob,
    expires_at integer,
    disable_download boolean not null,
    created_by integer not null,
    created_at integer not null,
    modified_at integer not null,
    revoked_at integer,
    view_count integer not null default 0,
    download_count integer not null default 0
);
create unique index share_link_name on share_link (unique_name);
create index share_link_item on share_link (item_id, share_link_id);

-- Wrong share link passwords, per link and per client: after a few within a window the key
-- is locked for a while (doubling), so guessing a password takes longer than a link lives.
create table password_guard (
    guard_key text primary key,
    failures integer not null,
    window_start integer not null,
    locked_until integer not null default 0,
    lock_secs integer not null default 0
);

-- What each user used lately and often: recent items, frequent items and their pins.
create table item_use (
    user_id integer not null references user_account (user_id),
    item_id integer not null references item (item_id) on delete cascade,
    used_at integer not null,
    use_count integer not null,
    -- Put on the frequent list by hand (frequent/add), not only by use.
    pinned boolean not null default false,
    primary key (user_id, item_id)
);
create index item_use_recent on item_use (user_id, used_at);
create index item_use_frequent on item_use (user_id, pinned, use_count);

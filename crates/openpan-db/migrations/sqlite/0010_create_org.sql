-- The organisation directory: each enterprise's department tree and groups, and who is in them.
-- Top-level departments have parent_id 0 (clients know the enterprise itself as department 0).
create table department (
    department_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    parent_id integer not null,
    name text not null,
    name_key text not null,
    director_id integer references user_account (user_id),
    space_total integer not null,
    space_used integer not null default 0,
    hide_phone boolean not null default false,
    disable_share boolean not null default false,
    enable_watermark boolean not null default false,
    collab_auto_accepted boolean not null default false,
    permission_type text not null default '',
    sort_order integer not null default 0,
    -- Kept in the transaction of every membership and tree change, so lists never count.
    user_count integer not null default 0,
    children_count integer not null default 0,
    created_at integer not null
);
create unique index department_sibling_name on department (enterprise_id, parent_id, name_key);
create index department_director on department (director_id) where director_id is not null;

create table department_user (
    department_id integer not null references department (department_id),
    user_id integer not null references user_account (user_id),
    created_at integer not null,
    primary key (department_id, user_id)
);
create index department_user_user on department_user (user_id);

create table department_file_manager (
    department_id integer not null references department (department_id),
    user_id integer not null references user_account (user_id),
    primary key (department_id, user_id)
);

-- How many departments a user is in, counted in the same transaction as each membership, so
-- the limit holds under concurrent adds.
alter table user_account add column department_count integer not null default 0;

create table user_group (
    group_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    name text not null,
    name_key text not null,
    description text not null default '',
    admin_user_id integer references user_account (user_id),
    is_visible boolean not null default false,
    collab_auto_accepted boolean not null default false,
    user_count integer not null default 0,
    created_at integer not null
);
create unique index user_group_name on user_group (enterprise_id, name_key);

create table group_member (
    group_id integer not null references user_group (group_id),
    user_id integer not null references user_account (user_id),
    created_at integer not null,
    primary key (group_id, user_id)
);
create index group_member_user on group_member (user_id);

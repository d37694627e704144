-- Tenants, their users, OAuth2 apps and tokens: everything the open platform authenticates with.
-- Timestamps are Unix seconds; secrets exist only as keyed hashes.
create table enterprise (
    enterprise_id integer primary key autoincrement,
    name text not null,
    short_name text not null unique,
    -- Set in the same transaction that creates the admin; no FK because of the cycle.
    admin_user_id integer,
    created_at integer not null
);

create table user_account (
    user_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    name text not null,
    email text,
    phone text,
    password_hash text,
    active boolean not null,
    is_admin boolean not null,
    hide_phone boolean not null default false,
    disable_download boolean not null default false,
    space_total integer not null,
    space_used integer not null default 0,
    created_at integer not null,
    last_login_at integer,
    deleted_at integer
);
-- A login names one person across the installation while the account lives.
create unique index user_account_email on user_account (email) where deleted_at is null and email is not null;
create unique index user_account_phone on user_account (phone) where deleted_at is null and phone is not null;
create index user_account_enterprise on user_account (enterprise_id, user_id);

create table user_ticket (
    enterprise_id integer not null references enterprise (enterprise_id),
    platform_id integer not null,
    custom_id text not null,
    user_id integer not null references user_account (user_id),
    primary key (enterprise_id, platform_id, custom_id)
);

create table app (
    app_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    name text not null,
    client_id text not null unique,
    client_secret_hash blob not null,
    callback_url text,
    status text not null,
    created_at integer not null
);

create table oauth_token (
    token_id integer primary key autoincrement,
    app_id integer not null references app (app_id),
    enterprise_id integer not null references enterprise (enterprise_id),
    user_id integer references user_account (user_id),
    access_hash blob not null unique,
    -- Null once the refresh token has been used (rotation).
    refresh_hash blob unique,
    access_expires_at integer not null,
    refresh_expires_at integer not null,
    created_at integer not null
);
create index oauth_token_app on oauth_token (app_id);
create index oauth_token_user on oauth_token (user_id);
create index oauth_token_refresh_expiry on oauth_token (refresh_expires_at);

-- Used jwt_simple ids, kept until the assertion would have expired anyway.
create table oauth_jti (
    app_id integer not null references app (app_id),
    jti text not null,
    expires_at integer not null,
    primary key (app_id, jti)
);
create index oauth_jti_expiry on oauth_jti (expires_at);

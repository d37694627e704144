-- Tokens become "<token_id>.<secret>" and are found by id, then checked against the keyed hash
-- of the secret. Unique indexes on random hashes made every grant dirty pages all over two
-- B-trees, which bounded the token endpoint. Tokens issued before this migration stop working;
-- clients get new ones with their credentials, as after any expiry.
drop table oauth_token;
create table oauth_token (
    token_id integer primary key autoincrement,
    app_id integer not null references app (app_id),
    enterprise_id integer not null references enterprise (enterprise_id),
    user_id integer references user_account (user_id),
    access_hash blob not null,
    -- Null once the refresh token has been used (rotation).
    refresh_hash blob,
    access_expires_at integer not null,
    refresh_expires_at integer not null,
    created_at integer not null
);
create index oauth_token_app on oauth_token (app_id);
create index oauth_token_user on oauth_token (user_id);
create index oauth_token_refresh_expiry on oauth_token (refresh_expires_at);

-- The OAuth 2.1 / OpenID Connect authorization server.

-- Apps: public clients (no secret; PKCE required), registered redirect URIs (one per line,
-- matched exactly), the scopes the app may ask for (space-separated; null: any), the previous
-- secret during its grace period after a rotation, and a public key for signed JWT grants.
alter table app add column client_type text not null default 'confidential';
alter table app add column redirect_uris text not null default '';
alter table app add column allowed_scopes text;
alter table app add column previous_secret_hash blob;
alter table app add column previous_secret_until integer;
alter table app add column jwt_public_key text;
alter table app add column jwt_key_id text;

-- Tokens: the scope granted (null: the whole of the subject's kind, as before), the family a
-- rotated pair descends from (null: it starts one), and the hash of a refresh token after its
-- use, so a replay of it is recognised and revokes the family.
alter table oauth_token add column scope text;
alter table oauth_token add column family_id integer;
alter table oauth_token add column used_refresh_hash blob;
create index oauth_token_family on oauth_token (family_id);

-- Authorization codes (`<code_id>.<secret>`, only a keyed hash stored): single use; the pair
-- a code was exchanged for is revoked if the code comes back.
create table oauth_code (
    code_id integer primary key autoincrement,
    code_hash blob not null,
    app_id integer not null references app (app_id),
    user_id integer not null references user_account (user_id),
    redirect_uri text,
    scope text not null,
    code_challenge text,
    nonce text,
    auth_time integer not null,
    expires_at integer not null,
    used_at integer,
    token_id integer
);
create index oauth_code_expiry on oauth_code (expires_at);

-- Device authorization (RFC 8628): the device polls with its code while a person approves the
-- short user code in a browser.
create table oauth_device (
    device_id integer primary key autoincrement,
    device_hash blob not null,
    user_code_hash blob not null unique,
    app_id integer not null references app (app_id),
    scope text not null,
    -- pending, approved, denied or used
    status text not null,
    user_id integer references user_account (user_id),
    interval_secs integer not null,
    polled_at integer,
    expires_at integer not null
);
create index oauth_device_expiry on oauth_device (expires_at);

-- The keys ID tokens are signed with, sealed under the instance key. A new key is published a
-- while before it signs; an old one stays published until the tokens it signed have expired.
create table signing_key (
    kid text primary key,
    algorithm text not null,
    private_key blob not null,
    public_jwk text not null,
    created_at integer not null
);

-- Whether the enterprise lets apps sign its users in with the `password` grant.
alter table enterprise add column password_grant_enabled boolean not null default false;

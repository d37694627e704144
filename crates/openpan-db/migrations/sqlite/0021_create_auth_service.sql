-- The auth service: user access tokens (a password login's or the operator's, three months),
-- the single-use auth codes apps trade them for, and the enterprise registration details it
-- reports. Tokens and codes are stored only as keyed hashes; expired rows stay until the purge
-- so callers learn "expired" rather than "unknown".
create table user_token (
    token_id integer primary key autoincrement,
    token_hash blob not null unique,
    user_id integer not null references user_account (user_id),
    created_at integer not null,
    expires_at integer not null
);
create index user_token_user on user_token (user_id);
create index user_token_expiry on user_token (expires_at);

create table auth_code (
    code_hash blob primary key,
    app_id integer not null references app (app_id),
    user_id integer not null references user_account (user_id),
    -- Bits: 1 user info, 2 company info.
    scope integer not null,
    expires_at integer not null,
    used_at integer
);
create index auth_code_user on auth_code (user_id);
create index auth_code_expiry on auth_code (expires_at);

create table enterprise_profile (
    enterprise_id integer primary key references enterprise (enterprise_id),
    company_type text not null default '',
    tax_number text not null default '',
    province text not null default '',
    city text not null default '',
    zone text not null default '',
    address text not null default '',
    tel_phone text not null default '',
    legal_person_phone text not null default '',
    legal_person_name text not null default ''
);

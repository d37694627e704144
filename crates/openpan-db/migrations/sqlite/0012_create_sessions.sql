-- 免登: single-use, short-lived login tickets an integrator mints for a user, and the web
-- sessions they open. Only keyed hashes of the secrets are stored.
create table login_ticket (
    ticket_hash blob primary key,
    user_id integer not null references user_account (user_id),
    app_id integer not null references app (app_id),
    expires_at integer not null,
    used_at integer
);
create index login_ticket_expiry on login_ticket (expires_at);

create table web_session (
    session_hash blob primary key,
    user_id integer not null references user_account (user_id),
    created_at integer not null,
    expires_at integer not null
);
create index web_session_user on web_session (user_id);
create index web_session_expiry on web_session (expires_at);

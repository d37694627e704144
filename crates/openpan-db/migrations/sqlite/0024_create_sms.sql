-- The `/api/v1` SMS module: an enterprise's message templates, and every message sent (the
-- outbox administrators list), with what the gateway answered. With no gateway configured the
-- outbox is where messages stay (status `outbox`).
create table sms_template (
    template_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    name text not null,
    content text not null,
    created_at integer not null
);
create unique index sms_template_name on sms_template (enterprise_id, name);

create table sms_message (
    message_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    app_id integer,
    user_id integer,
    phone text not null,
    content text not null,
    template_name text,
    -- outbox, sent or failed.
    status text not null,
    gateway text not null,
    gateway_ref text,
    error text,
    created_at integer not null,
    sent_at integer
);
create index sms_message_enterprise on sms_message (enterprise_id, message_id);

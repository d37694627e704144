-- The `/api/v1` account module: an enterprise's paid-until moment (null: no end; past it,
-- writes are refused) and the app instances service discovery answers for. Each app has an
-- implicit `default` instance at openpan's own address; a named instance may point elsewhere.
alter table enterprise add column paid_until bigint;

create table app_instance (
    enterprise_id bigint not null references enterprise (enterprise_id),
    app text not null,
    name text not null,
    -- Null: served by openpan itself.
    api_url text,
    created_at bigint not null,
    primary key (enterprise_id, app, name)
);

-- Answers to requests sent with an Idempotency-Key, replayed when the same request comes again,
-- so a client retrying after a lost answer never creates a second folder, file or copy.
create table idempotency_key (
    user_id bigint not null references user_account (user_id),
    idem_key text not null,
    -- SHA-256 of the method, path, query and body: a key reused for another request is refused.
    fingerprint bytea not null,
    -- Null while the first request is being served.
    status integer,
    response bytea,
    created_at bigint not null,
    primary key (user_id, idem_key)
);
create index idempotency_key_created on idempotency_key (created_at);

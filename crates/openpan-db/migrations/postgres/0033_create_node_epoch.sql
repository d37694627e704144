-- Which revocation epoch each node's token-check cache serves from, and when it last said so
-- (the database's clock, so nodes' clocks and tests' clocks do not matter). A change that
-- revokes access waits until every node heard from lately has caught up, so a revoked token
-- or app is refused by every node by the time the change is answered.
create table node_epoch (
    node_id text primary key,
    seq bigint not null,
    seen_at bigint not null
);

-- Nodes listening are told of a new epoch at once instead of at their next poll.
create function notify_revocation_epoch() returns trigger language plpgsql as $$
begin
    perform pg_notify('openpan_revocations', new.seq::text);
    return new;
end;
$$;
create trigger revocation_epoch_notify after update on revocation_epoch
    for each row execute function notify_revocation_epoch();

-- Which revocation epoch each node's token-check cache serves from, and when it last said so
-- (the database's clock, so nodes' clocks and tests' clocks do not matter). A change that
-- revokes access waits until every node heard from lately has caught up, so a revoked token
-- or app is refused by every node (and the server beside an admin command) by the time the
-- change is answered.
create table node_epoch (
    node_id text primary key,
    seq bigint not null,
    seen_at bigint not null
);

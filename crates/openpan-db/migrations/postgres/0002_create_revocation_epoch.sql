-- A counter bumped in the same transaction as every change that revokes access (an app
-- disabled or deleted, a user deleted), so nodes that cache token checks notice and drop them.
create table revocation_epoch (
    epoch_id bigint primary key,
    seq bigint not null
);
insert into revocation_epoch (epoch_id, seq) values (1, 0);

-- Change counters that tell a cached folder listing it is stale. A space root's `generation`
-- grows with every write in its space (names, moves, versions, trash, frequent marks); an
-- enterprise's `directory_generation` grows when a user's name, login or existence changes,
-- because listings name the owner and the last modifier of every item.
alter table item add column generation bigint not null default 0;
alter table enterprise add column directory_generation bigint not null default 0;

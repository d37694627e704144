-- Tokens an embedded component holds (RFC 8693 exchange): confined to this item and what is
-- below it (null: unconfined, every token before).
alter table oauth_token add column root_item_id bigint;

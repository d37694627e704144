-- Sharing switched off for the whole enterprise (the root of its department tree, which new
-- top-level departments inherit from): no share links are made, and those made stop opening.
alter table enterprise add column disable_share boolean not null default false;

-- Third-party platforms: whether an enterprise lets an integrator sync accounts, and the ids an
-- integrator knows departments and groups by (users keep theirs in user_ticket).
alter table enterprise add column account_sync_enabled boolean not null default false;
-- One custom id per user and platform, as per department and group.
create unique index user_ticket_user on user_ticket (enterprise_id, platform_id, user_id);

create table org_ticket (
    enterprise_id bigint not null references enterprise (enterprise_id),
    platform_id bigint not null,
    -- 1: department, 2: group.
    kind smallint not null,
    custom_id text not null,
    local_id bigint not null,
    primary key (enterprise_id, platform_id, kind, custom_id)
);
create unique index org_ticket_local on org_ticket (enterprise_id, platform_id, kind, local_id);

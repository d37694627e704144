-- Which generation of its space last changed each item, so the search index catches a space up
-- by reading what changed since the generation it saw instead of the whole space. Set by a
-- trigger, so no write path can forget it; every tree write moves its space's generation under
-- the tree lock, so within a space the generations order the changes.
alter table item add column changed_generation bigint not null default 0;
drop index item_space_live;
create index item_space_changes on item (space_kind, space_id, changed_generation);
create function item_mark_changed() returns trigger language plpgsql as $$
begin
    if new.parent_id is not null then
        new.changed_generation := coalesce((select r.generation from item r
            where r.parent_id is null and r.space_kind = new.space_kind and r.space_id = new.space_id), 0);
    end if;
    return new;
end
$$;
create trigger item_changed before insert or update on item
    for each row execute function item_mark_changed();

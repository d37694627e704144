-- Which generation of its space last changed each item, so the search index catches a space up
-- by reading what changed since the generation it saw instead of the whole space. Set by
-- triggers, so no write path can forget it; every tree write moves its space's generation under
-- the tree lock, so within a space the generations order the changes.
alter table item add column changed_generation bigint not null default 0;
drop index item_space_live;
create index item_space_changes on item (space_kind, space_id, changed_generation);
create trigger item_changed_on_insert after insert on item when new.parent_id is not null
begin
    update item set changed_generation = coalesce((select r.generation from item r
        where r.parent_id is null and r.space_kind = new.space_kind and r.space_id = new.space_id), 0)
    where item_id = new.item_id;
end;
-- Not for its own write (recursive triggers are off), nor when only the counter moved.
create trigger item_changed_on_update after update on item
    when new.parent_id is not null and new.changed_generation = old.changed_generation
begin
    update item set changed_generation = coalesce((select r.generation from item r
        where r.parent_id is null and r.space_kind = new.space_kind and r.space_id = new.space_id), 0)
    where item_id = new.item_id;
end;

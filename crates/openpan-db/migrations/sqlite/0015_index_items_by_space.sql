-- The search index catches up with a space by reading its live items in one indexed scan.
create index item_space_live on item (space_kind, space_id) where trash_root_id is null;

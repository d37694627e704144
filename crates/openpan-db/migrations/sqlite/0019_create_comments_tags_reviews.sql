-- Comments on files. The count on the item is what listings show (`comments_count`); it moves
-- with every comment written or deleted, in the same transaction.
alter table item add column comment_count integer not null default 0;
create table comment (
    comment_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    item_id integer not null references item (item_id),
    user_id integer not null,
    content text not null,
    created_at integer not null
);
create index comment_item on comment (item_id, comment_id);
-- The users a comment names with `@[user_id:name]`, so each can be told (and find them).
create table comment_mention (
    comment_id integer not null references comment (comment_id),
    user_id integer not null,
    primary key (comment_id, user_id)
);
create index comment_mention_user on comment_mention (user_id, comment_id);

-- Tags: names of one enterprise, put on its items. Names compare case-folded.
create table tag (
    tag_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    name text not null,
    name_key text not null,
    created_at integer not null
);
create unique index tag_name on tag (enterprise_id, name_key);
create table item_tag (
    item_id integer not null references item (item_id),
    tag_id integer not null references tag (tag_id),
    tagged_by integer not null,
    tagged_at integer not null,
    primary key (item_id, tag_id)
);
create index item_tag_tag on item_tag (tag_id, item_id);
-- A user's own view of the tags: when they last put one on an item (`tag/list`) and whether it
-- is on their common list.
create table user_tag (
    user_id integer not null,
    tag_id integer not null references tag (tag_id),
    used_at integer,
    common_since integer,
    primary key (user_id, tag_id)
);
create index user_tag_used on user_tag (user_id, used_at);

-- Reviews: files put before invited reviewers until a due date. Reviewers may preview the
-- files while the review is open (not completed, deleted or past due).
create table review (
    review_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    inviter_id integer not null,
    name text not null,
    description text not null,
    -- The end of the due day; null for none.
    due_at integer,
    created_at integer not null,
    modified_at integer not null,
    completed_at integer,
    deleted_at integer
);
create index review_inviter on review (inviter_id, review_id);
-- The files, with their name when the review was made: a file purged since keeps its place
-- (`is_deleted`), so no reference to `item`.
create table review_item (
    review_id integer not null references review (review_id),
    item_id integer not null,
    name text not null,
    primary key (review_id, item_id)
);
create index review_item_item on review_item (item_id, review_id);
create table review_reviewer (
    review_id integer not null references review (review_id),
    user_id integer not null,
    primary key (review_id, user_id)
);
create index review_reviewer_user on review_reviewer (user_id, review_id);
create table review_comment (
    review_comment_id integer primary key autoincrement,
    review_id integer not null references review (review_id),
    user_id integer not null,
    content text not null,
    created_at integer not null
);
create index review_comment_review on review_comment (review_id, review_comment_id);

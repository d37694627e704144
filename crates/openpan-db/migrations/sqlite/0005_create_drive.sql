-- The drive: the folders and files of every space, their versions, the content-addressed blobs
-- holding the bytes, and the single-use upload URLs in flight. Sizes are bytes.

-- -1: unlimited, as for users.
alter table enterprise add column space_total integer not null default -1;
alter table enterprise add column space_used integer not null default 0;

create table item (
    item_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    -- 1: a user's personal space (space_id = user_id); 2: a department's space.
    space_kind integer not null,
    space_id integer not null,
    is_folder boolean not null,
    -- Null only for a space's root, which clients call folder 0.
    parent_id integer references item (item_id),
    name text not null,
    -- The name as compared for conflicts and sorted: case-folded.
    name_key text not null,
    description text not null default '',
    -- Files: the current version's size; folders: the sum over the live files below.
    size integer not null default 0,
    -- Folders: direct children in the same trash state as the folder.
    folder_count integer not null default 0,
    file_count integer not null default 0,
    owner_id integer not null references user_account (user_id),
    created_by integer not null references user_account (user_id),
    modified_by integer not null references user_account (user_id),
    created_at integer not null,
    modified_at integer not null,
    sequence_id integer not null default 0,
    -- Files: the version clients see; no FK because versions reference their file.
    current_version_id integer,
    -- While in the trash: the item whose trashing took this one along (itself for the item the
    -- user trashed), and when and by whom.
    trash_root_id integer,
    trashed_at integer,
    trashed_by integer
);
create unique index item_space_root on item (space_kind, space_id) where parent_id is null;
-- Names are unique among the live children of a folder, files and folders alike.
create unique index item_live_name on item (parent_id, name_key) where trash_root_id is null;
create index item_parent on item (parent_id);
create index item_children_name on item (parent_id, is_folder, name_key, item_id) where trash_root_id is null;
create index item_children_date on item (parent_id, is_folder, modified_at, item_id) where trash_root_id is null;
create index item_children_size on item (parent_id, is_folder, size, item_id) where trash_root_id is null;
create index item_trash_members on item (trash_root_id) where trash_root_id is not null;
create index item_trash_roots on item (space_kind, space_id, trashed_at) where trash_root_id = item_id;

-- One row per distinct content (sha256); versions share it, so copies cost no bytes.
create table content_blob (
    blob_id integer primary key autoincrement,
    sha256 blob not null unique,
    sha1 text not null,
    size integer not null,
    -- Where the blob store keeps the bytes.
    storage_key text not null,
    ref_count integer not null,
    -- When ref_count last dropped to zero; the collector removes the blob a grace period later.
    unreferenced_at integer,
    created_at integer not null
);
create index blob_unreferenced on content_blob (unreferenced_at) where ref_count = 0;

create table file_version (
    version_id integer primary key autoincrement,
    file_id integer not null references item (item_id),
    blob_id integer not null references content_blob (blob_id),
    name text not null,
    size integer not null,
    sha1 text not null,
    remark text not null default '',
    created_by integer not null references user_account (user_id),
    created_at integer not null
);
create index file_version_file on file_version (file_id, version_id);

-- An issued upload URL. The URL carries upload_id and a secret whose keyed hash is stored.
create table upload_session (
    upload_id text primary key,
    secret_hash blob not null,
    enterprise_id integer not null references enterprise (enterprise_id),
    user_id integer not null references user_account (user_id),
    -- Exactly one: a new file in folder_id, or a new version of file_id.
    folder_id integer,
    file_id integer,
    name text not null,
    remark text not null default '',
    declared_size integer,
    -- 0 open, 1 receiving bytes, 2 committed.
    state integer not null,
    -- Set when bytes start arriving, so the collector can remove what a crash left behind.
    storage_key text,
    expires_at integer not null,
    created_at integer not null
);
create index upload_session_expiry on upload_session (expires_at);

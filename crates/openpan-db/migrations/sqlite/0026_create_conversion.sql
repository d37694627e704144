-- Conversion results (`/api/v1/file/convert`), one per source content, way of reading it
-- (`source_kind`: the same bytes named .csv and .docx read differently) and target, shared by
-- every version with that content. Results are caches: unused for a week, they are removed.
create table conversion (
    conversion_id integer primary key autoincrement,
    source_key text not null,
    source_kind text not null,
    target text not null,
    storage_key text not null,
    size integer not null,
    sha1 text not null,
    truncated boolean not null,
    created_at integer not null,
    last_used_at integer not null
);
create unique index conversion_source on conversion (source_key, source_kind, target);
create index conversion_last_used on conversion (last_used_at);

-- Resumable uploads: a session of fixed-size parts, sent in any order and committed at once.
-- Ordinary upload URLs have no part size.
alter table upload_session add column part_size integer;
-- The SHA-1 the client announced (new_version_v2's sha1); bytes that differ are refused.
alter table upload_session add column expected_sha1 text;

create table upload_part (
    upload_id text not null references upload_session (upload_id) on delete cascade,
    part_number integer not null,
    storage_key text not null,
    size integer not null,
    sha256 blob not null,
    created_at integer not null,
    primary key (upload_id, part_number)
);

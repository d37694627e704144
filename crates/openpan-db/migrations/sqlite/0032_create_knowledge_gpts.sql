-- Knowledge GPTs: a person's configured assistant over their datasets. The lists
-- (`data_ids`, `suggested`, `square_user_ids`) are JSON arrays: they are read and written
-- whole with their GPT, never queried into.
create table kb_gpt (
    gpt_id integer primary key autoincrement,
    enterprise_id integer not null references enterprise (enterprise_id),
    owner_id integer not null references user_account (user_id),
    name text not null default '',
    intro text not null default '',
    system_prompt text not null default '',
    chat_intro text not null default '',
    data_ids text not null default '[]',
    no_recall_replay text not null default '',
    show_preview boolean not null default false,
    show_doc_source boolean not null default false,
    suggested text not null default '[]',
    temperature real not null default 0.6,
    share_enabled boolean not null default false,
    share_expires_at integer,
    share_scope text not null default 'enterprise',
    share_token text unique,
    square_published boolean not null default false,
    square_view_scope text not null default 'selected',
    square_user_ids text not null default '[]',
    created_at integer not null,
    modified_at integer not null
);
create index kb_gpt_owner on kb_gpt (owner_id, gpt_id);
create index kb_gpt_square on kb_gpt (enterprise_id, square_published);

-- Conversations (`sessionId`): each question with the answer it got, so a follow-up that
-- sends only itself is answered in its conversation.
create table kb_chat_turn (
    turn_id integer primary key autoincrement,
    user_id integer not null,
    session_key text not null,
    gpt_id integer,
    question text not null,
    answer text not null,
    created_at integer not null
);
create index kb_chat_turn_session on kb_chat_turn (user_id, session_key, turn_id);
create index kb_chat_turn_age on kb_chat_turn (user_id, created_at);
create index kb_chat_turn_gpt on kb_chat_turn (gpt_id);

-- A passage's vector from the configured embedding model, with the model's name: vectors of
-- another model are not compared with the question's.
alter table kb_segment add column embedding blob;
alter table kb_segment add column embedding_model text;

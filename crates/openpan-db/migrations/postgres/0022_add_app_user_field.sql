-- How an app names users when it asks the OA dialect's `get-token` for one: `any` (numeric id,
-- email or phone), `id`, `email`, `phone`, or `custom_id:<platform>` (the third-party id).
alter table app add column user_field text not null default 'any';

-- A user's profile picture: the key clients ask for it by, where its bytes are, and its type.
alter table user_account add column profile_pic_key text;
alter table user_account add column profile_pic_storage_key text;
alter table user_account add column profile_pic_type text;

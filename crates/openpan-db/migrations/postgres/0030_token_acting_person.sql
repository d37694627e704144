-- The person an enterprise token acts for: the administrator signed in to the web console
-- (null: an app's own enterprise token, every token before). The audit log names them.
alter table oauth_token add column acting_user_id bigint;

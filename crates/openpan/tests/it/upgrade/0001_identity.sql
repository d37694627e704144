-- What the first schema held: an enterprise, its admin and a member, an HR app that registered
-- a callback, the member's id in the HR system, and a jwt_simple id already used. Rows get ids
-- in insert order (1, 2, …) on both engines. {{…}} are filled in by the test: a password hash
-- and the app secret's keyed hash, which depend on the test's key.
insert into enterprise (name, short_name, admin_user_id, created_at)
values ('Upgrade Co', 'upgrade', 1, 1700000000);

insert into user_account (enterprise_id, name, email, phone, password_hash, active, is_admin, space_total, created_at)
values (1, 'Ada Admin', 'ada@upgrade.test', null, '{{password_hash}}', true, true, -1, 1700000000),
       (1, 'Bo Member', 'bo@upgrade.test', '13800000000', '{{password_hash}}', true, false, 1073741824, 1700000001);

insert into user_ticket (enterprise_id, platform_id, custom_id, user_id)
values (1, 1, 'hr-0002', 2);

insert into app (enterprise_id, name, client_id, client_secret_hash, callback_url, status, created_at)
values (1, 'Upgrade HR', 'upgrade-hr', {{client_secret_hash}}, 'https://hr.upgrade.test/callback', 'active', 1700000000);

insert into oauth_jti (app_id, jti, expires_at)
values (1, 'used-before-the-upgrade', 4102444800);

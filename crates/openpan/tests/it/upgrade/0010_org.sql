-- The first organisation schema: a department the admin directs, with the member in it.
insert into department (enterprise_id, parent_id, name, name_key, director_id, space_total, user_count, created_at)
values (1, 0, 'Research', 'research', 1, -1, 1, 1700000600);
insert into department_user (department_id, user_id, created_at)
values (1, 2, 1700000600);
update user_account set department_count = 1 where user_id = 2;

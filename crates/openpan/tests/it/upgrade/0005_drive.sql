-- The member's drive as the first drive schema held it: a folder with a file, a file with two
-- versions, and a trashed file sharing its content with the first. Item, blob and version ids
-- follow insert order; counters are what the drive of that schema kept (folder sizes count
-- live files; a trashed item is its own trash root).
update enterprise set space_used = 118 where enterprise_id = 1;
update user_account set space_used = 118 where user_id = 2;

insert into content_blob (sha256, sha1, size, storage_key, ref_count, created_at)
values (X'85a203de817c7ceddacadc11805404f3f5482cc5162ad9bf63c0c828a89a1f86', '7d4a4610960f6855faf08ea4d328459a93cd4aa2',
        34, '0000000000000001', 2, 1700000100),
       (X'a403f926ec5652d39a6e6c37b2024962a932abba9f7e654b5316f85f85980599', 'bee57d4e104df7f750d66017f694d18ea3cea67a',
        25, '0000000000000002', 1, 1700000200),
       (X'6595c8f8f79094a29ef838c4d71f554c786893ea63c51b4c80e334e7c0aaf7c9', '21920d755119b90f47acd11f3b840b2955f23f55',
        25, '0000000000000003', 1, 1700000300);

insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, size, folder_count,
                  file_count, owner_id, created_by, modified_by, created_at, modified_at)
values (1, 1, 2, true, null, '全部文件', '全部文件', 59, 1, 1, 2, 2, 2, 1700000050, 1700000300);
insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, size, folder_count,
                  file_count, owner_id, created_by, modified_by, created_at, modified_at)
values (1, 1, 2, true, 1, 'Plans', 'plans', 34, 0, 1, 2, 2, 2, 1700000060, 1700000100);
insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, size, owner_id,
                  created_by, modified_by, created_at, modified_at, current_version_id)
values (1, 1, 2, false, 2, 'plan.txt', 'plan.txt', 34, 2, 2, 2, 1700000100, 1700000100, 1),
       (1, 1, 2, false, 1, 'Notes.txt', 'notes.txt', 25, 2, 2, 2, 1700000200, 1700000300, 3);
insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, size, owner_id,
                  created_by, modified_by, created_at, modified_at, current_version_id, trash_root_id, trashed_at,
                  trashed_by)
values (1, 1, 2, false, 1, 'old.txt', 'old.txt', 34, 2, 2, 2, 1700000400, 1700000400, 4, 5, 1700000500, 2);

insert into file_version (file_id, blob_id, name, size, sha1, created_by, created_at)
values (3, 1, 'plan.txt', 34, '7d4a4610960f6855faf08ea4d328459a93cd4aa2', 2, 1700000100),
       (4, 2, 'Notes.txt', 25, 'bee57d4e104df7f750d66017f694d18ea3cea67a', 2, 1700000200),
       (4, 3, 'Notes.txt', 25, '21920d755119b90f47acd11f3b840b2955f23f55', 2, 1700000300),
       (5, 1, 'old.txt', 34, '7d4a4610960f6855faf08ea4d328459a93cd4aa2', 2, 1700000400);

//! `OrgRepo`: departments, groups and their memberships.
//!
//! Member and sub-department counts live on the department row and a user's department count
//! on the user row, changed in the same transaction as the membership, so lists read them
//! instead of counting and the per-user limit holds under concurrent adds. Department moves are
//! checked for cycles by walking the new parent's ancestors under the enterprise's directory lock
//! (on PostgreSQL; SQLite has one writer).

use async_trait::async_trait;

use openpan_core::RepoError;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{DepartmentId, EnterpriseId, GroupId, UserId};
use openpan_core::model::{Page, User};
use openpan_core::org::{Department, DepartmentChanges, Group, GroupChanges, NewDepartment, NewGroup, OrgKind};
use openpan_core::ports::{Heir, OrgRepo, RepoResult};

use crate::errors::{classify, other};
use crate::pool::{SqlRepo, collabs_removed, commit, exec, fetch, is_postgres, log_removed, on_pool, scalar};
use crate::repo::{UserRow, escape_like, user_columns_of};

/// Counts a membership just inserted: on the user (refusing past the per-user limit with
/// `Conflict(DepartmentLimit)`) and on the department.
macro_rules! count_department_join {
    ($conn:expr, $builder:ident, $department:expr, $user:expr) => {{
        let (department, user): (i64, i64) = ($department, $user);
        let counted = $crate::pool::exec!(
            $conn,
            $builder,
            "update user_account set department_count = department_count + 1 \
             where user_id = ? and department_count < ?",
            user,
            openpan_core::org::MAX_DEPARTMENTS_PER_USER
        )
        .map_err($crate::errors::other)?;
        if counted.rows_affected() == 0 {
            return Err(openpan_core::RepoError::Conflict(
                openpan_core::error::ConflictKind::DepartmentLimit,
            ));
        }
        $crate::pool::exec!(
            $conn,
            $builder,
            "update department set user_count = user_count + 1 where department_id = ?",
            department
        )
        .map_err($crate::errors::other)?;
    }};
}
pub(crate) use count_department_join;

/// One id column.
pub(crate) type IdRow = (i64,);

/// Locks department `$department`'s row for the rest of the transaction (PostgreSQL; SQLite
/// writes are serial anyway), so membership changes and the department's deletion take turns:
/// a deletion never misses a member who joined meanwhile. `RepoError::NotFound` when it is gone.
macro_rules! hold_department {
    ($conn:expr, $builder:ident, $department:expr) => {{
        let sql = format!(
            "select department_id from department where department_id = ?{}",
            $crate::pool::row_lock(&$builder(), " for update")
        );
        $crate::pool::fetch!(optional $crate::org::IdRow, $conn, $builder, &sql, $department)
            .map_err($crate::errors::other)?
            .ok_or(openpan_core::RepoError::NotFound)?;
    }};
}
pub(crate) use hold_department;

/// Holds a director-to-be's account for the rest of the transaction, refusing one deleted
/// meanwhile: a deletion then waits for this write and sees the new director.
macro_rules! hold_director {
    ($conn:expr, $builder:ident, $director:expr) => {{
        let director: Option<i64> = $director;
        if let Some(director) = director {
            let sql = format!(
                "select user_id from user_account where user_id = ? and deleted_at is null{}",
                $crate::pool::row_lock(&$builder(), " for share")
            );
            if fetch!(optional IdRow, $conn, $builder, &sql, director)
                .map_err(other)?
                .is_none()
            {
                return Err(RepoError::Conflict(ConflictKind::DirectorGone));
            }
        }
    }};
}

/// Records the integrator's id of a department or group; a custom id or a record that already
/// has one on the platform is a conflict.
macro_rules! bind_ticket {
    ($conn:expr, $builder:ident, $enterprise:expr, $platform:expr, $kind:expr, $custom:expr, $local:expr) => {{
        let kind: OrgKind = $kind;
        exec!(
            $conn,
            $builder,
            "insert into org_ticket (enterprise_id, platform_id, kind, custom_id, local_id) values (?, ?, ?, ?, ?)",
            $enterprise,
            $platform,
            kind.code(),
            $custom,
            $local
        )
        .map_err(|err| classify(err, Some(ConflictKind::UserTicket)))?;
    }};
}

/// Serialises department moves of one enterprise on PostgreSQL (see the module comment).
const DIRECTORY_LOCK_BASE: i64 = 0x6f71_0000_0000_0000;

#[derive(sqlx::FromRow)]
pub(crate) struct DepartmentRow {
    department_id: i64,
    enterprise_id: i64,
    parent_id: i64,
    name: String,
    director_id: Option<i64>,
    space_total: i64,
    space_used: i64,
    hide_phone: bool,
    disable_share: bool,
    enable_watermark: bool,
    collab_auto_accepted: bool,
    permission_type: String,
    sort_order: i64,
    user_count: i64,
    children_count: i64,
    created_at: i64,
}

impl From<DepartmentRow> for Department {
    fn from(row: DepartmentRow) -> Self {
        Self {
            id: DepartmentId(row.department_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            parent_id: DepartmentId(row.parent_id),
            name: row.name,
            director_id: row.director_id.map(UserId),
            space_total: row.space_total,
            space_used: row.space_used,
            hide_phone: row.hide_phone,
            disable_share: row.disable_share,
            enable_watermark: row.enable_watermark,
            collab_auto_accepted: row.collab_auto_accepted,
            permission_type: row.permission_type,
            order: row.sort_order,
            user_count: row.user_count,
            children_count: row.children_count,
            created_at: row.created_at,
        }
    }
}

const DEPARTMENT_COLUMNS: &str = "d.department_id, d.enterprise_id, d.parent_id, d.name, d.director_id, \
     d.space_total, d.space_used, d.hide_phone, d.disable_share, d.enable_watermark, d.collab_auto_accepted, \
     d.permission_type, d.sort_order, d.user_count, d.children_count, d.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct GroupRow {
    group_id: i64,
    enterprise_id: i64,
    name: String,
    description: String,
    admin_user_id: Option<i64>,
    is_visible: bool,
    collab_auto_accepted: bool,
    user_count: i64,
    created_at: i64,
}

impl From<GroupRow> for Group {
    fn from(row: GroupRow) -> Self {
        Self {
            id: GroupId(row.group_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            name: row.name,
            description: row.description,
            admin_user_id: row.admin_user_id.map(UserId),
            is_visible: row.is_visible,
            collab_auto_accepted: row.collab_auto_accepted,
            user_count: row.user_count,
            created_at: row.created_at,
        }
    }
}

const GROUP_COLUMNS: &str = "g.group_id, g.enterprise_id, g.name, g.description, g.admin_user_id, g.is_visible, \
     g.collab_auto_accepted, g.user_count, g.created_at";

/// `and (…)` matching users whose name, email or phone contains the words, when there are any;
/// binds the pattern three times.
fn words_filter(words: Option<&str>) -> (&'static str, Option<String>) {
    match words {
        None => ("", None),
        Some(words) => (
            " and (lower(u.name) like ? escape '\\' or lower(coalesce(u.email, '')) like ? escape '\\' \
             or coalesce(u.phone, '') like ? escape '\\')",
            Some(format!("%{}%", escape_like(&words.to_lowercase()))),
        ),
    }
}

/// One page of the live members of `$table` (`department_user` or `group_member`) whose
/// `$key` column is `$id`, and how many there are.
macro_rules! member_page {
    ($self:expr, $table:literal, $key:literal, $id:expr, $words:expr, $page:expr) => {{
        let (filter, pattern) = words_filter($words);
        let from = format!(
            "from {} m join user_account u on u.user_id = m.user_id where m.{} = ? and u.deleted_at is null{filter}",
            $table, $key
        );
        let list = format!("select {} {from} order by m.user_id limit ? offset ?", user_columns_of("u"));
        let count = format!("select count(*) {from}");
        let page: Page = $page;
        let id: i64 = $id;
        on_pool!($self, read, |pool, builder| {
            let (rows, total) = match &pattern {
                None => (
                    fetch!(all UserRow, pool, builder, &list, id, page.capacity, page.offset()).map_err(other)?,
                    scalar!(i64, pool, builder, &count, id).map_err(other)?,
                ),
                Some(p) => (
                    fetch!(all UserRow, pool, builder, &list, id, p, p, p, page.capacity, page.offset())
                        .map_err(other)?,
                    scalar!(i64, pool, builder, &count, id, p, p, p).map_err(other)?,
                ),
            };
            Ok((rows.into_iter().map(User::from).collect::<Vec<_>>(), total))
        })
    }};
}

#[async_trait]
impl OrgRepo for SqlRepo {
    async fn create_department(&self, new: NewDepartment) -> RepoResult<Department> {
        let id = on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            if new.parent_id.0 != 0 {
                let parent = exec!(
                    &mut *tx,
                    builder,
                    "update department set children_count = children_count + 1 \
                     where department_id = ? and enterprise_id = ?",
                    new.parent_id.0,
                    new.enterprise_id.0
                )
                .map_err(other)?;
                if parent.rows_affected() == 0 {
                    return Err(RepoError::NotFound);
                }
            }
            hold_director!(&mut *tx, builder, new.director_id.map(|id| id.0));
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into department (enterprise_id, parent_id, name, name_key, director_id, space_total, \
                 hide_phone, disable_share, enable_watermark, collab_auto_accepted, created_at) \
                 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning department_id",
                new.enterprise_id.0,
                new.parent_id.0,
                &new.name,
                &new.name_key,
                new.director_id.map(|id| id.0),
                new.space_total,
                new.hide_phone,
                new.disable_share,
                new.enable_watermark,
                new.collab_auto_accepted,
                new.created_at
            )
            .map_err(|err| classify(err, Some(ConflictKind::DepartmentName)))?;
            if let Some((platform, custom)) = &new.ticket {
                bind_ticket!(
                    &mut *tx,
                    builder,
                    new.enterprise_id.0,
                    *platform,
                    OrgKind::Department,
                    custom,
                    id
                );
            }
            commit!(tx, builder, Some(id))?;
            Ok::<i64, RepoError>(id)
        })?;
        self.find_department(DepartmentId(id)).await?.ok_or(RepoError::NotFound)
    }

    async fn find_department(&self, id: DepartmentId) -> RepoResult<Option<Department>> {
        let select = format!("select {DEPARTMENT_COLUMNS} from department d where d.department_id = ?");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional DepartmentRow, pool, builder, &select, id.0).map_err(other)
        })?;
        Ok(row.map(Department::from))
    }

    async fn set_enterprise_disable_share(&self, enterprise: EnterpriseId, disabled: bool) -> RepoResult<()> {
        self.set_enterprise_flag("disable_share", enterprise, disabled).await
    }

    async fn update_department(&self, id: DepartmentId, changes: DepartmentChanges) -> RepoResult<Department> {
        let select = format!("select {DEPARTMENT_COLUMNS} from department d where d.department_id = ?");
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let current = fetch!(optional DepartmentRow, &mut *tx, builder, &select, id.0)
                .map_err(other)?
                .ok_or(RepoError::NotFound)?;
            if let Some(parent) = changes.parent_id.filter(|parent| parent.0 != current.parent_id) {
                if is_postgres(&builder()) {
                    let key = DIRECTORY_LOCK_BASE + current.enterprise_id;
                    exec!(&mut *tx, builder, "select pg_advisory_xact_lock(?)", key).map_err(other)?;
                }
                if parent.0 != 0 {
                    // The new parent and its ancestors, read under the lock: none may be `id`.
                    let chain = fetch!(
                        all(i64, i64),
                        &mut *tx,
                        builder,
                        "with recursive chain(department_id, enterprise_id, parent_id, depth) as ( \
                         select department_id, enterprise_id, parent_id, 0 from department where department_id = ? \
                         union all select d.department_id, d.enterprise_id, d.parent_id, c.depth + 1 \
                         from department d join chain c on d.department_id = c.parent_id where c.depth < 4096) \
                         select department_id, enterprise_id from chain",
                        parent.0
                    )
                    .map_err(other)?;
                    match chain.first() {
                        Some((_, enterprise)) if *enterprise == current.enterprise_id => {}
                        _ => return Err(RepoError::NotFound),
                    }
                    if chain.iter().any(|(department, _)| *department == id.0) {
                        return Err(RepoError::Conflict(ConflictKind::DepartmentCycle));
                    }
                    exec!(
                        &mut *tx,
                        builder,
                        "update department set children_count = children_count + 1 where department_id = ?",
                        parent.0
                    )
                    .map_err(other)?;
                }
                exec!(
                    &mut *tx,
                    builder,
                    "update department set children_count = children_count - 1 where department_id = ?",
                    current.parent_id
                )
                .map_err(other)?;
            }
            let (name, name_key) = changes.name.unzip();
            let (set_director, director) = match changes.director_id {
                None => (false, None),
                Some(director) => (true, director.map(|id| id.0)),
            };
            // The department before any account (a director's), the order every write takes;
            // after a move's directory lock and parents, as moves take them.
            hold_department!(&mut *tx, builder, id.0);
            hold_director!(&mut *tx, builder, director);
            exec!(
                &mut *tx,
                builder,
                "update department set name = coalesce(?, name), name_key = coalesce(?, name_key), \
                 parent_id = coalesce(?, parent_id), \
                 director_id = case when ? then ? else director_id end, \
                 space_total = coalesce(?, space_total), hide_phone = coalesce(?, hide_phone), \
                 disable_share = coalesce(?, disable_share), enable_watermark = coalesce(?, enable_watermark), \
                 collab_auto_accepted = coalesce(?, collab_auto_accepted), \
                 permission_type = coalesce(?, permission_type) where department_id = ?",
                &name,
                &name_key,
                changes.parent_id.map(|parent| parent.0),
                set_director,
                director,
                changes.space_total,
                changes.hide_phone,
                changes.disable_share,
                changes.enable_watermark,
                changes.collab_auto_accepted,
                &changes.permission_type,
                id.0
            )
            .map_err(|err| classify(err, Some(ConflictKind::DepartmentName)))?;
            if let Some(managers) = &changes.file_managers {
                exec!(
                    &mut *tx,
                    builder,
                    "delete from department_file_manager where department_id = ?",
                    id.0
                )
                .map_err(other)?;
                for manager in managers {
                    exec!(
                        &mut *tx,
                        builder,
                        "insert into department_file_manager (department_id, user_id) values (?, ?) \
                         on conflict do nothing",
                        id.0,
                        manager.0
                    )
                    .map_err(other)?;
                }
            }
            let updated = fetch!(one DepartmentRow, &mut *tx, builder, &select, id.0).map_err(other)?;
            commit!(tx, builder)?;
            Ok(Department::from(updated))
        })
    }

    async fn delete_department(&self, id: DepartmentId, heir: Option<Heir>, at: i64) -> RepoResult<()> {
        self.delete_department_handing_over(id, heir, at).await
    }

    async fn list_child_departments(
        &self,
        enterprise_id: EnterpriseId,
        parent: DepartmentId,
    ) -> RepoResult<Vec<Department>> {
        let select = format!(
            "select {DEPARTMENT_COLUMNS} from department d where d.enterprise_id = ? and d.parent_id = ? \
             order by d.sort_order, d.department_id"
        );
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all DepartmentRow, pool, builder, &select, enterprise_id.0, parent.0).map_err(other)
        })?;
        Ok(rows.into_iter().map(Department::from).collect())
    }

    async fn add_department_user(&self, department: DepartmentId, user: UserId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            hold_department!(&mut *tx, builder, department.0);
            exec!(
                &mut *tx,
                builder,
                "insert into department_user (department_id, user_id, created_at) values (?, ?, ?)",
                department.0,
                user.0,
                at
            )
            .map_err(|err| classify(err, Some(ConflictKind::AlreadyInDepartment)))?;
            count_department_join!(&mut *tx, builder, department.0, user.0);
            commit!(tx, builder)
        })
    }

    async fn remove_department_user(&self, department: DepartmentId, user: UserId) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            hold_department!(&mut *tx, builder, department.0);
            let removed = exec!(
                &mut *tx,
                builder,
                "delete from department_user where department_id = ? and user_id = ?",
                department.0,
                user.0
            )
            .map_err(other)?;
            if removed.rows_affected() == 0 {
                return Ok(false);
            }
            exec!(
                &mut *tx,
                builder,
                "update user_account set department_count = department_count - 1 where user_id = ?",
                user.0
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "update department set user_count = user_count - 1 where department_id = ?",
                department.0
            )
            .map_err(other)?;
            commit!(tx, builder)?;
            Ok(true)
        })
    }

    async fn list_department_users(
        &self,
        department: DepartmentId,
        words: Option<&str>,
        page: Page,
    ) -> RepoResult<(Vec<User>, i64)> {
        member_page!(self, "department_user", "department_id", department.0, words, page)
    }

    async fn list_user_departments(&self, user: UserId) -> RepoResult<Vec<Department>> {
        let select = format!(
            "select {DEPARTMENT_COLUMNS} from department_user m join department d on d.department_id = m.department_id \
             where m.user_id = ? order by d.sort_order, d.department_id"
        );
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all DepartmentRow, pool, builder, &select, user.0).map_err(other)
        })?;
        Ok(rows.into_iter().map(Department::from).collect())
    }

    async fn list_file_managers(&self, department: DepartmentId) -> RepoResult<Vec<UserId>> {
        let ids = on_pool!(self, read, |pool, builder| {
            fetch!(
                all(i64,),
                pool,
                builder,
                "select user_id from department_file_manager where department_id = ? order by user_id",
                department.0
            )
            .map_err(other)
        })?;
        Ok(ids.into_iter().map(|(id,)| UserId(id)).collect())
    }

    async fn count_directed_departments(&self, user: UserId) -> RepoResult<i64> {
        on_pool!(self, read, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "select count(*) from department where director_id = ?",
                user.0
            )
            .map_err(other)
        })
    }

    async fn works_in_department(&self, department: DepartmentId, user: UserId) -> RepoResult<bool> {
        on_pool!(self, read, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "select count(*) from department d where d.department_id = ? and (d.director_id = ? \
                 or exists (select 1 from department_user m where m.department_id = d.department_id and m.user_id = ?) \
                 or exists (select 1 from department_file_manager f \
                 where f.department_id = d.department_id and f.user_id = ?))",
                department.0,
                user.0,
                user.0,
                user.0
            )
            .map(|count| count > 0)
            .map_err(other)
        })
    }

    async fn create_group(&self, new: NewGroup) -> RepoResult<Group> {
        let id = on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into user_group (enterprise_id, name, name_key, description, admin_user_id, is_visible, \
                 collab_auto_accepted, created_at) values (?, ?, ?, ?, ?, ?, ?, ?) returning group_id",
                new.enterprise_id.0,
                &new.name,
                &new.name_key,
                &new.description,
                new.admin_user_id.map(|id| id.0),
                new.is_visible,
                new.collab_auto_accepted,
                new.created_at
            )
            .map_err(|err| classify(err, Some(ConflictKind::GroupName)))?;
            if let Some((platform, custom)) = &new.ticket {
                bind_ticket!(
                    &mut *tx,
                    builder,
                    new.enterprise_id.0,
                    *platform,
                    OrgKind::Group,
                    custom,
                    id
                );
            }
            commit!(tx, builder, Some(id))?;
            Ok::<i64, RepoError>(id)
        })?;
        self.find_group(GroupId(id)).await?.ok_or(RepoError::NotFound)
    }

    async fn find_group(&self, id: GroupId) -> RepoResult<Option<Group>> {
        let select = format!("select {GROUP_COLUMNS} from user_group g where g.group_id = ?");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional GroupRow, pool, builder, &select, id.0).map_err(other)
        })?;
        Ok(row.map(Group::from))
    }

    async fn update_group(&self, id: GroupId, changes: GroupChanges) -> RepoResult<Group> {
        let (name, name_key) = changes.name.unzip();
        let (set_admin, admin) = match changes.admin_user_id {
            None => (false, None),
            Some(admin) => (true, admin.map(|id| id.0)),
        };
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let updated = exec!(
                &mut *tx,
                builder,
                "update user_group set name = coalesce(?, name), name_key = coalesce(?, name_key), \
                 description = coalesce(?, description), \
                 admin_user_id = case when ? then ? else admin_user_id end, \
                 is_visible = coalesce(?, is_visible), collab_auto_accepted = coalesce(?, collab_auto_accepted) \
                 where group_id = ?",
                &name,
                &name_key,
                &changes.description,
                set_admin,
                admin,
                changes.is_visible,
                changes.collab_auto_accepted,
                id.0
            )
            .map_err(|err| classify(err, Some(ConflictKind::GroupName)))?;
            if updated.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            commit!(tx, builder)
        })?;
        self.find_group(id).await?.ok_or(RepoError::NotFound)
    }

    async fn delete_group(&self, id: GroupId) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            exec!(&mut *tx, builder, "delete from group_member where group_id = ?", id.0).map_err(other)?;
            log_removed!(
                tx,
                builder,
                collabs_removed("group_deleted", "c.accessor_kind = 2 and c.accessor_id = ?"),
                &[id.0]
            );
            exec!(
                &mut *tx,
                builder,
                "delete from collab where accessor_kind = 2 and accessor_id = ?",
                id.0
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "delete from org_ticket where kind = ? and local_id = ?",
                OrgKind::Group.code(),
                id.0
            )
            .map_err(other)?;
            let deleted = exec!(&mut *tx, builder, "delete from user_group where group_id = ?", id.0).map_err(other)?;
            if deleted.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            commit!(tx, builder)
        })
    }

    async fn list_groups(
        &self,
        enterprise_id: EnterpriseId,
        viewer: Option<UserId>,
        words: Option<&str>,
        page: Page,
    ) -> RepoResult<(Vec<Group>, i64)> {
        let pattern = words.map(|words| format!("%{}%", escape_like(&words.to_lowercase())));
        // Unused filters compare with values that always match, so every query binds the same.
        let from = "from user_group g where g.enterprise_id = ? and (? or g.name_key like ? escape '\\') \
             and (? or g.is_visible or exists (select 1 from group_member m \
             where m.group_id = g.group_id and m.user_id = ?))";
        let list = format!("select {GROUP_COLUMNS} {from} order by g.name_key, g.group_id limit ? offset ?");
        let count = format!("select count(*) {from}");
        let any_name = pattern.is_none();
        let pattern = pattern.unwrap_or_default();
        let any_group = viewer.is_none();
        let viewer = viewer.map_or(0, |viewer| viewer.0);
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(
                all GroupRow,
                pool,
                builder,
                &list,
                enterprise_id.0,
                any_name,
                &pattern,
                any_group,
                viewer,
                page.capacity,
                page.offset()
            )
            .map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                &count,
                enterprise_id.0,
                any_name,
                &pattern,
                any_group,
                viewer
            )
            .map_err(other)?;
            Ok((rows.into_iter().map(Group::from).collect(), total))
        })
    }

    async fn is_group_member(&self, group: GroupId, user: UserId) -> RepoResult<bool> {
        on_pool!(self, read, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "select count(*) from group_member where group_id = ? and user_id = ?",
                group.0,
                user.0
            )
            .map(|count| count > 0)
            .map_err(other)
        })
    }

    async fn add_group_user(&self, group: GroupId, user: UserId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "insert into group_member (group_id, user_id, created_at) values (?, ?, ?)",
                group.0,
                user.0,
                at
            )
            .map_err(|err| classify(err, Some(ConflictKind::AlreadyInGroup)))?;
            exec!(
                &mut *tx,
                builder,
                "update user_group set user_count = user_count + 1 where group_id = ?",
                group.0
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }

    async fn remove_group_user(&self, group: GroupId, user: UserId) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let removed = exec!(
                &mut *tx,
                builder,
                "delete from group_member where group_id = ? and user_id = ?",
                group.0,
                user.0
            )
            .map_err(other)?;
            if removed.rows_affected() == 0 {
                return Ok(false);
            }
            exec!(
                &mut *tx,
                builder,
                "update user_group set user_count = user_count - 1 where group_id = ?",
                group.0
            )
            .map_err(other)?;
            commit!(tx, builder)?;
            Ok(true)
        })
    }

    async fn list_group_users(&self, group: GroupId, words: Option<&str>, page: Page) -> RepoResult<(Vec<User>, i64)> {
        member_page!(self, "group_member", "group_id", group.0, words, page)
    }
}

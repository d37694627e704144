//! `CollabRepo`: collaborations, and the walk that finds the grants reaching a user on an item.

use async_trait::async_trait;
use openpan_core::RepoError;
use openpan_core::collab::{Accessor, Collab, Grant, NewCollab, Role};
use openpan_core::error::ConflictKind;
use openpan_core::ids::{CollabId, EnterpriseId, ItemId, UserId};
use openpan_core::ports::{CollabRepo, RepoResult};

use crate::drive::TOUCH_SPACE;
use crate::errors::{classify, other};
use crate::pool::{SqlRepo, commit, dialect, exec, fetch, hold_live_item, on_pool, scalar};

#[derive(sqlx::FromRow)]
struct CollabRow {
    collab_id: i64,
    enterprise_id: i64,
    folder_id: i64,
    accessor_kind: i16,
    accessor_id: i64,
    role: String,
    accepted: bool,
    invited_by: i64,
    message: String,
    created_at: i64,
    modified_at: i64,
}

impl TryFrom<CollabRow> for Collab {
    type Error = RepoError;

    fn try_from(row: CollabRow) -> Result<Self, RepoError> {
        let broken =
            || RepoError::Other(format!("collaboration {} has an unknown accessor or role", row.collab_id).into());
        Ok(Collab {
            id: CollabId(row.collab_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            folder_id: ItemId(row.folder_id),
            accessor: Accessor::from_parts(row.accessor_kind, row.accessor_id).ok_or_else(broken)?,
            role: Role::parse_grant(&row.role).ok_or_else(broken)?,
            accepted: row.accepted,
            invited_by: UserId(row.invited_by),
            message: row.message,
            created_at: row.created_at,
            modified_at: row.modified_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    folder_id: i64,
    role: String,
}

fn grants(rows: Vec<GrantRow>) -> RepoResult<Vec<Grant>> {
    rows.into_iter()
        .map(|row| {
            Ok(Grant {
                folder: ItemId(row.folder_id),
                role: Role::parse_grant(&row.role)
                    .ok_or_else(|| RepoError::Other(format!("unknown collaboration role {:?}", row.role).into()))?,
            })
        })
        .collect()
}

/// Moves the change counter of the space holding `folder` (as every tree write does, with
/// `TOUCH_SPACE`): listings show which folders are shared, so a cached page must not outlive an
/// invitation or its end.
macro_rules! touch_folder_space {
    ($tx:expr, $builder:ident, $folder:expr) => {{
        let space = fetch!(
            optional(i16, i64),
            &mut *$tx,
            $builder,
            "select space_kind, space_id from item where item_id = ?",
            $folder
        )
        .map_err(other)?;
        if let Some((kind, id)) = space {
            exec!(&mut *$tx, $builder, TOUCH_SPACE, kind, id).map_err(other)?;
        }
    }};
}

const COLLAB_COLUMNS: &str = "collab_id, enterprise_id, folder_id, accessor_kind, accessor_id, role, accepted, \
     invited_by, message, created_at, modified_at";

/// The departments a user's department grants come through: those they are a member,
/// director or file manager of, and every one above those. Binds the user three times.
const USER_DEPARTMENTS: &str = "depts(department_id, depth) as ( \
     select department_id, 0 from ( \
       select department_id from department_user where user_id = ? \
       union select department_id from department where director_id = ? \
       union select department_id from department_file_manager where user_id = ?) mine \
     union all select d.parent_id, x.depth + 1 from department d join depts x on d.department_id = x.department_id \
     where d.parent_id <> 0 and x.depth < 64)";

/// The accepted collaborations `c` reaching the user: binds the user twice.
const REACHES_USER: &str = "c.accepted and ((c.accessor_kind = 1 and c.accessor_id = ?) \
     or (c.accessor_kind = 2 and c.accessor_id in (select group_id from group_member where user_id = ?)) \
     or (c.accessor_kind = 3 and c.accessor_id in (select department_id from depts)))";

#[async_trait]
impl CollabRepo for SqlRepo {
    async fn create_collabs(&self, new: &[NewCollab]) -> RepoResult<Vec<CollabId>> {
        let Some(first) = new.first() else {
            return Ok(Vec::new());
        };
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // The folder must still be live; held so it cannot be purged under the invitation.
            hold_live_item!(tx, builder, first.folder_id.0, "", " for share");
            let mut ids = Vec::with_capacity(new.len());
            for collab in new {
                let id = scalar!(
                    i64,
                    &mut *tx,
                    builder,
                    "insert into collab (enterprise_id, folder_id, accessor_kind, accessor_id, role, accepted, \
                     invited_by, message, created_at, modified_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     returning collab_id",
                    collab.enterprise_id.0,
                    collab.folder_id.0,
                    collab.accessor.code(),
                    collab.accessor.id(),
                    collab.role.as_str(),
                    collab.accepted,
                    collab.invited_by.0,
                    &collab.message,
                    collab.at,
                    collab.at
                )
                .map_err(|err| match &err {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => RepoError::NotFound,
                    _ => classify(err, Some(ConflictKind::CollabExists)),
                })?;
                ids.push(id);
            }
            touch_folder_space!(tx, builder, first.folder_id.0);
            commit!(@each tx, builder, &ids)?;
            Ok(ids.into_iter().map(CollabId).collect())
        })
    }

    async fn find_collab(&self, id: CollabId) -> RepoResult<Option<Collab>> {
        let select = format!("select {COLLAB_COLUMNS} from collab where collab_id = ?");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional CollabRow, pool, builder, &select, id.0).map_err(other)
        })?;
        row.map(Collab::try_from).transpose()
    }

    async fn list_folder_collabs(&self, folder: ItemId) -> RepoResult<Vec<Collab>> {
        let select = format!("select {COLLAB_COLUMNS} from collab where folder_id = ? order by collab_id");
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all CollabRow, pool, builder, &select, folder.0).map_err(other)
        })?;
        rows.into_iter().map(Collab::try_from).collect()
    }

    async fn list_shared_among(&self, folders: &[ItemId]) -> RepoResult<Vec<ItemId>> {
        let mut shared = Vec::new();
        for chunk in folders.chunks(500) {
            let marks = crate::pool::marks(chunk.len());
            let select = format!("select distinct folder_id from collab where folder_id in ({marks})");
            let found: Vec<i64> = on_pool!(self, read, |pool, builder| {
                let sql = dialect(&builder(), &select);
                let mut query = sqlx::query_scalar(&sql);
                for folder in chunk {
                    query = query.bind(folder.0);
                }
                query.fetch_all(pool).await.map_err(other)
            })?;
            shared.extend(found.into_iter().map(ItemId));
        }
        Ok(shared)
    }

    async fn update_collab(&self, id: CollabId, role: Option<Role>, accept: bool, at: i64) -> RepoResult<Collab> {
        let role = role.map(Role::as_str);
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let updated = exec!(
                &mut *tx,
                builder,
                "update collab set role = coalesce(?, role), accepted = (accepted or ?), modified_at = ? \
                 where collab_id = ?",
                role,
                accept,
                at,
                id.0
            )
            .map_err(other)?;
            if updated.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            commit!(tx, builder)
        })?;
        self.find_collab(id).await?.ok_or(RepoError::NotFound)
    }

    async fn delete_collabs(&self, ids: &[CollabId]) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let mut folders = Vec::new();
            for id in ids {
                let folder: Option<i64> = sqlx::query_scalar(&dialect(
                    &builder(),
                    "delete from collab where collab_id = ? returning folder_id",
                ))
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(other)?;
                let Some(folder) = folder else {
                    return Err(RepoError::NotFound);
                };
                if !folders.contains(&folder) {
                    folders.push(folder);
                }
            }
            for folder in folders {
                touch_folder_space!(tx, builder, folder);
            }
            commit!(tx, builder)
        })
    }

    async fn grants_on(&self, item: ItemId, user: UserId) -> RepoResult<Vec<Grant>> {
        let select = format!(
            "with recursive up(item_id, parent_id, depth) as ( \
               select item_id, parent_id, 0 from item where item_id = ? \
               union all select i.item_id, i.parent_id, u.depth + 1 from item i join up u on i.item_id = u.parent_id \
               where u.depth < 4096), {USER_DEPARTMENTS} \
             select c.folder_id, c.role from up join collab c on c.folder_id = up.item_id \
             where {REACHES_USER} order by up.depth desc, c.collab_id"
        );
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all GrantRow, pool, builder, &select, item.0, user.0, user.0, user.0, user.0, user.0).map_err(other)
        })?;
        grants(rows)
    }

    async fn grants_of(&self, user: UserId) -> RepoResult<Vec<Grant>> {
        let select = format!(
            "with recursive {USER_DEPARTMENTS} \
             select c.folder_id, c.role from collab c where {REACHES_USER} order by c.collab_id"
        );
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all GrantRow, pool, builder, &select, user.0, user.0, user.0, user.0, user.0).map_err(other)
        })?;
        grants(rows)
    }
}

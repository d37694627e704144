//! `DriveRepo`: the folder tree, versions, blobs and upload URLs.
//!
//! The tree is parent pointers only, so moving or renaming a folder touches one row whatever
//! lies below it; ancestors are walked with recursive CTEs (depth, never subtree size). Each
//! folder keeps its direct-child counters and the size of the live files below it, updated in
//! the same transaction as the change, which keeps listings' totals exact without counting.
//!
//! The statements here are plain SQL with `?` placeholders, numbered for PostgreSQL by
//! [`dialect`](crate::pool::dialect); recursive CTEs read more clearly as SQL than as builder calls.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_query_binder::SqlxBinder;

use openpan_core::RepoError;
use openpan_core::drive::{
    FileVersion, Item, ItemKind, KindFilter, Marker, MarkerKey, PathEntry, ROOT_FOLDER_NAME, Sort, SortKey, Space,
    TrashState,
};
use openpan_core::error::ConflictKind;
use openpan_core::ids::{DepartmentId, EnterpriseId, ItemId, UserId, VersionId};
use openpan_core::model::Page;
use openpan_core::ports::{
    CommittedContent, ContentTarget, DriveRepo, Heir, NewContent, NewFolder, RefCountDrift, RepoResult,
    StoredReference, UnreferencedBlob, UploadPart, UploadSession,
};
use openpan_core::search::{IndexRow, SpaceRoot};

use crate::errors::{classify, other};
use crate::pool::{SqlRepo, collabs_removed, commit, dialect, exec, fetch, is_postgres, log_removed, on_pool, scalar};

/// Adds `$delta` to the size of `$folder` and every folder above it.
macro_rules! add_size_upwards {
    ($conn:expr, $builder:ident, $folder:expr, $delta:expr) => {{
        let delta: i64 = $delta;
        if delta != 0 {
            exec!($conn, $builder, ADD_SIZE_UPWARDS, $folder, delta).map_err(other)?;
        }
    }};
}

/// Charges (or with a negative delta, refunds) an owner and the enterprise; a charge that
/// would pass a limit fails with the matching conflict.
macro_rules! charge {
    ($conn:expr, $builder:ident, $space:expr, $enterprise:expr, $delta:expr) => {{
        let delta: i64 = $delta;
        let (space_kind, space_id): (i16, i64) = $space;
        let enterprise: i64 = $enterprise;
        // A personal space's bytes count against its user, a department's against it.
        let (charge, refund, full) = if space_kind == SPACE_DEPARTMENT {
            (CHARGE_DEPARTMENT, REFUND_DEPARTMENT, ConflictKind::DepartmentSpace)
        } else {
            (CHARGE_USER, REFUND_USER, ConflictKind::UserSpace)
        };
        if delta > 0 {
            let done = exec!($conn, $builder, charge, delta, space_id, delta).map_err(other)?;
            if done.rows_affected() == 0 {
                return Err(RepoError::Conflict(full));
            }
            let done = exec!($conn, $builder, CHARGE_ENTERPRISE, delta, enterprise, delta).map_err(other)?;
            if done.rows_affected() == 0 {
                return Err(RepoError::Conflict(ConflictKind::EnterpriseSpace));
            }
        } else if delta < 0 {
            exec!($conn, $builder, refund, -delta, space_id).map_err(other)?;
            exec!($conn, $builder, REFUND_ENTERPRISE, -delta, enterprise).map_err(other)?;
        }
    }};
}

/// `Space::Department`'s storage kind.
const SPACE_DEPARTMENT: i16 = 2;

/// Serialises tree-shape changes (moves, copies) within an enterprise on PostgreSQL, so two
/// concurrent moves cannot build a cycle; SQLite has a single writer anyway.
macro_rules! lock_tree {
    ($conn:expr, $builder:ident, $enterprise:expr) => {{
        if is_postgres(&$builder()) {
            let key: i64 = TREE_LOCK_BASE + $enterprise;
            exec!($conn, $builder, "select pg_advisory_xact_lock(?)", key).map_err(other)?;
        }
    }};
}

const TREE_LOCK_BASE: i64 = 0x6f70_0000_0000_0000;

/// The node `$id` read under its enterprise's tree lock (on PostgreSQL), so what the write then
/// does is decided on a state no concurrent write of that enterprise can change underneath.
/// Every write to the tree goes through here, which is also where its space's listings are
/// marked stale: the mark commits with the write, or not at all.
macro_rules! locked_node {
    ($conn:expr, $builder:ident, $id:expr) => {{
        let id: i64 = $id;
        let node = fetch!(optional Node, $conn, $builder, NODE_SELECT, id)
            .map_err(other)?
            .ok_or(RepoError::NotFound)?;
        let node = if is_postgres(&$builder()) {
            lock_tree!($conn, $builder, node.enterprise_id);
            fetch!(optional Node, $conn, $builder, NODE_SELECT, id)
                .map_err(other)?
                .ok_or(RepoError::NotFound)?
        } else {
            node
        };
        touch_space!($conn, $builder, &node);
        node
    }};
}

/// Moves the listing generation of `$node`'s space on (see migration 0009). Taken only under
/// the tree lock, so the root rows it updates are never locked in two orders at once.
macro_rules! touch_space {
    ($conn:expr, $builder:ident, $node:expr) => {{
        let node: &Node = $node;
        exec!($conn, $builder, TOUCH_SPACE, node.space_kind, node.space_id).map_err(other)?;
    }};
}

pub(crate) const TOUCH_SPACE: &str =
    "update item set generation = generation + 1 where parent_id is null and space_kind = ? and space_id = ?";

const ITEM_SELECT: &str = "select i.item_id, i.enterprise_id, i.space_kind, i.space_id, i.is_folder, i.parent_id, \
     i.name, i.description, i.size, i.folder_count, i.file_count, i.owner_id, i.created_by, i.modified_by, \
     i.created_at, i.modified_at, i.sequence_id, i.current_version_id, v.sha1, i.trash_root_id, i.trashed_at, \
     i.trashed_by, i.comment_count from item i left join file_version v on v.version_id = i.current_version_id";

const ADD_SIZE_UPWARDS: &str = "with recursive chain(item_id, parent_id, depth) as ( \
     select item_id, parent_id, 0 from item where item_id = ? \
     union all select p.item_id, p.parent_id, c.depth + 1 from item p join chain c on p.item_id = c.parent_id \
     where c.depth < 4096) \
     update item set size = size + ? where item_id in (select item_id from chain)";

const ANCESTORS: &str = "with recursive chain(item_id, parent_id, name, depth) as ( \
     select item_id, parent_id, name, 0 from item where item_id = ? \
     union all select p.item_id, p.parent_id, p.name, c.depth + 1 from item p join chain c on p.item_id = c.parent_id \
     where c.depth < 4096) \
     select item_id, parent_id, name from chain where depth > 0 order by depth desc";

const LIVE_SUBTREE: &str = "with recursive sub(item_id, depth) as ( \
     select item_id, 0 from item where item_id = ? \
     union all select c.item_id, s.depth + 1 from item c join sub s on c.parent_id = s.item_id \
     where c.trash_root_id is null and s.depth < 4096)";

const CHARGE_USER: &str = "update user_account set space_used = space_used + ? \
     where user_id = ? and (space_total < 0 or space_used + ? <= space_total)";
const CHARGE_ENTERPRISE: &str = "update enterprise set space_used = space_used + ? \
     where enterprise_id = ? and (space_total < 0 or space_used + ? <= space_total)";
const REFUND_USER: &str = "update user_account set space_used = space_used - ? where user_id = ?";
const CHARGE_DEPARTMENT: &str = "update department set space_used = space_used + ? \
     where department_id = ? and (space_total < 0 or space_used + ? <= space_total)";
const REFUND_DEPARTMENT: &str = "update department set space_used = space_used - ? where department_id = ?";
const REFUND_ENTERPRISE: &str = "update enterprise set space_used = space_used - ? where enterprise_id = ?";

const VERSION_SELECT: &str = "select v.version_id, v.file_id, v.name, v.size, v.sha1, v.remark, v.created_by, \
     v.created_at, b.storage_key from file_version v join content_blob b on b.blob_id = v.blob_id";

#[derive(sqlx::FromRow)]
pub(crate) struct ItemRow {
    item_id: i64,
    enterprise_id: i64,
    space_kind: i16,
    space_id: i64,
    is_folder: bool,
    parent_id: Option<i64>,
    name: String,
    description: String,
    size: i64,
    folder_count: i64,
    file_count: i64,
    owner_id: i64,
    created_by: i64,
    modified_by: i64,
    created_at: i64,
    modified_at: i64,
    sequence_id: i64,
    current_version_id: Option<i64>,
    sha1: Option<String>,
    trash_root_id: Option<i64>,
    trashed_at: Option<i64>,
    trashed_by: Option<i64>,
    comment_count: i64,
}

impl TryFrom<ItemRow> for Item {
    type Error = RepoError;

    fn try_from(row: ItemRow) -> Result<Self, RepoError> {
        let space = Space::from_parts(row.space_kind, row.space_id)
            .ok_or_else(|| RepoError::Other(format!("item {} has unknown space kind", row.item_id).into()))?;
        let trash = row.trash_root_id.map(|root| TrashState {
            root: ItemId(root),
            at: row.trashed_at.unwrap_or_default(),
            by: UserId(row.trashed_by.unwrap_or_default()),
        });
        Ok(Item {
            id: ItemId(row.item_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            space,
            kind: if row.is_folder {
                ItemKind::Folder
            } else {
                ItemKind::File
            },
            parent_id: row.parent_id.map(ItemId),
            name: row.name,
            description: row.description,
            size: row.size,
            folder_count: row.folder_count,
            file_count: row.file_count,
            owner_id: UserId(row.owner_id),
            created_by: UserId(row.created_by),
            modified_by: UserId(row.modified_by),
            created_at: row.created_at,
            modified_at: row.modified_at,
            sequence_id: row.sequence_id,
            current_version_id: row.current_version_id.map(VersionId),
            sha1: row.sha1,
            trash,
            comment_count: row.comment_count,
        })
    }
}

fn items(rows: Vec<ItemRow>) -> RepoResult<Vec<Item>> {
    rows.into_iter().map(Item::try_from).collect()
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version_id: i64,
    file_id: i64,
    name: String,
    size: i64,
    sha1: String,
    remark: String,
    created_by: i64,
    created_at: i64,
    storage_key: String,
}

impl From<VersionRow> for FileVersion {
    fn from(row: VersionRow) -> Self {
        Self {
            id: VersionId(row.version_id),
            file_id: ItemId(row.file_id),
            name: row.name,
            size: row.size,
            sha1: row.sha1,
            remark: row.remark,
            created_by: UserId(row.created_by),
            created_at: row.created_at,
            storage_key: row.storage_key,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SpaceRootRow {
    enterprise_id: i64,
    space_kind: i16,
    space_id: i64,
    item_id: i64,
    generation: i64,
}

/// What the search index reads of an item; files' storage keys come along for their content.
const INDEX_ROW_SELECT: &str = "select i.item_id, i.parent_id, i.is_folder, i.name, i.size, i.created_by, \
     i.modified_at, i.current_version_id, b.storage_key, i.trash_root_id is not null as trashed from item i \
     left join file_version v on v.version_id = i.current_version_id \
     left join content_blob b on b.blob_id = v.blob_id";

#[derive(sqlx::FromRow)]
struct IndexRowRow {
    item_id: i64,
    parent_id: i64,
    is_folder: bool,
    name: String,
    size: i64,
    created_by: i64,
    modified_at: i64,
    current_version_id: Option<i64>,
    storage_key: Option<String>,
    trashed: bool,
}

impl From<IndexRowRow> for IndexRow {
    fn from(row: IndexRowRow) -> Self {
        IndexRow {
            id: ItemId(row.item_id),
            parent_id: ItemId(row.parent_id),
            is_folder: row.is_folder,
            name: row.name,
            size: row.size,
            created_by: UserId(row.created_by),
            modified_at: row.modified_at,
            version_id: row.current_version_id,
            storage_key: row.storage_key,
            trashed: row.trashed,
        }
    }
}

#[derive(sqlx::FromRow)]
struct StartedAncestorRow {
    start_id: i64,
    item_id: i64,
    parent_id: Option<i64>,
    name: String,
}

#[derive(sqlx::FromRow)]
struct AncestorRow {
    item_id: i64,
    parent_id: Option<i64>,
    name: String,
}

/// What a write needs to know about an item it touches.
#[derive(sqlx::FromRow)]
struct Node {
    enterprise_id: i64,
    space_kind: i16,
    space_id: i64,
    is_folder: bool,
    parent_id: Option<i64>,
    size: i64,
    owner_id: i64,
    trash_root_id: Option<i64>,
    current_version_id: Option<i64>,
}

const NODE_SELECT: &str = "select item_id, enterprise_id, space_kind, space_id, is_folder, parent_id, size, owner_id, trash_root_id, \
     current_version_id from item where item_id = ?";

/// A row of a subtree being copied.
#[derive(sqlx::FromRow)]
struct CopyRow {
    item_id: i64,
    parent_id: Option<i64>,
    is_folder: bool,
    name: String,
    name_key: String,
    description: String,
    size: i64,
    folder_count: i64,
    file_count: i64,
    blob_id: Option<i64>,
    version_name: Option<String>,
    version_size: Option<i64>,
    version_sha1: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    upload_id: String,
    secret_hash: Vec<u8>,
    enterprise_id: i64,
    user_id: i64,
    folder_id: Option<i64>,
    file_id: Option<i64>,
    name: String,
    remark: String,
    declared_size: Option<i64>,
    part_size: Option<i64>,
    expected_sha1: Option<String>,
    state: i16,
    expires_at: i64,
    created_at: i64,
}

/// A value bound to a `?` of [`SqlRepo::fetch_item_rows`].
enum Bind {
    Int(i64),
    Bool(bool),
    Text(String),
}

/// An `item` row as SQLite's `json_array` renders it (booleans as 0/1), in `ITEM_SELECT` order.
#[derive(serde::Deserialize)]
struct ItemJson(
    i64,
    i64,
    i16,
    i64,
    i64,
    Option<i64>,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
);

impl From<ItemJson> for ItemRow {
    fn from(row: ItemJson) -> Self {
        ItemRow {
            item_id: row.0,
            enterprise_id: row.1,
            space_kind: row.2,
            space_id: row.3,
            is_folder: row.4 != 0,
            parent_id: row.5,
            name: row.6,
            description: row.7,
            size: row.8,
            folder_count: row.9,
            file_count: row.10,
            owner_id: row.11,
            created_by: row.12,
            modified_by: row.13,
            created_at: row.14,
            modified_at: row.15,
            sequence_id: row.16,
            current_version_id: row.17,
            sha1: row.18,
            trash_root_id: row.19,
            trashed_at: row.20,
            trashed_by: row.21,
            comment_count: row.22,
        }
    }
}

impl SqlRepo {
    /// The rows of an `ITEM_SELECT` query. On SQLite the page comes back as one JSON value
    /// built inside SQLite: sqlx hands every row from SQLite's thread to ours and copies every
    /// value with its own allocation, which made 1,000-row listings cost ten times the query.
    async fn fetch_item_rows(&self, select: &str, binds: Vec<Bind>) -> RepoResult<Vec<ItemRow>> {
        on_pool!(self, read, |pool, builder| {
            if is_postgres(&builder()) {
                let sql = dialect(&builder(), select);
                let mut query = sqlx::query_as::<_, ItemRow>(&sql);
                for bind in &binds {
                    query = match bind {
                        Bind::Int(value) => query.bind(*value),
                        Bind::Bool(value) => query.bind(*value),
                        Bind::Text(value) => query.bind(value.clone()),
                    };
                }
                query.fetch_all(pool).await.map_err(other)
            } else {
                let sql = format!(
                    "select coalesce(json_group_array(json_array({ITEM_COLUMNS})), '[]') from ({select}) as page"
                );
                let mut query = sqlx::query_scalar::<_, String>(&sql);
                for bind in &binds {
                    query = match bind {
                        Bind::Int(value) => query.bind(*value),
                        Bind::Bool(value) => query.bind(*value),
                        Bind::Text(value) => query.bind(value.clone()),
                    };
                }
                let json = query.fetch_one(pool).await.map_err(other)?;
                let rows: Vec<ItemJson> = serde_json::from_str(&json).map_err(|err| RepoError::Other(Box::new(err)))?;
                Ok(rows.into_iter().map(ItemRow::from).collect())
            }
        })
    }
}

/// The columns of `ITEM_SELECT`, by their result names.
const ITEM_COLUMNS: &str = "item_id, enterprise_id, space_kind, space_id, is_folder, parent_id, name, description, \
     size, folder_count, file_count, owner_id, created_by, modified_by, created_at, modified_at, sequence_id, \
     current_version_id, sha1, trash_root_id, trashed_at, trashed_by, comment_count";

/// Where a kind's part of a listing page starts.
enum Window<'a> {
    Offset(i64),
    After(&'a Marker),
}

/// The counter column a child of this kind is counted in.
fn counter(is_folder: bool) -> &'static str {
    if is_folder { "folder_count" } else { "file_count" }
}

fn bump_parent_sql(is_folder: bool, delta: i64) -> String {
    let column = counter(is_folder);
    let sign = if delta >= 0 { '+' } else { '-' };
    format!(
        "update item set {column} = {column} {sign} {}, modified_at = ?, sequence_id = sequence_id + 1 \
         where item_id = ? and is_folder = ? and trash_root_id is null",
        delta.abs()
    )
}

fn order_sql(sort: Sort, size_column: &str, date_column: &str) -> String {
    let direction = if sort.descending { "desc" } else { "asc" };
    let column = match sort.by {
        SortKey::Name => "i.name_key",
        SortKey::Date => date_column,
        SortKey::Size => size_column,
    };
    format!("order by {column} {direction}, i.item_id {direction}")
}

fn name_conflict(err: sqlx::Error) -> RepoError {
    classify(err, Some(ConflictKind::ItemName))
}

/// `like` pattern matching keys that start with `prefix`.
fn prefix_pattern(prefix: &str) -> String {
    format!("{}%", crate::repo::escape_like(prefix))
}

/// Items (alias `i`) in spaces the user (bound four times) works in: their own personal space,
/// or a department they are a member, director or file manager of — an item used once stays
/// out of reach once its space is.
fn space_roots(rows: Vec<SpaceRootRow>) -> RepoResult<Vec<SpaceRoot>> {
    rows.into_iter()
        .map(|row| {
            let space = Space::from_parts(row.space_kind, row.space_id)
                .ok_or_else(|| RepoError::Other(format!("item {} has unknown space kind", row.item_id).into()))?;
            Ok(SpaceRoot {
                enterprise_id: EnterpriseId(row.enterprise_id),
                space,
                root: ItemId(row.item_id),
                generation: row.generation,
            })
        })
        .collect()
}

const WORKS_IN: &str = "((i.space_kind = 1 and i.space_id = ?) or (i.space_kind = 2 and i.space_id in ( \
     select department_id from department_user where user_id = ? \
     union select department_id from department where director_id = ? \
     union select department_id from department_file_manager where user_id = ?)))";

/// A node and everything below it, trashed items included.
const SUBTREE: &str = "with recursive sub(item_id, depth) as ( \
     select item_id, 0 from item where item_id = ? \
     union all select c.item_id, s.depth + 1 from item c join sub s on c.parent_id = s.item_id \
     where s.depth < 4096)";

/// Everything below a node, trashed items included (a deleted user's whole space).
const WHOLE_SUBTREE: &str = "with recursive sub(item_id, depth) as ( \
     select item_id, 0 from item where parent_id = ? \
     union all select c.item_id, s.depth + 1 from item c join sub s on c.parent_id = s.item_id \
     where s.depth < 4096)";

/// A department's parent and enterprise.
type DepartmentOwnerRow = (i64, i64);

/// A listing's stamp: the space root, its generation and the directory's.
type StampRow = (i64, i64, i64);

/// A space root's counters, for handing its contents over.
#[derive(sqlx::FromRow)]
struct RootRow {
    item_id: i64,
    size: i64,
    folder_count: i64,
    file_count: i64,
}

/// Hands everything in the space `$from` (its trash too) to `$heir`: the items move under
/// the heir's folder and into the heir's space, and their bytes go from the space's account to
/// the heir's (an administrator's hand-over is not refused for the heir's quota; the
/// enterprise's total does not change). Takes the tree lock.
macro_rules! hand_over_space {
    ($conn:expr, $builder:ident, $from:expr, $heir:expr, $at:expr) => {{
        let (from_kind, from_id): (i16, i64) = $from;
        let heir: Heir = $heir;
        let at: i64 = $at;
        // Locks the tree and marks the heir's listings stale.
        let target = locked_node!($conn, $builder, heir.folder.0);
        if !target.is_folder || target.trash_root_id.is_some() {
            return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
        }
        let root = fetch!(
            optional RootRow,
            $conn,
            $builder,
            "select item_id, size, folder_count, file_count from item \
             where parent_id is null and space_kind = ? and space_id = ?",
            from_kind,
            from_id
        )
        .map_err(other)?;
        if let Some(root) = root {
            exec!($conn, $builder, TOUCH_SPACE, from_kind, from_id).map_err(other)?;
            let bytes = scalar!(
                i64,
                $conn,
                $builder,
                &format!(
                    "{WHOLE_SUBTREE} select coalesce(cast(sum(v.size) as bigint), 0) from file_version v \
                     where v.file_id in (select item_id from sub)"
                ),
                root.item_id
            )
            .map_err(other)?;
            exec!(
                $conn,
                $builder,
                &format!(
                    "{WHOLE_SUBTREE} update item set space_kind = ?, space_id = ?, owner_id = ? \
                     where item_id in (select item_id from sub)"
                ),
                root.item_id,
                target.space_kind,
                target.space_id,
                target.owner_id
            )
            .map_err(other)?;
            exec!(
                $conn,
                $builder,
                "update item set parent_id = ? where parent_id = ?",
                heir.folder.0,
                root.item_id
            )
            .map_err(other)?;
            exec!(
                $conn,
                $builder,
                "update item set folder_count = folder_count + ?, file_count = file_count + ?, \
                 modified_at = ? where item_id = ?",
                root.folder_count,
                root.file_count,
                at,
                heir.folder.0
            )
            .map_err(other)?;
            add_size_upwards!($conn, $builder, heir.folder.0, root.size);
            exec!(
                $conn,
                $builder,
                "update item set folder_count = 0, file_count = 0, size = 0 where item_id = ?",
                root.item_id
            )
            .map_err(other)?;
            let (from_refund, to_add) = (
                if from_kind == SPACE_DEPARTMENT { REFUND_DEPARTMENT } else { REFUND_USER },
                if target.space_kind == SPACE_DEPARTMENT { ADD_DEPARTMENT } else { ADD_USER },
            );
            exec!($conn, $builder, from_refund, bytes, from_id).map_err(other)?;
            exec!($conn, $builder, to_add, bytes, target.space_id).map_err(other)?;
        }
    }};
}

const ADD_USER: &str = "update user_account set space_used = space_used + ? where user_id = ?";
const ADD_DEPARTMENT: &str = "update department set space_used = space_used + ? where department_id = ?";

impl SqlRepo {
    /// `UserRepo::delete_user`; here because the hand-over is a tree write (its lock, counters
    /// and listing generations are this module's).
    pub(crate) async fn delete_user_handing_over(&self, id: UserId, heir: Option<Heir>, at: i64) -> RepoResult<()> {
        let mark = crate::repo::mark_user_deleted(id, at);
        let revoke = crate::repo::delete_tokens_where(crate::schema::OauthToken::UserId, id.0);
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            if is_postgres(&builder()) {
                // Locks in the order every other write takes them — the tree, then departments,
                // then accounts — so a deletion never deadlocks with an upload or a membership
                // change.
                let enterprise = scalar!(
                    i64,
                    &mut *tx,
                    builder,
                    "select enterprise_id from user_account where user_id = ?",
                    id.0
                )
                .map_err(|err| classify(err, None))?;
                lock_tree!(&mut *tx, builder, enterprise);
                exec!(
                    &mut *tx,
                    builder,
                    "select department_id from department where department_id in \
                     (select department_id from department_user where user_id = ?) \
                     order by department_id for update",
                    id.0
                )
                .map_err(other)?;
            }
            if let Some(heir) = heir {
                hand_over_space!(&mut *tx, builder, Space::Personal(id).to_parts(), heir, at);
            }
            let marked = crate::pool::execute!(&mut *tx, builder, mark)?;
            if marked.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            // Checked before the transaction too; the account row is now held, so a director
            // appointed meanwhile is seen here (appointments hold the director's row).
            let directed = scalar!(
                i64,
                &mut *tx,
                builder,
                "select count(*) from department where director_id = ?",
                id.0
            )
            .map_err(other)?;
            if directed > 0 {
                return Err(RepoError::Conflict(ConflictKind::DirectsDepartment));
            }
            // Out of every department and group, with their member counts.
            exec!(
                &mut *tx,
                builder,
                "update department set user_count = user_count - 1 \
                 where department_id in (select department_id from department_user where user_id = ?)",
                id.0
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "update user_group set user_count = user_count - 1 \
                 where group_id in (select group_id from group_member where user_id = ?)",
                id.0
            )
            .map_err(other)?;
            log_removed!(
                tx,
                builder,
                collabs_removed("user_deleted", "c.accessor_kind = 1 and c.accessor_id = ?"),
                &[id.0]
            );
            for statement in [
                "delete from department_user where user_id = ?",
                "delete from department_file_manager where user_id = ?",
                "delete from group_member where user_id = ?",
                "delete from collab where accessor_kind = 1 and accessor_id = ?",
                "update user_group set admin_user_id = null where admin_user_id = ?",
                "update user_account set department_count = 0 where user_id = ?",
                // The integrator's ids are free for another account.
                "delete from user_ticket where user_id = ?",
                "delete from login_ticket where user_id = ?",
                "delete from web_session where user_id = ?",
                "delete from auth_code where user_id = ?",
                "delete from user_token where user_id = ?",
            ] {
                exec!(&mut *tx, builder, statement, id.0).map_err(other)?;
            }
            crate::pool::execute!(&mut *tx, builder, revoke)?;
            crate::pool::execute!(&mut *tx, builder, crate::repo::bump_revocation_epoch())?;
            crate::pool::execute!(&mut *tx, builder, crate::repo::bump_directory_generation(id.0))?;
            commit!(tx, builder)
        })
    }

    /// `OrgRepo::delete_department`: with an heir, the department's space goes to it in the
    /// same transaction (see [`hand_over_space!`]).
    pub(crate) async fn delete_department_handing_over(
        &self,
        id: DepartmentId,
        heir: Option<Heir>,
        at: i64,
    ) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let (parent, enterprise) = fetch!(
                optional DepartmentOwnerRow,
                &mut *tx,
                builder,
                "select parent_id, enterprise_id from department where department_id = ?",
                id.0
            )
            .map_err(other)?
            .ok_or(RepoError::NotFound)?;
            // Uploads and moves into the department's space wait for (or see) the deletion.
            lock_tree!(&mut *tx, builder, enterprise);
            // After the tree lock, as uploads charging the department take them in that order.
            crate::org::hold_department!(&mut *tx, builder, id.0);
            let children = scalar!(
                i64,
                &mut *tx,
                builder,
                "select count(*) from department where parent_id = ?",
                id.0
            )
            .map_err(other)?;
            if children > 0 {
                return Err(RepoError::Conflict(ConflictKind::DepartmentHasChildren));
            }
            match heir {
                Some(heir) => hand_over_space!(&mut *tx, builder, Space::Department(id).to_parts(), heir, at),
                None => {
                    // Decided again under the lock: something may have arrived meanwhile.
                    let (kind, space) = Space::Department(id).to_parts();
                    let held = scalar!(
                        i64,
                        &mut *tx,
                        builder,
                        "select count(*) from item c join item r on c.parent_id = r.item_id \
                         where r.parent_id is null and r.space_kind = ? and r.space_id = ?",
                        kind,
                        space
                    )
                    .map_err(other)?;
                    if held > 0 {
                        return Err(RepoError::Conflict(ConflictKind::SpaceNotEmpty));
                    }
                }
            }
            exec!(
                &mut *tx,
                builder,
                "update user_account set department_count = department_count - 1 \
                 where user_id in (select user_id from department_user where department_id = ?)",
                id.0
            )
            .map_err(other)?;
            log_removed!(
                tx,
                builder,
                collabs_removed("department_deleted", "c.accessor_kind = 3 and c.accessor_id = ?"),
                &[id.0]
            );
            for statement in [
                "delete from department_user where department_id = ?",
                "delete from department_file_manager where department_id = ?",
                "delete from collab where accessor_kind = 3 and accessor_id = ?",
                "delete from department where department_id = ?",
            ] {
                exec!(&mut *tx, builder, statement, id.0).map_err(other)?;
            }
            exec!(
                &mut *tx,
                builder,
                "delete from org_ticket where kind = ? and local_id = ?",
                openpan_core::org::OrgKind::Department.code(),
                id.0
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "update department set children_count = children_count - 1 where department_id = ?",
                parent
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }
}

#[async_trait]
impl DriveRepo for SqlRepo {
    async fn find_space_root(&self, space: Space) -> RepoResult<Option<Item>> {
        let (kind, id) = space.to_parts();
        let select = format!("{ITEM_SELECT} where i.parent_id is null and i.space_kind = ? and i.space_id = ?");
        let found = on_pool!(self, read, |pool, builder| {
            fetch!(optional ItemRow, pool, builder, &select, kind, id).map_err(other)
        })?;
        found.map(Item::try_from).transpose()
    }

    async fn ensure_space_root(
        &self,
        enterprise_id: EnterpriseId,
        space: Space,
        owner: UserId,
        at: i64,
    ) -> RepoResult<Item> {
        let (kind, id) = space.to_parts();
        if let Some(root) = self.find_space_root(space).await? {
            return Ok(root);
        }
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, \
                 owner_id, created_by, modified_by, created_at, modified_at) \
                 values (?, ?, ?, ?, null, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
                enterprise_id.0,
                kind,
                id,
                true,
                ROOT_FOLDER_NAME,
                ROOT_FOLDER_NAME,
                owner.0,
                owner.0,
                owner.0,
                at,
                at
            )
            .map_err(other)?;
            Ok::<(), RepoError>(())
        })?;
        // Racing first uses both land here: one inserted, the other found it.
        self.find_space_root(space).await?.ok_or(RepoError::NotFound)
    }

    async fn find_item(&self, id: ItemId) -> RepoResult<Option<Item>> {
        let select = format!("{ITEM_SELECT} where i.item_id = ?");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional ItemRow, pool, builder, &select, id.0).map_err(other)
        })?;
        row.map(Item::try_from).transpose()
    }

    async fn list_items_by_id(&self, ids: &[ItemId]) -> RepoResult<Vec<Item>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = crate::pool::marks(ids.len());
        let select = format!("{ITEM_SELECT} where i.item_id in ({marks})");
        let rows: Vec<ItemRow> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &select);
            let mut query = sqlx::query_as(&sql);
            for id in ids {
                query = query.bind(id.0);
            }
            query.fetch_all(pool).await.map_err(other)
        })?;
        items(rows)
    }

    async fn list_space_roots(&self, visible_to: Option<UserId>) -> RepoResult<Vec<SpaceRoot>> {
        const ROOTS: &str = "select enterprise_id, space_kind, space_id, item_id, generation from item \
             where parent_id is null";
        let rows: Vec<SpaceRootRow> = match visible_to {
            None => on_pool!(self, read, |pool, builder| {
                fetch!(all SpaceRootRow, pool, builder, ROOTS).map_err(other)
            })?,
            Some(user) => {
                let select = format!(
                    "{ROOTS} and ((space_kind = 1 and space_id = ?) or (space_kind = 2 and space_id in ( \
                     select department_id from department_user where user_id = ? \
                     union select department_id from department_file_manager where user_id = ? \
                     union select department_id from department where director_id = ?)))"
                );
                on_pool!(self, read, |pool, builder| {
                    fetch!(all SpaceRootRow, pool, builder, &select, user.0, user.0, user.0, user.0).map_err(other)
                })?
            }
        };
        space_roots(rows)
    }

    async fn list_space_roots_of(&self, spaces: &[Space]) -> RepoResult<Vec<SpaceRoot>> {
        let mut rows: Vec<SpaceRootRow> = Vec::new();
        for chunk in spaces.chunks(200) {
            let pairs = vec!["(space_kind = ? and space_id = ?)"; chunk.len()].join(" or ");
            let select = format!(
                "select enterprise_id, space_kind, space_id, item_id, generation from item \
                 where parent_id is null and ({pairs})"
            );
            let found: Vec<SpaceRootRow> = on_pool!(self, read, |pool, builder| {
                let sql = dialect(&builder(), &select);
                let mut query = sqlx::query_as::<_, SpaceRootRow>(&sql);
                for space in chunk {
                    let (kind, id) = space.to_parts();
                    query = query.bind(kind).bind(id);
                }
                query.fetch_all(pool).await.map_err(other)
            })?;
            rows.extend(found);
        }
        space_roots(rows)
    }

    async fn list_index_rows(&self, space: Space, since: Option<i64>) -> RepoResult<Vec<IndexRow>> {
        let (kind, id) = space.to_parts();
        let rows: Vec<IndexRowRow> = match since {
            None => {
                let select = format!(
                    "{INDEX_ROW_SELECT} where i.space_kind = ? and i.space_id = ? \
                     and i.trash_root_id is null and i.parent_id is not null"
                );
                on_pool!(self, read, |pool, builder| {
                    fetch!(all IndexRowRow, pool, builder, &select, kind, id).map_err(other)
                })?
            }
            Some(since) => {
                let select = format!(
                    "{INDEX_ROW_SELECT} where i.space_kind = ? and i.space_id = ? \
                     and i.changed_generation >= ? and i.parent_id is not null"
                );
                on_pool!(self, read, |pool, builder| {
                    fetch!(all IndexRowRow, pool, builder, &select, kind, id, since).map_err(other)
                })?
            }
        };
        Ok(rows.into_iter().map(IndexRow::from).collect())
    }

    async fn count_live_items(&self, space: Space) -> RepoResult<i64> {
        let (kind, id) = space.to_parts();
        on_pool!(self, read, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "select count(*) from item where space_kind = ? and space_id = ? \
                 and trash_root_id is null and parent_id is not null",
                kind,
                id
            )
            .map_err(other)
        })
    }

    async fn list_live_item_ids(&self, space: Space) -> RepoResult<Vec<ItemId>> {
        let (kind, id) = space.to_parts();
        let ids: Vec<i64> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select item_id from item where space_kind = ? and space_id = ? \
                 and trash_root_id is null and parent_id is not null",
            );
            sqlx::query_scalar(&sql)
                .bind(kind)
                .bind(id)
                .fetch_all(pool)
                .await
                .map_err(other)
        })?;
        Ok(ids.into_iter().map(ItemId).collect())
    }

    async fn list_index_rows_below(&self, folder: ItemId) -> RepoResult<Vec<IndexRow>> {
        let select = format!("{LIVE_SUBTREE} {INDEX_ROW_SELECT} join sub s on s.item_id = i.item_id where s.depth > 0");
        let rows: Vec<IndexRowRow> = on_pool!(self, read, |pool, builder| {
            fetch!(all IndexRowRow, pool, builder, &select, folder.0).map_err(other)
        })?;
        Ok(rows.into_iter().map(IndexRow::from).collect())
    }

    async fn list_ancestors_of(&self, ids: &[ItemId]) -> RepoResult<HashMap<ItemId, Vec<PathEntry>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let marks = crate::pool::marks(ids.len());
        let select = format!(
            "with recursive chain(start_id, item_id, parent_id, name, depth) as ( \
             select item_id, item_id, parent_id, name, 0 from item where item_id in ({marks}) \
             union all select c.start_id, p.item_id, p.parent_id, p.name, c.depth + 1 \
             from item p join chain c on p.item_id = c.parent_id where c.depth < 4096) \
             select start_id, item_id, parent_id, name from chain where depth > 0 order by start_id, depth desc"
        );
        let rows: Vec<StartedAncestorRow> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &select);
            let mut query = sqlx::query_as(&sql);
            for id in ids {
                query = query.bind(id.0);
            }
            query.fetch_all(pool).await.map_err(other)
        })?;
        let mut paths: HashMap<ItemId, Vec<PathEntry>> = HashMap::new();
        for row in rows {
            paths.entry(ItemId(row.start_id)).or_default().push(PathEntry {
                id: ItemId(row.item_id),
                name: row.name,
                is_root: row.parent_id.is_none(),
            });
        }
        Ok(paths)
    }

    async fn list_ancestors(&self, id: ItemId) -> RepoResult<Vec<PathEntry>> {
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all AncestorRow, pool, builder, ANCESTORS, id.0).map_err(other)
        })?;
        Ok(rows
            .into_iter()
            .map(|row| PathEntry {
                id: ItemId(row.item_id),
                name: row.name,
                is_root: row.parent_id.is_none(),
            })
            .collect())
    }

    async fn listing_stamp(&self, folder: ItemId) -> RepoResult<(ItemId, i64, i64)> {
        let stamp = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional StampRow,
                pool,
                builder,
                "select r.item_id, r.generation, e.directory_generation from item f \
                 join item r on r.parent_id is null and r.space_kind = f.space_kind and r.space_id = f.space_id \
                 join enterprise e on e.enterprise_id = f.enterprise_id where f.item_id = ?",
                folder.0
            )
            .map_err(other)?
            .ok_or(RepoError::NotFound)
        })?;
        Ok((ItemId(stamp.0), stamp.1, stamp.2))
    }

    async fn find_live_child(&self, parent: ItemId, name_key: &str) -> RepoResult<Option<Item>> {
        let select = format!("{ITEM_SELECT} where i.parent_id = ? and i.name_key = ? and i.trash_root_id is null");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional ItemRow, pool, builder, &select, parent.0, name_key).map_err(other)
        })?;
        row.map(Item::try_from).transpose()
    }

    async fn list_live_child_keys_with_prefix(&self, parent: ItemId, prefix: &str) -> RepoResult<Vec<String>> {
        let pattern = prefix_pattern(prefix);
        on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select name_key from item where parent_id = ? and trash_root_id is null \
                 and name_key like ? escape '\\'",
            );
            sqlx::query_scalar::<_, String>(&sql)
                .bind(parent.0)
                .bind(&pattern)
                .fetch_all(pool)
                .await
                .map_err(other)
        })
    }

    async fn list_children(
        &self,
        parent: &Item,
        filter: KindFilter,
        sort: Sort,
        page: Page,
        after: Option<&Marker>,
    ) -> RepoResult<Vec<Item>> {
        let order = order_sql(sort, "i.size", "i.modified_at");
        let limit = page.capacity;
        // Folders come first: a page may hold the end of the folders and the start of the files.
        // Each kind is one index range scan: by offset, or from the marker on.
        let (folder_window, file_window) = match after {
            Some(marker) => {
                let start = Window::After(marker);
                match (marker.is_folder, filter) {
                    (true, KindFilter::All) => (Some(start), Some(Window::Offset(0))),
                    (true, KindFilter::Folders) => (Some(start), None),
                    (false, KindFilter::All | KindFilter::Files) => (None, Some(start)),
                    _ => (None, None),
                }
            }
            None => {
                let offset = page.offset();
                match filter {
                    KindFilter::Folders => (Some(Window::Offset(offset)), None),
                    KindFilter::Files => (None, Some(Window::Offset(offset))),
                    KindFilter::All => {
                        let folders = parent.folder_count;
                        if offset.saturating_add(limit) <= folders {
                            (Some(Window::Offset(offset)), None)
                        } else if offset >= folders {
                            (None, Some(Window::Offset(offset - folders)))
                        } else {
                            (Some(Window::Offset(offset)), Some(Window::Offset(0)))
                        }
                    }
                }
            }
        };
        let mut out: Vec<Item> = Vec::new();
        for (is_folder, window) in [(true, folder_window), (false, file_window)] {
            let Some(window) = window else { continue };
            let want = limit - out.len() as i64;
            if want <= 0 {
                break;
            }
            let (condition, mut binds) = match window {
                Window::Offset(_) => (String::new(), Vec::new()),
                Window::After(marker) => {
                    let column = match sort.by {
                        SortKey::Name => "i.name_key",
                        SortKey::Date => "i.modified_at",
                        SortKey::Size => "i.size",
                    };
                    let comparison = if sort.descending { "<" } else { ">" };
                    let key = match &marker.key {
                        MarkerKey::Text(text) => Bind::Text(text.clone()),
                        MarkerKey::Number(number) => Bind::Int(*number),
                    };
                    (
                        format!("and ({column}, i.item_id) {comparison} (?, ?)"),
                        vec![key, Bind::Int(marker.id.0)],
                    )
                }
            };
            let offset = match window {
                Window::Offset(offset) => offset,
                Window::After(_) => 0,
            };
            let select = format!(
                "{ITEM_SELECT} where i.parent_id = ? and i.is_folder = ? and i.trash_root_id is null {condition} \
                 {order} limit ? offset ?"
            );
            let mut all_binds = vec![Bind::Int(parent.id.0), Bind::Bool(is_folder)];
            all_binds.append(&mut binds);
            all_binds.extend([Bind::Int(want), Bind::Int(offset)]);
            let rows = self.fetch_item_rows(&select, all_binds).await?;
            out.extend(items(rows)?);
        }
        Ok(out)
    }

    async fn create_folder(&self, new: NewFolder) -> RepoResult<Item> {
        let id = on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let parent = locked_node!(&mut *tx, builder, new.parent_id.0);
            let bumped = exec!(
                &mut *tx,
                builder,
                &bump_parent_sql(true, 1),
                new.at,
                new.parent_id.0,
                true
            )
            .map_err(other)?;
            if bumped.rows_affected() == 0 {
                return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
            }
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, \
                 description, owner_id, created_by, modified_by, created_at, modified_at) \
                 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning item_id",
                parent.enterprise_id,
                parent.space_kind,
                parent.space_id,
                true,
                new.parent_id.0,
                &new.name,
                &new.name_key,
                &new.description,
                parent.owner_id,
                new.by.0,
                new.by.0,
                new.at,
                new.at
            )
            .map_err(name_conflict)?;
            commit!(tx, builder, Some(id))?;
            Ok::<i64, RepoError>(id)
        })?;
        self.find_item(ItemId(id)).await?.ok_or(RepoError::NotFound)
    }

    async fn update_item(
        &self,
        id: ItemId,
        name: Option<(String, String)>,
        description: Option<String>,
        by: UserId,
        at: i64,
    ) -> RepoResult<Item> {
        let (name, name_key) = name.unzip();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            locked_node!(&mut *tx, builder, id.0);
            exec!(
                &mut *tx,
                builder,
                "update item set name = coalesce(?, name), name_key = coalesce(?, name_key), \
                 description = coalesce(?, description), modified_by = ?, modified_at = ?, \
                 sequence_id = sequence_id + 1 where item_id = ?",
                &name,
                &name_key,
                &description,
                by.0,
                at,
                id.0
            )
            .map_err(name_conflict)?;
            commit!(tx, builder)?;
            Ok::<(), RepoError>(())
        })?;
        self.find_item(id).await?.ok_or(RepoError::NotFound)
    }

    async fn move_item(
        &self,
        id: ItemId,
        target: ItemId,
        rename: Option<(String, String)>,
        by: UserId,
        at: i64,
    ) -> RepoResult<()> {
        let (name, name_key) = rename.unzip();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let node = locked_node!(&mut *tx, builder, id.0);
            let Some(old_parent) = node.parent_id.filter(|_| node.trash_root_id.is_none()) else {
                return Err(RepoError::NotFound);
            };
            // Checked again under the lock: the target must not lie below the moved item.
            let above_target = fetch!(all AncestorRow, &mut *tx, builder, ANCESTORS, target.0).map_err(other)?;
            if target == id || above_target.iter().any(|row| row.item_id == id.0) {
                return Err(RepoError::Conflict(ConflictKind::MoveIntoDescendant));
            }
            // Into another space (personal ↔ department): the subtree, trash included, moves
            // there, and so do the bytes it is charged for.
            let target_node = fetch!(optional Node, &mut *tx, builder, NODE_SELECT, target.0)
                .map_err(other)?
                .ok_or(RepoError::NotFound)?;
            if (target_node.space_kind, target_node.space_id) != (node.space_kind, node.space_id) {
                touch_space!(&mut *tx, builder, &target_node);
                let bytes = scalar!(
                    i64,
                    &mut *tx,
                    builder,
                    &format!(
                        "{SUBTREE} select coalesce(cast(sum(v.size) as bigint), 0) from file_version v \
                         where v.file_id in (select item_id from sub)"
                    ),
                    id.0
                )
                .map_err(other)?;
                exec!(
                    &mut *tx,
                    builder,
                    &format!(
                        "{SUBTREE} update item set space_kind = ?, space_id = ?, owner_id = ? \
                         where item_id in (select item_id from sub)"
                    ),
                    id.0,
                    target_node.space_kind,
                    target_node.space_id,
                    target_node.owner_id
                )
                .map_err(other)?;
                charge!(
                    &mut *tx,
                    builder,
                    (node.space_kind, node.space_id),
                    node.enterprise_id,
                    -bytes
                );
                charge!(
                    &mut *tx,
                    builder,
                    (target_node.space_kind, target_node.space_id),
                    target_node.enterprise_id,
                    bytes
                );
            }
            exec!(
                &mut *tx,
                builder,
                "update item set parent_id = ?, name = coalesce(?, name), name_key = coalesce(?, name_key), \
                 modified_by = ?, modified_at = ?, sequence_id = sequence_id + 1 where item_id = ?",
                target.0,
                &name,
                &name_key,
                by.0,
                at,
                id.0
            )
            .map_err(name_conflict)?;
            exec!(
                &mut *tx,
                builder,
                &bump_parent_sql(node.is_folder, -1),
                at,
                old_parent,
                true
            )
            .map_err(other)?;
            add_size_upwards!(&mut *tx, builder, old_parent, -node.size);
            let bumped = exec!(
                &mut *tx,
                builder,
                &bump_parent_sql(node.is_folder, 1),
                at,
                target.0,
                true
            )
            .map_err(other)?;
            if bumped.rows_affected() == 0 {
                return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
            }
            add_size_upwards!(&mut *tx, builder, target.0, node.size);
            commit!(tx, builder)?;
            Ok(())
        })
    }

    async fn copy_item(
        &self,
        id: ItemId,
        target: ItemId,
        name: (String, String),
        by: UserId,
        at: i64,
    ) -> RepoResult<ItemId> {
        let subtree = format!(
            "{LIVE_SUBTREE} select i.item_id, i.parent_id, i.is_folder, i.name, i.name_key, i.description, i.size, \
             i.folder_count, i.file_count, v.blob_id, v.name as version_name, v.size as version_size, \
             v.sha1 as version_sha1 from sub join item i on i.item_id = sub.item_id \
             left join file_version v on v.version_id = i.current_version_id order by sub.depth, i.item_id"
        );
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // Read under the lock: a move in between could put it in another space.
            let target_node = locked_node!(&mut *tx, builder, target.0);
            let rows = fetch!(all CopyRow, &mut *tx, builder, &subtree, id.0).map_err(other)?;
            let Some(root) = rows.first() else {
                return Err(RepoError::NotFound);
            };
            let root_is_folder = root.is_folder;
            let bumped = exec!(
                &mut *tx,
                builder,
                &bump_parent_sql(root_is_folder, 1),
                at,
                target.0,
                true
            )
            .map_err(other)?;
            if bumped.rows_affected() == 0 {
                return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
            }
            let total: i64 = rows.iter().filter(|row| !row.is_folder).map(|row| row.size).sum();
            charge!(
                &mut *tx,
                builder,
                (target_node.space_kind, target_node.space_id),
                target_node.enterprise_id,
                total
            );
            let mut new_ids: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
            let mut blob_refs: HashMap<i64, i64> = HashMap::new();
            for (index, row) in rows.iter().enumerate() {
                let (parent, item_name, item_key) = if index == 0 {
                    (target.0, name.0.as_str(), name.1.as_str())
                } else {
                    let parent = row
                        .parent_id
                        .and_then(|old| new_ids.get(&old).copied())
                        .ok_or_else(|| {
                            RepoError::Other(
                                format!("copy of item {} met a child before its parent", row.item_id).into(),
                            )
                        })?;
                    (parent, row.name.as_str(), row.name_key.as_str())
                };
                let new_id = scalar!(
                    i64,
                    &mut *tx,
                    builder,
                    "insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, \
                     description, size, folder_count, file_count, owner_id, created_by, modified_by, created_at, \
                     modified_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning item_id",
                    target_node.enterprise_id,
                    target_node.space_kind,
                    target_node.space_id,
                    row.is_folder,
                    parent,
                    item_name,
                    item_key,
                    &row.description,
                    row.size,
                    row.folder_count,
                    row.file_count,
                    target_node.owner_id,
                    by.0,
                    by.0,
                    at,
                    at
                )
                .map_err(name_conflict)?;
                new_ids.insert(row.item_id, new_id);
                if let (Some(blob_id), Some(version_size), Some(version_sha1)) =
                    (row.blob_id, row.version_size, row.version_sha1.as_deref())
                {
                    let version_name = row.version_name.as_deref().unwrap_or(item_name);
                    let version_id = scalar!(
                        i64,
                        &mut *tx,
                        builder,
                        "insert into file_version (file_id, blob_id, name, size, sha1, created_by, created_at) \
                         values (?, ?, ?, ?, ?, ?, ?) returning version_id",
                        new_id,
                        blob_id,
                        version_name,
                        version_size,
                        version_sha1,
                        by.0,
                        at
                    )
                    .map_err(other)?;
                    exec!(
                        &mut *tx,
                        builder,
                        "update item set current_version_id = ? where item_id = ?",
                        version_id,
                        new_id
                    )
                    .map_err(other)?;
                    *blob_refs.entry(blob_id).or_default() += 1;
                }
            }
            for (blob_id, count) in blob_refs {
                exec!(
                    &mut *tx,
                    builder,
                    "update content_blob set ref_count = ref_count + ?, unreferenced_at = null where blob_id = ?",
                    count,
                    blob_id
                )
                .map_err(other)?;
            }
            add_size_upwards!(&mut *tx, builder, target.0, total);
            commit!(tx, builder, new_ids.get(&id.0).copied())?;
            new_ids
                .get(&id.0)
                .map(|new_id| ItemId(*new_id))
                .ok_or(RepoError::NotFound)
        })
    }

    async fn trash_item(&self, id: ItemId, by: UserId, at: i64) -> RepoResult<()> {
        let trash = format!(
            "{LIVE_SUBTREE} update item set trash_root_id = ?, trashed_at = ?, trashed_by = ? \
             where item_id in (select item_id from sub)"
        );
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let node = locked_node!(&mut *tx, builder, id.0);
            let Some(parent) = node.parent_id.filter(|_| node.trash_root_id.is_none()) else {
                return Err(RepoError::NotFound);
            };
            exec!(&mut *tx, builder, &trash, id.0, id.0, at, by.0).map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                &bump_parent_sql(node.is_folder, -1),
                at,
                parent,
                true
            )
            .map_err(other)?;
            add_size_upwards!(&mut *tx, builder, parent, -node.size);
            commit!(tx, builder)?;
            Ok(())
        })
    }

    async fn restore_item(&self, id: ItemId, rename: Option<(String, String)>, at: i64) -> RepoResult<()> {
        let (name, name_key) = rename.unzip();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let node = locked_node!(&mut *tx, builder, id.0);
            let Some(parent) = node.parent_id.filter(|_| node.trash_root_id == Some(id.0)) else {
                return Err(RepoError::NotFound);
            };
            let bumped =
                exec!(&mut *tx, builder, &bump_parent_sql(node.is_folder, 1), at, parent, true).map_err(other)?;
            if bumped.rows_affected() == 0 {
                return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
            }
            exec!(
                &mut *tx,
                builder,
                "update item set name = coalesce(?, name), name_key = coalesce(?, name_key) where item_id = ?",
                &name,
                &name_key,
                id.0
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "update item set trash_root_id = null, trashed_at = null, trashed_by = null where trash_root_id = ?",
                id.0
            )
            .map_err(name_conflict)?;
            add_size_upwards!(&mut *tx, builder, parent, node.size);
            commit!(tx, builder)?;
            Ok(())
        })
    }

    async fn purge_item(&self, id: ItemId, at: i64) -> RepoResult<u64> {
        let all_below = "with recursive sub(item_id, depth) as ( \
             select item_id, 0 from item where item_id = ? \
             union all select c.item_id, s.depth + 1 from item c join sub s on c.parent_id = s.item_id \
             where s.depth < 4096) select item_id from sub order by depth, item_id";
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let node = locked_node!(&mut *tx, builder, id.0);
            let Some(trash_root) = node.trash_root_id else {
                return Err(RepoError::NotFound);
            };
            if trash_root != id.0
                && let Some(parent) = node.parent_id
            {
                // Taken along by a trashed folder above: that folder's counters and sizes
                // include this item, and must stop doing so.
                let column = counter(node.is_folder);
                exec!(
                    &mut *tx,
                    builder,
                    &format!("update item set {column} = {column} - 1 where item_id = ?"),
                    parent
                )
                .map_err(other)?;
                let chain = fetch!(all AncestorRow, &mut *tx, builder, ANCESTORS, id.0).map_err(other)?;
                for row in chain {
                    exec!(
                        &mut *tx,
                        builder,
                        "update item set size = size - ? where item_id = ? and trash_root_id = ?",
                        node.size,
                        row.item_id,
                        trash_root
                    )
                    .map_err(other)?;
                }
            }
            let sql = dialect(&builder(), all_below);
            let ids: Vec<i64> = sqlx::query_scalar(&sql)
                .bind(id.0)
                .fetch_all(&mut *tx)
                .await
                .map_err(other)?;
            for chunk in ids.chunks(500) {
                let marks = crate::pool::marks(chunk.len());
                // Release every version's blob and give the space back to the owners.
                let select = format!(
                    "select v.blob_id, i.space_kind, i.space_id, i.enterprise_id, count(*) as n, \
                     cast(sum(v.size) as bigint) as bytes \
                     from file_version v join item i on i.item_id = v.file_id \
                     where v.file_id in ({marks}) group by v.blob_id, i.space_kind, i.space_id, i.enterprise_id"
                );
                let sql = dialect(&builder(), &select);
                let mut query = sqlx::query_as::<_, (i64, i16, i64, i64, i64, i64)>(&sql);
                for item_id in chunk {
                    query = query.bind(*item_id);
                }
                let releases = query.fetch_all(&mut *tx).await.map_err(other)?;
                let mut refunds: HashMap<((i16, i64), i64), i64> = HashMap::new();
                for (blob_id, space_kind, space_id, enterprise, count, bytes) in releases {
                    exec!(
                        &mut *tx,
                        builder,
                        "update content_blob set ref_count = ref_count - ?, \
                         unreferenced_at = case when ref_count - ? <= 0 then ? else unreferenced_at end \
                         where blob_id = ?",
                        count,
                        count,
                        at,
                        blob_id
                    )
                    .map_err(other)?;
                    *refunds.entry(((space_kind, space_id), enterprise)).or_default() += bytes;
                }
                for ((space, enterprise), bytes) in refunds {
                    charge!(&mut *tx, builder, space, enterprise, -bytes);
                }
                for statement in [
                    format!("delete from file_version where file_id in ({marks})"),
                    format!("update item set current_version_id = null where item_id in ({marks})"),
                ] {
                    let sql = dialect(&builder(), &statement);
                    let mut query = sqlx::query(&sql);
                    for item_id in chunk {
                        query = query.bind(*item_id);
                    }
                    query.execute(&mut *tx).await.map_err(other)?;
                }
            }
            // Children before parents, so no row ever points at a deleted parent; invitations,
            // links, comments and tags of an item go with it (reviews keep naming it).
            for chunk in ids.rchunks(500) {
                let marks = crate::pool::marks(chunk.len());
                log_removed!(
                    tx,
                    builder,
                    collabs_removed("folder_purged", &format!("c.folder_id in ({marks})")),
                    chunk
                );
                log_removed!(
                    tx,
                    builder,
                    format!(
                        "select s.enterprise_id, 'share_link.revoked', s.share_link_id, \
                         case when i.is_folder then 2 else 1 end, s.item_id, ?, ?, '{{\"reason\":\"item_purged\"}}', ?, \
                         i.space_kind, i.space_id from share_link s join item i on i.item_id = s.item_id \
                         where s.item_id in ({marks}) and s.revoked_at is null"
                    ),
                    chunk
                );
                log_removed!(
                    tx,
                    builder,
                    format!(
                        "select m.enterprise_id, 'comment.deleted', m.comment_id, 1, m.item_id, ?, ?, \
                         '{{\"reason\":\"file_purged\"}}', ?, i.space_kind, i.space_id \
                         from comment m join item i on i.item_id = m.item_id where m.item_id in ({marks})"
                    ),
                    chunk
                );
                for statement in [
                    format!("delete from collab where folder_id in ({marks})"),
                    format!("delete from share_link where item_id in ({marks})"),
                    format!(
                        "delete from comment_mention where comment_id in \
                         (select comment_id from comment where item_id in ({marks}))"
                    ),
                    format!("delete from comment where item_id in ({marks})"),
                    format!("delete from item_tag where item_id in ({marks})"),
                    format!("delete from item where item_id in ({marks})"),
                ] {
                    let sql = dialect(&builder(), &statement);
                    let mut query = sqlx::query(&sql);
                    for item_id in chunk {
                        query = query.bind(*item_id);
                    }
                    query.execute(&mut *tx).await.map_err(other)?;
                }
            }
            commit!(tx, builder)?;
            Ok(ids.len() as u64)
        })
    }

    async fn list_trash(
        &self,
        space: Space,
        filter: KindFilter,
        sort: Sort,
        page: Page,
    ) -> RepoResult<(Vec<Item>, i64)> {
        let (kind, id) = space.to_parts();
        let kinds = kind_condition(filter);
        let order = order_sql(sort, "i.size", "i.trashed_at");
        let select = format!(
            "{ITEM_SELECT} where i.space_kind = ? and i.space_id = ? and i.trash_root_id = i.item_id {kinds} \
             {order} limit ? offset ?"
        );
        let count = format!(
            "select count(*) from item i where i.space_kind = ? and i.space_id = ? and i.trash_root_id = i.item_id {kinds}"
        );
        let (rows, total) = on_pool!(self, read, |pool, builder| {
            let rows =
                fetch!(all ItemRow, pool, builder, &select, kind, id, page.capacity, page.offset()).map_err(other)?;
            let total = scalar!(i64, pool, builder, &count, kind, id).map_err(other)?;
            Ok::<_, RepoError>((rows, total))
        })?;
        Ok((items(rows)?, total))
    }

    async fn list_trash_roots(&self, space: Space, filter: KindFilter) -> RepoResult<Vec<Item>> {
        let (kind, id) = space.to_parts();
        let kinds = kind_condition(filter);
        let select = format!(
            "{ITEM_SELECT} where i.space_kind = ? and i.space_id = ? and i.trash_root_id = i.item_id {kinds} \
             order by i.item_id"
        );
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all ItemRow, pool, builder, &select, kind, id).map_err(other)
        })?;
        items(rows)
    }

    async fn list_live_subtree(&self, id: ItemId) -> RepoResult<Vec<(Item, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            item: ItemRow,
            storage_key: Option<String>,
        }
        let select = format!(
            "{LIVE_SUBTREE} select i.item_id, i.enterprise_id, i.space_kind, i.space_id, i.is_folder, i.parent_id, \
             i.name, i.description, i.size, i.folder_count, i.file_count, i.owner_id, i.created_by, i.modified_by, \
             i.created_at, i.modified_at, i.sequence_id, i.current_version_id, v.sha1, i.trash_root_id, \
             i.trashed_at, i.trashed_by, i.comment_count, b.storage_key from sub join item i on i.item_id = sub.item_id \
             left join file_version v on v.version_id = i.current_version_id \
             left join content_blob b on b.blob_id = v.blob_id \
             where i.trash_root_id is null order by sub.depth, i.item_id"
        );
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all Row, pool, builder, &select, id.0).map_err(other)
        })?;
        rows.into_iter()
            .map(|row| Ok((Item::try_from(row.item)?, row.storage_key)))
            .collect()
    }

    async fn list_versions(&self, file: ItemId) -> RepoResult<Vec<FileVersion>> {
        let select = format!("{VERSION_SELECT} where v.file_id = ? order by v.version_id desc");
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all VersionRow, pool, builder, &select, file.0).map_err(other)
        })?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn find_version(&self, id: VersionId) -> RepoResult<Option<FileVersion>> {
        let select = format!("{VERSION_SELECT} where v.version_id = ?");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional VersionRow, pool, builder, &select, id.0).map_err(other)
        })?;
        Ok(row.map(Into::into))
    }

    async fn commit_content(&self, content: NewContent) -> RepoResult<CommittedContent> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let (anchor_id, is_new_file) = match content.target {
                ContentTarget::Folder(folder) => (folder.0, true),
                ContentTarget::File(file) => (file.0, false),
            };
            let anchor = locked_node!(&mut *tx, builder, anchor_id);
            if anchor.is_folder != is_new_file {
                return Err(RepoError::NotFound);
            }
            if anchor.trash_root_id.is_some() {
                return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
            }
            charge!(
                &mut *tx,
                builder,
                (anchor.space_kind, anchor.space_id),
                anchor.enterprise_id,
                content.size
            );
            let (blob_id, stored_key): (i64, String) = {
                let sql = dialect(
                    &builder(),
                    "insert into content_blob (sha256, sha1, size, storage_key, ref_count, created_at) \
                     values (?, ?, ?, ?, 1, ?) on conflict (sha256) do update \
                     set ref_count = content_blob.ref_count + 1, unreferenced_at = null \
                     returning blob_id, storage_key",
                );
                sqlx::query_as(&sql)
                    .bind(content.sha256.as_slice())
                    .bind(&content.sha1)
                    .bind(content.size)
                    .bind(&content.storage_key)
                    .bind(content.at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(other)?
            };
            let (file_id, parent, delta) = if is_new_file {
                let bumped = exec!(
                    &mut *tx,
                    builder,
                    &bump_parent_sql(false, 1),
                    content.at,
                    anchor_id,
                    true
                )
                .map_err(other)?;
                if bumped.rows_affected() == 0 {
                    return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
                }
                let file_id = scalar!(
                    i64,
                    &mut *tx,
                    builder,
                    "insert into item (enterprise_id, space_kind, space_id, is_folder, parent_id, name, name_key, \
                     size, owner_id, created_by, modified_by, created_at, modified_at) \
                     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning item_id",
                    anchor.enterprise_id,
                    anchor.space_kind,
                    anchor.space_id,
                    false,
                    anchor_id,
                    &content.name,
                    &content.name_key,
                    content.size,
                    anchor.owner_id,
                    content.by.0,
                    content.by.0,
                    content.at,
                    content.at
                )
                .map_err(name_conflict)?;
                (file_id, anchor_id, content.size)
            } else {
                let parent = anchor.parent_id.ok_or(RepoError::NotFound)?;
                (anchor_id, parent, content.size - anchor.size)
            };
            let version_id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into file_version (file_id, blob_id, name, size, sha1, remark, created_by, created_at) \
                 values (?, ?, ?, ?, ?, ?, ?, ?) returning version_id",
                file_id,
                blob_id,
                &content.name,
                content.size,
                &content.sha1,
                &content.remark,
                content.by.0,
                content.at
            )
            .map_err(other)?;
            let updated = exec!(
                &mut *tx,
                builder,
                "update item set current_version_id = ?, size = ?, modified_by = ?, modified_at = ?, \
                 sequence_id = sequence_id + ? where item_id = ? and trash_root_id is null",
                version_id,
                content.size,
                content.by.0,
                content.at,
                if is_new_file { 0i64 } else { 1i64 },
                file_id
            )
            .map_err(other)?;
            if updated.rows_affected() == 0 {
                return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
            }
            add_size_upwards!(&mut *tx, builder, parent, delta);
            if let Some(upload_id) = &content.upload_id {
                let marked = exec!(
                    &mut *tx,
                    builder,
                    "update upload_session set state = 2 where upload_id = ? and state = 1",
                    upload_id
                )
                .map_err(other)?;
                if marked.rows_affected() == 0 {
                    return Err(RepoError::Other("the upload URL was not being received".into()));
                }
            }
            commit!(tx, builder, Some(file_id))?;
            Ok(CommittedContent {
                file_id: ItemId(file_id),
                duplicate_storage: stored_key != content.storage_key,
            })
        })
    }

    async fn promote_version(&self, file: ItemId, version: VersionId, by: UserId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let node = locked_node!(&mut *tx, builder, file.0);
            if node.trash_root_id.is_some() {
                return Err(RepoError::Conflict(ConflictKind::TargetInTrash));
            }
            let parent = node.parent_id.ok_or(RepoError::NotFound)?;
            let (blob_id, name, size, sha1): (i64, String, i64, String) = {
                let sql = dialect(
                    &builder(),
                    "select blob_id, name, size, sha1 from file_version where version_id = ? and file_id = ?",
                );
                sqlx::query_as(&sql)
                    .bind(version.0)
                    .bind(file.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(other)?
                    .ok_or(RepoError::NotFound)?
            };
            charge!(
                &mut *tx,
                builder,
                (node.space_kind, node.space_id),
                node.enterprise_id,
                size
            );
            let version_id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into file_version (file_id, blob_id, name, size, sha1, created_by, created_at) \
                 values (?, ?, ?, ?, ?, ?, ?) returning version_id",
                file.0,
                blob_id,
                &name,
                size,
                &sha1,
                by.0,
                at
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "update content_blob set ref_count = ref_count + 1, unreferenced_at = null where blob_id = ?",
                blob_id
            )
            .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "update item set current_version_id = ?, size = ?, modified_by = ?, modified_at = ?, \
                 sequence_id = sequence_id + 1 where item_id = ?",
                version_id,
                size,
                by.0,
                at,
                file.0
            )
            .map_err(other)?;
            add_size_upwards!(&mut *tx, builder, parent, size - node.size);
            commit!(tx, builder)?;
            Ok(())
        })
    }

    async fn delete_version(&self, file: ItemId, version: VersionId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let node = locked_node!(&mut *tx, builder, file.0);
            if node.current_version_id == Some(version.0) {
                return Err(RepoError::Other("the current version cannot be deleted".into()));
            }
            let (blob_id, size): (i64, i64) = {
                let sql = dialect(
                    &builder(),
                    "delete from file_version where version_id = ? and file_id = ? returning blob_id, size",
                );
                sqlx::query_as(&sql)
                    .bind(version.0)
                    .bind(file.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(other)?
                    .ok_or(RepoError::NotFound)?
            };
            exec!(
                &mut *tx,
                builder,
                "update content_blob set ref_count = ref_count - 1, \
                 unreferenced_at = case when ref_count - 1 <= 0 then ? else unreferenced_at end where blob_id = ?",
                at,
                blob_id
            )
            .map_err(other)?;
            charge!(
                &mut *tx,
                builder,
                (node.space_kind, node.space_id),
                node.enterprise_id,
                -size
            );
            commit!(tx, builder)?;
            Ok(())
        })
    }

    async fn create_upload_session(&self, session: UploadSession) -> RepoResult<()> {
        let (folder_id, file_id) = match session.target {
            ContentTarget::Folder(id) => (Some(id.0), None),
            ContentTarget::File(id) => (None, Some(id.0)),
        };
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into upload_session (upload_id, secret_hash, enterprise_id, user_id, folder_id, file_id, \
                 name, remark, declared_size, part_size, expected_sha1, state, expires_at, created_at) \
                 values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                &session.upload_id,
                &session.secret_hash,
                session.enterprise_id.0,
                session.user_id.0,
                folder_id,
                file_id,
                &session.name,
                &session.remark,
                session.declared_size,
                session.part_size,
                &session.expected_sha1,
                session.expires_at,
                session.created_at
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn find_upload_session(&self, upload_id: &str) -> RepoResult<Option<UploadSession>> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional SessionRow,
                pool,
                builder,
                "select upload_id, secret_hash, enterprise_id, user_id, folder_id, file_id, name, remark, \
                 declared_size, part_size, expected_sha1, state, expires_at, created_at from upload_session \
                 where upload_id = ?",
                upload_id
            )
            .map_err(other)
        })?;
        let Some(row) = row else { return Ok(None) };
        let target = match (row.folder_id, row.file_id) {
            (Some(folder), None) => ContentTarget::Folder(ItemId(folder)),
            (None, Some(file)) => ContentTarget::File(ItemId(file)),
            _ => return Err(RepoError::Other("upload session without exactly one target".into())),
        };
        Ok(Some(UploadSession {
            upload_id: row.upload_id,
            secret_hash: row.secret_hash,
            enterprise_id: EnterpriseId(row.enterprise_id),
            user_id: UserId(row.user_id),
            target,
            name: row.name,
            remark: row.remark,
            declared_size: row.declared_size,
            part_size: row.part_size,
            expected_sha1: row.expected_sha1,
            committed: row.state == 2,
            expires_at: row.expires_at,
            created_at: row.created_at,
        }))
    }

    async fn claim_upload_session(&self, upload_id: &str, storage_key: &str, now: i64) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(
                pool,
                builder,
                "update upload_session set state = 1, storage_key = ? \
                 where upload_id = ? and state = 0 and expires_at > ?",
                storage_key,
                upload_id,
                now
            )
            .map_err(other)?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn release_upload_session(&self, upload_id: &str) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update upload_session set state = 0 where upload_id = ? and state = 1",
                upload_id
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn purge_upload_sessions(&self, before: i64) -> RepoResult<Vec<String>> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // Sessions before their parts, in one order: the order a part's PUT takes them.
            if is_postgres(&builder()) {
                exec!(
                    &mut *tx,
                    builder,
                    "select upload_id from upload_session where expires_at < ? order by upload_id for update",
                    before
                )
                .map_err(other)?;
            }
            let sql = dialect(
                &builder(),
                "select storage_key from upload_session \
                 where expires_at < ? and state <> 2 and storage_key is not null",
            );
            let mut keys: Vec<String> = sqlx::query_scalar(&sql)
                .bind(before)
                .fetch_all(&mut *tx)
                .await
                .map_err(other)?;
            // The parts of resumable sessions too, committed or not (a crash can come between a
            // commit and the deletion of its parts).
            let sql = dialect(
                &builder(),
                "delete from upload_part where upload_id in \
                 (select upload_id from upload_session where expires_at < ?) returning storage_key",
            );
            let parts: Vec<String> = sqlx::query_scalar(&sql)
                .bind(before)
                .fetch_all(&mut *tx)
                .await
                .map_err(other)?;
            keys.extend(parts);
            exec!(
                &mut *tx,
                builder,
                "delete from upload_session where expires_at < ?",
                before
            )
            .map_err(other)?;
            commit!(tx, builder)?;
            Ok(keys)
        })
    }

    async fn record_use(&self, user: UserId, item: ItemId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into item_use (user_id, item_id, used_at, use_count) values (?, ?, ?, 1) \
                 on conflict (user_id, item_id) do update \
                 set used_at = excluded.used_at, use_count = item_use.use_count + 1",
                user.0,
                item.0,
                at
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn set_pinned(&self, user: UserId, item: ItemId, pinned: bool, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // Listings show the caller's marks (`is_frequently_used`).
            locked_node!(&mut *tx, builder, item.0);
            exec!(
                &mut *tx,
                builder,
                "insert into item_use (user_id, item_id, used_at, use_count, pinned) values (?, ?, ?, 0, ?) \
                 on conflict (user_id, item_id) do update set pinned = excluded.pinned",
                user.0,
                item.0,
                at,
                pinned
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }

    async fn list_recent(&self, user: UserId, limit: i64) -> RepoResult<Vec<Item>> {
        let select = format!(
            "{ITEM_SELECT} join item_use u on u.item_id = i.item_id \
             where u.user_id = ? and u.use_count > 0 and i.is_folder = false and i.trash_root_id is null \
             and {WORKS_IN} order by u.used_at desc, i.item_id desc limit ?"
        );
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(all ItemRow, pool, builder, &select, user.0, user.0, user.0, user.0, user.0, limit).map_err(other)
        })?;
        items(rows)
    }

    async fn list_frequent(&self, user: UserId, page: Page) -> RepoResult<(Vec<Item>, i64)> {
        let filter = format!("where u.user_id = ? and u.pinned = true and i.trash_root_id is null and {WORKS_IN}");
        let select = format!(
            "{ITEM_SELECT} join item_use u on u.item_id = i.item_id {filter} \
             order by u.use_count desc, u.used_at desc, i.item_id desc limit ? offset ?"
        );
        let count = format!("select count(*) from item_use u join item i on i.item_id = u.item_id {filter}");
        let (rows, total) = on_pool!(self, read, |pool, builder| {
            let rows = fetch!(
                all ItemRow,
                pool,
                builder,
                &select,
                user.0,
                user.0,
                user.0,
                user.0,
                user.0,
                page.capacity,
                page.offset()
            )
            .map_err(other)?;
            let total = scalar!(i64, pool, builder, &count, user.0, user.0, user.0, user.0, user.0).map_err(other)?;
            Ok::<_, RepoError>((rows, total))
        })?;
        Ok((items(rows)?, total))
    }

    async fn list_pinned_among(&self, user: UserId, items: &[ItemId]) -> RepoResult<Vec<ItemId>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let marks = crate::pool::marks(items.len());
        let select =
            format!("select item_id from item_use where user_id = ? and pinned = true and item_id in ({marks})");
        let ids: Vec<i64> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &select);
            let mut query = sqlx::query_scalar(&sql).bind(user.0);
            for item in items {
                query = query.bind(item.0);
            }
            query.fetch_all(pool).await.map_err(other)
        })?;
        Ok(ids.into_iter().map(ItemId).collect())
    }

    async fn put_upload_part(&self, upload_id: &str, part: UploadPart) -> RepoResult<Option<Option<String>>> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // The session row held (PostgreSQL; SQLite writes are serial): two PUTs of one part
            // take turns, so each sees the bytes the other stored and hands them back for
            // deletion, and no part lands after the upload was committed.
            let lock = crate::pool::row_lock(&builder(), " for update");
            let sql = dialect(
                &builder(),
                &format!("select state from upload_session where upload_id = ?{lock}"),
            );
            let state: Option<i16> = sqlx::query_scalar(&sql)
                .bind(upload_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(other)?;
            if state != Some(0) {
                return Ok(None);
            }
            let sql = dialect(
                &builder(),
                "select storage_key from upload_part where upload_id = ? and part_number = ?",
            );
            let replaced: Option<String> = sqlx::query_scalar(&sql)
                .bind(upload_id)
                .bind(part.number)
                .fetch_optional(&mut *tx)
                .await
                .map_err(other)?;
            let sql = dialect(
                &builder(),
                "insert into upload_part (upload_id, part_number, storage_key, size, sha256, created_at) \
                 values (?, ?, ?, ?, ?, ?) on conflict (upload_id, part_number) do update \
                 set storage_key = excluded.storage_key, size = excluded.size, sha256 = excluded.sha256, \
                 created_at = excluded.created_at",
            );
            sqlx::query(&sql)
                .bind(upload_id)
                .bind(part.number)
                .bind(&part.storage_key)
                .bind(part.size)
                .bind(&part.sha256)
                .bind(part.created_at)
                .execute(&mut *tx)
                .await
                .map_err(other)?;
            commit!(tx, builder)?;
            Ok(Some(replaced))
        })
    }

    async fn list_upload_parts(&self, upload_id: &str) -> RepoResult<Vec<UploadPart>> {
        let rows: Vec<(i32, String, i64, Vec<u8>, i64)> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select part_number, storage_key, size, sha256, created_at from upload_part \
                 where upload_id = ? order by part_number",
            );
            sqlx::query_as(&sql)
                .bind(upload_id)
                .fetch_all(pool)
                .await
                .map_err(other)
        })?;
        Ok(rows
            .into_iter()
            .map(|(number, storage_key, size, sha256, created_at)| UploadPart {
                number,
                storage_key,
                size,
                sha256,
                created_at,
            })
            .collect())
    }

    async fn delete_upload_parts(&self, upload_id: &str) -> RepoResult<Vec<String>> {
        on_pool!(self, write, |pool, builder| {
            let sql = dialect(
                &builder(),
                "delete from upload_part where upload_id = ? returning storage_key",
            );
            sqlx::query_scalar(&sql)
                .bind(upload_id)
                .fetch_all(pool)
                .await
                .map_err(other)
        })
    }

    async fn delete_upload_session(&self, upload_id: &str) -> RepoResult<Vec<String>> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // The session before its parts, the order a part's PUT takes them.
            if is_postgres(&builder()) {
                exec!(
                    &mut *tx,
                    builder,
                    "select upload_id from upload_session where upload_id = ? for update",
                    upload_id
                )
                .map_err(other)?;
            }
            let sql = dialect(
                &builder(),
                "delete from upload_part where upload_id = ? returning storage_key",
            );
            let keys: Vec<String> = sqlx::query_scalar(&sql)
                .bind(upload_id)
                .fetch_all(&mut *tx)
                .await
                .map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "delete from upload_session where upload_id = ? and state <> 2",
                upload_id
            )
            .map_err(other)?;
            commit!(tx, builder)?;
            Ok(keys)
        })
    }

    async fn list_unreferenced_blobs(&self, before: i64, limit: i64) -> RepoResult<Vec<UnreferencedBlob>> {
        let rows: Vec<(i64, String)> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select blob_id, storage_key from content_blob where ref_count <= 0 and unreferenced_at < ? \
                 order by blob_id limit ?",
            );
            sqlx::query_as(&sql)
                .bind(before)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(other)
        })?;
        Ok(rows
            .into_iter()
            .map(|(blob_id, storage_key)| UnreferencedBlob { blob_id, storage_key })
            .collect())
    }

    async fn delete_unreferenced_blob(&self, blob_id: i64, before: i64) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(
                pool,
                builder,
                "delete from content_blob where blob_id = ? and ref_count <= 0 and unreferenced_at < ?",
                blob_id,
                before
            )
            .map_err(other)?;
            Ok(done.rows_affected() == 1)
        })
    }

    async fn stored_references(&self) -> RepoResult<Vec<(String, StoredReference)>> {
        // One read transaction, so the sets are of one moment.
        on_pool!(self, read, |pool, builder| {
            let mut tx = pool.begin().await.map_err(other)?;
            if is_postgres(&builder()) {
                sqlx::query("set transaction isolation level repeatable read, read only")
                    .execute(&mut *tx)
                    .await
                    .map_err(other)?;
                // Every blob of a large drive takes longer to read than a request may.
                sqlx::query("set local statement_timeout = 0")
                    .execute(&mut *tx)
                    .await
                    .map_err(other)?;
            }
            let mut references = Vec::new();
            let sql = dialect(
                &builder(),
                "select storage_key, blob_id, size, sha256 from content_blob",
            );
            let rows: Vec<(String, i64, i64, Vec<u8>)> =
                sqlx::query_as(&sql).fetch_all(&mut *tx).await.map_err(other)?;
            for (key, blob_id, size, sha256) in rows {
                references.push((key, StoredReference::Content { blob_id, size, sha256 }));
            }
            let sql = dialect(&builder(), "select storage_key, size from conversion");
            let rows: Vec<(String, i64)> = sqlx::query_as(&sql).fetch_all(&mut *tx).await.map_err(other)?;
            references.extend(
                rows.into_iter()
                    .map(|(key, size)| (key, StoredReference::Conversion { size })),
            );
            let sql = dialect(
                &builder(),
                "select profile_pic_storage_key from user_account where profile_pic_storage_key is not null",
            );
            let rows: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(&mut *tx).await.map_err(other)?;
            references.extend(rows.into_iter().map(|(key,)| (key, StoredReference::ProfilePicture)));
            let sql = dialect(
                &builder(),
                "select storage_key from upload_part union all \
                 select storage_key from upload_session where storage_key is not null and state <> 2",
            );
            let rows: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(&mut *tx).await.map_err(other)?;
            references.extend(rows.into_iter().map(|(key,)| (key, StoredReference::InFlight)));
            tx.commit().await.map_err(other)?;
            Ok(references)
        })
    }

    async fn content_blob_in_use(&self, blob_id: i64) -> RepoResult<bool> {
        on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select count(*) from content_blob b where b.blob_id = ? \
                 and (b.ref_count > 0 or exists (select 1 from file_version v where v.blob_id = b.blob_id))",
            );
            let found: i64 = sqlx::query_scalar(&sql)
                .bind(blob_id)
                .fetch_one(pool)
                .await
                .map_err(other)?;
            Ok(found > 0)
        })
    }

    async fn files_of_blob(&self, blob_id: i64, limit: i64) -> RepoResult<Vec<ItemId>> {
        on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select distinct file_id from file_version where blob_id = ? order by file_id limit ?",
            );
            let ids: Vec<i64> = sqlx::query_scalar(&sql)
                .bind(blob_id)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(other)?;
            Ok(ids.into_iter().map(ItemId).collect())
        })
    }

    async fn storage_key_recorded(&self, key: &str) -> RepoResult<bool> {
        on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select (select count(*) from content_blob where storage_key = ?) \
                 + (select count(*) from conversion where storage_key = ?) \
                 + (select count(*) from user_account where profile_pic_storage_key = ?) \
                 + (select count(*) from upload_part where storage_key = ?) \
                 + (select count(*) from upload_session where storage_key = ?)",
            );
            let found: i64 = sqlx::query_scalar(&sql)
                .bind(key)
                .bind(key)
                .bind(key)
                .bind(key)
                .bind(key)
                .fetch_one(pool)
                .await
                .map_err(other)?;
            Ok(found > 0)
        })
    }

    async fn reference_count_drift(&self) -> RepoResult<Vec<RefCountDrift>> {
        on_pool!(self, read, |pool, builder| {
            let sql = dialect(
                &builder(),
                "select b.blob_id, b.ref_count, count(v.version_id) from content_blob b \
                 left join file_version v on v.blob_id = b.blob_id \
                 group by b.blob_id, b.ref_count having b.ref_count <> count(v.version_id) \
                 order by b.blob_id",
            );
            let mut tx = pool.begin().await.map_err(other)?;
            if is_postgres(&builder()) {
                // Counting every version of a large drive takes longer than a request may.
                sqlx::query("set local statement_timeout = 0")
                    .execute(&mut *tx)
                    .await
                    .map_err(other)?;
            }
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&sql).fetch_all(&mut *tx).await.map_err(other)?;
            tx.commit().await.map_err(other)?;
            Ok(rows
                .into_iter()
                .map(|(blob_id, recorded, actual)| RefCountDrift {
                    blob_id,
                    recorded,
                    actual,
                })
                .collect())
        })
    }

    async fn fix_reference_count(&self, drift: &RefCountDrift, at: i64) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let done = exec!(
                pool,
                builder,
                "update content_blob set ref_count = ?, \
                 unreferenced_at = case when ? > 0 then null else coalesce(unreferenced_at, ?) end \
                 where blob_id = ? and ref_count = ?",
                drift.actual,
                drift.actual,
                at,
                drift.blob_id,
                drift.recorded
            )
            .map_err(other)?;
            Ok(done.rows_affected() == 1)
        })
    }
}

fn kind_condition(filter: KindFilter) -> &'static str {
    match filter {
        KindFilter::All => "",
        KindFilter::Folders => "and i.is_folder = true",
        KindFilter::Files => "and i.is_folder = false",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let sql = "select ? + ?, x from t where a = ?";
        assert_eq!(
            dialect(&sea_query::PostgresQueryBuilder, sql),
            "select $1 + $2, x from t where a = $3"
        );
        assert_eq!(dialect(&sea_query::SqliteQueryBuilder, sql), sql);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(prefix_pattern("a_b%c\\"), "a\\_b\\%c\\\\%");
    }
}

//! The organisation directory: an enterprise's department tree and its groups.

use crate::ids::{DepartmentId, EnterpriseId, GroupId, UserId};

/// How many departments one user may belong to.
pub const MAX_DEPARTMENTS_PER_USER: i64 = 100;

/// The id clients use for the enterprise itself, the root of the department tree.
pub const ROOT_DEPARTMENT: DepartmentId = DepartmentId(0);

/// A department. `parent_id` is [`ROOT_DEPARTMENT`] for a top-level one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: DepartmentId,
    pub enterprise_id: EnterpriseId,
    pub parent_id: DepartmentId,
    pub name: String,
    pub director_id: Option<UserId>,
    /// Bytes, -1 for unlimited.
    pub space_total: i64,
    pub space_used: i64,
    pub hide_phone: bool,
    pub disable_share: bool,
    pub enable_watermark: bool,
    pub collab_auto_accepted: bool,
    pub permission_type: String,
    pub order: i64,
    /// Direct members.
    pub user_count: i64,
    /// Direct sub-departments.
    pub children_count: i64,
    pub created_at: i64,
}

/// A department to create; the repo checks the parent and the name among its siblings.
#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub enterprise_id: EnterpriseId,
    pub parent_id: DepartmentId,
    pub name: String,
    pub name_key: String,
    pub director_id: Option<UserId>,
    pub space_total: i64,
    pub hide_phone: bool,
    pub disable_share: bool,
    pub enable_watermark: bool,
    pub collab_auto_accepted: bool,
    pub created_at: i64,
    /// The id an integrator's platform knows it by: `(platform_id, custom_id)`.
    pub ticket: Option<(i64, String)>,
}

/// What changes about a department; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct DepartmentChanges {
    /// The new name and its key.
    pub name: Option<(String, String)>,
    pub parent_id: Option<DepartmentId>,
    /// `Some(None)` clears the director.
    pub director_id: Option<Option<UserId>>,
    pub space_total: Option<i64>,
    pub hide_phone: Option<bool>,
    pub disable_share: Option<bool>,
    pub enable_watermark: Option<bool>,
    pub collab_auto_accepted: Option<bool>,
    pub permission_type: Option<String>,
    /// Replaces the department's file managers.
    pub file_managers: Option<Vec<UserId>>,
}

/// A group of users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub description: String,
    pub admin_user_id: Option<UserId>,
    pub is_visible: bool,
    pub collab_auto_accepted: bool,
    pub user_count: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub name_key: String,
    pub description: String,
    pub admin_user_id: Option<UserId>,
    pub is_visible: bool,
    pub collab_auto_accepted: bool,
    pub created_at: i64,
    /// The id an integrator's platform knows it by: `(platform_id, custom_id)`.
    pub ticket: Option<(i64, String)>,
}

/// What changes about a group; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub name: Option<(String, String)>,
    pub description: Option<String>,
    /// `Some(None)` clears the administrator.
    pub admin_user_id: Option<Option<UserId>>,
    pub is_visible: Option<bool>,
    pub collab_auto_accepted: Option<bool>,
}

/// The key names are unique by: case-folded, as item names are.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Which directory record an integrator's id stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    Department,
    Group,
}

impl OrgKind {
    pub fn code(self) -> i16 {
        match self {
            OrgKind::Department => 1,
            OrgKind::Group => 2,
        }
    }
}

//! Departments and groups: the administrator's changes (`admin/department/*`, `admin/group/*`)
//! and what users read of them (`department/*`, `group/*`, `user/departments`).

use std::collections::{HashMap, HashSet};

use crate::audit::{TargetKind, action};
use crate::auth::{Principal, PrincipalKind};
use crate::drive::Space;
use crate::error::{Error, NotFoundKind, Refusal, Result, gone};
use crate::ids::{DepartmentId, EnterpriseId, GroupId, UserId};
use crate::model::{Enterprise, Page, PersonName, User};
use crate::org::{
    Department, DepartmentChanges, Group, GroupChanges, NewDepartment, NewGroup, ROOT_DEPARTMENT, name_key,
};
use crate::services::audit_log::Audit;
use crate::services::{Core, Users};

const GIB: i64 = 1024 * 1024 * 1024;
/// A new department's space limit when none is given, in GB.
const DEFAULT_DEPARTMENT_SPACE_GB: i64 = 20;

/// `admin/department/create`.
#[derive(Debug, Clone, Default)]
pub struct DepartmentSpec {
    pub name: Option<String>,
    pub parent_id: Option<i64>,
    pub director_id: Option<i64>,
    /// GB; `-1` unlimited.
    pub space_total_gb: Option<i64>,
    /// Inherited from the parent when not given.
    pub hide_phone: Option<bool>,
    pub disable_share: Option<bool>,
    pub enable_watermark: Option<bool>,
    pub collab_auto_accepted: Option<bool>,
}

/// `admin/department/{id}/update`; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct DepartmentEdit {
    pub name: Option<String>,
    pub parent_id: Option<i64>,
    /// `-1` clears the director.
    pub director_id: Option<i64>,
    pub space_total_gb: Option<i64>,
    pub hide_phone: Option<bool>,
    pub disable_share: Option<bool>,
    pub enable_watermark: Option<bool>,
    pub collab_auto_accepted: Option<bool>,
    pub permission_type: Option<String>,
    pub file_managers: Option<Vec<i64>>,
}

impl DepartmentEdit {
    /// Whether `disable_share` is all the edit changes (what the enterprise's root allows).
    fn only_disable_share(&self) -> bool {
        let DepartmentEdit {
            name,
            parent_id,
            director_id,
            space_total_gb,
            hide_phone,
            disable_share: _,
            enable_watermark,
            collab_auto_accepted,
            permission_type,
            file_managers,
        } = self;
        name.is_none()
            && parent_id.is_none()
            && director_id.is_none()
            && space_total_gb.is_none()
            && hide_phone.is_none()
            && enable_watermark.is_none()
            && collab_auto_accepted.is_none()
            && permission_type.is_none()
            && file_managers.is_none()
    }
}

/// `admin/group/create` and `update`; for an update, `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct GroupSpec {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `-1` clears the administrator (on update).
    pub admin_user_id: Option<i64>,
    pub visible: Option<bool>,
    pub collab_auto_accepted: Option<bool>,
}

/// A department with the users it names, ready to render.
#[derive(Debug, Clone)]
pub struct DepartmentView {
    pub department: Department,
    pub file_managers: Vec<UserId>,
    pub users: Users,
    /// Items at the top of the department's space.
    pub direct_item_count: i64,
}

/// A department's direct sub-departments.
#[derive(Debug, Clone)]
pub struct DepartmentChildren {
    pub parent: Department,
    pub children: Vec<Department>,
    pub users: Users,
    /// Items at the top of each department's space.
    pub item_counts: HashMap<DepartmentId, i64>,
}

impl DepartmentChildren {
    /// Items at the top of a listed department's space.
    pub fn item_count(&self, department: DepartmentId) -> i64 {
        self.item_counts.get(&department).copied().unwrap_or(0)
    }
}

/// Groups with the users they name.
#[derive(Debug, Clone)]
pub struct GroupList {
    pub groups: Vec<Group>,
    pub total: i64,
    pub users: Users,
}

fn department_name(raw: Option<&str>) -> Result<(String, String)> {
    let raw = raw.ok_or_else(|| Error::invalid("name", "不能为空"))?;
    let name = PersonName::parse("name", raw).map_err(|err| Error::Invalid(vec![err]))?;
    let name = name.into_inner();
    let key = name_key(&name);
    Ok((name, key))
}

fn space_bytes(gb: i64, enterprise: &Enterprise) -> Result<i64> {
    if gb < -1 {
        return Err(Error::invalid("space_total", "不能小于-1"));
    }
    let bytes = if gb == -1 {
        -1
    } else {
        gb.checked_mul(GIB)
            .ok_or_else(|| Error::invalid("space_total", "过大"))?
    };
    if enterprise.space_total != -1 && (bytes == -1 || bytes > enterprise.space_total) {
        return Err(Error::Refused(Refusal::DepartmentSpaceTotalExceedsEnterpriseLimit));
    }
    Ok(bytes)
}

impl Core {
    /// The enterprise of the caller, administrator or user.
    pub(super) fn caller_enterprise(principal: &Principal) -> Result<EnterpriseId> {
        match principal.kind() {
            PrincipalKind::EnterpriseAdmin { enterprise_id, .. } | PrincipalKind::User { enterprise_id, .. } => {
                Ok(enterprise_id)
            }
            _ => Err(Error::PermissionDenied),
        }
    }

    /// A live user of the enterprise, else `user_not_in_enterprise` (missing or foreign alike).
    async fn member_of(&self, enterprise_id: EnterpriseId, raw_id: i64) -> Result<User> {
        match self.repo.find_user(UserId(raw_id)).await? {
            Some(user) if user.enterprise_id == enterprise_id => Ok(user),
            _ => Err(Error::Refused(Refusal::UserNotInEnterprise)),
        }
    }

    /// A department of the enterprise; department 0 is the enterprise itself.
    pub(crate) async fn department_of(&self, enterprise_id: EnterpriseId, id: DepartmentId) -> Result<Department> {
        if id == ROOT_DEPARTMENT {
            return self.root_department(enterprise_id).await;
        }
        match self.repo.find_department(id).await? {
            Some(department) if department.enterprise_id == enterprise_id => Ok(department),
            _ => Err(Error::not_found(NotFoundKind::Department)),
        }
    }

    /// A real (non-root) department of the enterprise.
    async fn real_department(&self, enterprise_id: EnterpriseId, id: DepartmentId) -> Result<Department> {
        if id == ROOT_DEPARTMENT {
            return Err(Error::not_found(NotFoundKind::Department));
        }
        self.department_of(enterprise_id, id).await
    }

    /// The enterprise as the root of its department tree: everyone is in it.
    async fn root_department(&self, enterprise_id: EnterpriseId) -> Result<Department> {
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        let enterprise = enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))?;
        let (_, user_count) = self
            .repo
            .search_users(
                enterprise_id,
                None,
                Page {
                    page_id: 0,
                    capacity: 1,
                },
            )
            .await?;
        let children = self.repo.list_child_departments(enterprise_id, ROOT_DEPARTMENT).await?;
        Ok(Department {
            id: ROOT_DEPARTMENT,
            enterprise_id,
            parent_id: ROOT_DEPARTMENT,
            name: enterprise.name,
            director_id: Some(enterprise.admin_user_id),
            space_total: enterprise.space_total,
            space_used: enterprise.space_used,
            hide_phone: false,
            disable_share: enterprise.disable_share,
            enable_watermark: false,
            collab_auto_accepted: false,
            permission_type: String::new(),
            order: 0,
            user_count,
            children_count: children.len() as i64,
            created_at: enterprise.created_at,
        })
    }

    async fn department_view(&self, department: Department) -> Result<DepartmentView> {
        let file_managers = if department.id == ROOT_DEPARTMENT {
            Vec::new()
        } else {
            self.repo.list_file_managers(department.id).await?
        };
        let mut ids: HashSet<UserId> = file_managers.iter().copied().collect();
        ids.extend(department.director_id);
        let users = self.users_by_id(ids).await?;
        let direct_item_count = self.direct_item_count(department.id).await?;
        Ok(DepartmentView {
            department,
            file_managers,
            users,
            direct_item_count,
        })
    }

    /// Items at the top of a department's space (none before it is first used).
    async fn direct_item_count(&self, department: DepartmentId) -> Result<i64> {
        if department == ROOT_DEPARTMENT {
            return Ok(0);
        }
        let root = self.repo.find_space_root(Space::Department(department)).await?;
        Ok(root.map_or(0, |root| root.item_count()))
    }

    async fn item_counts(&self, departments: &[Department]) -> Result<HashMap<DepartmentId, i64>> {
        let mut counts = HashMap::new();
        for department in departments {
            counts.insert(department.id, self.direct_item_count(department.id).await?);
        }
        Ok(counts)
    }

    /// `admin/department/create`.
    pub async fn create_department(&self, principal: &Principal, spec: DepartmentSpec) -> Result<DepartmentView> {
        let enterprise_id = principal.administered_enterprise()?;
        let (name, key) = department_name(spec.name.as_deref())?;
        let parent_raw = spec.parent_id.ok_or_else(|| Error::invalid("parent_id", "不能为空"))?;
        if parent_raw < 0 {
            return Err(Error::invalid("parent_id", "不能小于0"));
        }
        let parent = self.department_of(enterprise_id, DepartmentId(parent_raw)).await?;
        let inherited = parent.id != ROOT_DEPARTMENT;
        let director_id = match spec.director_id {
            None => None,
            Some(id) if id < 1 => return Err(Error::invalid("director_id", "必须大于等于1")),
            Some(id) => Some(self.member_of(enterprise_id, id).await?.id),
        };
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        let enterprise = enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))?;
        let space_total = space_bytes(spec.space_total_gb.unwrap_or(DEFAULT_DEPARTMENT_SPACE_GB), &enterprise)?;
        let audit = Audit::new(action::NEW_DEPARTMENT, TargetKind::Department, 0, &name).with("parent_id", parent.id.0);
        let write = self.repo.create_department(NewDepartment {
            enterprise_id,
            parent_id: parent.id,
            name,
            name_key: key,
            director_id,
            space_total,
            hide_phone: spec.hide_phone.unwrap_or(inherited && parent.hide_phone),
            // The enterprise's own switch (on its root) is not copied: sharing checks it live,
            // so turning it back on frees every department.
            disable_share: spec.disable_share.unwrap_or(inherited && parent.disable_share),
            enable_watermark: spec.enable_watermark.unwrap_or(inherited && parent.enable_watermark),
            collab_auto_accepted: spec.collab_auto_accepted.unwrap_or(false),
            created_at: self.clock.now(),
            ticket: None,
        });
        let department = self
            .audited(principal, enterprise_id, audit, write)
            .await
            .map_err(gone(|| Error::not_found(NotFoundKind::Department)))?;
        self.department_view(department).await
    }

    /// `department/{id}/info` and `admin/department/{id}/info`.
    pub async fn department_info(&self, principal: &Principal, id: DepartmentId) -> Result<DepartmentView> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let department = self.department_of(enterprise_id, id).await?;
        self.department_view(department).await
    }

    /// `admin/department/{id}/update`.
    pub async fn update_department(
        &self,
        principal: &Principal,
        id: DepartmentId,
        edit: DepartmentEdit,
    ) -> Result<DepartmentView> {
        let enterprise_id = principal.administered_enterprise()?;
        if id == ROOT_DEPARTMENT
            && let Some(disabled) = edit.disable_share
            && edit.only_disable_share()
        {
            return self
                .set_enterprise_disable_share(principal, enterprise_id, disabled)
                .await;
        }
        let current = self.real_department(enterprise_id, id).await?;
        let name = edit.name.as_deref().map(|raw| department_name(Some(raw))).transpose()?;
        let parent_id = match edit.parent_id {
            None => None,
            Some(raw) if raw < 0 => return Err(Error::invalid("parent_id", "不能小于0")),
            Some(raw) => {
                let parent = self.department_of(enterprise_id, DepartmentId(raw)).await?;
                Some(parent.id)
            }
        };
        let director_id = match edit.director_id {
            None => None,
            Some(-1) => Some(None),
            Some(raw) if raw < 1 => return Err(Error::invalid("director_id", "必须大于等于-1")),
            Some(raw) => Some(Some(self.member_of(enterprise_id, raw).await?.id)),
        };
        let space_total = match edit.space_total_gb {
            None => None,
            Some(gb) => {
                let enterprise = self.repo.find_enterprise(enterprise_id).await?;
                let enterprise = enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))?;
                Some(space_bytes(gb, &enterprise)?)
            }
        };
        let file_managers = match edit.file_managers {
            None => None,
            Some(raw) => {
                let mut ids = Vec::with_capacity(raw.len());
                for id in raw {
                    ids.push(self.member_of(enterprise_id, id).await?.id);
                }
                Some(ids)
            }
        };
        if edit
            .permission_type
            .as_ref()
            .is_some_and(|kind| kind.chars().count() > 32)
        {
            return Err(Error::invalid("permission_type", "长度不能超过32个字符"));
        }
        let changes = DepartmentChanges {
            name,
            parent_id,
            director_id,
            space_total,
            hide_phone: edit.hide_phone,
            disable_share: edit.disable_share,
            enable_watermark: edit.enable_watermark,
            collab_auto_accepted: edit.collab_auto_accepted,
            permission_type: edit.permission_type,
            file_managers,
        };
        let mut audit = Audit::new(action::EDIT_DEPARTMENT, TargetKind::Department, id.0, &current.name);
        audit.department_id = Some(id.0);
        if let Some(parent) = changes.parent_id {
            audit = audit.with("parent_id", parent.0);
        }
        if let Some((name, _)) = &changes.name {
            audit = audit.with("new_name", name.clone());
        }
        let department = self
            .audited(
                principal,
                enterprise_id,
                audit,
                self.repo.update_department(id, changes),
            )
            .await
            .map_err(gone(|| Error::not_found(NotFoundKind::Department)))?;
        self.department_view(department).await
    }

    /// `admin/department/0/update` with only `disable_share`: sharing on or off for the whole
    /// enterprise (the root of its department tree carries it; the rest of the root is the
    /// enterprise's own and not edited here).
    async fn set_enterprise_disable_share(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        disabled: bool,
    ) -> Result<DepartmentView> {
        let root = self.root_department(enterprise_id).await?;
        let audit = Audit::new(
            action::EDIT_ENTERPRISE,
            TargetKind::Enterprise,
            enterprise_id.0,
            &root.name,
        )
        .with("disable_share", disabled);
        self.audited(
            principal,
            enterprise_id,
            audit,
            self.repo.set_enterprise_disable_share(enterprise_id, disabled),
        )
        .await
        .map_err(gone(|| Error::not_found(NotFoundKind::Enterprise)))?;
        let root = self.root_department(enterprise_id).await?;
        self.department_view(root).await
    }

    /// `admin/department/{id}/delete`: only a department without sub-departments. What its
    /// space holds (the trash too) goes to its director, else the enterprise's administrator,
    /// in a folder named after the department.
    pub async fn delete_department(&self, principal: &Principal, id: DepartmentId) -> Result<()> {
        let enterprise_id = principal.administered_enterprise()?;
        let department = self.real_department(enterprise_id, id).await?;
        if department.children_count > 0 {
            return Err(crate::RepoError::Conflict(crate::error::ConflictKind::DepartmentHasChildren).into());
        }
        let space = Space::Department(id);
        let holds_items = match self.repo.find_space_root(space).await? {
            None => false,
            Some(root) => {
                root.item_count() > 0
                    || !self
                        .repo
                        .list_trash_roots(space, crate::drive::KindFilter::All)
                        .await?
                        .is_empty()
            }
        };
        match self.delete_department_once(principal, &department, holds_items).await {
            // Something arrived since the look above: hand it over after all.
            Err(Error::Conflict(crate::error::ConflictKind::SpaceNotEmpty)) => {
                self.delete_department_once(principal, &department, true).await
            }
            other => other,
        }
    }

    async fn delete_department_once(
        &self,
        principal: &Principal,
        department: &Department,
        hand_over: bool,
    ) -> Result<()> {
        let id = department.id;
        let enterprise_id = department.enterprise_id;
        let heir = if hand_over {
            let enterprise = self.repo.find_enterprise(enterprise_id).await?;
            let enterprise = enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))?;
            let heir = department.director_id.unwrap_or(enterprise.admin_user_id);
            let heir = self.repo.find_user(heir).await?;
            let heir = heir.ok_or_else(|| Error::internal("the heir of a department vanished"))?;
            let name = super::accounts::hand_over_folder_name(&department.name, &format!("部门{}", id.0));
            let folder = self.hand_over_folder(principal, &heir, &name).await?;
            Some(crate::ports::Heir {
                user: heir.id,
                folder: folder.id,
            })
        } else {
            None
        };
        let mut audit = Audit::new(
            action::DELETE_DEPARTMENT,
            TargetKind::Department,
            id.0,
            &department.name,
        );
        audit.department_id = Some(id.0);
        let write = self.repo.delete_department(id, heir, self.clock.now());
        self.audited(principal, enterprise_id, audit, write)
            .await
            .map_err(gone(|| Error::not_found(NotFoundKind::Department)))
    }

    /// `admin/department/{id}/add_user`.
    pub async fn add_department_user(&self, principal: &Principal, id: DepartmentId, user: i64) -> Result<()> {
        let enterprise_id = principal.administered_enterprise()?;
        self.real_department(enterprise_id, id).await?;
        let user = self.member_of(enterprise_id, user).await?;
        let mut audit = Audit::new(action::ADD_DEPARTMENT_MEMBER, TargetKind::User, user.id.0, &user.name);
        audit.department_id = Some(id.0);
        let write = async {
            match self.repo.add_department_user(id, user.id, self.clock.now()).await {
                // Deleted since it was looked up.
                Err(crate::RepoError::NotFound) => Err(Error::not_found(NotFoundKind::Department)),
                done => Ok(done?),
            }
        };
        self.audited(principal, enterprise_id, audit, write).await
    }

    /// `admin/department/{id}/remove_user`.
    pub async fn remove_department_user(&self, principal: &Principal, id: DepartmentId, user: i64) -> Result<()> {
        let enterprise_id = principal.administered_enterprise()?;
        self.real_department(enterprise_id, id).await?;
        let user = self.member_of(enterprise_id, user).await?;
        let mut audit = Audit::new(
            action::REMOVE_DEPARTMENT_MEMBER,
            TargetKind::User,
            user.id.0,
            &user.name,
        );
        audit.department_id = Some(id.0);
        let write = async {
            match self.repo.remove_department_user(id, user.id).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(Error::Refused(Refusal::UserNotInDepartment)),
                Err(crate::RepoError::NotFound) => Err(Error::not_found(NotFoundKind::Department)),
                Err(err) => Err(err.into()),
            }
        };
        self.audited(principal, enterprise_id, audit, write).await
    }

    /// `department/{id}/children`: direct sub-departments, by order.
    pub async fn department_children(&self, principal: &Principal, id: DepartmentId) -> Result<DepartmentChildren> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let parent = self.department_of(enterprise_id, id).await?;
        let children = self.repo.list_child_departments(enterprise_id, parent.id).await?;
        let ids: HashSet<UserId> = children
            .iter()
            .chain(std::iter::once(&parent))
            .filter_map(|department| department.director_id)
            .collect();
        let users = self.users_by_id(ids).await?;
        let item_counts = self.item_counts(&children).await?;
        Ok(DepartmentChildren {
            parent,
            children,
            users,
            item_counts,
        })
    }

    /// `department/{id}/users`: direct members (everyone for department 0), by id.
    pub async fn department_users(
        &self,
        principal: &Principal,
        id: DepartmentId,
        words: Option<&str>,
        page: Page,
    ) -> Result<(Vec<User>, i64, Enterprise)> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let department = self.department_of(enterprise_id, id).await?;
        let words = search_words(words)?;
        let (users, total) = if department.id == ROOT_DEPARTMENT {
            self.repo.search_users(enterprise_id, words, page).await?
        } else {
            self.repo.list_department_users(department.id, words, page).await?
        };
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        let enterprise = enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))?;
        Ok((users, total, enterprise))
    }

    /// `user/departments`: the departments the caller is directly in.
    pub async fn my_departments(&self, principal: &Principal) -> Result<DepartmentChildren> {
        let user_id = principal.user_id().ok_or(Error::PermissionDenied)?;
        let me = self.current_user(principal).await?;
        let parent = self.root_department(me.user.enterprise_id).await?;
        let children = self.repo.list_user_departments(user_id).await?;
        let ids = children
            .iter()
            .filter_map(|department| department.director_id)
            .collect();
        let users = self.users_by_id(ids).await?;
        let item_counts = self.item_counts(&children).await?;
        Ok(DepartmentChildren {
            parent,
            children,
            users,
            item_counts,
        })
    }

    /// A group the caller may see: any group of the enterprise for its administrator; for a
    /// user, a visible group or one they are in.
    async fn group_of(&self, principal: &Principal, id: GroupId) -> Result<Group> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let group = match self.repo.find_group(id).await? {
            Some(group) if group.enterprise_id == enterprise_id => group,
            _ => return Err(Error::not_found(NotFoundKind::Group)),
        };
        if let Some(user) = principal.user_id()
            && !group.is_visible
            && !self.repo.is_group_member(group.id, user).await?
        {
            return Err(Error::not_found(NotFoundKind::Group));
        }
        Ok(group)
    }

    async fn group_admin(
        &self,
        enterprise_id: EnterpriseId,
        raw: Option<i64>,
        clear_allowed: bool,
    ) -> Result<Option<Option<UserId>>> {
        match raw {
            None => Ok(None),
            Some(-1) if clear_allowed => Ok(Some(None)),
            Some(id) if id < 1 => Err(Error::invalid(
                "admin_user_id",
                if clear_allowed {
                    "必须大于等于-1"
                } else {
                    "必须大于等于1"
                },
            )),
            Some(id) => Ok(Some(Some(self.member_of(enterprise_id, id).await?.id))),
        }
    }

    /// `admin/group/create`. Without an administrator, invitations to the group are accepted at
    /// once (nobody else could accept them).
    pub async fn create_group(&self, principal: &Principal, spec: GroupSpec) -> Result<(Group, Users)> {
        let enterprise_id = principal.administered_enterprise()?;
        let (name, key) = department_name(spec.name.as_deref())?;
        let description = group_description(spec.description)?.unwrap_or_default();
        let admin = self
            .group_admin(enterprise_id, spec.admin_user_id, false)
            .await?
            .flatten();
        let audit = Audit::new(action::NEW_GROUP, TargetKind::Group, 0, &name);
        let write = self.repo.create_group(NewGroup {
            enterprise_id,
            name,
            name_key: key,
            description,
            admin_user_id: admin,
            is_visible: spec.visible.unwrap_or(false),
            collab_auto_accepted: spec.collab_auto_accepted.unwrap_or(admin.is_none()),
            created_at: self.clock.now(),
            ticket: None,
        });
        let group = self.audited(principal, enterprise_id, audit, write).await?;
        let users = self.users_by_id(group.admin_user_id.into_iter().collect()).await?;
        Ok((group, users))
    }

    /// `group/{id}/info` and `admin/group/{id}/info`.
    pub async fn group_info(&self, principal: &Principal, id: GroupId) -> Result<(Group, Users)> {
        let group = self.group_of(principal, id).await?;
        let users = self.users_by_id(group.admin_user_id.into_iter().collect()).await?;
        Ok((group, users))
    }

    /// `admin/group/{id}/update`.
    pub async fn update_group(&self, principal: &Principal, id: GroupId, spec: GroupSpec) -> Result<(Group, Users)> {
        let enterprise_id = principal.administered_enterprise()?;
        let current = self.group_of(principal, id).await?;
        let name = spec.name.as_deref().map(|raw| department_name(Some(raw))).transpose()?;
        let changes = GroupChanges {
            name,
            description: group_description(spec.description)?,
            admin_user_id: self.group_admin(enterprise_id, spec.admin_user_id, true).await?,
            is_visible: spec.visible,
            collab_auto_accepted: spec.collab_auto_accepted,
        };
        let mut audit = Audit::new(action::EDIT_GROUP, TargetKind::Group, id.0, &current.name);
        if let Some((name, _)) = &changes.name {
            audit = audit.with("new_name", name.clone());
        }
        let write = self.repo.update_group(id, changes);
        let group = self
            .audited(principal, enterprise_id, audit, write)
            .await
            .map_err(gone(|| Error::not_found(NotFoundKind::Group)))?;
        let users = self.users_by_id(group.admin_user_id.into_iter().collect()).await?;
        Ok((group, users))
    }

    /// `admin/group/{id}/delete`.
    pub async fn delete_group(&self, principal: &Principal, id: GroupId) -> Result<()> {
        let enterprise_id = principal.administered_enterprise()?;
        let group = self.group_of(principal, id).await?;
        let audit = Audit::new(action::DISMISS_GROUP, TargetKind::Group, id.0, &group.name);
        let write = self.repo.delete_group(id);
        self.audited(principal, enterprise_id, audit, write)
            .await
            .map_err(gone(|| Error::not_found(NotFoundKind::Group)))
    }

    /// `admin/group/{id}/add_user`.
    pub async fn add_group_user(&self, principal: &Principal, id: GroupId, user: i64) -> Result<()> {
        let enterprise_id = principal.administered_enterprise()?;
        let group = self.group_of(principal, id).await?;
        let user = self.member_of(enterprise_id, user).await?;
        let audit = Audit::new(action::ADD_GROUP_MEMBER, TargetKind::User, user.id.0, &user.name)
            .with("group_id", group.id.0)
            .with("group_name", group.name.clone());
        let write = self.repo.add_group_user(id, user.id, self.clock.now());
        Ok(self.audited(principal, enterprise_id, audit, write).await?)
    }

    /// `admin/group/{id}/remove_user`.
    pub async fn remove_group_user(&self, principal: &Principal, id: GroupId, user: i64) -> Result<()> {
        let enterprise_id = principal.administered_enterprise()?;
        let group = self.group_of(principal, id).await?;
        let user = self.member_of(enterprise_id, user).await?;
        let audit = Audit::new(action::REMOVE_GROUP_MEMBER, TargetKind::User, user.id.0, &user.name)
            .with("group_id", group.id.0)
            .with("group_name", group.name.clone());
        let write = async {
            match self.repo.remove_group_user(id, user.id).await? {
                true => Ok(()),
                false => Err(Error::Refused(Refusal::UserNotInGroup)),
            }
        };
        self.audited(principal, enterprise_id, audit, write).await
    }

    /// `group/list` and `admin/group/list`: by name; users see visible groups and their own.
    pub async fn list_groups(&self, principal: &Principal, words: Option<&str>, page: Page) -> Result<GroupList> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let words = search_words(words)?;
        let (groups, total) = self
            .repo
            .list_groups(enterprise_id, principal.user_id(), words, page)
            .await?;
        let ids = groups.iter().filter_map(|group| group.admin_user_id).collect();
        let users = self.users_by_id(ids).await?;
        Ok(GroupList { groups, total, users })
    }

    /// `group/{id}/users` and `admin/group/{id}/users`.
    pub async fn group_users(
        &self,
        principal: &Principal,
        id: GroupId,
        words: Option<&str>,
        page: Page,
    ) -> Result<(Vec<User>, i64, Enterprise)> {
        let group = self.group_of(principal, id).await?;
        let words = search_words(words)?;
        let (users, total) = self.repo.list_group_users(group.id, words, page).await?;
        let enterprise = self.repo.find_enterprise(group.enterprise_id).await?;
        let enterprise = enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))?;
        Ok((users, total, enterprise))
    }
}

/// Search words: trimmed, at most 100 characters, none when blank.
pub(crate) fn search_words(words: Option<&str>) -> Result<Option<&str>> {
    let words = words.map(str::trim).filter(|words| !words.is_empty());
    if words.is_some_and(|words| words.chars().count() > 100) {
        return Err(Error::invalid("query_words", "长度不能超过100个字符"));
    }
    Ok(words)
}

fn group_description(raw: Option<String>) -> Result<Option<String>> {
    match raw {
        Some(text) if text.chars().count() > 500 => Err(Error::invalid("description", "长度不能超过500个字符")),
        other => Ok(other),
    }
}

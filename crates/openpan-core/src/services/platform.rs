//! Third-party platforms (`admin/platform/{id}/*`): the ids an integrator's HR or OA system
//! knows users, departments and groups by, and bulk account sync keyed by those ids.

use crate::audit::{TargetKind, action};
use crate::auth::{Principal, PrincipalKind};
use crate::error::{Error, NotFoundKind, Refusal, Result, gone};
use crate::ids::{DepartmentId, EnterpriseId, GroupId, UserId};
use crate::model::{Email, Enterprise, Password, PersonName, Phone, UserWithEnterprise};
use crate::org::{Group, NewDepartment, NewGroup, OrgKind, ROOT_DEPARTMENT, name_key};
use crate::ports::{NewUser, SyncUser, UserChanges};
use crate::secrets;
use crate::services::audit_log::Audit;
use crate::services::{Core, DepartmentView, Users};

const GIB: i64 = 1024 * 1024 * 1024;
/// How many records one sync call takes.
pub const MAX_SYNC_ITEMS: usize = 500;

/// Which record a mapping lookup names: the integrator's custom id or ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingKey {
    Custom(String),
    Ours(i64),
}

impl MappingKey {
    /// From the two query parameters. Users: when both come, the custom id wins (the platform
    /// document says so); departments and groups: both at once are refused, as the code table
    /// provides.
    pub fn from_params(custom: Option<&str>, ours: Option<i64>, custom_wins: bool) -> Result<Self> {
        match (custom.map(str::trim).filter(|custom| !custom.is_empty()), ours) {
            (Some(_), Some(_)) if !custom_wins => Err(Error::Refused(Refusal::CannotProvideBothYfyIdAndCustomId)),
            (Some(custom), _) => Ok(MappingKey::Custom(custom.to_owned())),
            (None, Some(ours)) => Ok(MappingKey::Ours(ours)),
            (None, None) => Err(Error::Refused(Refusal::YfyIdAndCustomIdNotNull)),
        }
    }
}

/// One account of `sync_users`.
#[derive(Debug, Clone, Default)]
pub struct SyncUserRecord {
    pub custom_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// GB, `-1` unlimited.
    pub space_total_gb: Option<i64>,
    pub hide_phone: Option<bool>,
    pub disable_download: Option<bool>,
    pub force_active: Option<bool>,
    pub password: Option<String>,
}

/// `sync_users`.
#[derive(Debug, Clone, Default)]
pub struct SyncUsers {
    pub users: Vec<SyncUserRecord>,
    /// A department (its custom id on the platform, or ours) every synced account joins.
    pub default_department: Option<String>,
    pub default_group: Option<String>,
    /// The password of accounts whose record has none.
    pub custom_password: Option<String>,
}

/// One department or group of `sync_departments` / `sync_groups`.
#[derive(Debug, Clone, Default)]
pub struct SyncOrgRecord {
    pub custom_id: Option<String>,
    pub name: Option<String>,
    /// Departments: the parent's custom id; none or empty for a top-level department.
    pub parent_custom_id: Option<String>,
    /// Groups: the description.
    pub description: Option<String>,
}

/// What became of one synced record.
#[derive(Debug)]
pub struct SyncOutcome {
    pub custom_id: String,
    /// Our id of the record, when it was synced.
    pub id: Option<i64>,
    pub created: bool,
    pub error: Option<Error>,
}

fn custom_id(raw: Option<&str>) -> Result<String> {
    let custom = raw.map(str::trim).unwrap_or_default();
    if custom.is_empty() || custom.chars().count() > 128 || custom.chars().any(char::is_control) {
        return Err(Error::invalid("custom_id", "长度必须在1-128之间"));
    }
    Ok(custom.to_owned())
}

fn platform(platform_id: i64) -> Result<i64> {
    if platform_id < 1 {
        return Err(Error::invalid("platform_id", "必须大于等于1"));
    }
    Ok(platform_id)
}

impl Core {
    /// Turns bulk account sync on or off for an enterprise. Host operator only.
    pub async fn set_account_sync(&self, principal: &Principal, enterprise_id: EnterpriseId, on: bool) -> Result<()> {
        if !matches!(principal.kind(), PrincipalKind::Operator) {
            return Err(Error::PermissionDenied);
        }
        let write = self.repo.set_account_sync(enterprise_id, on);
        self.switch_enterprise(principal, enterprise_id, "account_sync_enabled", on, write)
            .await
    }

    /// Lets the enterprise's apps use the SDKs' `password` grant, or stops them: an app using
    /// it sees its users' passwords, so only a whole administrator (or the host operator) may.
    pub async fn set_password_grant(&self, principal: &Principal, enterprise_id: EnterpriseId, on: bool) -> Result<()> {
        let allowed = match principal.kind() {
            PrincipalKind::Operator => true,
            PrincipalKind::EnterpriseAdmin { .. } => {
                principal.can_administer(enterprise_id) && principal.scopes().contains(crate::scope::Scope::Admin)
            }
            _ => false,
        };
        if !allowed {
            return Err(Error::PermissionDenied);
        }
        let write = self.repo.set_password_grant(enterprise_id, on);
        self.switch_enterprise(principal, enterprise_id, "password_grant_enabled", on, write)
            .await
    }

    /// Turns one of the enterprise's switches, on the audit log as an enterprise edit.
    async fn switch_enterprise(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        switch: &str,
        on: bool,
        write: impl Future<Output = std::result::Result<(), crate::RepoError>>,
    ) -> Result<()> {
        let enterprise = self.enterprise_record(enterprise_id).await?;
        let audit = Audit::new(
            action::EDIT_ENTERPRISE,
            TargetKind::Enterprise,
            enterprise_id.0,
            &enterprise.name,
        )
        .with(switch, on);
        self.audited(principal, enterprise_id, audit, write)
            .await
            .map_err(gone(|| Error::not_found(NotFoundKind::Enterprise)))
    }

    /// Whether the enterprise's apps may use the `password` grant.
    pub async fn password_grant_enabled(&self, principal: &Principal, enterprise_id: EnterpriseId) -> Result<bool> {
        if !principal.can_administer(enterprise_id) {
            return Err(Error::PermissionDenied);
        }
        Ok(self.enterprise_record(enterprise_id).await?.password_grant_enabled)
    }

    /// `mapping_user`: a user with its custom id (`""` when it has none on the platform).
    pub async fn mapping_user(
        &self,
        principal: &Principal,
        platform_id: i64,
        key: MappingKey,
    ) -> Result<(UserWithEnterprise, String)> {
        let enterprise_id = principal.administered_enterprise()?;
        let platform_id = platform(platform_id)?;
        let user = match &key {
            MappingKey::Custom(custom) => {
                self.repo
                    .find_user_by_ticket(enterprise_id, platform_id, custom)
                    .await?
            }
            MappingKey::Ours(id) => self.repo.find_user(UserId(*id)).await?,
        };
        let user = match user {
            Some(user) if user.enterprise_id == enterprise_id => user,
            _ => return Err(Error::not_found(NotFoundKind::User)),
        };
        let custom = match key {
            MappingKey::Custom(custom) => custom,
            MappingKey::Ours(_) => self
                .repo
                .user_ticket_of(enterprise_id, platform_id, user.id)
                .await?
                .unwrap_or_default(),
        };
        let enterprise = self.enterprise_record(enterprise_id).await?;
        Ok((UserWithEnterprise { user, enterprise }, custom))
    }

    /// Our id of the record a key names (`None` for a custom id nobody has), with its custom id.
    async fn org_mapping(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        kind: OrgKind,
        key: MappingKey,
    ) -> Result<Option<(i64, String)>> {
        Ok(match key {
            MappingKey::Custom(custom) => self
                .repo
                .find_org_ticket(enterprise_id, platform_id, kind, &custom)
                .await?
                .map(|id| (id, custom)),
            MappingKey::Ours(id) => {
                let custom = self.repo.org_ticket_of(enterprise_id, platform_id, kind, id).await?;
                Some((id, custom.unwrap_or_default()))
            }
        })
    }

    /// `mapping_department`.
    pub async fn mapping_department(
        &self,
        principal: &Principal,
        platform_id: i64,
        key: MappingKey,
    ) -> Result<(DepartmentView, String)> {
        let enterprise_id = principal.administered_enterprise()?;
        let platform_id = platform(platform_id)?;
        let Some((id, custom)) = self
            .org_mapping(enterprise_id, platform_id, OrgKind::Department, key)
            .await?
        else {
            return Err(Error::not_found(NotFoundKind::Department));
        };
        let view = self.department_info(principal, DepartmentId(id)).await?;
        Ok((view, custom))
    }

    /// `mapping_group`.
    pub async fn mapping_group(
        &self,
        principal: &Principal,
        platform_id: i64,
        key: MappingKey,
    ) -> Result<(Group, Users, String)> {
        let enterprise_id = principal.administered_enterprise()?;
        let platform_id = platform(platform_id)?;
        let Some((id, custom)) = self
            .org_mapping(enterprise_id, platform_id, OrgKind::Group, key)
            .await?
        else {
            return Err(Error::not_found(NotFoundKind::Group));
        };
        let (group, users) = self.group_info(principal, GroupId(id)).await?;
        Ok((group, users, custom))
    }

    pub(crate) async fn enterprise_record(&self, enterprise_id: EnterpriseId) -> Result<Enterprise> {
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))
    }

    /// A department or group named by its custom id on the platform or by our id.
    async fn resolve_org(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        kind: OrgKind,
        raw: &str,
    ) -> Result<Option<i64>> {
        if let Some(id) = self.repo.find_org_ticket(enterprise_id, platform_id, kind, raw).await? {
            return Ok(Some(id));
        }
        let Ok(id) = raw.parse::<i64>() else { return Ok(None) };
        let found = match kind {
            OrgKind::Department => self
                .repo
                .find_department(DepartmentId(id))
                .await?
                .filter(|department| department.enterprise_id == enterprise_id)
                .map(|department| department.id.0),
            OrgKind::Group => self
                .repo
                .find_group(GroupId(id))
                .await?
                .filter(|group| group.enterprise_id == enterprise_id)
                .map(|group| group.id.0),
        };
        Ok(found)
    }

    async fn sync_allowed(&self, enterprise_id: EnterpriseId) -> Result<Enterprise> {
        let enterprise = self.enterprise_record(enterprise_id).await?;
        if !enterprise.account_sync_enabled {
            return Err(Error::Refused(Refusal::EnterpriseNotEnableSyncAccount));
        }
        Ok(enterprise)
    }

    /// `sync_users`: creates or updates each account by its custom id, each on its own and
    /// all-or-nothing (account, custom id and memberships together).
    pub async fn sync_users(
        &self,
        principal: &Principal,
        platform_id: i64,
        sync: SyncUsers,
    ) -> Result<Vec<SyncOutcome>> {
        let enterprise_id = principal.administered_enterprise()?;
        let platform_id = platform(platform_id)?;
        let enterprise = self.sync_allowed(enterprise_id).await?;
        if sync.users.is_empty() {
            return Err(Error::invalid("users", "不能为空"));
        }
        if sync.users.len() > MAX_SYNC_ITEMS {
            return Err(Error::invalid("users", "一次最多500个"));
        }
        let department = match sync
            .default_department
            .as_deref()
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
        {
            None => None,
            Some(raw) => Some(DepartmentId(
                self.resolve_org(enterprise_id, platform_id, OrgKind::Department, raw)
                    .await?
                    .ok_or(Error::not_found(NotFoundKind::Department))?,
            )),
        };
        let group = match sync
            .default_group
            .as_deref()
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
        {
            None => None,
            Some(raw) => Some(GroupId(
                self.resolve_org(enterprise_id, platform_id, OrgKind::Group, raw)
                    .await?
                    .ok_or(Error::not_found(NotFoundKind::Group))?,
            )),
        };
        let default_password = sync
            .custom_password
            .as_deref()
            .map(|raw| Password::parse("custom_password", raw).map_err(|err| Error::Invalid(vec![err])))
            .transpose()?;
        let mut outcomes = Vec::with_capacity(sync.users.len());
        for record in sync.users {
            let custom = record.custom_id.clone().unwrap_or_default();
            let result = self
                .sync_one_user(
                    principal,
                    &enterprise,
                    platform_id,
                    record,
                    department,
                    group,
                    default_password.as_ref(),
                )
                .await;
            outcomes.push(outcome(custom, result.map(|(id, created)| (id.0, created))));
        }
        self.after_revocation().await?;
        Ok(outcomes)
    }

    #[allow(clippy::too_many_arguments)]
    async fn sync_one_user(
        &self,
        principal: &Principal,
        enterprise: &Enterprise,
        platform_id: i64,
        record: SyncUserRecord,
        department: Option<DepartmentId>,
        group: Option<GroupId>,
        default_password: Option<&Password>,
    ) -> Result<(UserId, bool)> {
        let custom = custom_id(record.custom_id.as_deref())?;
        let email = record
            .email
            .as_deref()
            .map(|raw| Email::parse("email", raw))
            .transpose();
        let phone = record
            .phone
            .as_deref()
            .map(|raw| Phone::parse("phone", raw))
            .transpose();
        let (Ok(email), Ok(phone)) = (email, phone) else {
            return Err(Error::Refused(Refusal::UserEmailOrPhoneInvalid));
        };
        let name = record
            .name
            .as_deref()
            .map(|raw| PersonName::parse("name", raw).map_err(|err| Error::Invalid(vec![err])))
            .transpose()?
            .map(PersonName::into_inner);
        let space_total = match record.space_total_gb {
            None => None,
            Some(gb) if gb < -1 => return Err(Error::invalid("space_total", "不能小于-1")),
            Some(-1) => Some(-1),
            Some(gb) => {
                let bytes = gb
                    .checked_mul(GIB)
                    .ok_or_else(|| Error::invalid("space_total", "过大"))?;
                if enterprise.space_total != -1 && bytes > enterprise.space_total {
                    return Err(Error::Refused(Refusal::UserSpaceTotalExceedsEnterpriseLimit));
                }
                Some(bytes)
            }
        };
        let force_active = record.force_active.unwrap_or(false);
        let password = match &record.password {
            Some(raw) => Some(Password::parse("password", raw).map_err(|err| Error::Invalid(vec![err]))?),
            None => None,
        };
        // The shared default is for new accounts only: an existing account keeps its password
        // unless its record brings one.
        let password_hash = password
            .as_ref()
            .map(|password| secrets::hash_password(password.expose()))
            .transpose()?;
        let new_password_hash = match (&password_hash, default_password) {
            (Some(hash), _) => Some(hash.clone()),
            (None, Some(default)) => Some(secrets::hash_password(default.expose())?),
            (None, None) => None,
        };
        let default_name = email
            .as_ref()
            .and_then(|email| email.as_str().split('@').next().map(str::to_owned))
            .or_else(|| record.phone.as_ref().map(|phone| phone.trim().to_owned()))
            .unwrap_or_else(|| custom.clone());
        let email = email.map(Email::into_inner);
        let phone = phone.map(Phone::into_inner);
        let sync = SyncUser {
            platform_id,
            custom_id: custom,
            new: NewUser {
                enterprise_id: enterprise.id,
                name: name.clone().unwrap_or(default_name),
                email: email.clone(),
                phone: phone.clone(),
                password_hash: new_password_hash,
                active: force_active,
                is_admin: false,
                hide_phone: record.hide_phone.unwrap_or(false),
                disable_download: record.disable_download.unwrap_or(false),
                space_total: space_total.unwrap_or(-1),
                created_at: self.clock.now(),
            },
            activate: force_active,
            changes: UserChanges {
                name,
                space_total,
                hide_phone: record.hide_phone,
                disable_download: record.disable_download,
            },
            email,
            phone,
            password_hash,
            department,
            group,
        };
        let existing = self
            .repo
            .find_user_by_ticket(enterprise.id, platform_id, &sync.custom_id)
            .await?;
        // An existing account keeps its login; a new one needs one.
        if sync.new.email.is_none() && sync.new.phone.is_none() && existing.is_none() {
            return Err(Error::invalid("email", "邮箱和手机号不能同时为空"));
        }
        let audit = match &existing {
            Some(user) => Audit::new(action::SET_MEMBER_PERMISSIONS, TargetKind::User, user.id.0, &user.name),
            None => Audit::new(action::INVITE_MEMBER, TargetKind::User, 0, &sync.new.name),
        }
        .with("custom_id", sync.custom_id.clone())
        .with("platform_id", platform_id);
        let (user, created) = self
            .audited(principal, enterprise.id, audit, self.repo.sync_user(sync))
            .await?;
        Ok((user.id, created))
    }

    /// `sync_departments`: creates or renames and moves each department by its custom id, in
    /// the order given (a parent before its children).
    pub async fn sync_departments(
        &self,
        principal: &Principal,
        platform_id: i64,
        records: Vec<SyncOrgRecord>,
    ) -> Result<Vec<SyncOutcome>> {
        let enterprise_id = principal.administered_enterprise()?;
        let platform_id = platform(platform_id)?;
        self.sync_allowed(enterprise_id).await?;
        check_batch(&records, "departments")?;
        let mut outcomes = Vec::with_capacity(records.len());
        for record in records {
            let custom = record.custom_id.clone().unwrap_or_default();
            let result = self
                .sync_one_department(principal, enterprise_id, platform_id, record)
                .await;
            outcomes.push(outcome(custom, result));
        }
        Ok(outcomes)
    }

    async fn sync_one_department(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        record: SyncOrgRecord,
    ) -> Result<(i64, bool)> {
        let custom = custom_id(record.custom_id.as_deref())?;
        let parent = match record
            .parent_custom_id
            .as_deref()
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
        {
            None => ROOT_DEPARTMENT,
            Some(raw) => DepartmentId(
                self.repo
                    .find_org_ticket(enterprise_id, platform_id, OrgKind::Department, raw)
                    .await?
                    .ok_or(Error::not_found(NotFoundKind::Department))?,
            ),
        };
        let existing = self
            .repo
            .find_org_ticket(enterprise_id, platform_id, OrgKind::Department, &custom)
            .await?;
        if let Some(id) = existing {
            let edit = crate::services::DepartmentEdit {
                name: record.name,
                parent_id: Some(parent.0),
                ..Default::default()
            };
            self.update_department(principal, DepartmentId(id), edit).await?;
            return Ok((id, false));
        }
        let name = PersonName::parse("name", record.name.as_deref().unwrap_or_default())
            .map_err(|err| Error::Invalid(vec![err]))?
            .into_inner();
        let parent_department = self.department_of(enterprise_id, parent).await?;
        let inherited = parent != ROOT_DEPARTMENT;
        let enterprise = self.enterprise_record(enterprise_id).await?;
        let space_total = if enterprise.space_total == -1 {
            20 * GIB
        } else {
            (20 * GIB).min(enterprise.space_total)
        };
        let audit =
            Audit::new(action::NEW_DEPARTMENT, TargetKind::Department, 0, &name).with("custom_id", custom.clone());
        let department = self
            .audited(
                principal,
                enterprise_id,
                audit,
                self.repo.create_department(NewDepartment {
                    enterprise_id,
                    parent_id: parent,
                    name_key: name_key(&name),
                    name,
                    director_id: None,
                    space_total,
                    hide_phone: inherited && parent_department.hide_phone,
                    disable_share: inherited && parent_department.disable_share,
                    enable_watermark: inherited && parent_department.enable_watermark,
                    collab_auto_accepted: false,
                    created_at: self.clock.now(),
                    ticket: Some((platform_id, custom)),
                }),
            )
            .await?;
        Ok((department.id.0, true))
    }

    /// `sync_groups`: creates or updates each group by its custom id.
    pub async fn sync_groups(
        &self,
        principal: &Principal,
        platform_id: i64,
        records: Vec<SyncOrgRecord>,
    ) -> Result<Vec<SyncOutcome>> {
        let enterprise_id = principal.administered_enterprise()?;
        let platform_id = platform(platform_id)?;
        self.sync_allowed(enterprise_id).await?;
        check_batch(&records, "groups")?;
        let mut outcomes = Vec::with_capacity(records.len());
        for record in records {
            let custom = record.custom_id.clone().unwrap_or_default();
            let result = self.sync_one_group(principal, enterprise_id, platform_id, record).await;
            outcomes.push(outcome(custom, result));
        }
        Ok(outcomes)
    }

    async fn sync_one_group(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        record: SyncOrgRecord,
    ) -> Result<(i64, bool)> {
        let custom = custom_id(record.custom_id.as_deref())?;
        let existing = self
            .repo
            .find_org_ticket(enterprise_id, platform_id, OrgKind::Group, &custom)
            .await?;
        if let Some(id) = existing {
            let spec = crate::services::GroupSpec {
                name: record.name,
                description: record.description,
                ..Default::default()
            };
            self.update_group(principal, GroupId(id), spec).await?;
            return Ok((id, false));
        }
        let name = PersonName::parse("name", record.name.as_deref().unwrap_or_default())
            .map_err(|err| Error::Invalid(vec![err]))?
            .into_inner();
        let audit = Audit::new(action::NEW_GROUP, TargetKind::Group, 0, &name).with("custom_id", custom.clone());
        let group = self
            .audited(
                principal,
                enterprise_id,
                audit,
                self.repo.create_group(NewGroup {
                    enterprise_id,
                    name_key: name_key(&name),
                    name,
                    description: record.description.unwrap_or_default(),
                    admin_user_id: None,
                    is_visible: false,
                    collab_auto_accepted: true,
                    created_at: self.clock.now(),
                    ticket: Some((platform_id, custom)),
                }),
            )
            .await?;
        Ok((group.id.0, true))
    }
}

fn check_batch(records: &[SyncOrgRecord], field: &str) -> Result<()> {
    if records.is_empty() {
        return Err(Error::invalid(field, "不能为空"));
    }
    if records.len() > MAX_SYNC_ITEMS {
        return Err(Error::invalid(field, "一次最多500个"));
    }
    Ok(())
}

fn outcome(custom_id: String, result: Result<(i64, bool)>) -> SyncOutcome {
    match result {
        Ok((id, created)) => SyncOutcome {
            custom_id,
            id: Some(id),
            created,
            error: None,
        },
        Err(error) => SyncOutcome {
            custom_id,
            id: None,
            created: false,
            error: Some(error),
        },
    }
}

/// How many departments one `get_file_manager_info` call asks about.
pub const MAX_FILE_MANAGER_DEPARTMENTS: usize = 200;

/// A department and its file managers, each with the integrator's ids (`get_file_manager_info`).
#[derive(Debug, Clone)]
pub struct DepartmentFileManagers {
    pub department: DepartmentId,
    pub custom_department_id: String,
    pub managers: Vec<ManagerWithIds>,
}

#[derive(Debug, Clone)]
pub struct ManagerWithIds {
    pub user: crate::model::User,
    pub custom_id: String,
    /// The manager's departments: ours, the integrator's id and the name.
    pub departments: Vec<(DepartmentId, String, String)>,
}

impl Core {
    /// `admin/platform/{id}/get_file_manager_info`: for each department (the integrator's id,
    /// or ours), its file managers with their custom ids and departments. Ids that name no
    /// department of the enterprise are left out of the answer.
    pub async fn file_manager_info(
        &self,
        principal: &Principal,
        platform_id: i64,
        departments: &[String],
    ) -> Result<Vec<DepartmentFileManagers>> {
        let enterprise_id = principal.administered_enterprise()?;
        let platform_id = platform(platform_id)?;
        if departments.len() > MAX_FILE_MANAGER_DEPARTMENTS {
            return Err(Error::invalid("department_ids", "一次最多200个部门"));
        }
        let mut answer = Vec::new();
        for raw in departments {
            let Some(id) = self
                .resolve_org(enterprise_id, platform_id, OrgKind::Department, raw.trim())
                .await?
            else {
                continue;
            };
            let department = DepartmentId(id);
            let custom_department_id = self
                .repo
                .org_ticket_of(enterprise_id, platform_id, OrgKind::Department, id)
                .await?
                .unwrap_or_default();
            let ids = self.repo.list_file_managers(department).await?;
            let mut managers = Vec::new();
            for user in self.repo.list_users_by_id(&ids).await? {
                let custom_id = self
                    .repo
                    .user_ticket_of(enterprise_id, platform_id, user.id)
                    .await?
                    .unwrap_or_default();
                let mut departments = Vec::new();
                for joined in self.repo.list_user_departments(user.id).await? {
                    let custom = self
                        .repo
                        .org_ticket_of(enterprise_id, platform_id, OrgKind::Department, joined.id.0)
                        .await?
                        .unwrap_or_default();
                    departments.push((joined.id, custom, joined.name));
                }
                managers.push(ManagerWithIds {
                    user,
                    custom_id,
                    departments,
                });
            }
            answer.push(DepartmentFileManagers {
                department,
                custom_department_id,
                managers,
            });
        }
        Ok(answer)
    }
}

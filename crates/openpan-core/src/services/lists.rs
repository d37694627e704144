//! Lists by checked criteria (the OA dialect's list APIs and `/api/v1/org`): the enterprise's
//! users, departments and groups, a folder's items and the audit log, with the visibility rules
//! of the `/api/v2` lists they mirror. These dialects have only user tokens, so a user token of
//! an administrator counts as one here (`Core::administers`).

use crate::audit::StoredEvent;
use crate::auth::Principal;
use crate::collab::Capability;
use crate::criteria::{AuditField, Criteria, DepartmentField, GroupField, ItemField, UserField};
use crate::drive::{Item, ItemKind};
use crate::error::Result;
use crate::ids::ItemId;
use crate::model::User;
use crate::org::{Department, Group};
use crate::services::Core;
use crate::services::drive::Reached;

/// One page of a list and the size of the whole selection.
#[derive(Debug, Clone)]
pub struct Found<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

impl<T> Found<T> {
    fn checked<F>(criteria: &Criteria<F>, (rows, total): (Vec<T>, i64)) -> Result<Self>
    where
        F: crate::criteria::Field,
    {
        criteria.check_total(total)?;
        Ok(Self { rows, total })
    }
}

impl Core {
    /// The enterprise directory. Phones their owners hide stay hidden from all but
    /// administrators, in conditions and order too, and membership of groups the caller does
    /// not see cannot be tested; the flag says whether the caller sees hidden phones.
    pub async fn find_users(
        &self,
        principal: &Principal,
        criteria: &Criteria<UserField>,
    ) -> Result<(Found<User>, bool)> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let sees_hidden_phones = self.administers(principal).await?;
        let viewer = if sees_hidden_phones {
            None
        } else {
            Some(principal.user_id().ok_or(crate::Error::PermissionDenied)?)
        };
        let found = self.repo.find_users(enterprise_id, criteria, viewer).await?;
        Ok((Found::checked(criteria, found)?, sees_hidden_phones))
    }

    /// The enterprise's departments, the whole tree flat.
    pub async fn find_departments(
        &self,
        principal: &Principal,
        criteria: &Criteria<DepartmentField>,
    ) -> Result<Found<Department>> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        Found::checked(criteria, self.repo.find_departments(enterprise_id, criteria).await?)
    }

    /// The groups the caller sees: all for administrators, else visible ones and their own.
    pub async fn find_groups(&self, principal: &Principal, criteria: &Criteria<GroupField>) -> Result<Found<Group>> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let viewer = if self.administers(principal).await? {
            None
        } else {
            principal.user_id()
        };
        Found::checked(criteria, self.repo.find_groups(enterprise_id, viewer, criteria).await?)
    }

    /// The live items of a folder the caller may list (0: their personal root).
    pub async fn find_folder_items(
        &self,
        principal: &Principal,
        folder: ItemId,
        criteria: &Criteria<ItemField>,
    ) -> Result<Found<Item>> {
        let Reached { item: parent, .. } = self
            .live_reached(principal, folder, ItemKind::Folder, Capability::List)
            .await?;
        Found::checked(criteria, self.repo.find_children(parent.id, criteria).await?)
    }

    /// The enterprise's audit log, for its administrators only.
    pub async fn find_audit_events(
        &self,
        principal: &Principal,
        criteria: &Criteria<AuditField>,
    ) -> Result<Found<StoredEvent>> {
        let enterprise_id = self.administered(principal).await?;
        Found::checked(criteria, self.repo.find_audit_events(enterprise_id, criteria).await?)
    }
}

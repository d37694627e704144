//! Collaborations: inviting users, groups and departments to folders with a role, changing
//! and ending those invitations, and the folders shared with the caller.
//!
//! What a collaboration lets its holder do is decided where every item is reached
//! (`Core::reach` and `collab::Role::allows`); this module only keeps the invitations.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::audit::action;
use crate::auth::Principal;
use crate::collab::{Accessor, Capability, Collab, Grant, MAX_INVITATION_CHARS, NewCollab, Role};
use crate::drive::{Item, ItemKind, PathEntry, Sort, SortKey, Space};
use crate::error::{ConflictKind, Error, NotFoundKind, Refusal, RepoError, Result, gone};
use crate::ids::{CollabId, ItemId, UserId};
use crate::model::{Page, User};
use crate::services::Core;
use crate::services::audit_log::Audit;
use crate::services::drive::{Access, ItemListing, Reached, viewer};

/// A collaboration with what clients are shown of its folder and accessor.
#[derive(Debug, Clone)]
pub struct CollabView {
    pub collab: Collab,
    pub folder_name: String,
    /// The user's, group's or department's name.
    pub accessor_name: String,
    /// The invited user, for the `user` field some clients read.
    pub user: Option<User>,
}

/// `folder/{id}/collabs`: the caller's role, the owner and every collaboration.
#[derive(Debug, Clone)]
pub struct FolderCollabs {
    pub final_role: Role,
    pub owner: Option<User>,
    pub collabs: Vec<CollabView>,
}

/// One invitation of a request: who, with which role (as the client spelled it).
#[derive(Debug, Clone)]
pub struct Invitation {
    pub accessor: Accessor,
    pub role: String,
}

/// The grants that reach one user, by folder, to work out what they may do to items whose
/// ancestors are known (search hits, shared folders) without a query per item.
#[derive(Debug, Clone, Default)]
pub struct GrantMap(HashMap<ItemId, Vec<Role>>);

impl GrantMap {
    pub fn new(grants: &[Grant]) -> Self {
        let mut map: HashMap<ItemId, Vec<Role>> = HashMap::new();
        for grant in grants {
            map.entry(grant.folder).or_default().push(grant.role);
        }
        Self(map)
    }

    /// What the grants give on an item below `path` (from its space's root down to its parent).
    pub fn access(&self, path: &[PathEntry], item: ItemId) -> Access {
        let chain = path.iter().map(|entry| entry.id).chain([item]);
        Access::from_grants(chain.flat_map(|folder| {
            self.0
                .get(&folder)
                .into_iter()
                .flatten()
                .map(move |role| (folder, *role))
        }))
    }

    /// The folders whose own grants let the holder see them and what is below.
    pub fn listable(&self) -> Vec<ItemId> {
        self.folders_where(|role| role.allows(Capability::List))
    }

    /// Every folder with a grant that gives something.
    pub fn folders(&self) -> Vec<ItemId> {
        self.folders_where(|role| role != Role::Reset)
    }

    fn folders_where(&self, wanted: impl Fn(Role) -> bool) -> Vec<ItemId> {
        let mut folders: Vec<ItemId> = self
            .0
            .iter()
            .filter(|(_, roles)| roles.iter().any(|role| wanted(*role)))
            .map(|(folder, _)| *folder)
            .collect();
        folders.sort();
        folders
    }
}

/// The role of an invitation: any the platform names but `reset`, which only takes one back.
fn invited_role(raw: &str) -> Result<Role> {
    match Role::parse_grant(raw) {
        Some(Role::Reset) | None => Err(Error::Refused(Refusal::CollabRoleInvalid)),
        Some(role) => Ok(role),
    }
}

fn collab_not_found() -> Error {
    Error::not_found(NotFoundKind::Collab)
}

/// How the audit log and the event log name a collaboration change.
/// (`None`: the collaboration the write creates, whose id the repository fills in).
fn collab_audit(
    action: i32,
    folder: &Item,
    collab_id: Option<CollabId>,
    accessor: Accessor,
    role: Role,
    event: &'static str,
) -> Audit {
    let mut audit = Audit::item(action, folder);
    if let Some(id) = collab_id {
        audit = audit.with("collab_id", id.0);
    }
    audit
        .with("accessible_by_type", accessor.type_name())
        .with("accessible_by_id", accessor.id())
        .with("role", role.as_str())
        .with("folder_id", folder.id.0)
        .feed(event, collab_id.map_or(0, |id| id.0))
}

impl Core {
    /// `collab/invite` and `collab/invite_batch`: invites each accessor to `folder` with its
    /// role, all or none. Users are in at once; a group or department waits for its
    /// administrator unless it accepts collaborations automatically.
    pub async fn invite_collaborators(
        &self,
        principal: &Principal,
        folder: ItemId,
        invitations: &[Invitation],
        message: Option<&str>,
    ) -> Result<Vec<CollabView>> {
        let message = message.unwrap_or_default().trim().to_owned();
        if message.chars().count() > MAX_INVITATION_CHARS {
            return Err(Error::invalid("invitation_message", "长度不能超过140个字符"));
        }
        if invitations.is_empty() {
            return Err(Error::invalid("accessible_by", "不能为空"));
        }
        let roles = invitations
            .iter()
            .map(|invitation| invited_role(&invitation.role))
            .collect::<Result<Vec<Role>>>()?;
        let (me, _) = self.personal_space(principal).await?;
        let folder = self.collab_folder(principal, folder).await?;
        let mut seen = HashSet::new();
        let mut new = Vec::with_capacity(invitations.len());
        let mut audits = Vec::with_capacity(invitations.len());
        for (invitation, role) in invitations.iter().zip(roles) {
            if !seen.insert(invitation.accessor) {
                return Err(Error::Refused(Refusal::CollabUserHasBeenInvited));
            }
            let accepted = self.check_accessor(&folder, invitation.accessor).await?;
            new.push(NewCollab {
                enterprise_id: me.user.enterprise_id,
                folder_id: folder.id,
                accessor: invitation.accessor,
                role,
                accepted,
                invited_by: me.user.id,
                message: message.clone(),
                at: self.clock.now(),
            });
            audits.push(collab_audit(
                action::INVITE_COLLABORATOR,
                &folder,
                None,
                invitation.accessor,
                role,
                "collab.invited",
            ));
        }
        let ids = match self
            .audited_each(principal, me.user.enterprise_id, audits, self.repo.create_collabs(&new))
            .await
        {
            Ok(ids) => ids,
            Err(RepoError::Conflict(ConflictKind::CollabExists)) => {
                return Err(Error::Refused(Refusal::CollabUserHasBeenInvited));
            }
            Err(RepoError::NotFound) => return Err(Error::Refused(Refusal::CollabRelatedFolderDeleted)),
            Err(err) => return Err(err.into()),
        };
        let mut views = Vec::with_capacity(ids.len());
        for id in ids {
            let collab = self.repo.find_collab(id).await?.ok_or_else(collab_not_found)?;
            views.push(self.collab_view(collab, &folder).await?);
        }
        Ok(views)
    }

    /// A live folder (not a space's root) the caller may invite others to.
    async fn collab_folder(&self, principal: &Principal, folder: ItemId) -> Result<Item> {
        let reached = self.reach(principal, folder, ItemKind::Folder).await?;
        if reached.item.is_root() {
            return Err(Error::PermissionDenied);
        }
        if reached.item.trash.is_some() {
            return Err(Error::Refused(Refusal::CollabRelatedFolderDeleted));
        }
        reached.require(Capability::Invite)?;
        Ok(reached.item)
    }

    /// Whether `accessor` may be invited to `folder`, and whether the invitation counts at once.
    async fn check_accessor(&self, folder: &Item, accessor: Accessor) -> Result<bool> {
        match accessor {
            Accessor::User(id) => {
                // Another enterprise's user answers as a missing one, so that no id tells that
                // it exists elsewhere on the server.
                let user = match self.repo.find_user(id).await? {
                    Some(user) if user.enterprise_id == folder.enterprise_id => user,
                    _ => return Err(Error::not_found(NotFoundKind::User)),
                };
                if user.id == folder.owner_id || folder.space == Space::Personal(user.id) {
                    return Err(Error::Refused(Refusal::CannotInviteItemOwner));
                }
                Ok(true)
            }
            Accessor::Group(id) => match self.repo.find_group(id).await? {
                Some(group) if group.enterprise_id == folder.enterprise_id => Ok(group.collab_auto_accepted),
                _ => Err(Error::not_found(NotFoundKind::Group)),
            },
            Accessor::Department(id) => match self.repo.find_department(id).await? {
                Some(department) if department.enterprise_id == folder.enterprise_id => {
                    Ok(department.collab_auto_accepted)
                }
                _ => Err(Error::not_found(NotFoundKind::Department)),
            },
        }
    }

    async fn collab_view(&self, collab: Collab, folder: &Item) -> Result<CollabView> {
        let (accessor_name, user) = match collab.accessor {
            Accessor::User(id) => {
                let user = self.repo.list_users_by_id(&[id]).await?.into_iter().next();
                (user.as_ref().map(|user| user.name.clone()).unwrap_or_default(), user)
            }
            Accessor::Group(id) => (
                self.repo
                    .find_group(id)
                    .await?
                    .map(|group| group.name)
                    .unwrap_or_default(),
                None,
            ),
            Accessor::Department(id) => (
                self.repo
                    .find_department(id)
                    .await?
                    .map(|department| department.name)
                    .unwrap_or_default(),
                None,
            ),
        };
        Ok(CollabView {
            collab,
            folder_name: folder.name.clone(),
            accessor_name,
            user,
        })
    }

    /// A collaboration of `user`'s enterprise (others' answer as missing).
    async fn enterprise_collab(&self, user: &User, id: CollabId) -> Result<Collab> {
        self.repo
            .find_collab(id)
            .await?
            .filter(|collab| collab.enterprise_id == user.enterprise_id)
            .ok_or_else(collab_not_found)
    }

    /// A collaboration of the caller's enterprise on a folder the caller reaches (or one
    /// inviting the caller), with the folder and what the caller may do to it.
    async fn reached_collab(&self, principal: &Principal, id: CollabId) -> Result<(Collab, Reached)> {
        let (me, _) = self.personal_space(principal).await?;
        let collab = self.enterprise_collab(&me.user, id).await?;
        let folder = self
            .repo
            .find_item(collab.folder_id)
            .await?
            .ok_or_else(collab_not_found)?;
        let access = self.access_to(me.user.id, &folder).await?;
        if !access.reaches() && collab.accessor != Accessor::User(me.user.id) {
            return Err(collab_not_found());
        }
        if folder.trash.is_some() {
            return Err(Error::Refused(Refusal::CollabRelatedFolderDeleted));
        }
        Ok((collab, Reached { item: folder, access }))
    }

    /// `collab/{id}/info`.
    pub async fn collab_info(&self, principal: &Principal, id: CollabId) -> Result<CollabView> {
        let (collab, reached) = self.reached_collab(principal, id).await?;
        self.collab_view(collab, &reached.item).await
    }

    /// `collab/{id}/update`: a new role; `reset` keeps the invitation but gives nothing.
    pub async fn update_collab(&self, principal: &Principal, id: CollabId, role: &str) -> Result<CollabView> {
        let role = Role::parse_grant(role).ok_or(Error::Refused(Refusal::CollabRoleInvalid))?;
        let (collab, reached) = self.reached_collab(principal, id).await?;
        reached.require(Capability::Invite)?;
        let folder = reached.item;
        let audit = collab_audit(
            action::CHANGE_COLLAB_ROLE,
            &folder,
            Some(collab.id),
            collab.accessor,
            role,
            "collab.updated",
        )
        .with("old_role", collab.role.as_str());
        let write = self.repo.update_collab(collab.id, Some(role), false, self.clock.now());
        let updated = self
            .audited(principal, folder.enterprise_id, audit, write)
            .await
            .map_err(gone(collab_not_found))?;
        self.collab_view(updated, &folder).await
    }

    /// `collab/{id}/accept`: the group's administrator or the department's director takes a
    /// waiting invitation in for everyone in it.
    pub async fn accept_collab(&self, principal: &Principal, id: CollabId) -> Result<CollabView> {
        let (me, _) = self.personal_space(principal).await?;
        let collab = self.enterprise_collab(&me.user, id).await?;
        let (admin, action) = match collab.accessor {
            Accessor::User(_) => (None, action::ACCEPT_GROUP_COLLAB),
            Accessor::Group(group) => (
                self.repo.find_group(group).await?.and_then(|group| group.admin_user_id),
                action::ACCEPT_GROUP_COLLAB,
            ),
            Accessor::Department(department) => (
                self.repo
                    .find_department(department)
                    .await?
                    .and_then(|department| department.director_id),
                action::ACCEPT_DEPARTMENT_COLLAB,
            ),
        };
        if admin != Some(me.user.id) {
            return Err(collab_not_found());
        }
        let folder = self
            .repo
            .find_item(collab.folder_id)
            .await?
            .ok_or_else(collab_not_found)?;
        if folder.trash.is_some() {
            return Err(Error::Refused(Refusal::CollabRelatedFolderDeleted));
        }
        if collab.accepted {
            return self.collab_view(collab, &folder).await;
        }
        let audit = collab_audit(
            action,
            &folder,
            Some(collab.id),
            collab.accessor,
            collab.role,
            "collab.accepted",
        );
        let write = self.repo.update_collab(collab.id, None, true, self.clock.now());
        let accepted = self
            .audited(principal, folder.enterprise_id, audit, write)
            .await
            .map_err(gone(collab_not_found))?;
        self.collab_view(accepted, &folder).await
    }

    /// `collab/{id}/delete`: by whoever may invite to the folder, or by the invited user
    /// leaving.
    pub async fn delete_collab(&self, principal: &Principal, id: CollabId) -> Result<()> {
        self.delete_collabs(principal, None, &[id]).await
    }

    /// `collab/remove`: several collaborations of `folder`, all or none.
    pub async fn remove_collabs(&self, principal: &Principal, folder: ItemId, ids: &[CollabId]) -> Result<()> {
        self.delete_collabs(principal, Some(folder), ids).await
    }

    /// Ends collaborations (of `folder`, when given) in one transaction, once each is checked:
    /// by whoever may invite on its folder, or the invited user leaving.
    async fn delete_collabs(&self, principal: &Principal, folder: Option<ItemId>, ids: &[CollabId]) -> Result<()> {
        let mut audits = Vec::with_capacity(ids.len());
        let mut checked = Vec::with_capacity(ids.len());
        let mut enterprise = None;
        for id in ids {
            if checked.contains(id) {
                continue;
            }
            let (collab, reached) = self.reached_collab(principal, *id).await?;
            if folder.is_some_and(|folder| folder != collab.folder_id) {
                return Err(collab_not_found());
            }
            let leaving = Some(collab.accessor) == principal.user_id().map(Accessor::User);
            if !leaving {
                reached.require(Capability::Invite)?;
            }
            enterprise = Some(reached.item.enterprise_id);
            audits.push(collab_audit(
                action::REMOVE_COLLABORATOR,
                &reached.item,
                Some(collab.id),
                collab.accessor,
                collab.role,
                "collab.removed",
            ));
            checked.push(collab.id);
        }
        let Some(enterprise) = enterprise else {
            return Ok(());
        };
        // Deleted in id order, so two removals of the same collaborations never wait crosswise.
        checked.sort();
        self.audited_each(principal, enterprise, audits, self.repo.delete_collabs(&checked))
            .await
            .map_err(gone(collab_not_found))
    }

    /// `folder/{id}/collabs`: the caller's role on the folder, its owner and its
    /// collaborations.
    pub async fn folder_collabs(&self, principal: &Principal, folder: ItemId) -> Result<FolderCollabs> {
        let reached = self
            .live_reached(principal, folder, ItemKind::Folder, Capability::List)
            .await?;
        let folder = reached.item;
        let final_role = reached.access.grants.final_role().unwrap_or(Role::Reset);
        let owner = self.repo.list_users_by_id(&[folder.owner_id]).await?.into_iter().next();
        let mut collabs = Vec::new();
        for collab in self.repo.list_folder_collabs(folder.id).await? {
            collabs.push(self.collab_view(collab, &folder).await?);
        }
        Ok(FolderCollabs {
            final_role,
            owner,
            collabs,
        })
    }

    /// `folder/collab_folders`: the folders others invited the caller to (directly, through a
    /// group or a department), live, in the asked order.
    pub async fn collab_folders(&self, principal: &Principal, sort: Sort, page: Page) -> Result<ItemListing> {
        let (me, personal) = self.personal_space(principal).await?;
        let grants = self.grant_map(me.user.id).await?;
        let mut worked: HashSet<Space> = self
            .repo
            .list_space_roots(Some(me.user.id))
            .await?
            .iter()
            .map(|root| root.space)
            .collect();
        worked.insert(personal);
        let mut folders = self.shared_folders(&me.user, &grants.folders(), &worked).await?;
        folders.sort_by(|a, b| {
            let order = match sort.by {
                SortKey::Name => crate::drive::name_key(&a.name).cmp(&crate::drive::name_key(&b.name)),
                SortKey::Date => a.modified_at.cmp(&b.modified_at),
                SortKey::Size => a.size.cmp(&b.size),
            }
            .then(a.id.cmp(&b.id));
            if sort.descending { order.reverse() } else { order }
        });
        let total = folders.len() as i64;
        let start = usize::try_from(page.offset()).unwrap_or(usize::MAX).min(folders.len());
        let end = start
            .saturating_add(usize::try_from(page.capacity).unwrap_or(usize::MAX))
            .min(folders.len());
        let items: Vec<Item> = folders.drain(start..end).collect();
        self.listing(viewer(principal), items, None, total, page, &|item, path| {
            Arc::new(grants.access(path, item.id))
        })
        .await
    }

    /// Which of `folders` (granted to `user`) are live folders of their enterprise outside the
    /// spaces they work in: the folders shared with them.
    pub(crate) async fn shared_folders(
        &self,
        user: &User,
        folders: &[ItemId],
        worked: &HashSet<Space>,
    ) -> Result<Vec<Item>> {
        Ok(self
            .repo
            .list_items_by_id(folders)
            .await?
            .into_iter()
            .filter(|item| {
                item.enterprise_id == user.enterprise_id
                    && item.trash.is_none()
                    && item.is_folder()
                    && !worked.contains(&item.space)
            })
            .collect())
    }

    /// The grants reaching `user`, by folder.
    pub(crate) async fn grant_map(&self, user: UserId) -> Result<GrantMap> {
        Ok(GrantMap::new(&self.repo.grants_of(user).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64) -> PathEntry {
        PathEntry {
            id: ItemId(id),
            name: format!("f{id}"),
            is_root: id == 1,
        }
    }

    #[test]
    fn grants_above_an_item_add_up_and_the_outermost_starts_the_view() {
        let map = GrantMap::new(&[
            Grant {
                folder: ItemId(3),
                role: Role::Viewer,
            },
            Grant {
                folder: ItemId(2),
                role: Role::Previewer,
            },
            Grant {
                folder: ItemId(9),
                role: Role::Editor,
            },
        ]);
        let access = map.access(&[entry(1), entry(2), entry(3)], ItemId(4));
        assert_eq!(access.grants.final_role(), Some(Role::Viewer));
        assert_eq!(access.shared_from, Some(ItemId(2)));
        assert!(access.allows(Capability::Download));
        assert!(!access.allows(Capability::Upload));
        let path = access.visible_path(vec![entry(1), entry(2), entry(3)], ItemId(4));
        let ids: Vec<i64> = path.iter().map(|entry| entry.id.0).collect();
        assert_eq!(ids, [0, 2, 3], "the owner's folders above the shared one stay hidden");
        assert!(!map.access(&[entry(1)], ItemId(5)).reaches());
    }

    #[test]
    fn a_reset_grant_gives_nothing_and_uploaders_are_not_listable() {
        let map = GrantMap::new(&[
            Grant {
                folder: ItemId(2),
                role: Role::Reset,
            },
            Grant {
                folder: ItemId(3),
                role: Role::Uploader,
            },
        ]);
        assert!(!map.access(&[entry(1)], ItemId(2)).reaches());
        assert_eq!(map.folders(), [ItemId(3)]);
        assert!(map.listable().is_empty());
        assert_eq!(
            invited_role("reset").unwrap_err().to_string(),
            "refused: CollabRoleInvalid"
        );
        assert_eq!(invited_role("edit").unwrap(), Role::Editor);
    }
}

//! Folders and files: reading, listing, creating, renaming, moving, copying and the trash.
//!
//! Access rule until collaboration exists (issue #6): a user reaches exactly the items of their
//! own personal space. Anything else, including items of other enterprises, answers like a
//! missing item, so ids never leak what exists.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::audit::{TargetKind, action};
use crate::auth::{Principal, PrincipalKind};
use crate::collab::{Capability, Grants, Role};
use crate::drive::{
    Item, ItemKind, ItemName, KindFilter, MAX_PATH_SEGMENTS, Marker, NameError, PathEntry, PathError, Sort, Space,
    name_key, parse_folder_path,
};
use crate::error::{ConflictKind, Error, NotFoundKind, Refusal, RepoError, Result};
use crate::ids::{DepartmentId, ItemId, UserId};
use crate::model::{Page, User, UserWithEnterprise};
use crate::ports::NewFolder;
use crate::services::Core;
use crate::services::audit_log::Audit;

/// The users items mention (owners, editors, trashers), by id.
#[derive(Debug, Clone, Default)]
pub struct Users(HashMap<UserId, User>);

impl Users {
    pub fn get(&self, id: UserId) -> Option<&User> {
        self.0.get(&id)
    }
}

/// An item with the folders above it.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: Item,
    /// From the space's root (or, for the caller's collaborations, from the root of what they
    /// see) down to the parent; shared by the items of one listing.
    pub path: Arc<Vec<PathEntry>>,
    /// What the viewer may do to it.
    pub access: Arc<Access>,
    /// A folder with collaborations on it.
    pub shared: bool,
}

/// One item, ready to render.
#[derive(Debug, Clone)]
pub struct ItemDetail {
    pub view: ItemView,
    pub users: Users,
    /// Whether the viewer put it on their frequent list (then it holds its id).
    pub frequent: HashSet<ItemId>,
}

/// A page of items, ready to render.
#[derive(Debug, Clone)]
pub struct ItemListing {
    pub items: Vec<ItemView>,
    pub total: i64,
    pub page: Page,
    pub users: Users,
    /// The listed items the viewer put on their frequent list.
    pub frequent: HashSet<ItemId>,
    /// Where to continue by key, when there may be more.
    pub next_marker: Option<String>,
}

/// The state a page of a folder's children was (or would be) rendered from, as far as a cache
/// of rendered pages needs to know: who looks at which folder, and the change counters of the
/// folder's space and enterprise directory. Any write that could change the page moves one of
/// the counters in the same transaction, so a page cached under an equal stamp is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListingStamp {
    pub viewer: UserId,
    pub folder: ItemId,
    /// Where the viewer's view of the folder starts (paths change with it).
    pub shared_from: Option<ItemId>,
    /// The root of the folder's space: generations are per space.
    pub space_root: ItemId,
    pub space_generation: i64,
    pub directory_generation: i64,
}

/// What the caller may do to an item, and from where they see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub grants: Grants,
    /// Reached only through collaborations: the outermost folder they start at. The caller
    /// sees nothing above it (paths begin there, under a root of their own).
    pub shared_from: Option<ItemId>,
}

impl Access {
    /// Everything: an item of a space the caller works in.
    pub fn owner() -> Self {
        Self {
            grants: Grants(vec![Role::Owner]),
            shared_from: None,
        }
    }

    /// What collaborations on a chain of folders give, listed outermost first as
    /// `(folder, role)`.
    pub fn from_grants(grants: impl IntoIterator<Item = (ItemId, Role)>) -> Self {
        let mut roles = Vec::new();
        let mut shared_from = None;
        for (folder, role) in grants {
            if role != Role::Reset {
                shared_from.get_or_insert(folder);
                roles.push(role);
            }
        }
        Self {
            grants: Grants(roles),
            shared_from,
        }
    }

    /// What is left under `ceiling` (an embedded component's token): the roles up to the
    /// ceiling whose every capability this access has too.
    pub fn capped(self, ceiling: Role) -> Self {
        let fits = |role: Role| {
            Capability::ALL.iter().all(|capability| {
                !role.allows(*capability) || (ceiling.allows(*capability) && self.allows(*capability))
            })
        };
        let roles = [
            Role::ViewerUploader,
            Role::Viewer,
            Role::PreviewerUploader,
            Role::Previewer,
            Role::Uploader,
        ]
        .into_iter()
        .filter(|role| fits(*role))
        .collect();
        Self {
            grants: Grants(roles),
            shared_from: self.shared_from,
        }
    }

    /// Whether any grant gives anything at all.
    pub fn reaches(&self) -> bool {
        !self.grants.0.is_empty()
    }

    pub fn allows(&self, capability: Capability) -> bool {
        self.grants.allows(capability)
    }

    /// `path` (from the space's root down to the item's parent) as the caller may see it:
    /// whole, or from the folder the collaboration starts at, under a root of the caller's own.
    pub fn visible_path(&self, path: Vec<PathEntry>, item: ItemId) -> Vec<PathEntry> {
        let Some(top) = self.shared_from else { return path };
        let mut visible = vec![PathEntry {
            id: ItemId(0),
            name: String::new(),
            is_root: true,
        }];
        if top != item
            && let Some(start) = path.iter().position(|entry| entry.id == top)
        {
            visible.extend(path.into_iter().skip(start));
        }
        visible
    }
}

/// A reachable item and what the caller may do to it.
#[derive(Debug, Clone)]
pub(crate) struct Reached {
    pub item: Item,
    pub access: Access,
}

impl Reached {
    /// Refuses unless the caller may do `capability`: as forbidden when they may see the item
    /// (or it is the folder a collaboration gave them), as missing otherwise.
    pub(crate) fn require(&self, capability: Capability) -> Result<()> {
        if self.access.allows(capability) {
            return Ok(());
        }
        if self.access.allows(Capability::List) || self.access.shared_from == Some(self.item.id) {
            return Err(Error::PermissionDenied);
        }
        Err(not_found(self.item.kind))
    }
}

pub(crate) fn not_found(kind: ItemKind) -> Error {
    Error::not_found(match kind {
        ItemKind::Folder => NotFoundKind::Folder,
        ItemKind::File => NotFoundKind::File,
    })
}

/// The refusal for an item that is in the trash where a live one was needed.
pub(crate) fn deleted(kind: ItemKind) -> Error {
    Error::Refused(match kind {
        ItemKind::Folder => Refusal::FolderDeleted,
        ItemKind::File => Refusal::FileDeleted,
    })
}

/// The user a user token acts for; drive calls only come with user tokens.
pub(crate) fn viewer(principal: &Principal) -> UserId {
    principal.user_id().unwrap_or(UserId(0))
}

/// What to do when a copy's name is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    Fail,
    Rename,
}

/// How many numbered alternatives a clash is resolved with before giving up.
const MAX_RENAME_ATTEMPTS: u32 = 10_000;

impl Core {
    /// The caller (a user) and their personal space.
    pub(crate) async fn personal_space(&self, principal: &Principal) -> Result<(UserWithEnterprise, Space)> {
        let PrincipalKind::User { user_id, .. } = principal.kind() else {
            return Err(Error::PermissionDenied);
        };
        let me = self.current_user(principal).await?;
        Ok((me, Space::Personal(user_id)))
    }

    /// The root folder of the caller's personal space.
    async fn personal_root(&self, principal: &Principal) -> Result<Item> {
        let (me, space) = self.personal_space(principal).await?;
        Ok(self
            .repo
            .ensure_space_root(me.user.enterprise_id, space, me.user.id, self.clock.now())
            .await?)
    }

    /// Any item the caller may reach, in or out of the trash, with what they may do to it.
    /// Folder 0 is the caller's root. Anything out of reach answers as missing.
    pub(crate) async fn reach(&self, principal: &Principal, id: ItemId, kind: ItemKind) -> Result<Reached> {
        let reached = self.reach_unconfined(principal, id, kind).await?;
        match principal.root() {
            Some(root) => self.confine(principal, root, reached).await,
            None => Ok(reached),
        }
    }

    /// Whether `item` is `top` or below it (what a share link or an embedded component's token
    /// opens): `Some(whether top is a space's root)` if so, `None` otherwise.
    pub(crate) async fn under(&self, item: &Item, top: ItemId) -> Result<Option<bool>> {
        if item.id == top {
            return Ok(Some(item.is_root()));
        }
        let ancestors = self.repo.list_ancestors(item.id).await?;
        Ok(ancestors
            .iter()
            .find(|entry| entry.id == top)
            .map(|entry| entry.is_root))
    }

    /// [`Core::reach`] as the user of an embedded component's token would reach the item.
    async fn reach_unconfined(&self, principal: &Principal, id: ItemId, kind: ItemKind) -> Result<Reached> {
        if let PrincipalKind::Visitor { link_id, .. } = principal.kind() {
            let item = match self.repo.find_item(id).await? {
                Some(item) if item.kind == kind && id.0 > 0 => item,
                _ => return Err(not_found(kind)),
            };
            return self.visitor_reach(link_id, item).await?.ok_or_else(|| not_found(kind));
        }
        if id.0 == 0 && kind == ItemKind::Folder {
            return Ok(Reached {
                item: self.personal_root(principal).await?,
                access: Access::owner(),
            });
        }
        if id.0 <= 0 {
            return Err(not_found(kind));
        }
        let (me, _) = self.personal_space(principal).await?;
        let item = match self.repo.find_item(id).await? {
            Some(item) if item.kind == kind && item.enterprise_id == me.user.enterprise_id => item,
            _ => return Err(not_found(kind)),
        };
        let access = self.access_to(me.user.id, &item).await?;
        if !access.reaches() {
            return Err(not_found(kind));
        }
        Ok(Reached { item, access })
    }

    /// What `user` may do to `item` of their enterprise: everything in a space they work in,
    /// else what the collaborations on it and the folders above it give (one walk up), and at
    /// least a preview of a file put before them in an open review.
    pub(crate) async fn access_to(&self, user: UserId, item: &Item) -> Result<Access> {
        let mut access = self.granted_access(user, item).await?;
        if item.kind == ItemKind::File
            && !access.allows(Capability::Preview)
            && self.opened_by_review(user, item).await?
        {
            access.grants.0.push(Role::Previewer);
            access.shared_from.get_or_insert(item.id);
        }
        Ok(access)
    }

    /// [`Core::access_to`] without what reviews give.
    async fn granted_access(&self, user: UserId, item: &Item) -> Result<Access> {
        if self.works_in(user, item.space).await? {
            return Ok(Access::owner());
        }
        let grants = self.repo.grants_on(item.id, user).await?;
        Ok(Access::from_grants(
            grants.iter().map(|grant| (grant.folder, grant.role)),
        ))
    }

    /// Whether an open review puts `item` before `user` and its inviter may still share the
    /// file (sharing not switched off for them or the file): a review opens no more than its
    /// inviter could share, as a share link.
    async fn opened_by_review(&self, user: UserId, item: &Item) -> Result<bool> {
        let inviters = self.repo.review_inviters(user, item.id, self.clock.now()).await?;
        if inviters.is_empty() {
            return Ok(false);
        }
        let active = self.users_by_id(inviters.iter().copied().collect()).await?;
        for inviter in inviters {
            let still_active = active
                .get(inviter)
                .is_some_and(|found| found.active && found.enterprise_id == item.enterprise_id);
            if still_active
                && self.granted_access(inviter, item).await?.allows(Capability::Share)
                && !self.sharing_disabled(inviter, item).await?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether `user` works in `space`: their own personal space, or a department's they are a
    /// member, director or file manager of.
    pub(crate) async fn works_in(&self, user: UserId, space: Space) -> Result<bool> {
        match space {
            Space::Personal(owner) => Ok(owner == user),
            Space::Department(department) => Ok(self.repo.works_in_department(department, user).await?),
        }
    }

    /// The root of a department's space (folder 0 with a `department_id`), created on first
    /// use; only for those who work in it. What it holds is owned, for the record, by the
    /// enterprise's administrator, and counts against the department's space.
    pub async fn department_root(&self, principal: &Principal, department: DepartmentId) -> Result<Item> {
        let (me, _) = self.personal_space(principal).await?;
        let found = self.repo.find_department(department).await?;
        let department = match found {
            Some(found) if found.enterprise_id == me.user.enterprise_id => found,
            _ => return Err(Error::not_found(NotFoundKind::Department)),
        };
        if !self.repo.works_in_department(department.id, me.user.id).await? {
            return Err(Error::not_found(NotFoundKind::Department));
        }
        Ok(self
            .repo
            .ensure_space_root(
                me.user.enterprise_id,
                Space::Department(department.id),
                me.enterprise.admin_user_id,
                self.clock.now(),
            )
            .await?)
    }

    /// A reachable item that is not in the trash, on which the caller may do `capability`.
    pub(crate) async fn live(
        &self,
        principal: &Principal,
        id: ItemId,
        kind: ItemKind,
        capability: Capability,
    ) -> Result<Item> {
        Ok(self.live_reached(principal, id, kind, capability).await?.item)
    }

    /// [`Core::live`], keeping what the caller may do.
    pub(crate) async fn live_reached(
        &self,
        principal: &Principal,
        id: ItemId,
        kind: ItemKind,
        capability: Capability,
    ) -> Result<Reached> {
        let reached = self.reach(principal, id, kind).await?;
        if reached.item.trash.is_some() {
            return Err(deleted(kind));
        }
        reached.require(capability)?;
        Ok(reached)
    }

    /// A reachable item that is in the trash, on which the caller may do `capability`.
    async fn trashed(
        &self,
        principal: &Principal,
        id: ItemId,
        kind: ItemKind,
        capability: Capability,
    ) -> Result<Reached> {
        let reached = self.reach(principal, id, kind).await?;
        if reached.item.trash.is_none() {
            return Err(not_in_trash(kind));
        }
        reached.require(capability)?;
        Ok(reached)
    }

    pub(crate) async fn users_of<'a>(&self, items: impl IntoIterator<Item = &'a Item>) -> Result<Users> {
        let mut ids = HashSet::new();
        for item in items {
            ids.extend([item.owner_id, item.modified_by, item.created_by]);
            if let Some(trash) = item.trash {
                ids.insert(trash.by);
            }
        }
        self.users_by_id(ids).await
    }

    pub(crate) async fn users_by_id(&self, ids: HashSet<UserId>) -> Result<Users> {
        let ids: Vec<UserId> = ids.into_iter().collect();
        let users = self.repo.list_users_by_id(&ids).await?;
        Ok(Users(users.into_iter().map(|user| (user.id, user)).collect()))
    }

    pub(crate) async fn detail(&self, viewer: UserId, access: Access, item: Item) -> Result<ItemDetail> {
        let path = access.visible_path(self.repo.list_ancestors(item.id).await?, item.id);
        let users = self.users_of([&item]).await?;
        let frequent = self.pinned_among(viewer, [&item]).await?;
        let shared = item.is_folder() && !self.repo.list_shared_among(&[item.id]).await?.is_empty();
        Ok(ItemDetail {
            view: ItemView {
                item,
                path: Arc::new(path),
                access: Arc::new(access),
                shared,
            },
            users,
            frequent,
        })
    }

    /// Which of `items` the viewer put on their frequent list.
    pub(crate) async fn pinned_among<'a>(
        &self,
        viewer: UserId,
        items: impl IntoIterator<Item = &'a Item>,
    ) -> Result<HashSet<ItemId>> {
        let files: Vec<ItemId> = items
            .into_iter()
            .filter(|item| item.kind == ItemKind::File)
            .map(|item| item.id)
            .collect();
        if files.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(self.repo.list_pinned_among(viewer, &files).await?.into_iter().collect())
    }

    /// A page of items with their paths (each its own, or the shared parent path, already as
    /// the viewer sees it) and what the viewer may do to each (`access_of` an item and its
    /// whole path).
    pub(crate) async fn listing(
        &self,
        viewer: UserId,
        items: Vec<Item>,
        shared_path: Option<Arc<Vec<PathEntry>>>,
        total: i64,
        page: Page,
        access_of: &(dyn Fn(&Item, &[PathEntry]) -> Arc<Access> + Send + Sync),
    ) -> Result<ItemListing> {
        let users = self.users_of(&items).await?;
        let frequent = self.pinned_among(viewer, &items).await?;
        let folders: Vec<ItemId> = items
            .iter()
            .filter(|item| item.is_folder())
            .map(|item| item.id)
            .collect();
        let shared: HashSet<ItemId> = if folders.is_empty() {
            HashSet::new()
        } else {
            self.repo.list_shared_among(&folders).await?.into_iter().collect()
        };
        let mut paths = match &shared_path {
            Some(_) => HashMap::new(),
            None => {
                let ids: Vec<ItemId> = items.iter().map(|item| item.id).collect();
                self.repo.list_ancestors_of(&ids).await?
            }
        };
        let views = items
            .into_iter()
            .map(|item| {
                let (path, access) = match &shared_path {
                    Some(path) => (path.clone(), access_of(&item, path)),
                    None => {
                        let path = paths.remove(&item.id).unwrap_or_default();
                        let access = access_of(&item, &path);
                        (Arc::new(access.visible_path(path, item.id)), access)
                    }
                };
                let shared = shared.contains(&item.id);
                ItemView {
                    item,
                    path,
                    access,
                    shared,
                }
            })
            .collect();
        Ok(ItemListing {
            items: views,
            total,
            page,
            users,
            frequent,
            next_marker: None,
        })
    }

    /// `folder/{id}/info`, `file/{id}/info`: a live item.
    pub async fn item_info(&self, principal: &Principal, id: ItemId, kind: ItemKind) -> Result<ItemDetail> {
        let Reached { item, access } = self.live_reached(principal, id, kind, Capability::List).await?;
        self.detail(viewer(principal), access, item).await
    }

    /// `folder/{id}/trash`, `file/{id}/trash`: an item in the trash.
    pub async fn trash_info(&self, principal: &Principal, id: ItemId, kind: ItemKind) -> Result<ItemDetail> {
        let Reached { item, access } = self.trashed(principal, id, kind, Capability::List).await?;
        self.detail(viewer(principal), access, item).await
    }

    /// `folder/{id}/children` (and `personal_items` for folder 0).
    pub async fn list_children(
        &self,
        principal: &Principal,
        folder: ItemId,
        filter: KindFilter,
        sort: Sort,
        page: Page,
        marker: Option<&str>,
    ) -> Result<ItemListing> {
        let Reached { item: parent, access } = self
            .live_reached(principal, folder, ItemKind::Folder, Capability::List)
            .await?;
        let marker = match marker {
            None => None,
            Some(raw) => match Marker::decode(raw) {
                Some(marker) if marker.sort == sort => Some(marker),
                Some(_) => return Err(Error::invalid("marker", "与sort_by和sort_direction不一致")),
                None => return Err(Error::invalid("marker", "无效")),
            },
        };
        let items = self
            .repo
            .list_children(&parent, filter, sort, page, marker.as_ref())
            .await?;
        let next_marker = (items.len() as i64 == page.capacity)
            .then(|| items.last().map(|last| Marker::after(last, sort).encode()))
            .flatten();
        let total = match filter {
            KindFilter::All => parent.item_count(),
            KindFilter::Folders => parent.folder_count,
            KindFilter::Files => parent.file_count,
        };
        let mut path = access.visible_path(self.repo.list_ancestors(parent.id).await?, parent.id);
        if !parent.is_root() {
            path.push(PathEntry {
                id: parent.id,
                name: parent.name.clone(),
                is_root: false,
            });
        } else if path.is_empty() {
            path.push(PathEntry {
                id: parent.id,
                name: parent.name.clone(),
                is_root: true,
            });
        }
        // What the viewer may do below a folder is at least what they may do to it; one check
        // covers the page.
        let access = Arc::new(access);
        let mut listing = self
            .listing(viewer(principal), items, Some(Arc::new(path)), total, page, &|_, _| {
                access.clone()
            })
            .await?;
        listing.next_marker = next_marker;
        Ok(listing)
    }

    /// The stamp of `folder`'s listings for the caller, after the same checks a listing makes;
    /// read before the listing it is kept with.
    pub async fn listing_stamp(&self, principal: &Principal, folder: ItemId) -> Result<ListingStamp> {
        let Reached { item: parent, access } = self
            .live_reached(principal, folder, ItemKind::Folder, Capability::List)
            .await?;
        let (space_root, space_generation, directory_generation) = self.repo.listing_stamp(parent.id).await?;
        Ok(ListingStamp {
            viewer: viewer(principal),
            folder: parent.id,
            shared_from: access.shared_from,
            space_root,
            space_generation,
            directory_generation,
        })
    }

    /// `folder/create`.
    pub async fn create_folder(&self, principal: &Principal, parent: ItemId, name: &str) -> Result<ItemDetail> {
        let name = item_name("name", name)?;
        let Reached { item: parent, access } = self.target_folder(principal, parent).await?;
        let (me, _) = self.personal_space(principal).await?;
        let created = self.insert_folder(principal, &parent, &name, me.user.id).await?;
        self.detail(viewer(principal), access, created).await
    }

    /// `folder/create_by_path`: creates whichever folders of `a/b/c` below `base` (0: the
    /// personal root) are missing; answers the last.
    pub async fn create_folder_by_path(&self, principal: &Principal, base: ItemId, path: &str) -> Result<ItemDetail> {
        let Reached { item: folder, access } = self.folder_at_path(principal, base, path, "target_folder_path").await?;
        self.detail(viewer(principal), access, folder).await
    }

    /// The live folder `name` in `parent`, created if missing (racing creators agree on one).
    pub(crate) async fn child_folder(
        &self,
        principal: &Principal,
        parent: &Item,
        name: &ItemName,
        by: UserId,
    ) -> Result<Item> {
        loop {
            if let Some(existing) = self.repo.find_live_child(parent.id, &name.key()).await? {
                if existing.is_folder() {
                    return Ok(existing);
                }
                return Err(Error::Refused(Refusal::FileNameConflict));
            }
            match self.insert_folder(principal, parent, name, by).await {
                Err(Error::Refused(Refusal::FolderNameConflict | Refusal::FileNameConflict)) => continue,
                other => return other,
            }
        }
    }

    pub(crate) async fn insert_folder(
        &self,
        principal: &Principal,
        parent: &Item,
        name: &ItemName,
        by: UserId,
    ) -> Result<Item> {
        let mut audit = Audit::new(action::NEW_FOLDER, TargetKind::Folder, 0, name.as_str());
        if let Space::Department(department) = parent.space {
            audit.department_id = Some(department.0);
        }
        let new = NewFolder {
            parent_id: parent.id,
            name: name.as_str().to_owned(),
            name_key: name.key(),
            description: String::new(),
            by,
            at: self.clock.now(),
        };
        match self
            .audited(principal, parent.enterprise_id, audit, self.repo.create_folder(new))
            .await
        {
            Ok(item) => Ok(item),
            Err(RepoError::Conflict(ConflictKind::ItemName)) => Err(self.name_conflict(parent.id, name).await),
            Err(err) => Err(target_error(err)),
        }
    }

    /// A live folder the caller may put something into; folder 0 is the personal root.
    pub(crate) async fn target_folder(&self, principal: &Principal, id: ItemId) -> Result<Reached> {
        self.live_reached(principal, id, ItemKind::Folder, Capability::Upload)
            .await
    }

    /// The conflict error for `name` in `parent`, named after what holds the name now.
    pub(crate) async fn name_conflict(&self, parent: ItemId, name: &ItemName) -> Error {
        match self.repo.find_live_child(parent, &name.key()).await {
            Ok(Some(existing)) if existing.kind == ItemKind::File => Error::Refused(Refusal::FileNameConflict),
            Ok(_) => Error::Refused(Refusal::FolderNameConflict),
            Err(err) => err.into(),
        }
    }

    /// `name` if free in `parent`, else the first free `name (n)`.
    pub(crate) async fn free_name(&self, parent: ItemId, name: &ItemName, kind: ItemKind) -> Result<ItemName> {
        if self.repo.find_live_child(parent, &name.key()).await?.is_none() {
            return Ok(name.clone());
        }
        let first = name.numbered(1, kind);
        // Every numbered form shares the part before " (": ask for those keys at once.
        let prefix_end = first.as_str().rfind(" (").unwrap_or(0);
        let prefix = name_key(&first.as_str()[..prefix_end]);
        let taken: HashSet<String> = self
            .repo
            .list_live_child_keys_with_prefix(parent, &prefix)
            .await?
            .into_iter()
            .collect();
        (1..=MAX_RENAME_ATTEMPTS)
            .map(|n| name.numbered(n, kind))
            .find(|candidate| !taken.contains(&candidate.key()))
            .ok_or(Error::Refused(match kind {
                ItemKind::Folder => Refusal::FolderNameConflict,
                ItemKind::File => Refusal::FileNameConflict,
            }))
    }

    /// `folder/{id}/update`, `file/{id}/update`: rename and/or describe.
    pub async fn update_item(
        &self,
        principal: &Principal,
        id: ItemId,
        kind: ItemKind,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<ItemDetail> {
        let reached = self.reach(principal, id, kind).await?;
        if reached.item.trash.is_some() {
            return Err(deleted(kind));
        }
        if name.is_some() {
            reached.require(Capability::Rename)?;
        }
        if description.is_some() || name.is_none() {
            reached.require(Capability::Edit)?;
        }
        let Reached { item, access } = reached;
        if item.is_root() {
            return Err(Error::PermissionDenied);
        }
        let mut new_name = name.map(|name| item_name("name", name)).transpose()?;
        if kind == ItemKind::File {
            new_name = new_name.map(|name| name.keeping_extension_of(&item.name));
        }
        if let Some(description) = description
            && description.chars().count() > crate::drive::MAX_DESCRIPTION_CHARS
        {
            return Err(Error::invalid("description", "长度必须小于等于140个字符"));
        }
        let (me, _) = self.personal_space(principal).await?;
        let renamed = new_name.as_ref().map(|name| (name.as_str().to_owned(), name.key()));
        let audit = match &renamed {
            Some((name, _)) => Audit::item(action::RENAME, &item)
                .with("old_name", item.name.clone())
                .with("new_name", name.clone()),
            None => Audit::item(action::EDIT_DESCRIPTION, &item),
        };
        let write = self.repo.update_item(
            item.id,
            renamed,
            description.map(str::to_owned),
            me.user.id,
            self.clock.now(),
        );
        let updated = match self.audited(principal, item.enterprise_id, audit, write).await {
            Ok(updated) => updated,
            Err(RepoError::Conflict(ConflictKind::ItemName)) => {
                let parent = item.parent_id.unwrap_or(item.id);
                let name = new_name.unwrap_or_else(|| ItemName::stored(&item.name));
                return Err(self.name_conflict(parent, &name).await);
            }
            Err(err) => return Err(err.into()),
        };
        self.detail(viewer(principal), access, updated).await
    }

    /// `folder/{id}/move`, `file/{id}/move`.
    pub async fn move_item(&self, principal: &Principal, id: ItemId, kind: ItemKind, target: ItemId) -> Result<()> {
        let reached = self.live_reached(principal, id, kind, Capability::Move).await?;
        if reached.item.is_root() {
            return Err(Error::PermissionDenied);
        }
        self.require_on_parent(principal, &reached, Capability::Move).await?;
        let item = reached.item;
        let target = self.target_folder(principal, target).await?.item;
        if target.id == item.id {
            return Err(Error::Refused(Refusal::MoveToItself));
        }
        if item.parent_id == Some(target.id) {
            return Ok(());
        }
        if kind == ItemKind::Folder && self.is_below(&target, item.id).await? {
            return Err(Error::Refused(Refusal::MoveToSubfolder));
        }
        let (me, _) = self.personal_space(principal).await?;
        let audit = Audit::item(action::MOVE, &item)
            .with("from_folder_id", item.parent_id.map_or(0, |parent| parent.0))
            .with("to_folder_id", target.id.0);
        let write = self
            .repo
            .move_item(item.id, target.id, None, me.user.id, self.clock.now());
        match self.audited(principal, item.enterprise_id, audit, write).await {
            Ok(()) => Ok(()),
            Err(RepoError::Conflict(ConflictKind::ItemName)) => {
                let name = ItemName::stored(&item.name);
                Err(self.name_conflict(target.id, &name).await)
            }
            Err(RepoError::Conflict(ConflictKind::MoveIntoDescendant)) => Err(Error::Refused(Refusal::MoveToSubfolder)),
            Err(err) => Err(target_error(err)),
        }
    }

    /// Taking an item out of its folder (moving it away, trashing it) also needs the right on
    /// that folder when the caller reaches it by collaboration, so no collaborator carries a
    /// shared folder out of the owner's folder above it.
    async fn require_on_parent(&self, principal: &Principal, reached: &Reached, capability: Capability) -> Result<()> {
        if reached.access.shared_from.is_none() {
            return Ok(());
        }
        let parent = match reached.item.parent_id {
            Some(parent) => self.repo.find_item(parent).await?,
            None => None,
        };
        let Some(parent) = parent else {
            return Err(Error::PermissionDenied);
        };
        if self.access_to(viewer(principal), &parent).await?.allows(capability) {
            Ok(())
        } else {
            Err(Error::PermissionDenied)
        }
    }

    /// Whether `folder` is `ancestor` or lies below it: walks `folder`'s ancestors, never the
    /// subtree, so the cost is the depth.
    async fn is_below(&self, folder: &Item, ancestor: ItemId) -> Result<bool> {
        if folder.id == ancestor {
            return Ok(true);
        }
        let path = self.repo.list_ancestors(folder.id).await?;
        Ok(path.iter().any(|entry| entry.id == ancestor))
    }

    /// `folder/{id}/copy`, `file/{id}/copy`: a deep copy sharing the files' bytes.
    pub async fn copy_item(
        &self,
        principal: &Principal,
        id: ItemId,
        kind: ItemKind,
        target: ItemId,
        on_conflict: OnConflict,
    ) -> Result<ItemDetail> {
        let item = self.live(principal, id, kind, Capability::Download).await?;
        if item.is_root() {
            return Err(Error::PermissionDenied);
        }
        let target = self.target_folder(principal, target).await?;
        self.copy_into(principal, &item, target, on_conflict).await
    }

    /// `file/{id}/copy_by_path`: copies into `a/b/c` of the personal space, creating it.
    pub async fn copy_file_by_path(&self, principal: &Principal, id: ItemId, path: &str) -> Result<ItemDetail> {
        let item = self.live(principal, id, ItemKind::File, Capability::Download).await?;
        let target = self
            .folder_at_path(principal, ItemId(0), path, "target_folder_path")
            .await?;
        self.copy_into(principal, &item, target, OnConflict::Rename).await
    }

    /// The folder at `a/b/c` below `base` (0: the personal root), created as needed.
    pub(crate) async fn folder_at_path(
        &self,
        principal: &Principal,
        base: ItemId,
        path: &str,
        field: &str,
    ) -> Result<Reached> {
        let segments = folder_path(field, path)?;
        let (me, _) = self.personal_space(principal).await?;
        let mut folder = self.target_folder(principal, base).await?;
        for segment in segments {
            folder.item = self.child_folder(principal, &folder.item, &segment, me.user.id).await?;
        }
        Ok(folder)
    }

    async fn copy_into(
        &self,
        principal: &Principal,
        item: &Item,
        target: Reached,
        on_conflict: OnConflict,
    ) -> Result<ItemDetail> {
        let Reached { item: target, access } = target;
        let target = &target;
        if item.is_folder() {
            if target.id == item.id {
                return Err(Error::Refused(Refusal::CopyToItself));
            }
            if self.is_below(target, item.id).await? {
                return Err(Error::Refused(Refusal::CopyToSubfolder));
            }
        }
        let (me, _) = self.personal_space(principal).await?;
        let original = ItemName::stored(&item.name);
        for _ in 0..3 {
            let name = match on_conflict {
                OnConflict::Rename => self.free_name(target.id, &original, item.kind).await?,
                OnConflict::Fail => original.clone(),
            };
            // The event names the copy, which the write creates.
            let mut audit = Audit::item(action::COPY, item)
                .with("source_id", item.id.0)
                .with("to_folder_id", target.id.0);
            audit.target_id = 0;
            audit.target_name = name.as_str().to_owned();
            audit.department_id = match target.space {
                Space::Department(department) => Some(department.0),
                Space::Personal(_) => None,
            };
            let write = self.repo.copy_item(
                item.id,
                target.id,
                (name.as_str().to_owned(), name.key()),
                me.user.id,
                self.clock.now(),
            );
            let copied = self.audited(principal, item.enterprise_id, audit, write).await;
            match copied {
                Ok(id) => {
                    let copy = self
                        .repo
                        .find_item(id)
                        .await?
                        .ok_or_else(|| Error::internal("copy vanished"))?;
                    return self.detail(viewer(principal), access, copy).await;
                }
                // Someone took the free name in between: pick again.
                Err(RepoError::Conflict(ConflictKind::ItemName)) if on_conflict == OnConflict::Rename => continue,
                Err(RepoError::Conflict(ConflictKind::ItemName)) => {
                    return Err(self.name_conflict(target.id, &name).await);
                }
                Err(err) => return Err(target_error(err)),
            }
        }
        Err(self.name_conflict(target.id, &original).await)
    }

    /// `folder/{id}/delete`, `file/{id}/delete`: to the trash, with everything below.
    pub async fn trash_item(&self, principal: &Principal, id: ItemId, kind: ItemKind) -> Result<()> {
        let reached = self.live_reached(principal, id, kind, Capability::Delete).await?;
        if reached.item.is_root() {
            return Err(Error::PermissionDenied);
        }
        self.require_on_parent(principal, &reached, Capability::Delete).await?;
        let item = reached.item;
        let (me, _) = self.personal_space(principal).await?;
        let write = self.repo.trash_item(item.id, me.user.id, self.clock.now());
        Ok(self
            .audited(principal, item.enterprise_id, Audit::item(action::DELETE, &item), write)
            .await?)
    }

    /// `folder/{id}/restore_from_trash`, `file/{id}/restore_from_trash`: back where it was, with
    /// what its trashing took along; renamed `name (n)` if the name was taken meanwhile.
    pub async fn restore_item(&self, principal: &Principal, id: ItemId, kind: ItemKind) -> Result<()> {
        let item = self.trashed(principal, id, kind, Capability::Restore).await?.item;
        self.restore(principal, item).await
    }

    async fn restore(&self, principal: &Principal, item: Item) -> Result<()> {
        let Some(trash) = item.trash else { return Ok(()) };
        if trash.root != item.id {
            // Taken along by a trashed folder above: that folder is what comes back.
            return Err(Error::Refused(Refusal::FolderParentDeleted));
        }
        let parent_id = item
            .parent_id
            .ok_or_else(|| Error::internal("a space root in the trash"))?;
        // A parent gone for good took the item with it, since the item was read.
        let parent = self
            .repo
            .find_item(parent_id)
            .await?
            .ok_or_else(|| not_in_trash(item.kind))?;
        if parent.trash.is_some() {
            return Err(Error::Refused(Refusal::FolderParentDeleted));
        }
        let original = ItemName::stored(&item.name);
        for _ in 0..3 {
            let name = self.free_name(parent.id, &original, item.kind).await?;
            let rename = (name != original).then(|| (name.as_str().to_owned(), name.key()));
            let write = self.repo.restore_item(item.id, rename, self.clock.now());
            match self
                .audited(
                    principal,
                    item.enterprise_id,
                    Audit::item(action::RESTORE, &item),
                    write,
                )
                .await
            {
                Ok(()) => return Ok(()),
                Err(RepoError::Conflict(ConflictKind::ItemName)) => continue,
                Err(RepoError::Conflict(ConflictKind::TargetInTrash)) => {
                    return Err(Error::Refused(Refusal::FolderParentDeleted));
                }
                // Restored or deleted for good by a request that ran at the same time.
                Err(RepoError::NotFound) => return Err(not_in_trash(item.kind)),
                Err(err) => return Err(err.into()),
            }
        }
        Err(self.name_conflict(parent.id, &original).await)
    }

    /// `folder/{id}/delete_from_trash`, `file/{id}/delete_from_trash`: gone for good.
    pub async fn purge_item(&self, principal: &Principal, id: ItemId, kind: ItemKind) -> Result<()> {
        let item = self
            .trashed(principal, id, kind, Capability::PermanentDelete)
            .await?
            .item;
        self.purge(principal, &item).await
    }

    /// Whose trash a trash call means: the caller's personal one, or a department's the caller
    /// works in.
    async fn trash_space(&self, principal: &Principal, department: Option<DepartmentId>) -> Result<Space> {
        match department {
            None => Ok(self.personal_space(principal).await?.1),
            Some(department) => Ok(self.department_root(principal, department).await?.space),
        }
    }

    /// `trash/list`: what was put in the caller's trash (or a department's).
    pub async fn list_trash(
        &self,
        principal: &Principal,
        department: Option<DepartmentId>,
        filter: KindFilter,
        sort: Sort,
        page: Page,
    ) -> Result<ItemListing> {
        let space = self.trash_space(principal, department).await?;
        let (items, total) = self.repo.list_trash(space, filter, sort, page).await?;
        let owner = Arc::new(Access::owner());
        self.listing(viewer(principal), items, None, total, page, &|_, _| owner.clone())
            .await
    }

    /// `trash/clear`: deletes for good what is in the caller's trash (or a department's).
    pub async fn clear_trash(
        &self,
        principal: &Principal,
        department: Option<DepartmentId>,
        filter: KindFilter,
    ) -> Result<()> {
        let space = self.trash_space(principal, department).await?;
        let roots = self.repo.list_trash_roots(space, filter).await?;
        if roots.is_empty() {
            return Err(Error::Refused(Refusal::EmptyTrash));
        }
        for root in roots {
            match self.purge(principal, &root).await {
                // Gone from the trash since it was listed: a request that ran at the same time
                // restored or deleted it.
                Ok(()) | Err(Error::Refused(Refusal::FolderNotInTrash | Refusal::FileNotInTrash)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    async fn purge(&self, principal: &Principal, item: &Item) -> Result<()> {
        let write = self.repo.purge_item(item.id, self.clock.now());
        match self
            .audited(
                principal,
                item.enterprise_id,
                Audit::item(action::DELETE_FROM_TRASH, item),
                write,
            )
            .await
        {
            Ok(_) => Ok(()),
            // Restored or deleted for good by a request that ran at the same time.
            Err(RepoError::NotFound) => Err(not_in_trash(item.kind)),
            Err(err) => Err(err.into()),
        }
    }

    /// `trash/restore_all`: brings back what the caller put in the trash, oldest first so a
    /// folder comes back before what was trashed out of it.
    pub async fn restore_all(
        &self,
        principal: &Principal,
        department: Option<DepartmentId>,
        filter: KindFilter,
    ) -> Result<()> {
        let space = self.trash_space(principal, department).await?;
        let mut roots = self.repo.list_trash_roots(space, filter).await?;
        if roots.is_empty() {
            return Err(Error::Refused(Refusal::EmptyTrash));
        }
        roots.sort_by_key(|item| (item.trash.map(|trash| trash.at), item.id));
        for root in roots {
            match self.restore(principal, root).await {
                // The parent is still in the trash (and not part of this restore): leave it. Or
                // it left the trash since it was listed, by a request that ran at the same time.
                Ok(())
                | Err(Error::Refused(
                    Refusal::FolderParentDeleted | Refusal::FolderNotInTrash | Refusal::FileNotInTrash,
                )) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }
}

/// The refusal for an item that is not (or no longer) in the trash.
fn not_in_trash(kind: ItemKind) -> Error {
    Error::Refused(match kind {
        ItemKind::Folder => Refusal::FolderNotInTrash,
        ItemKind::File => Refusal::FileNotInTrash,
    })
}

/// A client-given name, or the refusal with the right code.
pub(crate) fn item_name(field: &str, raw: &str) -> Result<ItemName> {
    ItemName::parse(raw).map_err(|err| name_refusal(err, field))
}

/// A client-given folder path, or the refusal with the right code: a bad segment is refused as
/// a bad name is, a path too deep names its field.
pub(crate) fn folder_path(field: &str, raw: &str) -> Result<Vec<ItemName>> {
    parse_folder_path(raw).map_err(|err| match err {
        PathError::Name(err) => name_refusal(err, field),
        PathError::TooDeep => Error::invalid(field, format!("最多{MAX_PATH_SEGMENTS}层文件夹")),
    })
}

fn name_refusal(err: NameError, _field: &str) -> Error {
    match err {
        NameError::Size => Error::Refused(Refusal::ItemNameSizeIncorrect),
        NameError::Invalid => Error::Refused(Refusal::ItemNameInvalid),
    }
}

/// Maps the write errors a target folder can cause.
pub(crate) fn target_error(err: RepoError) -> Error {
    match err {
        RepoError::Conflict(ConflictKind::TargetInTrash) => Error::Refused(Refusal::FolderDeleted),
        RepoError::Conflict(ConflictKind::UserSpace) => Error::Refused(Refusal::ExceedUserSpaceLimit),
        RepoError::Conflict(ConflictKind::EnterpriseSpace) => Error::Refused(Refusal::ExceedEnterpriseSpaceLimit),
        RepoError::Conflict(ConflictKind::DepartmentSpace) => Error::Refused(Refusal::ExceedDepartmentSpaceLimit),
        RepoError::NotFound => Error::not_found(NotFoundKind::Folder),
        other => other.into(),
    }
}

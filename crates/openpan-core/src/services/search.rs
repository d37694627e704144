//! `item/search`: who may find what. The index answers text; this decides the spaces and
//! folders a caller may look in, catches the index up on them, and re-reads every hit from
//! the database so nothing trashed, moved away or foreign is ever shown.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::auth::Principal;
use crate::collab::Capability;
use crate::drive::{ItemKind, KindFilter, Space};
use crate::error::{Error, NotFoundKind, Result};
use crate::ids::{DepartmentId, ItemId};
use crate::model::Page;
use crate::ports::TagMatch;
use crate::search::{SearchField, SearchOrder, SearchQuery};
use crate::tag::tag_key;

use super::drive::{Access, viewer};
use super::{Core, ItemListing};

/// Where a search looks (`department_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchScope {
    /// Every space the caller works in, and the folders shared with them.
    Everywhere,
    /// `0`: the caller's personal space.
    Personal,
    /// `-1`: the folders others shared with the caller.
    SharedWithMe,
    Department(DepartmentId),
}

/// One `item/search` request, parsed.
#[derive(Debug, Clone)]
pub struct ItemSearch {
    pub words: String,
    pub field: SearchField,
    pub kind: KindFilter,
    pub order: SearchOrder,
    pub descending: bool,
    pub page: Page,
    /// `search_in_folder`: only below this folder (0: anywhere).
    pub within: Option<ItemId>,
    pub scope: SearchScope,
    pub modified_from: Option<i64>,
    pub modified_to: Option<i64>,
    pub precise: bool,
}

/// How many users a creator search may name.
const MAX_CREATORS: i64 = 200;
/// How many tagged items a tag search considers (the most recently tagged).
const MAX_TAGGED: i64 = 10_000;

impl Core {
    pub async fn search_items(&self, principal: &Principal, request: ItemSearch) -> Result<ItemListing> {
        let (me, personal) = self.personal_space(principal).await?;
        let mut roots = self.repo.list_space_roots(Some(me.user.id)).await?;
        let mut worked: HashSet<Space> = roots.iter().map(|root| root.space).collect();
        worked.insert(personal);
        // Folders of others' spaces shared with the caller, and those spaces.
        let grants = self.grant_map(me.user.id).await?;
        let wants_shared = matches!(request.scope, SearchScope::Everywhere | SearchScope::SharedWithMe);
        let mut shared_folders = Vec::new();
        let mut shared_spaces = HashSet::new();
        if wants_shared {
            for folder in self.shared_folders(&me.user, &grants.listable(), &worked).await? {
                shared_folders.push(folder.id);
                shared_spaces.insert(folder.space);
            }
        }
        let spaces: Vec<Space> = match request.scope {
            SearchScope::Everywhere => worked.iter().copied().collect(),
            SearchScope::Personal => vec![personal],
            SearchScope::SharedWithMe => Vec::new(),
            SearchScope::Department(department) => {
                let found = self.repo.find_department(department).await?;
                match found {
                    Some(found)
                        if found.enterprise_id == me.user.enterprise_id
                            && self.repo.works_in_department(department, me.user.id).await? =>
                    {
                        vec![Space::Department(department)]
                    }
                    _ => return Err(Error::not_found(NotFoundKind::Department)),
                }
            }
        };
        let within = match request.within {
            None | Some(ItemId(0)) => None,
            Some(folder) => {
                let folder = self.live(principal, folder, ItemKind::Folder, Capability::List).await?;
                if folder.is_root() { None } else { Some(folder.id) }
            }
        };
        // Tags: the items carrying them in the spaces searched (those the caller works in and
        // those holding folders shared with them); the index then keeps what they may see.
        let tagged = if request.field == SearchField::Tag {
            let key = tag_key(request.words.trim());
            let tags = if request.precise {
                TagMatch::Exactly(&key)
            } else {
                TagMatch::Containing(&key)
            };
            let mut searched = spaces.clone();
            searched.extend(shared_spaces.iter().copied());
            self.repo
                .tagged_items(me.user.enterprise_id, tags, &searched, MAX_TAGGED)
                .await?
        } else {
            Vec::new()
        };
        let creators = if request.field == SearchField::Creator {
            let (users, _) = self
                .repo
                .search_users(
                    me.user.enterprise_id,
                    Some(&request.words),
                    Page {
                        page_id: 0,
                        capacity: MAX_CREATORS,
                    },
                )
                .await?;
            users.into_iter().map(|user| user.id).collect()
        } else {
            Vec::new()
        };
        let wanted: HashSet<Space> = spaces.iter().copied().collect();
        let shared_roots: Vec<Space> = shared_spaces.iter().copied().collect();
        roots.extend(self.repo.list_space_roots_of(&shared_roots).await?);
        let covered: Vec<_> = roots
            .into_iter()
            .filter(|root| wanted.contains(&root.space) || shared_spaces.contains(&root.space))
            .collect();
        self.search.catch_up(&covered).await?;
        let query = SearchQuery {
            enterprise_id: me.user.enterprise_id,
            words: request.words,
            field: request.field,
            creators,
            tagged,
            precise: request.precise,
            spaces,
            folders: shared_folders.clone(),
            within,
            folders_only: match request.kind {
                KindFilter::All => None,
                KindFilter::Folders => Some(true),
                KindFilter::Files => Some(false),
            },
            modified_from: request.modified_from,
            modified_to: request.modified_to,
            order: request.order,
            descending: request.descending,
            offset: usize::try_from(request.page.offset()).unwrap_or(usize::MAX),
            limit: usize::try_from(request.page.capacity).unwrap_or(1),
        };
        let hits = self.search.search(&query).await?;
        // The index may lag a write made since it caught up: what the database says now wins.
        let live: Vec<_> = self
            .repo
            .list_items_by_id(&hits.ids)
            .await?
            .into_iter()
            .filter(|item| item.enterprise_id == me.user.enterprise_id && item.trash.is_none())
            .collect();
        let outside: Vec<ItemId> = live
            .iter()
            .filter(|item| !wanted.contains(&item.space))
            .map(|item| item.id)
            .collect();
        let paths = if outside.is_empty() || shared_folders.is_empty() {
            HashMap::new()
        } else {
            self.repo.list_ancestors_of(&outside).await?
        };
        let shared: HashSet<ItemId> = shared_folders.into_iter().collect();
        let mut found: HashMap<ItemId, _> = live
            .into_iter()
            .filter(|item| {
                wanted.contains(&item.space)
                    || shared.contains(&item.id)
                    || paths
                        .get(&item.id)
                        .is_some_and(|path| path.iter().any(|entry| shared.contains(&entry.id)))
            })
            .map(|item| (item.id, item))
            .collect();
        let items = hits.ids.iter().filter_map(|id| found.remove(id)).collect();
        let total = i64::try_from(hits.total).unwrap_or(i64::MAX);
        let owner = Arc::new(Access::owner());
        self.listing(viewer(principal), items, None, total, request.page, &|item, path| {
            if worked.contains(&item.space) {
                owner.clone()
            } else {
                Arc::new(grants.access(path, item.id))
            }
        })
        .await
    }
}

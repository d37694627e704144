//! Recent and frequent items: what each user used lately (uploads, downloads, `mark_as_used`)
//! and what they pinned to their frequent list.

use std::sync::Arc;

use crate::audit::action;
use crate::auth::Principal;
use crate::collab::Capability;
use crate::drive::ItemKind;
use crate::error::{Error, Result};
use crate::ids::{ItemId, UserId};
use crate::model::Page;
use crate::services::Core;
use crate::services::audit_log::Audit;
use crate::services::drive::{Access, ItemListing, viewer};

/// The most items `recent_items` answers.
pub const MAX_RECENT_ITEMS: i64 = 1000;

impl Core {
    /// Notes a use; failing to note it never fails the request that used the item.
    pub(crate) async fn record_use(&self, user: UserId, item: ItemId) {
        if let Err(err) = self.repo.record_use(user, item, self.clock.now()).await {
            tracing::warn!(error = ?err, "could not record an item use");
        }
    }

    /// `file/{item_id}/mark_as_used`.
    pub async fn mark_as_used(&self, principal: &Principal, file: ItemId) -> Result<()> {
        let file = self.live(principal, file, ItemKind::File, Capability::List).await?;
        self.repo
            .record_use(viewer(principal), file.id, self.clock.now())
            .await?;
        Ok(())
    }

    /// `file/recent_items`: the caller's live files, most recently used first.
    pub async fn recent_items(&self, principal: &Principal, limit: i64) -> Result<ItemListing> {
        if !(0..=MAX_RECENT_ITEMS).contains(&limit) {
            return Err(Error::invalid("limit", "必须在0到1000之间"));
        }
        self.personal_space(principal).await?;
        let user = viewer(principal);
        let items = self.repo.list_recent(user, limit).await?;
        let total = items.len() as i64;
        let page = Page {
            page_id: 0,
            capacity: limit.max(1),
        };
        // Both lists hold only files of spaces the caller works in.
        let owner = Arc::new(Access::owner());
        self.listing(user, items, None, total, page, &|_, _| owner.clone())
            .await
    }

    /// `frequent/list`: the files the caller pinned, most used first.
    pub async fn frequent_items(&self, principal: &Principal, page: Page) -> Result<ItemListing> {
        self.personal_space(principal).await?;
        let user = viewer(principal);
        let (items, total) = self.repo.list_frequent(user, page).await?;
        let owner = Arc::new(Access::owner());
        self.listing(user, items, None, total, page, &|_, _| owner.clone())
            .await
    }

    /// `frequent/add` and `frequent/delete`.
    pub async fn set_frequent(&self, principal: &Principal, files: &[ItemId], pinned: bool) -> Result<()> {
        let mut checked = Vec::with_capacity(files.len());
        for file in files {
            checked.push(self.live(principal, *file, ItemKind::File, Capability::List).await?);
        }
        let user = viewer(principal);
        let action = if pinned {
            action::ADD_FREQUENT
        } else {
            action::REMOVE_FREQUENT
        };
        for file in checked {
            let write = self.repo.set_pinned(user, file.id, pinned, self.clock.now());
            self.audited(principal, file.enterprise_id, Audit::item(action, &file), write)
                .await?;
        }
        Ok(())
    }
}

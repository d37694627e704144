//! Tags: put on and taken off items by whoever may edit them, recalled per user (recent and
//! common lists), and found again through search (`query_filter=tag`,
//! `tag/filter_items_by_tag_name`), which shows only what the caller may list.

use std::collections::{HashMap, HashSet};

use crate::audit::action;
use crate::auth::Principal;
use crate::collab::Capability;
use crate::drive::{Item, ItemKind, KindFilter};
use crate::error::{Error, Result};
use crate::ids::ItemId;
use crate::model::Page;
use crate::search::{SearchField, SearchOrder};
use crate::services::audit_log::Audit;
use crate::services::drive::ItemListing;
use crate::services::{Core, ItemSearch, SearchScope};
use crate::tag::{RECENT_TAGS, Tag, tag_key, tag_name};

/// The most tags one request names, and the most items it tags.
pub const MAX_TAGS_PER_REQUEST: usize = 20;
pub const MAX_TAGGED_PER_REQUEST: usize = 100;

/// An item with the tags it carries now.
#[derive(Debug, Clone)]
pub struct TaggedItem {
    pub item: Item,
    pub tags: Vec<Tag>,
}

/// The names of a request, checked and each once (by key), in the order given.
fn tag_names(field: &str, raw: &[String]) -> Result<Vec<String>> {
    if raw.is_empty() {
        return Err(Error::invalid(field, "不能为空"));
    }
    if raw.len() > MAX_TAGS_PER_REQUEST {
        return Err(Error::invalid(field, format!("最多{MAX_TAGS_PER_REQUEST}个")));
    }
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(raw.len());
    for name in raw {
        let name = tag_name(name).ok_or_else(|| Error::invalid(field, "标签名须为1-30个字符,不含逗号和控制字符"))?;
        if seen.insert(tag_key(name)) {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

impl Core {
    /// The items of a tagging request, each live and editable by the caller.
    async fn tag_targets(&self, principal: &Principal, items: &[(ItemId, ItemKind)]) -> Result<Vec<Item>> {
        if items.is_empty() {
            return Err(Error::invalid("item_typed_ids", "不能为空"));
        }
        if items.len() > MAX_TAGGED_PER_REQUEST {
            return Err(Error::invalid(
                "item_typed_ids",
                format!("最多{MAX_TAGGED_PER_REQUEST}个"),
            ));
        }
        let mut seen = HashSet::new();
        let mut targets = Vec::with_capacity(items.len());
        for (id, kind) in items {
            if seen.insert(*id) {
                let item = self.live(principal, *id, *kind, Capability::Edit).await?;
                if item.is_root() {
                    return Err(Error::PermissionDenied);
                }
                targets.push(item);
            }
        }
        Ok(targets)
    }

    async fn with_tags(&self, items: Vec<Item>) -> Result<Vec<TaggedItem>> {
        let ids: Vec<ItemId> = items.iter().map(|item| item.id).collect();
        let mut tags: HashMap<ItemId, Vec<Tag>> = self.repo.item_tags(&ids).await?;
        Ok(items
            .into_iter()
            .map(|item| TaggedItem {
                tags: tags.remove(&item.id).unwrap_or_default(),
                item,
            })
            .collect())
    }

    /// `tag/item_add_tags`: puts the tags on every item; answers each item's tags now.
    pub async fn add_item_tags(
        &self,
        principal: &Principal,
        items: &[(ItemId, ItemKind)],
        names: &[String],
    ) -> Result<Vec<TaggedItem>> {
        self.retag(principal, items, names, true).await
    }

    /// `tag/item_remove_tags`: takes the tags off every item; answers each item's tags now.
    pub async fn remove_item_tags(
        &self,
        principal: &Principal,
        items: &[(ItemId, ItemKind)],
        names: &[String],
    ) -> Result<Vec<TaggedItem>> {
        self.retag(principal, items, names, false).await
    }

    /// Puts the tags on (`add`) or takes them off every item the caller may edit, one audit
    /// event per item.
    async fn retag(
        &self,
        principal: &Principal,
        items: &[(ItemId, ItemKind)],
        names: &[String],
        add: bool,
    ) -> Result<Vec<TaggedItem>> {
        let names = tag_names("tag_names", names)?;
        let (me, _) = self.personal_space(principal).await?;
        let enterprise = me.user.enterprise_id;
        let targets = self.tag_targets(principal, items).await?;
        let ids: Vec<ItemId> = targets.iter().map(|item| item.id).collect();
        let action = if add { action::ADD_TAG } else { action::REMOVE_TAG };
        let audits = targets
            .iter()
            .map(|item| Audit::item(action, item).with("tags", names.clone()))
            .collect();
        let write = async {
            if add {
                self.repo
                    .tag_items(enterprise, &ids, &names, me.user.id, self.clock.now())
                    .await
            } else {
                self.repo.untag_items(enterprise, &ids, &names).await
            }
        };
        self.audited_each(principal, enterprise, audits, write).await?;
        self.with_tags(targets).await
    }

    /// `tag/list`: the last ten tags the caller put on items, newest first.
    pub async fn recent_tags(&self, principal: &Principal) -> Result<Vec<Tag>> {
        let (me, _) = self.personal_space(principal).await?;
        Ok(self.repo.recent_tags(me.user.id, RECENT_TAGS).await?)
    }

    /// `tag/common_list`.
    pub async fn common_tags(&self, principal: &Principal) -> Result<Vec<Tag>> {
        let (me, _) = self.personal_space(principal).await?;
        Ok(self.repo.common_tags(me.user.id).await?)
    }

    /// `tag/add_common_list` (`common`) and `tag/remove_common_list`; answers the list now.
    pub async fn set_common_tags(&self, principal: &Principal, names: &[String], common: bool) -> Result<Vec<Tag>> {
        let names = tag_names("tag_names", names)?;
        let (me, _) = self.personal_space(principal).await?;
        self.repo
            .set_common_tags(me.user.enterprise_id, me.user.id, &names, common, self.clock.now())
            .await?;
        Ok(self.repo.common_tags(me.user.id).await?)
    }

    /// `tag/filter_items_by_tag_name`: the items the caller may list that carry the tag.
    pub async fn filter_items_by_tag(
        &self,
        principal: &Principal,
        name: &str,
        order: SearchOrder,
        descending: bool,
        page: Page,
    ) -> Result<ItemListing> {
        let name = tag_name(name).ok_or_else(|| Error::invalid("tag_name", "标签名须为1-30个字符"))?;
        self.search_items(
            principal,
            ItemSearch {
                words: name.to_owned(),
                field: SearchField::Tag,
                kind: KindFilter::All,
                order,
                descending,
                page,
                within: None,
                scope: SearchScope::Everywhere,
                modified_from: None,
                modified_to: None,
                precise: true,
            },
        )
        .await
    }
}

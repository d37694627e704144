//! Item search: what a query asks, what a full-text index must answer, and the port the index
//! sits behind. The index is derived data: the database stays the truth, each space's root
//! `generation` says how far the index must have caught up, and results are re-read from the
//! database before anyone sees them.

use async_trait::async_trait;

use crate::drive::Space;
use crate::ids::{EnterpriseId, ItemId, UserId};
use crate::ports::RepoResult;

/// A space's root with its change counter, as the index catches up to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceRoot {
    pub enterprise_id: EnterpriseId,
    pub space: Space,
    pub root: ItemId,
    pub generation: i64,
}

/// One item of a space as the index reads it (the space's root itself is not one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    pub id: ItemId,
    pub parent_id: ItemId,
    pub is_folder: bool,
    pub name: String,
    pub size: i64,
    pub created_by: UserId,
    pub modified_at: i64,
    /// Files: the current version, whose bytes give the content.
    pub version_id: Option<i64>,
    /// Files: where the current version's bytes are kept.
    pub storage_key: Option<String>,
    /// In the trash (only reads of what changed return such rows).
    pub trashed: bool,
}

/// Which text a query is matched against (`query_filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    /// Name or content.
    All,
    Name,
    Content,
    /// Items created by the users whose name, email or phone match the words.
    Creator,
    /// Items carrying a tag whose name holds the words (is them, when precise).
    Tag,
}

impl SearchField {
    pub fn parse(raw: Option<&str>) -> Option<Self> {
        Some(match raw {
            None | Some("" | "all") => SearchField::All,
            Some("file_name") => SearchField::Name,
            Some("content") => SearchField::Content,
            Some("creator") => SearchField::Creator,
            Some("tag") => SearchField::Tag,
            Some(_) => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchOrder {
    Score,
    Name,
    Date,
    Size,
}

/// A query the index answers: text, where the caller may look, and one page in one order.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub enterprise_id: EnterpriseId,
    pub words: String,
    pub field: SearchField,
    /// Creator searches: the users the words named.
    pub creators: Vec<UserId>,
    /// Tag searches: the items carrying a tag the words named.
    pub tagged: Vec<ItemId>,
    /// The words as one run of text (in the name) rather than words anywhere.
    pub precise: bool,
    /// Items in any of these spaces…
    pub spaces: Vec<Space>,
    /// …or any of these folders or below them (folders shared with the caller).
    pub folders: Vec<ItemId>,
    /// Only items below this folder.
    pub within: Option<ItemId>,
    /// `None`: files and folders.
    pub folders_only: Option<bool>,
    /// `modified_at` bounds, inclusive.
    pub modified_from: Option<i64>,
    pub modified_to: Option<i64>,
    pub order: SearchOrder,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// One page of matches, best first by the query's order, and how many match in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchHits {
    pub ids: Vec<ItemId>,
    pub total: u64,
}

/// A full-text index over the items of every space.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Brings what the index holds for these spaces up to at least their given generations.
    async fn catch_up(&self, spaces: &[SpaceRoot]) -> RepoResult<()>;
    async fn search(&self, query: &SearchQuery) -> RepoResult<SearchHits>;
}

//! Rendered pages of folder listings, kept per node and bounded in bytes.
//!
//! A page is stored under the core's [`ListingStamp`] (viewer, folder and the change counters of
//! the folder's space and enterprise directory) plus the page parameters. Every write that
//! could change a page moves a counter in the same transaction, and the stamp is read before a
//! page is rendered, so a page found under the current stamp is what a fresh render would give.
//! Stale pages are never looked up again and age out of the bounded cache. The permission
//! check runs on every request, hit or miss, because the stamp is only handed out after it.
//! Nothing here is shared between nodes, and nothing needs to be: each node reads the counters
//! from the shared database.

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use openpan_core::drive::{KindFilter, Sort};
use openpan_core::model::Page;
use openpan_core::services::ListingStamp;

/// Which page of which listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub stamp: ListingStamp,
    pub filter: KindFilter,
    pub sort: Sort,
    pub page: Page,
    pub marker: Option<Box<str>>,
}

#[derive(Clone)]
struct BodyBytes;

impl Weighter<PageKey, Bytes> for BodyBytes {
    fn weight(&self, key: &PageKey, body: &Bytes) -> u64 {
        let marker = key.marker.as_ref().map_or(0, |marker| marker.len());
        (body.len() + marker + std::mem::size_of::<PageKey>()) as u64
    }
}

/// Rendered JSON bodies of listing pages; a zero budget keeps nothing.
pub struct ListingCache {
    pages: Option<Cache<PageKey, Bytes, BodyBytes>>,
}

/// A page is rarely bigger than this (1,000 entries of ~650 bytes); the estimate only sizes the
/// cache's index.
const TYPICAL_PAGE_BYTES: u64 = 64 * 1024;

impl ListingCache {
    pub fn new(budget_bytes: u64) -> Self {
        let pages = (budget_bytes > 0).then(|| {
            let estimated_items = usize::try_from((budget_bytes / TYPICAL_PAGE_BYTES).max(16)).unwrap_or(usize::MAX);
            Cache::with_weighter(estimated_items, budget_bytes, BodyBytes)
        });
        Self { pages }
    }

    pub fn get(&self, key: &PageKey) -> Option<Bytes> {
        self.pages.as_ref()?.get(key)
    }

    pub fn insert(&self, key: PageKey, body: Bytes) {
        if let Some(pages) = &self.pages {
            pages.insert(key, body);
        }
    }
}

impl Default for ListingCache {
    fn default() -> Self {
        Self::new(DEFAULT_BUDGET_BYTES)
    }
}

/// What a node spends on rendered listings unless told otherwise.
pub const DEFAULT_BUDGET_BYTES: u64 = 64 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use openpan_core::drive::SortKey;
    use openpan_core::ids::{ItemId, UserId};

    fn key(space_generation: i64) -> PageKey {
        PageKey {
            stamp: ListingStamp {
                viewer: UserId(7),
                folder: ItemId(9),
                shared_from: None,
                space_root: ItemId(1),
                space_generation,
                directory_generation: 0,
            },
            filter: KindFilter::All,
            sort: Sort {
                by: SortKey::Name,
                descending: false,
            },
            page: Page {
                page_id: 0,
                capacity: 20,
            },
            marker: None,
        }
    }

    #[test]
    fn a_page_is_found_only_under_the_stamp_it_was_stored_with() {
        let cache = ListingCache::new(1024 * 1024);
        cache.insert(key(1), Bytes::from_static(b"{\"files\":[]}"));
        assert_eq!(cache.get(&key(1)).as_deref(), Some(&b"{\"files\":[]}"[..]));
        assert_eq!(cache.get(&key(2)), None);
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = ListingCache::new(0);
        cache.insert(key(1), Bytes::from_static(b"{}"));
        assert_eq!(cache.get(&key(1)), None);
    }

    #[test]
    fn the_cache_stays_within_its_budget() {
        let cache = ListingCache::new(64 * 1024);
        for generation in 0..100 {
            cache.insert(key(generation), Bytes::from(vec![b' '; 4096]));
        }
        let kept = (0..100)
            .filter(|generation| cache.get(&key(*generation)).is_some())
            .count();
        assert!(kept > 0 && kept <= 16, "{kept} pages of 4 KiB kept in 64 KiB");
    }
}

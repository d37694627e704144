//! Typed calls over the drive: people, folders, files, share links, events; listings as
//! streams that fetch page after page.

use futures_util::stream::{self, Stream, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::json;

use openpan_types::{EventPage, File, Folder, ItemPage, ShareLink, SuccessBody, User, UserPage};

use crate::client::Client;
use crate::error::{Error, Result};

/// A file or a folder of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A folder.
    Folder(Folder),
    /// A file.
    File(File),
}

impl Item {
    /// Its id (folder and file ids are separate spaces).
    pub fn id(&self) -> i64 {
        match self {
            Item::Folder(folder) => folder.id,
            Item::File(file) => file.id,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        match self {
            Item::Folder(folder) => &folder.name,
            Item::File(file) => &file.name,
        }
    }

    /// Bytes (of all it holds, for a folder).
    pub fn size(&self) -> i64 {
        match self {
            Item::Folder(folder) => folder.size,
            Item::File(file) => file.size,
        }
    }

    /// Epoch seconds of the last change.
    pub fn modified_at(&self) -> i64 {
        match self {
            Item::Folder(folder) => folder.modified_at,
            Item::File(file) => file.modified_at,
        }
    }
}

/// A share link to make (`share_link/create`).
#[derive(Debug, Clone, Serialize)]
pub struct NewShareLink {
    /// The shared file (exactly one of this and `folder_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_id: Option<i64>,
    /// The shared folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<i64>,
    /// `public` (anyone with the link) or `company` (the enterprise's people).
    pub access: String,
    /// Letters and digits, at most 33; visitors must send it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Whether `password` applies.
    pub password_protected: bool,
    /// The last day it works, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_time: Option<String>,
    /// Visitors may only preview.
    pub disable_download: bool,
}

impl NewShareLink {
    /// A public link to `item` with no password, due date or download limit.
    pub fn public(item: &Item) -> NewShareLink {
        let (file_id, folder_id) = match item {
            Item::File(file) => (Some(file.id), None),
            Item::Folder(folder) => (None, Some(folder.id)),
        };
        NewShareLink {
            file_id,
            folder_id,
            access: "public".to_owned(),
            password: None,
            password_protected: false,
            due_time: None,
            disable_download: false,
        }
    }
}

/// Folder listings fetch this many items per request.
const LISTING_PAGE: i64 = 100;

impl Client {
    /// The signed-in user (`user/info`).
    pub async fn me(&self) -> Result<User> {
        self.get("/user/info", &[]).await
    }

    /// A folder (`folder/{id}/info`; `0` is the personal root).
    pub async fn folder(&self, id: i64) -> Result<Folder> {
        self.get(&format!("/folder/{id}/info"), &[]).await
    }

    /// A file (`file/{id}/info`).
    pub async fn file(&self, id: i64) -> Result<File> {
        self.get(&format!("/file/{id}/info"), &[]).await
    }

    /// Makes a folder named `name` in `parent_id`.
    pub async fn create_folder(&self, parent_id: i64, name: &str) -> Result<Folder> {
        self.post("/folder/create", &json!({ "parent_id": parent_id, "name": name }))
            .await
    }

    /// Moves a folder to the trash.
    pub async fn delete_folder(&self, id: i64) -> Result<()> {
        self.post::<SuccessBody>(&format!("/folder/{id}/delete"), &json!({}))
            .await
            .map(drop)
    }

    /// Moves a file to the trash.
    pub async fn delete_file(&self, id: i64) -> Result<()> {
        self.post::<SuccessBody>(&format!("/file/{id}/delete"), &json!({}))
            .await
            .map(drop)
    }

    /// One page of a folder's children, by name: `marker` is the previous page's
    /// `next_marker` (`None` for the first page).
    pub async fn children_page(&self, folder_id: i64, marker: Option<&str>, capacity: i64) -> Result<ItemPage> {
        let mut query = vec![
            ("page_capacity", capacity.to_string()),
            ("sort_by", "name".to_owned()),
            ("sort_direction", "asc".to_owned()),
        ];
        if let Some(marker) = marker {
            query.push(("marker", marker.to_owned()));
        }
        self.get(&format!("/folder/{folder_id}/children"), &query).await
    }

    /// Every child of a folder, folders first, then files, each by name; pages are fetched as
    /// the stream is read.
    pub fn children(&self, folder_id: i64) -> impl Stream<Item = Result<Item>> + Send + 'static {
        let client = self.clone();
        // The first page has no marker; the last has no `next_marker`.
        paged(None::<String>, move |marker| {
            let client = client.clone();
            async move {
                let page = client.children_page(folder_id, marker.as_deref(), LISTING_PAGE).await?;
                let items: Vec<Item> = page
                    .folders
                    .into_iter()
                    .map(Item::Folder)
                    .chain(page.files.into_iter().map(Item::File))
                    .collect();
                Ok((items, page.next_marker.map(Some)))
            }
        })
    }

    /// The item at `path` in the personal space (`/` or `""` is the root folder, `/a/b.txt` a
    /// file in folder `a`).
    pub async fn resolve(&self, path: &str) -> Result<Item> {
        let mut current = Item::Folder(self.folder(0).await?);
        for segment in path.split('/').filter(|segment| !segment.is_empty()) {
            let Item::Folder(folder) = &current else {
                return Err(Error::Protocol(format!("{} is a file, not a folder", current.name())));
            };
            let children = self.children(folder.id);
            futures_util::pin_mut!(children);
            let mut found = None;
            while let Some(item) = children.next().await {
                let item = item?;
                if item.name() == segment {
                    found = Some(item);
                    break;
                }
            }
            current = found.ok_or_else(|| Error::NotFound {
                name: segment.to_owned(),
                folder: folder.name.clone(),
            })?;
        }
        Ok(current)
    }

    /// Every user of the enterprise (`admin/user/all`, an enterprise token), page by page.
    pub fn users(&self) -> impl Stream<Item = Result<openpan_types::DetailedUser>> + Send + 'static {
        let client = self.clone();
        paged(0i64, move |page_id| {
            let client = client.clone();
            async move {
                let page: UserPage = client
                    .get(
                        "/admin/user/all",
                        &[
                            ("page_id", page_id.to_string()),
                            ("page_capacity", LISTING_PAGE.to_string()),
                        ],
                    )
                    .await?;
                let more = page_id + 1 < page.page_count && !page.users.is_empty();
                Ok((page.users, more.then_some(page_id + 1)))
            }
        })
    }

    /// Makes a share link.
    pub async fn create_share_link(&self, link: &NewShareLink) -> Result<ShareLink> {
        self.post("/share_link/create", link).await
    }

    /// Events after `cursor` (`None`: from now on), waiting up to `wait_secs` for the first.
    pub async fn events(&self, cursor: Option<&str>, wait_secs: u32) -> Result<EventPage> {
        let mut query = vec![("wait", wait_secs.to_string())];
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_owned()));
        }
        self.get("/events", &query).await
    }
}

/// The items of page after page: `fetch` answers a page's items and where the next page starts
/// (`None` after the last).
fn paged<S, T, F, Fut>(start: S, mut fetch: F) -> impl Stream<Item = Result<T>> + Send + 'static
where
    S: Send + 'static,
    T: Send + 'static,
    F: FnMut(S) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<S>)>> + Send + 'static,
{
    stream::try_unfold(Some(start), move |next| {
        let page = next.map(&mut fetch);
        async move {
            match page {
                None => Ok::<_, Error>(None),
                Some(page) => page.await.map(Some),
            }
        }
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

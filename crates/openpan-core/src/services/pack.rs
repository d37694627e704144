//! `file/pack_download`: a zip of chosen files and folders. The URL is stateless like a file
//! download URL: the ticket carries the user, the expiry and the chosen items, signed with the
//! instance key. What the archive holds is decided when it is fetched, from what is still live
//! then; the HTTP layer streams it entry by entry.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::Principal;
use crate::blob::ByteStream;
use crate::collab::Capability;
use crate::drive::{ItemKind, ItemName};
use crate::error::{Error, NotFoundKind, Result};
use crate::ids::{ItemId, UserId};
use crate::services::Core;
use crate::services::transfer::DEFAULT_DOWNLOAD_TTL_SECS;

/// The most items one archive may be asked for.
pub const MAX_PACK_ITEMS: usize = 500;

/// The parts of a pack download URL.
#[derive(Debug, Clone)]
pub struct PackTicket {
    pub ticket: String,
    pub signature: String,
    /// The archive's file name.
    pub name: String,
}

/// One entry of an archive: a folder (`path/`) or a file's current bytes.
#[derive(Debug, Clone)]
pub struct PackEntry {
    /// Slash-separated, relative to the archive's root.
    pub path: String,
    pub is_folder: bool,
    pub size: i64,
    pub modified_at: i64,
    storage_key: Option<String>,
}

impl PackEntry {
    pub fn new(path: String, is_folder: bool, size: i64, modified_at: i64, storage_key: Option<String>) -> Self {
        Self {
            path,
            is_folder,
            size,
            modified_at,
            storage_key,
        }
    }
}

/// A file or folder chosen by its typed id (`file_12`, `folder_34`).
fn parse_typed_id(raw: &str) -> Option<(ItemKind, ItemId)> {
    let (kind, id) = raw.trim().split_once('_')?;
    let kind = match kind {
        "file" => ItemKind::File,
        "folder" => ItemKind::Folder,
        _ => return None,
    };
    let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
    Some((kind, ItemId(id)))
}

impl Core {
    /// Checks the chosen items and issues the archive's URL parts.
    pub async fn pack_download_url(&self, principal: &Principal, typed_ids: &[String]) -> Result<PackTicket> {
        if typed_ids.is_empty() {
            return Err(Error::invalid("item_typed_ids", "不能为空"));
        }
        if typed_ids.len() > MAX_PACK_ITEMS {
            return Err(Error::invalid("item_typed_ids", "一次最多打包500项"));
        }
        let (me, _) = self.personal_space(principal).await?;
        if me.user.disable_download {
            return Err(Error::PermissionDenied);
        }
        let mut chosen = Vec::with_capacity(typed_ids.len());
        let mut names = Vec::new();
        for raw in typed_ids {
            let (kind, id) =
                parse_typed_id(raw).ok_or_else(|| Error::invalid("item_typed_ids", "必须是file_{id}或folder_{id}"))?;
            let item = self.live(principal, id, kind, Capability::Download).await?;
            if item.is_root() {
                return Err(Error::invalid("item_typed_ids", "不能打包根目录"));
            }
            names.push(item.name.clone());
            chosen.push(format!("{}{}", if kind == ItemKind::File { 'f' } else { 'd' }, id.0));
        }
        let expires_at = self.clock.now() + DEFAULT_DOWNLOAD_TTL_SECS;
        let plain = format!("{}.{expires_at}.{}", me.user.id.0, chosen.join(","));
        let ticket = URL_SAFE_NO_PAD.encode(plain);
        let signature = self.ticket_signature("pack", &ticket);
        let name = match names.as_slice() {
            [single] => format!("{single}.zip"),
            _ => "打包下载.zip".to_owned(),
        };
        Ok(PackTicket {
            ticket,
            signature,
            name,
        })
    }

    /// Checks a pack URL and lists what the archive holds now: the chosen items still live,
    /// folders with everything live below them.
    pub async fn open_pack(&self, ticket: &str, signature: &str) -> Result<Vec<PackEntry>> {
        let invalid = || Error::not_found(NotFoundKind::Link);
        if !self.ticket_signature_holds("pack", ticket, signature) {
            return Err(invalid());
        }
        let plain = URL_SAFE_NO_PAD.decode(ticket).map_err(|_| invalid())?;
        let plain = String::from_utf8(plain).map_err(|_| invalid())?;
        let mut parts = plain.splitn(3, '.');
        let (Some(user), Some(expires_at), Some(items)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let user = UserId(user.parse().map_err(|_| invalid())?);
        let expires_at: i64 = expires_at.parse().map_err(|_| invalid())?;
        if expires_at <= self.clock.now() {
            return Err(invalid());
        }
        let owner = self.repo.find_user_with_enterprise(user).await?;
        let owner = owner
            .filter(|owner| owner.user.active && !owner.user.disable_download)
            .ok_or_else(invalid)?;
        let mut entries = Vec::new();
        let mut top_names = HashSet::new();
        for chosen in items.split(',') {
            let (kind, id) = match chosen.split_at_checked(1) {
                Some(("f", id)) => (ItemKind::File, id),
                Some(("d", id)) => (ItemKind::Folder, id),
                _ => return Err(invalid()),
            };
            let id = ItemId(id.parse().map_err(|_| invalid())?);
            let item = self.repo.find_item(id).await?;
            // Items trashed or deleted since the URL was issued, or out of the caller's reach
            // by now, are left out.
            let Some(item) = item.filter(|item| {
                item.kind == kind && item.enterprise_id == owner.user.enterprise_id && item.trash.is_none()
            }) else {
                continue;
            };
            if !self.access_to(owner.user.id, &item).await?.allows(Capability::Download) {
                continue;
            }
            let top = unique_name(&item.name, item.kind, &mut top_names);
            let subtree = self.repo.list_live_subtree(item.id).await?;
            let mut paths: HashMap<ItemId, String> = HashMap::new();
            for (member, storage_key) in subtree {
                let path = if member.id == item.id {
                    top.clone()
                } else {
                    let parent = member.parent_id.and_then(|parent| paths.get(&parent));
                    let Some(parent) = parent else { continue };
                    format!("{parent}/{}", member.name)
                };
                entries.push(PackEntry {
                    path: path.clone(),
                    is_folder: member.is_folder(),
                    size: member.size,
                    modified_at: member.modified_at,
                    storage_key,
                });
                paths.insert(member.id, path);
            }
        }
        if entries.is_empty() {
            return Err(invalid());
        }
        Ok(entries)
    }

    /// The bytes of one file entry of an archive.
    pub async fn pack_entry_bytes(&self, entry: &PackEntry) -> Result<ByteStream> {
        let key = entry
            .storage_key
            .as_deref()
            .ok_or_else(|| Error::internal("a packed file without stored bytes"))?;
        self.blobs.get(key, None).await.map_err(super::transfer::blob_failure)
    }
}

/// An item's name, numbered if another top-level entry already has it (names differing only
/// in case clash too: archives are unpacked on case-insensitive disks).
pub(crate) fn unique_name(original: &str, kind: ItemKind, taken: &mut HashSet<String>) -> String {
    let mut name = original.to_owned();
    let mut n = 0;
    while !taken.insert(crate::drive::name_key(&name)) {
        n += 1;
        name = ItemName::parse(original)
            .map(|parsed| parsed.numbered(n, kind).into_inner())
            .unwrap_or_else(|_| format!("{original} ({n})"));
    }
    name
}

//! Folder reads. The drive (issue #4) brings real folders; until then only the root exists.

use crate::auth::Principal;
use crate::error::{Error, NotFoundKind, Result};
use crate::ids::FolderId;
use crate::model::UserWithEnterprise;
use crate::services::Core;

/// The root folder's name, as every client shows it.
pub const ROOT_FOLDER_NAME: &str = "全部文件";

/// What `/folder/{id}/info` answers.
#[derive(Debug, Clone)]
pub struct FolderInfo {
    pub id: FolderId,
    pub name: String,
    pub owner: UserWithEnterprise,
    pub created_at: i64,
    pub modified_at: i64,
    pub size: i64,
    pub item_count: i64,
}

impl Core {
    /// Folder 0 is the caller's own root.
    pub async fn folder_info(&self, principal: &Principal, folder_id: FolderId) -> Result<FolderInfo> {
        let owner = self.current_user(principal).await?;
        if folder_id != FolderId(0) {
            // No other folder exists before the drive lands (issue #4).
            return Err(Error::not_found(NotFoundKind::Folder));
        }
        Ok(FolderInfo {
            id: folder_id,
            name: ROOT_FOLDER_NAME.to_owned(),
            created_at: owner.user.created_at,
            modified_at: owner.user.created_at,
            size: owner.user.space_used,
            // FIXME(#4): count children once folders and files exist; the root is empty until then.
            item_count: 0,
            owner,
        })
    }
}

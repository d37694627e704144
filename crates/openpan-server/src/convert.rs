//! Domain → wire conversions, by hand, so a domain change never silently changes the wire.

use openpan_core::model::UserWithEnterprise;
use openpan_core::services::FolderInfo;
use openpan_types as wire;

pub fn mini_user(owner: &UserWithEnterprise) -> wire::MiniUser {
    wire::MiniUser {
        id: owner.user.id.0,
        name: owner.user.name.clone(),
        login: owner.user.login().to_owned(),
        enterprise_id: owner.user.enterprise_id.0,
    }
}

pub fn user(record: &UserWithEnterprise) -> wire::User {
    let user = &record.user;
    wire::User {
        id: user.id.0,
        enterprise: wire::EnterpriseRef {
            id: record.enterprise.id.0,
            name: record.enterprise.name.clone(),
            admin_user_id: record.enterprise.admin_user_id.0,
        },
        name: user.name.clone(),
        login: user.login().to_owned(),
        phone: user.phone.clone().unwrap_or_default(),
        email: user.email.clone().unwrap_or_default(),
        profile_pic_key: String::new(),
        active: user.active,
        // Romanisation of Chinese names comes with the organisation directory (issue #5);
        // until then the name stands for itself, which is right for Latin names.
        full_name_pinyin: user.name.clone(),
        pinyin_first_letters: user.name.chars().filter(|c| c.is_alphanumeric()).take(1).collect(),
    }
}

pub fn detailed_user(record: &UserWithEnterprise, with_last_login: bool) -> wire::DetailedUser {
    wire::DetailedUser {
        user: user(record),
        hide_phone: record.user.hide_phone,
        disable_download: record.user.disable_download,
        space_used: record.user.space_used,
        space_total: record.user.space_total,
        last_login_at: if with_last_login {
            Some(record.user.last_login_at.unwrap_or(0))
        } else {
            None
        },
    }
}

/// Everything an owner may do with their own root.
const ROOT_PERMISSIONS: &[&str] = &["item_upload", "item_download", "item_preview", "item_view", "item_own"];

pub fn folder(info: &FolderInfo) -> wire::Folder {
    let owner = mini_user(&info.owner);
    wire::Folder {
        id: info.id.0,
        kind: "folder".to_owned(),
        name: info.name.clone(),
        size: info.size,
        created_at: info.created_at,
        modified_at: info.modified_at,
        description: String::new(),
        path: Vec::new(),
        owned_by: owner.clone(),
        modified_by: owner,
        parent: None,
        sequence_id: 0,
        item_count: info.item_count,
        folder_type: "normal".to_owned(),
        shared: false,
        space: wire::Space {
            kind: "personal".to_owned(),
            id: None,
        },
        in_trash: false,
        is_deleted: false,
        is_frequently_used: false,
        permissions: ROOT_PERMISSIONS
            .iter()
            .map(|permission| (*permission).to_owned())
            .collect(),
    }
}

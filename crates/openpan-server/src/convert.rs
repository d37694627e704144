//! Domain → wire conversions, by hand, so a domain change never silently changes the wire.

use openpan_core::drive::{Item, ItemKind, PathEntry, ROOT_FOLDER_NAME, Space, extension, extension_category};
use std::collections::HashSet;

use openpan_core::collab::Role;
use openpan_core::ids::{EnterpriseId, ItemId, UserId};
use openpan_core::model::{User, UserWithEnterprise};
use openpan_core::services::{
    CollabView, CommentView, FolderCollabs, ItemListing, ItemView, ReviewCommentView, ReviewView, ShareLinkView,
    TaggedItem, Users, VersionView,
};
use openpan_core::tag::Tag;
use openpan_types as wire;

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
        profile_pic_key: user.profile_pic_key.clone().unwrap_or_default(),
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

/// A user as colleagues see it in directory lists; a hidden phone stays hidden.
pub fn listed_user(user: &openpan_core::model::User, enterprise: &openpan_core::model::Enterprise) -> wire::ListedUser {
    wire::ListedUser {
        id: user.id.0,
        name: user.name.clone(),
        login: user.public_login().to_owned(),
        enterprise_id: user.enterprise_id.0,
        user_group: if user.id == enterprise.admin_user_id || user.is_admin {
            "admin"
        } else {
            "user"
        }
        .to_owned(),
        email: user.email.clone().unwrap_or_default(),
        phone: if user.hide_phone {
            String::new()
        } else {
            user.phone.clone().unwrap_or_default()
        },
        space_total: user.space_total,
        space_used: user.space_used,
        profile_pic_key: user.profile_pic_key.clone().unwrap_or_default(),
        is_active: user.active,
        is_phone_public: !user.hide_phone,
        full_name_pinyin: user.name.clone(),
    }
}

fn director(users: &Users, department: &openpan_core::org::Department) -> Option<wire::MiniUser> {
    department.director_id.map(|id| named_user(users, id))
}

pub fn department(
    department: &openpan_core::org::Department,
    users: &Users,
    direct_item_count: i64,
) -> wire::Department {
    wire::Department {
        id: department.id.0,
        name: department.name.clone(),
        user_count: department.user_count,
        parent_id: department.parent_id.0,
        director: director(users, department),
        created_at: department.created_at,
        children_departments_count: department.children_count,
        direct_item_count,
        order: department.order,
    }
}

pub fn detailed_department(view: &openpan_core::services::DepartmentView) -> wire::DetailedDepartment {
    let d = &view.department;
    wire::DetailedDepartment {
        department: department(d, &view.users, view.direct_item_count),
        space_used: d.space_used,
        space_total: d.space_total,
        space_used_camel: d.space_used,
        space_total_camel: d.space_total,
        hide_phone: d.hide_phone,
        disable_share: d.disable_share,
        enable_watermark: d.enable_watermark,
        collab_auto_accepted: d.collab_auto_accepted,
        file_managers: view
            .file_managers
            .iter()
            .map(|id| named_user(&view.users, *id))
            .collect(),
        permission_type: d.permission_type.clone(),
    }
}

pub fn mini_department(
    department: &openpan_core::org::Department,
    users: &Users,
    direct_item_count: i64,
) -> wire::MiniDepartment {
    wire::MiniDepartment {
        id: department.id.0,
        name: department.name.clone(),
        user_count: department.user_count,
        children_departments_count: department.children_count,
        direct_item_count,
        has_children_departments: department.children_count > 0,
        parent_id: department.parent_id.0,
        director: director(users, department),
    }
}

pub fn department_children(listing: &openpan_core::services::DepartmentChildren) -> wire::DepartmentChildren {
    let parent = &listing.parent;
    wire::DepartmentChildren {
        id: parent.id.0,
        name: parent.name.clone(),
        user_count: parent.user_count,
        parent_id: parent.parent_id.0,
        has_children_departments: !listing.children.is_empty(),
        children: listing
            .children
            .iter()
            .map(|child| mini_department(child, &listing.users, listing.item_count(child.id)))
            .collect(),
    }
}

pub fn group(group: &openpan_core::org::Group, users: &Users) -> wire::Group {
    wire::Group {
        id: group.id.0,
        name: group.name.clone(),
        description: group.description.clone(),
        created_at: group.created_at,
        user_count: group.user_count,
        admin_user: group.admin_user_id.map(|id| named_user(users, id)),
        is_visible: group.is_visible,
        collab_auto_accepted: group.collab_auto_accepted,
    }
}

/// A page of directory users.
pub fn listed_user_page(
    users: &[openpan_core::model::User],
    total_count: i64,
    page: openpan_core::model::Page,
    enterprise: &openpan_core::model::Enterprise,
) -> wire::ListedUserPage {
    wire::ListedUserPage {
        users: users.iter().map(|user| listed_user(user, enterprise)).collect(),
        total_count,
        page_id: page.page_id,
        page_capacity: page.capacity,
        page_count: page.page_count(total_count),
    }
}

pub fn mini_user(user: &openpan_core::model::User) -> wire::MiniUser {
    wire::MiniUser {
        id: user.id.0,
        name: user.name.clone(),
        login: user.public_login().to_owned(),
        enterprise_id: user.enterprise_id.0,
    }
}

/// A user an item names; one that is gone keeps its id with empty details.
fn named_user(users: &Users, id: UserId) -> wire::MiniUser {
    user_or_gone(users.get(id), id, EnterpriseId(0))
}

/// `user` as a mini user; one that is gone keeps its id (and the enterprise it was of) with
/// empty details.
pub fn user_or_gone(user: Option<&User>, id: UserId, enterprise: EnterpriseId) -> wire::MiniUser {
    match user {
        Some(user) => mini_user(user),
        None => wire::MiniUser {
            id: id.0,
            name: String::new(),
            login: String::new(),
            enterprise_id: enterprise.0,
        },
    }
}

fn path_folder(entry: &PathEntry) -> wire::PathFolder {
    wire::PathFolder {
        kind: "folder".to_owned(),
        // Clients know a space's root as folder 0.
        id: if entry.is_root { 0 } else { entry.id.0 },
        name: if entry.is_root {
            ROOT_FOLDER_NAME.to_owned()
        } else {
            entry.name.clone()
        },
    }
}

fn space(space: Space) -> wire::Space {
    match space {
        Space::Personal(_) => wire::Space {
            kind: "personal".to_owned(),
            id: None,
        },
        Space::Department(department) => wire::Space {
            kind: "department".to_owned(),
            id: Some(department.0),
        },
    }
}

fn trash_fields(item: &Item, users: &Users) -> Option<wire::TrashFields> {
    item.trash.map(|trash| wire::TrashFields {
        deleted_at: trash.at,
        deleted_by: named_user(users, trash.by),
    })
}

/// What the viewer may do to the item, by the platform's names.
fn permissions(view: &ItemView) -> Vec<String> {
    view.access
        .grants
        .permissions()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

pub fn folder(view: &ItemView, users: &Users, frequent: &HashSet<ItemId>) -> wire::Folder {
    folder_shaped(view, users, frequent, true)
}

fn folder_shaped(view: &ItemView, users: &Users, frequent: &HashSet<ItemId>, detail: bool) -> wire::Folder {
    let item = &view.item;
    let root = item.is_root();
    wire::Folder {
        id: if root { 0 } else { item.id.0 },
        kind: "folder".to_owned(),
        name: if root {
            ROOT_FOLDER_NAME.to_owned()
        } else {
            item.name.clone()
        },
        size: item.size,
        created_at: item.created_at,
        modified_at: item.modified_at,
        description: item.description.clone(),
        path: view.path.iter().map(path_folder).collect(),
        owned_by: named_user(users, item.owner_id),
        modified_by: named_user(users, item.modified_by),
        parent: view.path.last().map(path_folder),
        sequence_id: item.sequence_id,
        item_count: item.item_count(),
        folder_type: "normal".to_owned(),
        shared: view.shared,
        space: space(item.space),
        in_trash: item.trash.is_some(),
        is_deleted: false,
        is_frequently_used: frequent.contains(&item.id),
        permissions: detail.then(|| permissions(view)),
        trash: trash_fields(item, users),
    }
}

pub fn file(view: &ItemView, users: &Users, frequent: &HashSet<ItemId>) -> wire::File {
    file_shaped(view, users, frequent, true)
}

fn file_shaped(view: &ItemView, users: &Users, frequent: &HashSet<ItemId>, detail: bool) -> wire::File {
    let item = &view.item;
    wire::File {
        id: item.id.0,
        kind: "file".to_owned(),
        name: item.name.clone(),
        size: item.size,
        sha1: item.sha1.clone().unwrap_or_default(),
        created_at: item.created_at,
        modified_at: item.modified_at,
        description: item.description.clone(),
        path: view.path.iter().map(path_folder).collect(),
        owned_by: named_user(users, item.owner_id),
        modified_by: named_user(users, item.modified_by),
        parent: view.path.last().map(path_folder),
        sequence_id: item.sequence_id,
        comments_count: item.comment_count,
        extension_category: extension_category(&item.name).to_owned(),
        space: space(item.space),
        in_trash: item.trash.is_some(),
        is_deleted: false,
        is_frequently_used: frequent.contains(&item.id),
        permissions: detail.then(|| permissions(view)),
        trash: trash_fields(item, users),
    }
}

pub fn item_page(listing: &ItemListing) -> wire::ItemPage {
    item_page_with(listing, false)
}

/// A page whose items carry `permissions[]` when `with_permissions` (search's `fields=permission`).
pub fn item_page_with(listing: &ItemListing, with_permissions: bool) -> wire::ItemPage {
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for view in &listing.items {
        match view.item.kind {
            ItemKind::Folder => folders.push(folder_shaped(view, &listing.users, &listing.frequent, with_permissions)),
            ItemKind::File => files.push(file_shaped(view, &listing.users, &listing.frequent, with_permissions)),
        }
    }
    wire::ItemPage {
        files,
        folders,
        total_count: listing.total,
        page_id: listing.page.page_id,
        page_capacity: listing.page.capacity,
        page_count: listing.page.page_count(listing.total),
        next_marker: listing.next_marker.clone(),
    }
}

pub fn frequent_page(listing: &ItemListing) -> wire::FrequentPage {
    let page = item_page(listing);
    wire::FrequentPage {
        frequent_items: listing
            .items
            .iter()
            .filter(|view| view.item.kind == ItemKind::File)
            .map(|view| wire::FrequentItem {
                file: file(view, &listing.users, &listing.frequent),
                file_version_key: view
                    .item
                    .current_version_id
                    .map(|id| id.0.to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        total_count: page.total_count,
        page_id: page.page_id,
        page_capacity: page.page_capacity,
        page_count: page.page_count,
    }
}

pub fn file_version(view: &VersionView, users: &Users) -> wire::FileVersion {
    let version = &view.version;
    wire::FileVersion {
        id: version.id.0,
        file_id: version.file_id.0,
        name: version.name.clone(),
        size: version.size,
        sha1: version.sha1.clone(),
        modified_at: version.created_at,
        modified_by: named_user(users, version.created_by),
        current: view.current,
        remark: version.remark.clone(),
        description: String::new(),
    }
}

pub fn uploaded_part(part: &openpan_core::ports::UploadPart) -> wire::UploadedPart {
    wire::UploadedPart {
        part_number: i64::from(part.number),
        size: part.size,
        sha256: hex_lower(&part.sha256),
    }
}

pub fn resumable(upload: &openpan_core::services::ResumableUpload, upload_url: String) -> wire::ResumableUpload {
    wire::ResumableUpload {
        upload_url,
        name: upload.name.clone(),
        size: upload.size,
        part_size: upload.part_size,
        part_count: upload.part_count,
        expires_at: upload.expires_at,
        parts: upload.parts.iter().map(uploaded_part).collect(),
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn collab(view: &CollabView) -> wire::Collab {
    let collab = &view.collab;
    wire::Collab {
        id: Some(collab.id.0),
        collab_id: Some(collab.id.0),
        item: Some(wire::MiniElement {
            kind: "folder".to_owned(),
            id: collab.folder_id.0,
            name: view.folder_name.clone(),
        }),
        accessible_by: wire::MiniElement {
            kind: collab.accessor.type_name().to_owned(),
            id: collab.accessor.id(),
            name: view.accessor_name.clone(),
        },
        accepted: collab.accepted,
        role: collab.role.as_str().to_owned(),
        user: view.user.as_ref().map(mini_user),
    }
}

pub fn folder_collabs(view: &FolderCollabs) -> wire::FolderCollabs {
    let mut collabs: Vec<wire::Collab> = view
        .owner
        .iter()
        .map(|owner| wire::Collab {
            id: None,
            collab_id: None,
            item: None,
            accessible_by: wire::MiniElement {
                kind: "user".to_owned(),
                id: owner.id.0,
                name: owner.name.clone(),
            },
            accepted: true,
            role: Role::Owner.as_str().to_owned(),
            user: Some(mini_user(owner)),
        })
        .collect();
    collabs.extend(view.collabs.iter().map(collab));
    wire::FolderCollabs {
        final_role: view.final_role.as_str().to_owned(),
        collab_info: collabs.clone(),
        collabs,
    }
}

pub fn share_link(view: &ShareLinkView, public_url: &str) -> wire::ShareLink {
    let link = &view.link;
    wire::ShareLink {
        unique_name: link.unique_name.clone(),
        share_link: format!("{public_url}/share/{}", link.unique_name),
        access: link.access.as_str().to_owned(),
        password_protected: link.password_protected(),
        created_at: link.created_at,
        modified_at: link.modified_at,
        due_time: link.due_date().unwrap_or_default(),
        disable_download: link.disable_download,
        download_count_total: link.download_count,
        view_count: link.view_count,
        item: wire::MiniElement {
            kind: match link.item_kind {
                ItemKind::File => "file",
                ItemKind::Folder => "folder",
            }
            .to_owned(),
            id: link.item_id.0,
            name: view.item_name.clone(),
        },
        owned_by: user_or_gone(view.creator.as_ref(), link.created_by, link.enterprise_id),
    }
}

pub fn comment(view: &CommentView) -> wire::Comment {
    let comment = &view.comment;
    wire::Comment {
        id: comment.id.0,
        comment_id: comment.id.0,
        content: comment.content.clone(),
        created_at: comment.created_at,
        user: user_or_gone(view.author.as_ref(), comment.user_id, comment.enterprise_id),
        file_id: comment.file_id.0,
        item: wire::MiniElement {
            kind: "file".to_owned(),
            id: comment.file_id.0,
            name: view.file_name.clone(),
        },
    }
}

pub fn tag(tag: &Tag) -> wire::Tag {
    wire::Tag {
        id: tag.id.0,
        name: tag.name.clone(),
    }
}

pub fn tag_list(tags: &[Tag]) -> wire::TagList {
    wire::TagList {
        success: true,
        tags: tags.iter().map(tag).collect(),
    }
}

pub fn tagged_items(items: &[TaggedItem]) -> wire::TaggedItems {
    wire::TaggedItems {
        success: true,
        items: items
            .iter()
            .map(|tagged| {
                let kind = match tagged.item.kind {
                    ItemKind::File => "file",
                    ItemKind::Folder => "folder",
                };
                wire::TaggedItem {
                    kind: kind.to_owned(),
                    id: tagged.item.id.0,
                    typed_id: format!("{kind}_{}", tagged.item.id.0),
                    name: tagged.item.name.clone(),
                    tags: tagged.tags.iter().map(tag).collect(),
                }
            })
            .collect(),
    }
}

pub fn review(view: &ReviewView) -> wire::Review {
    let review = &view.review;
    wire::Review {
        id: review.id.0,
        inviter: user_or_gone(view.inviter.as_ref(), review.inviter_id, review.enterprise_id),
        name: review.name.clone(),
        description: review.description.clone(),
        created_at: review.created_at,
        modified_at: review.modified_at,
        due_time: review.due_at.unwrap_or(0),
        reviewers: view.reviewers.iter().map(mini_user).collect(),
        items: view
            .items
            .iter()
            .map(|entry| {
                let item = entry.item.as_ref();
                // Where a file lives and whose it is are the inviter's to know.
                let inviter_sees = |value: i64| if view.viewer_is_inviter { value } else { 0 };
                wire::ReviewItem {
                    extension: extension(&entry.name),
                    created_at: item.map_or(0, |item| item.created_at),
                    modified_at: item.map_or(0, |item| item.modified_at),
                    id: entry.id.0,
                    name: entry.name.clone(),
                    typed_id: format!("file_{}", entry.id.0),
                    user_id: inviter_sees(item.map_or(0, |item| item.owner_id.0)),
                    size: item.map_or(0, |item| item.size),
                    parent_folder_id: inviter_sees(item.and_then(|item| item.parent_id).map_or(0, |id| id.0)),
                    in_trash: item.is_some_and(|item| item.trash.is_some()),
                    is_deleted: entry.deleted,
                }
            })
            .collect(),
        is_complete: review.completed_at.is_some(),
        need_sign: false,
        is_expired: view.expired,
    }
}

pub fn review_ref(review: &openpan_core::review::Review) -> wire::ReviewRef {
    wire::ReviewRef {
        id: review.id.0,
        name: review.name.clone(),
    }
}

pub fn review_comment(view: &ReviewCommentView) -> wire::ReviewComment {
    let comment = &view.comment;
    wire::ReviewComment {
        id: comment.id.0,
        user: user_or_gone(view.author.as_ref(), comment.user_id, EnterpriseId(0)),
        content: comment.content.clone(),
        created_at: comment.created_at,
        is_voice: false,
        voice_length: 0,
        voice_storage_path_mp3: String::new(),
        voice_storage_path_ogg: String::new(),
    }
}

//! Audit events: every change the product makes is recorded with who made it (user, app),
//! from where (address, user agent, service), what it did (the platform's action codes) and to
//! what — in the same transaction as the change, so the log never shows a change that did not
//! happen nor misses one that did.
//!
//! A request runs inside a [`scope`] that knows where it came from. A service announces the
//! event of the write it is about to make ([`crate::services::Core::audited`]); the repository
//! takes the announced events ([`take_pending`]) and inserts them inside the transaction it
//! commits. Nothing here depends on storage or HTTP.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::drive::Space;
use crate::ids::{AppId, EnterpriseId, UserId};

/// Where the changes of a request come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The client's address.
    pub ip: String,
    pub user_agent: String,
    /// How the caller reached openpan (`开放平台`, `命令行`, …).
    pub service: String,
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    File,
    Folder,
    User,
    Department,
    Group,
    Enterprise,
    Review,
    /// An app of the enterprise (webhook events).
    App,
}

impl TargetKind {
    pub fn code(self) -> i16 {
        match self {
            TargetKind::File => 1,
            TargetKind::Folder => 2,
            TargetKind::User => 3,
            TargetKind::Department => 4,
            TargetKind::Group => 5,
            TargetKind::Enterprise => 6,
            TargetKind::Review => 7,
            TargetKind::App => 8,
        }
    }

    pub fn from_code(code: i16) -> Option<Self> {
        Some(match code {
            1 => TargetKind::File,
            2 => TargetKind::Folder,
            3 => TargetKind::User,
            4 => TargetKind::Department,
            5 => TargetKind::Group,
            6 => TargetKind::Enterprise,
            7 => TargetKind::Review,
            8 => TargetKind::App,
            _ => return None,
        })
    }
}

/// An entry of the event log: the one ordered record of the changes (files, folders,
/// collaborations, shares, comments, reviews, users, departments, groups) that webhooks and the
/// event feed deliver. It is written with the audit event of the same change, in the change's
/// transaction, so a delivered event always happened and a change never lacks its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// What happened: `file.uploaded`, `collab.invited`, `user.updated`, … (see
    /// [`crate::webhook::EVENT_TYPES`]).
    pub event: &'static str,
    /// The collaboration, share link or comment it happened to, or the target itself; 0 for
    /// what the write creates (the repository fills it in).
    pub subject_id: i64,
    /// The space of the file or folder it concerns, when it is one (the repository reads the
    /// item's space after the change when it still exists, so a move names where it went).
    pub space: Option<Space>,
}

/// The event-log type of a change the audit log records as `action` on a `kind` target, for
/// changes that carry no event type of their own; `None` for what is not a change others
/// follow (downloads, logins, frequent marks).
pub fn feed_event(action: i32, kind: TargetKind) -> Option<&'static str> {
    use action::*;
    let item = |file: &'static str, folder: &'static str| match kind {
        TargetKind::File => Some(file),
        TargetKind::Folder => Some(folder),
        _ => None,
    };
    match action {
        UPLOAD => item("file.uploaded", "folder.updated"),
        NEW_FILE => item("file.created", "folder.updated"),
        NEW_FOLDER => item("file.created", "folder.created"),
        UPLOAD_NEW_VERSION | SET_CURRENT_VERSION | DELETE_VERSION => item("file.updated", "folder.updated"),
        RENAME | EDIT_DESCRIPTION | ADD_TAG | REMOVE_TAG => item("file.updated", "folder.updated"),
        MOVE => item("file.moved", "folder.moved"),
        COPY => item("file.copied", "folder.copied"),
        DELETE => item("file.trashed", "folder.trashed"),
        RESTORE => item("file.restored", "folder.restored"),
        DELETE_FROM_TRASH => item("file.deleted", "folder.deleted"),
        INVITE_MEMBER => Some("user.created"),
        DELETE_MEMBER => Some("user.deleted"),
        SET_MEMBER_SPACE | SET_MEMBER_PERMISSIONS | CHANGE_NAME | CHANGE_PROFILE_PICTURE | ACTIVATE_USER => {
            Some("user.updated")
        }
        NEW_DEPARTMENT => Some("department.created"),
        EDIT_DEPARTMENT => Some("department.updated"),
        DELETE_DEPARTMENT => Some("department.deleted"),
        ADD_DEPARTMENT_MEMBER => Some("department.member_added"),
        REMOVE_DEPARTMENT_MEMBER => Some("department.member_removed"),
        NEW_GROUP => Some("group.created"),
        EDIT_GROUP => Some("group.updated"),
        DISMISS_GROUP => Some("group.deleted"),
        ADD_GROUP_MEMBER => Some("group.member_added"),
        REMOVE_GROUP_MEMBER => Some("group.member_removed"),
        EDIT_ENTERPRISE => Some("enterprise.updated"),
        CREATE_APP => Some("app.created"),
        EDIT_APP => Some("app.updated"),
        RESET_APP_SECRET => Some("app.secret_rotated"),
        DISABLE_APP => Some("app.disabled"),
        ENABLE_APP => Some("app.enabled"),
        DELETE_APP => Some("app.deleted"),
        AUTHORIZE_APP => Some("app.authorized"),
        _ => None,
    }
    .filter(|event| match kind {
        TargetKind::User => event.starts_with("user."),
        TargetKind::Department => event.starts_with("department."),
        TargetKind::Group => event.starts_with("group."),
        TargetKind::Enterprise => event.starts_with("enterprise."),
        TargetKind::File | TargetKind::Folder => true,
        TargetKind::App => event.starts_with("app."),
        TargetKind::Review => false,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub enterprise_id: EnterpriseId,
    /// The platform's action code (see [`action_name`]).
    pub action: i32,
    /// The acting user; none for an app acting for its enterprise or the operator.
    pub operator: Option<UserId>,
    pub app: Option<AppId>,
    pub target_kind: TargetKind,
    /// 0 until the write that creates the target knows its id.
    pub target_id: i64,
    pub target_name: String,
    /// Bytes, for files and folders.
    pub target_size: Option<i64>,
    /// The department the change concerns, for department filters.
    pub department_id: Option<i64>,
    /// Free-form details (a JSON object), such as a rename's old name.
    pub detail: String,
    pub origin: Origin,
    pub created_at: i64,
    /// Also an entry of the event log.
    pub feed: Option<FeedEntry>,
}

/// A stored event, with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub id: i64,
    pub event: AuditEvent,
}

/// The platform's action codes openpan records.
pub mod action {
    pub const LOGIN: i32 = 1;
    pub const LOGOUT: i32 = 2;
    pub const LOGIN_FAILED: i32 = 3;
    pub const INVITE_MEMBER: i32 = 10;
    pub const DELETE_MEMBER: i32 = 11;
    pub const SET_MEMBER_SPACE: i32 = 12;
    pub const ACTIVATE_USER: i32 = 14;
    pub const SET_MEMBER_PERMISSIONS: i32 = 21;
    pub const CHANGE_NAME: i32 = 30;
    pub const CHANGE_PROFILE_PICTURE: i32 = 41;
    pub const COPY: i32 = 100;
    pub const MOVE: i32 = 101;
    pub const NEW_FOLDER: i32 = 102;
    pub const DELETE_FROM_TRASH: i32 = 103;
    pub const DELETE: i32 = 104;
    pub const RESTORE: i32 = 105;
    pub const DOWNLOAD: i32 = 107;
    pub const UPLOAD: i32 = 108;
    pub const RENAME: i32 = 109;
    pub const DELETE_VERSION: i32 = 110;
    pub const NEW_FILE: i32 = 111;
    pub const SET_CURRENT_VERSION: i32 = 112;
    pub const UPLOAD_NEW_VERSION: i32 = 113;
    pub const ADD_FREQUENT: i32 = 115;
    pub const REMOVE_FREQUENT: i32 = 116;
    pub const ADD_TAG: i32 = 117;
    pub const REMOVE_TAG: i32 = 118;
    pub const EDIT_DESCRIPTION: i32 = 119;
    pub const PREVIEW: i32 = 600;
    pub const PREVIEW_VERSION: i32 = 601;
    pub const ADD_COMMENT: i32 = 200;
    pub const DELETE_COMMENT: i32 = 201;
    pub const START_REVIEW: i32 = 300;
    pub const EDIT_REVIEW: i32 = 301;
    pub const COMPLETE_REVIEW: i32 = 302;
    pub const REVIEW_COMMENT: i32 = 303;
    pub const CLOSE_REVIEW: i32 = 309;
    pub const SHARE: i32 = 400;
    pub const DELETE_SHARE: i32 = 401;
    pub const EDIT_SHARE: i32 = 405;
    pub const INVITE_COLLABORATOR: i32 = 500;
    pub const REMOVE_COLLABORATOR: i32 = 501;
    pub const CHANGE_COLLAB_ROLE: i32 = 502;
    pub const ACCEPT_DEPARTMENT_COLLAB: i32 = 512;
    pub const ACCEPT_GROUP_COLLAB: i32 = 513;
    pub const NEW_GROUP: i32 = 702;
    pub const DISMISS_GROUP: i32 = 703;
    pub const EDIT_GROUP: i32 = 704;
    pub const ADD_GROUP_MEMBER: i32 = 705;
    pub const REMOVE_GROUP_MEMBER: i32 = 706;
    pub const EDIT_ENTERPRISE: i32 = 900;
    pub const NEW_DEPARTMENT: i32 = 1000;
    pub const EDIT_DEPARTMENT: i32 = 1001;
    pub const DELETE_DEPARTMENT: i32 = 1004;
    pub const REMOVE_DEPARTMENT_MEMBER: i32 = 1005;
    pub const ADD_DEPARTMENT_MEMBER: i32 = 1006;
    // openpan's own codes, for the open platform's apps.
    pub const CREATE_APP: i32 = 2000;
    pub const EDIT_APP: i32 = 2001;
    pub const RESET_APP_SECRET: i32 = 2002;
    pub const DISABLE_APP: i32 = 2003;
    pub const ENABLE_APP: i32 = 2004;
    pub const DELETE_APP: i32 = 2005;
    /// A person approved an app's access on the consent page.
    pub const AUTHORIZE_APP: i32 = 2006;
}

/// Every action code with its name, as the platform lists them.
pub fn catalogue() -> &'static [(i32, &'static str)] {
    static CATALOGUE: OnceLock<Vec<(i32, &'static str)>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        include_str!("audit_actions.tsv")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| {
                let (code, name) = line.split_once('\t')?;
                Some((code.parse().ok()?, name))
            })
            .collect()
    })
}

/// The name of an action code.
pub fn action_name(code: i32) -> Option<&'static str> {
    static BY_CODE: OnceLock<HashMap<i32, &'static str>> = OnceLock::new();
    BY_CODE
        .get_or_init(|| catalogue().iter().copied().collect())
        .get(&code)
        .copied()
}

struct Scope {
    origin: Origin,
    pending: Vec<AuditEvent>,
}

tokio::task_local! {
    static SCOPE: RefCell<Scope>;
}

/// Runs `work` (one request, one CLI command) with its changes recorded as coming from
/// `origin`.
pub async fn scope<F: Future>(origin: Origin, work: F) -> F::Output {
    SCOPE
        .scope(
            RefCell::new(Scope {
                origin,
                pending: Vec::new(),
            }),
            work,
        )
        .await
}

/// Announces the event of the write about to happen. Outside a scope (background work that
/// changes nothing anyone did) there is nothing to record.
pub(crate) fn announce(mut event: AuditEvent) {
    let _ = SCOPE.try_with(|scope| {
        let mut scope = scope.borrow_mut();
        event.origin = scope.origin.clone();
        scope.pending.push(event);
    });
}

/// Who makes the change about to commit, and when: the enterprise, operator, app and time of
/// its first announced event. Repositories credit what a change removes along the way (the
/// invitations of a deleted user, the links of a purged folder) to it.
pub fn pending_actor() -> Option<(EnterpriseId, Option<UserId>, Option<AppId>, i64)> {
    SCOPE
        .try_with(|scope| {
            scope
                .borrow()
                .pending
                .first()
                .map(|event| (event.enterprise_id, event.operator, event.app, event.created_at))
        })
        .ok()
        .flatten()
}

/// The announced events, for the transaction about to commit; `created` fills in the id of
/// what the transaction created.
pub fn take_pending(created: Option<i64>) -> Vec<AuditEvent> {
    take_pending_created(created.as_slice())
}

/// [`take_pending`] for a write that created several things: the n-th event that names what
/// the write creates (target or feed subject 0) gets the n-th id.
pub fn take_pending_created(created: &[i64]) -> Vec<AuditEvent> {
    SCOPE
        .try_with(|scope| {
            let mut events = std::mem::take(&mut scope.borrow_mut().pending);
            let mut next = 0;
            for event in events.iter_mut() {
                let feed_names_it = event.feed.as_ref().is_some_and(|feed| feed.subject_id == 0);
                if event.target_id != 0 && !feed_names_it {
                    continue;
                }
                let id = match created {
                    [only] => *only,
                    many => match many.get(next) {
                        Some(id) => *id,
                        None => continue,
                    },
                };
                next += 1;
                if event.target_id == 0 {
                    event.target_id = id;
                }
                if let Some(feed) = &mut event.feed
                    && feed.subject_id == 0
                {
                    feed.subject_id = id;
                }
            }
            events
        })
        .unwrap_or_default()
}

/// Drops announced events whose write did not happen.
pub(crate) fn discard_pending() {
    let _ = SCOPE.try_with(|scope| scope.borrow_mut().pending.clear());
}

/// How many announced events wait for a commit.
pub(crate) fn pending_count() -> usize {
    SCOPE.try_with(|scope| scope.borrow().pending.len()).unwrap_or(0)
}

/// A byte size as the platform's log shows it: `69.88KB`.
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{}B", bytes.max(0))
    } else {
        format!("{value:.2}{}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_every_code_the_product_records() {
        for code in [
            action::LOGIN,
            action::UPLOAD,
            action::MOVE,
            action::NEW_DEPARTMENT,
            action::ADD_GROUP_MEMBER,
            action::CHANGE_PROFILE_PICTURE,
            action::CREATE_APP,
            action::AUTHORIZE_APP,
        ] {
            assert!(action_name(code).is_some(), "{code}");
        }
        assert_eq!(action_name(600), Some("预览"));
        // The platform's 266 and openpan's 7 for apps.
        assert_eq!(catalogue().len(), 273);
    }

    #[test]
    fn sizes_read_like_the_platforms_log() {
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(71_557), "69.88KB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.00MB");
    }
}

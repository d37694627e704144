//! Collaboration roles and what each lets a collaborator do: the one capability matrix every
//! service checks, and the `permissions[]` strings clients read. `docs/permissions.md` is
//! generated from this table (a tidy test keeps it current).

use crate::ids::{CollabId, DepartmentId, EnterpriseId, GroupId, ItemId, UserId};

/// A collaborator's role on a folder (and everything below it), as the platform names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    // Ordered weakest first, so the strongest of several grants is their maximum.
    /// `reset`: the grant gives nothing (the way the platform takes a role back).
    Reset,
    Uploader,
    Previewer,
    PreviewerUploader,
    Viewer,
    ViewerUploader,
    OnlineCollaborator,
    Editor,
    Coowner,
    /// The item's owner (never granted; answered for the owner's own items).
    Owner,
}

/// Something a role may let a collaborator do to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// See the item in listings and search, and read its info.
    List,
    /// Open a preview.
    Preview,
    /// Download the bytes (and pack downloads, versions' bytes).
    Download,
    /// Add files and folders inside, and new versions.
    Upload,
    /// Change the content online and the description.
    Edit,
    Rename,
    /// Move out of where it is (copying needs `Download`).
    Move,
    /// Put in the trash.
    Delete,
    /// Restore from the trash.
    Restore,
    /// Delete from the trash for good.
    PermanentDelete,
    /// Create share links.
    Share,
    /// Invite collaborators and change or remove their roles.
    Invite,
    Comment,
}

impl Capability {
    pub const ALL: [Capability; 13] = [
        Capability::List,
        Capability::Preview,
        Capability::Download,
        Capability::Upload,
        Capability::Edit,
        Capability::Rename,
        Capability::Move,
        Capability::Delete,
        Capability::Restore,
        Capability::PermanentDelete,
        Capability::Share,
        Capability::Invite,
        Capability::Comment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Capability::List => "list",
            Capability::Preview => "preview",
            Capability::Download => "download",
            Capability::Upload => "upload",
            Capability::Edit => "edit",
            Capability::Rename => "rename",
            Capability::Move => "move",
            Capability::Delete => "delete",
            Capability::Restore => "restore",
            Capability::PermanentDelete => "permanent delete",
            Capability::Share => "share",
            Capability::Invite => "invite",
            Capability::Comment => "comment",
        }
    }
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 10] = [
        Role::Reset,
        Role::Uploader,
        Role::Previewer,
        Role::PreviewerUploader,
        Role::Viewer,
        Role::ViewerUploader,
        Role::OnlineCollaborator,
        Role::Editor,
        Role::Coowner,
        Role::Owner,
    ];

    /// A role a collaborator may be given. `edit` is the Python SDK's spelling of `editor`;
    /// `owner` is never granted.
    pub fn parse_grant(raw: &str) -> Option<Self> {
        Some(match raw.trim() {
            "coowner" => Role::Coowner,
            "editor" | "edit" => Role::Editor,
            "online_collaborator" => Role::OnlineCollaborator,
            "viewer_uploader" => Role::ViewerUploader,
            "viewer" => Role::Viewer,
            "previewer_uploader" => Role::PreviewerUploader,
            "previewer" => Role::Previewer,
            "uploader" => Role::Uploader,
            "reset" => Role::Reset,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reset => "reset",
            Role::Uploader => "uploader",
            Role::Previewer => "previewer",
            Role::PreviewerUploader => "previewer_uploader",
            Role::Viewer => "viewer",
            Role::ViewerUploader => "viewer_uploader",
            Role::OnlineCollaborator => "online_collaborator",
            Role::Editor => "editor",
            Role::Coowner => "coowner",
            Role::Owner => "owner",
        }
    }

    /// Whether the role lets its holder do `capability`.
    pub fn allows(self, capability: Capability) -> bool {
        use Capability::*;
        match self {
            Role::Reset => false,
            Role::Owner => true,
            // Everything but deleting for good, which stays the owner's.
            Role::Coowner => !matches!(capability, PermanentDelete),
            Role::Editor => !matches!(capability, PermanentDelete | Invite),
            // Works on the documents in place: no bytes leave, nothing is removed or shared.
            Role::OnlineCollaborator => matches!(capability, List | Preview | Upload | Edit | Comment),
            Role::ViewerUploader => matches!(capability, List | Preview | Download | Upload | Comment),
            Role::Viewer => matches!(capability, List | Preview | Download | Comment),
            Role::PreviewerUploader => matches!(capability, List | Preview | Upload | Comment),
            Role::Previewer => matches!(capability, List | Preview | Comment),
            // Drops files in without seeing what is there.
            Role::Uploader => matches!(capability, Upload),
        }
    }

    /// The platform's `permissions[]` for an item the holder has this role on.
    pub fn permissions(self) -> Vec<&'static str> {
        use Capability::*;
        let mut out = Vec::new();
        for (name, capability) in [
            ("item_upload", Upload),
            ("item_download", Download),
            ("item_create_comment", Comment),
            ("item_preview", Preview),
            ("item_view", List),
            ("item_share", Share),
            ("edit_properties", Edit),
            ("item_create_collab", Invite),
            ("item_restore", Restore),
            ("permanent_delete", PermanentDelete),
            ("item_edit_collab", Invite),
            ("item_delete", Delete),
        ] {
            if self.allows(capability) {
                out.push(name);
            }
        }
        if self == Role::Owner {
            out.insert(3, "item_own");
        }
        out
    }
}

/// The role several grants on an item and its ancestors (direct, through groups and
/// departments) add up to, as the platform reports it (`final_role`): the strongest of them.
/// `None` when none gives anything.
pub fn final_role(grants: impl IntoIterator<Item = Role>) -> Option<Role> {
    grants.into_iter().filter(|role| *role != Role::Reset).max()
}

/// What several grants let their holder do: anything one of them allows. (Roles are not a
/// chain — an online collaborator edits but cannot download, a viewer downloads but cannot
/// edit — so the strongest role alone would lose some.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants(pub Vec<Role>);

impl Grants {
    pub fn allows(&self, capability: Capability) -> bool {
        self.0.iter().any(|role| role.allows(capability))
    }

    pub fn final_role(&self) -> Option<Role> {
        final_role(self.0.iter().copied())
    }

    /// `permissions[]`: those of every grant, once each, in the platform's order.
    pub fn permissions(&self) -> Vec<&'static str> {
        let mut all = Role::Owner.permissions();
        let granted: Vec<Vec<&'static str>> = self.0.iter().map(|role| role.permissions()).collect();
        all.retain(|permission| granted.iter().any(|list| list.contains(permission)));
        all
    }
}

/// Who a collaboration invites.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Accessor {
    User(UserId),
    Group(GroupId),
    /// Its members, director and file managers, and those of every department below it.
    Department(DepartmentId),
}

impl Accessor {
    /// How the accessor's kind is stored.
    pub fn code(self) -> i16 {
        match self {
            Accessor::User(_) => 1,
            Accessor::Group(_) => 2,
            Accessor::Department(_) => 3,
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Accessor::User(id) => id.0,
            Accessor::Group(id) => id.0,
            Accessor::Department(id) => id.0,
        }
    }

    pub fn from_parts(code: i16, id: i64) -> Option<Self> {
        Some(match code {
            1 => Accessor::User(UserId(id)),
            2 => Accessor::Group(GroupId(id)),
            3 => Accessor::Department(DepartmentId(id)),
            _ => return None,
        })
    }

    /// The platform's `accessible_by.type`.
    pub fn type_name(self) -> &'static str {
        match self {
            Accessor::User(_) => "user",
            Accessor::Group(_) => "group",
            Accessor::Department(_) => "department",
        }
    }
}

/// A collaboration on a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collab {
    pub id: CollabId,
    pub enterprise_id: EnterpriseId,
    pub folder_id: ItemId,
    pub accessor: Accessor,
    pub role: Role,
    /// Invitations to users are accepted at once; a group's or department's waits for its
    /// administrator unless it accepts collaborations automatically.
    pub accepted: bool,
    pub invited_by: UserId,
    pub message: String,
    pub created_at: i64,
    pub modified_at: i64,
}

/// A collaboration to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCollab {
    pub enterprise_id: EnterpriseId,
    pub folder_id: ItemId,
    pub accessor: Accessor,
    pub role: Role,
    pub accepted: bool,
    pub invited_by: UserId,
    pub message: String,
    pub at: i64,
}

/// An accepted collaboration that reaches a user: the folder and the role it gives there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub folder: ItemId,
    pub role: Role,
}

/// The longest invitation message, in characters.
pub const MAX_INVITATION_CHARS: usize = 140;

/// The capability matrix as a Markdown table, for `docs/permissions.md`.
pub fn matrix_table() -> String {
    let mut table = String::from("| role |");
    for capability in Capability::ALL {
        table.push_str(&format!(" {} |", capability.name()));
    }
    table.push_str("\n|---|");
    for _ in Capability::ALL {
        table.push_str("---|");
    }
    table.push('\n');
    for role in Role::ALL.iter().rev() {
        table.push_str(&format!("| `{}` |", role.as_str()));
        for capability in Capability::ALL {
            table.push_str(if role.allows(capability) { " ✓ |" } else { " |" });
        }
        table.push('\n');
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previewer_lists_and_previews_but_cannot_download() {
        assert!(Role::Previewer.allows(Capability::List));
        assert!(Role::Previewer.allows(Capability::Preview));
        assert!(!Role::Previewer.allows(Capability::Download));
    }

    #[test]
    fn an_uploader_uploads_but_cannot_list() {
        assert!(Role::Uploader.allows(Capability::Upload));
        assert!(!Role::Uploader.allows(Capability::List));
        assert!(!Role::Uploader.allows(Capability::Preview));
    }

    #[test]
    fn every_role_parses_back_from_its_name_and_edit_means_editor() {
        for role in Role::ALL {
            if role != Role::Owner {
                assert_eq!(Role::parse_grant(role.as_str()), Some(role));
            }
        }
        assert_eq!(Role::parse_grant("edit"), Some(Role::Editor));
        assert_eq!(Role::parse_grant("owner"), None);
        assert_eq!(Role::parse_grant("admin"), None);
    }

    #[test]
    fn a_stronger_role_never_allows_less_than_a_weaker_one_it_contains() {
        // The chains the platform's names imply.
        for (strong, weak) in [
            (Role::Owner, Role::Coowner),
            (Role::Coowner, Role::Editor),
            (Role::Editor, Role::ViewerUploader),
            (Role::ViewerUploader, Role::Viewer),
            (Role::ViewerUploader, Role::PreviewerUploader),
            (Role::Viewer, Role::Previewer),
            (Role::PreviewerUploader, Role::Previewer),
            (Role::PreviewerUploader, Role::Uploader),
            (Role::OnlineCollaborator, Role::PreviewerUploader),
        ] {
            for capability in Capability::ALL {
                assert!(
                    !weak.allows(capability) || strong.allows(capability),
                    "{strong:?} lacks {capability:?} that {weak:?} has"
                );
            }
        }
    }

    #[test]
    fn grants_add_up_to_the_strongest_and_reset_gives_nothing() {
        assert_eq!(
            final_role([Role::Previewer, Role::Editor, Role::Viewer]),
            Some(Role::Editor)
        );
        assert_eq!(final_role([Role::Reset]), None);
        assert_eq!(final_role([]), None);
        assert!(Role::Reset.permissions().is_empty());
        assert!(Role::Owner.permissions().contains(&"item_own"));
        assert!(!Role::Coowner.permissions().contains(&"item_own"));
        assert!(!Role::Viewer.permissions().contains(&"item_upload"));
    }

    #[test]
    fn several_grants_allow_what_any_of_them_allows() {
        let grants = Grants(vec![Role::OnlineCollaborator, Role::Viewer]);
        assert_eq!(grants.final_role(), Some(Role::OnlineCollaborator));
        assert!(grants.allows(Capability::Download), "the viewer grant downloads");
        assert!(grants.allows(Capability::Edit), "the online grant edits");
        let permissions = grants.permissions();
        assert!(permissions.contains(&"item_download") && permissions.contains(&"edit_properties"));
        assert_eq!(
            permissions.iter().filter(|p| **p == "item_preview").count(),
            1,
            "each permission once"
        );
        assert!(!Grants::default().allows(Capability::List));
    }
}

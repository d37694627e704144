//! OAuth scopes: what a token may reach. The seed's two scopes stay the whole of each token
//! kind (`all` for a user, `admin` for an enterprise); finer scopes name parts of them, and
//! OpenID Connect's scopes name what the ID token and userinfo tell about the user.

use std::fmt;

/// One scope the server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything a user token reaches (the seed's user scope).
    All,
    /// Reading the user's files, folders and everything about them.
    FilesRead,
    /// Changing them: uploads, edits, moves, trash, shares, collaboration, comments.
    FilesWrite,
    /// Everything an enterprise token reaches (the seed's enterprise scope).
    Admin,
    /// The directory: users, departments, groups and third-party id mapping.
    AdminUsers,
    /// The audit log and the enterprise's event feed.
    AdminAudit,
    /// Apps and their webhooks.
    AdminApps,
    OpenId,
    Profile,
    Email,
    Phone,
    /// An embedded component's token (RFC 8693 exchange, confined to one item): preview what
    /// is below it.
    ItemPreview,
    /// … preview and download what is below it.
    ItemDownload,
    /// … upload into it.
    ItemUpload,
}

/// Every scope, in the order tokens list them.
pub const ALL_SCOPES: [Scope; 14] = [
    Scope::All,
    Scope::FilesRead,
    Scope::FilesWrite,
    Scope::Admin,
    Scope::AdminUsers,
    Scope::AdminAudit,
    Scope::AdminApps,
    Scope::OpenId,
    Scope::Profile,
    Scope::Email,
    Scope::Phone,
    Scope::ItemPreview,
    Scope::ItemDownload,
    Scope::ItemUpload,
];

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::FilesRead => "files.read",
            Scope::FilesWrite => "files.write",
            Scope::Admin => "admin",
            Scope::AdminUsers => "admin.users",
            Scope::AdminAudit => "admin.audit",
            Scope::AdminApps => "admin.apps",
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Email => "email",
            Scope::Phone => "phone",
            Scope::ItemPreview => "item.preview",
            Scope::ItemDownload => "item.download",
            Scope::ItemUpload => "item.upload",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        ALL_SCOPES.into_iter().find(|scope| scope.as_str() == text)
    }

    /// What a person is asked to allow, on the consent page.
    pub fn description(self) -> &'static str {
        match self {
            Scope::All => "Use your drive as you: read, change and share your files and folders",
            Scope::FilesRead => "Read your files and folders",
            Scope::FilesWrite => "Change your files and folders: upload, edit, move, delete and share",
            Scope::Admin => "Administer your enterprise",
            Scope::AdminUsers => "Manage your enterprise's users, departments and groups",
            Scope::AdminAudit => "Read your enterprise's audit log and events",
            Scope::AdminApps => "Manage your enterprise's apps",
            Scope::OpenId => "Confirm who you are",
            Scope::Profile => "See your name",
            Scope::Email => "See your email address",
            Scope::Phone => "See your phone number",
            Scope::ItemPreview => "Preview the files of one folder",
            Scope::ItemDownload => "Preview and download the files of one folder",
            Scope::ItemUpload => "Upload files into one folder",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Scopes a user token can carry (the enterprise's ones need an enterprise token).
    pub fn for_users(self) -> bool {
        !matches!(
            self,
            Scope::Admin | Scope::AdminUsers | Scope::AdminAudit | Scope::AdminApps
        )
    }

    /// The OpenID Connect scopes, which reach no API but userinfo.
    pub fn is_identity(self) -> bool {
        matches!(self, Scope::OpenId | Scope::Profile | Scope::Email | Scope::Phone)
    }

    /// The scopes of a token confined to one item, which only a token exchange grants.
    pub fn is_item(self) -> bool {
        matches!(self, Scope::ItemPreview | Scope::ItemDownload | Scope::ItemUpload)
    }
}

/// A set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Scopes(u16);

/// A scope string named a scope the server does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl Scopes {
    pub const EMPTY: Scopes = Scopes(0);

    pub fn of(scopes: &[Scope]) -> Self {
        Scopes(scopes.iter().fold(0, |bits, scope| bits | scope.bit()))
    }

    /// The whole of a token kind, as the seed's tokens have it.
    pub fn user_default() -> Self {
        Scopes::of(&[Scope::All])
    }

    pub fn enterprise_default() -> Self {
        Scopes::of(&[Scope::Admin])
    }

    /// Parses a space-separated scope string (RFC 6749 §3.3); repeats are harmless.
    pub fn parse(text: &str) -> Result<Self, UnknownScope> {
        let mut scopes = Scopes::EMPTY;
        for word in text.split([' ', '+']).filter(|word| !word.is_empty()) {
            let scope = Scope::parse(word).ok_or_else(|| UnknownScope(word.to_owned()))?;
            scopes = scopes.with(scope);
        }
        Ok(scopes)
    }

    /// Parses what this server stored, skipping words a newer build may have written: a
    /// stored scope can only narrow, never widen, by being misread.
    pub fn parse_stored(text: &str) -> Self {
        text.split(' ')
            .filter_map(Scope::parse)
            .fold(Scopes::EMPTY, Scopes::with)
    }

    pub fn with(self, scope: Scope) -> Self {
        Scopes(self.0 | scope.bit())
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        ALL_SCOPES.into_iter().filter(move |scope| self.contains(*scope))
    }

    pub fn intersect(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    /// Whether every scope of `self` is in `other`, counting what `all` and `admin` include.
    pub fn within(self, other: Scopes) -> bool {
        self.iter().all(|scope| other.grants(scope))
    }

    /// Whether this set reaches what `needed` reaches.
    pub fn grants(self, needed: Scope) -> bool {
        self.contains(needed)
            || match needed {
                Scope::FilesRead | Scope::FilesWrite => self.contains(Scope::All),
                Scope::AdminUsers | Scope::AdminAudit | Scope::AdminApps => self.contains(Scope::Admin),
                _ => false,
            }
    }

    /// Whether every scope is one a user token can carry.
    pub fn for_users(self) -> bool {
        self.iter().all(Scope::for_users)
    }

    /// Whether every scope is one an enterprise token can carry (no user scopes, no identity).
    pub fn for_enterprises(self) -> bool {
        self.iter().all(|scope| !scope.for_users())
    }

    /// Without the OpenID Connect scopes.
    pub fn without_identity(self) -> Scopes {
        Scopes(
            self.iter()
                .filter(|scope| !scope.is_identity())
                .fold(0, |bits, scope| bits | scope.bit()),
        )
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for scope in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_strings_round_trip_in_a_fixed_order() {
        let scopes = Scopes::parse("openid files.write  files.read openid").unwrap();
        assert_eq!(scopes.to_string(), "files.read files.write openid");
        assert_eq!(Scopes::parse(&scopes.to_string()).unwrap(), scopes);
        assert_eq!(
            Scopes::parse("files.read+email").unwrap().to_string(),
            "files.read email"
        );
        assert_eq!(Scopes::parse("files.delete"), Err(UnknownScope("files.delete".into())));
        assert!(Scopes::parse("").unwrap().is_empty());
    }

    #[test]
    fn the_seed_scopes_include_their_finer_parts() {
        let all = Scopes::user_default();
        assert!(all.grants(Scope::FilesRead) && all.grants(Scope::FilesWrite));
        assert!(!all.grants(Scope::AdminUsers) && !all.grants(Scope::OpenId));
        let admin = Scopes::enterprise_default();
        assert!(admin.grants(Scope::AdminUsers) && admin.grants(Scope::AdminApps));
        assert!(!admin.grants(Scope::FilesRead));
        let read = Scopes::of(&[Scope::FilesRead]);
        assert!(!read.grants(Scope::FilesWrite));
        assert!(read.within(all) && !all.within(read));
        assert!(Scopes::parse("admin.users").unwrap().within(admin));
    }

    #[test]
    fn user_and_enterprise_scopes_do_not_mix() {
        assert!(Scopes::parse("all openid email").unwrap().for_users());
        assert!(!Scopes::parse("all admin.users").unwrap().for_users());
        assert!(Scopes::parse("admin.audit").unwrap().for_enterprises());
        assert!(!Scopes::parse("admin openid").unwrap().for_enterprises());
    }
}

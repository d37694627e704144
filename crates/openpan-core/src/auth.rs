//! Who is calling. A [`Principal`] can only be obtained by authenticating (a bearer token) or
//! by being the local operator (the admin CLI, which has the database in hand anyway), so no
//! facade can call a service on behalf of someone it has not verified.

use crate::ids::{AppId, EnterpriseId, ShareLinkId, UserId};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    kind: PrincipalKind,
    /// What the token was granted; the whole of its kind unless the app asked for less.
    scopes: crate::scope::Scopes,
    /// An embedded component's token reaches this item and what is below it, no more than
    /// its `item.*` scopes allow, until the token expires.
    root: Option<Confinement>,
    /// The person an enterprise token acts for (the console's administrator), named in the
    /// audit log.
    acting: Option<UserId>,
}

/// The item an embedded component's token is confined to, and when the token ends: URLs it
/// asks for (downloads, previews, uploads) end then too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confinement {
    pub root: crate::ids::ItemId,
    pub until: i64,
}

/// What an authenticated caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The person operating this installation from its host (admin CLI, bootstrap).
    Operator,
    /// An app acting for its whole enterprise (`scope: admin`).
    EnterpriseAdmin { enterprise_id: EnterpriseId, app_id: AppId },
    /// An app acting for one user (`scope: all`).
    User {
        enterprise_id: EnterpriseId,
        user_id: UserId,
        app_id: AppId,
    },
    /// Someone holding a share link (and its password, if it has one), with no bearer token
    /// or with a user's: they read what the link opens, nothing else.
    Visitor {
        enterprise_id: EnterpriseId,
        link_id: ShareLinkId,
        user_id: Option<UserId>,
    },
}

impl Principal {
    pub(crate) fn new(kind: PrincipalKind) -> Self {
        let scopes = match kind {
            PrincipalKind::EnterpriseAdmin { .. } => crate::scope::Scopes::enterprise_default(),
            PrincipalKind::User { .. } => crate::scope::Scopes::user_default(),
            PrincipalKind::Operator | PrincipalKind::Visitor { .. } => crate::scope::Scopes::EMPTY,
        };
        Self::with_scopes(kind, scopes)
    }

    pub(crate) fn with_scopes(kind: PrincipalKind, scopes: crate::scope::Scopes) -> Self {
        Self {
            kind,
            scopes,
            root: None,
            acting: None,
        }
    }

    /// An enterprise token held for `person` (the console's administrator).
    pub(crate) fn acting_for(mut self, person: Option<UserId>) -> Self {
        self.acting = person;
        self
    }

    /// Who the audit log names for what this caller does: the user a token is for, else the
    /// person an enterprise token acts for.
    pub fn operator(&self) -> Option<UserId> {
        self.user_id().or(self.acting)
    }

    /// A token confined to an item and below.
    pub(crate) fn confined(mut self, confinement: Option<Confinement>) -> Self {
        self.root = confinement;
        self
    }

    /// The item an embedded component's token is confined to.
    pub fn root(&self) -> Option<crate::ids::ItemId> {
        self.root.map(|confinement| confinement.root)
    }

    /// When a URL credential issued now for `ttl` seconds must expire: never after the
    /// embedded component's token that asked for it, which is short-lived by design.
    pub(crate) fn url_expiry(&self, now: i64, ttl: i64) -> i64 {
        let expires_at = now.saturating_add(ttl);
        self.root
            .map_or(expires_at, |confinement| expires_at.min(confinement.until))
    }

    /// The scopes the caller's token carries.
    pub fn scopes(&self) -> crate::scope::Scopes {
        self.scopes
    }

    /// The host operator. Only the binary's CLI and first-start bootstrap use this: they run
    /// with the same access to the data directory and database as the server itself.
    pub fn local_operator() -> Self {
        Self::new(PrincipalKind::Operator)
    }

    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The app the call came through, for per-app rate limits.
    pub fn app_id(&self) -> Option<AppId> {
        match self.kind {
            PrincipalKind::Operator | PrincipalKind::Visitor { .. } => None,
            PrincipalKind::EnterpriseAdmin { app_id, .. } | PrincipalKind::User { app_id, .. } => Some(app_id),
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self.kind {
            PrincipalKind::User { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// The enterprise an enterprise token administers; `PermissionDenied` for anyone else.
    pub fn administered_enterprise(&self) -> crate::Result<EnterpriseId> {
        match self.kind {
            PrincipalKind::EnterpriseAdmin { enterprise_id, .. } => Ok(enterprise_id),
            _ => Err(crate::Error::PermissionDenied),
        }
    }

    /// Whether the caller may administer `enterprise_id` (the operator administers all).
    pub fn can_administer(&self, enterprise_id: EnterpriseId) -> bool {
        match self.kind {
            PrincipalKind::Operator => true,
            PrincipalKind::EnterpriseAdmin { enterprise_id: own, .. } => own == enterprise_id,
            PrincipalKind::User { .. } | PrincipalKind::Visitor { .. } => false,
        }
    }
}

//! Share links: creating, reading, changing and revoking them, and letting their holders in.
//!
//! A visitor (someone presenting a link's name and password, with or without a user's token)
//! becomes a [`PrincipalKind::Visitor`]; `Core::reach` then opens exactly the link's item and
//! what is below it, as a viewer (a previewer when downloads are off).

use crate::audit::action;
use crate::auth::{Principal, PrincipalKind};
use crate::collab::{Capability, Grants, Role};
use crate::drive::{Item, ItemKind, Space};
use crate::error::{ConflictKind, Error, NotFoundKind, Refusal, RepoError, Result, gone};
use crate::ids::{ItemId, ShareLinkId, UserId};
use crate::model::{Page, User};
use crate::secrets::random_hex;
use crate::services::Core;
use crate::services::audit_log::Audit;
use crate::services::drive::{Access, Reached, deleted};
use crate::share::{
    NewShareLink, PasswordError, ShareAccess, ShareLink, ShareLinkChanges, check_password, due_date_end,
};

/// Wrong passwords per key (a link or a login, and the client) within the window before
/// attempts are refused.
const WRONG_PASSWORDS: i64 = 5;
const WRONG_PASSWORD_WINDOW_SECS: i64 = 900;
/// The first lock; each lock that follows within a day doubles it. With 5 tries per 15 minutes
/// at best, guessing a 6-digit password takes years on average.
const PASSWORD_LOCK_SECS: i64 = 900;

/// `share_link/create` and `share_link/{name}/update`, as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct ShareLinkRequest {
    pub file_id: Option<i64>,
    pub folder_id: Option<i64>,
    pub access: Option<String>,
    /// `YYYY-MM-DD`; empty for none.
    pub due_time: Option<String>,
    pub disable_download: Option<bool>,
    pub password_protected: Option<bool>,
    pub password: Option<String>,
}

/// A link with what clients are shown of its item and creator.
#[derive(Debug, Clone)]
pub struct ShareLinkView {
    pub link: ShareLink,
    pub item_name: String,
    pub creator: Option<User>,
}

fn link_not_found() -> Error {
    Error::not_found(NotFoundKind::ShareLink)
}

fn password_refusal(err: PasswordError) -> Error {
    Error::Refused(match err {
        PasswordError::TooLong => Refusal::ShareLinkPasswordSizeIncorrect,
        PasswordError::NotAlphanumeric => Refusal::ShareLinkPasswordInvalid,
    })
}

fn share_audit(action: i32, item: &Item, link: Option<ShareLinkId>, event: &'static str) -> Audit {
    let mut audit = Audit::item(action, item);
    if let Some(id) = link {
        audit = audit.with("share_link_id", id.0);
    }
    audit.feed(event, link.map_or(0, |id| id.0))
}

impl Core {
    /// Counts one password attempt against every key before the password is compared (the
    /// caller hands it back when the password was right); refuses while any key is locked.
    pub(crate) async fn reserve_password_attempt(&self, keys: &[String], now: i64) -> Result<()> {
        let locked = self
            .repo
            .reserve_password_attempt(
                keys,
                now,
                WRONG_PASSWORD_WINDOW_SECS,
                WRONG_PASSWORDS,
                PASSWORD_LOCK_SECS,
            )
            .await?;
        match locked {
            Some(until) => Err(Error::RateLimited {
                retry_after_secs: u64::try_from(until - now).unwrap_or(1).max(1),
            }),
            None => Ok(()),
        }
    }

    /// The due date's end, refusing past ones; `Some(None)` clears it.
    pub(crate) fn due_time(&self, raw: Option<&str>) -> Result<Option<Option<i64>>> {
        match raw.map(str::trim) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(raw) => {
                let end = due_date_end(raw).ok_or_else(|| Error::invalid("due_time", "格式必须是yyyy-MM-dd"))?;
                if end <= self.clock.now() {
                    return Err(Error::Refused(Refusal::DueTimePassed));
                }
                Ok(Some(Some(end)))
            }
        }
    }

    /// The password's keyed hash when the request protects the link: `password_protected`
    /// (or, without it, a password given) asks for one.
    fn password_hash(&self, protected: Option<bool>, password: Option<&str>) -> Result<Option<Option<Vec<u8>>>> {
        let password = password.filter(|password| !password.is_empty());
        match protected.unwrap_or(password.is_some()) {
            false if protected.is_some() => Ok(Some(None)),
            false => Ok(None),
            true => {
                let password = password.ok_or(Error::Refused(Refusal::ShareLinkPasswordNotProvided))?;
                check_password(password).map_err(password_refusal)?;
                Ok(Some(Some(self.key.hash(password))))
            }
        }
    }

    /// Whether sharing is switched off for the enterprise, where `item` lives or for `user`'s
    /// departments.
    pub(crate) async fn sharing_disabled(&self, user: UserId, item: &Item) -> Result<bool> {
        if self
            .repo
            .find_enterprise(item.enterprise_id)
            .await?
            .is_none_or(|enterprise| enterprise.disable_share)
        {
            return Ok(true);
        }
        if let Space::Department(department) = item.space
            && self
                .repo
                .find_department(department)
                .await?
                .is_some_and(|department| department.disable_share)
        {
            return Ok(true);
        }
        Ok(self
            .repo
            .list_user_departments(user)
            .await?
            .iter()
            .any(|department| department.disable_share))
    }

    async fn share_link_view(&self, link: ShareLink, item: &Item) -> Result<ShareLinkView> {
        let creator = self.repo.list_users_by_id(&[link.created_by]).await?.into_iter().next();
        Ok(ShareLinkView {
            link,
            item_name: item.name.clone(),
            creator,
        })
    }

    /// `share_link/create`: a link to a file or folder the caller may share.
    pub async fn create_share_link(&self, principal: &Principal, request: ShareLinkRequest) -> Result<ShareLinkView> {
        let (id, kind) = match (request.file_id, request.folder_id) {
            (Some(_), Some(_)) => return Err(Error::Refused(Refusal::ShareLinkResourceIdAmbiguous)),
            (None, None) => return Err(Error::Refused(Refusal::ShareLinkResourceIdNotProvided)),
            (Some(file), None) => (ItemId(file), ItemKind::File),
            (None, Some(folder)) => (ItemId(folder), ItemKind::Folder),
        };
        let access = match request.access.as_deref() {
            None => ShareAccess::Public,
            Some(raw) => ShareAccess::parse(raw).ok_or(Error::Refused(Refusal::ShareLinkAccessTypeInvalid))?,
        };
        let password_hash = self
            .password_hash(request.password_protected, request.password.as_deref())?
            .flatten();
        let expires_at = self.due_time(request.due_time.as_deref())?.flatten();
        let (me, _) = self.personal_space(principal).await?;
        let item = self.live(principal, id, kind, Capability::Share).await?;
        if item.is_root() || self.sharing_disabled(me.user.id, &item).await? {
            return Err(Error::PermissionDenied);
        }
        for _ in 0..3 {
            let new = NewShareLink {
                enterprise_id: item.enterprise_id,
                item_id: item.id,
                unique_name: random_hex(10),
                access,
                password_hash: password_hash.clone(),
                expires_at,
                disable_download: request.disable_download.unwrap_or(false),
                created_by: me.user.id,
                at: self.clock.now(),
            };
            let audit = share_audit(action::SHARE, &item, None, "share_link.created")
                .with("access", access.as_str())
                .with("password_protected", new.password_hash.is_some());
            match self
                .audited(principal, item.enterprise_id, audit, self.repo.create_share_link(&new))
                .await
            {
                Ok(link) => return self.share_link_view(link, &item).await,
                Err(RepoError::Conflict(ConflictKind::ShareLinkName)) => continue,
                Err(RepoError::NotFound) => return Err(deleted(kind)),
                Err(err) => return Err(err.into()),
            }
        }
        Err(Error::internal("could not draw a free share link name"))
    }

    /// A link that is live (not revoked, its item not trashed), with its item.
    async fn live_link(&self, unique_name: &str) -> Result<(ShareLink, Item)> {
        let link = self
            .repo
            .find_share_link(unique_name.trim())
            .await?
            .filter(|link| !link.revoked)
            .ok_or_else(link_not_found)?;
        let item = self
            .repo
            .find_item(link.item_id)
            .await?
            .filter(|item| item.trash.is_none())
            .ok_or_else(link_not_found)?;
        Ok((link, item))
    }

    /// Whether the caller manages `link`: whoever may share its item now (its creator too, only
    /// while they still may).
    async fn manages_link(&self, user: &User, link: &ShareLink, item: &Item) -> Result<bool> {
        if item.enterprise_id != link.enterprise_id || user.enterprise_id != link.enterprise_id {
            return Ok(false);
        }
        Ok(self.access_to(user.id, item).await?.allows(Capability::Share))
    }

    /// Lets a visitor through `link`: not expired, of the enterprise for company links, and
    /// with the password when it has one (wrong ones are counted per link and per client).
    async fn admit(&self, link: &ShareLink, user: Option<&User>, password: Option<&str>, client: &str) -> Result<()> {
        let now = self.clock.now();
        if link.expired(now) {
            return Err(Error::Refused(Refusal::ShareLinkExpired));
        }
        if link.access == ShareAccess::Company {
            match user {
                None => return Err(Error::Unauthenticated),
                Some(user) if user.enterprise_id != link.enterprise_id => return Err(link_not_found()),
                Some(_) => {}
            }
        }
        let Some(hash) = &link.password_hash else {
            return Ok(());
        };
        let password = password
            .filter(|password| !password.is_empty())
            .ok_or(Error::Refused(Refusal::ShareLinkPasswordNotProvided))?;
        // Every attempt is counted before the password is compared (and handed back when it
        // was right), so guesses sent at once cannot slip past the count.
        let keys = [format!("link:{}", link.id.0), format!("client:{client}")];
        self.reserve_password_attempt(&keys, now).await?;
        if self.key.verify(password, hash) {
            self.repo.release_password_attempt(&keys).await?;
            return Ok(());
        }
        Err(Error::Refused(Refusal::ShareLinkPasswordNotCorrect))
    }

    /// `share_link/{name}/info`: to those who manage it, always; to others, as a visitor
    /// would be let through (password, expiry, enterprise). The link's own visitors (already
    /// let through with its headers) learn what it opens, which is how its page starts.
    pub async fn share_link_info(
        &self,
        principal: &Principal,
        unique_name: &str,
        password: Option<&str>,
        client: &str,
    ) -> Result<ShareLinkView> {
        if let PrincipalKind::Visitor { link_id, .. } = principal.kind() {
            let (link, item) = self.live_link(unique_name).await?;
            if link.id != link_id || self.visitor_reach(link_id, item.clone()).await?.is_none() {
                return Err(link_not_found());
            }
            self.repo.count_share_use(link.id, false).await?;
            return self.share_link_view(link, &item).await;
        }
        let (me, _) = self.personal_space(principal).await?;
        let (link, item) = self.live_link(unique_name).await?;
        if !self.manages_link(&me.user, &link, &item).await? {
            self.admit(&link, Some(&me.user), password, client).await?;
            self.repo.count_share_use(link.id, false).await?;
        }
        self.share_link_view(link, &item).await
    }

    /// A live link the caller manages.
    async fn managed_link(&self, principal: &Principal, unique_name: &str) -> Result<(ShareLink, Item)> {
        let (me, _) = self.personal_space(principal).await?;
        let (link, item) = self.live_link(unique_name).await?;
        if !self.manages_link(&me.user, &link, &item).await? {
            if me.user.enterprise_id == link.enterprise_id && link.access == ShareAccess::Company
                || link.access == ShareAccess::Public
            {
                return Err(Error::PermissionDenied);
            }
            return Err(link_not_found());
        }
        Ok((link, item))
    }

    /// `share_link/{name}/update`.
    pub async fn update_share_link(
        &self,
        principal: &Principal,
        unique_name: &str,
        request: ShareLinkRequest,
    ) -> Result<ShareLinkView> {
        let access = request
            .access
            .as_deref()
            .map(|raw| ShareAccess::parse(raw).ok_or(Error::Refused(Refusal::ShareLinkAccessTypeInvalid)))
            .transpose()?;
        let password_hash = self.password_hash(request.password_protected, request.password.as_deref())?;
        let expires_at = self.due_time(request.due_time.as_deref())?;
        let (link, item) = self.managed_link(principal, unique_name).await?;
        let changes = ShareLinkChanges {
            access,
            expires_at,
            disable_download: request.disable_download,
            password_hash,
        };
        let audit = share_audit(action::EDIT_SHARE, &item, Some(link.id), "share_link.updated");
        let updated = self
            .audited(
                principal,
                item.enterprise_id,
                audit,
                self.repo.update_share_link(link.id, &changes, self.clock.now()),
            )
            .await
            .map_err(gone(link_not_found))?;
        self.share_link_view(updated, &item).await
    }

    /// `share_link/{name}/revoke` (and `close`).
    pub async fn revoke_share_link(&self, principal: &Principal, unique_name: &str) -> Result<()> {
        let (link, item) = self.managed_link(principal, unique_name).await?;
        let audit = share_audit(action::DELETE_SHARE, &item, Some(link.id), "share_link.revoked");
        self.audited(
            principal,
            item.enterprise_id,
            audit,
            self.repo.revoke_share_link(link.id, self.clock.now()),
        )
        .await
        .map_err(gone(link_not_found))
    }

    /// `file/{id}/share_links`, `folder/{id}/share_links`: for those who may share the item.
    pub async fn list_share_links(
        &self,
        principal: &Principal,
        id: ItemId,
        kind: ItemKind,
        creator: Option<UserId>,
        page: Page,
    ) -> Result<(Vec<ShareLinkView>, i64)> {
        let item = self.live(principal, id, kind, Capability::Share).await?;
        let (links, total) = self.repo.list_share_links(item.id, creator, page).await?;
        let mut views = Vec::with_capacity(links.len());
        for link in links {
            views.push(self.share_link_view(link, &item).await?);
        }
        Ok((views, total))
    }

    /// The principal of someone presenting a share link (`Share-Link-Token`) and its password
    /// (`Share-Link-Verification-Code`), with the user of a bearer token if one came too.
    pub async fn authenticate_visitor(
        &self,
        unique_name: &str,
        password: Option<&str>,
        user: Option<&Principal>,
        client: &str,
    ) -> Result<Principal> {
        let (link, _) = self.live_link(unique_name).await?;
        let user = match user.and_then(Principal::user_id) {
            Some(id) => self.repo.find_user(id).await?,
            None => None,
        };
        self.admit(&link, user.as_ref(), password, client).await?;
        Ok(Principal::new(PrincipalKind::Visitor {
            enterprise_id: link.enterprise_id,
            link_id: link.id,
            user_id: user.map(|user| user.id),
        }))
    }

    /// What a visitor may do to `item` through their link: read it as a viewer (a previewer
    /// when downloads are off) when it is the link's item or below it; nothing otherwise.
    pub(crate) async fn visitor_reach(&self, link_id: ShareLinkId, item: Item) -> Result<Option<Reached>> {
        let Some(link) = self.repo.find_share_link_by_id(link_id).await? else {
            return Ok(None);
        };
        if link.revoked || link.expired(self.clock.now()) || item.enterprise_id != link.enterprise_id {
            return Ok(None);
        }
        // A link opens no more than its creator may still share, and nothing once they are
        // gone; it never lets out bytes its creator may not download.
        let creator = self.repo.find_user(link.created_by).await?.filter(|user| user.active);
        let Some(creator) = creator else {
            return Ok(None);
        };
        let shared = if item.id == link.item_id {
            Some(item.clone())
        } else {
            self.repo.find_item(link.item_id).await?
        };
        let Some(shared) = shared.filter(|shared| shared.trash.is_none()) else {
            return Ok(None);
        };
        if !self.access_to(creator.id, &shared).await?.allows(Capability::Share)
            || self.sharing_disabled(creator.id, &shared).await?
        {
            return Ok(None);
        }
        if self.under(&item, link.item_id).await?.is_none() {
            return Ok(None);
        }
        let role = if link.disable_download || creator.disable_download {
            Role::Previewer
        } else {
            Role::Viewer
        };
        Ok(Some(Reached {
            item,
            access: Access {
                grants: Grants(vec![role]),
                shared_from: Some(link.item_id),
            },
        }))
    }

    /// Notes a download through a link.
    pub(crate) async fn count_link_download(&self, link_id: ShareLinkId) {
        if let Err(err) = self.repo.count_share_use(link_id, true).await {
            tracing::warn!(error = ?err, "could not count a share link download");
        }
    }
}

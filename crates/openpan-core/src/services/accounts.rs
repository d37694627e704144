//! An enterprise administrator's user accounts (`admin/user/*`) and a user's own account
//! (`user/*`): creating, changing, deleting with a hand-over of the files, the directory.

use crate::audit::{TargetKind, action};
use crate::auth::{Principal, PrincipalKind};
use crate::drive::{ItemKind, ItemName, Space};
use crate::error::{Error, FieldError, NotFoundKind, Refusal, Result};
use crate::ids::{EnterpriseId, UserId};
use crate::model::{Email, Enterprise, Page, Password, PersonName, Phone, User, UserWithEnterprise};
use crate::ports::{Heir, NewUser, UserChanges};
use crate::secrets;
use crate::services::Core;
use crate::services::audit_log::Audit;

/// Largest profile picture accepted.
pub const MAX_PROFILE_PIC_BYTES: usize = 2 * 1024 * 1024;

/// The media type of an image by its signature: PNG, JPEG, GIF or WebP.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Space limits arrive in GB; `-1` is unlimited.
const GIB: i64 = 1024 * 1024 * 1024;
const UNLIMITED: i64 = -1;

/// `admin/user/create`.
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Defaults to the email's local part, else the phone number.
    pub name: Option<String>,
    /// GB, `-1` for unlimited (the default).
    pub space_total_gb: Option<i64>,
    pub hide_phone: bool,
    pub disable_download: bool,
    /// Active at once (with `password`), instead of waiting for the user's first login.
    pub force_active: bool,
    pub password: Option<String>,
}

/// `admin/user/{id}/update`; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub space_total_gb: Option<i64>,
    pub hide_phone: Option<bool>,
    pub disable_download: Option<bool>,
}

/// A GB limit in bytes, checked against the enterprise's own limit.
fn space_total(gb: i64, enterprise: &Enterprise) -> Result<i64> {
    if gb < UNLIMITED {
        return Err(Error::invalid("space_total", "不能小于-1"));
    }
    let bytes = if gb == UNLIMITED {
        UNLIMITED
    } else {
        gb.checked_mul(GIB)
            .ok_or_else(|| Error::invalid("space_total", "过大"))?
    };
    if enterprise.space_total != UNLIMITED && bytes > enterprise.space_total {
        return Err(Error::Refused(Refusal::UserSpaceTotalExceedsEnterpriseLimit));
    }
    Ok(bytes)
}

fn collect(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// The name of the folder a deleted user's or department's files arrive in at the heir's:
/// `<name>的文件`, with characters a file name may not hold replaced (`fallback` when nothing
/// usable is left).
pub(crate) fn hand_over_folder_name(name: &str, fallback: &str) -> ItemName {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    ItemName::parse(&format!("{}的文件", cleaned.trim()))
        .or_else(|_| ItemName::parse(&format!("{fallback}的文件")))
        .expect("a short fixed name is a valid item name")
}

impl Core {
    /// The enterprise an enterprise token administers; user tokens are refused.
    async fn admin_enterprise(&self, principal: &Principal) -> Result<Enterprise> {
        let PrincipalKind::EnterpriseAdmin { enterprise_id, .. } = principal.kind() else {
            return Err(Error::PermissionDenied);
        };
        self.enterprise(enterprise_id).await
    }

    async fn enterprise(&self, enterprise_id: EnterpriseId) -> Result<Enterprise> {
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        enterprise.ok_or_else(|| Error::internal("token of a vanished enterprise"))
    }

    /// A live user of the administered enterprise; anyone else answers `user_not_found`, and a
    /// deleted one of this enterprise `user_already_deleted`.
    async fn administered_user(&self, principal: &Principal, user_id: UserId) -> Result<(User, Enterprise)> {
        let enterprise = self.admin_enterprise(principal).await?;
        match self.repo.find_user_record(user_id).await? {
            Some((user, None)) if user.enterprise_id == enterprise.id => Ok((user, enterprise)),
            Some((user, Some(_))) if user.enterprise_id == enterprise.id => {
                Err(Error::Refused(Refusal::UserAlreadyDeleted))
            }
            _ => Err(Error::not_found(NotFoundKind::User)),
        }
    }

    /// `admin/user/create`.
    pub async fn admin_create_user(&self, principal: &Principal, new: NewAccount) -> Result<UserWithEnterprise> {
        let enterprise = self.admin_enterprise(principal).await?;
        if new.email.is_none() && new.phone.is_none() {
            return Err(Error::invalid("email", "邮箱和手机号不能同时为空"));
        }
        let email = new.email.as_deref().map(|raw| Email::parse("email", raw)).transpose();
        let phone = new.phone.as_deref().map(|raw| Phone::parse("phone", raw)).transpose();
        let (Ok(email), Ok(phone)) = (email, phone) else {
            return Err(Error::Refused(Refusal::UserEmailOrPhoneInvalid));
        };
        let mut errors = Vec::new();
        let default_name = email
            .as_ref()
            .and_then(|email| email.as_str().split('@').next().map(str::to_owned))
            .or_else(|| new.phone.as_ref().map(|phone| phone.trim().to_owned()))
            .unwrap_or_default();
        let name = PersonName::parse("name", new.name.as_deref().unwrap_or(&default_name))
            .map_err(|err| errors.push(err))
            .ok();
        let password = match (&new.password, new.force_active) {
            (Some(raw), _) => Password::parse("password", raw).map_err(|err| errors.push(err)).ok(),
            (None, true) => {
                errors.push(FieldError::new("password", "强制激活时密码不能为空"));
                None
            }
            (None, false) => None,
        };
        collect(errors)?;
        let space_total = space_total(new.space_total_gb.unwrap_or(UNLIMITED), &enterprise)?;
        let password_hash = password
            .map(|password| secrets::hash_password(password.expose()))
            .transpose()?;
        let name = name.map(PersonName::into_inner).unwrap_or_default();
        let audit = Audit::new(action::INVITE_MEMBER, TargetKind::User, 0, &name);
        let write = self.repo.create_user(NewUser {
            enterprise_id: enterprise.id,
            name,
            email: email.map(Email::into_inner),
            phone: phone.map(Phone::into_inner),
            password_hash,
            active: new.force_active,
            is_admin: false,
            hide_phone: new.hide_phone,
            disable_download: new.disable_download,
            space_total,
            created_at: self.clock.now(),
        });
        let user = self.audited(principal, enterprise.id, audit, write).await?;
        Ok(UserWithEnterprise { user, enterprise })
    }

    /// `admin/user/{id}/info`.
    pub async fn admin_user_info(&self, principal: &Principal, user_id: UserId) -> Result<UserWithEnterprise> {
        let (user, enterprise) = self.administered_user(principal, user_id).await?;
        Ok(UserWithEnterprise { user, enterprise })
    }

    /// `admin/user/{id}/update`.
    pub async fn admin_update_user(
        &self,
        principal: &Principal,
        user_id: UserId,
        changes: AccountChanges,
    ) -> Result<UserWithEnterprise> {
        let (user, enterprise) = self.administered_user(principal, user_id).await?;
        let name = changes
            .name
            .as_deref()
            .map(|raw| PersonName::parse("name", raw))
            .transpose()
            .map_err(|err| Error::Invalid(vec![err]))?;
        let space_total = changes
            .space_total_gb
            .map(|gb| space_total(gb, &enterprise))
            .transpose()?;
        let name = name.map(PersonName::into_inner);
        let action = if space_total.is_some() {
            action::SET_MEMBER_SPACE
        } else if changes.hide_phone.is_some() || changes.disable_download.is_some() {
            action::SET_MEMBER_PERMISSIONS
        } else {
            action::CHANGE_NAME
        };
        let mut audit = Audit::new(action, TargetKind::User, user.id.0, &user.name);
        if let Some(name) = &name {
            audit = audit.with("new_name", name.clone());
        }
        if let Some(total) = space_total {
            audit = audit.with("space_total", total);
        }
        let write = self.repo.update_user(
            user.id,
            UserChanges {
                name,
                space_total,
                hide_phone: changes.hide_phone,
                disable_download: changes.disable_download,
            },
        );
        let user = self.audited(principal, enterprise.id, audit, write).await?;
        self.after_revocation().await?;
        Ok(UserWithEnterprise { user, enterprise })
    }

    /// `admin/user/{id}/delete`: the user's files, trash included, go to `receiver` (an active
    /// user of the same enterprise) inside a new folder named after the deleted user; the
    /// account's tokens stop working at once.
    pub async fn admin_delete_user(
        &self,
        principal: &Principal,
        user_id: UserId,
        receiver: Option<UserId>,
    ) -> Result<()> {
        let (user, enterprise) = self.administered_user(principal, user_id).await?;
        if user.id == enterprise.admin_user_id {
            return Err(Error::PermissionDenied);
        }
        self.delete_handing_over(principal, &user, receiver).await
    }

    /// Deletes `user` after handing its files to `receiver`; shared by the admin API and the
    /// operator's CLI, which have checked who may.
    pub(crate) async fn delete_handing_over(
        &self,
        principal: &Principal,
        user: &User,
        receiver: Option<UserId>,
    ) -> Result<()> {
        if self.repo.count_directed_departments(user.id).await? > 0 {
            return Err(Error::Refused(Refusal::DepartmentDirectorCanNotDelete));
        }
        let receiver = receiver.ok_or(Error::Refused(Refusal::UserReceiveItemsNeeded))?;
        if receiver == user.id {
            return Err(Error::Refused(Refusal::UserDeletedIsUserReceivedItems));
        }
        let receiver = match self.repo.find_user(receiver).await? {
            Some(found) if found.enterprise_id == user.enterprise_id => found,
            _ => return Err(Error::Refused(Refusal::UserReceivedItemsNotInSameEnterprise)),
        };
        if !receiver.active {
            return Err(Error::Refused(Refusal::UserReceiveItemsNeedActive));
        }
        let folder = self
            .hand_over_folder(
                principal,
                &receiver,
                &hand_over_folder_name(&user.name, &format!("用户{}", user.id.0)),
            )
            .await?;
        let heir = Heir {
            user: receiver.id,
            folder: folder.id,
        };
        let audit = Audit::new(action::DELETE_MEMBER, TargetKind::User, user.id.0, &user.name)
            .with("receiver_id", receiver.id.0);
        let write = self.repo.delete_user(user.id, Some(heir), self.clock.now());
        self.audited(principal, user.enterprise_id, audit, write).await?;
        self.after_revocation().await
    }

    /// A new folder at the top of `heir`'s personal space named `base` (numbered when taken),
    /// for what a deletion hands over.
    pub(crate) async fn hand_over_folder(
        &self,
        principal: &Principal,
        heir: &User,
        base: &ItemName,
    ) -> Result<crate::drive::Item> {
        let root = self
            .repo
            .ensure_space_root(heir.enterprise_id, Space::Personal(heir.id), heir.id, self.clock.now())
            .await?;
        loop {
            let name = self.free_name(root.id, base, ItemKind::Folder).await?;
            match self.insert_folder(principal, &root, &name, heir.id).await {
                Err(Error::Refused(Refusal::FolderNameConflict | Refusal::FileNameConflict)) => continue,
                other => return other,
            }
        }
    }

    /// `user/profile_pic_upload`: the caller's new profile picture (PNG, JPEG, GIF or WebP,
    /// at most [`MAX_PROFILE_PIC_BYTES`]); the old one's bytes go.
    pub async fn upload_profile_pic(&self, principal: &Principal, bytes: bytes::Bytes) -> Result<UserWithEnterprise> {
        let me = self.current_user(principal).await?;
        if bytes.is_empty() {
            return Err(Error::invalid("file", "不能为空"));
        }
        if bytes.len() > MAX_PROFILE_PIC_BYTES {
            return Err(Error::invalid("file", "不能超过2MB"));
        }
        let kind = image_type(&bytes).ok_or_else(|| Error::invalid("file", "只支持PNG、JPEG、GIF或WebP图片"))?;
        let storage_key = secrets::random_hex(16);
        let key = secrets::random_hex(16);
        let body: crate::blob::ByteStream = Box::pin(futures_util::stream::iter([Ok(bytes)]));
        self.blobs
            .put(&storage_key, body)
            .await
            .map_err(super::transfer::blob_failure)?;
        let audit = Audit::new(
            action::CHANGE_PROFILE_PICTURE,
            TargetKind::User,
            me.user.id.0,
            &me.user.name,
        );
        let write = self.repo.set_profile_pic(me.user.id, &key, &storage_key, kind);
        match self.audited(principal, me.user.enterprise_id, audit, write).await {
            Ok(Some(old)) => self.forget_blob(&old).await,
            Ok(None) => {}
            Err(err) => {
                self.forget_blob(&storage_key).await;
                return Err(err.into());
            }
        }
        self.after_revocation().await?;
        let user = self.fresh_self(principal).await?;
        Ok(UserWithEnterprise {
            user,
            enterprise: me.enterprise,
        })
    }

    /// `user/{id}/profile_pic_download`: a colleague's profile picture and its type, for the
    /// key their record shows.
    pub async fn profile_pic(
        &self,
        principal: &Principal,
        user_id: UserId,
        key: Option<&str>,
    ) -> Result<(crate::blob::ByteStream, String)> {
        let owner = self.colleague(principal, user_id).await?;
        let key = key
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or(Error::Refused(Refusal::UserProfilePicKeyNotFound))?;
        let (stored, storage_key, kind) = self
            .repo
            .find_profile_pic(owner.user.id)
            .await?
            .ok_or(Error::Refused(Refusal::UserProfilePicNotFound))?;
        if !secrets::ct_eq(stored.as_bytes(), key.as_bytes()) {
            return Err(Error::Refused(Refusal::UserProfilePicKeyIncorrect));
        }
        let body = self
            .blobs
            .get(&storage_key, None)
            .await
            .map_err(super::transfer::blob_failure)?;
        Ok((body, kind))
    }

    /// `user/{id}/info`: a colleague (or oneself); users of other enterprises answer like
    /// missing ones.
    pub async fn colleague(&self, principal: &Principal, user_id: UserId) -> Result<UserWithEnterprise> {
        let me = self.current_user(principal).await?;
        match self.repo.find_user(user_id).await? {
            Some(user) if user.enterprise_id == me.user.enterprise_id => Ok(UserWithEnterprise {
                user,
                enterprise: me.enterprise,
            }),
            _ => Err(Error::not_found(NotFoundKind::User)),
        }
    }

    /// `user/update`: a user renames themself.
    pub async fn rename_self(&self, principal: &Principal, name: &str) -> Result<UserWithEnterprise> {
        let me = self.current_user(principal).await?;
        let name = PersonName::parse("name", name).map_err(|err| Error::Invalid(vec![err]))?;
        let name = name.into_inner();
        let audit = Audit::new(action::CHANGE_NAME, TargetKind::User, me.user.id.0, &me.user.name)
            .with("new_name", name.clone());
        let write = self.repo.update_user(
            me.user.id,
            UserChanges {
                name: Some(name),
                ..UserChanges::default()
            },
        );
        let user = self.audited(principal, me.user.enterprise_id, audit, write).await?;
        self.after_revocation().await?;
        Ok(UserWithEnterprise {
            user,
            enterprise: me.enterprise,
        })
    }

    /// The caller's own record read afresh (the cached one may lag on usage counters).
    pub async fn fresh_self(&self, principal: &Principal) -> Result<User> {
        let user_id = principal.user_id().ok_or(Error::PermissionDenied)?;
        let found = self.repo.find_user(user_id).await?;
        found.ok_or(Error::not_found(NotFoundKind::User))
    }

    /// `user/search`: the caller's enterprise directory, all of it without `words`.
    pub async fn search_colleagues(
        &self,
        principal: &Principal,
        words: Option<&str>,
        page: Page,
    ) -> Result<(Vec<User>, i64, Enterprise)> {
        let me = self.current_user(principal).await?;
        let words = super::org::search_words(words)?;
        let (users, total) = self.repo.search_users(me.user.enterprise_id, words, page).await?;
        Ok((users, total, me.enterprise))
    }
}

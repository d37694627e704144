//! Looking users up.

use crate::auth::{Principal, PrincipalKind};
use crate::error::{Error, NotFoundKind, Result};
use crate::ids::{EnterpriseId, UserId};
use crate::model::{Page, User, UserWithEnterprise};
use crate::services::Core;

/// How `get_user_info` identifies a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierType {
    /// Email or phone, whichever matches (`simple_phone_or_email`).
    PhoneOrEmail,
    Email,
    Phone,
    /// The id a third-party platform knows the user by.
    UserTicket,
}

impl IdentifierType {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "simple_phone_or_email" => Some(Self::PhoneOrEmail),
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            "user_ticket" => Some(Self::UserTicket),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct UserLookup {
    pub identifier: String,
    pub identifier_type: IdentifierType,
    /// The third-party platform, for `UserTicket`.
    pub platform_id: Option<i64>,
}

/// The platform id private deployments use when a client does not say.
const DEFAULT_PLATFORM_ID: i64 = 2;

impl Core {
    /// A user the caller may see, or `UserNotFound` — users of other enterprises answer
    /// exactly like missing ones.
    pub(crate) async fn visible_user(&self, principal: &Principal, user_id: UserId) -> Result<User> {
        let user = self.repo.find_user(user_id).await?;
        match user {
            Some(user) if principal.can_administer(user.enterprise_id) || same_enterprise(principal, &user) => Ok(user),
            _ => Err(Error::not_found(NotFoundKind::User)),
        }
    }

    async fn with_enterprise(&self, user: User) -> Result<UserWithEnterprise> {
        let enterprise = self.repo.find_enterprise(user.enterprise_id).await?;
        let enterprise = enterprise.ok_or_else(|| Error::internal("user without enterprise"))?;
        Ok(UserWithEnterprise { user, enterprise })
    }

    /// `admin/user/get_user_info`: finds a user of the admin's enterprise by email, phone or
    /// third-party id.
    pub async fn get_user_info(&self, principal: &Principal, lookup: UserLookup) -> Result<UserWithEnterprise> {
        let PrincipalKind::EnterpriseAdmin { enterprise_id, .. } = principal.kind() else {
            return Err(Error::PermissionDenied);
        };
        let identifier = lookup.identifier.trim();
        if identifier.is_empty() {
            return Err(Error::invalid("identifier", "不能为空"));
        }
        let user = match lookup.identifier_type {
            IdentifierType::UserTicket => {
                let platform_id = lookup.platform_id.unwrap_or(DEFAULT_PLATFORM_ID);
                if platform_id < 1 {
                    return Err(Error::invalid("platform_id", "必须大于等于1"));
                }
                self.repo
                    .find_user_by_ticket(enterprise_id, platform_id, identifier)
                    .await?
            }
            kind => self.user_by_login(enterprise_id, identifier, kind).await?,
        };
        let user = user.ok_or(Error::not_found(NotFoundKind::User))?;
        self.with_enterprise(user).await
    }

    /// A user of the enterprise by login: email or phone (`PhoneOrEmail`), or only the one
    /// `kind` names (`UserTicket` finds nobody here).
    pub(crate) async fn user_by_login(
        &self,
        enterprise_id: EnterpriseId,
        identifier: &str,
        kind: IdentifierType,
    ) -> Result<Option<User>> {
        let found = self.repo.find_user_by_login(enterprise_id, identifier).await?;
        Ok(found.filter(|user| match kind {
            IdentifierType::PhoneOrEmail => true,
            IdentifierType::Email => user
                .email
                .as_deref()
                .is_some_and(|email| email.eq_ignore_ascii_case(identifier)),
            IdentifierType::Phone => user.phone.as_deref() == Some(identifier),
            IdentifierType::UserTicket => false,
        }))
    }

    /// `admin/user/all`: the admin's enterprise's users, by id.
    pub async fn list_users(&self, principal: &Principal, page: Page) -> Result<(Vec<UserWithEnterprise>, i64)> {
        let PrincipalKind::EnterpriseAdmin { enterprise_id, .. } = principal.kind() else {
            return Err(Error::PermissionDenied);
        };
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        let enterprise = enterprise.ok_or_else(|| Error::internal("token of a vanished enterprise"))?;
        let (users, total) = self.repo.list_users(enterprise_id, page).await?;
        let users = users
            .into_iter()
            .map(|user| UserWithEnterprise {
                user,
                enterprise: enterprise.clone(),
            })
            .collect();
        Ok((users, total))
    }

    /// The caller's own record (user tokens only).
    pub async fn current_user(&self, principal: &Principal) -> Result<UserWithEnterprise> {
        let user_id = principal.user_id().ok_or(Error::PermissionDenied)?;
        if let Some(cached) = self.cache.user(user_id) {
            return Ok(cached);
        }
        let read_under = self.cache.epoch();
        let found = self.repo.find_user_with_enterprise(user_id).await?;
        let found = found.ok_or(Error::not_found(NotFoundKind::User))?;
        self.cache.remember_user(read_under, found.clone());
        Ok(found)
    }
}

fn same_enterprise(principal: &Principal, user: &User) -> bool {
    matches!(principal.kind(), PrincipalKind::User { enterprise_id, .. } if enterprise_id == user.enterprise_id)
}

//! The auth service (`/apis/rest/...`): user access tokens from a password login (the desktop
//! client's and the console's) or from the operator's CLI, and the single-use auth codes a
//! third-party app trades one for, to read who the user is and what their company is.

use std::sync::OnceLock;

use crate::audit::{TargetKind, action};
use crate::auth::Principal;
use crate::auth_service::{AuthCodeRecord, CodeScope, EnterpriseProfile, EnterpriseProfileChanges, Stamp};
use crate::error::{AuthServiceFailure, Error, NotFoundKind, Result};
use crate::ids::{AppId, EnterpriseId, UserId};
use crate::model::{App, AppStatus, Enterprise, User, UserWithEnterprise};
use crate::oauth::{ClientCheck, ClientCredentials};
use crate::secrets;
use crate::services::Core;
use crate::services::audit_log::Audit;

/// User access tokens live three months, as the auth service's document says.
pub const USER_TOKEN_SECS: i64 = 90 * 24 * 3600;
/// Auth codes must be exchanged within five minutes.
pub const AUTH_CODE_SECS: i64 = 300;
/// Expired user tokens are remembered this long, to answer "expired" instead of "unknown".
pub const EXPIRED_TOKEN_MEMORY_SECS: i64 = 30 * 24 * 3600;

fn failure(failure: AuthServiceFailure) -> Error {
    Error::AuthService(failure)
}

/// A freshly issued user access token (shown once; only its hash is stored).
#[derive(Clone)]
pub struct UserAccessToken {
    pub access_token: String,
    pub expires_in: i64,
    pub user: UserWithEnterprise,
}

/// What every auth service call presents: the app's Basic credentials, the `client_id`
/// parameter when given, the user's access token and the request stamp.
#[derive(Clone)]
pub struct AuthServiceCall {
    pub credentials: ClientCredentials,
    pub client_id: Option<String>,
    pub access_token: String,
    pub stamp: Stamp,
}

// Tokens stay out of logs: the Debug forms name everything but the secrets.
impl std::fmt::Debug for UserAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAccessToken")
            .field("user", &self.user.user.id)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AuthServiceCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServiceCall")
            .field("credentials", &self.credentials)
            .field("client_id", &self.client_id)
            .field("stamp", &self.stamp)
            .finish_non_exhaustive()
    }
}

/// `getCompanyInfo`: the enterprise and its registration details.
#[derive(Debug, Clone)]
pub struct CompanyInfo {
    pub enterprise: Enterprise,
    pub profile: EnterpriseProfile,
}

/// An argon2 hash to verify against when a login names nobody, so the answer takes as long
/// as for a real account.
pub(crate) fn decoy_password_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| secrets::hash_password(&secrets::random_hex(16)).unwrap_or_default())
}

impl Core {
    /// Signs a user in with their login (email or phone) and password and issues a user access
    /// token. Wrong attempts are counted per login from one client and per client, so a
    /// guesser is slowed down without locking the owner out from elsewhere.
    pub async fn password_login(&self, login: &str, password: &str, client: &str) -> Result<UserAccessToken> {
        let user = self.check_password(login, password, client).await?;
        self.record_login(&user, None, "password").await?;
        self.issue_user_token(user.id).await
    }

    /// Checks a login and password (throttled like [`Core::password_login`]) and answers the
    /// user, without recording a login yet.
    pub(crate) async fn check_password(&self, login: &str, password: &str, client: &str) -> Result<User> {
        let login = login.trim();
        if login.is_empty() || login.len() > 255 || password.is_empty() || password.len() > 128 {
            return Err(failure(AuthServiceFailure::WrongPassword));
        }
        let now = self.clock.now();
        let keys = [
            format!("login:{}:{client}", login.to_lowercase()),
            format!("login-client:{client}"),
        ];
        // Per login (from one client) and per client, with the share links' budget.
        self.reserve_password_attempt(&keys, now).await?;
        let found = self.repo.find_login(login).await?;
        let hash = found
            .as_ref()
            .and_then(|(_, hash)| hash.as_deref())
            .unwrap_or_else(|| decoy_password_hash());
        let matches = secrets::verify_password(password, hash);
        let user = match found {
            Some((user, Some(_))) if matches => user,
            Some((user, _)) => {
                let audit =
                    Audit::new(action::LOGIN_FAILED, TargetKind::User, user.id.0, &user.name).with("via", "password");
                self.audited_as(user.enterprise_id, Some(user.id), None, audit, self.repo.flush_audit())
                    .await?;
                return Err(failure(AuthServiceFailure::WrongPassword));
            }
            None => return Err(failure(AuthServiceFailure::WrongPassword)),
        };
        self.repo.release_password_attempt(&keys).await?;
        Ok(user)
    }

    /// Records that `user` signed in (activating an account that waited for it), on the audit
    /// log with how.
    pub(crate) async fn record_login(&self, user: &User, app: Option<AppId>, via: &str) -> Result<()> {
        let action = if user.active {
            action::LOGIN
        } else {
            action::ACTIVATE_USER
        };
        let audit = Audit::new(action, TargetKind::User, user.id.0, &user.name).with("via", via);
        let now = self.clock.now();
        self.audited_as(
            user.enterprise_id,
            Some(user.id),
            app,
            audit,
            self.repo.record_login(user.id, now),
        )
        .await?;
        self.after_revocation().await
    }

    /// `openpan admin create-user-token`: a user access token for an active user, issued by
    /// whoever administers the user's enterprise.
    pub async fn create_user_token(&self, principal: &Principal, user_id: UserId) -> Result<UserAccessToken> {
        let user = self.repo.find_user(user_id).await?;
        let user = user
            .filter(|user| principal.can_administer(user.enterprise_id))
            .ok_or_else(|| Error::not_found(NotFoundKind::User))?;
        if !user.active {
            return Err(Error::UserNotActive);
        }
        self.issue_user_token(user.id).await
    }

    async fn issue_user_token(&self, user_id: UserId) -> Result<UserAccessToken> {
        let now = self.clock.now();
        let access_token = secrets::random_hex(20);
        self.repo
            .create_user_token(&self.key.hash(&access_token), user_id, now, now + USER_TOKEN_SECS)
            .await?;
        let user = self.repo.find_user_with_enterprise(user_id).await?;
        let user = user.ok_or_else(|| Error::not_found(NotFoundKind::User))?;
        Ok(UserAccessToken {
            access_token,
            expires_in: USER_TOKEN_SECS,
            user,
        })
    }

    /// Signs out: the token stops working. Unknown tokens answer as invalid.
    pub async fn revoke_user_token(&self, access_token: &str) -> Result<()> {
        let user = self.token_user(access_token).await;
        let revoked = self.repo.delete_user_token(&self.key.hash(access_token.trim())).await?;
        match user {
            Ok(user) if revoked => {
                let audit = Audit::new(action::LOGOUT, TargetKind::User, user.id.0, &user.name);
                self.audited_as(user.enterprise_id, Some(user.id), None, audit, self.repo.flush_audit())
                    .await?;
                Ok(())
            }
            // An expired token is signed out all the same.
            Err(Error::AuthService(AuthServiceFailure::AccessTokenExpired)) => Ok(()),
            Err(err) => Err(err),
            Ok(_) => Err(Error::InvalidToken),
        }
    }

    /// Revokes every access token of a user (and the auth codes issued on them).
    pub async fn revoke_user_tokens(&self, principal: &Principal, user_id: UserId) -> Result<u64> {
        let user = self.repo.find_user(user_id).await?;
        user.filter(|user| principal.can_administer(user.enterprise_id))
            .ok_or_else(|| Error::not_found(NotFoundKind::User))?;
        Ok(self.repo.delete_user_tokens(user_id).await?)
    }

    /// The active user of an unexpired access token.
    async fn token_user(&self, access_token: &str) -> Result<User> {
        let access_token = access_token.trim();
        if access_token.is_empty() || access_token.len() > 256 {
            return Err(Error::InvalidToken);
        }
        let record = self.repo.find_user_token(&self.key.hash(access_token)).await?;
        let record = record.ok_or(Error::InvalidToken)?;
        if record.expires_at <= self.clock.now() {
            return Err(failure(AuthServiceFailure::AccessTokenExpired));
        }
        let user = self.repo.find_user(record.user_id).await?;
        user.filter(|user| user.active).ok_or(Error::InvalidToken)
    }

    /// The app behind the Basic header, told apart the way the auth service's codes do:
    /// unknown client, wrong secret, disabled app or a `client_id` parameter naming another.
    async fn auth_service_app(&self, call: &AuthServiceCall) -> Result<App> {
        let app = match self.check_client(&call.credentials).await? {
            ClientCheck::Checked(app) => *app,
            ClientCheck::Unknown => return Err(failure(AuthServiceFailure::UnknownClient)),
            ClientCheck::WrongSecret => return Err(failure(AuthServiceFailure::BadClientCredentials)),
        };
        let other_client = call
            .client_id
            .as_deref()
            .is_some_and(|named| named != call.credentials.client_id);
        if app.status != AppStatus::Active || other_client {
            return Err(failure(AuthServiceFailure::ClientNotAllowed));
        }
        Ok(app)
    }

    /// The app and the token's user, after the stamp; the user must be of the app's enterprise.
    async fn auth_service_caller(&self, call: &AuthServiceCall) -> Result<(App, User)> {
        let app = self.auth_service_app(call).await?;
        call.stamp.check(self.clock.now())?;
        let user = self.token_user(&call.access_token).await?;
        if user.enterprise_id != app.enterprise_id {
            return Err(failure(AuthServiceFailure::ClientNotAllowed));
        }
        Ok((app, user))
    }

    /// `authService/authorize`: a single-use auth code (40 lowercase hex characters) bound to
    /// the app and the token's user, for `scope`, living five minutes.
    pub async fn issue_auth_code(&self, call: &AuthServiceCall, scope: CodeScope) -> Result<String> {
        let (app, user) = self.auth_service_caller(call).await?;
        let code = secrets::random_hex(20);
        let record = AuthCodeRecord {
            app_id: app.id,
            user_id: user.id,
            scope,
            expires_at: self.clock.now() + AUTH_CODE_SECS,
            used: false,
        };
        self.repo.create_auth_code(&self.key.hash(&code), record).await?;
        Ok(code)
    }

    /// Exchanges an auth code for what `needed` names. A code presented by another client,
    /// with another user's token or for something it was not granted is refused and stays
    /// usable by its rightful holder; a good exchange uses it up.
    async fn redeem_auth_code(&self, call: &AuthServiceCall, code: &str, needed: CodeScope) -> Result<User> {
        let (app, user) = self.auth_service_caller(call).await?;
        let code = code.trim();
        if code.len() != 40 || !code.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(failure(AuthServiceFailure::AuthCodeUnknown));
        }
        let hash = self.key.hash(&code.to_ascii_lowercase());
        let record = self.repo.find_auth_code(&hash).await?;
        let record = record
            .filter(|record| !record.used)
            .ok_or(failure(AuthServiceFailure::AuthCodeUnknown))?;
        let now = self.clock.now();
        if record.expires_at <= now {
            return Err(failure(AuthServiceFailure::AuthCodeExpired));
        }
        if record.app_id != app.id {
            return Err(failure(AuthServiceFailure::AuthCodeOtherClient));
        }
        if record.user_id != user.id {
            return Err(failure(AuthServiceFailure::AuthCodeOtherUser));
        }
        if !record.scope.covers(needed) {
            return Err(failure(AuthServiceFailure::AuthCodeNotPermitted));
        }
        if !self.repo.use_auth_code(&hash, now).await? {
            return Err(failure(AuthServiceFailure::AuthCodeUnknown));
        }
        Ok(user)
    }

    /// `userService/getUserInfo`.
    pub async fn auth_code_user(&self, call: &AuthServiceCall, code: &str) -> Result<UserWithEnterprise> {
        let user = self.redeem_auth_code(call, code, CodeScope::USER_INFO).await?;
        let found = self.repo.find_user_with_enterprise(user.id).await?;
        found.ok_or(Error::InvalidToken)
    }

    /// `companyService/getCompanyInfo`.
    pub async fn auth_code_company(&self, call: &AuthServiceCall, code: &str) -> Result<CompanyInfo> {
        let user = self.redeem_auth_code(call, code, CodeScope::COMPANY_INFO).await?;
        self.company_info(user.enterprise_id).await
    }

    async fn company_info(&self, enterprise_id: EnterpriseId) -> Result<CompanyInfo> {
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        let enterprise = enterprise.ok_or_else(|| Error::not_found(NotFoundKind::Enterprise))?;
        let profile = self.repo.find_enterprise_profile(enterprise_id).await?;
        Ok(CompanyInfo { enterprise, profile })
    }

    /// `admin/enterprise/info`: the administrator's enterprise with its registration details.
    pub async fn enterprise_profile(&self, principal: &Principal) -> Result<CompanyInfo> {
        let enterprise_id = principal.administered_enterprise()?;
        self.company_info(enterprise_id).await
    }

    /// `admin/enterprise/update`: changes the registration details (audited as 编辑企业信息).
    pub async fn update_enterprise_profile(
        &self,
        principal: &Principal,
        changes: EnterpriseProfileChanges,
    ) -> Result<CompanyInfo> {
        let enterprise_id = principal.administered_enterprise()?;
        if changes.is_empty() {
            return Err(Error::invalid("body", "没有要修改的内容"));
        }
        let current = self.company_info(enterprise_id).await?;
        let profile = changes.apply(&current.profile)?;
        let audit = Audit::new(
            action::EDIT_ENTERPRISE,
            TargetKind::Enterprise,
            enterprise_id.0,
            &current.enterprise.name,
        );
        self.audited(
            principal,
            enterprise_id,
            audit,
            self.repo.update_enterprise_profile(enterprise_id, &profile),
        )
        .await?;
        Ok(CompanyInfo {
            enterprise: current.enterprise,
            profile,
        })
    }
}

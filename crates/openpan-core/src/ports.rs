//! The traits through which core reaches storage. Methods are use-case shaped: each is one
//! atomic step from the service's point of view, and the adapter owns any transaction.
//!
//! Verbs: `get_*` must exist (else `RepoError::NotFound`), `find_*` returns `Option`, `list_*` is
//! paged, `create_*`/`update_*`/`delete_*` write.

use async_trait::async_trait;

use crate::error::RepoError;
use crate::ids::{AppId, EnterpriseId, TokenId, UserId};
use crate::model::{
    App, AppStatus, Enterprise, NewToken, Page, Subject, TokenHashes, TokenRecord, User, UserWithEnterprise,
};

pub type RepoResult<T> = Result<T, RepoError>;

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub is_admin: bool,
    pub space_total: i64,
    pub created_at: i64,
}

/// An enterprise to create together with its administrator.
#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub name: String,
    pub short_name: String,
    /// `enterprise_id` is ignored: the new enterprise's id is used.
    pub admin: NewUser,
    pub created_at: i64,
}

/// An app to create.
#[derive(Debug, Clone)]
pub struct NewApp {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub client_id: String,
    pub client_secret_hash: Vec<u8>,
    pub callback_url: Option<String>,
    pub created_at: i64,
}

#[async_trait]
pub trait EnterpriseRepo: Send + Sync {
    /// Atomic: the enterprise and its admin user are created together or not at all.
    /// Errors: `Conflict(EnterpriseShortName)`, `Conflict(UserLogin)`.
    async fn create_enterprise(&self, new: NewEnterprise) -> RepoResult<(Enterprise, User)>;
    async fn find_enterprise(&self, id: EnterpriseId) -> RepoResult<Option<Enterprise>>;
    async fn count_enterprises(&self) -> RepoResult<i64>;
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Errors: `Conflict(UserLogin)` when an undeleted user has the same email or phone.
    async fn create_user(&self, new: NewUser) -> RepoResult<User>;
    /// Undeleted users only.
    async fn find_user(&self, id: UserId) -> RepoResult<Option<User>>;
    /// An undeleted user together with its enterprise, in one round trip.
    async fn find_user_with_enterprise(&self, id: UserId) -> RepoResult<Option<UserWithEnterprise>>;
    /// By email (case-insensitive) or phone, among the enterprise's undeleted users.
    async fn find_user_by_login(&self, enterprise_id: EnterpriseId, login: &str) -> RepoResult<Option<User>>;
    /// By the id a third-party platform knows the user by.
    async fn find_user_by_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        ticket: &str,
    ) -> RepoResult<Option<User>>;
    /// Errors: `Conflict(UserTicket)` when the ticket is already mapped on that platform.
    async fn create_user_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        ticket: &str,
        user_id: UserId,
    ) -> RepoResult<()>;
    /// Undeleted users of the enterprise by id, and their total count.
    async fn list_users(&self, enterprise_id: EnterpriseId, page: Page) -> RepoResult<(Vec<User>, i64)>;
    /// Atomic: marks the user deleted and revokes every token issued for it.
    async fn delete_user(&self, id: UserId, at: i64) -> RepoResult<()>;
}

#[async_trait]
pub trait AppRepo: Send + Sync {
    async fn create_app(&self, new: NewApp) -> RepoResult<App>;
    /// Any status; callers decide what a disabled app may do.
    async fn find_app_by_client_id(&self, client_id: &str) -> RepoResult<Option<App>>;
    async fn find_app(&self, id: AppId) -> RepoResult<Option<App>>;
    /// Atomic: sets the status, bumps the revocation epoch and, unless the status is `Active`,
    /// deletes every token of the app.
    async fn update_app_status(&self, id: AppId, status: AppStatus) -> RepoResult<()>;
}

#[async_trait]
pub trait TokenRepo: Send + Sync {
    /// Atomic: records `jti` as used by the app until `jti_expires_at` and stores the token.
    /// Errors: `Conflict(JtiReplayed)` when the app already used `jti` (nothing is stored).
    async fn create_token_for_assertion(
        &self,
        app_id: AppId,
        jti: &str,
        jti_expires_at: i64,
        token: NewToken,
    ) -> RepoResult<TokenId>;
    /// The token, if its access token is unexpired, its app is active and (for user tokens)
    /// its user is active and undeleted. The caller checks the secret against `access_hash`.
    async fn find_access_token(&self, id: TokenId, now: i64) -> RepoResult<Option<TokenRecord>>;
    /// Atomic: consumes the app's refresh token `id` if its hash is `refresh_hash`, it is
    /// unexpired and unused, and (for user tokens) its user is active and undeleted; then stores
    /// a new pair with the same subject. Returns the new pair's id and subject, or `None` when the
    /// refresh token is not (or no longer) usable; nothing is stored then.
    async fn rotate_refresh_token(
        &self,
        app_id: AppId,
        id: TokenId,
        refresh_hash: &[u8],
        now: i64,
        replacement: TokenHashes,
    ) -> RepoResult<Option<(TokenId, Subject)>>;
    /// A counter that grows with every change revoking access (any app status change, a user
    /// deleted); a cache of token checks and apps is valid only while it stays the same.
    async fn revocation_epoch(&self) -> RepoResult<i64>;
    /// Deletes expired tokens and used jtis; returns how many rows went.
    async fn purge_expired(&self, now: i64) -> RepoResult<u64>;
}

/// Every storage port in one object, as the wiring passes it around.
pub trait Repo: EnterpriseRepo + UserRepo + AppRepo + TokenRepo {}

impl<T: EnterpriseRepo + UserRepo + AppRepo + TokenRepo> Repo for T {}

/// Whether a backend answers, for `/readyz`.
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// A short name for the log (`database`, `redis`).
    fn name(&self) -> &'static str;
    async fn is_healthy(&self) -> bool;
}

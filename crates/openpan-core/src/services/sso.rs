//! 免登: an integrator's portal opens the drive for a user without a password. The app (with
//! its enterprise token) mints a short-lived, single-use ticket for one user
//! (`admin/user/get_login_url`, `get_login_params`); following the link redeems it for a web
//! session, activating an account that was waiting for its first login.

use crate::auth::{Principal, PrincipalKind};
use crate::error::{Error, NotFoundKind, Result};
use crate::model::UserWithEnterprise;
use crate::secrets;
use crate::services::{Core, UserLookup};

/// How long a login ticket may wait to be used.
pub const LOGIN_TICKET_SECS: i64 = 300;
/// How long a web session lasts.
pub const WEB_SESSION_SECS: i64 = 12 * 3600;

/// A minted login ticket: the secret `auth_key` with the app it is bound to.
#[derive(Debug, Clone)]
pub struct LoginTicket {
    pub auth_key: String,
    pub client_id: String,
    pub expires_in: i64,
}

/// An open web session: its secret (the cookie value) and whose it is.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub secret: String,
    pub user: UserWithEnterprise,
    pub expires_at: i64,
}

impl Core {
    /// `get_login_url` / `get_login_params`: a ticket for a user of the caller's enterprise,
    /// bound to the calling app.
    pub async fn issue_login_ticket(&self, principal: &Principal, lookup: UserLookup) -> Result<LoginTicket> {
        let PrincipalKind::EnterpriseAdmin { app_id, .. } = principal.kind() else {
            return Err(Error::PermissionDenied);
        };
        let found = self.get_user_info(principal, lookup).await?;
        let app = self.repo.find_app(app_id).await?;
        let app = app.ok_or(Error::InvalidToken)?;
        let auth_key = secrets::random_hex(16);
        let expires_at = self.clock.now() + LOGIN_TICKET_SECS;
        self.repo
            .create_login_ticket(&self.key.hash(&auth_key), found.user.id, app.id, expires_at)
            .await?;
        Ok(LoginTicket {
            auth_key,
            client_id: app.client_id,
            expires_in: LOGIN_TICKET_SECS,
        })
    }

    /// Follows a login link: the ticket is used up whatever happens next, and answers a new
    /// web session. Unknown, used, expired and foreign tickets all answer alike.
    pub async fn redeem_login_ticket(&self, client_id: &str, auth_key: &str) -> Result<WebSession> {
        let invalid = || Error::not_found(NotFoundKind::Link);
        let app = self.repo.find_app_by_client_id(client_id).await?;
        let app = app
            .filter(|app| app.status == crate::model::AppStatus::Active)
            .ok_or_else(invalid)?;
        let now = self.clock.now();
        let user_id = self
            .repo
            .redeem_login_ticket(&self.key.hash(auth_key), app.id, now)
            .await?
            .ok_or_else(invalid)?;
        let user = self.repo.find_user(user_id).await?.ok_or_else(invalid)?;
        if user.enterprise_id != app.enterprise_id {
            return Err(invalid());
        }
        self.record_login(&user, Some(app.id), "sso").await?;
        self.open_web_session(&user).await
    }

    /// Signs a person in on the drive's own sign-in page (the authorization endpoint's) with
    /// their login and password, throttled per login and per client address.
    pub async fn password_web_login(&self, login: &str, password: &str, client: &str) -> Result<WebSession> {
        let user = self.check_password(login, password, client).await?;
        self.record_login(&user, None, "password").await?;
        self.open_web_session(&user).await
    }

    async fn open_web_session(&self, user: &crate::model::User) -> Result<WebSession> {
        let now = self.clock.now();
        let secret = secrets::random_hex(32);
        let expires_at = now + WEB_SESSION_SECS;
        self.repo
            .create_web_session(&self.key.hash(&secret), user.id, now, expires_at)
            .await?;
        let user = self
            .repo
            .find_user_with_enterprise(user.id)
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok(WebSession {
            secret,
            user,
            expires_at,
        })
    }

    /// The anti-forgery token of a web session's forms: derived from the session secret, so
    /// only a page the session was shown can carry it.
    pub fn form_token(&self, session_secret: &str) -> String {
        hex::encode(&self.key.hash(&format!("form:{session_secret}"))[..16])
    }

    /// Whether `token` is the session's form token (compared in constant time).
    pub fn check_form_token(&self, session_secret: &str, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.form_token(session_secret)
            .as_bytes()
            .ct_eq(token.as_bytes())
            .into()
    }

    /// The user of a web session, if it is open, and when it ends.
    pub async fn web_session(&self, secret: &str) -> Result<(UserWithEnterprise, i64)> {
        let (user, expires_at) = self
            .repo
            .find_web_session(&self.key.hash(secret), self.clock.now())
            .await?
            .ok_or(Error::Unauthenticated)?;
        let user = self
            .repo
            .find_user_with_enterprise(user)
            .await?
            .ok_or(Error::Unauthenticated)?;
        Ok((user, expires_at))
    }

    /// The current time by the core's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Ends a web session.
    pub async fn end_web_session(&self, secret: &str) -> Result<()> {
        Ok(self.repo.delete_web_session(&self.key.hash(secret)).await?)
    }
}

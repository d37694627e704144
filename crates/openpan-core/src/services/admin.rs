//! Creating and retiring enterprises, users and apps.

use crate::audit::{TargetKind, action};
use crate::auth::Principal;
use crate::error::{Error, FieldError, NotFoundKind, Result};
use crate::ids::{AppId, EnterpriseId, UserId};
use crate::model::{App, AppStatus, Email, Enterprise, Password, PersonName, Phone, ShortName, User};
use crate::ports::{NewApp, NewEnterprise, NewUser};
use crate::secrets;
use crate::services::Core;
use crate::services::audit_log::Audit;

/// Unlimited space, the default for new users.
const UNLIMITED: i64 = -1;

#[derive(Debug, Clone)]
pub struct CreateEnterprise {
    pub name: String,
    pub short_name: Option<String>,
    pub admin_name: String,
    pub admin_email: String,
    /// Generated (and returned once) when absent.
    pub admin_password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreatedEnterprise {
    pub enterprise: Enterprise,
    pub admin: User,
    /// The admin's password when it was generated; shown once.
    pub generated_password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreateUser {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreateApp {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub callback_url: Option<String>,
    pub client_type: crate::model::ClientType,
    pub redirect_uris: Vec<String>,
    /// The scopes the app may be granted; `None` or empty: any.
    pub allowed_scopes: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreatedApp {
    pub app: App,
    /// The plaintext secret; it exists nowhere else, so it is shown this once.
    pub client_secret: String,
}

fn collect(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Derives an account name from a display name: its ASCII letters and digits, else `ent`.
fn short_name_base(name: &str) -> String {
    let mut base: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(20)
        .collect();
    if base.len() < 2 {
        base = "ent".to_owned();
    }
    base
}

impl Core {
    /// Creates an enterprise and its administrator. Only the host operator may.
    pub async fn create_enterprise(&self, principal: &Principal, cmd: CreateEnterprise) -> Result<CreatedEnterprise> {
        if !matches!(principal.kind(), crate::auth::PrincipalKind::Operator) {
            return Err(Error::PermissionDenied);
        }
        let mut errors = Vec::new();
        let name = PersonName::parse("name", &cmd.name).map_err(|e| errors.push(e)).ok();
        let admin_name = PersonName::parse("admin_name", &cmd.admin_name)
            .map_err(|e| errors.push(e))
            .ok();
        let admin_email = Email::parse("admin_email", &cmd.admin_email)
            .map_err(|e| errors.push(e))
            .ok();
        let explicit_short = match &cmd.short_name {
            Some(raw) => ShortName::parse("short_name", raw).map_err(|e| errors.push(e)).ok(),
            None => None,
        };
        let password = match &cmd.admin_password {
            Some(raw) => Password::parse("admin_password", raw).map_err(|e| errors.push(e)).ok(),
            None => None,
        };
        collect(errors)?;
        let (name, admin_name, admin_email) = (name.unwrap(), admin_name.unwrap(), admin_email.unwrap());
        let generated_password = password.is_none().then(secrets::new_password);
        let password_text = password
            .as_ref()
            .map(Password::expose)
            .or(generated_password.as_deref())
            .unwrap_or_default();
        let password_hash = secrets::hash_password(password_text)?;
        let now = self.clock.now();
        let name = name.into_inner();
        let admin = NewUser {
            enterprise_id: EnterpriseId(0),
            name: admin_name.into_inner(),
            email: Some(admin_email.into_inner()),
            phone: None,
            password_hash: Some(password_hash),
            active: true,
            is_admin: true,
            hide_phone: false,
            disable_download: false,
            space_total: UNLIMITED,
            created_at: now,
        };
        // A generated account name gets a random suffix until it is free; an explicit one
        // that is taken is the caller's conflict to resolve.
        let mut attempt = 0;
        loop {
            let short_name = match &explicit_short {
                Some(short) => short.as_str().to_owned(),
                None => format!("{}-{}", short_name_base(&name), &secrets::random_hex(3)),
            };
            let new = NewEnterprise {
                name: name.clone(),
                short_name,
                admin: admin.clone(),
                created_at: now,
            };
            match self.repo.create_enterprise(new).await {
                Ok((enterprise, admin)) => {
                    return Ok(CreatedEnterprise {
                        enterprise,
                        admin,
                        generated_password,
                    });
                }
                Err(crate::RepoError::Conflict(crate::error::ConflictKind::EnterpriseShortName))
                    if explicit_short.is_none() && attempt < 5 =>
                {
                    attempt += 1;
                }
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// The enterprise `principal` may administer, or why not.
    async fn administered_enterprise(&self, principal: &Principal, enterprise_id: EnterpriseId) -> Result<Enterprise> {
        if !principal.can_administer(enterprise_id) {
            return Err(Error::PermissionDenied);
        }
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        enterprise.ok_or(Error::not_found(NotFoundKind::Enterprise))
    }

    /// Adds a user to an enterprise, active from the start. Operator or that enterprise's admin.
    pub async fn create_user(&self, principal: &Principal, cmd: CreateUser) -> Result<User> {
        self.administered_enterprise(principal, cmd.enterprise_id).await?;
        let mut errors = Vec::new();
        let name = PersonName::parse("name", &cmd.name).map_err(|e| errors.push(e)).ok();
        let email = cmd
            .email
            .as_deref()
            .and_then(|raw| Email::parse("email", raw).map_err(|e| errors.push(e)).ok());
        let phone = cmd
            .phone
            .as_deref()
            .and_then(|raw| Phone::parse("phone", raw).map_err(|e| errors.push(e)).ok());
        let password = cmd
            .password
            .as_deref()
            .and_then(|raw| Password::parse("password", raw).map_err(|e| errors.push(e)).ok());
        if cmd.email.is_none() && cmd.phone.is_none() {
            errors.push(FieldError::new("email", "邮箱和手机号不能同时为空"));
        }
        collect(errors)?;
        let password_hash = password
            .map(|password| secrets::hash_password(password.expose()))
            .transpose()?;
        let new = NewUser {
            enterprise_id: cmd.enterprise_id,
            name: name.unwrap().into_inner(),
            email: email.map(Email::into_inner),
            phone: phone.map(Phone::into_inner),
            password_hash,
            active: true,
            is_admin: false,
            hide_phone: false,
            disable_download: false,
            space_total: UNLIMITED,
            created_at: self.clock.now(),
        };
        let audit = crate::services::audit_log::Audit::new(
            crate::audit::action::INVITE_MEMBER,
            crate::audit::TargetKind::User,
            0,
            &new.name,
        );
        let enterprise_id = new.enterprise_id;
        Ok(self
            .audited(principal, enterprise_id, audit, self.repo.create_user(new))
            .await?)
    }

    /// Maps a third-party platform's id for a user (`user_ticket`). Operator or the admin.
    pub async fn map_user_ticket(
        &self,
        principal: &Principal,
        user_id: UserId,
        platform_id: i64,
        ticket: &str,
    ) -> Result<()> {
        let user = self.visible_user(principal, user_id).await?;
        if !principal.can_administer(user.enterprise_id) {
            return Err(Error::PermissionDenied);
        }
        if platform_id < 1 {
            return Err(Error::invalid("platform_id", "必须大于等于1"));
        }
        let ticket = ticket.trim();
        if ticket.is_empty() || ticket.chars().count() > 128 || ticket.chars().any(char::is_control) {
            return Err(Error::invalid("custom_id", "长度必须在1-128之间"));
        }
        Ok(self
            .repo
            .create_user_ticket(user.enterprise_id, platform_id, ticket, user.id)
            .await?)
    }

    /// Deletes a user, handing its files to `receiver`, and revokes its tokens at once.
    /// Operator or the admin.
    pub async fn delete_user(&self, principal: &Principal, user_id: UserId, receiver: Option<UserId>) -> Result<()> {
        let user = self.visible_user(principal, user_id).await?;
        if !principal.can_administer(user.enterprise_id) {
            return Err(Error::PermissionDenied);
        }
        // The administrator owns department roots and inherits director-less departments.
        let enterprise = self.repo.find_enterprise(user.enterprise_id).await?;
        if enterprise.is_some_and(|enterprise| enterprise.admin_user_id == user.id) {
            return Err(Error::PermissionDenied);
        }
        self.delete_handing_over(principal, &user, receiver).await
    }

    /// Registers an app; its secret is returned once and stored only as a keyed hash.
    pub async fn create_app(&self, principal: &Principal, cmd: CreateApp) -> Result<CreatedApp> {
        self.administered_enterprise(principal, cmd.enterprise_id).await?;
        let mut errors = Vec::new();
        let name = PersonName::parse("name", &cmd.name).map_err(|e| errors.push(e)).ok();
        if let Some(url) = &cmd.callback_url
            && let Err(error) = crate::model::check_http_url("callback_url", url)
        {
            errors.push(error);
        }
        let redirect_uris = super::apps::check_redirect_uris(&cmd.redirect_uris, &mut errors);
        let allowed_scopes = super::apps::check_allowed_scopes(cmd.allowed_scopes.as_deref(), &mut errors);
        collect(errors)?;
        super::apps::check_delegation(principal, allowed_scopes)?;
        if cmd.callback_url.is_some() {
            super::apps::check_event_access(principal)?;
        }
        // A public client has no secret to keep; it still gets one nobody is told, so the
        // secret check of a client that claims one always fails.
        let client_secret = secrets::random_hex(32);
        let new = NewApp {
            enterprise_id: cmd.enterprise_id,
            name: name.unwrap().into_inner(),
            client_id: secrets::random_uuid_like(),
            client_secret_hash: self.key.hash(&client_secret),
            callback_url: cmd.callback_url,
            created_at: self.clock.now(),
            client_type: cmd.client_type,
            redirect_uris,
            allowed_scopes,
        };
        let audit = Audit::new(action::CREATE_APP, TargetKind::App, 0, &new.name)
            .with("client_type", new.client_type.as_str())
            .with("scopes", new.allowed_scopes.map(|scopes| scopes.to_string()));
        let app = self
            .audited(principal, cmd.enterprise_id, audit, self.repo.create_app(new))
            .await?;
        if app.callback_url.is_some() {
            self.start_webhook(&app).await?;
        }
        let client_secret = match app.client_type {
            crate::model::ClientType::Confidential => client_secret,
            crate::model::ClientType::Public => String::new(),
        };
        Ok(CreatedApp { app, client_secret })
    }

    /// Enables, disables or deletes an app. Anything but `Active` revokes its tokens at once.
    pub async fn set_app_status(&self, principal: &Principal, app_id: AppId, status: AppStatus) -> Result<()> {
        let app = self.repo.find_app(app_id).await?;
        let app = match app {
            Some(app)
                if principal.can_administer(app.enterprise_id)
                    && app.status != AppStatus::Deleted
                    && !app.is_console() =>
            {
                app
            }
            _ => return Err(Error::not_found(NotFoundKind::App)),
        };
        super::apps::check_delegation(principal, app.allowed_scopes)?;
        let code = match status {
            AppStatus::Active => action::ENABLE_APP,
            AppStatus::Disabled => action::DISABLE_APP,
            AppStatus::Deleted => action::DELETE_APP,
        };
        let audit = Audit::new(code, TargetKind::App, app.id.0, &app.name);
        self.audited(
            principal,
            app.enterprise_id,
            audit,
            self.repo.update_app_status(app.id, status),
        )
        .await?;
        self.after_revocation().await
    }

    /// Whether this installation has been set up (any enterprise exists).
    pub async fn is_bootstrapped(&self) -> Result<bool> {
        Ok(self.repo.count_enterprises().await? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::short_name_base;

    #[test]
    fn account_names_keep_ascii_and_fall_back_for_chinese_names() {
        assert_eq!(short_name_base("Acme Corp"), "acmecorp");
        assert_eq!(short_name_base("测试企业"), "ent");
    }
}

//! The `/api/v1` account module: service discovery (which address serves an enterprise's app
//! instance), app instances, the plan's paid-until moment and what it stops, who a token
//! speaks for, and the authentication configuration (the enterprise's apps and their settings).

use crate::auth::{Principal, PrincipalKind};
use crate::error::{ConflictKind, Error, FieldError, NotFoundKind, Refusal, Result};
use crate::ids::{AppId, EnterpriseId, UserId};
use crate::model::{App, AppStatus, Enterprise, UserField, check_http_url};
use crate::ports::AppInstanceRecord;
use crate::services::Core;

/// The apps service discovery knows. `workonline` is the drive's own platform (`/api/v2`);
/// `file` and `sms` are the `/api/v1` file and SMS services.
pub const SERVICE_APPS: [&str; 3] = ["workonline", "file", "sms"];
/// The instance every app has without being created.
pub const DEFAULT_INSTANCE: &str = "default";

/// An instance of one of [`SERVICE_APPS`]; `api_url` none when openpan serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInstance {
    pub app: &'static str,
    pub name: String,
    pub api_url: Option<String>,
    /// None for the implicit `default` instances.
    pub created_at: Option<i64>,
}

/// Who a token speaks for.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub app: App,
    pub enterprise: Enterprise,
    /// None for an enterprise (admin) token.
    pub user_id: Option<UserId>,
}

/// What an administrator changes about an app; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct AppSettings {
    /// `Some(None)` clears the callback address.
    pub callback_url: Option<Option<String>>,
    pub user_field: Option<UserField>,
    /// `Active` or `Disabled`; disabling revokes the app's tokens.
    pub status: Option<AppStatus>,
}

fn service_app(raw: &str) -> Result<&'static str> {
    SERVICE_APPS
        .into_iter()
        .find(|app| *app == raw.trim())
        .ok_or_else(|| Error::invalid("app", "应为workonline、file或sms"))
}

/// An instance name: 1–32 of `a-z 0-9 - _`, starting with a letter or digit.
fn instance_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let valid = (1..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(name.to_owned())
    } else {
        Err(Error::invalid("instance", "应为1-32位小写字母、数字、-或_"))
    }
}

impl Core {
    /// Whether the caller administers their enterprise: an enterprise token, or a user token
    /// of an administrator.
    pub(crate) async fn administers(&self, principal: &Principal) -> Result<bool> {
        Ok(match principal.kind() {
            PrincipalKind::EnterpriseAdmin { .. } => true,
            PrincipalKind::User { .. } => self.current_user(principal).await?.user.is_admin,
            _ => false,
        })
    }

    /// The caller's enterprise, when they administer it.
    pub(crate) async fn administered(&self, principal: &Principal) -> Result<EnterpriseId> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        if self.administers(principal).await? {
            Ok(enterprise_id)
        } else {
            Err(Error::PermissionDenied)
        }
    }

    /// The caller's enterprise record, from the cache when it can be trusted.
    pub async fn caller_enterprise_record(&self, principal: &Principal) -> Result<Enterprise> {
        match principal.kind() {
            PrincipalKind::User { .. } => Ok(self.current_user(principal).await?.enterprise),
            PrincipalKind::EnterpriseAdmin { enterprise_id, .. } => {
                if let Some(cached) = self.cache.enterprise(enterprise_id) {
                    return Ok(cached);
                }
                let read_under = self.cache.epoch();
                let found = self.repo.find_enterprise(enterprise_id).await?;
                let found = found.ok_or(Error::not_found(NotFoundKind::Enterprise))?;
                self.cache.remember_enterprise(read_under, found.clone());
                Ok(found)
            }
            _ => Err(Error::PermissionDenied),
        }
    }

    /// Refuses changes for an enterprise whose plan has ended (`enterprise_is_expired`);
    /// reading stays open. The API gate calls it before every write.
    pub async fn ensure_writable(&self, principal: &Principal) -> Result<()> {
        if !matches!(
            principal.kind(),
            PrincipalKind::User { .. } | PrincipalKind::EnterpriseAdmin { .. }
        ) {
            return Ok(());
        }
        let enterprise = self.caller_enterprise_record(principal).await?;
        if enterprise.is_expired(self.clock.now()) {
            return Err(Error::Refused(Refusal::EnterpriseIsExpired));
        }
        Ok(())
    }

    /// `account/get_api_address`: the instance `instance` of `app` for the caller's own
    /// enterprise, named by its account (short name). Another enterprise's account answers
    /// like an unknown one.
    pub async fn api_address(
        &self,
        principal: &Principal,
        account: &str,
        app: &str,
        instance: &str,
    ) -> Result<AppInstance> {
        let enterprise = self.caller_enterprise_record(principal).await?;
        if enterprise.short_name != account.trim() {
            return Err(Error::not_found(NotFoundKind::Enterprise));
        }
        let app = service_app(app)?;
        let name = instance_name(instance)?;
        self.app_instances(enterprise.id)
            .await?
            .into_iter()
            .find(|found| found.app == app && found.name == name)
            .ok_or_else(|| Error::invalid("instance", "实例不存在"))
    }

    /// `account/list_instances`: every instance of the caller's enterprise, the implicit
    /// `default` ones first, optionally of one app.
    pub async fn list_app_instances(&self, principal: &Principal, app: Option<&str>) -> Result<Vec<AppInstance>> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let app = app.map(service_app).transpose()?;
        let mut instances = self.app_instances(enterprise_id).await?;
        instances.retain(|instance| app.is_none_or(|app| instance.app == app));
        Ok(instances)
    }

    async fn app_instances(&self, enterprise_id: EnterpriseId) -> Result<Vec<AppInstance>> {
        let mut instances: Vec<AppInstance> = SERVICE_APPS
            .into_iter()
            .map(|app| AppInstance {
                app,
                name: DEFAULT_INSTANCE.to_owned(),
                api_url: None,
                created_at: None,
            })
            .collect();
        for record in self.repo.list_app_instances(enterprise_id).await? {
            // Rows of an app this build does not know are skipped, not guessed at.
            if let Some(app) = SERVICE_APPS.into_iter().find(|app| *app == record.app) {
                instances.push(AppInstance {
                    app,
                    name: record.name,
                    api_url: record.api_url,
                    created_at: Some(record.created_at),
                });
            }
        }
        Ok(instances)
    }

    /// `account/create_instance` (administrators): a named instance of an app, served by
    /// openpan or, with `api_url`, by another server.
    pub async fn create_app_instance(
        &self,
        principal: &Principal,
        app: &str,
        name: &str,
        api_url: Option<&str>,
    ) -> Result<AppInstance> {
        let enterprise_id = self.administered(principal).await?;
        let mut errors = Vec::new();
        let app = service_app(app).map_err(|err| errors.extend(field_errors(err))).ok();
        let name = instance_name(name).map_err(|err| errors.extend(field_errors(err))).ok();
        let api_url = api_url.map(str::trim).filter(|url| !url.is_empty());
        if let Some(url) = api_url
            && let Err(error) = check_http_url("api_url", url)
        {
            errors.push(error);
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let (app, name) = (app.unwrap_or_default(), name.unwrap_or_default());
        if name == DEFAULT_INSTANCE {
            return Err(Error::Conflict(ConflictKind::AppInstance));
        }
        let record = AppInstanceRecord {
            enterprise_id,
            app: app.to_owned(),
            name: name.clone(),
            api_url: api_url.map(str::to_owned),
            created_at: self.clock.now(),
        };
        self.repo.create_app_instance(&record).await?;
        Ok(AppInstance {
            app,
            name,
            api_url: record.api_url,
            created_at: Some(record.created_at),
        })
    }

    /// `account/delete_instance` (administrators). The `default` instances cannot go.
    pub async fn delete_app_instance(&self, principal: &Principal, app: &str, name: &str) -> Result<()> {
        let enterprise_id = self.administered(principal).await?;
        let app = service_app(app)?;
        let name = instance_name(name)?;
        if name == DEFAULT_INSTANCE {
            return Err(Error::invalid("instance", "默认实例不能删除"));
        }
        if self.repo.delete_app_instance(enterprise_id, app, &name).await? {
            Ok(())
        } else {
            Err(Error::invalid("instance", "实例不存在"))
        }
    }

    /// `account/get_token_info`: the app, enterprise and user the bearer token speaks for.
    pub async fn token_info(&self, principal: &Principal) -> Result<TokenInfo> {
        let app_id = principal.app_id().ok_or(Error::PermissionDenied)?;
        let enterprise = self.caller_enterprise_record(principal).await?;
        let app = self.repo.find_app(app_id).await?;
        let app = app.ok_or(Error::not_found(NotFoundKind::App))?;
        Ok(TokenInfo {
            app,
            enterprise,
            user_id: principal.user_id(),
        })
    }

    /// `account/renewal` (administrators): the enterprise with its paid-until moment.
    pub async fn renewal(&self, principal: &Principal) -> Result<Enterprise> {
        self.administered(principal).await?;
        self.caller_enterprise_record(principal).await
    }

    /// Sets when an enterprise's plan ends (none: no end). The host's operator renews plans;
    /// an enterprise cannot extend its own.
    pub async fn renew_enterprise(
        &self,
        principal: &Principal,
        enterprise_id: EnterpriseId,
        until: Option<i64>,
    ) -> Result<Enterprise> {
        if principal.kind() != PrincipalKind::Operator {
            return Err(Error::PermissionDenied);
        }
        self.repo
            .set_paid_until(enterprise_id, until)
            .await
            .map_err(crate::error::gone(|| Error::not_found(NotFoundKind::Enterprise)))?;
        self.after_revocation().await?;
        let found = self.repo.find_enterprise(enterprise_id).await?;
        found.ok_or(Error::not_found(NotFoundKind::Enterprise))
    }

    /// `account/auth_config` (administrators): the enterprise's apps and their settings.
    pub async fn auth_config(&self, principal: &Principal) -> Result<Vec<App>> {
        let enterprise_id = self.administered(principal).await?;
        let mut apps = self.repo.list_apps(enterprise_id).await?;
        apps.retain(|app| !app.is_console());
        Ok(apps)
    }

    /// `account/update_auth_config` (administrators): an app's callback address, how it names
    /// users, and whether it is enabled.
    pub async fn update_auth_config(&self, principal: &Principal, app_id: AppId, settings: AppSettings) -> Result<App> {
        let app = self.administered_app(principal, app_id).await?;
        if let Some(Some(url)) = &settings.callback_url {
            check_http_url("callback_url", url).map_err(|error| Error::Invalid(vec![error]))?;
        }
        if settings.status == Some(AppStatus::Deleted) {
            return Err(Error::invalid("status", "应为active或disabled"));
        }
        if principal.app_id() == Some(app.id) && settings.status == Some(AppStatus::Disabled) {
            // Disabling the app whose token asks would lock the caller out mid-request.
            return Err(Error::invalid("status", "不能停用当前调用的应用"));
        }
        let gone = || Error::not_found(NotFoundKind::App);
        if let Some(url) = &settings.callback_url {
            self.change_callback_url(&app, url.as_deref()).await?;
        }
        if let Some(field) = settings.user_field {
            self.repo
                .update_app_user_field(app.id, field)
                .await
                .map_err(crate::error::gone(gone))?;
        }
        if let Some(status) = settings.status {
            self.repo
                .update_app_status(app.id, status)
                .await
                .map_err(crate::error::gone(gone))?;
        }
        self.after_revocation().await?;
        self.repo.find_app(app.id).await?.ok_or_else(gone)
    }
}

/// A plan's end as an operator gives it: `none` (no end), epoch seconds, or the last paid
/// day `YYYY-MM-DD` (the plan then ends at the next midnight in the platform's zone).
pub fn parse_paid_until(raw: &str) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if let Ok(seconds) = raw.parse::<i64>() {
        return Ok(Some(seconds));
    }
    let bad = || Error::invalid("until", "应为none、秒数或YYYY-MM-DD");
    let day: jiff::civil::Date = raw.parse().map_err(|_| bad())?;
    let next = day.tomorrow().map_err(|_| bad())?;
    let end = next
        .to_datetime(jiff::civil::Time::midnight())
        .to_zoned(crate::clock::platform_zone())
        .map_err(|_| bad())?;
    Ok(Some(end.timestamp().as_second()))
}

fn field_errors(error: Error) -> Vec<FieldError> {
    match error {
        Error::Invalid(fields) => fields,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_last_paid_day_ends_at_the_next_midnight_in_china() {
        // 2027-01-01 00:00 +08:00 is 2026-12-31T16:00:00Z.
        assert_eq!(parse_paid_until("2026-12-31").unwrap(), Some(1_798_732_800));
        assert_eq!(parse_paid_until("None").unwrap(), None);
        assert_eq!(parse_paid_until("1798732800").unwrap(), Some(1_798_732_800));
        assert!(parse_paid_until("next year").is_err());
    }

    #[test]
    fn instance_names_are_short_lowercase_words() {
        assert_eq!(instance_name(" hr-2 ").unwrap(), "hr-2");
        for bad in ["", "-x", "Upper", "a b", "x/y", &"a".repeat(33)] {
            assert!(instance_name(bad).is_err(), "{bad}");
        }
    }
}

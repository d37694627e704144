//! Managing an enterprise's apps (OAuth clients): their redirect URIs and scopes, secret
//! rotation with a grace period, and listing. Creation, status changes and the OA dialect's
//! user field live in `admin`.

use crate::audit::{TargetKind, action};
use crate::auth::{Principal, PrincipalKind};
use crate::error::{Error, FieldError, NotFoundKind, Result};
use crate::ids::{AppId, EnterpriseId};
use crate::model::{App, AppStatus, ClientType, PersonName};
use crate::scope::{Scope, Scopes};
use crate::secrets;
use crate::services::audit_log::Audit;
use crate::services::{Core, CreatedApp};

/// At most this many redirect URIs per app.
pub const MAX_REDIRECT_URIS: usize = 20;
/// The longest grace period an old secret may be given.
pub const MAX_SECRET_GRACE_SECS: i64 = 7 * 24 * 3600;

/// What an administrator changes on an app; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct AppChanges {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    /// `Some(None)`: any scope.
    pub allowed_scopes: Option<Option<String>>,
    /// A PEM public key for the `jwt` and `jwt-bearer` grants; `Some(None)` removes it.
    pub jwt_public_key: Option<Option<String>>,
    /// Where the app's webhooks go; `Some(None)` stops delivery.
    pub callback_url: Option<Option<String>>,
}

/// A redirect URI an app may register: an `http(s)` address with a host, or a native app's
/// private-use scheme (reverse domain, RFC 8252 §7.1); never with a fragment.
pub fn check_redirect_uri(field: &str, uri: &str) -> std::result::Result<(), FieldError> {
    let invalid = || {
        FieldError::new(
            field,
            "must be an http(s) address or a reverse-domain app scheme, without #",
        )
    };
    if uri.is_empty()
        || uri.len() > 2000
        || uri.contains('#')
        || uri.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let (scheme, rest) = uri.split_once(':').ok_or_else(invalid)?;
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '-'));
    if !scheme_ok {
        return Err(invalid());
    }
    match scheme {
        "http" | "https" => {
            let host = rest.strip_prefix("//").ok_or_else(invalid)?;
            if host.is_empty() || host.starts_with(['/', '?']) {
                return Err(invalid());
            }
            Ok(())
        }
        "javascript" | "data" | "file" | "vbscript" => Err(invalid()),
        _ if scheme.contains('.') && !rest.is_empty() => Ok(()),
        _ => Err(invalid()),
    }
}

/// Checks a list of redirect URIs; answers it without repeats, in order.
pub(crate) fn check_redirect_uris(uris: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for uri in uris.iter().map(|uri| uri.trim()).filter(|uri| !uri.is_empty()) {
        match check_redirect_uri("redirect_uris", uri) {
            Ok(()) if !kept.iter().any(|seen| seen == uri) => kept.push(uri.to_owned()),
            Ok(()) => {}
            Err(error) => errors.push(error),
        }
    }
    if kept.len() > MAX_REDIRECT_URIS {
        errors.push(FieldError::new("redirect_uris", "at most 20 redirect URIs"));
    }
    kept
}

/// Parses the scopes an app may be granted; empty means any.
pub(crate) fn check_allowed_scopes(text: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Scopes> {
    let text = text.map(str::trim).filter(|text| !text.is_empty())?;
    match Scopes::parse(text) {
        Ok(scopes) => Some(scopes),
        Err(unknown) => {
            errors.push(FieldError::new("scopes", format!("unknown scope {}", unknown.0)));
            None
        }
    }
}

/// An enterprise token holding only part of `admin`.
fn partial_admin(principal: &Principal) -> bool {
    matches!(principal.kind(), PrincipalKind::EnterpriseAdmin { .. }) && !principal.scopes().contains(Scope::Admin)
}

/// A caller holding only part of `admin` may manage only apps that can do no more than it can:
/// an app's secret gets tokens for its enterprise (and, through the seed's grants, for any of
/// its users), so an app reaching further would be a way up.
pub(crate) fn check_delegation(principal: &Principal, allowed: Option<Scopes>) -> Result<()> {
    match allowed {
        _ if !partial_admin(principal) => Ok(()),
        Some(allowed) if allowed.within(principal.scopes()) => Ok(()),
        _ => Err(Error::PermissionDenied),
    }
}

/// Events (webhooks, notices) show everything that happens in the enterprise: a caller holding
/// only part of `admin` needs `admin.audit` to send them anywhere.
pub(crate) fn check_event_access(principal: &Principal) -> Result<()> {
    if partial_admin(principal) && !principal.scopes().grants(Scope::AdminAudit) {
        return Err(Error::PermissionDenied);
    }
    Ok(())
}

impl Core {
    /// An app the caller administers (deleted apps are gone).
    pub async fn managed_app(&self, principal: &Principal, app_id: AppId) -> Result<App> {
        let app = self.repo.find_app(app_id).await?;
        let app = app
            .filter(|app| {
                principal.can_administer(app.enterprise_id) && app.status != AppStatus::Deleted && !app.is_console()
            })
            .ok_or_else(|| Error::not_found(NotFoundKind::App))?;
        check_delegation(principal, app.allowed_scopes)?;
        Ok(app)
    }

    /// The apps of an enterprise the caller administers, but deleted ones.
    pub async fn list_apps(&self, principal: &Principal, enterprise_id: EnterpriseId) -> Result<Vec<App>> {
        if !principal.can_administer(enterprise_id) {
            return Err(Error::PermissionDenied);
        }
        let mut apps = self.repo.list_apps(enterprise_id).await?;
        apps.retain(|app| app.status != AppStatus::Deleted && !app.is_console());
        Ok(apps)
    }

    /// Changes an app's name, redirect URIs, scopes, signing key or callback address.
    pub async fn update_app(&self, principal: &Principal, app_id: AppId, changes: AppChanges) -> Result<App> {
        let mut app = self.managed_app(principal, app_id).await?;
        let mut errors = Vec::new();
        if let Some(name) = &changes.name {
            match PersonName::parse("name", name) {
                Ok(name) => app.name = name.into_inner(),
                Err(error) => errors.push(error),
            }
        }
        if let Some(uris) = &changes.redirect_uris {
            app.redirect_uris = check_redirect_uris(uris, &mut errors);
        }
        let scopes_before = app.allowed_scopes;
        if let Some(scopes) = &changes.allowed_scopes {
            app.allowed_scopes = check_allowed_scopes(scopes.as_deref(), &mut errors);
        }
        if let Some(Some(url)) = &changes.callback_url
            && let Err(error) = crate::model::check_http_url("callback_url", url)
        {
            errors.push(error);
        }
        let new_callback = changes.callback_url.clone().filter(|url| *url != app.callback_url);
        let key_before = app.jwt_key_id.clone();
        match &changes.jwt_public_key {
            None => {}
            Some(None) => (app.jwt_public_key, app.jwt_key_id) = (None, None),
            Some(Some(pem)) => match super::jwt_grant::check_jwt_public_key(pem) {
                Ok(key) => (app.jwt_public_key, app.jwt_key_id) = (Some(key.pem), Some(key.kid)),
                Err(error) => errors.push(error),
            },
        }
        // One key, one app: the SDKs' assertions name no audience, so an assertion of one app
        // must not be good for another of the same enterprise holding the same key.
        if changes.jwt_public_key.is_some() && app.jwt_key_id.is_some() {
            let others = self.repo.list_apps(app.enterprise_id).await?;
            let taken = others.iter().any(|other| {
                other.id != app.id && other.status != AppStatus::Deleted && other.jwt_key_id == app.jwt_key_id
            });
            if taken {
                errors.push(FieldError::new(
                    "jwt_public_key",
                    "another app of the enterprise has this key",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        check_delegation(principal, app.allowed_scopes)?;
        if new_callback.as_ref().is_some_and(Option::is_some) {
            check_event_access(principal)?;
        }
        if let Some(url) = &new_callback {
            self.change_callback_url(&app, url.as_deref()).await?;
            app.callback_url = url.clone();
        }
        // Grants keep the scopes they were given; new limits end them, and the app asks again.
        // A replaced key may have leaked: what it signed for ends too.
        let revoke_tokens =
            app.allowed_scopes != scopes_before || (key_before.is_some() && app.jwt_key_id != key_before);
        let mut audit = Audit::new(action::EDIT_APP, TargetKind::App, app.id.0, &app.name);
        if changes.name.is_some() {
            audit = audit.with("name", app.name.clone());
        }
        if changes.redirect_uris.is_some() {
            audit = audit.with("redirect_uris", app.redirect_uris.clone());
        }
        if changes.allowed_scopes.is_some() {
            audit = audit.with("scopes", app.allowed_scopes.map(|scopes| scopes.to_string()));
        }
        if changes.jwt_public_key.is_some() {
            audit = audit.with("jwt_key_id", app.jwt_key_id.clone());
        }
        if changes.callback_url.is_some() {
            audit = audit.with("callback_url", app.callback_url.clone());
        }
        self.audited(
            principal,
            app.enterprise_id,
            audit,
            self.repo.update_app_settings(&app, revoke_tokens),
        )
        .await
        .map_err(crate::error::gone(|| Error::not_found(NotFoundKind::App)))?;
        self.after_revocation().await?;
        self.managed_app(principal, app_id).await
    }

    /// A new client secret; the old one keeps working for `grace_secs` (at most a week) so
    /// the app's servers can switch over without an outage.
    pub async fn rotate_app_secret(&self, principal: &Principal, app_id: AppId, grace_secs: i64) -> Result<CreatedApp> {
        if !(0..=MAX_SECRET_GRACE_SECS).contains(&grace_secs) {
            return Err(Error::invalid("grace_seconds", "must be between 0 and 604800"));
        }
        let app = self.managed_app(principal, app_id).await?;
        if app.client_type == ClientType::Public {
            return Err(Error::invalid("app_id", "a public client has no secret"));
        }
        let client_secret = secrets::random_hex(32);
        let until = self.clock.now() + grace_secs;
        let audit = Audit::new(action::RESET_APP_SECRET, TargetKind::App, app.id.0, &app.name)
            .with("previous_secret_valid_until", until);
        let secret_hash = self.key.hash(&client_secret);
        let write = self.repo.rotate_app_secret(app.id, &secret_hash, until);
        self.audited(principal, app.enterprise_id, audit, write)
            .await
            .map_err(crate::error::gone(|| Error::not_found(NotFoundKind::App)))?;
        self.after_revocation().await?;
        let app = self.managed_app(principal, app_id).await?;
        Ok(CreatedApp { app, client_secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_web_addresses_or_native_app_schemes() {
        for good in [
            "https://crm.example.com/oauth/callback",
            "http://127.0.0.1:8765/cb",
            "http://intranet/cb?x=1",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(check_redirect_uri("r", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/relative",
            "https://x.example/cb#frag",
            "https:///nohost",
            "javascript:alert(1)",
            "myapp:/cb",
            "HTTP://x",
            "https://x y",
        ] {
            assert!(check_redirect_uri("r", bad).is_err(), "{bad}");
        }
    }
}

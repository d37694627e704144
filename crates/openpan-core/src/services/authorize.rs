//! The authorization code flow (RFC 6749 §4.1, PKCE per RFC 7636, OpenID Connect): which
//! requests may be put to a person, the code their approval yields, its exchange for tokens
//! and an ID token, and userinfo.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::audit::{TargetKind, action};
use crate::auth::{Principal, PrincipalKind};
use crate::error::{ConflictKind, Error, OAuthFailure, RepoError, Result};
use crate::ids::EnterpriseId;
use crate::model::{App, AppStatus, ClientType, NewToken, Subject, User};
use crate::oauth::{AuthCode, IssuedToken, NewAuthCode, TokenSecrets, granted_scopes, invalid_grant, split_token};
use crate::scope::{Scope, Scopes};
use crate::secrets;
use crate::services::Core;
use crate::services::audit_log::Audit;

/// How long a code waits for its exchange.
pub const AUTH_CODE_SECS: i64 = 120;
/// How long an ID token is valid.
pub const ID_TOKEN_SECS: i64 = 3600;
const MAX_STATE: usize = 2048;
const MAX_NONCE: usize = 512;

/// An authorization request as the browser brought it.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
}

/// A request that may be put to a person: who asks, for what, and where the answer goes.
#[derive(Debug, Clone)]
pub struct Consent {
    pub app_name: String,
    pub client_id: String,
    pub enterprise_id: EnterpriseId,
    /// Where the answer goes; `None`: the code is shown to the person to hand over.
    pub redirect_uri: Option<String>,
    pub scopes: Scopes,
    pub state: Option<String>,
    /// The redirect URI as the request named it (the token request must name it again).
    requested_redirect: Option<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
}

/// Why a request is not put to the person.
#[derive(Debug, Clone)]
pub enum AuthorizeRefusal {
    /// Nothing may be sent back (unknown client, unregistered redirect URI): the page says why.
    Page(String),
    /// The client is told at its redirect URI (RFC 6749 §4.1.2.1).
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

fn page(message: &str) -> AuthorizeRefusal {
    AuthorizeRefusal::Page(message.to_owned())
}

/// Whether `text` is a PKCE value: 43–128 characters of the URL-safe unreserved set.
fn pkce_shaped(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'))
}

/// BASE64URL(SHA-256(verifier)), the S256 challenge of a verifier.
fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Consent {
    /// Tells the client, at its redirect URI, that the request failed.
    pub fn refuse(&self, error: &'static str, description: &str) -> AuthorizeRefusal {
        match &self.redirect_uri {
            Some(redirect_uri) => AuthorizeRefusal::Redirect {
                redirect_uri: redirect_uri.clone(),
                error,
                description: description.to_owned(),
                state: self.state.clone(),
            },
            None => AuthorizeRefusal::Page(description.to_owned()),
        }
    }
}

impl Core {
    /// Checks an authorization request before anyone is asked anything. Until the client and
    /// its redirect URI are known good, failures are shown on the page, never redirected.
    pub async fn check_authorization(
        &self,
        request: &AuthorizationRequest,
    ) -> std::result::Result<Consent, AuthorizeRefusal> {
        let client_id = request.client_id.as_deref().map(str::trim).unwrap_or_default();
        if client_id.is_empty() {
            return Err(page("client_id is required."));
        }
        let app = match self.app_by_client_id(client_id).await {
            Ok(Some(app)) if app.status == AppStatus::Active => app,
            Ok(_) => return Err(page("This app is unknown or disabled.")),
            Err(err) => {
                tracing::warn!(error = ?err, "authorization request failed");
                return Err(page("The server is temporarily unavailable; please try again."));
            }
        };
        let requested_redirect = request.redirect_uri.clone().filter(|uri| !uri.is_empty());
        let redirect_uri = match (&requested_redirect, app.redirect_uris.as_slice()) {
            (Some(uri), registered) if registered.contains(uri) => Some(uri.clone()),
            (Some(_), _) => return Err(page("redirect_uri is not registered for this app.")),
            (None, [only]) => Some(only.clone()),
            (None, []) => None,
            (None, _) => return Err(page("redirect_uri is required: this app registered several.")),
        };
        let state = request.state.clone().filter(|state| !state.is_empty());
        let mut consent = Consent {
            app_name: app.name.clone(),
            client_id: app.client_id.clone(),
            enterprise_id: app.enterprise_id,
            redirect_uri,
            scopes: Scopes::EMPTY,
            state,
            requested_redirect,
            code_challenge: None,
            nonce: None,
        };
        if consent.state.as_ref().is_some_and(|state| state.len() > MAX_STATE) {
            consent.state = None;
            return Err(consent.refuse("invalid_request", "state is too long"));
        }
        match request.response_type.as_deref().filter(|value| !value.is_empty()) {
            Some("code") => {}
            None => return Err(consent.refuse("invalid_request", "response_type is required")),
            Some(_) => return Err(consent.refuse("unsupported_response_type", "response_type must be code")),
        }
        consent.scopes = match granted_scopes(&app, request.scope.as_deref(), true) {
            Ok(scopes) => scopes.unwrap_or_else(Scopes::user_default),
            Err(Error::OAuth(OAuthFailure::InvalidScope(description))) => {
                return Err(consent.refuse("invalid_scope", &description));
            }
            Err(_) => return Err(consent.refuse("server_error", "the scope could not be checked")),
        };
        let challenge = request.code_challenge.clone().filter(|value| !value.is_empty());
        match (challenge, request.code_challenge_method.as_deref()) {
            (Some(challenge), Some("S256")) if pkce_shaped(&challenge) => consent.code_challenge = Some(challenge),
            (Some(_), Some("S256")) => {
                return Err(consent.refuse("invalid_request", "code_challenge is not a S256 challenge"));
            }
            (Some(_), _) => {
                return Err(consent.refuse("invalid_request", "code_challenge_method must be S256"));
            }
            (None, _) if app.client_type == ClientType::Public => {
                return Err(consent.refuse(
                    "invalid_request",
                    "a public client must send a PKCE code_challenge (S256)",
                ));
            }
            (None, _) => {}
        }
        match request.nonce.as_deref().filter(|nonce| !nonce.is_empty()) {
            Some(nonce) if nonce.len() > MAX_NONCE => {
                return Err(consent.refuse("invalid_request", "nonce is too long"));
            }
            nonce => consent.nonce = nonce.map(str::to_owned),
        }
        Ok(consent)
    }

    /// The person approved: a single-use code for the app to exchange. `auth_time` is when
    /// they signed in.
    pub async fn approve_authorization(
        &self,
        user: &User,
        auth_time: i64,
        consent: &Consent,
    ) -> std::result::Result<String, AuthorizeRefusal> {
        if user.enterprise_id != consent.enterprise_id || !user.active {
            return Err(consent.refuse("access_denied", "the user is not of the app's enterprise"));
        }
        let unavailable = |err: Error| {
            tracing::warn!(error = ?err, "authorization approval failed");
            consent.refuse("temporarily_unavailable", "try again later")
        };
        let app = self
            .app_by_client_id(&consent.client_id)
            .await
            .map_err(unavailable)?
            .filter(|app| app.status == AppStatus::Active)
            .ok_or_else(|| consent.refuse("unauthorized_client", "the app is disabled"))?;
        let secret = secrets::new_token();
        let now = self.clock.now();
        let code = NewAuthCode {
            code_hash: self.key.hash(&secret),
            app_id: app.id,
            user_id: user.id,
            redirect_uri: consent.requested_redirect.clone(),
            scopes: consent.scopes,
            code_challenge: consent.code_challenge.clone(),
            nonce: consent.nonce.clone(),
            auth_time,
            expires_at: now + AUTH_CODE_SECS,
        };
        // Who let which app in, with what, is the administrators' business (audit and events).
        let audit = Audit::new(action::AUTHORIZE_APP, TargetKind::App, app.id.0, &app.name)
            .with("scope", consent.scopes.to_string());
        let id = self
            .audited_as(
                app.enterprise_id,
                Some(user.id),
                Some(app.id),
                audit,
                self.repo.create_oauth_code(code),
            )
            .await
            .map_err(|err| unavailable(err.into()))?;
        Ok(format!("{id}.{secret}"))
    }

    /// The token endpoint's `authorization_code` grant. A code that comes back after its
    /// exchange revokes what it was exchanged for (RFC 6749 §4.1.2).
    pub(crate) async fn exchange_auth_code(
        &self,
        app: &App,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        issuer: &str,
    ) -> Result<IssuedToken> {
        let unusable = || invalid_grant("authorization code is invalid, expired or already used");
        let (id, secret) = split_token(code).ok_or_else(unusable)?;
        let record = self.repo.find_oauth_code(id.0).await?.ok_or_else(unusable)?;
        let AuthCode {
            code: stored,
            used,
            token_id,
            ..
        } = record;
        if stored.app_id != app.id || !self.key.verify(secret, &stored.code_hash) {
            return Err(unusable());
        }
        if used {
            if let Some(token_id) = token_id {
                let revoked = self.repo.revoke_token_family(token_id).await?;
                tracing::warn!(
                    app = app.id.0,
                    revoked,
                    "an authorization code was replayed; its tokens are revoked"
                );
                self.after_revocation().await?;
            }
            return Err(unusable());
        }
        let now = self.clock.now();
        if stored.expires_at <= now {
            return Err(unusable());
        }
        // The app was narrowed since the person approved: the approval is for more than it may
        // have now.
        if app.allowed_scopes.is_some_and(|allowed| !stored.scopes.within(allowed)) {
            return Err(invalid_grant("the app may no longer be granted that scope"));
        }
        let redirect_uri = redirect_uri.filter(|uri| !uri.is_empty());
        let redirect_matches = match (&stored.redirect_uri, redirect_uri) {
            (Some(named), Some(given)) => named == given,
            (None, None) => true,
            // The request named none and the app's only URI was used; a client may still name it.
            (None, Some(given)) => app.redirect_uris.len() == 1 && app.redirect_uris[0] == given,
            (Some(_), None) => false,
        };
        if !redirect_matches {
            return Err(invalid_grant("redirect_uri does not match the authorization request"));
        }
        match (&stored.code_challenge, code_verifier.filter(|value| !value.is_empty())) {
            (Some(challenge), Some(verifier)) => {
                let matches =
                    pkce_shaped(verifier) && bool::from(s256(verifier).as_bytes().ct_eq(challenge.as_bytes()));
                if !matches {
                    return Err(invalid_grant("code_verifier does not match the code_challenge"));
                }
            }
            (Some(_), None) => return Err(invalid_grant("code_verifier is required")),
            (None, Some(_)) => return Err(invalid_grant("the authorization request sent no code_challenge")),
            (None, None) => {}
        }
        let (user, subject, secrets, token) = self
            .approved_pair(app, Some(stored.user_id), stored.scopes, now)
            .await?
            .ok_or_else(unusable)?;
        let token_id = match self.repo.redeem_oauth_code(id.0, now, token).await {
            Ok(Some(token_id)) => token_id,
            Ok(None) => return Err(unusable()),
            Err(RepoError::Conflict(ConflictKind::AppInactive)) => {
                return Err(Error::OAuth(OAuthFailure::InvalidClient));
            }
            Err(other) => return Err(other.into()),
        };
        let mut issued = secrets.issued(token_id, subject, Some(stored.scopes));
        if stored.scopes.contains(Scope::OpenId) {
            let claims = IdTokenClaims {
                issuer,
                app,
                user: &user,
                scopes: stored.scopes,
                access_token: &issued.access_token,
                auth_time: Some(stored.auth_time),
                nonce: stored.nonce.as_deref(),
            };
            issued.id_token = Some(self.sign_jwt(&claims.to_json(now)).await?);
        }
        Ok(issued)
    }

    /// The pair a person's approval yields, not stored yet: `None` when the person is gone,
    /// inactive or of another enterprise.
    pub(crate) async fn approved_pair(
        &self,
        app: &App,
        user_id: Option<crate::ids::UserId>,
        scopes: Scopes,
        now: i64,
    ) -> Result<Option<(User, Subject, TokenSecrets, NewToken)>> {
        let user = match user_id {
            Some(user_id) => self.repo.find_user(user_id).await?,
            None => None,
        };
        let Some(user) = user.filter(|user| user.enterprise_id == app.enterprise_id && user.active) else {
            return Ok(None);
        };
        let subject = Subject::User(app.enterprise_id, user.id);
        let secrets = TokenSecrets::new();
        let token = NewToken {
            app_id: app.id,
            subject,
            secrets: secrets.hashes(&self.key, now),
            scopes: Some(scopes),
            family: None,
            root: None,
            acting: None,
        };
        Ok(Some((user, subject, secrets, token)))
    }

    /// A refreshed grant that carries `openid` gets a fresh ID token (OpenID Connect §12.2).
    pub(crate) async fn id_token_for_refresh(
        &self,
        app: &App,
        issued: &IssuedToken,
        issuer: &str,
    ) -> Result<Option<String>> {
        let Subject::User(_, user_id) = issued.subject else {
            return Ok(None);
        };
        let Some(user) = self.repo.find_user(user_id).await? else {
            return Ok(None);
        };
        let claims = IdTokenClaims {
            issuer,
            app,
            user: &user,
            scopes: Scopes::parse_stored(&issued.scope),
            access_token: &issued.access_token,
            auth_time: None,
            nonce: None,
        };
        Ok(Some(self.sign_jwt(&claims.to_json(self.clock.now())).await?))
    }

    /// OpenID Connect userinfo: what the token's scopes let the app know about its user.
    pub async fn userinfo(&self, principal: &Principal) -> Result<Map<String, Value>> {
        let PrincipalKind::User { user_id, .. } = principal.kind() else {
            return Err(Error::PermissionDenied);
        };
        if !principal.scopes().contains(Scope::OpenId) {
            return Err(Error::PermissionDenied);
        }
        let user = self.repo.find_user(user_id).await?.ok_or(Error::InvalidToken)?;
        Ok(user_claims(&user, principal.scopes()))
    }
}

/// The claims about a user that `scopes` reveal.
fn user_claims(user: &User, scopes: Scopes) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id.0.to_string()));
    claims.insert("enterprise_id".into(), json!(user.enterprise_id.0));
    if scopes.contains(Scope::Profile) {
        claims.insert("name".into(), json!(user.name));
        claims.insert("preferred_username".into(), json!(user.login()));
    }
    if scopes.contains(Scope::Email)
        && let Some(email) = &user.email
    {
        claims.insert("email".into(), json!(email));
        // The enterprise's directory sets addresses; openpan does not verify them itself.
        claims.insert("email_verified".into(), json!(false));
    }
    if scopes.contains(Scope::Phone)
        && let Some(phone) = &user.phone
    {
        claims.insert("phone_number".into(), json!(phone));
        claims.insert("phone_number_verified".into(), json!(false));
    }
    claims
}

/// What an ID token says.
struct IdTokenClaims<'a> {
    issuer: &'a str,
    app: &'a App,
    user: &'a User,
    scopes: Scopes,
    access_token: &'a str,
    auth_time: Option<i64>,
    nonce: Option<&'a str>,
}

impl IdTokenClaims<'_> {
    fn to_json(&self, now: i64) -> Value {
        let mut claims = user_claims(self.user, self.scopes);
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("aud".into(), json!(self.app.client_id));
        claims.insert("azp".into(), json!(self.app.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + ID_TOKEN_SECS));
        // The left half of the access token's SHA-256 (OpenID Connect §3.1.3.6).
        let digest = Sha256::digest(self.access_token.as_bytes());
        claims.insert("at_hash".into(), json!(URL_SAFE_NO_PAD.encode(&digest[..16])));
        if let Some(auth_time) = self.auth_time {
            claims.insert("auth_time".into(), json!(auth_time));
        }
        if let Some(nonce) = self.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        Value::Object(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifier_matches_its_challenge() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(s256(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(pkce_shaped(verifier));
        assert!(!pkce_shaped("short"));
        assert!(!pkce_shaped(&"a".repeat(129)));
        assert!(!pkce_shaped(&format!("{}+", "a".repeat(43))));
    }
}

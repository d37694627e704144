//! OAuth2 grant rules: client authentication, `jwt_simple` assertions, refresh rotation, and
//! turning a bearer token back into a [`Principal`].

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::auth::{Principal, PrincipalKind};
use crate::error::{ConflictKind, Error, OAuthFailure, RepoError, Result};
use crate::ids::{AppId, TokenId, UserId};
use crate::model::{App, AppStatus, ClientType, NewToken, Subject, TokenHashes, TokenRecord};
use crate::scope::{Scope, Scopes};
use crate::secrets;
use crate::services::Core;

/// Access tokens live 6 hours, as the platform document says.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 6 * 3600;
/// Refresh tokens live 90 days.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 90 * 24 * 3600;
/// `exp` may be at most this far after `iat` (or after arrival when `iat` is absent).
pub const ASSERTION_MAX_LIFETIME_SECS: i64 = 60;
/// How far a client's clock may run ahead of ours.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// Client credentials as presented (Basic header or form/query parameters).
#[derive(Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// How a client authenticates at the token endpoint: with its secret, or (a public client)
/// by naming itself, which only the grants that prove something else (a code with its PKCE
/// verifier, a refresh token, a device code) accept.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    Secret(ClientCredentials),
    Public { client_id: String },
}

impl ClientAuth {
    pub fn client_id(&self) -> &str {
        match self {
            ClientAuth::Secret(credentials) => &credentials.client_id,
            ClientAuth::Public { client_id } => client_id,
        }
    }
}

/// An authorization code to store (only its keyed hash).
#[derive(Debug, Clone)]
pub struct NewAuthCode {
    pub code_hash: Vec<u8>,
    pub app_id: AppId,
    pub user_id: UserId,
    /// The redirect URI the authorization request named; `None` when it named none.
    pub redirect_uri: Option<String>,
    pub scopes: Scopes,
    /// The PKCE S256 challenge.
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// A stored authorization code.
#[derive(Debug, Clone)]
pub struct AuthCode {
    pub id: i64,
    pub code: NewAuthCode,
    pub used: bool,
    /// The pair it was exchanged for.
    pub token_id: Option<TokenId>,
}

/// An ID-token signing key as stored: the private half sealed under the instance key.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub algorithm: String,
    pub sealed_private_key: Vec<u8>,
    /// The public half as a JSON Web Key.
    pub public_jwk: String,
    pub created_at: i64,
}

/// What presented client credentials turned out to be; each dialect decides how much of it
/// to tell the caller.
pub(crate) enum ClientCheck {
    Unknown,
    WrongSecret,
    /// The secret matched; the app may still be disabled.
    Checked(Box<App>),
}

/// A token request after the facade has read its parameters.
#[derive(Debug, Clone)]
pub enum Grant {
    JwtSimple {
        assertion: String,
    },
    RefreshToken {
        refresh_token: String,
    },
    /// The app acting for its enterprise (RFC 6749 §4.4): an enterprise token, `scope: admin`
    /// or a part of it.
    ClientCredentials {
        scope: Option<String>,
    },
    /// The SDKs' `password` grant (RFC 6749 §4.3): a user's login and password, given to a
    /// confidential app of an enterprise that allows it.
    Password {
        username: String,
        password: String,
        scope: Option<String>,
    },
    /// The SDKs' `jwt` grant or RFC 7523's `jwt-bearer`: an assertion signed with the app's
    /// registered key.
    SignedJwt {
        assertion: String,
        scope: Option<String>,
        dialect: crate::services::JwtDialect,
    },
    /// RFC 8628: the device polls with its device code.
    DeviceCode {
        device_code: String,
    },
    /// A code from the authorization endpoint (RFC 6749 §4.1, PKCE per RFC 7636).
    AuthorizationCode {
        code: String,
        redirect_uri: Option<String>,
        code_verifier: Option<String>,
    },
    /// RFC 8693: the app trades one of its user tokens for a short one confined to an item,
    /// for a component embedded in its pages.
    TokenExchange {
        subject_token: String,
        subject_token_type: String,
        scope: Option<String>,
        resource: Option<String>,
    },
}

/// What RFC 7662 introspection tells about an active access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    pub scope: String,
    /// The client id of the app the token was issued to.
    pub client_id: String,
    pub subject: Subject,
    pub expires_at: i64,
}

/// What a stored token is limited to beyond its scopes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TokenBounds {
    /// Reaches this item and what is below it only (an embedded component's token).
    pub root: Option<crate::ids::ItemId>,
    /// Acts for this person (the console's administrator), whom the audit log names.
    pub acting: Option<crate::ids::UserId>,
    /// Belongs to this refresh chain and ends when it is revoked (an embedded component's
    /// token, with its subject token's chain).
    pub family: Option<TokenId>,
}

/// A freshly issued token pair (plaintext: shown to the client once, stored only hashed).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub refresh_token: String,
    /// Whether the client may have the refresh token (not for `client_credentials`).
    pub refreshable: bool,
    pub scope: String,
    pub expires_in: i64,
    /// An OpenID Connect ID token, when the grant carried the `openid` scope.
    pub id_token: Option<String>,
    /// Whom the token speaks for.
    pub subject: Subject,
}

/// The subject kind of a `jwt_simple` assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubType {
    Enterprise,
    User,
}

/// The claims of a `jwt_simple` assertion, validated for shape (not yet for time or subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSimpleClaims {
    pub sub_type: SubType,
    pub sub: i64,
    pub exp: i64,
    pub iat: Option<i64>,
    pub jti: String,
}

pub(crate) fn invalid_grant(message: impl Into<String>) -> Error {
    Error::OAuth(OAuthFailure::InvalidGrant(message.into()))
}

pub(crate) fn invalid_scope(message: impl Into<String>) -> Error {
    Error::OAuth(OAuthFailure::InvalidScope(message.into()))
}

/// The scopes a grant gets: what was asked for — or, when nothing was, the whole of the token
/// kind — within what the app may be granted. `None` (stored as no scope) when the app is
/// unrestricted and asked for nothing, as the seed's grants do.
pub(crate) fn granted_scopes(app: &App, requested: Option<&str>, for_users: bool) -> Result<Option<Scopes>> {
    let kind_default = if for_users {
        Scopes::user_default()
    } else {
        Scopes::enterprise_default()
    };
    let requested = requested.map(str::trim).filter(|text| !text.is_empty());
    let Some(requested) = requested else {
        return Ok(app.allowed_scopes.map(|allowed| narrow(kind_default, allowed)));
    };
    let scopes = Scopes::parse(requested).map_err(|unknown| invalid_scope(format!("unknown scope {}", unknown.0)))?;
    if scopes.iter().any(Scope::is_item) {
        return Err(invalid_scope(
            "item.* scopes are granted by a token exchange for one folder or file",
        ));
    }
    let fits_kind = if for_users {
        scopes.for_users()
    } else {
        scopes.for_enterprises()
    };
    if !fits_kind {
        return Err(invalid_scope(if for_users {
            "a user token cannot carry admin scopes"
        } else {
            "an enterprise token carries admin scopes only"
        }));
    }
    if let Some(allowed) = app.allowed_scopes
        && !scopes.within(allowed)
    {
        return Err(invalid_scope("the app may not be granted that scope"));
    }
    Ok(Some(scopes))
}

/// `wanted` cut down to what `allowed` reaches: `all` and `admin` give way to the finer
/// scopes the app may have.
fn narrow(wanted: Scopes, allowed: Scopes) -> Scopes {
    let mut granted = Scopes::EMPTY;
    for scope in wanted.iter() {
        if allowed.grants(scope) {
            granted = granted.with(scope);
        } else {
            for finer in allowed.iter().filter(|finer| scope_includes(scope, *finer)) {
                granted = granted.with(finer);
            }
        }
    }
    granted
}

/// Whether `broad` reaches everything `finer` does.
fn scope_includes(broad: Scope, finer: Scope) -> bool {
    Scopes::of(&[broad]).grants(finer)
}

/// Decodes base64 the way the platform's clients produce it: standard or URL-safe alphabet,
/// padded or not, and with `+` turned into a space by query-string decoding (the demos put the
/// assertion in the URL without percent-encoding it).
fn decode_lenient_base64(raw: &str) -> Option<Vec<u8>> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r' | '\t'))
        .map(|c| if c == ' ' { '+' } else { c })
        .collect();
    let unpadded = cleaned.trim_end_matches('=');
    if unpadded.contains(['-', '_']) {
        URL_SAFE_NO_PAD.decode(unpadded).ok()
    } else {
        STANDARD_NO_PAD.decode(unpadded).ok()
    }
}

/// An integer claim given as a JSON number or a numeric string.
fn int_claim(claims: &serde_json::Map<String, Value>, name: &str) -> Result<Option<i64>> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| invalid_grant(format!("claim {name} must be an integer"))),
        Some(Value::String(text)) => text
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| invalid_grant(format!("claim {name} must be an integer"))),
        Some(_) => Err(invalid_grant(format!("claim {name} must be an integer"))),
    }
}

impl JwtSimpleClaims {
    pub fn parse(assertion: &str) -> Result<Self> {
        let bytes = decode_lenient_base64(assertion).ok_or_else(|| invalid_grant("assertion is not valid base64"))?;
        let value: Value =
            serde_json::from_slice(&bytes).map_err(|_| invalid_grant("assertion is not a JSON object"))?;
        let Value::Object(claims) = value else {
            return Err(invalid_grant("assertion is not a JSON object"));
        };
        Self::from_claims(&claims, None)
    }

    /// The claims of any assertion grant; `default_kind` is what `sub` names when
    /// `yifangyun_sub_type` is absent (`None`: it is required).
    pub fn from_claims(claims: &serde_json::Map<String, Value>, default_kind: Option<SubType>) -> Result<Self> {
        // A value that is there but names neither (a number, `"admin"`) is refused, never read
        // as the default.
        let sub_type = match (claims.get("yifangyun_sub_type"), default_kind) {
            (Some(Value::String(kind)), _) if kind == "enterprise" => SubType::Enterprise,
            (Some(Value::String(kind)), _) if kind == "user" => SubType::User,
            (None | Some(Value::Null), Some(kind)) => kind,
            _ => {
                return Err(invalid_grant("yifangyun_sub_type must be enterprise or user"));
            }
        };
        let sub = int_claim(claims, "sub")?.ok_or_else(|| invalid_grant("claim sub is required"))?;
        let exp = int_claim(claims, "exp")?.ok_or_else(|| invalid_grant("claim exp is required"))?;
        let iat = int_claim(claims, "iat")?;
        let jti = match claims.get("jti") {
            Some(Value::String(text))
                if !text.trim().is_empty() && text.len() <= 255 && !text.chars().any(char::is_control) =>
            {
                text.clone()
            }
            Some(Value::Number(number)) => number.to_string(),
            _ => {
                return Err(invalid_grant(
                    "claim jti is required (a non-empty string of at most 255 bytes)",
                ));
            }
        };
        Ok(Self {
            sub_type,
            sub,
            exp,
            iat,
            jti,
        })
    }

    /// Checks the time rules against the arrival time `now`: `exp` at most `max_lifetime`
    /// seconds after `iat`.
    pub fn check_times(&self, now: i64, max_lifetime: i64) -> Result<()> {
        // An iat in the future would stretch the 60 s lifetime; allow for clock skew only.
        if self.iat.is_some_and(|iat| iat > now + CLOCK_SKEW_SECS) {
            return Err(invalid_grant("iat is in the future"));
        }
        let start = self.iat.unwrap_or(now);
        if self.exp > start.saturating_add(max_lifetime) {
            return Err(invalid_grant(format!(
                "exp must be at most {max_lifetime} seconds after iat"
            )));
        }
        if self.exp <= now {
            return Err(invalid_grant("assertion has expired"));
        }
        Ok(())
    }
}

impl Core {
    /// Looks the client up (through the cache) and checks its secret in constant time. A
    /// malformed or unknown client id, or a deleted app, is `Unknown`; those spend the same
    /// hashing work as a real check, so timing does not tell which client ids exist.
    pub(crate) async fn check_client(&self, credentials: &ClientCredentials) -> Result<ClientCheck> {
        let app = self.app_by_client_id(&credentials.client_id).await?;
        let Some(app) = app.filter(|app| app.status != AppStatus::Deleted) else {
            let _ = self.key.hash(&credentials.client_secret);
            return Ok(ClientCheck::Unknown);
        };
        if self.key.verify(&credentials.client_secret, &app.client_secret_hash) {
            return Ok(ClientCheck::Checked(Box::new(app)));
        }
        // After a rotation the old secret keeps working for its grace period.
        let now = self.clock.now();
        let previous = app
            .previous_secret_hash
            .as_ref()
            .filter(|_| app.previous_secret_until.is_some_and(|until| until > now));
        if previous.is_some_and(|hash| self.key.verify(&credentials.client_secret, hash)) {
            return Ok(ClientCheck::Checked(Box::new(app)));
        }
        Ok(ClientCheck::WrongSecret)
    }

    /// Authenticates an app by its credentials. Unknown client, wrong secret and an inactive
    /// app are the same failure, so nobody learns which client ids exist.
    pub async fn authenticate_client(&self, credentials: &ClientCredentials) -> Result<App> {
        match self.check_client(credentials).await? {
            ClientCheck::Checked(app) if app.status == AppStatus::Active => Ok(*app),
            _ => Err(Error::OAuth(OAuthFailure::InvalidClient)),
        }
    }

    /// Authenticates a client either way it may present itself. A public client names itself
    /// only; a confidential one must prove its secret.
    pub async fn authenticate(&self, client: &ClientAuth) -> Result<App> {
        match client {
            ClientAuth::Secret(credentials) => self.authenticate_client(credentials).await,
            ClientAuth::Public { client_id } => {
                let app = self.app_by_client_id(client_id).await?;
                match app {
                    Some(app) if app.status == AppStatus::Active && app.client_type == ClientType::Public => Ok(app),
                    _ => Err(Error::OAuth(OAuthFailure::InvalidClient)),
                }
            }
        }
    }

    /// The app with this client id, through the cache (any status).
    pub(crate) async fn app_by_client_id(&self, client_id: &str) -> Result<Option<App>> {
        if client_id.is_empty() || client_id.len() > 255 || client_id.chars().any(char::is_control) {
            return Ok(None);
        }
        if let Some(cached) = self.cache.app(client_id) {
            return Ok(Some(cached));
        }
        let read_under = self.cache.epoch();
        let found = self.repo.find_app_by_client_id(client_id).await?;
        if let Some(app) = &found {
            self.cache.remember_app(read_under, app.clone());
        }
        Ok(found)
    }

    /// `POST /oauth/token`. `issuer` is the server's public URL, the `iss` of ID tokens.
    pub async fn issue_token(&self, client: &ClientAuth, grant: Grant, issuer: &str) -> Result<IssuedToken> {
        let app = match (&grant, client) {
            // The assertion's signature is the proof: naming the app is enough.
            (
                Grant::SignedJwt {
                    dialect: crate::services::JwtDialect::Bearer,
                    ..
                },
                ClientAuth::Public { client_id },
            ) => self
                .app_by_client_id(client_id)
                .await?
                .filter(|app| app.status == AppStatus::Active)
                .ok_or(Error::OAuth(OAuthFailure::InvalidClient))?,
            _ => self.authenticate(client).await?,
        };
        let proves_itself = matches!(
            grant,
            Grant::AuthorizationCode { .. }
                | Grant::RefreshToken { .. }
                | Grant::SignedJwt { .. }
                | Grant::DeviceCode { .. }
        );
        if app.client_type == ClientType::Public && !proves_itself {
            return Err(Error::OAuth(OAuthFailure::UnauthorizedClient(
                "a public client may use authorization_code, refresh_token, device_code and jwt-bearer only".into(),
            )));
        }
        let mut issued = match grant {
            Grant::JwtSimple { assertion } => self.grant_jwt_simple(&app, &assertion).await?,
            Grant::DeviceCode { device_code } => self.grant_device_code(&app, &device_code).await?,
            Grant::SignedJwt {
                assertion,
                scope,
                dialect,
            } => {
                self.grant_signed_jwt(&app, &assertion, scope.as_deref(), dialect, issuer)
                    .await?
            }
            Grant::RefreshToken { refresh_token } => self.grant_refresh_token(&app, &refresh_token).await?,
            Grant::Password {
                username,
                password,
                scope,
            } => {
                self.grant_password(&app, &username, &password, scope.as_deref())
                    .await?
            }
            Grant::ClientCredentials { scope } => {
                let scopes = granted_scopes(&app, scope.as_deref(), false)?;
                // RFC 6749 §4.4.3: no refresh token; the app asks again with its credentials.
                self.store_token_with(app.id, Subject::Enterprise(app.enterprise_id), scopes, false)
                    .await?
            }
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                return self
                    .exchange_auth_code(&app, &code, redirect_uri.as_deref(), code_verifier.as_deref(), issuer)
                    .await;
            }
            Grant::TokenExchange {
                subject_token,
                subject_token_type,
                scope,
                resource,
            } => {
                return self
                    .exchange_for_item(
                        &app,
                        &subject_token,
                        &subject_token_type,
                        scope.as_deref(),
                        resource.as_deref(),
                        issuer,
                    )
                    .await;
            }
        };
        if issued.id_token.is_none() && Scopes::parse_stored(&issued.scope).contains(Scope::OpenId) {
            issued.id_token = self.id_token_for_refresh(&app, &issued, issuer).await?;
        }
        Ok(issued)
    }

    /// RFC 7009 revocation: the app's own access or refresh token ends, with its pair. Whatever
    /// else is presented (malformed, unknown, expired, another app's) changes nothing and is
    /// not told apart, so the endpoint reveals nothing about tokens.
    pub async fn revoke_token(&self, client: &ClientAuth, token: &str) -> Result<()> {
        let app = self.authenticate(client).await?;
        let Some((token_id, secret)) = split_token(token) else {
            return Ok(());
        };
        let Some((owner, access_hash, refresh_hash)) = self.repo.find_token_pair(token_id).await? else {
            return Ok(());
        };
        let access = self.key.verify(secret, &access_hash);
        let refresh = refresh_hash.is_some_and(|hash| self.key.verify(secret, &hash));
        // Revoking a refresh token ends the grant: every pair rotated from the same start.
        let revoked = if owner != app.id {
            false
        } else if refresh {
            self.repo.revoke_token_family(token_id).await? > 0
        } else {
            access && self.repo.delete_token_pair(token_id).await?
        };
        if revoked {
            self.after_revocation().await?;
        }
        Ok(())
    }

    /// RFC 7662 introspection by an app of the token's enterprise: what an active access token
    /// stands for; `None` for anything else (expired, revoked, malformed, a refresh token,
    /// another enterprise's).
    pub async fn introspect_token(&self, client: &ClientAuth, token: &str) -> Result<Option<Introspection>> {
        // Only a client with a secret may look into tokens: a public client id is no secret.
        let ClientAuth::Secret(credentials) = client else {
            return Err(Error::OAuth(OAuthFailure::InvalidClient));
        };
        let app = self.authenticate_client(credentials).await?;
        let Some((token_id, secret)) = split_token(token) else {
            return Ok(None);
        };
        let now = self.clock.now();
        let Some(record) = self.repo.find_access_token(token_id, now).await? else {
            return Ok(None);
        };
        if !self.key.verify(secret, &record.access_hash) {
            return Ok(None);
        }
        let enterprise = match record.subject {
            Subject::Enterprise(enterprise) | Subject::User(enterprise, _) => enterprise,
        };
        if enterprise != app.enterprise_id {
            return Ok(None);
        }
        let Some(issued_to) = self.repo.find_app(record.app_id).await? else {
            return Ok(None);
        };
        Ok(Some(Introspection {
            scope: record.scopes.to_string(),
            client_id: issued_to.client_id,
            subject: record.subject,
            expires_at: record.access_expires_at,
        }))
    }

    async fn grant_jwt_simple(&self, app: &App, assertion: &str) -> Result<IssuedToken> {
        let claims = JwtSimpleClaims::parse(assertion)?;
        claims.check_times(self.clock.now(), ASSERTION_MAX_LIFETIME_SECS)?;
        self.grant_assertion(app, &claims, None).await
    }

    /// A token pair for the subject of an assertion whose signature or client has been
    /// checked; its `jti` is kept so the assertion is not accepted again.
    pub(crate) async fn grant_assertion(
        &self,
        app: &App,
        claims: &JwtSimpleClaims,
        scope: Option<&str>,
    ) -> Result<IssuedToken> {
        let now = self.clock.now();
        let subject = match claims.sub_type {
            SubType::Enterprise => {
                if claims.sub != app.enterprise_id.0 {
                    return Err(invalid_grant("sub is not the app's enterprise"));
                }
                Subject::Enterprise(app.enterprise_id)
            }
            SubType::User => {
                let user = self.repo.find_user(UserId(claims.sub)).await?;
                match user {
                    Some(user) if user.enterprise_id == app.enterprise_id && user.active => {
                        Subject::User(app.enterprise_id, user.id)
                    }
                    _ => return Err(invalid_grant("sub is not an active user of the app's enterprise")),
                }
            }
        };
        let scopes = granted_scopes(app, scope, matches!(subject, Subject::User(..)))?;
        let secrets = TokenSecrets::new();
        let token = NewToken {
            app_id: app.id,
            subject,
            secrets: secrets.hashes(&self.key, now),
            scopes,
            family: None,
            root: None,
            acting: None,
        };
        // Kept past `exp` by the skew allowance, so a node whose clock lags still sees the jti.
        let jti_kept_until = claims.exp + CLOCK_SKEW_SECS;
        match self
            .repo
            .create_token_for_assertion(app.id, &claims.jti, jti_kept_until, token)
            .await
        {
            Ok(token_id) => Ok(secrets.issued(token_id, subject, scopes)),
            Err(RepoError::Conflict(ConflictKind::JtiReplayed)) => Err(invalid_grant("jti has already been used")),
            Err(RepoError::Conflict(ConflictKind::AppInactive)) => Err(Error::OAuth(OAuthFailure::InvalidClient)),
            Err(other) => Err(other.into()),
        }
    }

    async fn grant_password(
        &self,
        app: &App,
        username: &str,
        password: &str,
        scope: Option<&str>,
    ) -> Result<IssuedToken> {
        let enterprise = self.enterprise_record(app.enterprise_id).await?;
        if !enterprise.password_grant_enabled {
            return Err(Error::OAuth(OAuthFailure::UnauthorizedClient(
                "the enterprise has not enabled the password grant".into(),
            )));
        }
        let scopes = granted_scopes(app, scope, true)?;
        let wrong = || invalid_grant("wrong username or password");
        // Another enterprise's account is refused before its password is checked: its log and
        // its counters are not this app's to touch. The decoy check keeps the timing alike.
        let found = self.repo.find_login(username.trim()).await?;
        if found.is_some_and(|(user, _)| user.enterprise_id != app.enterprise_id) {
            let _ = secrets::verify_password(password, crate::services::decoy_password_hash());
            return Err(wrong());
        }
        // The app's server speaks for all its users from one address: wrong passwords are
        // counted per login through this app, so one user's typos lock out nobody else.
        let client = format!("app-{}:{}", app.id.0, username.trim().to_lowercase());
        let user = match self.check_password(username, password, &client).await {
            Ok(user) => user,
            Err(err @ (Error::RateLimited { .. } | Error::Unavailable(_) | Error::Internal(_))) => return Err(err),
            Err(_) => return Err(wrong()),
        };
        // Another enterprise's account is told apart from a wrong password by nothing.
        if user.enterprise_id != app.enterprise_id {
            return Err(wrong());
        }
        self.record_login(&user, Some(app.id), "oauth_password").await?;
        self.store_token_with(app.id, Subject::User(app.enterprise_id, user.id), scopes, true)
            .await
    }

    async fn grant_refresh_token(&self, app: &App, refresh_token: &str) -> Result<IssuedToken> {
        let unusable = || invalid_grant("refresh token is invalid, expired or already used");
        let (token_id, secret) = split_token(refresh_token).ok_or_else(unusable)?;
        let now = self.clock.now();
        let secrets = TokenSecrets::new();
        let refresh_hash = self.key.hash(secret);
        let rotated = self
            .repo
            .rotate_refresh_token(app.id, token_id, &refresh_hash, now, secrets.hashes(&self.key, now))
            .await?;
        match rotated {
            Some((new_id, subject, scopes)) => Ok(secrets.issued(new_id, subject, scopes)),
            None => {
                self.detect_refresh_reuse(app, token_id, secret).await?;
                Err(unusable())
            }
        }
    }

    /// A refresh token that was already used comes back: either the client or a thief holds
    /// a copy, and nobody can tell which, so the whole grant (every pair rotated from the same
    /// start) is revoked (OAuth 2.1 §4.3.1).
    async fn detect_refresh_reuse(&self, app: &App, token_id: TokenId, secret: &str) -> Result<()> {
        let Some((owner, used_hash, family)) = self.repo.find_used_refresh(token_id).await? else {
            return Ok(());
        };
        if owner != app.id || !self.key.verify(secret, &used_hash) {
            return Ok(());
        }
        let revoked = self.repo.revoke_token_family(family).await?;
        tracing::warn!(
            app = app.id.0,
            family = family.0,
            revoked,
            "a used refresh token was replayed; its grant is revoked"
        );
        self.after_revocation().await
    }

    /// Resolves a bearer token to its principal. Unknown, expired and revoked tokens, and
    /// tokens of disabled apps or deleted users, all answer `InvalidToken`.
    pub async fn authenticate_bearer(&self, access_token: &str) -> Result<Principal> {
        Ok(principal_of(&self.bearer_record(access_token).await?))
    }

    /// The stored record of a live bearer token whose secret matches; `InvalidToken` otherwise.
    pub(crate) async fn bearer_record(&self, access_token: &str) -> Result<TokenRecord> {
        let (token_id, secret) = split_token(access_token).ok_or(Error::InvalidToken)?;
        let now = self.clock.now();
        let record = match self.cache.token(token_id) {
            Some(cached) => cached,
            None => {
                let read_under = self.cache.epoch();
                let record = self.repo.find_access_token(token_id, now).await?;
                let Some(record) = record else {
                    return Err(Error::InvalidToken);
                };
                self.cache.remember_token(read_under, record.clone());
                record
            }
        };
        if record.access_expires_at <= now || !self.key.verify(secret, &record.access_hash) {
            return Err(Error::InvalidToken);
        }
        Ok(record)
    }
}

/// Who a token's holder is, with what the token was granted.
pub(crate) fn principal_of(record: &TokenRecord) -> Principal {
    let kind = match record.subject {
        Subject::Enterprise(enterprise_id) => PrincipalKind::EnterpriseAdmin {
            enterprise_id,
            app_id: record.app_id,
        },
        Subject::User(enterprise_id, user_id) => PrincipalKind::User {
            enterprise_id,
            user_id,
            app_id: record.app_id,
        },
    };
    Principal::with_scopes(kind, record.scopes)
        .confined(record.root.map(|root| crate::auth::Confinement {
            root,
            until: record.access_expires_at,
        }))
        .acting_for(record.acting)
}

impl Core {
    /// The OA dialect's `get-token`: the app, by its credentials, asks a token pair for one of
    /// its enterprise's active users, named the way the app is configured to name them.
    pub async fn issue_app_user_token(
        &self,
        credentials: &ClientCredentials,
        user: &str,
    ) -> Result<(IssuedToken, crate::model::User)> {
        let app = self.authenticate_client(credentials).await?;
        let user = self.app_user(&app, user.trim()).await?;
        if !user.active {
            return Err(Error::UserNotActive);
        }
        let subject = Subject::User(app.enterprise_id, user.id);
        let scopes = granted_scopes(&app, None, true)?;
        let issued = self.store_token_with(app.id, subject, scopes, true).await?;
        Ok((issued, user))
    }

    /// A user of the app's enterprise by the app's user field; `UserNotFound` otherwise.
    async fn app_user(&self, app: &App, name: &str) -> Result<crate::model::User> {
        use crate::model::UserField;
        use crate::services::IdentifierType;
        let enterprise_id = app.enterprise_id;
        let missing = || Error::not_found(crate::error::NotFoundKind::User);
        if name.is_empty() || name.len() > 255 {
            return Err(Error::invalid("user", "不能为空"));
        }
        let by_id = || async {
            let Ok(id) = name.parse::<i64>() else {
                return Ok::<_, Error>(None);
            };
            Ok(self.repo.find_user(UserId(id)).await?)
        };
        let by_login = |kind| self.user_by_login(enterprise_id, name, kind);
        let found = match app.user_field {
            UserField::Any => match by_id().await?.filter(|user| user.enterprise_id == enterprise_id) {
                Some(user) => Some(user),
                None => by_login(IdentifierType::PhoneOrEmail).await?,
            },
            UserField::Id => by_id().await?,
            UserField::Email => by_login(IdentifierType::Email).await?,
            UserField::Phone => by_login(IdentifierType::Phone).await?,
            UserField::CustomId(platform) => self.repo.find_user_by_ticket(enterprise_id, platform, name).await?,
        };
        found
            .filter(|user| user.enterprise_id == enterprise_id)
            .ok_or_else(missing)
    }

    /// Stores a fresh pair for `subject`, issued to `app` without an assertion; without
    /// `refreshable` the refresh half is stored already expired (the caller does not hand it
    /// out).
    pub(crate) async fn store_token_with(
        &self,
        app: crate::ids::AppId,
        subject: Subject,
        scopes: Option<Scopes>,
        refreshable: bool,
    ) -> Result<IssuedToken> {
        self.store_token_lasting(app, subject, scopes, refreshable, ACCESS_TOKEN_TTL_SECS)
            .await
    }

    /// [`Core::store_token_with`], the access token lasting `ttl` seconds.
    pub(crate) async fn store_token_lasting(
        &self,
        app: crate::ids::AppId,
        subject: Subject,
        scopes: Option<Scopes>,
        refreshable: bool,
        ttl: i64,
    ) -> Result<IssuedToken> {
        self.store_token_confined(app, subject, scopes, refreshable, ttl, TokenBounds::default())
            .await
    }

    /// [`Core::store_token_lasting`] within `bounds`.
    pub(crate) async fn store_token_confined(
        &self,
        app: crate::ids::AppId,
        subject: Subject,
        scopes: Option<Scopes>,
        refreshable: bool,
        ttl: i64,
        bounds: TokenBounds,
    ) -> Result<IssuedToken> {
        let secrets = TokenSecrets::new();
        let now = self.clock.now();
        let mut hashes = secrets.hashes(&self.key, now);
        hashes.access_expires_at = now + ttl;
        if !refreshable {
            hashes.refresh_expires_at = now;
        }
        let token = NewToken {
            app_id: app,
            subject,
            secrets: hashes,
            scopes,
            family: bounds.family,
            root: bounds.root,
            acting: bounds.acting,
        };
        match self.repo.create_token(token).await {
            Ok(token_id) => {
                let mut issued = secrets.issued(token_id, subject, scopes);
                issued.refreshable = refreshable;
                issued.expires_in = ttl;
                Ok(issued)
            }
            Err(RepoError::Conflict(ConflictKind::AppInactive)) => Err(Error::OAuth(OAuthFailure::InvalidClient)),
            Err(other) => Err(other.into()),
        }
    }

    /// The OA dialect's `refresh-token`: the client presents the whole pair instead of its
    /// app's credentials — both halves are checked (the access token may have expired), and
    /// the pair's own app rotates it.
    pub async fn refresh_app_token(&self, access_token: &str, refresh_token: &str) -> Result<IssuedToken> {
        let unusable = || invalid_grant("refresh token is invalid, expired or already used");
        let (token_id, secret) = split_token(refresh_token).ok_or_else(unusable)?;
        let (access_id, access_secret) = split_token(access_token).ok_or_else(unusable)?;
        if access_id != token_id {
            return Err(unusable());
        }
        let (app, access_hash, _) = self.repo.find_token_pair(token_id).await?.ok_or_else(unusable)?;
        if !self.key.verify(access_secret, &access_hash) {
            return Err(unusable());
        }
        let now = self.clock.now();
        let secrets = TokenSecrets::new();
        let rotated = self
            .repo
            .rotate_refresh_token(
                app,
                token_id,
                &self.key.hash(secret),
                now,
                secrets.hashes(&self.key, now),
            )
            .await?;
        match rotated {
            Some((new_id, subject, scopes)) => Ok(secrets.issued(new_id, subject, scopes)),
            None => {
                if let Some(app) = self.repo.find_app(app).await? {
                    self.detect_refresh_reuse(&app, token_id, secret).await?;
                }
                Err(unusable())
            }
        }
    }

    /// The OA dialect's `login-info/refresh?refresh_new_token=true`: the presented pair is
    /// replaced by a new one, which lives no longer than the old pair's refresh token would
    /// have — a token cannot be stretched into endless access this way.
    pub async fn reissue_token(&self, principal: &Principal, access_token: &str) -> Result<IssuedToken> {
        let (token_id, _) = split_token(access_token).ok_or(Error::InvalidToken)?;
        // The principal came from this very token; a different one is a caller's mistake.
        let now = self.clock.now();
        let secrets = TokenSecrets::new();
        let replaced = self
            .repo
            .replace_token(token_id, now, secrets.hashes(&self.key, now))
            .await?;
        let (new_id, subject, scopes) = replaced.ok_or(Error::InvalidToken)?;
        let same_caller = match (principal.kind(), subject) {
            (PrincipalKind::User { user_id, .. }, Subject::User(_, owner)) => user_id == owner,
            (PrincipalKind::EnterpriseAdmin { enterprise_id, .. }, Subject::Enterprise(owner)) => {
                enterprise_id == owner
            }
            _ => false,
        };
        if !same_caller {
            return Err(Error::InvalidToken);
        }
        self.after_revocation().await?;
        Ok(secrets.issued(new_id, subject, scopes))
    }

    /// Sets how an app names users in `get-token` (its enterprise's administrator, or the
    /// operator).
    pub async fn set_app_user_field(
        &self,
        principal: &Principal,
        app_id: crate::ids::AppId,
        field: crate::model::UserField,
    ) -> Result<()> {
        let app = self.repo.find_app(app_id).await?;
        app.filter(|app| principal.can_administer(app.enterprise_id) && !app.is_console())
            .ok_or_else(|| Error::not_found(crate::error::NotFoundKind::App))?;
        self.repo
            .update_app_user_field(app_id, field)
            .await
            .map_err(crate::error::gone(|| Error::not_found(crate::error::NotFoundKind::App)))?;
        self.after_revocation().await
    }
}

/// Splits `"<token_id>.<secret>"`; anything else is no token of ours.
pub(crate) fn split_token(token: &str) -> Option<(TokenId, &str)> {
    let (id, secret) = token.trim().split_once('.')?;
    let id: i64 = id.parse().ok().filter(|id| *id > 0)?;
    (!secret.is_empty() && secret.len() <= 256).then_some((TokenId(id), secret))
}

/// The two fresh secrets of a token pair, before the pair has its id.
pub(crate) struct TokenSecrets {
    access: String,
    refresh: String,
}

impl TokenSecrets {
    pub(crate) fn new() -> Self {
        Self {
            access: secrets::new_token(),
            refresh: secrets::new_token(),
        }
    }

    /// What to store: only keyed hashes of the secrets.
    pub(crate) fn hashes(&self, key: &secrets::SecretKey, now: i64) -> TokenHashes {
        TokenHashes {
            access_hash: key.hash(&self.access),
            refresh_hash: key.hash(&self.refresh),
            access_expires_at: now + ACCESS_TOKEN_TTL_SECS,
            refresh_expires_at: now + REFRESH_TOKEN_TTL_SECS,
            created_at: now,
        }
    }

    /// The token strings the client gets: the pair's id, a dot, the secret.
    pub(crate) fn issued(self, token_id: TokenId, subject: Subject, scopes: Option<Scopes>) -> IssuedToken {
        IssuedToken {
            access_token: format!("{token_id}.{}", self.access),
            refresh_token: format!("{token_id}.{}", self.refresh),
            refreshable: true,
            scope: scopes.map_or_else(|| subject.scope().to_owned(), |scopes| scopes.to_string()),
            expires_in: ACCESS_TOKEN_TTL_SECS,
            id_token: None,
            subject,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use serde_json::json;

    const JAVA_STYLE: &str =
        r#"{"sub":"21791","yifangyun_sub_type":"enterprise","exp":"1725590139","iat":"1725590079","jti":"abc"}"#;

    #[test]
    fn the_documented_example_assertion_parses() {
        let assertion = "ewogICAgInN1YiI6ICIyMTc5MSIsCiAgICAieWlmYW5neXVuX3N1Yl90eXBlIjogImVudGVycHJpc2UiLAogICAgImV4cCI6ICIxNzI1NTkwMTM5IiwKICAgICJpYXQiOiAiMTcyNTU5MDA3OSIsCiAgICAianRpIjogIjE3MjU1OTAwNzk5MTUyNzExYmZiYy00MzVmLTQ1YjYtYThkNC02ZTc1MGUxNGIwMDUiCn0=";
        let claims = JwtSimpleClaims::parse(assertion).unwrap();
        assert_eq!(claims.sub_type, SubType::Enterprise);
        assert_eq!(claims.sub, 21791);
        assert_eq!(claims.exp, 1725590139);
        assert_eq!(claims.iat, Some(1725590079));
    }

    #[test]
    fn every_base64_flavour_decodes_to_the_same_claims() {
        let expected = JwtSimpleClaims::parse(&STANDARD.encode(JAVA_STYLE)).unwrap();
        for encoded in [
            STANDARD.encode(JAVA_STYLE),
            STANDARD_NO_PAD.encode(JAVA_STYLE),
            URL_SAFE.encode(JAVA_STYLE),
            URL_SAFE_NO_PAD.encode(JAVA_STYLE),
            STANDARD.encode(JAVA_STYLE).replace('+', " "),
        ] {
            assert_eq!(JwtSimpleClaims::parse(&encoded).unwrap(), expected, "{encoded}");
        }
    }

    #[test]
    fn numbers_and_numeric_strings_are_the_same_claim() {
        let numbers =
            r#"{"sub":21791,"yifangyun_sub_type":"enterprise","exp":1725590139,"iat":1725590079,"jti":"abc"}"#;
        assert_eq!(
            JwtSimpleClaims::parse(&STANDARD.encode(numbers)).unwrap(),
            JwtSimpleClaims::parse(&STANDARD.encode(JAVA_STYLE)).unwrap()
        );
    }

    #[test]
    fn malformed_assertions_are_invalid_grants() {
        for bad in [
            "%%%".to_owned(),
            STANDARD.encode("not json"),
            STANDARD.encode("[1,2]"),
            STANDARD.encode(r#"{"sub":1,"yifangyun_sub_type":"robot","exp":1,"jti":"a"}"#),
            STANDARD.encode(r#"{"yifangyun_sub_type":"user","exp":1,"jti":"a"}"#),
            STANDARD.encode(r#"{"sub":"x1","yifangyun_sub_type":"user","exp":1,"jti":"a"}"#),
            STANDARD.encode(r#"{"sub":1,"yifangyun_sub_type":"user","exp":1}"#),
            STANDARD.encode(r#"{"sub":1,"yifangyun_sub_type":"user","jti":"a"}"#),
        ] {
            assert!(
                matches!(
                    JwtSimpleClaims::parse(&bad),
                    Err(Error::OAuth(OAuthFailure::InvalidGrant(_)))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_signed_assertion_naming_no_known_subject_kind_is_refused_not_read_as_a_user() {
        let claims = |kind: Value| {
            let mut claims = serde_json::Map::new();
            claims.insert("sub".into(), json!(7));
            claims.insert("exp".into(), json!(100));
            claims.insert("jti".into(), json!("j"));
            if !kind.is_null() {
                claims.insert("yifangyun_sub_type".into(), kind);
            }
            claims
        };
        let read = |kind| JwtSimpleClaims::from_claims(&claims(kind), Some(SubType::User));
        assert_eq!(read(Value::Null).unwrap().sub_type, SubType::User);
        assert_eq!(read(json!("enterprise")).unwrap().sub_type, SubType::Enterprise);
        for bad in [json!(1), json!("admin"), json!(["user"])] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn token_strings_are_an_id_a_dot_and_a_secret() {
        assert_eq!(split_token("42.abc"), Some((TokenId(42), "abc")));
        for bad in ["", "abc", "42.", ".abc", "0.abc", "-1.abc", "x.abc"] {
            assert_eq!(split_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_rules_follow_the_document() {
        let claims = |exp, iat| JwtSimpleClaims {
            sub_type: SubType::User,
            sub: 1,
            exp,
            iat,
            jti: "j".into(),
        };
        assert!(
            claims(1060, Some(1000))
                .check_times(1000, ASSERTION_MAX_LIFETIME_SECS)
                .is_ok()
        );
        assert!(
            claims(1061, Some(1000))
                .check_times(1000, ASSERTION_MAX_LIFETIME_SECS)
                .is_err(),
            "exp beyond iat + 60"
        );
        assert!(
            claims(1060, None)
                .check_times(1000, ASSERTION_MAX_LIFETIME_SECS)
                .is_ok(),
            "arrival time stands in for iat"
        );
        assert!(
            claims(1061, None)
                .check_times(1000, ASSERTION_MAX_LIFETIME_SECS)
                .is_err()
        );
        assert!(
            claims(1000, Some(950))
                .check_times(1000, ASSERTION_MAX_LIFETIME_SECS)
                .is_err(),
            "expired"
        );
        assert!(
            claims(2060, Some(2000))
                .check_times(1000, ASSERTION_MAX_LIFETIME_SECS)
                .is_err(),
            "iat far in the future"
        );
        assert!(
            claims(1090, Some(1030))
                .check_times(1000, ASSERTION_MAX_LIFETIME_SECS)
                .is_ok(),
            "iat within the skew allowance"
        );
    }
}

//! Getting tokens: every grant the token endpoint takes, PKCE, the device flow.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The RFC 7523 grant type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The RFC 8628 grant type.
pub const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Who a `jwt_simple` or SDK `jwt` assertion speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The app's enterprise (an enterprise token, scope `admin`).
    Enterprise(i64),
    /// One user of it (a user token, scope `all`).
    User(i64),
}

impl Subject {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Subject::Enterprise(id) => ("enterprise", id),
            Subject::User(id) => ("user", id),
        }
    }
}

/// A private key the app registered the public half of (`jwt_public_key`).
#[derive(Clone)]
pub struct JwtKey {
    key: EncodingKey,
    algorithm: Algorithm,
    kid: Option<String>,
}

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKey")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl JwtKey {
    /// A PKCS#8 (or PKCS#1 RSA / SEC1 EC) PEM private key: P-256 signs ES256, RSA signs RS256.
    /// `kid` is the `jwt_key_id` the server answered when the key was registered.
    pub fn from_pem(pem: &[u8], kid: Option<String>) -> Result<JwtKey> {
        let (key, algorithm) = match EncodingKey::from_ec_pem(pem) {
            Ok(key) => (key, Algorithm::ES256),
            Err(_) => (
                EncodingKey::from_rsa_pem(pem)
                    .map_err(|err| Error::Signing(format!("not an RSA or P-256 PEM key: {err}")))?,
                Algorithm::RS256,
            ),
        };
        Ok(JwtKey { key, algorithm, kid })
    }

    fn sign(&self, claims: &serde_json::Value) -> Result<String> {
        let mut header = Header::new(self.algorithm);
        header.kid = self.kid.clone();
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|err| Error::Signing(err.to_string()))
    }
}

/// A way to get tokens from `POST /oauth/token`. `Debug` names the grant only (its fields are
/// passwords, codes and tokens).
#[derive(Clone)]
pub enum Grant {
    /// The app acts as its enterprise (`scope` narrows `admin`).
    ClientCredentials {
        /// Space-separated scopes, or the app's default.
        scope: Option<String>,
    },
    /// The platform's `jwt_simple`: an unsigned assertion, trusted for the app's secret.
    JwtSimple(Subject),
    /// The SDKs' signed `jwt` grant (needs the app secret too).
    Jwt {
        /// The registered key.
        key: JwtKey,
        /// Who the token is for.
        subject: Subject,
    },
    /// RFC 7523: an assertion signed by the app's key is its whole proof (no secret needed).
    JwtBearer {
        /// The registered key.
        key: JwtKey,
        /// The user id the token is for.
        user_id: i64,
        /// Space-separated scopes, or the app's default.
        scope: Option<String>,
    },
    /// A person's login and password (only where the enterprise allows it).
    Password {
        /// Email, phone or account name.
        username: String,
        /// The password.
        password: String,
        /// Space-separated scopes.
        scope: Option<String>,
    },
    /// The code `/oauth/authorize` sent to the redirect URI.
    AuthorizationCode {
        /// The code.
        code: String,
        /// The redirect URI the authorization used.
        redirect_uri: String,
        /// The PKCE verifier ([`Pkce::verifier`]); required for public clients.
        code_verifier: Option<String>,
    },
    /// A refresh token from an earlier grant.
    RefreshToken(String),
    /// A device code a person approved ([`crate::Client::wait_for_device`] polls with it).
    DeviceCode(String),
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Grant::ClientCredentials { .. } => "ClientCredentials",
            Grant::JwtSimple(_) => "JwtSimple",
            Grant::Jwt { .. } => "Jwt",
            Grant::JwtBearer { .. } => "JwtBearer",
            Grant::Password { .. } => "Password",
            Grant::AuthorizationCode { .. } => "AuthorizationCode",
            Grant::RefreshToken(_) => "RefreshToken",
            Grant::DeviceCode(_) => "DeviceCode",
        };
        f.write_str(name)
    }
}

impl Grant {
    /// Whether asking again with the same grant gives fresh tokens (so the client can renew
    /// without a refresh token).
    pub(crate) fn repeatable(&self) -> bool {
        matches!(
            self,
            Grant::ClientCredentials { .. } | Grant::JwtSimple(_) | Grant::Jwt { .. } | Grant::JwtBearer { .. }
        )
    }

    /// The token endpoint form, and whether the client's secret goes with it.
    pub(crate) fn form(&self, client_id: &str, token_endpoint: &str, now: i64) -> Result<Vec<(&'static str, String)>> {
        let mut form = Vec::new();
        let scope = |form: &mut Vec<(&'static str, String)>, scope: &Option<String>| {
            if let Some(scope) = scope {
                form.push(("scope", scope.clone()));
            }
        };
        match self {
            Grant::ClientCredentials { scope: wanted } => {
                form.push(("grant_type", "client_credentials".to_owned()));
                scope(&mut form, wanted);
            }
            Grant::JwtSimple(subject) => {
                form.push(("grant_type", "jwt_simple".to_owned()));
                let claims = platform_claims(*subject, now);
                form.push(("assertion", STANDARD.encode(claims.to_string())));
            }
            Grant::Jwt { key, subject } => {
                form.push(("grant_type", "jwt".to_owned()));
                form.push(("assertion", key.sign(&platform_claims(*subject, now))?));
            }
            Grant::JwtBearer {
                key,
                user_id,
                scope: wanted,
            } => {
                form.push(("grant_type", JWT_BEARER.to_owned()));
                let claims = serde_json::json!({
                    "iss": client_id,
                    "sub": user_id.to_string(),
                    "aud": token_endpoint,
                    "iat": now,
                    "exp": now + 120,
                    "jti": random_token(16),
                });
                form.push(("assertion", key.sign(&claims)?));
                scope(&mut form, wanted);
            }
            Grant::Password {
                username,
                password,
                scope: wanted,
            } => {
                form.push(("grant_type", "password".to_owned()));
                form.push(("username", username.clone()));
                form.push(("password", password.clone()));
                scope(&mut form, wanted);
            }
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                form.push(("grant_type", "authorization_code".to_owned()));
                form.push(("code", code.clone()));
                form.push(("redirect_uri", redirect_uri.clone()));
                if let Some(verifier) = code_verifier {
                    form.push(("code_verifier", verifier.clone()));
                }
            }
            Grant::RefreshToken(token) => {
                form.push(("grant_type", "refresh_token".to_owned()));
                form.push(("refresh_token", token.clone()));
            }
            Grant::DeviceCode(code) => {
                form.push(("grant_type", DEVICE_CODE.to_owned()));
                form.push(("device_code", code.clone()));
            }
        }
        Ok(form)
    }
}

/// The claims of `jwt_simple` and the SDK `jwt` grant; valid for a minute, as the platform
/// document asks.
fn platform_claims(subject: Subject, now: i64) -> serde_json::Value {
    let (sub_type, sub) = subject.parts();
    serde_json::json!({
        "yifangyun_sub_type": sub_type,
        "sub": sub,
        "iat": now,
        "exp": now + 60,
        "jti": random_token(16),
    })
}

/// `n` random bytes, base64url.
pub(crate) fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens the client holds; serialisable so a CLI can keep them between runs. `Debug` shows
/// no token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// The bearer token.
    pub access_token: String,
    /// For renewal, when the grant gave one.
    pub refresh_token: Option<String>,
    /// Epoch seconds the access token stops working.
    pub expires_at: i64,
    /// The granted scopes.
    pub scope: String,
    /// The OpenID Connect ID token, when `openid` was asked for.
    pub id_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

impl Tokens {
    pub(crate) fn issued(response: openpan_types::TokenResponse, now: i64) -> Tokens {
        Tokens {
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            expires_at: now + response.expires_in,
            scope: response.scope,
            id_token: response.id_token,
        }
    }
}

/// A PKCE pair (RFC 7636, S256) for one authorization.
#[derive(Debug, Clone)]
pub struct Pkce {
    /// Sent with the code to the token endpoint.
    pub verifier: String,
    /// Sent to `/oauth/authorize` as `code_challenge`.
    pub challenge: String,
}

impl Pkce {
    /// A fresh random pair.
    pub fn new() -> Pkce {
        let verifier = random_token(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce { verifier, challenge }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

/// `POST /oauth/device_authorization`'s answer: show `user_code` and `verification_uri`, then
/// [`crate::Client::wait_for_device`]. `Debug` leaves the device code out.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    /// What the client polls with; never shown.
    pub device_code: String,
    /// What the person types, e.g. `BCDF-GHJK`.
    pub user_code: String,
    /// Where the person goes.
    pub verification_uri: String,
    /// The same page with the code filled in.
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Seconds the codes live.
    pub expires_in: i64,
    /// Seconds between polls.
    #[serde(default = "default_interval")]
    pub interval: i64,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

fn default_interval() -> i64 {
    5
}

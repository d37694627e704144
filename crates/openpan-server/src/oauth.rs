//! `POST /oauth/token` (RFC 6749 shaped, with the platform's `jwt_simple` grant),
//! `POST /oauth/revoke` (RFC 7009, also at the SDKs' `/oauth/token/revoke`) and
//! `POST /oauth/introspect` (RFC 7662), all with the app's client authentication and the
//! per-address budget of the token endpoint.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use openpan_core::Error;
use openpan_core::error::OAuthFailure;
use openpan_core::oauth::{ClientAuth, ClientCredentials, Grant};
use openpan_core::services::JwtDialect;
use openpan_types::{OAuthErrorBody, TokenResponse};

use crate::AppState;
use crate::error::OAuthError;
use crate::extract::{BasicError, basic_credentials, query_and_form};

/// The token endpoint takes small forms only.
const MAX_FORM_BYTES: usize = 64 * 1024;

fn invalid_request(message: &str) -> OAuthError {
    OAuthError(Error::OAuth(OAuthFailure::InvalidRequest(message.to_owned())))
}

/// HTTP Basic, else `client_id` + `client_secret` parameters (`client_secret_post`), else a
/// `client_id` alone (a public client, `none`).
fn client_auth(headers: &HeaderMap, parameters: &HashMap<String, String>) -> Result<ClientAuth, OAuthError> {
    match basic_credentials(headers) {
        Ok(Some(credentials)) if credentials.client_id.is_empty() => {
            return Err(OAuthError(Error::OAuth(OAuthFailure::InvalidClient)));
        }
        // Basic with an empty password is how some public clients name themselves.
        Ok(Some(credentials)) if credentials.client_secret.is_empty() => {
            return Ok(ClientAuth::Public {
                client_id: credentials.client_id,
            });
        }
        Ok(Some(credentials)) => return Ok(ClientAuth::Secret(credentials)),
        Ok(None) => {}
        Err(BasicError::OtherScheme) => return Err(OAuthError(Error::OAuth(OAuthFailure::InvalidClient))),
        Err(BasicError::Malformed) => return Err(invalid_request("malformed Basic credentials")),
    }
    // An empty secret is no secret (some public clients send the parameter empty), and an
    // empty client_id names no client.
    let secret = parameters.get("client_secret").filter(|secret| !secret.is_empty());
    match (parameters.get("client_id").filter(|id| !id.is_empty()), secret) {
        (Some(client_id), Some(client_secret)) => Ok(ClientAuth::Secret(ClientCredentials {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
        })),
        (Some(client_id), None) => Ok(ClientAuth::Public {
            client_id: client_id.clone(),
        }),
        _ => Err(OAuthError(Error::OAuth(OAuthFailure::InvalidClient))),
    }
}

fn required<'a>(parameters: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    parameters
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| invalid_request(&format!("{name} is required")))
}

/// The grants `POST /oauth/token` takes.
pub(crate) const GRANT_TYPES: [&str; 9] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "jwt",
    JWT_BEARER,
    DEVICE_CODE,
    "jwt_simple",
    TOKEN_EXCHANGE,
];

/// RFC 8693's grant type: an embedded component's token, confined to one item.
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// RFC 8628's grant type.
const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// RFC 7523's grant type.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// `POST /oauth/token`'s parameters, in a form (or the query, as the platform document's
/// demos send them). Each grant reads its own: `jwt_simple`/`jwt`/`jwt-bearer` an
/// `assertion`, `authorization_code` a `code` (with `redirect_uri`, `code_verifier`),
/// `refresh_token` a `refresh_token`, `password` a `username` and `password`, the device grant
/// a `device_code`. The client authenticates with HTTP Basic or `client_id`/`client_secret`
/// (public clients: `client_id` alone).
#[derive(utoipa::ToSchema)]
#[schema(as = TokenRequest)]
#[allow(dead_code)]
pub(crate) struct TokenForm {
    #[schema(
        pattern = "^(authorization_code|refresh_token|client_credentials|password|jwt|jwt_simple|urn:ietf:params:oauth:grant-type:jwt-bearer|urn:ietf:params:oauth:grant-type:device_code|urn:ietf:params:oauth:grant-type:token-exchange)$"
    )]
    grant_type: String,
    assertion: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    username: Option<String>,
    password: Option<String>,
    device_code: Option<String>,
    /// Token exchange: one of the app's user tokens.
    subject_token: Option<String>,
    /// Token exchange: `urn:ietf:params:oauth:token-type:access_token`.
    subject_token_type: Option<String>,
    /// Token exchange: the folder or file the new token is confined to (`…/api/v2/folder/{id}`).
    resource: Option<String>,
    /// Space-separated scopes (default: what the app may have; a token exchange names
    /// `item.preview`, `item.download`, `item.upload`).
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// A token to revoke or look at (RFC 7009, RFC 7662).
#[derive(utoipa::ToSchema)]
#[schema(as = TokenReference)]
#[allow(dead_code)]
pub(crate) struct TokenRefForm {
    token: String,
    /// `access_token` or `refresh_token`.
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 8628 §3.1's request.
#[derive(utoipa::ToSchema)]
#[schema(as = DeviceAuthorizationRequest)]
#[allow(dead_code)]
pub(crate) struct DeviceForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    scope: Option<String>,
}

/// RFC 8628 §3.2: the codes, where the person goes, and how often to poll.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct DeviceAuthorization {
    /// What the device polls `/oauth/token` with.
    device_code: String,
    /// What the person types at `verification_uri`.
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    /// Seconds the codes work.
    expires_in: i64,
    /// Seconds to wait between polls.
    interval: i64,
}

/// Issues tokens, for every grant the platform takes.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    security(("client" = []), ()),
    responses((status = 200, body = openpan_types::TokenResponse), (status = "4XX", description = "An RFC 6749 error (`invalid_request`, `invalid_client`, `invalid_grant`, `rate_limit` …)", body = openpan_types::OAuthErrorBody)))]
pub async fn token(State(state): State<AppState>, request: Request) -> Response {
    metered(&state, request, grant).await
}

/// Revokes an access or refresh token (RFC 7009; also at `/oauth/token/revoke`): 200 whether
/// or not it was active.
#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth",
    request_body(content = TokenRefForm, content_type = "application/x-www-form-urlencoded"),
    security(("client" = []), ()),
    responses((status = 200, description = "Revoked, or nothing to revoke"), (status = "4XX", description = "An RFC 6749 error (`invalid_request`, `invalid_client`, `invalid_grant`, `rate_limit` …)", body = openpan_types::OAuthErrorBody)))]
pub async fn revoke(State(state): State<AppState>, request: Request) -> Response {
    metered(&state, request, revocation).await
}

/// Whether a token is active, and what it carries (RFC 7662), for the app's own enterprise.
#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth",
    request_body(content = TokenRefForm, content_type = "application/x-www-form-urlencoded"),
    security(("client" = [])),
    responses((status = 200, body = openpan_types::Introspection), (status = "4XX", description = "An RFC 6749 error (`invalid_request`, `invalid_client`, `invalid_grant`, `rate_limit` …)", body = openpan_types::OAuthErrorBody)))]
pub async fn introspect(State(state): State<AppState>, request: Request) -> Response {
    metered(&state, request, introspection).await
}

/// Starts the device flow (RFC 8628) for a CLI or TV: it shows `user_code`, the person
/// approves at `verification_uri`, and the device polls `/oauth/token`.
#[utoipa::path(post, path = "/oauth/device_authorization", tag = "oauth",
    request_body(content = DeviceForm, content_type = "application/x-www-form-urlencoded"),
    security(("client" = []), ()),
    responses((status = 200, body = DeviceAuthorization), (status = "4XX", description = "An RFC 6749 error (`invalid_request`, `invalid_client`, `invalid_grant`, `rate_limit` …)", body = openpan_types::OAuthErrorBody)))]
pub async fn device_authorization(State(state): State<AppState>, request: Request) -> Response {
    metered(&state, request, start_device).await
}

/// RFC 8628 §3.1–3.2: the codes, where the person goes, and how often to poll.
async fn start_device(state: &AppState, request: Request) -> Result<Response, OAuthError> {
    let (parameters, credentials) = read_form(request).await?;
    let started = state
        .core
        .start_device_authorization(&credentials, optional(&parameters, "scope").as_deref())
        .await
        .map_err(OAuthError)?;
    let verification_uri = format!("{}/oauth/device", state.public_url);
    let complete = format!("{verification_uri}?user_code={}", started.user_code);
    let body = DeviceAuthorization {
        device_code: started.device_code,
        user_code: started.user_code,
        verification_uri,
        verification_uri_complete: complete,
        expires_in: started.expires_in,
        interval: started.interval,
    };
    Ok(no_store(Json(body).into_response()))
}

/// Runs an endpoint under the per-address budget charged before any credential check.
async fn metered<F>(state: &AppState, request: Request, endpoint: F) -> Response
where
    F: AsyncFnOnce(&AppState, Request) -> Result<Response, OAuthError>,
{
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let decision = state.charge_token_endpoint(peer).await;
    let mut response = if decision.allowed {
        match endpoint(state, request).await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        }
    } else {
        rate_limited(decision.retry_after_secs)
    };
    crate::ratelimit::stamp(response.headers_mut(), &decision);
    response
}

/// The request's parameters (query and form) and the client credentials it presents.
async fn read_form(request: Request) -> Result<(HashMap<String, String>, ClientAuth), OAuthError> {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| invalid_request("request body too large"))?;
    let parameters = query_and_form(parts.uri.query(), &body);
    let client = match client_auth(&parts.headers, &parameters) {
        Ok(client) => client,
        // RFC 7523 lets the assertion's issuer name the client.
        Err(err) => match parameters.get("assertion") {
            Some(assertion)
                if parameters.get("grant_type").map(String::as_str) == Some(JWT_BEARER)
                    && !parts.headers.contains_key(header::AUTHORIZATION) =>
            {
                let client_id = openpan_core::services::unverified_issuer(assertion).ok_or(err)?;
                ClientAuth::Public { client_id }
            }
            _ => return Err(err),
        },
    };
    Ok((parameters, client))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// RFC 7009: 200 with an empty body whether or not anything was revoked.
async fn revocation(state: &AppState, request: Request) -> Result<Response, OAuthError> {
    let (parameters, credentials) = read_form(request).await?;
    // The client is checked first, as for introspection.
    let token = parameters.get("token").map(String::as_str).unwrap_or_default();
    state.core.revoke_token(&credentials, token).await.map_err(OAuthError)?;
    required(&parameters, "token")?;
    Ok(no_store(StatusCode::OK.into_response()))
}

/// RFC 7662: `{"active": false}` for anything but an active access token of the caller's
/// enterprise.
async fn introspection(state: &AppState, request: Request) -> Result<Response, OAuthError> {
    use openpan_core::model::Subject;
    let (parameters, credentials) = read_form(request).await?;
    // The client is checked first: a caller who may not introspect learns nothing, not even
    // which parameter is missing.
    let token = parameters.get("token").map(String::as_str).unwrap_or_default();
    let found = state
        .core
        .introspect_token(&credentials, token)
        .await
        .map_err(OAuthError)?;
    required(&parameters, "token")?;
    let body = match found {
        None => openpan_types::Introspection::inactive(),
        Some(active) => {
            let (enterprise, user) = match active.subject {
                Subject::Enterprise(enterprise) => (enterprise, None),
                Subject::User(enterprise, user) => (enterprise, Some(user)),
            };
            openpan_types::Introspection {
                active: true,
                scope: Some(active.scope),
                client_id: Some(active.client_id),
                token_type: Some("bearer".to_owned()),
                exp: Some(active.expires_at),
                sub: Some(user.map_or_else(|| enterprise.0.to_string(), |user| user.0.to_string())),
                sub_type: Some(if user.is_some() { "user" } else { "enterprise" }.to_owned()),
                enterprise_id: Some(enterprise.0),
                user_id: user.map(|user| user.0),
            }
        }
    };
    Ok(no_store(Json(body).into_response()))
}

/// 429 in the token endpoint's RFC 6749 shape, with the platform's `rate_limit` code.
pub(crate) fn rate_limited(retry_after_secs: u64) -> Response {
    let body = OAuthErrorBody {
        error: "rate_limit".to_owned(),
        error_description: "Rate limit exceeded!".to_owned(),
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// An optional parameter; empty counts as absent.
fn optional(parameters: &HashMap<String, String>, name: &str) -> Option<String> {
    parameters.get(name).filter(|value| !value.is_empty()).cloned()
}

async fn grant(state: &AppState, request: Request) -> Result<Response, OAuthError> {
    let (parameters, credentials) = read_form(request).await?;
    let grant = match parameters.get("grant_type").map(String::as_str) {
        Some("client_credentials") => Grant::ClientCredentials {
            scope: optional(&parameters, "scope"),
        },
        Some("authorization_code") => Grant::AuthorizationCode {
            code: required(&parameters, "code")?.to_owned(),
            redirect_uri: optional(&parameters, "redirect_uri"),
            code_verifier: optional(&parameters, "code_verifier"),
        },
        Some("password") => Grant::Password {
            username: required(&parameters, "username")?.to_owned(),
            password: required(&parameters, "password")?.to_owned(),
            scope: optional(&parameters, "scope"),
        },
        Some(kind @ ("jwt" | JWT_BEARER)) => Grant::SignedJwt {
            assertion: required(&parameters, "assertion")?.to_owned(),
            scope: optional(&parameters, "scope"),
            dialect: if kind == "jwt" {
                JwtDialect::Sdk
            } else {
                JwtDialect::Bearer
            },
        },
        Some(DEVICE_CODE) => Grant::DeviceCode {
            device_code: required(&parameters, "device_code")?.to_owned(),
        },
        Some("jwt_simple") => Grant::JwtSimple {
            assertion: required(&parameters, "assertion")?.to_owned(),
        },
        Some("refresh_token") => Grant::RefreshToken {
            refresh_token: required(&parameters, "refresh_token")?.to_owned(),
        },
        Some(TOKEN_EXCHANGE) => Grant::TokenExchange {
            subject_token: required(&parameters, "subject_token")?.to_owned(),
            subject_token_type: required(&parameters, "subject_token_type")?.to_owned(),
            scope: optional(&parameters, "scope"),
            resource: optional(&parameters, "resource"),
        },
        None => return Err(invalid_request("grant_type is required")),
        Some(_) => {
            // Authenticate first so an unknown client learns nothing about supported grants.
            state.core.authenticate(&credentials).await.map_err(OAuthError)?;
            return Err(OAuthError(Error::OAuth(OAuthFailure::UnsupportedGrantType)));
        }
    };
    let exchange = matches!(grant, Grant::TokenExchange { .. });
    let issued = state
        .core
        .issue_token(&credentials, grant, &state.public_url)
        .await
        .map_err(OAuthError)?;
    let body = TokenResponse {
        access_token: issued.access_token,
        refresh_token: issued.refreshable.then_some(issued.refresh_token),
        scope: issued.scope,
        token_type: "bearer".to_owned(),
        expires_in: issued.expires_in,
        id_token: issued.id_token,
        issued_token_type: exchange.then(|| openpan_core::services::ACCESS_TOKEN_TYPE.to_owned()),
    };
    Ok(no_store(Json(body).into_response()))
}

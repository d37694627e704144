//! Browser sign-in outside the open API: the console's password form and 免登 links open a web
//! session held in an HttpOnly cookie (only a keyed hash of it is stored), which the console
//! reads with `GET /console/session`, trades for bearer tokens at `POST /console/token` and
//! ends with `POST /console/logout`.
//!
//! The posts that use the cookie are refused from other sites (`Sec-Fetch-Site`, `Origin`) and
//! need the `X-Openpan-Console` header, which a cross-site form cannot send and a cross-site
//! script cannot send without a CORS preflight this server never grants.

use axum::Json;
use axum::extract::State;
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{ClientAddr, JsonBody, Params};

const COOKIE_NAME: &str = "openpan_session";

pub(crate) fn session_cookie(state: &AppState, value: &str, max_age: i64) -> Option<HeaderValue> {
    // Browsers drop `Secure` cookies on plain HTTP, which a local install uses.
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

pub(crate) fn session_secret(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// Signs a person in to the web console with a ticket from `admin/user/get_login_url`: sets
/// the session cookie and sends the browser to the console. A browser whose ticket does not
/// work is sent to the console's sign-in page, which says so; other clients get the envelope.
#[utoipa::path(get, path = "/sso/login", tag = "console", security(()),
    params(("client_id" = String, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"), ("auth_key" = String, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$")),
    responses((status = 303, description = "Signed in; to the console (a browser whose ticket fails: to its sign-in page)")))]
pub async fn sso_login(State(state): State<AppState>, headers: HeaderMap, params: Params) -> Result<Response> {
    let redeemed = async {
        let client_id = params.str("client_id")?;
        let auth_key = params.str("auth_key")?;
        Ok::<_, ApiError>(state.core.redeem_login_ticket(client_id, auth_key).await?)
    }
    .await;
    let session = match redeemed {
        Ok(session) => session,
        Err(failure) if crate::pages::wants_page(&headers) && failure.code.http_status() < 500 => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response
                .headers_mut()
                .insert(LOCATION, HeaderValue::from_static("/#/sso-failed"));
            return Ok(response);
        }
        Err(failure) => return Err(failure),
    };
    let max_age = session.expires_at - state.core.now();
    let cookie = session_cookie(&state, &session.secret, max_age)
        .ok_or_else(|| ApiError::new(openpan_types::ErrorCode::InternalServerError))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    response.headers_mut().insert(LOCATION, HeaderValue::from_static("/"));
    Ok(response)
}

/// The web console's signed-in user (from the session cookie), or 401.
#[utoipa::path(get, path = "/console/session", tag = "console", security(()),
    responses((status = 200, body = wire::SessionInfo)))]
pub async fn session(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<wire::SessionInfo>> {
    let secret = session_secret(&headers).ok_or_else(|| ApiError::new(openpan_types::ErrorCode::Unauthorized))?;
    let (user, expires_at) = state.core.web_session(secret).await?;
    Ok(Json(wire::SessionInfo {
        user: convert::user(&user),
        expires_at,
    }))
}

/// Ends the web console's session and clears its cookie (its bearer tokens lapse within
/// minutes).
#[utoipa::path(post, path = "/console/logout", tag = "console", security(()),
    params(("X-Openpan-Console" = String, Header, description = "Any value: marks the console's own calls")),
    responses((status = 200, body = wire::SuccessBody)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    from_console(&state, &headers)?;
    if let Some(secret) = session_secret(&headers) {
        state.core.end_web_session(secret).await?;
    }
    let mut response = Json(wire::SuccessBody { success: true }).into_response();
    if let Some(cookie) = session_cookie(&state, "", 0) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The header the console's own calls carry.
const CONSOLE_HEADER: &str = "x-openpan-console";

/// A console post from this site's own pages, or 403.
fn from_console(state: &AppState, headers: &HeaderMap) -> Result<()> {
    if headers.contains_key(CONSOLE_HEADER) && !crate::authorize::cross_site(state, headers) {
        Ok(())
    } else {
        Err(ApiError::new(openpan_types::ErrorCode::PermissionDenied))
    }
}

/// Signs a person in to the web console with their login and password (throttled per login
/// and per address, as the sign-in page is): sets the session cookie.
#[utoipa::path(post, path = "/console/login", tag = "console", security(()),
    params(("X-Openpan-Console" = String, Header, description = "Any value: marks the console's own calls")),
    request_body = wire::ConsoleLogin,
    responses((status = 200, body = wire::SessionInfo)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    JsonBody(form): JsonBody<wire::ConsoleLogin>,
) -> Result<Response> {
    from_console(&state, &headers)?;
    if form.login.trim().is_empty() {
        return Err(ApiError::field("login", "不能为空"));
    }
    let session = state
        .core
        .password_web_login(&form.login, &form.password, &client)
        .await?;
    let max_age = session.expires_at - state.core.now();
    let cookie = session_cookie(&state, &session.secret, max_age)
        .ok_or_else(|| ApiError::new(openpan_types::ErrorCode::InternalServerError))?;
    let mut response = Json(wire::SessionInfo {
        user: convert::user(&session.user),
        expires_at: session.expires_at,
    })
    .into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// A bearer token for the signed-in person's console: their own, or with `admin=true` their
/// enterprise's administration token (administrators only). No refresh token: the console
/// asks again while the session lasts.
#[utoipa::path(post, path = "/console/token", tag = "console", security(()),
    params(("X-Openpan-Console" = String, Header, description = "Any value: marks the console's own calls"),
        ("admin" = Option<bool>, Query, description = "The enterprise's administration token")),
    responses((status = 200, body = wire::ConsoleToken)))]
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<wire::ConsoleToken>> {
    from_console(&state, &headers)?;
    let secret = session_secret(&headers).ok_or_else(|| ApiError::new(openpan_types::ErrorCode::Unauthorized))?;
    let admin = params.opt_bool("admin")?.unwrap_or(false);
    let (issued, user) = state.core.console_token(secret, admin).await?;
    Ok(Json(wire::ConsoleToken {
        access_token: issued.access_token,
        token_type: "bearer".to_owned(),
        expires_in: issued.expires_in,
        is_admin: user.user.is_admin,
        user: convert::user(&user),
    }))
}

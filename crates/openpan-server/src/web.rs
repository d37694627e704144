//! Browser sign-in outside the open API: 免登 links open a web session held in an HttpOnly
//! cookie (only a keyed hash of it is stored), which the console reads with
//! `GET /console/session` and ends with `POST /console/logout`.

use axum::Json;
use axum::extract::State;
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::Params;

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
/// the session cookie and sends the browser to the console.
#[utoipa::path(get, path = "/sso/login", tag = "console", security(()),
    params(("client_id" = String, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"), ("auth_key" = String, Query, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$")),
    responses((status = 303, description = "Signed in; to the console")))]
pub async fn sso_login(State(state): State<AppState>, params: Params) -> Result<Response> {
    let client_id = params.str("client_id")?;
    let auth_key = params.str("auth_key")?;
    let session = state.core.redeem_login_ticket(client_id, auth_key).await?;
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

/// Ends the web console's session and clears its cookie.
#[utoipa::path(post, path = "/console/logout", tag = "console", security(()),
    responses((status = 200, body = wire::SuccessBody)))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    if let Some(secret) = session_secret(&headers) {
        state.core.end_web_session(secret).await?;
    }
    let mut response = Json(wire::SuccessBody { success: true }).into_response();
    if let Some(cookie) = session_cookie(&state, "", 0) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    Ok(response)
}

//! `/oauth/device`: where a person enters the code a CLI or TV shows (RFC 8628 §3.3), signs
//! in, and approves or denies the device. Plain server-rendered forms, like the authorization
//! pages, with the same session, anti-forgery token and cross-site refusal.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use openpan_core::Error;
use openpan_core::services::DeviceRequest;

use crate::AppState;
use crate::authorize::{LOGIN_FIELDS, Session, error_page, escape, html, posted_action, scope_items, web_session};
use crate::extract::query_and_form;
use crate::web::session_cookie;

const MAX_FORM_BYTES: usize = 16 * 1024;

/// Where a person enters a device's `user_code`, signs in, and approves or denies it.
#[utoipa::path(method(get, post), path = "/oauth/device", tag = "oauth", security(()),
    params(("user_code" = Option<String>, Query, description = "The code the device shows")),
    responses((status = 200, description = "The page", content_type = "text/html"),
        (status = "4XX", description = "An error page", content_type = "text/html")))]
pub async fn page(State(state): State<AppState>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let method = request.method().clone();
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
    };
    let parameters = if method == Method::POST {
        query_and_form(None, &body)
    } else {
        query_and_form(parts.uri.query(), &[])
    };
    let user_code = parameters.get("user_code").cloned().unwrap_or_default();
    let session = web_session(&state, &parts.headers).await;
    let action = match posted_action(&state, &parts.headers, &method, &parameters) {
        Ok(action) => action,
        Err(refused) => return refused.into_response(),
    };
    match (action, session) {
        (Some("login"), _) => {
            let login = parameters.get("login").map(String::as_str).unwrap_or_default();
            let password = parameters.get("password").map(String::as_str).unwrap_or_default();
            let client = peer.map(|peer| peer.ip().to_string()).unwrap_or_default();
            match state.core.password_web_login(login, password, &client).await {
                Ok(opened) => {
                    let session = Session {
                        secret: opened.secret.clone(),
                        user: opened.user,
                        auth_time: state.core.now(),
                    };
                    let mut page = if user_code.is_empty() {
                        code_page(&session, "", None)
                    } else {
                        look_up(&state, &session, &user_code).await
                    };
                    let max_age = opened.expires_at - state.core.now();
                    if let Some(cookie) = session_cookie(&state, &opened.secret, max_age) {
                        page.headers_mut().insert(SET_COOKIE, cookie);
                    }
                    page
                }
                Err(Error::RateLimited { .. }) => {
                    sign_in_page(&user_code, Some("Too many attempts. Wait a while, then try again."))
                }
                Err(_) => sign_in_page(&user_code, Some("Wrong login or password.")),
            }
        }
        (_, None) => sign_in_page(&user_code, None),
        (None, Some(session)) => code_page(&session, &user_code, None),
        (Some("lookup"), Some(session)) => look_up(&state, &session, &user_code).await,
        (Some(answer @ ("approve" | "deny")), Some(session)) => {
            let token = parameters.get("form_token").map(String::as_str).unwrap_or_default();
            if !state.core.check_form_token(&session.secret, token) {
                return error_page(StatusCode::FORBIDDEN, "This form has expired. Enter the code again.");
            }
            let approve = answer == "approve";
            match state.core.decide_device(&session.user.user, &user_code, approve).await {
                Ok(request) => done_page(&request, approve),
                Err(err) => code_page(&session, &user_code, Some(problem(&err))),
            }
        }
        (Some(_), Some(_)) => error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    }
}

fn problem(err: &Error) -> &'static str {
    match err {
        Error::RateLimited { .. } => "Too many wrong codes. Wait a while, then try again.",
        Error::PermissionDenied => "That device belongs to another enterprise's app.",
        Error::Unavailable(_) => "The server is temporarily unavailable; please try again.",
        _ => "No device is waiting for that code. Check it, or start again on the device.",
    }
}

async fn look_up(state: &AppState, session: &Session, user_code: &str) -> Response {
    match state.core.device_request(&session.user.user, user_code).await {
        Ok(request) => consent_page(state, session, &request),
        Err(err) => code_page(session, user_code, Some(problem(&err))),
    }
}

fn sign_in_page(user_code: &str, problem: Option<&str>) -> Response {
    let mut body = String::from("<h1>Connect a device</h1><p>Sign in to approve the device.</p>");
    if let Some(problem) = problem {
        let _ = write!(body, "<p class=\"problem\" role=\"alert\">{}</p>", escape(problem));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/oauth/device\">\
         <input type=\"hidden\" name=\"action\" value=\"login\">\
         <input type=\"hidden\" name=\"user_code\" value=\"{}\">\
         {LOGIN_FIELDS}</form>",
        escape(user_code)
    );
    let status = if problem.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    html(status, "Connect a device", &body)
}

fn code_page(session: &Session, user_code: &str, problem: Option<&str>) -> Response {
    let mut body = format!(
        "<h1>Connect a device</h1><p>Signed in as <strong>{}</strong>. Enter the code the device shows.</p>",
        escape(&session.user.user.name)
    );
    if let Some(problem) = problem {
        let _ = write!(body, "<p class=\"problem\" role=\"alert\">{}</p>", escape(problem));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/oauth/device\">\
         <input type=\"hidden\" name=\"action\" value=\"lookup\">\
         <label>Code<input name=\"user_code\" value=\"{}\" autocomplete=\"off\" autocapitalize=\"characters\" \
         spellcheck=\"false\" required autofocus></label>\
         <button type=\"submit\">Continue</button></form>",
        escape(user_code)
    );
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, "Connect a device", &body)
}

fn consent_page(state: &AppState, session: &Session, request: &DeviceRequest) -> Response {
    let user = &session.user.user;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Allow {}?</h1><p>A device showing <code id=\"user-code\">{}</code> asks to use the account of \
         <strong>{}</strong> ({}) of {}. Only allow it if you started this on your own device.</p>\
         <p>{} asks to:</p><ul id=\"scopes\">",
        escape(&request.app_name),
        escape(&request.user_code),
        escape(&user.name),
        escape(user.login()),
        escape(&session.user.enterprise.name),
        escape(&request.app_name),
    );
    body.push_str(&scope_items(request.scopes));
    let _ = write!(
        body,
        "</ul><form method=\"post\" action=\"/oauth/device\">\
         <input type=\"hidden\" name=\"user_code\" value=\"{}\">\
         <input type=\"hidden\" name=\"form_token\" value=\"{}\">\
         <button type=\"submit\" name=\"action\" value=\"approve\">Allow</button> \
         <button type=\"submit\" name=\"action\" value=\"deny\" class=\"secondary\">Deny</button></form>",
        escape(&request.user_code),
        state.core.form_token(&session.secret)
    );
    html(StatusCode::OK, "Allow the device", &body)
}

fn done_page(request: &DeviceRequest, approved: bool) -> Response {
    let body = if approved {
        format!(
            "<h1>Device connected</h1><p id=\"outcome\">{} may now use your account. You can close this page and \
             return to your device.</p>",
            escape(&request.app_name)
        )
    } else {
        "<h1>Device refused</h1><p id=\"outcome\">The device was not connected.</p>".to_owned()
    };
    html(StatusCode::OK, "Connect a device", &body)
}

//! The authorization endpoint's pages (`/oauth/authorize`: sign in, then allow or deny the
//! app), OpenID Connect discovery, the JWKS and userinfo. The pages are plain server-rendered
//! forms: they work without JavaScript and load nothing from elsewhere.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use openpan_core::Error;
use openpan_core::model::UserWithEnterprise;
use openpan_core::scope::{ALL_SCOPES, Scope};
use openpan_core::services::{AuthorizationRequest, AuthorizeRefusal, Consent, WEB_SESSION_SECS};

use crate::AppState;
use crate::extract::query_and_form;
use crate::web::{session_cookie, session_secret};

/// Forms are small.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The authorization request's parameters, carried through the sign-in and consent forms.
const REQUEST_FIELDS: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
];

fn authorization_request(parameters: &HashMap<String, String>) -> AuthorizationRequest {
    let get = |name: &str| parameters.get(name).cloned();
    AuthorizationRequest {
        response_type: get("response_type"),
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        scope: get("scope"),
        state: get("state"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        nonce: get("nonce"),
    }
}

/// The sign-in and consent page of the code flow (`response_type=code`, `client_id`,
/// `redirect_uri`, `scope`, `state`, `code_challenge` with `S256`, `nonce`): a person signs in,
/// approves, and the browser goes to `redirect_uri` with a `code`.
#[utoipa::path(method(get, post), path = "/oauth/authorize", tag = "oauth", security(()),
    responses((status = 200, description = "The sign-in or consent page", content_type = "text/html"),
        (status = 303, description = "To `redirect_uri` with `code` and `state`, or `error`"), (status = "4XX", description = "An error page", content_type = "text/html")))]
pub async fn authorize(State(state): State<AppState>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let method = request.method().clone();
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(body) => body,
        Err(_) => return error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."),
    };
    // A form post carries the request in its fields; a browser arriving carries it in the URL.
    let parameters = if method == Method::POST {
        query_and_form(None, &body)
    } else {
        query_and_form(parts.uri.query(), &[])
    };
    let consent = match state
        .core
        .check_authorization(&authorization_request(&parameters))
        .await
    {
        Ok(consent) => consent,
        Err(refusal) => return refuse(&state, refusal),
    };
    let session = signed_in(&state, &parts.headers, &consent).await;
    let action = match posted_action(&state, &parts.headers, &method, &parameters) {
        Ok(action) => action,
        Err(refused) => return refused.into_response(),
    };
    // OpenID Connect lets a client send the request itself by POST too.
    if action.is_none() {
        return match (parameters.get("prompt").map(String::as_str), session) {
            (Some("none"), None) => refuse(&state, consent.refuse("login_required", "the user is not signed in")),
            // Every grant is asked for: there is no remembered consent to answer silently.
            (Some("none"), Some(_)) => refuse(&state, consent.refuse("consent_required", "the user must approve")),
            (Some("login"), _) | (_, None) => sign_in_page(&parameters, &consent, None),
            (_, Some(session)) => consent_page(&state, &parameters, &consent, &session),
        };
    }
    match action {
        Some("login") => {
            let login = parameters.get("login").map(String::as_str).unwrap_or_default();
            let password = parameters.get("password").map(String::as_str).unwrap_or_default();
            let client = peer.map(|peer| peer.ip().to_string()).unwrap_or_default();
            match state.core.password_web_login(login, password, &client).await {
                Ok(opened) => {
                    let mut page = if opened.user.user.enterprise_id != consent.enterprise_id {
                        // Signed in, but only the app's own enterprise may grant it anything.
                        sign_in_page(
                            &parameters,
                            &consent,
                            Some("This app belongs to another enterprise; sign in with an account of its enterprise."),
                        )
                    } else {
                        let session = Session {
                            secret: opened.secret.clone(),
                            user: opened.user,
                            auth_time: state.core.now(),
                        };
                        consent_page(&state, &parameters, &consent, &session)
                    };
                    let max_age = opened.expires_at - state.core.now();
                    if let Some(cookie) = session_cookie(&state, &opened.secret, max_age) {
                        page.headers_mut().insert(SET_COOKIE, cookie);
                    }
                    page
                }
                Err(Error::RateLimited { .. }) => sign_in_page(
                    &parameters,
                    &consent,
                    Some("Too many attempts. Wait a while, then try again."),
                ),
                Err(Error::Unavailable(_)) => sign_in_page(
                    &parameters,
                    &consent,
                    Some("The server is temporarily unavailable; please try again."),
                ),
                Err(_) => sign_in_page(&parameters, &consent, Some("Wrong login or password.")),
            }
        }
        Some(action @ ("approve" | "deny")) => {
            let Some(session) = session else {
                return sign_in_page(&parameters, &consent, Some("Please sign in again."));
            };
            let token = parameters.get("form_token").map(String::as_str).unwrap_or_default();
            if !state.core.check_form_token(&session.secret, token) {
                return error_page(
                    StatusCode::FORBIDDEN,
                    "This form has expired. Go back to the app and start again.",
                );
            }
            if action == "deny" {
                return refuse(&state, consent.refuse("access_denied", "the user denied the request"));
            }
            match state
                .core
                .approve_authorization(&session.user.user, session.auth_time, &consent)
                .await
            {
                Ok(code) => deliver_code(&state, &consent, &code),
                Err(refusal) => refuse(&state, refusal),
            }
        }
        _ => error_page(StatusCode::BAD_REQUEST, "Unknown action."),
    }
}

/// The page form's `action`: only a form post acts (a link carrying `action` is just another
/// request to show), and a post from another site — its own account into the person's
/// browser, say — is refused.
pub(crate) fn posted_action<'a>(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    parameters: &'a HashMap<String, String>,
) -> Result<Option<&'a str>, CrossSite> {
    let action = parameters
        .get("action")
        .map(String::as_str)
        .filter(|_| *method == Method::POST);
    if action.is_some() && cross_site(state, headers) {
        return Err(CrossSite);
    }
    Ok(action)
}

/// A page's form posted by another site: answered with a 403 page.
pub(crate) struct CrossSite;

impl IntoResponse for CrossSite {
    fn into_response(self) -> Response {
        error_page(StatusCode::FORBIDDEN, "This form was sent from another site.")
    }
}

/// Whether the browser says the form came from another site (`Sec-Fetch-Site`, else `Origin`).
pub(crate) fn cross_site(state: &AppState, headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match header("origin") {
        // Browsers send `null` from sandboxed and privacy-sensitive contexts.
        Some(origin) => {
            let ours = url::Url::parse(&state.public_url).map(|url| url.origin().ascii_serialization());
            ours.map_or(true, |ours| ours != origin)
        }
        None => false,
    }
}

/// A signed-in person (of the console's web session).
pub(crate) struct Session {
    pub(crate) secret: String,
    pub(crate) user: UserWithEnterprise,
    pub(crate) auth_time: i64,
}

/// The person the browser's session cookie names, if any and active.
pub(crate) async fn web_session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let secret = session_secret(headers)?;
    let (user, expires_at) = state.core.web_session(secret).await.ok()?;
    user.user.active.then(|| Session {
        secret: secret.to_owned(),
        user,
        auth_time: expires_at - WEB_SESSION_SECS,
    })
}

/// A signed-in person who may answer for this app (a member of its enterprise).
async fn signed_in(state: &AppState, headers: &HeaderMap, consent: &Consent) -> Option<Session> {
    web_session(state, headers)
        .await
        .filter(|session| session.user.user.enterprise_id == consent.enterprise_id)
}

/// The answer to the app at `redirect_uri`: `pairs`, then its `state` and our `iss` (RFC 9207)
/// added to the URI's query.
fn answer_app(state: &AppState, redirect_uri: &str, pairs: &[(&str, &str)], client_state: Option<&str>) -> Response {
    let location = url::Url::parse(redirect_uri).ok().and_then(|mut url| {
        {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(pairs);
            if let Some(client_state) = client_state {
                query.append_pair("state", client_state);
            }
            query.append_pair("iss", &state.public_url);
        }
        HeaderValue::from_str(url.as_str()).ok()
    });
    let Some(location) = location else {
        return error_page(StatusCode::BAD_REQUEST, "The app's redirect URI is not usable.");
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(LOCATION, location);
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refuse(state: &AppState, refusal: AuthorizeRefusal) -> Response {
    match refusal {
        AuthorizeRefusal::Page(message) => error_page(StatusCode::BAD_REQUEST, &message),
        AuthorizeRefusal::Redirect {
            redirect_uri,
            error,
            description,
            state: client_state,
        } => answer_app(
            state,
            &redirect_uri,
            &[("error", error), ("error_description", &description)],
            client_state.as_deref(),
        ),
    }
}

/// Sends the code to the app, or (an app without a redirect URI) shows it to hand over.
fn deliver_code(state: &AppState, consent: &Consent, code: &str) -> Response {
    match &consent.redirect_uri {
        Some(redirect_uri) => answer_app(state, redirect_uri, &[("code", code)], consent.state.as_deref()),
        None => {
            let mut body = String::new();
            let _ = write!(
                body,
                "<h1>Authorization code</h1><p>Copy this code into {}:</p><p><code id=\"code\">{}</code></p>\
                 <p class=\"muted\">It works once, within two minutes.</p>",
                escape(&consent.app_name),
                escape(code)
            );
            html(StatusCode::OK, "Authorization code", &body)
        }
    }
}

fn hidden_fields(parameters: &HashMap<String, String>) -> String {
    let mut fields = String::new();
    for name in REQUEST_FIELDS {
        if let Some(value) = parameters.get(name) {
            let _ = write!(
                fields,
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            );
        }
    }
    fields
}

fn sign_in_page(parameters: &HashMap<String, String>, consent: &Consent, problem: Option<&str>) -> Response {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Sign in</h1><p><strong>{}</strong> wants to use your openpan account.</p>",
        escape(&consent.app_name)
    );
    if let Some(problem) = problem {
        let _ = write!(body, "<p class=\"problem\" role=\"alert\">{}</p>", escape(problem));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/oauth/authorize\">{}\
         <input type=\"hidden\" name=\"action\" value=\"login\">\
         {LOGIN_FIELDS}</form>",
        hidden_fields(parameters)
    );
    let status = if problem.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    html(status, "Sign in", &body)
}

fn consent_page(
    state: &AppState,
    parameters: &HashMap<String, String>,
    consent: &Consent,
    session: &Session,
) -> Response {
    let user = &session.user.user;
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Allow {}?</h1><p>Signed in as <strong>{}</strong> ({}) of {}.</p><p>{} asks to:</p><ul id=\"scopes\">",
        escape(&consent.app_name),
        escape(&user.name),
        escape(user.login()),
        escape(&session.user.enterprise.name),
        escape(&consent.app_name),
    );
    body.push_str(&scope_items(consent.scopes));
    body.push_str("</ul>");
    if let Some(redirect_uri) = &consent.redirect_uri
        && let Ok(url) = url::Url::parse(redirect_uri)
    {
        let _ = write!(
            body,
            "<p class=\"muted\">You will be sent back to {}.</p>",
            escape(url.host_str().unwrap_or(url.scheme()))
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/oauth/authorize\">{}\
         <input type=\"hidden\" name=\"form_token\" value=\"{}\">\
         <button type=\"submit\" name=\"action\" value=\"approve\">Allow</button> \
         <button type=\"submit\" name=\"action\" value=\"deny\" class=\"secondary\">Deny</button></form>",
        hidden_fields(parameters),
        state.core.form_token(&session.secret)
    );
    html(StatusCode::OK, "Allow access", &body)
}

/// The sign-in form's fields and button.
pub(crate) const LOGIN_FIELDS: &str = "<label>Email or phone<input name=\"login\" autocomplete=\"username\" required \
    autofocus></label><label>Password<input name=\"password\" type=\"password\" \
    autocomplete=\"current-password\" required></label><button type=\"submit\">Sign in</button>";

/// The list items of what a person is asked to allow.
pub(crate) fn scope_items(scopes: openpan_core::scope::Scopes) -> String {
    let mut items = String::new();
    for scope in scopes.iter() {
        let _ = write!(
            items,
            "<li data-scope=\"{}\">{}</li>",
            scope.as_str(),
            escape(scope.description())
        );
    }
    items
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    html(
        status,
        "Cannot continue",
        &format!(
            "<h1>Cannot continue</h1><p class=\"problem\" role=\"alert\">{}</p>",
            escape(message)
        ),
    )
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1d2733}\
h1{font-size:1.4rem}label{display:block;margin:.8rem 0}input{display:block;width:100%;padding:.5rem;\
box-sizing:border-box;font:inherit}button{padding:.5rem 1.2rem;font:inherit;background:#1f6feb;color:#fff;\
border:0;border-radius:4px}button.secondary{background:#6e7781}.problem{color:#b42318}.muted{color:#6e7781}\
code{font-size:1.1rem;word-break:break-all}";

pub(crate) fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · openpan</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    );
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Nothing loads from elsewhere, and no other site may frame the page to trick a click.
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// The authorization server's metadata (OpenID Connect Discovery, RFC 8414; also at
/// `/.well-known/oauth-authorization-server`).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oauth", security(()),
    responses((status = 200, description = "Issuer, endpoints, grants, scopes and algorithms", body = Object)))]
pub async fn discovery(State(state): State<AppState>) -> Json<Value> {
    let issuer = state.public_url.to_string();
    let endpoint = |path: &str| format!("{issuer}{path}");
    let client_auth = ["client_secret_basic", "client_secret_post", "none"];
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": endpoint("/oauth/authorize"),
        "token_endpoint": endpoint("/oauth/token"),
        "userinfo_endpoint": endpoint("/oauth/userinfo"),
        "jwks_uri": endpoint("/oauth/jwks"),
        "revocation_endpoint": endpoint("/oauth/revoke"),
        "device_authorization_endpoint": endpoint("/oauth/device_authorization"),
        "introspection_endpoint": endpoint("/oauth/introspect"),
        "scopes_supported": ALL_SCOPES.map(Scope::as_str),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": crate::oauth::GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "at_hash",
            "name", "preferred_username", "email", "email_verified", "phone_number",
            "phone_number_verified", "enterprise_id"
        ],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    }))
}

/// The keys ID tokens are signed with, as a JWK set (also at `/.well-known/jwks.json`).
#[utoipa::path(get, path = "/oauth/jwks", tag = "oauth", security(()),
    responses((status = 200, description = "`{\"keys\": [...]}`", body = Object),
        (status = 503, description = "The keys cannot be read now")))]
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.core.jwks().await {
        Ok(keys) => {
            let mut response = Json(keys).into_response();
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
            response
        }
        Err(err) => {
            tracing::error!(error = ?err, "publishing the signing keys failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": "temporarily_unavailable"})),
            )
                .into_response()
        }
    }
}

/// The signed-in user's claims (OpenID Connect §5.3), for a token that carries `openid`.
#[utoipa::path(method(get, post), path = "/oauth/userinfo", tag = "oauth",
    responses((status = 200, description = "`sub` and the claims the scopes allow", body = Object),
        (status = 401, description = "No token, or not an active one (`WWW-Authenticate` says which)"),
        (status = 403, description = "The token lacks `openid`")))]
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = crate::ratelimit::bearer_token(&headers) else {
        return bearer_error(StatusCode::UNAUTHORIZED, "Bearer realm=\"openpan\"");
    };
    let principal = match state.core.authenticate_bearer(token).await {
        Ok(principal) => principal,
        Err(Error::InvalidToken) => {
            return bearer_error(
                StatusCode::UNAUTHORIZED,
                "Bearer realm=\"openpan\", error=\"invalid_token\"",
            );
        }
        Err(err) => return unavailable(err),
    };
    match state.core.userinfo(&principal).await {
        Ok(claims) => {
            let mut response = Json(Value::Object(claims)).into_response();
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(Error::PermissionDenied) => bearer_error(
            StatusCode::FORBIDDEN,
            "Bearer realm=\"openpan\", error=\"insufficient_scope\", scope=\"openid\"",
        ),
        Err(Error::InvalidToken) => bearer_error(
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"openpan\", error=\"invalid_token\"",
        ),
        Err(err) => unavailable(err),
    }
}

fn bearer_error(status: StatusCode, challenge: &'static str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    response
}

fn unavailable(err: Error) -> Response {
    tracing::error!(error = ?err, "userinfo failed");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}

//! The `/api/v2` and `/api/v1` gate: authenticate the bearer token, charge the rate-limit
//! budgets, check the token's scope against the path, refuse writes of an enterprise whose plan
//! has ended, and stamp `X-Rate-Limit-*` on whatever the answer is.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use openpan_core::Error;
use openpan_core::auth::{Principal, PrincipalKind};
use openpan_core::ratelimit::{Quota, RateDecision};
use openpan_core::scope::{Scope, Scopes};
use openpan_types::ErrorCode;

use crate::AppState;
use crate::error::{ApiError, error_chain};

/// How long a request waits for the limiter before it is let through.
const LIMITER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// API classes with their own budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiClass {
    Default,
    Upload,
    Search,
    Ai,
}

impl ApiClass {
    /// Uploads (new files and versions), searches and the knowledge bases are costly and get
    /// their own budgets.
    pub fn of(path: &str) -> Self {
        if path.contains("/knowledge/") {
            ApiClass::Ai
        } else if path.contains("/upload") || path.contains("new_version") {
            ApiClass::Upload
        } else if path.contains("search") {
            ApiClass::Search
        } else {
            ApiClass::Default
        }
    }

    fn key(self) -> &'static str {
        match self {
            ApiClass::Default => "default",
            ApiClass::Upload => "upload",
            ApiClass::Search => "search",
            ApiClass::Ai => "ai",
        }
    }
}

/// Budgets of one class.
#[derive(Debug, Clone, Copy)]
pub struct ClassLimits {
    /// Shared by every token of one app.
    pub per_app: Quota,
    /// Shared by every token of one user, across apps.
    pub per_user: Quota,
    /// For requests without a valid token, per client address.
    pub per_ip: Quota,
}

/// What the operator configured.
#[derive(Debug, Clone)]
pub struct RateLimitPolicy {
    pub default: ClassLimits,
    pub upload: ClassLimits,
    pub search: ClassLimits,
    pub ai: ClassLimits,
    /// `POST /oauth/token` requests per client address, charged before the client is checked.
    pub token_per_ip: Quota,
}

impl RateLimitPolicy {
    fn limits(&self, class: ApiClass) -> ClassLimits {
        match class {
            ApiClass::Default => self.default,
            ApiClass::Upload => self.upload,
            ApiClass::Search => self.search,
            ApiClass::Ai => self.ai,
        }
    }
}

pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// On `/api/v2`, `/admin/` paths take enterprise tokens only, every other path user tokens
/// only, and a share link's visitors reach only the reading paths.
/// A token with finer scopes reaches the part of its kind's paths they name.
fn scope_allows(principal: &Principal, method: &Method, path: &str, api: Api) -> bool {
    let admin_path = path.contains("/admin/");
    let scopes = principal.scopes();
    if api == Api::V1 {
        // The older dialect's modules mix reads, writes and administration: only the seed's
        // whole scopes reach it.
        return match principal.kind() {
            PrincipalKind::User { .. } => scopes.contains(Scope::All),
            PrincipalKind::EnterpriseAdmin { .. } => scopes.contains(Scope::Admin),
            _ => false,
        };
    }
    match principal.kind() {
        PrincipalKind::EnterpriseAdmin { .. } => admin_path && scopes.grants(admin_scope(path)),
        PrincipalKind::User { .. } if principal.root().is_some() => embed_path(method, path, scopes),
        PrincipalKind::User { .. } => {
            let needed = if is_write(method, path) {
                Scope::FilesWrite
            } else {
                Scope::FilesRead
            };
            !admin_path && scopes.grants(needed)
        }
        PrincipalKind::Visitor { .. } => visitor_path(method, path),
        PrincipalKind::Operator => false,
    }
}

/// The scope an administration path needs: its area's, or the whole `admin` for the rest
/// (enterprise settings).
fn admin_scope(path: &str) -> Scope {
    let area = path
        .split_once("/admin/")
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
        .unwrap_or_default();
    match area {
        // Login links sign in as any user: that is the whole of every user's access.
        "user" if path.ends_with("/get_login_url") || path.ends_with("/get_login_params") => Scope::Admin,
        "user" | "department" | "group" | "platform" => Scope::AdminUsers,
        "log" | "events" => Scope::AdminAudit,
        "app" => Scope::AdminApps,
        _ => Scope::Admin,
    }
}

/// The segments of an `/api/v2` path. The gate sits inside the `/api/v2` router, which may
/// hand it the path without the prefix.
fn api_parts(path: &str) -> Vec<&str> {
    let rest = path.strip_prefix("/api/v2").unwrap_or(path);
    rest.trim_start_matches('/').split('/').collect()
}

/// What a share link opens to its visitors: the link's own info (what it opens), the info of
/// its items, a folder's children, a file's previews and download URL.
fn visitor_path(method: &Method, path: &str) -> bool {
    if method != Method::GET {
        return false;
    }
    match api_parts(path).as_slice() {
        ["share_link", _, "info"] => true,
        ["folder", id, "info" | "children"]
        | [
            "file",
            id,
            "info" | "info_v2" | "download" | "download_v2" | "preview" | "preview_download" | "thumbnail",
        ] => id.parse::<i64>().is_ok(),
        _ => false,
    }
}

/// What an embedded component's token (confined to one item) reaches: listing and reading
/// items, previews, and with its scopes downloads and uploads; nothing else (no search, no
/// sharing, no changes beyond adding files).
fn embed_path(method: &Method, path: &str, scopes: Scopes) -> bool {
    let parts = api_parts(path);
    let reads = scopes.contains(Scope::ItemPreview) || scopes.contains(Scope::ItemDownload);
    let numbered = |id: &str| id.parse::<i64>().is_ok();
    match (method, parts.as_slice()) {
        (&Method::GET, ["folder", id, "info" | "children"]) => numbered(id),
        (
            &Method::GET,
            [
                "file",
                id,
                "info" | "info_v2" | "preview" | "preview_download" | "thumbnail",
            ],
        ) => reads && numbered(id),
        (&Method::POST, ["file", "preview_token"]) => reads,
        (&Method::GET, ["file", id, "download" | "download_v2"]) => {
            scopes.contains(Scope::ItemDownload) && numbered(id)
        }
        (&Method::POST, ["file", "upload" | "upload_v2"]) => scopes.contains(Scope::ItemUpload),
        _ => false,
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

impl AppState {
    pub(crate) async fn charge(
        &self,
        class: ApiClass,
        principal: Option<&Principal>,
        peer: Option<SocketAddr>,
    ) -> RateDecision {
        let limits = self.rate_limits.limits(class);
        let class_key = class.key();
        let mut budgets: Vec<(String, Quota)> = Vec::with_capacity(2);
        if let Some(principal) = principal {
            if let Some(app_id) = principal.app_id() {
                budgets.push((format!("{class_key}:app:{app_id}"), limits.per_app));
            }
            if let Some(user_id) = principal.user_id() {
                budgets.push((format!("{class_key}:user:{user_id}"), limits.per_user));
            }
        }
        // Callers without a token, and share link visitors, are counted by address.
        if budgets.is_empty() {
            budgets.push((format!("{class_key}:ip:{}", peer_ip(peer)), limits.per_ip));
        }
        self.charge_budgets(budgets).await
    }

    /// The token endpoint's budget: per client address, charged before any credential check.
    pub(crate) async fn charge_token_endpoint(&self, peer: Option<SocketAddr>) -> RateDecision {
        let budget = (format!("token:ip:{}", peer_ip(peer)), self.rate_limits.token_per_ip);
        self.charge_budgets(vec![budget]).await
    }

    /// Takes one unit from each budget; reports the tighter outcome.
    async fn charge_budgets(&self, budgets: Vec<(String, Quota)>) -> RateDecision {
        let mut combined: Option<RateDecision> = None;
        for (key, quota) in budgets {
            let checked = tokio::time::timeout(LIMITER_PATIENCE, self.limiter.check(&key, quota)).await;
            let decision = match checked {
                Ok(Ok(decision)) => decision,
                failed => {
                    // Fail open: losing the limiter must not take the API down with it.
                    match failed {
                        Ok(Err(err)) => {
                            tracing::warn!(error = %error_chain(&err), "rate limiter unavailable; request let through")
                        }
                        _ => tracing::warn!("rate limiter timed out; request let through"),
                    }
                    RateDecision {
                        allowed: true,
                        limit: quota.limit,
                        remaining: quota.limit,
                        reset_secs: 0,
                        retry_after_secs: 0,
                    }
                }
            };
            combined = Some(match combined {
                Some(previous) => previous.tighter(decision),
                None => decision,
            });
        }
        combined.unwrap_or(RateDecision {
            allowed: true,
            limit: 0,
            remaining: 0,
            reset_secs: 0,
            retry_after_secs: 0,
        })
    }
}

fn peer_ip(peer: Option<SocketAddr>) -> String {
    peer.map(|addr| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The `X-Rate-Limit-*` headers of a decision.
pub(crate) fn stamp(headers: &mut HeaderMap, decision: &RateDecision) {
    headers.insert("x-rate-limit-limit", HeaderValue::from(decision.limit));
    headers.insert("x-rate-limit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("x-rate-limit-reset", HeaderValue::from(decision.reset_secs));
}

/// Which API a gate guards: their paths differ in what each kind of token may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V2,
    /// `/api/v1`: every module takes user and enterprise tokens alike; the services decide
    /// what each may do.
    V1,
}

/// Reading requests that are POSTs (their parameters do not fit a query string).
fn reads_by_post(path: &str) -> bool {
    path.contains("/admin/log/")
        || path.ends_with("/file/pack_download")
        || path.ends_with("/file/preview_token")
        || path.ends_with("/get_file_manager_info")
        || path.contains("/knowledge/")
            && [
                "get_data_info",
                "list_data",
                "list_train_file",
                "list_data_segment",
                "list_data_qa",
                "data_match_test",
                "get_gpt_info",
                "list_square_gpt",
            ]
            .iter()
            .any(|call| path.ends_with(&format!("/knowledge/{call}")))
}

/// Changes made by GET, as the platform document defines them.
fn writes_by_get(path: &str) -> bool {
    path.contains("/review/complete/")
}

/// Whether a request changes something, which an enterprise whose plan has ended may not.
/// Upload URLs carry no token and are checked when they commit.
fn is_write(method: &Method, path: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        writes_by_get(path)
    } else {
        !reads_by_post(path)
    }
}

pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    guard(state, request, next, Api::V2).await
}

pub async fn gate_v1(State(state): State<AppState>, request: Request, next: Next) -> Response {
    guard(state, request, next, Api::V1).await
}

async fn guard(state: AppState, mut request: Request, next: Next, api: Api) -> Response {
    let path = request.uri().path().to_owned();
    let class = ApiClass::of(&path);
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let headers = request.headers();
    let link =
        header_text(headers, "share-link-token").filter(|_| api == Api::V2 && visitor_path(request.method(), &path));
    let (authenticated, decision) = match (link, bearer_token(headers)) {
        (Some(link), token) => {
            // Visitors are counted by address before the link and its password are checked, so
            // a flood of guesses stops here instead of at the database.
            let decision = state.charge(class, None, peer).await;
            let authenticated = if !decision.allowed {
                Err(Error::Unauthenticated)
            } else {
                let user = match token {
                    Some(token) => Some(state.core.authenticate_bearer(token).await),
                    None => None,
                };
                match user {
                    Some(Err(err)) => Err(err),
                    // A token that may not read files does not read them through a link either.
                    Some(Ok(user)) if !user.scopes().grants(Scope::FilesRead) => Err(Error::PermissionDenied),
                    user => {
                        let code = header_text(headers, "share-link-verification-code");
                        let user = user.and_then(Result::ok);
                        state
                            .core
                            .authenticate_visitor(link, code, user.as_ref(), &peer_ip(peer))
                            .await
                    }
                }
            };
            (authenticated, decision)
        }
        (None, token) => {
            let authenticated = match token {
                None => Err(Error::Unauthenticated),
                Some(token) => state.core.authenticate_bearer(token).await,
            };
            let decision = state.charge(class, authenticated.as_ref().ok(), peer).await;
            (authenticated, decision)
        }
    };
    let mut response = if !decision.allowed {
        ApiError {
            code: ErrorCode::RateLimit,
            fields: Vec::new(),
            retry_after: Some(decision.retry_after_secs),
        }
        .into_response()
    } else {
        match authenticated {
            Err(err) => ApiError::from(err).into_response(),
            Ok(principal) if !scope_allows(&principal, request.method(), &path, api) => {
                ApiError::new(ErrorCode::PermissionDenied).into_response()
            }
            Ok(principal) => {
                let writable = if is_write(request.method(), &path) {
                    state.core.ensure_writable(&principal).await
                } else {
                    Ok(())
                };
                match writable {
                    Err(err) => ApiError::from(err).into_response(),
                    Ok(()) => {
                        request.extensions_mut().insert(principal);
                        next.run(request).await
                    }
                }
            }
        }
    };
    stamp(response.headers_mut(), &decision);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_link_visitors_reach_only_the_reading_paths() {
        for path in [
            "/api/v2/folder/1/info",
            "/folder/1/children",
            "/file/2/download",
            "/file/2/info_v2",
            "/share_link/abc/info",
        ] {
            assert!(visitor_path(&Method::GET, path), "{path}");
        }
        for path in [
            "/folder/1/download",
            "/file/2/children",
            "/file/x/info",
            "/user/info",
            "/folder/1/delete",
            "/share_link/abc/update",
        ] {
            assert!(!visitor_path(&Method::GET, path), "{path}");
        }
        assert!(!visitor_path(&Method::POST, "/folder/1/info"));
    }

    #[test]
    fn writes_are_told_from_reads_by_the_documented_exceptions() {
        assert!(is_write(&Method::POST, "/folder/create"));
        assert!(is_write(&Method::GET, "/review/complete/7"));
        assert!(!is_write(&Method::GET, "/folder/0/children"));
        assert!(!is_write(&Method::POST, "/admin/log/log_list"));
        assert!(!is_write(&Method::POST, "/file/pack_download"));
        assert!(!is_write(&Method::POST, "/admin/platform/3/get_file_manager_info"));
    }

    #[test]
    fn uploads_and_searches_have_their_own_class() {
        assert_eq!(ApiClass::of("/api/v2/file/upload_v2"), ApiClass::Upload);
        assert_eq!(ApiClass::of("/api/v2/file/1/new_version_v2"), ApiClass::Upload);
        assert_eq!(ApiClass::of("/api/v2/item/search"), ApiClass::Search);
        assert_eq!(ApiClass::of("/api/v2/knowledge/data_match_test"), ApiClass::Ai);
        assert_eq!(ApiClass::of("/api/v2/knowledge/chatStream"), ApiClass::Ai);
        assert_eq!(ApiClass::of("/api/v2/folder/0/info"), ApiClass::Default);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive_and_required() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
    }
}

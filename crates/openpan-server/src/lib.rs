//! The HTTP face of openpan: the `/api/v2` platform with its envelope, scopes and rate limits,
//! the OAuth2 token endpoint, the other dialects (the auth service's `/apis/rest`, the OA
//! dialect's token paths), and health, readiness and metrics endpoints.
//!
//! Handlers reach storage only through `openpan_core` services; this crate must never depend
//! on the database, blob or rate-limit backend crates — `crates/openpan` wires those in.

mod api;
mod auth_service;
mod authorize;
mod context;
mod convert;
mod device;
mod drain;
mod error;
mod extract;
#[doc(hidden)]
pub mod fuzzing;
mod idempotency;
pub mod listing_cache;
mod metrics;
mod oa;
mod oauth;
pub mod openapi;
mod pages;
pub mod ratelimit;
mod transfer;
mod v1;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get, post};
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use openpan_core::ports::HealthCheck;
use openpan_core::ratelimit::RateLimiter;
use openpan_core::services::Core;

pub use error::ApiError;
pub use extract::{JsonBody, Params, lenient_i64};
pub use metrics::{Metrics, metered_blobs};
pub use ratelimit::{ClassLimits, RateLimitPolicy};

/// Everything a handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub limiter: Arc<dyn RateLimiter>,
    pub rate_limits: Arc<RateLimitPolicy>,
    pub health: Arc<Vec<Arc<dyn HealthCheck>>>,
    pub metrics: metrics::SharedMetrics,
    /// How clients reach this node, for the upload and download URLs it hands out.
    pub public_url: Arc<str>,
    /// Rendered folder pages (see [`listing_cache`]).
    pub listings: Arc<listing_cache::ListingCache>,
    /// Moves whenever this node records events, so event-feed readers waiting on it wake
    /// (readers also poll, for other nodes' events).
    pub events: tokio::sync::watch::Sender<u64>,
    /// When this node started (epoch seconds), for the status page.
    pub started_at: i64,
}

/// HTTP settings the router needs.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body `/api/v2` accepts.
    pub max_body_bytes: usize,
    /// How clients reach this node (`http://host:port`, no trailing slash).
    pub public_url: String,
    /// Bytes of rendered folder pages kept for repeated listings; 0 renders every one.
    pub listing_cache_bytes: u64,
    /// Load balancers trusted to name the client in `X-Forwarded-For`.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl AppState {
    pub fn new(
        core: Core,
        limiter: Arc<dyn RateLimiter>,
        rate_limits: RateLimitPolicy,
        health: Vec<Arc<dyn HealthCheck>>,
    ) -> Self {
        Self {
            limiter,
            rate_limits: Arc::new(rate_limits),
            health: Arc::new(health),
            metrics: Arc::new(metrics::Metrics::default()),
            public_url: Arc::from(""),
            listings: Arc::new(listing_cache::ListingCache::default()),
            events: tokio::sync::watch::Sender::new(0),
            started_at: core.now(),
            core,
        }
    }
}

/// The server's name, for a quick look that it answers; a browser gets the web console.
#[utoipa::path(get, path = "/", tag = "operations", security(()),
    responses((status = 200, body = Object, description = "`{\"name\":\"openpan\",\"status\":\"ok\"}`, or the console's page when HTML is accepted")))]
async fn root(headers: axum::http::HeaderMap) -> axum::response::Response {
    if pages::wants_page(&headers) {
        return pages::console();
    }
    axum::Json(serde_json::json!({ "name": "openpan", "status": "ok" })).into_response()
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "`ok`", content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database and the blob store answer. A configured Redis that does not answer
/// is named (`ready; degraded: redis`) but leaves the node ready, on its own rate limits.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "`ready`, or `ready; degraded: …` naming optional stores that do not answer", content_type = "text/plain"),
        (status = 503, description = "Which store does not answer", content_type = "text/plain")))]
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let mut degraded = Vec::new();
    for check in state.health.iter() {
        if !probe(check.as_ref()).await.0 {
            if check.required() {
                return (StatusCode::SERVICE_UNAVAILABLE, format!("{} unavailable", check.name()));
            }
            degraded.push(check.name());
        }
    }
    if degraded.is_empty() {
        (StatusCode::OK, "ready".to_owned())
    } else {
        (StatusCode::OK, format!("ready; degraded: {}", degraded.join(", ")))
    }
}

/// Whether a store answers within two seconds, and how long it took to tell.
pub(crate) async fn probe(check: &dyn HealthCheck) -> (bool, std::time::Duration) {
    let started = std::time::Instant::now();
    let healthy = tokio::time::timeout(std::time::Duration::from_secs(2), check.is_healthy()).await;
    (healthy.unwrap_or(false), started.elapsed())
}

/// Unknown paths outside `/api/v2` answer the same envelope as inside it.
async fn unknown_route(request: Request) -> axum::response::Response {
    context::envelope_for(&request, ApiError::new(openpan_types::ErrorCode::ApiNotFound))
}

async fn wrong_method(request: Request) -> axum::response::Response {
    context::envelope_for(&request, ApiError::new(openpan_types::ErrorCode::MethodNotAllowed))
}

/// The whole application router.
pub fn router(mut state: AppState, settings: &HttpSettings) -> Router {
    state.public_url = Arc::from(settings.public_url.trim_end_matches('/'));
    state.listings = Arc::new(listing_cache::ListingCache::new(settings.listing_cache_bytes));
    let api_v2 = api::routes(state.clone())
        .layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::gate))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(context::with_envelope));
    let (form_upload, _) = form_upload_routes().split_for_parts();
    let api_v1 = v1::routes()
        .layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::gate_v1))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(context::with_envelope));
    let (outside, _) = outside_api().split_for_parts();
    let outside = outside_twins()
        .into_iter()
        .fold(outside, |router, (twin, _, handler)| router.route(twin, handler));
    Router::new()
        .merge(outside)
        .merge(openapi::routes())
        .merge(pages::routes())
        .merge(auth_service::routes())
        .merge(oa::routes())
        .nest("/api/v2", api_v2)
        .nest("/api/v1", api_v1)
        .merge(form_upload)
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record))
        .layer(axum::middleware::from_fn(drain::unread_body))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(context::with_context))
        .layer(axum::middleware::from_fn_with_state(
            Arc::<[ipnet::IpNet]>::from(settings.trusted_proxies.clone()),
            context::forwarded_client,
        ))
        .with_state(state)
}

/// The described routes outside `/api/v2` (see `openapi`): operations, OAuth and OpenID
/// Connect, the console's session, and the transfer URLs.
pub(crate) fn outside_api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics::render))
        .routes(routes!(oauth::token))
        .routes(routes!(oauth::revoke))
        .routes(routes!(oauth::introspect))
        .routes(routes!(oauth::device_authorization))
        .routes(routes!(device::page))
        .routes(routes!(authorize::authorize))
        .routes(routes!(authorize::jwks))
        .routes(routes!(authorize::userinfo))
        .routes(routes!(authorize::discovery))
        .merge(web_routes())
        .merge(transfer_routes())
}

/// A browser posts here with an upload token in its form, not a bearer token: outside the
/// gate, and without the body limit (it carries a whole file).
pub(crate) fn form_upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(v1::file::upload))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(context::with_envelope))
}

/// Second paths of described operations outside `/api/v2`, as `api::twins()` is for it.
pub(crate) fn outside_twins() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("/oauth/token/revoke", "/oauth/revoke", post(oauth::revoke)),
        ("/.well-known/jwks.json", "/oauth/jwks", get(authorize::jwks)),
        (
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
            get(authorize::discovery),
        ),
    ]
}

/// Browser sign-in and the console's session; failures answer the platform envelope.
fn web_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(web::sso_login))
        .routes(routes!(web::session))
        .routes(routes!(web::logout))
        .routes(routes!(web::login))
        .routes(routes!(web::token))
        .routes(routes!(api::preview::info))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(context::with_envelope))
}

/// The upload and download URLs, which are their own credentials.
fn transfer_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            transfer::upload,
            transfer::resumable_status,
            transfer::abort_resumable
        ))
        .routes(routes!(transfer::put_part))
        .routes(routes!(transfer::commit_resumable))
        .routes(routes!(transfer::download))
        .routes(routes!(transfer::converted))
        .routes(routes!(transfer::pack))
        .routes(routes!(api::preview::part))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(context::with_transfer_errors))
}

const DOCS_INDEX: &str = "/docs/";

/// Collapses repeated slashes and drops a trailing one, before routing: the Java SDK asks for
/// `/api/v2/file//preview_token`.
fn normalize_path(mut request: Request) -> Request {
    let uri = request.uri();
    let path = uri.path();
    // The docs page lives at `/docs/` (its assets are relative to it); `/docs` sends there.
    if path == DOCS_INDEX || (!path.contains("//") && (path.len() <= 1 || !path.ends_with('/'))) {
        return request;
    }
    let mut normalized = String::with_capacity(path.len());
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        normalized.push('/');
        normalized.push_str(segment);
    }
    if normalized.is_empty() {
        normalized.push('/');
    }
    if let Some(query) = uri.query() {
        normalized.push('?');
        normalized.push_str(query);
    }
    let mut parts = uri.clone().into_parts();
    if let Ok(path_and_query) = normalized.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(new_uri) = Uri::from_parts(parts) {
            *request.uri_mut() = new_uri;
        }
    }
    request
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = tower::util::MapRequestLayer::new(normalize_path).layer(router);
    let make_service =
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<std::net::SocketAddr>(service);
    axum::serve(listener, make_service)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_and_trailing_slashes_are_folded() {
        let request = |uri: &str| Request::builder().uri(uri).body(axum::body::Body::empty()).unwrap();
        assert_eq!(
            normalize_path(request("/api/v2/file//preview_token?a=1")).uri(),
            "/api/v2/file/preview_token?a=1"
        );
        assert_eq!(
            normalize_path(request("/api/v2/folder/0/info/")).uri(),
            "/api/v2/folder/0/info"
        );
        assert_eq!(normalize_path(request("/")).uri(), "/");
    }
}

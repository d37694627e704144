//! The web console's pages and the viewer, built from `web/` into `web/dist` and embedded in
//! the binary, so `openpan serve` needs no Node.js (the built pages are committed).
//!
//! Pages get a content security policy that allows only this origin's scripts, styles and
//! frames; hashed assets are cached for good, pages never.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use crate::AppState;

#[derive(RustEmbed)]
#[folder = "../../web/dist/"]
struct Built;

/// What the pages may load: only this origin's scripts and styles, pictures and media from
/// here (and `blob:` for local previews), frames of this origin (the viewer, a PDF). Who may
/// frame them follows (`frame-ancestors`).
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
    media-src 'self' blob:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'self'";

/// The embeddable components: the file picker, the uploader and the previewer.
const COMPONENTS: [&str; 3] = ["picker", "uploader", "previewer"];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/{*file}", get(asset))
        .route("/embed/{component}", get(embed))
        .route("/preview/preview.html", get(|| async { page("preview/preview.html") }))
        .route("/console", get(|| async { page("index.html") }))
        // A share link's page; the name is read by the page's script (and checked by the API).
        .route("/share/{name}", get(|| async { page("share.html") }))
}

/// Whether a request for `/` comes from a browser (which gets the console, not the JSON).
pub(crate) fn wants_page(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The console's start page.
pub(crate) fn console() -> Response {
    page("index.html")
}

/// An embeddable component's page, which the sites of the app named by `client_id` (the
/// origins of its registered redirect URIs) may frame; other sites may not.
async fn embed(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(component): Path<String>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !COMPONENTS.contains(&component.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let sites = match query.get("client_id") {
        Some(client_id) => state.core.embedding_sites(client_id).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let mut origins: Vec<String> = sites
        .iter()
        .filter_map(|site| url::Url::parse(site).ok())
        .filter(|site| matches!(site.scheme(), "http" | "https"))
        .map(|site| site.origin().ascii_serialization())
        // Only plain origins: a host the URL parser lets through with `*`, `,`, `;` or quotes
        // would widen or break the policy.
        .filter(|origin| {
            origin
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '/' | '[' | ']'))
        })
        .collect();
    origins.sort();
    origins.dedup();
    let ancestors = std::iter::once("'self'".to_owned())
        .chain(origins)
        .collect::<Vec<_>>()
        .join(" ");
    let policy = PAGE_POLICY.replace("frame-ancestors 'self'", &format!("frame-ancestors {ancestors}"));
    let mut response = page("embed.html");
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.headers_mut().insert(CONTENT_SECURITY_POLICY, value);
    }
    response
}

fn page(path: &str) -> Response {
    let Some(file) = Built::get(path) else {
        return (
            StatusCode::NOT_FOUND,
            "the console was not built (npm run build --prefix web)",
        )
            .into_response();
    };
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY)),
            (
                axum::http::header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        file.data,
    )
        .into_response()
}

async fn asset(Path(file): Path<String>) -> Response {
    let Some(found) = Built::get(&format!("assets/{file}")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let media = HeaderValue::from_str(found.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (CONTENT_TYPE, media),
            // Asset names carry a hash of their content.
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        found.data,
    )
        .into_response()
}

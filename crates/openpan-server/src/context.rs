//! Per-request context: the request id and the language of messages.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use openpan_types::Lang;

use crate::error::{render_envelope, render_transfer_error};

/// Set on every request before anything else runs.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub lang: Lang,
}

impl RequestContext {
    fn from_request(request: &Request) -> Self {
        // A trusted balancer's id for the request, so its logs and ours name it alike.
        let forwarded_id = request
            .extensions()
            .get::<TrustedForward>()
            .and_then(|_| request.headers().get("x-request-id"))
            .and_then(|value| value.to_str().ok())
            .filter(|id| {
                (8..=64).contains(&id.len())
                    && id
                        .bytes()
                        .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
            });
        Self {
            request_id: forwarded_id
                .map(str::to_owned)
                .unwrap_or_else(openpan_core::secrets::random_uuid_like),
            lang: lang_of(request),
        }
    }
}

/// Marks a request that came through a trusted load balancer.
#[derive(Debug, Clone, Copy)]
struct TrustedForward;

/// Outermost layer: a request from a trusted load balancer is treated as coming from the
/// client it names in `X-Forwarded-For`. The header is read from the right, where each trusted
/// proxy appended the address it saw: the first address that is not itself a trusted proxy is
/// the client (anything left of it could be written by anyone). An entry that cannot be read
/// stops the walk at the last good one; a chain of trusted proxies only names its leftmost good
/// hop. The peer's address stays when the peer is not trusted or the header names no one.
pub async fn forwarded_client(
    axum::extract::State(trusted): axum::extract::State<std::sync::Arc<[ipnet::IpNet]>>,
    mut request: Request,
    next: Next,
) -> Response {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0);
    if let Some(peer) = peer.filter(|peer| is_trusted(&peer.ip().to_canonical())) {
        request.extensions_mut().insert(TrustedForward);
        // From the right: the last header line, its last entry, onwards. A value that is not
        // text counts as an unreadable entry.
        let mut client = None;
        'walk: for value in request.headers().get_all("x-forwarded-for").iter().rev() {
            let Ok(text) = value.to_str() else {
                break;
            };
            for entry in text.rsplit(',') {
                let Some(ip) = forwarded_address(entry.trim()) else {
                    break 'walk;
                };
                client = Some(ip);
                if !is_trusted(&ip) {
                    break 'walk;
                }
            }
        }
        if let Some(client) = client {
            request
                .extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                    client,
                    peer.port(),
                )));
        }
    }
    next.run(request).await
}

/// An address as proxies write them: bare, or with a port (`[v6]:port` for IPv6).
fn forwarded_address(entry: &str) -> Option<std::net::IpAddr> {
    entry
        .parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|addr| addr.ip()))
        .map(|ip| ip.to_canonical())
}

/// English for `Accept-Language: en…` (first preference) or `lang=en…` in the query; the
/// platform's Chinese otherwise.
fn lang_of(request: &Request) -> Lang {
    let from_query = request.uri().query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "lang")
            .map(|(_, value)| value.into_owned())
    });
    let from_header = || {
        request
            .headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(|first| first.trim().to_owned())
    };
    match from_query.or_else(from_header) {
        Some(tag) if tag.to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// Outermost layer: assigns the request id, runs the request in a span that carries it, echoes
/// it as `X-Request-Id`, and logs the answer (target `openpan::access`).
///
/// The route logged is the matched template (`/upload/{upload_id}/{secret}`), never the path
/// itself: upload and download URLs carry their credentials in the path.
pub async fn with_context(mut request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let context = RequestContext::from_request(&request);
    request.extensions_mut().insert(context.clone());
    let origin = audit_origin(&request);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "-".to_owned());
    let span = tracing::info_span!("request", request_id = %context.request_id, %method, %route);
    let mut response =
        openpan_core::audit::scope(origin, tracing::Instrument::instrument(next.run(request), span)).await;
    tracing::info!(
        target: "openpan::access",
        request_id = %context.request_id,
        %method,
        %route,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "answered"
    );
    if let Ok(value) = HeaderValue::from_str(&context.request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Where the changes this request makes come from, for the audit log: the peer's address,
/// its user agent, and which door it came in by.
fn audit_origin(request: &Request) -> openpan_core::audit::Origin {
    let ip = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_default();
    let user_agent = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|agent| agent.chars().take(512).collect())
        .unwrap_or_default();
    let path = request.uri().path();
    let service = if path.starts_with("/api/") {
        "开放平台"
    } else if path.starts_with("/upload/") || path.starts_with("/download/") || path.starts_with("/pack/") {
        "上传下载"
    } else {
        "网页"
    };
    openpan_core::audit::Origin {
        ip,
        user_agent,
        service: service.to_owned(),
    }
}

/// Renders `error` as the envelope for this request.
pub fn envelope_for(request: &Request, error: crate::error::ApiError) -> Response {
    let context = request
        .extensions()
        .get::<RequestContext>()
        .cloned()
        .unwrap_or_else(|| RequestContext::from_request(request));
    render_envelope(&context, axum::response::IntoResponse::into_response(error))
}

/// The `/api/v2` error layer: every non-2xx answer becomes the platform envelope.
pub async fn with_envelope(request: Request, next: Next) -> Response {
    render_with(request, next, render_envelope).await
}

async fn render_with(request: Request, next: Next, render: fn(&RequestContext, Response) -> Response) -> Response {
    let context = request
        .extensions()
        .get::<RequestContext>()
        .cloned()
        .unwrap_or_else(|| RequestContext::from_request(&request));
    let response = next.run(request).await;
    render(&context, response)
}

/// The error layer of the upload and download URLs: failures answer the transfer-host shape
/// (`errors` as a string) that the SDKs parse there.
pub async fn with_transfer_errors(request: Request, next: Next) -> Response {
    render_with(request, next, render_transfer_error).await
}

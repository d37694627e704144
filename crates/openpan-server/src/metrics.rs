//! Prometheus metrics: request counts and latency by method, status class and API family.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    status: String,
    family: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FamilyLabels {
    family: String,
}

/// The registry and the metrics the HTTP layer records.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<FamilyLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("openpan");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<FamilyLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 14))
        });
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
        }
    }
}

/// The first path segment group: `api_v2`, `oauth`, `health`, or `other`.
fn family(path: &str) -> &'static str {
    if path.starts_with("/api/v2") {
        "api_v2"
    } else if path.starts_with("/oauth") {
        "oauth"
    } else if matches!(path, "/" | "/healthz" | "/readyz" | "/metrics") {
        "health"
    } else {
        "other"
    }
}

pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let family = family(request.uri().path()).to_owned();
    let response = next.run(request).await;
    let metrics = &state.metrics;
    let status = format!("{}xx", response.status().as_u16() / 100);
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            status,
            family: family.clone(),
        })
        .inc();
    metrics
        .latency
        .get_or_create(&FamilyLabels { family })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Prometheus metrics: requests by route and status, latencies, and the stores' health.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "The Prometheus text format", content_type = "application/openmetrics-text")))]
pub async fn render(State(state): State<AppState>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &state.metrics.registry) {
        Ok(()) => (
            [(
                "content-type",
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub type SharedMetrics = Arc<Metrics>;

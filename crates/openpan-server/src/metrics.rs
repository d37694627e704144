//! Prometheus metrics: request counts and latency by method, status class and API family;
//! blob store latency by operation; and, read when scraped, the database pools' occupancy and
//! the background jobs' queues.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use openpan_core::blob::{BlobError, BlobListing, BlobStore, ByteRange, ByteStream};
use openpan_core::ports::OpsGauges;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BlobLabels {
    op: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: &'static str,
}

/// The registry and the metrics the node records.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<FamilyLabels, Histogram>,
    blob_latency: Family<BlobLabels, Histogram>,
    db_connections: Family<PoolLabels, Gauge>,
    job_queue: Family<QueueLabels, Gauge>,
    gauges: OnceLock<Arc<dyn OpsGauges>>,
    /// When the gauges were last read; a refresh in flight holds the lock, so scrapes (which
    /// anyone may send) never run more than one database read at a time, nor more than one in
    /// `GAUGE_EVERY`.
    gauges_read_at: tokio::sync::Mutex<Option<Instant>>,
}

/// How old the pool and queue gauges may be, and how long their reading may take.
const GAUGE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
const GAUGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("openpan");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<FamilyLabels, Histogram>::new_with_constructor(latency_histogram);
        let blob_latency = Family::<BlobLabels, Histogram>::new_with_constructor(latency_histogram);
        let db_connections = Family::<PoolLabels, Gauge>::default();
        let job_queue = Family::<QueueLabels, Gauge>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        registry.register(
            "blob_operation_duration_seconds",
            "Time the blob store takes: put (receiving and storing the body), get (until the \
             bytes start), delete, list (until the listing starts)",
            blob_latency.clone(),
        );
        registry.register(
            "db_connections",
            "Database connections of this node: open (busy and idle), idle, and the pool's maximum",
            db_connections.clone(),
        );
        registry.register(
            "job_queue_depth",
            "Work waiting for the background jobs of all nodes",
            job_queue.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            blob_latency,
            db_connections,
            job_queue,
            gauges: OnceLock::new(),
            gauges_read_at: tokio::sync::Mutex::new(None),
        }
    }
}

impl Metrics {
    /// Where scrapes read the pools and queues from (set once, when the node is wired).
    pub fn read_gauges_from(&self, gauges: Arc<dyn OpsGauges>) {
        let _ = self.gauges.set(gauges);
    }

    async fn refresh_gauges(&self) {
        let Some(gauges) = self.gauges.get() else {
            return;
        };
        let Ok(mut read_at) = self.gauges_read_at.try_lock() else {
            return; // another scrape is reading them
        };
        if read_at.is_some_and(|at| at.elapsed() < GAUGE_EVERY) {
            return;
        }
        *read_at = Some(Instant::now());
        // A slow database must not hold up the request metrics; its gauges are dropped instead.
        let sample = tokio::time::timeout(GAUGE_TIMEOUT, gauges.sample())
            .await
            .unwrap_or_default();
        self.db_connections.clear();
        self.job_queue.clear();
        for pool in sample.pools {
            for (state, value) in [("open", pool.open), ("idle", pool.idle), ("max", pool.max)] {
                self.db_connections
                    .get_or_create(&PoolLabels { pool: pool.pool, state })
                    .set(i64::from(value));
            }
        }
        for (queue, depth) in sample.queues {
            self.job_queue.get_or_create(&QueueLabels { queue }).set(depth);
        }
    }

    fn observe_blob<T>(&self, op: &'static str, started: Instant, result: &Result<T, BlobError>) {
        let outcome = match result {
            // A missing object is an answer, not the store failing.
            Ok(_) | Err(BlobError::NotFound) => "ok",
            // The bytes stopped coming (the client went away or sent too little) or were cut off
            // at a size or quota limit. The store is fine, and an alert on store errors must
            // not fire for it.
            Err(BlobError::Body(_)) => "aborted",
            Err(BlobError::Store(_)) => "error",
        };
        self.blob_latency
            .get_or_create(&BlobLabels { op, outcome })
            .observe(started.elapsed().as_secs_f64());
    }
}

/// `store`, timing each operation into `metrics`.
pub fn metered_blobs(metrics: Arc<Metrics>, store: Arc<dyn BlobStore>) -> Arc<dyn BlobStore> {
    Arc::new(MeteredBlobs { metrics, store })
}

struct MeteredBlobs {
    metrics: Arc<Metrics>,
    store: Arc<dyn BlobStore>,
}

#[async_trait::async_trait]
impl BlobStore for MeteredBlobs {
    fn name(&self) -> &'static str {
        self.store.name()
    }

    async fn put(&self, key: &str, body: ByteStream) -> Result<u64, BlobError> {
        let started = Instant::now();
        let stored = self.store.put(key, body).await;
        self.metrics.observe_blob("put", started, &stored);
        stored
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        let started = Instant::now();
        let opened = self.store.get(key, range).await;
        self.metrics.observe_blob("get", started, &opened);
        opened
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let started = Instant::now();
        let deleted = self.store.delete(key).await;
        self.metrics.observe_blob("delete", started, &deleted);
        deleted
    }

    async fn sweep_partial(&self, older_than_secs: u64) -> Result<u64, BlobError> {
        self.store.sweep_partial(older_than_secs).await
    }

    async fn is_healthy(&self) -> bool {
        self.store.is_healthy().await
    }

    async fn list(&self) -> Result<BlobListing, BlobError> {
        let started = Instant::now();
        let listed = self.store.list().await;
        self.metrics.observe_blob("list", started, &listed);
        listed
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
    state.metrics.refresh_gauges().await;
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

//! Wiring: the only place that chooses implementations (database engine by URL scheme, rate
//! limiter by whether Redis is configured) and hands them to core and the HTTP layer.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use health::HealthAdapter;

use openpan_blob::{LocalBlobStore, S3BlobStore, S3Settings};
use openpan_core::blob::BlobStore;
use openpan_core::clock::Clock;
use openpan_core::ports::{HealthCheck, Repo};
use openpan_core::ratelimit::{Quota, RateLimiter};
use openpan_core::secrets::SecretKey;
use openpan_core::services::{Core, NoticeSettings, SmsSettings};
use openpan_db::SqlRepo;
use openpan_ratelimit::{FailoverRateLimiter, MemoryRateLimiter};
use openpan_search::SearchEngine;
use openpan_server::{AppState, HttpSettings};

use crate::config::{Config, StorageTarget};

/// Everything built from a config, before any socket is bound.
pub struct Wired {
    pub core: Core,
    pub repo: Arc<SqlRepo>,
    pub search: SearchEngine,
    pub state: AppState,
    /// Woken when this node records a notice.
    pub notice_wake: Arc<tokio::sync::Notify>,
}

/// Opens storage (migrating it), the rate limiter and the secret key, and builds the services.
pub async fn wire(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Wired> {
    prepare_dir(&config.data_dir, "data_dir")?;
    let metrics = Arc::new(openpan_server::Metrics::default());
    let blobs = openpan_server::metered_blobs(metrics.clone(), open_blob_store(config).await?);
    let key = load_secret_key(config)?;
    let database_url = config.database_url();
    let repo = SqlRepo::connect(
        &database_url,
        config.database_max_connections,
        Duration::from_millis(config.database_acquire_timeout_ms),
    )
    .await
    .with_context(|| format!("database_url: cannot open {}", crate::config::redact_url(&database_url)))?;
    repo.migrate().await.context("database_url: migrations failed")?;
    let repo = Arc::new(repo);
    let mut health: Vec<Arc<dyn HealthCheck>> = vec![
        Arc::new(HealthAdapter::Database(repo.clone())),
        Arc::new(HealthAdapter::Blobs(blobs.clone())),
    ];
    let limiter: Arc<dyn RateLimiter> = match &config.redis_url {
        Some(url) => {
            let limiter = FailoverRateLimiter::start(url, &format!("{}rl:", config.redis_key_prefix))
                .await
                .with_context(|| format!("redis_url: {}", crate::config::redact_url(url)))?;
            let limiter = Arc::new(limiter);
            health.push(Arc::new(HealthAdapter::Redis(limiter.clone())));
            limiter
        }
        None => Arc::new(MemoryRateLimiter::new()),
    };
    let search_dir = config.data_dir.join("search");
    let search = SearchEngine::new(
        &search_dir,
        repo.clone() as Arc<dyn Repo>,
        blobs.clone(),
        Duration::from_millis(config.search_wait_ms),
    );
    let core = Core::new(
        repo.clone() as Arc<dyn Repo>,
        blobs,
        Arc::new(search.clone()),
        clock,
        key,
    );
    let gateway: Option<Arc<dyn openpan_core::sms::SmsGateway>> = match &config.sms.http_url {
        Some(url) => Some(Arc::new(
            crate::sms::HttpSmsGateway::new(url.clone(), config.sms.http_token.clone())
                .context("sms.http_url: cannot build the HTTP client")?,
        )),
        None => None,
    };
    let core = core.with_sms(SmsSettings {
        gateway,
        limiter: limiter.clone(),
        per_phone: Quota {
            limit: config.sms.per_phone_per_hour,
            period_secs: 3600,
        },
        per_app: Quota {
            limit: config.sms.per_app_per_hour,
            period_secs: 3600,
        },
    });
    let notice_wake = Arc::new(tokio::sync::Notify::new());
    let events = tokio::sync::watch::Sender::new(0u64);
    let core = core.with_converter(Arc::new(crate::convert::Converters::new(&config.preview)));
    let embedder: Option<Arc<dyn openpan_core::knowledge::Embedder>> = match &config.ai.embedding {
        Some(embedding) => Some(crate::ai::embedder(embedding).context("ai.embedding")?),
        None => None,
    };
    let knowledge = openpan_search::KnowledgeIndex::new(repo.clone() as Arc<dyn Repo>, embedder)
        .map_err(|err| anyhow::anyhow!("cannot build the knowledge index: {err}"))?;
    let core = core.with_knowledge(Arc::new(knowledge));
    let core = if config.ai.chat.is_empty() {
        core
    } else {
        let models =
            crate::ai::OpenAiChat::new(config.ai.chat.clone()).context("ai.chat: cannot build the HTTP client")?;
        core.with_chat_models(Arc::new(models))
    };
    let core = core.with_notices(NoticeSettings {
        sender: Arc::new(
            crate::sms::HttpNoticeSender::new(config.notice_allow_internal)
                .context("cannot build the notice HTTP client")?,
        ),
        wake: {
            let wake = notice_wake.clone();
            Arc::new(move || wake.notify_one())
        },
        events_recorded: {
            let events = events.clone();
            Arc::new(move || events.send_modify(|count| *count = count.wrapping_add(1)))
        },
    });
    let mut state = AppState::new(core.clone(), limiter, config.rate_limit_policy(), health);
    state.events = events;
    metrics.read_gauges_from(Arc::new(health::RepoGauges(repo.clone())));
    state.metrics = metrics;
    Ok(Wired {
        core,
        repo,
        search,
        state,
        notice_wake,
    })
}

/// The blob store `storage` names. A local store is swept first of the partial writes of nodes
/// that are gone (left by a crash); other live nodes' uploads in flight stay.
pub async fn open_blob_store(config: &Config) -> anyhow::Result<Arc<dyn BlobStore>> {
    let store: Arc<dyn BlobStore> = match config.storage_target()? {
        StorageTarget::Local(dir) => {
            prepare_dir(&dir, "storage_dir")?;
            let store =
                LocalBlobStore::open(&dir).with_context(|| format!("storage_dir: cannot open {}", dir.display()))?;
            let swept = store
                .sweep_partial(config.blob_grace_secs)
                .await
                .context("storage_dir: cannot sweep partial writes")?;
            if swept > 0 {
                tracing::info!(swept, "removed partial writes left by an earlier crash");
            }
            Arc::new(store)
        }
        StorageTarget::S3 { bucket, prefix } => {
            let settings = S3Settings {
                bucket: bucket.clone(),
                prefix,
                endpoint: config.s3.endpoint.clone(),
                region: config.s3.region.clone(),
                access_key_id: config.s3.access_key_id.clone(),
                secret_access_key: config.s3.secret_access_key.clone(),
                virtual_host_style: config.s3.virtual_host_style,
            };
            let store = S3BlobStore::new(&settings).context("s3: invalid settings")?;
            if !store.is_healthy().await {
                bail!("storage: bucket {bucket} does not answer (check s3.endpoint and the credentials)");
            }
            Arc::new(store)
        }
    };
    Ok(store)
}

fn prepare_dir(dir: &Path, setting: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{setting}: cannot create {}", dir.display()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").with_context(|| format!("{setting}: {} is not writable", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// The key from `secret_key`, `secret_key_file`, or `<data_dir>/secret.key` (made on first use).
fn load_secret_key(config: &Config) -> anyhow::Result<SecretKey> {
    let (material, setting) = secret_material(config)?;
    SecretKey::from_material(material.as_bytes())
        .with_context(|| format!("{setting}: the secret key must be at least 32 bytes"))
}

/// The secret key's text and the setting it comes from; a key is made in the data dir when
/// no setting names one.
pub(crate) fn secret_material(config: &Config) -> anyhow::Result<(String, &'static str)> {
    Ok(if let Some(key) = &config.secret_key {
        (key.trim().to_owned(), "secret_key")
    } else {
        let (path, setting) = match &config.secret_key_file {
            Some(path) => (path.clone(), "secret_key_file"),
            None => (config.data_dir.join("secret.key"), "data_dir"),
        };
        if !path.exists() && config.secret_key_file.is_none() {
            write_private(&path, &SecretKey::generate_material())
                .with_context(|| format!("{setting}: cannot create {}", path.display()))?;
        }
        check_private(&path, setting)?;
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("{setting}: cannot read {}", path.display()))?;
        (text.trim_end_matches(['\n', '\r']).to_owned(), setting)
    })
}

#[cfg(unix)]
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// A key file others can read is refused: it would let them forge nothing, but verify guesses.
#[cfg(unix)]
fn check_private(path: &Path, setting: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("{setting}: cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        bail!(
            "{setting}: {} is readable by group or others (mode {:o}); chmod 600 it",
            path.display(),
            mode & 0o777
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &str) -> anyhow::Result<()> {
    Ok(())
}

/// A bound, wired server, ready to run.
pub struct Server {
    pub listener: tokio::net::TcpListener,
    pub local_addr: SocketAddr,
    pub public_url: String,
    pub wired: Wired,
    http: HttpSettings,
    auth_cache_refresh: Option<Duration>,
    blob_grace_secs: i64,
    audit_retention_days: i64,
    search_catch_up: Option<Duration>,
    notice_poll: Duration,
    train_poll: Duration,
}

impl Server {
    /// Wires everything and binds the listener; nothing is served until [`Server::run`].
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let wired = wire(config, clock).await?;
        let addr = config.listen_addr()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listen: cannot bind {addr}"))?;
        let local_addr = listener.local_addr()?;
        let public_url = config.public_url(local_addr);
        let auth_cache_refresh =
            (config.auth_cache_refresh_ms > 0).then(|| Duration::from_millis(config.auth_cache_refresh_ms));
        let http = HttpSettings {
            max_body_bytes: config.max_body_bytes,
            public_url: public_url.clone(),
            listing_cache_bytes: config.listing_cache_mb.saturating_mul(1024 * 1024),
            trusted_proxies: config.trusted_proxy_nets()?,
        };
        Ok(Self {
            listener,
            local_addr,
            public_url,
            wired,
            http,
            auth_cache_refresh,
            blob_grace_secs: i64::try_from(config.blob_grace_secs).unwrap_or(i64::MAX),
            audit_retention_days: i64::try_from(config.audit_retention_days).unwrap_or(i64::MAX),
            notice_poll: Duration::from_millis(config.notice_poll_ms.max(10)),
            train_poll: Duration::from_millis(config.train_poll_ms.max(10)),
            search_catch_up: (config.search_catch_up_secs > 0)
                .then(|| Duration::from_secs(config.search_catch_up_secs)),
        })
    }

    /// Serves until `shutdown` resolves, purging expired tokens and watching for revocations in
    /// the background.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let router = openpan_server::router(self.wired.state.clone(), &self.http);
        let purger = tokio::spawn(purge_expired_forever(
            self.wired.repo.clone(),
            self.wired.core.clock().clone(),
        ));
        let watcher = self.auth_cache_refresh.map(|every| {
            tokio::spawn(watch_revocations(
                self.wired.core.clone(),
                self.wired.repo.clone(),
                every,
            ))
        });
        let collector = tokio::spawn(collect_garbage_forever(
            self.wired.core.clone(),
            self.blob_grace_secs,
            self.audit_retention_days,
        ));
        let notices = tokio::spawn(deliver_notices_forever(
            self.wired.core.clone(),
            self.wired.notice_wake.clone(),
            self.notice_poll,
        ));
        let webhooks = tokio::spawn(deliver_webhooks_forever(
            self.wired.core.clone(),
            self.wired.state.events.subscribe(),
            self.notice_poll,
        ));
        let trainer = tokio::spawn(train_forever(self.wired.core.clone(), self.train_poll));
        let indexer = self
            .search_catch_up
            .map(|every| self.wired.search.spawn_background(every));
        let result = openpan_server::serve(self.listener, router, shutdown).await;
        if let Some(indexer) = indexer {
            indexer.abort();
        }
        purger.abort();
        trainer.abort();
        collector.abort();
        notices.abort();
        webhooks.abort();
        if let Some(watcher) = watcher {
            watcher.abort();
        }
        self.wired.repo.close().await;
        result.context("server failed")
    }
}

/// Keeps the token-check cache honest: revocations made by other nodes or the admin CLI bump
/// the database's revocation epoch, and this notices within one period, or at once when the
/// database tells (PostgreSQL). Each round also reports the epoch this node serves from, which
/// the revoking node waits for.
async fn watch_revocations(core: openpan_core::services::Core, repo: Arc<SqlRepo>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut notices = repo.revocation_notices().await;
    // A poll slower than this is given up on, so a stalled database cannot leave stale entries
    // trusted; the cache stays suspended until a poll succeeds. (The cache also stops trusting
    // itself 2.5 s after its last report, whatever this loop does.)
    let patience = Duration::from_secs(1);
    loop {
        match &mut notices {
            Some(notices) => {
                tokio::select! {
                    _ = interval.tick() => {}
                    () = notices.next() => {}
                }
            }
            None => {
                interval.tick().await;
            }
        }
        match tokio::time::timeout(patience, core.sync_revocations()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = ?err, "reading the revocation epoch failed; token-check cache suspended")
            }
            Err(_) => {
                core.suspend_cache();
                tracing::warn!("reading the revocation epoch timed out; token-check cache suspended");
            }
        }
    }
}

/// Removes blobs nothing refers to, what abandoned uploads left, day-old idempotency keys and
/// audit events past retention, every few minutes.
async fn collect_garbage_forever(core: openpan_core::services::Core, grace_secs: i64, audit_retention_days: i64) {
    let every = Duration::from_secs(u64::try_from(grace_secs / 4).unwrap_or(0).clamp(1, 300));
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match core.collect_garbage(grace_secs).await {
            Ok(report) if report != Default::default() => tracing::info!(?report, "collected garbage"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "collecting garbage failed"),
        }
        match core.purge_notices_and_form_uploads(grace_secs).await {
            Ok(purged) if purged > 0 => tracing::info!(purged, "removed old notices and expired upload tokens"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "removing old notices and upload tokens failed"),
        }
        match core.purge_webhook_history().await {
            Ok(purged) if purged > 0 => tracing::info!(purged, "removed month-old events and delivery attempts"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "removing old events and delivery attempts failed"),
        }
        if let Err(err) = core.purge_idempotency_keys().await {
            tracing::warn!(error = ?err, "purging old idempotency keys failed");
        }
        match core.purge_audit_events(audit_retention_days).await {
            Ok(purged) if purged > 0 => tracing::info!(purged, "removed audit events past retention"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "removing old audit events failed"),
        }
    }
}

/// Sends due notices to apps' callback addresses: at once when this node records one, and
/// every `poll` for retries and notices other nodes recorded.
async fn deliver_notices_forever(core: Core, wake: Arc<tokio::sync::Notify>, poll: Duration) {
    loop {
        if let Err(err) = core.deliver_due_notices().await {
            tracing::warn!(error = ?err, "delivering notices failed");
        }
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}

/// Delivers the event log to apps' webhooks: at once when this node records events, and every
/// `poll` for retries and other nodes' events.
async fn deliver_webhooks_forever(core: Core, mut recorded: tokio::sync::watch::Receiver<u64>, poll: Duration) {
    loop {
        recorded.mark_unchanged();
        if let Err(err) = core.deliver_webhooks().await {
            tracing::warn!(error = ?err, "delivering webhooks failed");
        }
        if let Ok(Err(_)) = tokio::time::timeout(poll, recorded.changed()).await {
            // Nothing records events any more (shutting down): poll only.
            tokio::time::sleep(poll).await;
        }
    }
}

/// Trains the knowledge bases' due files, a few at a time, while there are any; then looks
/// again every `poll`. Every node runs one: jobs are claimed with leases, so each runs once.
/// Every tenth look it also follows the drive (new versions, trashed files), a scan of every
/// trained file.
async fn train_forever(core: Core, poll: Duration) {
    let mut looks = 0u32;
    loop {
        if looks.is_multiple_of(10)
            && let Err(err) = core.follow_trained_files().await
        {
            tracing::warn!(error = ?err, "following trained files failed");
        }
        looks = looks.wrapping_add(1);
        match core.train_due_files().await {
            Ok(0) => tokio::time::sleep(poll).await,
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(error = ?err, "training knowledge files failed");
                tokio::time::sleep(poll).await;
            }
        }
    }
}

async fn purge_expired_forever(repo: Arc<SqlRepo>, clock: Arc<dyn Clock>) {
    use openpan_core::ports::{SessionRepo, TokenRepo};
    let mut interval = tokio::time::interval(Duration::from_secs(600));
    loop {
        interval.tick().await;
        match repo.purge_expired(clock.now()).await {
            Ok(purged) if purged > 0 => tracing::info!(purged, "purged expired tokens"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "purging expired tokens failed"),
        }
        match repo
            .purge_sessions(clock.now(), openpan_core::services::EXPIRED_TOKEN_MEMORY_SECS)
            .await
        {
            Ok(purged) if purged > 0 => tracing::info!(purged, "purged expired login tickets and web sessions"),
            Ok(_) => {}
            Err(err) => tracing::warn!(error = ?err, "purging expired web sessions failed"),
        }
    }
}

mod health {
    //! Health checks over the concrete backends.
    use std::sync::Arc;

    use openpan_core::ports::{HealthCheck, OpsGauges, OpsSample};

    /// The database's pools and the job queues it holds, for `/metrics`.
    pub struct RepoGauges(pub Arc<openpan_db::SqlRepo>);

    #[async_trait::async_trait]
    impl OpsGauges for RepoGauges {
        async fn sample(&self) -> OpsSample {
            let queues = match self.0.queue_depths().await {
                Ok(queues) => queues,
                Err(err) => {
                    tracing::debug!(error = %err, "cannot read the job queues");
                    Vec::new()
                }
            };
            OpsSample {
                pools: self.0.pool_samples(),
                queues,
            }
        }
    }

    pub enum HealthAdapter {
        Database(Arc<openpan_db::SqlRepo>),
        Redis(Arc<openpan_ratelimit::FailoverRateLimiter>),
        Blobs(Arc<dyn openpan_core::blob::BlobStore>),
    }

    #[async_trait::async_trait]
    impl HealthCheck for HealthAdapter {
        fn name(&self) -> &'static str {
            match self {
                HealthAdapter::Database(_) => "database",
                HealthAdapter::Redis(_) => "redis",
                HealthAdapter::Blobs(store) => store.name(),
            }
        }

        fn required(&self) -> bool {
            // Without Redis each node keeps its own rate limits and serves on.
            !matches!(self, HealthAdapter::Redis(_))
        }

        async fn is_healthy(&self) -> bool {
            match self {
                HealthAdapter::Database(repo) => repo.ping().await,
                HealthAdapter::Redis(redis) => redis.ping().await,
                HealthAdapter::Blobs(store) => store.is_healthy().await,
            }
        }
    }
}

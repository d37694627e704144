//! The typed configuration: defaults, then an optional TOML file, then `OPENPAN_*` variables
//! (`__` nests: `OPENPAN_RATE_LIMIT__DEFAULT__PER_APP`). Parsed once here and handed down.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use openpan_core::ratelimit::Quota;
use openpan_server::{ClassLimits, RateLimitPolicy};

/// Budgets of one API class; each applies per `period_secs`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClassConfig {
    pub per_app: u32,
    pub per_user: u32,
    pub per_ip: u32,
    pub period_secs: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub default: ClassConfig,
    pub upload: ClassConfig,
    pub search: ClassConfig,
    /// The knowledge bases (`/knowledge/…`): retrieval and answers cost far more than a read.
    pub ai: ClassConfig,
    pub token: TokenEndpointConfig,
}

/// `POST /oauth/token` requests allowed per client address and period.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TokenEndpointConfig {
    pub per_ip: u32,
    pub period_secs: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            default: ClassConfig {
                per_app: 30_000,
                per_user: 3_000,
                per_ip: 600,
                period_secs: 60,
            },
            upload: ClassConfig {
                per_app: 3_000,
                per_user: 300,
                per_ip: 60,
                period_secs: 60,
            },
            search: ClassConfig {
                per_app: 6_000,
                per_user: 600,
                per_ip: 60,
                period_secs: 60,
            },
            ai: ClassConfig {
                per_app: 1_200,
                per_user: 120,
                per_ip: 20,
                period_secs: 60,
            },
            // Tokens last six hours; an integration server minting them for many users at
            // once stays far below this, a credential-guessing loop does not.
            token: TokenEndpointConfig {
                per_ip: 6_000,
                period_secs: 60,
            },
        }
    }
}

/// How to reach an S3 bucket (`storage = "s3://bucket/prefix"`).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `https://s3.<region>.amazonaws.com` or an S3-compatible server; AWS's when unset.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `bucket.host` addressing instead of `host/bucket`.
    pub virtual_host_style: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "***"))
            .field("virtual_host_style", &self.virtual_host_style)
            .finish()
    }
}

/// How the `/api/v1` SMS module sends messages: to an HTTP gateway when `http_url` is set,
/// else into the outbox administrators list. Budgets are per hour.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// Receives `POST {"message_id", "enterprise_id", "phone", "text"}` as JSON; a 2xx answer
    /// means accepted (its JSON `id`, if any, is recorded).
    pub http_url: Option<String>,
    /// Sent as `Authorization: Bearer …` to the gateway.
    pub http_token: Option<String>,
    /// Messages to one number per hour.
    pub per_phone_per_hour: u32,
    /// Messages from one app per hour.
    pub per_app_per_hour: u32,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            http_url: None,
            http_token: None,
            per_phone_per_hour: 10,
            per_app_per_hour: 1000,
        }
    }
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("http_url", &self.http_url.as_deref().map(redact_url))
            .field("http_token", &self.http_token.as_ref().map(|_| "***"))
            .field("per_phone_per_hour", &self.per_phone_per_hour)
            .field("per_app_per_hour", &self.per_app_per_hour)
            .finish()
    }
}

/// The knowledge bases' models. None configured (the default): retrieval is full-text only
/// and answers are the knowledge's own words; nothing is fetched from anywhere.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AiConfig {
    /// OpenAI-compatible chat models, by the `gpt_type` names they answer for; the first is
    /// the default.
    pub chat: Vec<ChatModelConfig>,
    /// An embedding model, for dense retrieval beside full-text: an OpenAI-compatible
    /// endpoint, or a static-embedding model file run in process.
    pub embedding: Option<EmbeddingConfig>,
}

/// A chat model behind an OpenAI-compatible `/chat/completions`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ChatModelConfig {
    /// The `gpt_type` it answers for (`360GPT`, `Doubao`, or any name of the operator's).
    pub name: String,
    /// Up to the version, e.g. `https://api.example.com/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …`.
    #[serde(default)]
    pub api_key: Option<String>,
    /// The model asked for.
    pub model: String,
}

impl std::fmt::Debug for ChatModelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatModelConfig")
            .field("name", &self.name)
            .field("base_url", &redact_url(&self.base_url))
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .finish()
    }
}

/// An embedding model: either behind an OpenAI-compatible `/embeddings` (`base_url`), or a
/// Model2Vec static-embedding model in a folder on this machine (`model_dir`), which needs no
/// network at all. Exactly one of the two is set.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// Up to the version, e.g. `https://api.example.com/v1`.
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub api_key: Option<String>,
    /// The model asked for at `base_url` (required there). For a `model_dir`, the name its
    /// vectors are stored under; by default the folder's name, the vectors' dimension and the
    /// weights' size, so that another model put in its place has every passage embedded again.
    #[serde(default)]
    pub model: Option<String>,
    /// A folder holding `config.json`, `model.safetensors` and `tokenizer.json` of a Model2Vec
    /// model (for Chinese and English, for example `potion-multilingual-128M`), copied there by
    /// the operator; nothing is ever downloaded.
    #[serde(default)]
    pub model_dir: Option<std::path::PathBuf>,
    /// The cosine similarity from which a passage counts as close in meaning to a question
    /// (a chat answer may then draw on it whatever its words); in thousandths, 0–1000.
    #[serde(default = "default_min_similarity")]
    pub min_similarity_permille: u16,
}

fn default_min_similarity() -> u16 {
    500
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            api_key: None,
            model: None,
            model_dir: None,
            min_similarity_permille: default_min_similarity(),
        }
    }
}

impl std::fmt::Debug for EmbeddingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingConfig")
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .field("model_dir", &self.model_dir)
            .field("min_similarity_permille", &self.min_similarity_permille)
            .finish()
    }
}

/// How previews are made: LibreOffice for office documents, poppler's `pdftoppm` for PDF
/// thumbnails. A program that is not found leaves its previews unavailable, never the server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct PreviewConfig {
    /// LibreOffice's `soffice`; looked up on `PATH` when unset.
    pub soffice: Option<PathBuf>,
    /// poppler's `pdftoppm`; looked up on `PATH` when unset.
    pub pdftoppm: Option<PathBuf>,
    /// LibreOffice processes that may run at once on this node.
    pub workers: usize,
    /// Seconds one conversion may take before it is killed.
    pub timeout_secs: u64,
    /// Office documents larger than this many MiB are not converted.
    pub max_office_mb: u64,
}

impl Default for PreviewConfig {
    fn default() -> Self {
        Self {
            soffice: None,
            pdftoppm: None,
            workers: 2,
            timeout_secs: 120,
            max_office_mb: 100,
        }
    }
}

/// Where file contents go, parsed from `storage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageTarget {
    /// A directory on this machine.
    Local(PathBuf),
    /// A bucket and a key prefix in it.
    S3 { bucket: String, prefix: String },
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: String,
    /// How clients reach this node; `http://` + `listen` when unset.
    pub public_url: Option<String>,
    /// `sqlite:…` or `postgres://…`; a SQLite file in the data dir when unset.
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    /// How long a request waits for a database connection before it is answered 503 with
    /// `Retry-After` (an outage, or every connection busy).
    pub database_acquire_timeout_ms: u64,
    /// Shared rate limits across nodes when set.
    pub redis_url: Option<String>,
    /// Prefix of every key openpan writes to Redis, so deployments can share a server.
    pub redis_key_prefix: String,
    /// Load balancers whose `X-Forwarded-For` names the client (addresses or networks, comma
    /// separated, e.g. `10.0.0.0/8, 127.0.0.1`). Behind one, the client's address (for
    /// per-address limits, login lockouts and the audit log) is the last forwarded address not
    /// itself a trusted proxy; anyone else's header is ignored. Empty: the peer's address.
    pub trusted_proxies: String,
    /// Key for hashing secrets; every node of a deployment needs the same one. Read from
    /// `secret_key_file`, else `<data_dir>/secret.key` (created on first start).
    pub secret_key: Option<String>,
    pub secret_key_file: Option<PathBuf>,
    pub max_body_bytes: usize,
    /// How often (ms) this node checks for revocations made elsewhere, which bounds how long a
    /// revoked token keeps working on other nodes. 0 turns the token-check cache off.
    pub auth_cache_refresh_ms: u64,
    /// `local` (a directory, `storage_dir`) or `s3://bucket[/prefix]` (with the `s3` settings).
    pub storage: String,
    /// Directory for local blobs; `<data_dir>/blobs` when unset.
    pub storage_dir: Option<PathBuf>,
    pub s3: S3Config,
    /// Seconds unreferenced bytes and abandoned uploads are kept before the collector removes
    /// them; a download that started just before a file was purged has this long to finish
    /// opening its bytes.
    pub blob_grace_secs: u64,
    /// MiB of rendered folder pages each node keeps for repeated listings; 0 turns it off.
    pub listing_cache_mb: u64,
    /// Days audit events are kept (the log APIs reach back 90 of them).
    pub audit_retention_days: u64,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line, the
    /// request id on every line of a request) for log collectors. `RUST_LOG` picks the levels.
    pub log_format: String,
    /// Seconds between the search index's rounds of catching up with every space; 0 leaves it
    /// to searches (each catches up the spaces it covers first).
    pub search_catch_up_secs: u64,
    /// Milliseconds a search waits for its spaces to be caught up before answering from what
    /// the index already holds.
    pub search_wait_ms: u64,
    /// Milliseconds between a node's looks for due notices (retries, and ones other nodes
    /// recorded); a node sends the ones it records at once.
    pub notice_poll_ms: u64,
    /// Milliseconds between the knowledge trainer's looks for files to train (its own node's
    /// new tasks, other nodes' tasks, files whose content changed).
    pub train_poll_ms: u64,
    /// Whether notices may go to loopback, private and link-local addresses. Off: an
    /// enterprise administrator's callback address cannot reach into this host's network.
    pub notice_allow_internal: bool,
    pub rate_limit: RateLimitConfig,
    pub sms: SmsConfig,
    pub preview: PreviewConfig,
    pub ai: AiConfig,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("redis_key_prefix", &self.redis_key_prefix)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("secret_key_file", &self.secret_key_file)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("auth_cache_refresh_ms", &self.auth_cache_refresh_ms)
            .field("storage", &self.storage)
            .field("storage_dir", &self.storage_dir)
            .field("s3", &self.s3)
            .field("blob_grace_secs", &self.blob_grace_secs)
            .field("listing_cache_mb", &self.listing_cache_mb)
            .field("audit_retention_days", &self.audit_retention_days)
            .field("log_format", &self.log_format)
            .field("search_catch_up_secs", &self.search_catch_up_secs)
            .field("search_wait_ms", &self.search_wait_ms)
            .field("notice_poll_ms", &self.notice_poll_ms)
            .field("train_poll_ms", &self.train_poll_ms)
            .field("notice_allow_internal", &self.notice_allow_internal)
            .field("rate_limit", &self.rate_limit)
            .field("sms", &self.sms)
            .field("preview", &self.preview)
            .field("ai", &self.ai)
            .finish()
    }
}

/// Hides the password of a URL for logs.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => raw.to_owned(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./openpan-data"),
            listen: "127.0.0.1:8080".to_owned(),
            public_url: None,
            database_url: None,
            database_max_connections: 16,
            database_acquire_timeout_ms: 10_000,
            redis_url: None,
            redis_key_prefix: "openpan:".to_owned(),
            trusted_proxies: String::new(),
            secret_key: None,
            secret_key_file: None,
            max_body_bytes: 4 * 1024 * 1024,
            auth_cache_refresh_ms: 100,
            storage: "local".to_owned(),
            storage_dir: None,
            s3: S3Config::default(),
            blob_grace_secs: 3600,
            listing_cache_mb: 64,
            audit_retention_days: 365,
            log_format: "text".to_owned(),
            search_catch_up_secs: 2,
            search_wait_ms: 5000,
            notice_poll_ms: 5000,
            train_poll_ms: 1000,
            notice_allow_internal: false,
            rate_limit: RateLimitConfig::default(),
            sms: SmsConfig::default(),
            preview: PreviewConfig::default(),
            ai: AiConfig::default(),
        }
    }
}

/// A configuration problem, naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Defaults ← TOML file (if any) ← `OPENPAN_*` environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!("config file {} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file(file));
        }
        // OPENPAN_CONFIG names the file and OPENPAN_TEST_* belong to the test suite; neither
        // is a setting.
        let env = Env::prefixed("OPENPAN_").split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            key != "config" && !key.starts_with("test_")
        });
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|err| ConfigError(describe_figment(err)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(ConfigError(format!(
                "log_format: {:?} is neither \"text\" nor \"json\"",
                self.log_format
            )));
        }
        self.listen_addr()?;
        self.storage_target()?;
        if let Some(public_url) = &self.public_url {
            let parsed = url::Url::parse(public_url)
                .map_err(|err| ConfigError(format!("public_url: {err} ({public_url:?})")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ConfigError(format!(
                    "public_url: must be http or https ({public_url:?})"
                )));
            }
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(format!(
                "database_url: unsupported scheme in {:?} (expected sqlite: or postgres://)",
                redact_url(url)
            )));
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("unix://"))
        {
            return Err(ConfigError(format!(
                "redis_url: unsupported scheme in {:?} (expected redis://)",
                redact_url(url)
            )));
        }
        if self.secret_key.is_some() && self.secret_key_file.is_some() {
            return Err(ConfigError(
                "secret_key and secret_key_file are both set; keep one".to_owned(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError("database_max_connections: must be at least 1".to_owned()));
        }
        if !(100..=300_000).contains(&self.database_acquire_timeout_ms) {
            return Err(ConfigError(
                "database_acquire_timeout_ms: must be between 100 and 300000".to_owned(),
            ));
        }
        for (name, class) in [
            ("default", self.rate_limit.default),
            ("upload", self.rate_limit.upload),
            ("search", self.rate_limit.search),
            ("ai", self.rate_limit.ai),
        ] {
            if class.per_app == 0 || class.per_user == 0 || class.per_ip == 0 || class.period_secs == 0 {
                return Err(ConfigError(format!(
                    "rate_limit.{name}: limits and period_secs must be at least 1"
                )));
            }
        }
        if let Some(url) = &self.sms.http_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError(format!(
                "sms.http_url: must be http or https ({:?})",
                redact_url(url)
            )));
        }
        let mut names = std::collections::HashSet::new();
        for model in &self.ai.chat {
            if model.name.trim().is_empty() || !names.insert(model.name.as_str()) {
                return Err(ConfigError(format!(
                    "ai.chat: names must be given and differ ({:?})",
                    model.name
                )));
            }
        }
        if let Some(embedding) = &self.ai.embedding {
            match (&embedding.base_url, &embedding.model_dir, &embedding.model) {
                (Some(_), Some(_), _) | (None, None, _) => {
                    return Err(ConfigError(
                        "ai.embedding: set either base_url (an endpoint) or model_dir (a model file), not both"
                            .to_owned(),
                    ));
                }
                (Some(_), None, None) => {
                    return Err(ConfigError(
                        "ai.embedding.model: the endpoint's model must be named".to_owned(),
                    ));
                }
                _ => {}
            }
            if embedding.min_similarity_permille > 1000 {
                return Err(ConfigError(
                    "ai.embedding.min_similarity_permille: must be 0–1000".to_owned(),
                ));
            }
        }
        let urls = self.ai.chat.iter().map(|model| ("ai.chat", &model.base_url));
        for (setting, url) in urls.chain(
            self.ai
                .embedding
                .iter()
                .filter_map(|embedding| embedding.base_url.as_ref().map(|url| ("ai.embedding", url))),
        ) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError(format!(
                    "{setting}.base_url: must be http or https ({:?})",
                    redact_url(url)
                )));
            }
        }
        self.trusted_proxy_nets()?;
        if self.auth_cache_refresh_ms > 1000 {
            return Err(ConfigError(
                "auth_cache_refresh_ms: at most 1000 (a node reports the revocations it saw every second), or 0 for no cache".to_owned(),
            ));
        }
        if self.sms.per_phone_per_hour == 0 || self.sms.per_app_per_hour == 0 {
            return Err(ConfigError(
                "sms: per_phone_per_hour and per_app_per_hour must be at least 1".to_owned(),
            ));
        }
        if self.rate_limit.token.per_ip == 0 || self.rate_limit.token.period_secs == 0 {
            return Err(ConfigError(
                "rate_limit.token: per_ip and period_secs must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| {
            ConfigError(format!(
                "listen: {:?} is not a socket address like 127.0.0.1:8080",
                self.listen
            ))
        })
    }

    /// `trusted_proxies`, parsed (a bare address is a network of one).
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, ConfigError> {
        self.trusted_proxies
            .split([',', ' '])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError(format!(
                            "trusted_proxies: {entry:?} is neither an address nor a network"
                        ))
                    })
            })
            .collect()
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("openpan.db").display()),
        }
    }

    /// Where blobs go, from `storage`.
    pub fn storage_target(&self) -> Result<StorageTarget, ConfigError> {
        let storage = self.storage.trim();
        if storage.is_empty() || storage == "local" {
            let dir = self.storage_dir.clone().unwrap_or_else(|| self.data_dir.join("blobs"));
            return Ok(StorageTarget::Local(dir));
        }
        let Some(rest) = storage.strip_prefix("s3://") else {
            return Err(ConfigError(format!(
                "storage: expected \"local\" or \"s3://bucket[/prefix]\", got {storage:?}"
            )));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ConfigError(format!("storage: {storage:?} names no bucket")));
        }
        Ok(StorageTarget::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    /// The public URL; for a port-0 listener, the bound address.
    pub fn public_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    pub fn rate_limit_policy(&self) -> RateLimitPolicy {
        let class = |config: ClassConfig| {
            let quota = |limit| Quota {
                limit,
                period_secs: config.period_secs,
            };
            ClassLimits {
                per_app: quota(config.per_app),
                per_user: quota(config.per_user),
                per_ip: quota(config.per_ip),
            }
        };
        RateLimitPolicy {
            default: class(self.rate_limit.default),
            upload: class(self.rate_limit.upload),
            search: class(self.rate_limit.search),
            ai: class(self.rate_limit.ai),
            token_per_ip: Quota {
                limit: self.rate_limit.token.per_ip,
                period_secs: self.rate_limit.token.period_secs,
            },
        }
    }

    /// The defaults as TOML, for `openpan config print-default`.
    pub fn default_toml() -> String {
        toml::to_string_pretty(&Config::default()).unwrap_or_default()
    }
}

/// figment's message names the key and where the value came from (file or variable).
fn describe_figment(err: figment::Error) -> String {
    let mut parts = Vec::new();
    for error in err {
        let key = error.path.join(".");
        let source = error
            .metadata
            .as_ref()
            .map(|meta| meta.name.to_string())
            .unwrap_or_default();
        let mut text = format!(
            "{}: {}",
            if key.is_empty() { "(root)".to_owned() } else { key },
            error.kind
        );
        if !source.is_empty() {
            text.push_str(&format!(" (from {source})"));
        }
        parts.push(text);
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
    }

    #[test]
    fn bad_values_name_their_setting() {
        let config = Config {
            listen: "nonsense".into(),
            ..Config::default()
        };
        assert!(config.validate().unwrap_err().0.starts_with("listen:"));
        let config = Config {
            database_url: Some("mysql://x".into()),
            ..Config::default()
        };
        assert!(config.validate().unwrap_err().0.starts_with("database_url:"));
        let config = Config {
            public_url: Some("ftp://x".into()),
            ..Config::default()
        };
        assert!(config.validate().unwrap_err().0.starts_with("public_url:"));
        let config = Config {
            trusted_proxies: "10.0.0.0/8, nginx".into(),
            ..Config::default()
        };
        assert!(config.validate().unwrap_err().0.starts_with("trusted_proxies:"));
        let config = Config {
            trusted_proxies: "10.0.0.0/8, 127.0.0.1 ::1".into(),
            ..Config::default()
        };
        assert_eq!(config.trusted_proxy_nets().unwrap().len(), 3);
    }

    #[test]
    fn an_embedding_model_is_an_endpoint_with_a_model_or_a_folder_never_both() {
        let with = |embedding: EmbeddingConfig| {
            let mut config = Config::default();
            config.ai.embedding = Some(embedding);
            config.validate().map_err(|err| err.0)
        };
        let endpoint = EmbeddingConfig {
            base_url: Some("https://models.example.com/v1".into()),
            model: Some("bge-m3".into()),
            ..EmbeddingConfig::default()
        };
        let folder = EmbeddingConfig {
            model_dir: Some("/var/lib/openpan/models/potion".into()),
            ..EmbeddingConfig::default()
        };
        with(endpoint.clone()).unwrap();
        with(folder.clone()).unwrap();
        let both = EmbeddingConfig {
            model_dir: folder.model_dir.clone(),
            ..endpoint.clone()
        };
        assert!(with(both).unwrap_err().starts_with("ai.embedding:"));
        assert!(
            with(EmbeddingConfig::default())
                .unwrap_err()
                .starts_with("ai.embedding:")
        );
        let unnamed = EmbeddingConfig {
            model: None,
            ..endpoint.clone()
        };
        assert!(with(unnamed).unwrap_err().starts_with("ai.embedding.model:"));
        let ftp = EmbeddingConfig {
            base_url: Some("ftp://models".into()),
            ..endpoint
        };
        assert!(with(ftp).unwrap_err().starts_with("ai.embedding.base_url:"));
        let beyond = EmbeddingConfig {
            min_similarity_permille: 1001,
            ..folder
        };
        assert!(
            with(beyond)
                .unwrap_err()
                .starts_with("ai.embedding.min_similarity_permille:")
        );
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}

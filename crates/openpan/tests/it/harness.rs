//! `TestApp`: the real server, in-process, on port 0, with its own data dir and database.
//!
//! With `OPENPAN_TEST_NODES=2` (the scale-out run of `.ci/run`), every `TestApp` is two nodes
//! on one PostgreSQL database, one blob store and one Redis, behind an nginx that takes turns
//! between them, and the tests talk to the balancer: the whole suite then proves that nothing
//! a request needs lives in one node's memory.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use openpan::app::Server;
use openpan::config::Config;
use openpan_core::clock::{Clock, ManualClock};
use openpan_core::ids::EnterpriseId;
use openpan_core::services::{Core, CreateApp, CreateEnterprise, CreateUser};

/// An enterprise made for a test, with its admin and one app.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub enterprise_id: i64,
    pub admin_user_id: i64,
    pub app_id: i64,
    pub client_id: String,
    pub client_secret: String,
}

pub struct TestApp {
    /// Where tests send requests: the node, or the balancer in front of the nodes.
    pub url: String,
    /// Where this node listens.
    pub listening: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub core: Core,
    pub search: openpan_search::SearchEngine,
    pub config: Config,
    pub tenant: Tenant,
    _data_dir: Arc<tempfile::TempDir>,
    _database: Option<Arc<TestDatabase>>,
    shutdown: Option<oneshot::Sender<()>>,
    /// The balancer, then the other nodes behind it (dropped in that order).
    _balancer: Option<Balancer>,
    _other_nodes: Vec<TestApp>,
}

/// An nginx process in front of a test's nodes, stopped when the test ends.
pub(crate) struct Balancer {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many nodes each test app runs (`OPENPAN_TEST_NODES`, 1 by default).
fn test_nodes() -> usize {
    std::env::var("OPENPAN_TEST_NODES")
        .ok()
        .and_then(|nodes| nodes.parse().ok())
        .unwrap_or(1usize)
        .max(1)
}

/// A free port for the balancer, below the kernel's ephemeral range (32768+), so the suite's
/// own outgoing connections cannot take it between the check and nginx's bind.
pub(crate) fn balancer_port() -> u16 {
    use rand::Rng;
    for _ in 0..100 {
        let port = rand::thread_rng().gen_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port for the balancer");
}

impl Balancer {
    /// nginx on `port`, taking turns between `nodes`, configured as the README's scale-out
    /// section advises: bodies streamed both ways, the client's address forwarded.
    pub(crate) fn start(port: u16, nodes: &[std::net::SocketAddr]) -> Balancer {
        let dir = tempfile::tempdir().expect("temp dir");
        let servers: String = nodes
            .iter()
            .map(|addr| format!("    server {addr} max_fails=0;\n"))
            .collect();
        let root = dir.path().display();
        let conf = format!(
            "worker_processes 1;\nmaster_process off;\ndaemon off;\npid {root}/nginx.pid;\n\
             error_log {root}/error.log warn;\nevents {{ worker_connections 1024; }}\nhttp {{\n\
             access_log off;\nclient_body_temp_path {root}/body;\nproxy_temp_path {root}/proxy;\n\
             fastcgi_temp_path {root}/fastcgi;\nuwsgi_temp_path {root}/uwsgi;\nscgi_temp_path {root}/scgi;\n\
             upstream openpan {{\n{servers}    keepalive 16;\n}}\n{server}}}\n",
            server = include_str!("../../../../deploy/nginx/openpan-site.conf")
                .replace("listen 80;", &format!("listen 127.0.0.1:{port};")),
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let nginx = std::env::var("OPENPAN_TEST_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".to_owned());
        let mut child = std::process::Command::new(&nginx)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdin(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("{nginx} does not start ({err}); apt-get install nginx"));
        for _ in 0..500 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Balancer { child, _dir: dir };
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                panic!("nginx exited ({status}): {log}");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("nginx does not listen on {port}");
    }
}

/// A PostgreSQL database made for one test, dropped when the last node using it goes, so a
/// suite run leaves the server as it found it instead of a few thousand databases behind.
pub(crate) struct TestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // The test's runtime may be the one dropping us; a runtime of our own on a plain thread
        // is the one place a blocking wait is allowed.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A fresh PostgreSQL database per test when `OPENPAN_TEST_DATABASE_URL` names a server;
/// SQLite in the test's data dir otherwise.
pub(crate) async fn test_database() -> Option<(String, Arc<TestDatabase>)> {
    let base = std::env::var("OPENPAN_TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())?;
    if base.starts_with("sqlite:") {
        return None;
    }
    use sqlx::Connection;
    let name = format!("openpan_test_{}", openpan_core::secrets::random_hex(8));
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("OPENPAN_TEST_DATABASE_URL must be reachable");
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&base).expect("OPENPAN_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some((url.to_string(), Arc::new(TestDatabase { admin_url: base, name })))
}

/// Blobs go to the S3 server `OPENPAN_TEST_S3_ENDPOINT` names (under a fresh prefix) when set,
/// so the whole suite runs on S3 as well as on local disk.
fn use_test_s3(config: &mut Config) {
    let Some(endpoint) = std::env::var("OPENPAN_TEST_S3_ENDPOINT")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        return;
    };
    let bucket = std::env::var("OPENPAN_TEST_S3_BUCKET").unwrap_or_else(|_| "openpan-test".to_owned());
    config.storage = format!("s3://{bucket}/it-{}", openpan_core::secrets::random_hex(8));
    config.s3.endpoint = Some(endpoint);
    config.s3.region = Some("us-east-1".to_owned());
    config.s3.access_key_id = std::env::var("OPENPAN_TEST_S3_ACCESS_KEY").ok();
    config.s3.secret_access_key = std::env::var("OPENPAN_TEST_S3_SECRET_KEY").ok();
}

/// Whether blobs are on local disk in this run (some tests look at the files).
pub fn local_blobs(config: &Config) -> Option<std::path::PathBuf> {
    match config.storage_target().ok()? {
        openpan::config::StorageTarget::Local(dir) => Some(dir),
        openpan::config::StorageTarget::S3 { .. } => None,
    }
}

/// The `openpan` binary with the test app's settings: its data dir, database, blob store and
/// the key its nodes share, and nothing from the calling environment.
pub fn openpan_command(app: &TestApp) -> std::process::Command {
    let config = &app.config;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_openpan"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPENPAN_DATA_DIR", &config.data_dir)
        .env("OPENPAN_DATABASE_URL", config.database_url())
        .env("OPENPAN_STORAGE", &config.storage)
        .env("RUST_LOG", "warn");
    let storage_dir = config.storage_dir.as_ref().map(|dir| dir.display().to_string());
    for (name, value) in [
        ("OPENPAN_SECRET_KEY", &config.secret_key),
        ("OPENPAN_STORAGE_DIR", &storage_dir),
        ("OPENPAN_S3__ENDPOINT", &config.s3.endpoint),
        ("OPENPAN_S3__REGION", &config.s3.region),
        ("OPENPAN_S3__ACCESS_KEY_ID", &config.s3.access_key_id),
        ("OPENPAN_S3__SECRET_ACCESS_KEY", &config.s3.secret_access_key),
    ] {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    command
}

/// Partial writes (uploads in flight or left by a crash) in a local blob store, over every
/// writer's directory.
pub fn partial_writes(blobs: &std::path::Path) -> usize {
    let Ok(writers) = std::fs::read_dir(blobs.join("partial")) else {
        return 0;
    };
    writers
        .flatten()
        .flat_map(|writer| std::fs::read_dir(writer.path()).into_iter().flatten().flatten())
        .filter(|file| file.file_name() != ".lock")
        .count()
}

/// The names of a listing's `kind` (`files`, `folders`), in the listing's order.
pub fn names_of(listing: &Value, kind: &str) -> Vec<String> {
    listing[kind]
        .as_array()
        .unwrap_or_else(|| panic!("no {kind} in {listing}"))
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

/// `POST /oauth/token?grant_type=jwt_simple&assertion=…` to the server at `url` with Basic
/// client auth, the way the platform's demos call it (assertion unencoded in the query).
pub async fn jwt_simple_at(client: &reqwest::Client, url: &str, tenant: &Tenant, claims: &Value) -> reqwest::Response {
    let assertion = STANDARD.encode(claims.to_string());
    client
        .post(format!("{url}/oauth/token?grant_type=jwt_simple&assertion={assertion}"))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .send()
        .await
        .expect("token request")
}

/// `bytes` as the file `name` of a form sent to an upload URL.
pub async fn send_bytes_at(client: &reqwest::Client, presign_url: &str, name: &str, bytes: &[u8]) -> reqwest::Response {
    let boundary = "openpan-test-boundary";
    client
        .post(presign_url)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(multipart_body(boundary, name, bytes))
        .send()
        .await
        .expect("upload request")
}

/// The real time, so assertions built from the test clock are in the server's present.
#[allow(clippy::disallowed_methods)]
pub(crate) fn wall_clock_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Budgets that let every request through, for tests that send thousands and test the
/// operations rather than the rate limiter.
pub fn lift_rate_limits(config: &mut Config) {
    let limits = &mut config.rate_limit;
    for class in [
        &mut limits.default,
        &mut limits.upload,
        &mut limits.search,
        &mut limits.ai,
    ] {
        class.per_app = 1_000_000;
        class.per_user = 1_000_000;
        class.per_ip = 1_000_000;
    }
    limits.token.per_ip = 1_000_000;
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with a config adjusted by `adjust` (rate limits, Redis, …).
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_prepared(adjust, async |_: &Config| None).await
    }

    /// Spawns on a database and store that `prepare` fills first (an older release's schema
    /// and data, say), with the tenant `prepare` returns, or a new one.
    pub async fn spawn_prepared(
        adjust: impl FnOnce(&mut Config),
        prepare: impl AsyncFnOnce(&Config) -> Option<Tenant>,
    ) -> TestApp {
        let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let database = test_database().await;
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            listen: "127.0.0.1:0".to_owned(),
            database_url: database.as_ref().map(|(url, _)| url.clone()),
            database_max_connections: 4,
            // Searches catch up the spaces they cover; a test of the background round sets it.
            search_catch_up_secs: 0,
            // Callback receivers in tests listen on loopback.
            notice_allow_internal: true,
            ..Config::default()
        };
        use_test_s3(&mut config);
        let nodes = test_nodes();
        let balancer_port = (nodes > 1).then(|| {
            assert!(
                database.is_some(),
                "OPENPAN_TEST_NODES needs OPENPAN_TEST_DATABASE_URL: nodes share one PostgreSQL"
            );
            let port = balancer_port();
            config.public_url = Some(format!("http://127.0.0.1:{port}"));
            // One key, one blob store and one Redis for every node, as the README asks.
            config.secret_key = Some(openpan_core::secrets::random_hex(32));
            if config.storage.is_empty() || config.storage == "local" {
                config.storage_dir = Some(config.data_dir.join("blobs"));
            }
            let redis = std::env::var("OPENPAN_TEST_REDIS_URL")
                .expect("OPENPAN_TEST_NODES needs OPENPAN_TEST_REDIS_URL: nodes share one rate-limit budget");
            config.redis_url = Some(redis);
            config.redis_key_prefix = format!("it-{}:", openpan_core::secrets::random_hex(8));
            // The nodes hear of each client from nginx, as the README's deployment has it.
            config.trusted_proxies = "127.0.0.1".to_owned();
            port
        });
        adjust(&mut config);
        let tenant = prepare(&config).await;
        let clock = ManualClock::starting_at(wall_clock_now());
        let mut app = Self::start(config, clock, data_dir, database.map(|(_, db)| db), tenant).await;
        if let Some(port) = balancer_port {
            let mut nodes_at = vec![app.listening];
            for _ in 1..nodes {
                let node = app.spawn_peer(|_| {}).await;
                nodes_at.push(node.listening);
                app._other_nodes.push(node);
            }
            app._balancer = Some(Balancer::start(port, &nodes_at));
        }
        app
    }

    /// Another node on the same database (and whatever else `adjust` shares), as behind a
    /// load balancer.
    pub async fn spawn_peer(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            database_url: Some(self.config.database_url()),
            secret_key: self
                .config
                .secret_key
                .clone()
                .or_else(|| std::fs::read_to_string(self.config.data_dir.join("secret.key")).ok()),
            ..self.config.clone()
        };
        adjust(&mut config);
        let mut peer = Self::start(
            config,
            self.clock.clone(),
            data_dir,
            self._database.clone(),
            Some(self.tenant.clone()),
        )
        .await;
        // A test that starts a node of its own talks to that node, balancer or not.
        peer.url = peer.node_url();
        peer
    }

    async fn start(
        config: Config,
        clock: ManualClock,
        data_dir: Arc<tempfile::TempDir>,
        database: Option<Arc<TestDatabase>>,
        tenant: Option<Tenant>,
    ) -> TestApp {
        let server = Server::build(&config, Arc::new(clock.clone()))
            .await
            .expect("server builds");
        let url = server.public_url.clone();
        let listening = server.local_addr;
        let core = server.wired.core.clone();
        let search = server.wired.search.clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let tenant = match tenant {
            Some(tenant) => tenant,
            None => new_tenant(&core, "Acme", "admin@acme.test").await,
        };
        TestApp {
            url,
            listening,
            client: reqwest::Client::new(),
            clock,
            core,
            search,
            config,
            tenant,
            _data_dir: data_dir,
            _database: database,
            shutdown: Some(shutdown),
            _balancer: None,
            _other_nodes: Vec::new(),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// This node itself, even behind a balancer.
    pub fn node_url(&self) -> String {
        format!("http://{}", self.listening)
    }

    /// Another enterprise on the same server.
    pub async fn other_tenant(&self, name: &str, admin_email: &str) -> Tenant {
        new_tenant(&self.core, name, admin_email).await
    }

    pub async fn create_user(&self, tenant: &Tenant, name: &str, email: &str) -> i64 {
        let operator = openpan_core::auth::Principal::local_operator();
        let cmd = CreateUser {
            enterprise_id: EnterpriseId(tenant.enterprise_id),
            name: name.to_owned(),
            email: Some(email.to_owned()),
            phone: None,
            password: None,
        };
        self.core.create_user(&operator, cmd).await.expect("user created").id.0
    }

    /// `POST /oauth/token?grant_type=jwt_simple&assertion=…` with Basic client auth, the way the
    /// platform's demos call it (assertion unencoded in the query).
    pub async fn jwt_simple(&self, tenant: &Tenant, claims: &Value) -> reqwest::Response {
        jwt_simple_at(&self.client, &self.url, tenant, claims).await
    }

    /// `POST /oauth/token` with `grant_type=refresh_token` in a form body.
    pub async fn refresh(&self, tenant: &Tenant, refresh_token: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/oauth/token", self.url))
            .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .send()
            .await
            .expect("refresh request")
    }

    pub fn claims(&self, sub_type: &str, sub: i64) -> Value {
        let now = self.now();
        json!({
            "yifangyun_sub_type": sub_type,
            "sub": sub,
            "iat": now,
            "exp": now + 60,
            "jti": openpan_core::secrets::random_hex(16),
        })
    }

    /// A token response body; panics unless the server issued one.
    pub async fn token(&self, tenant: &Tenant, sub_type: &str, sub: i64) -> Value {
        let response = self.jwt_simple(tenant, &self.claims(sub_type, sub)).await;
        let status = response.status();
        let body: Value = response.json().await.expect("token body is JSON");
        assert_eq!(status, 200, "token request failed: {body}");
        body
    }

    /// The SDK as the tenant's app, reading the test clock.
    pub fn sdk_builder(&self, tenant: &Tenant) -> openpan_sdk::ClientBuilder {
        let clock = self.clock.clone();
        openpan_sdk::Client::builder(&self.url, &tenant.client_id)
            .client_secret(&tenant.client_secret)
            .clock(Arc::new(move || clock.now()))
    }

    pub fn sdk(&self, tenant: &Tenant) -> openpan_sdk::Client {
        self.sdk_builder(tenant).build().expect("SDK client")
    }

    /// A `jwt_simple` token through the SDK.
    async fn sdk_token(&self, tenant: &Tenant, subject: openpan_sdk::Subject) -> String {
        let tokens = self
            .sdk(tenant)
            .token(&openpan_sdk::Grant::JwtSimple(subject))
            .await
            .unwrap_or_else(|err| panic!("token request failed: {err}"));
        tokens.access_token
    }

    pub async fn enterprise_token(&self, tenant: &Tenant) -> String {
        self.sdk_token(tenant, openpan_sdk::Subject::Enterprise(tenant.enterprise_id))
            .await
    }

    pub async fn user_token(&self, tenant: &Tenant, user_id: i64) -> String {
        self.sdk_token(tenant, openpan_sdk::Subject::User(user_id)).await
    }

    /// A token for the tenant's admin acting as a user of the drive.
    pub async fn admin_user_token(&self) -> String {
        self.user_token(&self.tenant, self.tenant.admin_user_id).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// `POST path` with `body` and a 200 answer, returning the JSON.
    pub async fn post_ok(&self, path: &str, token: &str, body: &Value) -> Value {
        json_ok(self.post(path, token, body).await, format_args!("POST {path}")).await
    }

    /// `GET path` with a 200 answer, returning the JSON.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        json_ok(self.get(path, token).await, format_args!("GET {path}")).await
    }

    /// Sends `bytes` to an upload URL the way the platform document's curl does.
    pub async fn send_bytes(&self, presign_url: &str, bytes: &[u8]) -> reqwest::Response {
        send_bytes_at(&self.client, presign_url, "upload.bin", bytes).await
    }

    /// Uploads a new file into `parent` (`upload_v2`, then the bytes); returns the file.
    pub async fn upload(&self, token: &str, parent: i64, name: &str, bytes: &[u8]) -> Value {
        let url = self
            .post_ok(
                "/api/v2/file/upload_v2",
                token,
                &json!({"parent_id": parent, "name": name, "upload_type": "api"}),
            )
            .await;
        let response = self.send_bytes(url["presign_url"].as_str().unwrap(), bytes).await;
        let status = response.status();
        let file: Value = response.json().await.expect("upload answer is JSON");
        assert_eq!(status, 200, "upload of {name}: {file}");
        file
    }

    /// Creates a folder; returns it.
    pub async fn mkdir(&self, token: &str, parent: i64, name: &str) -> Value {
        self.post_ok(
            "/api/v2/folder/create",
            token,
            &json!({"name": name, "parent_id": parent}),
        )
        .await
    }

    /// The bytes behind a file's download URL.
    pub async fn download(&self, token: &str, file_id: i64) -> Vec<u8> {
        let url = self.get_ok(&format!("/api/v2/file/{file_id}/download"), token).await;
        let response = self
            .client
            .get(url["download_url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap().to_vec()
    }

    /// Runs `sql` on the test database (for setting what no API sets yet, like quotas).
    pub async fn sql(&self, sql: &str) {
        use sqlx::Connection;
        let url = self.config.database_url();
        if url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }

    /// One number `sql` reads from the test database (for invariants no API shows).
    pub async fn sql_i64(&self, sql: &str) -> i64 {
        self.sql_scalar(sql).await
    }

    /// One text `sql` reads from the test database.
    pub async fn sql_text(&self, sql: &str) -> String {
        self.sql_scalar(sql).await
    }

    async fn sql_scalar<T>(&self, sql: &str) -> T
    where
        T: Send + Unpin,
        T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        use sqlx::Connection;
        let url = self.config.database_url();
        if url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        } else {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
    }

    /// A public JSON document (discovery, the OpenAPI document) at `path`.
    pub async fn public_json(&self, path: &str) -> Value {
        let response = self.client.get(format!("{}{path}", self.url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("a JSON document")
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }
}

pub async fn new_tenant(core: &Core, name: &str, admin_email: &str) -> Tenant {
    let operator = openpan_core::auth::Principal::local_operator();
    let created = core
        .create_enterprise(
            &operator,
            CreateEnterprise {
                name: name.to_owned(),
                short_name: None,
                admin_name: format!("{name} Admin"),
                admin_email: admin_email.to_owned(),
                admin_password: Some("correct horse".to_owned()),
            },
        )
        .await
        .expect("enterprise created");
    let app = core
        .create_app(
            &operator,
            CreateApp {
                enterprise_id: created.enterprise.id,
                name: format!("{name} HR"),
                callback_url: None,
                client_type: Default::default(),
                redirect_uris: Vec::new(),
                allowed_scopes: None,
            },
        )
        .await
        .expect("app created");
    Tenant {
        enterprise_id: created.enterprise.id.0,
        admin_user_id: created.admin.id.0,
        app_id: app.app.id.0,
        client_id: app.app.client_id,
        client_secret: app.client_secret,
    }
}

/// A file's bytes as the node at `url` serves them (its download URL, then the bytes).
pub async fn downloaded_from(url: &str, token: &str, id: i64) -> Vec<u8> {
    let client = reqwest::Client::new();
    let link: Value = client
        .get(format!("{url}/api/v2/file/{id}/download"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fetched = client.get(link["download_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(fetched.status(), 200, "download of file {id}");
    fetched.bytes().await.unwrap().to_vec()
}

/// One multipart part named `file`, as the platform document's curl sends it.
pub fn multipart_body(boundary: &str, filename: &str, bytes: &[u8]) -> Vec<u8> {
    form_body(boundary, &[("file", Some(filename), bytes)])
}

/// A `multipart/form-data` body of `(name, filename, content)` parts in order: a filename
/// makes a part a file.
pub fn form_body(boundary: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        let head = match filename {
            Some(filename) => format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// Asserts a transfer-host error: status and the `{errors: code, error, request_id}` shape.
pub async fn assert_transfer_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status of {}", response.url());
    let body: Value = response.json().await.expect("transfer error body is JSON");
    assert_eq!(body["errors"], code, "{body}");
    assert!(body["error"].as_str().is_some_and(|msg| !msg.is_empty()), "{body}");
    assert!(body["request_id"].is_string(), "{body}");
    body
}

/// Asserts an `/api/v2` error: status, code, the envelope's shape and the request id header.
/// The JSON of a 200 answer; any other status fails, naming `what` was asked and the body.
pub async fn json_ok(response: reqwest::Response, what: std::fmt::Arguments<'_>) -> Value {
    let status = response.status();
    let json: Value = response.json().await.expect("JSON body");
    assert_eq!(status, 200, "{what}: {json}");
    json
}

pub async fn assert_api_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status of {}", response.url());
    let header_id = response
        .headers()
        .get("x-request-id")
        .map(|value| value.to_str().unwrap().to_owned());
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_owned());
    let body: Value = response.json().await.expect("error body is JSON");
    assert!(
        content_type.unwrap_or_default().starts_with("application/json"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    assert!(
        body["errors"][0]["msg"].as_str().is_some_and(|msg| !msg.is_empty()),
        "{body}"
    );
    let request_id = body["request_id"].as_str().expect("request_id in body");
    assert_eq!(Some(request_id.to_owned()), header_id, "X-Request-Id matches the body");
    body
}

/// Asserts an RFC 6749 error body.
pub async fn assert_oauth_error(response: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let body: Value = response.json().await.expect("oauth error body is JSON");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    body
}

/// A day from now in China, as `YYYY-MM-DD` (due dates count in the platform's time zone).
pub fn day_after(now: i64, days: i64) -> String {
    jiff::Timestamp::from_second(now + days * 86_400)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8)))
        .date()
        .to_string()
}

/// HMAC-SHA256 of `message` under `key`, lowercase hex: how receivers check signatures.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// One request an [`HttpSink`] received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    /// The header's value, or "" when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A stand-in HTTP receiver (an SMS gateway, an app's callback address): records each request
/// and answers what `answer` says for the request's number (from 1) and body.
pub struct HttpSink {
    pub url: String,
    received: Arc<std::sync::Mutex<Vec<Received>>>,
}

impl HttpSink {
    pub async fn start(answer: impl Fn(usize, &[u8]) -> (u16, String) + Send + Sync + 'static) -> Self {
        Self::start_slow(std::time::Duration::ZERO, answer).await
    }

    /// [`HttpSink::start`] with a receiver that takes `delay` over each answer (after recording
    /// the request), as a busy one does.
    pub async fn start_slow(
        delay: std::time::Duration,
        answer: impl Fn(usize, &[u8]) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        Self::serve(delay, "application/json", answer).await
    }

    /// [`HttpSink::start`] with answers that are server-sent events (`text/event-stream`).
    pub async fn start_sse(answer: impl Fn(usize, &[u8]) -> (u16, String) + Send + Sync + 'static) -> Self {
        Self::serve(std::time::Duration::ZERO, "text/event-stream", answer).await
    }

    async fn serve(
        delay: std::time::Duration,
        content_type: &'static str,
        answer: impl Fn(usize, &[u8]) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = received.clone();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (record, answer) = (record.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, body) = loop {
                        let read = socket.read(&mut chunk).await.unwrap_or(0);
                        if read == 0 {
                            return;
                        }
                        buffer.extend_from_slice(&chunk[..read]);
                        let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") else {
                            continue;
                        };
                        let head = String::from_utf8_lossy(&buffer[..end]).to_string();
                        let length: usize = head
                            .lines()
                            .find_map(|line| {
                                line.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buffer.len() >= end + 4 + length {
                            break (head, buffer[end + 4..end + 4 + length].to_vec());
                        }
                    };
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|line| line.split_once(':'))
                        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
                        .collect();
                    let count = {
                        let mut seen = record.lock().unwrap();
                        seen.push(Received {
                            headers,
                            body: body.clone(),
                        });
                        seen.len()
                    };
                    let (status, reply) = answer(count, &body);
                    tokio::time::sleep(delay).await;
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                        reply.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        Self { url, received }
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to ten seconds) until `count` requests arrived, and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let seen = self.received();
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {count} requests, got {}", self.received().len());
    }
}

/// A TCP link to a backing service (PostgreSQL, Redis, S3) that a test can cut and restore,
/// as a restart, a crash or a network partition would.
pub struct FaultyLink {
    up: Arc<std::sync::atomic::AtomicBool>,
    cuts: tokio::sync::watch::Sender<u64>,
    accepting: tokio::task::JoinHandle<()>,
}

impl FaultyLink {
    /// Starts forwarding to the host and port of `service_url`; answers the same URL pointed
    /// at the link. Runs on the calling test's runtime.
    pub fn start(service_url: &str) -> (FaultyLink, String) {
        use std::sync::atomic::Ordering;
        let mut url = url::Url::parse(service_url).expect("a service URL");
        let target = format!(
            "{}:{}",
            url.host_str().expect("a host"),
            url.port_or_known_default().expect("a port")
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a link");
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let (cuts, _) = tokio::sync::watch::channel(0u64);
        let accepting = {
            let (up, cuts) = (up.clone(), cuts.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    // Subscribed before looking, so a cut in between still ends this one.
                    let mut cut = cuts.subscribe();
                    if !up.load(Ordering::SeqCst) {
                        // Refused as a stopped server would: the connection closes at once.
                        continue;
                    }
                    let target = target.clone();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut.changed() => {}
                        }
                    });
                }
            })
        };
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(addr.port())).unwrap();
        (FaultyLink { up, cuts, accepting }, url.to_string())
    }

    /// Drops every open connection and refuses new ones until [`FaultyLink::restore`].
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        self.cuts.send_modify(|generation| *generation += 1);
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for FaultyLink {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

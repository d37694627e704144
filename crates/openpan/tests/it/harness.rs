//! `TestApp`: the real server, in-process, on port 0, with its own data dir and database.

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
    pub url: String,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub core: Core,
    pub config: Config,
    pub tenant: Tenant,
    _data_dir: Arc<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
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
async fn test_database_url() -> Option<String> {
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
    Some(url.to_string())
}

/// The real time, so assertions built from the test clock are in the server's present.
#[allow(clippy::disallowed_methods)]
fn wall_clock_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with a config adjusted by `adjust` (rate limits, Redis, …).
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            listen: "127.0.0.1:0".to_owned(),
            database_url: test_database_url().await,
            database_max_connections: 4,
            ..Config::default()
        };
        adjust(&mut config);
        let clock = ManualClock::starting_at(wall_clock_now());
        Self::start(config, clock, data_dir, None).await
    }

    /// Another node on the same database (and whatever else `adjust` shares), as behind a
    /// load balancer.
    pub async fn spawn_peer(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let data_dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            database_url: Some(self.config.database_url()),
            secret_key: Some(std::fs::read_to_string(self.config.data_dir.join("secret.key")).unwrap_or_default()),
            ..self.config.clone()
        };
        adjust(&mut config);
        Self::start(config, self.clock.clone(), data_dir, Some(self.tenant.clone())).await
    }

    async fn start(
        config: Config,
        clock: ManualClock,
        data_dir: Arc<tempfile::TempDir>,
        tenant: Option<Tenant>,
    ) -> TestApp {
        let server = Server::build(&config, Arc::new(clock.clone()))
            .await
            .expect("server builds");
        let url = server.public_url.clone();
        let core = server.wired.core.clone();
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
            client: reqwest::Client::new(),
            clock,
            core,
            config,
            tenant,
            _data_dir: data_dir,
            shutdown: Some(shutdown),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
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
        let assertion = STANDARD.encode(claims.to_string());
        self.client
            .post(format!(
                "{}/oauth/token?grant_type=jwt_simple&assertion={assertion}",
                self.url
            ))
            .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
            .send()
            .await
            .expect("token request")
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

    pub async fn enterprise_token(&self, tenant: &Tenant) -> String {
        self.token(tenant, "enterprise", tenant.enterprise_id).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn user_token(&self, tenant: &Tenant, user_id: i64) -> String {
        self.token(tenant, "user", user_id).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
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

/// Asserts an `/api/v2` error: status, code, the envelope's shape and the request id header.
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

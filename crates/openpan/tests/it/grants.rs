//! The token endpoint's other grants: the SDKs' `password` grant behind the enterprise's
//! switch, and signed JWT assertions — the SDKs' `jwt` (RS256) and RFC 7523's `jwt-bearer`
//! (ES256 here) — checked against the key an app registered.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, assert_api_error, assert_oauth_error};

/// A key pair an integrator made for its app: the private half as PKCS#8 PEM (what it signs
/// with), the public half as PEM (what it registers).
struct KeyPair {
    private_pem: String,
    public_pem: String,
    algorithm: Algorithm,
}

impl KeyPair {
    fn rsa() -> KeyPair {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        KeyPair {
            private_pem: private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            public_pem: private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
            algorithm: Algorithm::RS256,
        }
    }

    fn p256() -> KeyPair {
        let private = p256::SecretKey::random(&mut rand::rngs::OsRng);
        KeyPair {
            private_pem: private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            public_pem: private.public_key().to_public_key_pem(LineEnding::LF).unwrap(),
            algorithm: Algorithm::ES256,
        }
    }

    fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let key = match self.algorithm {
            Algorithm::ES256 => EncodingKey::from_ec_pem(self.private_pem.as_bytes()).unwrap(),
            _ => EncodingKey::from_rsa_pem(self.private_pem.as_bytes()).unwrap(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }
}

/// Registers `key` for the tenant's app through the admin API; answers its key id.
async fn register_key(app: &TestApp, tenant: &Tenant, key: &KeyPair) -> String {
    let admin = app.enterprise_token(tenant).await;
    let updated = app
        .post_ok(
            &format!("/api/v2/admin/app/{}/update", tenant.app_id),
            &admin,
            &json!({ "jwt_public_key": key.public_pem }),
        )
        .await;
    assert!(updated["jwt_public_key"].as_str().unwrap().contains("BEGIN PUBLIC KEY"));
    updated["jwt_key_id"].as_str().expect("a key id").to_owned()
}

async fn token_request(app: &TestApp, tenant: Option<&Tenant>, form: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.post(format!("{}/oauth/token", app.url)).form(form);
    if let Some(tenant) = tenant {
        request = request.basic_auth(&tenant.client_id, Some(&tenant.client_secret));
    }
    request.send().await.unwrap()
}

async fn issued(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn password_grant(app: &TestApp, tenant: &Tenant, username: &str, password: &str) -> reqwest::Response {
    token_request(
        app,
        Some(tenant),
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
        ],
    )
    .await
}

#[tokio::test]
async fn the_password_grant_works_only_once_the_enterprise_turns_it_on() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let refused = password_grant(&app, &tenant, "admin@acme.test", "correct horse").await;
    let body = assert_oauth_error(refused, 400, "unauthorized_client").await;
    assert!(body["error_description"].as_str().unwrap().contains("password grant"));

    let admin = app.enterprise_token(&tenant).await;
    let settings = app.get_ok("/api/v2/admin/enterprise/oauth_settings", &admin).await;
    assert_eq!(settings["password_grant_enabled"], false);
    let missing = app
        .post("/api/v2/admin/enterprise/oauth_settings/update", &admin, &json!({}))
        .await;
    let body = assert_api_error(missing, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "password_grant_enabled", "{body}");
    let turned_on = app
        .post_ok(
            "/api/v2/admin/enterprise/oauth_settings/update",
            &admin,
            &json!({ "password_grant_enabled": true }),
        )
        .await;
    assert_eq!(turned_on["password_grant_enabled"], true);

    let pair = issued(password_grant(&app, &tenant, "admin@acme.test", "correct horse").await).await;
    assert_eq!(pair["scope"], "all");
    assert!(pair["refresh_token"].is_string(), "{pair}");
    let me = app
        .get_ok("/api/v2/user/info", pair["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["id"], tenant.admin_user_id);

    let wrong = password_grant(&app, &tenant, "admin@acme.test", "wrong horse").await;
    assert_oauth_error(wrong, 400, "invalid_grant").await;
    // Another enterprise's account, with its right password, is not this app's to sign in.
    app.other_tenant("Globex", "admin@globex.test").await;
    let foreign = password_grant(&app, &tenant, "admin@globex.test", "correct horse").await;
    assert_oauth_error(foreign, 400, "invalid_grant").await;

    let today = crate::audit::today(&app);
    let log = app
        .post_ok(
            "/api/v2/admin/log/log_info",
            &admin,
            &json!({"start_date": today, "end_date": today, "action_types": [900]}),
        )
        .await;
    assert_eq!(
        log["user_activities"][0]["additional_info"]["password_grant_enabled"], true,
        "{log}"
    );
}

#[tokio::test]
async fn wrong_passwords_through_the_password_grant_are_throttled_per_login() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let admin = app.enterprise_token(&tenant).await;
    app.post_ok(
        "/api/v2/admin/enterprise/oauth_settings/update",
        &admin,
        &json!({ "password_grant_enabled": true }),
    )
    .await;
    for _ in 0..5 {
        let wrong = password_grant(&app, &tenant, "admin@acme.test", "guess").await;
        assert_oauth_error(wrong, 400, "invalid_grant").await;
    }
    let locked = password_grant(&app, &tenant, "admin@acme.test", "correct horse").await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_oauth_error(locked, 429, "rate_limit").await;
}

#[tokio::test]
async fn only_a_whole_administrator_may_turn_the_password_grant_on() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let response = token_request(
        &app,
        Some(&tenant),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "admin.users admin.apps"),
        ],
    )
    .await;
    let partial = issued(response).await["access_token"].as_str().unwrap().to_owned();
    let refused = app
        .post(
            "/api/v2/admin/enterprise/oauth_settings/update",
            &partial,
            &json!({ "password_grant_enabled": true }),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let still_off = password_grant(&app, &tenant, "admin@acme.test", "correct horse").await;
    assert_oauth_error(still_off, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn the_sdk_jwt_grant_takes_assertions_signed_with_the_registered_rsa_key() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let key = KeyPair::rsa();
    let claims = app.claims("user", tenant.admin_user_id);
    // No key registered yet: the app may not use the grant.
    let assertion = key.sign(None, &claims);
    let no_key = token_request(&app, Some(&tenant), &[("grant_type", "jwt"), ("assertion", &assertion)]).await;
    assert_oauth_error(no_key, 400, "unauthorized_client").await;

    let kid = register_key(&app, &tenant, &key).await;
    let assertion = key.sign(Some(&kid), &claims);
    let pair =
        issued(token_request(&app, Some(&tenant), &[("grant_type", "jwt"), ("assertion", &assertion)]).await).await;
    assert_eq!(pair["scope"], "all");
    assert!(
        pair["refresh_token"].is_string(),
        "the SDKs read refresh_token from every grant"
    );
    let me = app
        .get_ok("/api/v2/user/info", pair["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["id"], tenant.admin_user_id);

    // The same assertion again is a replay.
    let replay = token_request(&app, Some(&tenant), &[("grant_type", "jwt"), ("assertion", &assertion)]).await;
    assert_oauth_error(replay, 400, "invalid_grant").await;

    let enterprise = key.sign(Some(&kid), &app.claims("enterprise", tenant.enterprise_id));
    let admin_pair = issued(
        token_request(
            &app,
            Some(&tenant),
            &[("grant_type", "jwt"), ("assertion", &enterprise)],
        )
        .await,
    )
    .await;
    assert_eq!(admin_pair["scope"], "admin");

    // Signed by another key, naming another kid, living too long, or unsigned: refused.
    let stranger = KeyPair::rsa().sign(Some(&kid), &app.claims("user", tenant.admin_user_id));
    let mut long = app.claims("user", tenant.admin_user_id);
    long["exp"] = json!(app.now() + 3600);
    let mut unsigned = app.claims("user", tenant.admin_user_id).to_string();
    unsigned = format!(
        "eyJhbGciOiJub25lIn0.{}.",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, unsigned.as_bytes())
    );
    for bad in [
        stranger,
        key.sign(Some("another-kid"), &app.claims("user", tenant.admin_user_id)),
        key.sign(Some(&kid), &long),
        unsigned,
    ] {
        let refused = token_request(&app, Some(&tenant), &[("grant_type", "jwt"), ("assertion", &bad)]).await;
        assert_oauth_error(refused, 400, "invalid_grant").await;
    }
}

#[tokio::test]
async fn an_rfc_7523_assertion_signed_with_a_p256_key_needs_no_client_secret() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let key = KeyPair::p256();
    let kid = register_key(&app, &tenant, &key).await;
    let discovery: Value = app
        .client
        .get(format!("{}/.well-known/oauth-authorization-server", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grant_types = discovery["grant_types_supported"].as_array().unwrap();
    assert!(grant_types.contains(&json!("urn:ietf:params:oauth:grant-type:jwt-bearer")));
    let token_endpoint = discovery["token_endpoint"].as_str().unwrap().to_owned();
    let now = app.now();
    let claims = |jti: &str, audience: &str| {
        json!({
            "iss": tenant.client_id,
            "sub": tenant.admin_user_id.to_string(),
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "jti": jti,
        })
    };
    let grant = |assertion: String| {
        let app = &app;
        async move {
            token_request(
                app,
                None,
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", &assertion),
                    ("scope", "files.read"),
                ],
            )
            .await
        }
    };
    let pair = issued(grant(key.sign(Some(&kid), &claims("a-1", &token_endpoint))).await).await;
    assert_eq!(pair["scope"], "files.read");
    let token = pair["access_token"].as_str().unwrap();
    app.get_ok("/api/v2/folder/0/children", token).await;
    let write = app
        .post("/api/v2/folder/create", token, &json!({"name": "x", "parent_id": 0}))
        .await;
    assert_eq!(write.status(), 403, "files.read cannot write");

    // The audience must be this server; the issuer must be the app.
    let elsewhere = grant(key.sign(Some(&kid), &claims("a-2", "https://idp.example.test"))).await;
    assert_oauth_error(elsewhere, 400, "invalid_grant").await;
    let mut wrong_issuer = claims("a-3", &token_endpoint);
    wrong_issuer["iss"] = json!("someone-else");
    let unknown = grant(key.sign(Some(&kid), &wrong_issuer)).await;
    assert_oauth_error(unknown, 401, "invalid_client").await;
    // A user of another enterprise is not the app's to speak for.
    let globex = app.other_tenant("Globex", "admin@globex.test").await;
    let mut foreign = claims("a-4", &token_endpoint);
    foreign["sub"] = json!(globex.admin_user_id.to_string());
    let refused = grant(key.sign(Some(&kid), &foreign)).await;
    assert_oauth_error(refused, 400, "invalid_grant").await;

    // Replacing the key ends what the old one signed for.
    let replacement = KeyPair::p256();
    let new_kid = register_key(&app, &tenant, &replacement).await;
    assert_ne!(new_kid, kid);
    assert_eq!(app.get("/api/v2/folder/0/children", token).await.status(), 401);
    let old = grant(key.sign(None, &claims("a-5", &token_endpoint))).await;
    assert_oauth_error(old, 400, "invalid_grant").await;
    issued(grant(replacement.sign(Some(&new_kid), &claims("a-6", &token_endpoint))).await).await;
}

#[tokio::test]
async fn keys_that_cannot_check_assertions_are_refused_at_registration() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let admin = app.enterprise_token(&tenant).await;
    let private = KeyPair::p256().private_pem;
    for bad in ["not a key", private.as_str()] {
        let refused = app
            .post(
                &format!("/api/v2/admin/app/{}/update", tenant.app_id),
                &admin,
                &json!({ "jwt_public_key": bad }),
            )
            .await;
        let body = assert_api_error(refused, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], "jwt_public_key");
    }
}

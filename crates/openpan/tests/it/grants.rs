//! The token endpoint's other grants: the SDKs' `password` grant behind the enterprise's
//! switch, and signed JWT assertions — the SDKs' `jwt` (RS256) and RFC 7523's `jwt-bearer`
//! (ES256 here) — checked against the key an app registered; and RFC 8628 device
//! authorization, the way a CLI signs in.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, assert_api_error, assert_oauth_error};
use crate::oidc::{Browser, field};

/// A key pair an integrator made for its app: the private half as PKCS#8 PEM (what it signs
/// with), the public half as PEM (what it registers).
pub(crate) struct KeyPair {
    pub(crate) private_pem: String,
    pub(crate) public_pem: String,
    algorithm: Algorithm,
}

impl KeyPair {
    pub(crate) fn rsa() -> KeyPair {
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        KeyPair {
            private_pem: private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            public_pem: private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
            algorithm: Algorithm::RS256,
        }
    }

    pub(crate) fn p256() -> KeyPair {
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
pub(crate) async fn register_key(app: &TestApp, tenant: &Tenant, key: &KeyPair) -> String {
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
    crate::harness::json_ok(response, format_args!("token")).await
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
    // The SDK form names no audience: it needs the app's secret, and no other app of the
    // enterprise may register the same key.
    let fresh = key.sign(Some(&kid), &app.claims("user", tenant.admin_user_id));
    let secretless = token_request(
        &app,
        None,
        &[
            ("grant_type", "jwt"),
            ("assertion", &fresh),
            ("client_id", &tenant.client_id),
        ],
    )
    .await;
    assert_oauth_error(secretless, 401, "invalid_client").await;
    let admin = app.enterprise_token(&tenant).await;
    let other = app
        .post_ok("/api/v2/admin/app/create", &admin, &json!({"name": "Second app"}))
        .await;
    let same_key = app
        .post(
            &format!("/api/v2/admin/app/{}/update", other["app_id"]),
            &admin,
            &json!({ "jwt_public_key": key.public_pem }),
        )
        .await;
    let body = assert_api_error(same_key, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "jwt_public_key");

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
    let discovery = app.public_json("/.well-known/oauth-authorization-server").await;
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

/// A public CLI app of the tenant's enterprise; answers its client id.
pub(crate) async fn cli_app(app: &TestApp) -> String {
    let admin = app.enterprise_token(&app.tenant).await;
    let created = app
        .post_ok(
            "/api/v2/admin/app/create",
            &admin,
            &json!({"name": "openpan CLI", "client_type": "public"}),
        )
        .await;
    created["client_id"].as_str().unwrap().to_owned()
}

async fn device_start(app: &TestApp, client_id: &str, scope: &str) -> Value {
    let response = app
        .client
        .post(format!("{}/oauth/device_authorization", app.url))
        .form(&[("client_id", client_id), ("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    issued(response).await
}

async fn device_poll(app: &TestApp, client_id: &str, device_code: &str) -> reqwest::Response {
    token_request(
        app,
        None,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", client_id),
        ],
    )
    .await
}

/// Opens the device page from `verification_uri_complete` and signs in there as `login`;
/// answers what the page shows next.
async fn device_sign_in_as(browser: &mut Browser, started: &Value, login: &str) -> reqwest::Response {
    let page = browser
        .get(started["verification_uri_complete"].as_str().unwrap())
        .await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Sign in"));
    browser
        .post(
            started["verification_uri"].as_str().unwrap(),
            &[
                ("action", "login"),
                ("user_code", started["user_code"].as_str().unwrap()),
                ("login", login),
                ("password", "correct horse"),
            ],
        )
        .await
}

/// Signs the tenant's administrator in on the device page; answers the consent page.
async fn device_sign_in(browser: &mut Browser, started: &Value) -> String {
    let consent = device_sign_in_as(browser, started, "admin@acme.test").await;
    assert_eq!(consent.status(), 200);
    consent.text().await.unwrap()
}

/// The tenant's administrator enters the device's code (`started` holds `user_code`,
/// `verification_uri` and `verification_uri_complete`) and allows it.
pub(crate) async fn approve_device(started: &Value) {
    let mut browser = Browser::new();
    let consent = device_sign_in(&mut browser, started).await;
    let done = browser
        .post(
            started["verification_uri"].as_str().unwrap(),
            &[
                ("action", "approve"),
                ("user_code", started["user_code"].as_str().unwrap()),
                ("form_token", &field(&consent, "form_token")),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Device connected"));
}

#[tokio::test]
async fn a_cli_gets_tokens_once_a_person_enters_its_code_and_approves() {
    let app = TestApp::spawn().await;
    let client_id = cli_app(&app).await;
    let started = device_start(&app, &client_id, "files.read files.write openid").await;
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "{started}");
    assert_eq!(started["verification_uri"], format!("{}/oauth/device", app.url));
    assert_eq!(started["interval"], 5);
    assert_eq!(started["expires_in"], 600);
    let device_code = started["device_code"].as_str().unwrap();

    // The person has not answered: poll at the interval, not faster.
    assert_oauth_error(
        device_poll(&app, &client_id, device_code).await,
        400,
        "authorization_pending",
    )
    .await;
    assert_oauth_error(device_poll(&app, &client_id, device_code).await, 400, "slow_down").await;

    let mut browser = Browser::new();
    let consent = device_sign_in(&mut browser, &started).await;
    assert!(consent.contains("Allow openpan CLI?"), "{consent}");
    assert!(consent.contains(user_code), "the page shows the code to compare");
    assert!(consent.contains("data-scope=\"files.write\""), "{consent}");
    let token = field(&consent, "form_token");
    let done = browser
        .post(
            &format!("{}/oauth/device", app.url),
            &[("action", "approve"), ("user_code", user_code), ("form_token", &token)],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Device connected"));

    // The slowed-down device waits 10 seconds now.
    app.clock.advance(10);
    let pair = issued(device_poll(&app, &client_id, device_code).await).await;
    assert_eq!(pair["scope"], "files.read files.write openid");
    assert!(pair["id_token"].is_string(), "openid brings an ID token");
    assert!(pair["refresh_token"].is_string());
    let me = app
        .get_ok("/api/v2/user/info", pair["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["id"], app.tenant.admin_user_id);
    // The code works once.
    assert_oauth_error(device_poll(&app, &client_id, device_code).await, 400, "invalid_grant").await;

    let admin = app.enterprise_token(&app.tenant).await;
    let feed = app.get_ok("/api/v2/admin/events?cursor=0&limit=500", &admin).await;
    let approval = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["event"] == "app.authorized")
        .cloned()
        .expect("the approval is an event");
    assert_eq!(approval["data"]["via"], "device");
}

#[tokio::test]
async fn a_denied_or_expired_device_gets_no_tokens_and_wrong_codes_are_told() {
    let app = TestApp::spawn().await;
    let client_id = cli_app(&app).await;
    let denied = device_start(&app, &client_id, "files.read").await;
    let mut browser = Browser::new();
    let consent = device_sign_in(&mut browser, &denied).await;
    let token = field(&consent, "form_token");
    let user_code = denied["user_code"].as_str().unwrap();
    let refused = browser
        .post(
            &format!("{}/oauth/device", app.url),
            &[("action", "deny"), ("user_code", user_code), ("form_token", &token)],
        )
        .await;
    assert!(refused.text().await.unwrap().contains("Device refused"));
    let device_code = denied["device_code"].as_str().unwrap();
    assert_oauth_error(device_poll(&app, &client_id, device_code).await, 400, "access_denied").await;

    // A wrong code is told, and a forged approval (no form token) does nothing.
    let wrong = browser
        .post(
            &format!("{}/oauth/device", app.url),
            &[("action", "lookup"), ("user_code", "BCDF-GHJK")],
        )
        .await;
    assert_eq!(wrong.status(), 400);
    assert!(wrong.text().await.unwrap().contains("No device is waiting"));
    let waiting = device_start(&app, &client_id, "files.read").await;
    let forged = browser
        .post(
            &format!("{}/oauth/device", app.url),
            &[
                ("action", "approve"),
                ("user_code", waiting["user_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(forged.status(), 403);
    let cross_site = browser
        .client_post_with_origin(
            &format!("{}/oauth/device", app.url),
            "https://evil.example.test",
            &[
                ("action", "lookup"),
                ("user_code", waiting["user_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(cross_site.status(), 403);

    // Ten minutes on, the device must start again.
    app.clock.advance(601);
    let waiting_code = waiting["device_code"].as_str().unwrap();
    assert_oauth_error(device_poll(&app, &client_id, waiting_code).await, 400, "expired_token").await;
}

#[tokio::test]
async fn a_person_of_another_enterprise_cannot_approve_a_device() {
    let app = TestApp::spawn().await;
    let client_id = cli_app(&app).await;
    app.other_tenant("Globex", "admin@globex.test").await;
    let started = device_start(&app, &client_id, "files.read").await;
    let page = device_sign_in_as(&mut Browser::new(), &started, "admin@globex.test").await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("another enterprise"));
    let device_code = started["device_code"].as_str().unwrap();
    assert_oauth_error(
        device_poll(&app, &client_id, device_code).await,
        400,
        "authorization_pending",
    )
    .await;
}

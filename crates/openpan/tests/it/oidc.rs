//! The OAuth 2.1 / OpenID Connect authorization server: the code flow through the sign-in and
//! consent pages with PKCE, ID tokens checked against the JWKS, userinfo, finer scopes,
//! refresh-token families, discovery, and apps managed through the admin API.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Tenant, TestApp, assert_api_error, assert_oauth_error};

const ADMIN_LOGIN: &str = "admin@acme.test";
const ADMIN_PASSWORD: &str = "correct horse";
const REDIRECT: &str = "https://crm.example.test/oauth/callback";

/// A browser that shows redirects instead of following them and keeps the session cookie.
pub(crate) struct Browser {
    client: reqwest::Client,
    pub(crate) cookie: Option<String>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie: None,
        }
    }

    fn keep_cookie(&mut self, response: &reqwest::Response) {
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = Some(pair);
        }
    }

    pub(crate) async fn get(&mut self, url: &str) -> reqwest::Response {
        let mut request = self.client.get(url);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.keep_cookie(&response);
        response
    }

    /// A form another site's page posts into this browser (its session cookie goes along).
    pub(crate) async fn client_post_with_origin(
        &mut self,
        url: &str,
        origin: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.post(url).form(form).header("origin", origin);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    pub(crate) async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.post(url).form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        self.keep_cookie(&response);
        response
    }
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The value of a hidden field in a page.
pub(crate) fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} in {page}")) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

fn location_pairs(response: &reqwest::Response) -> Vec<(String, String)> {
    let location = response.headers()["location"].to_str().unwrap();
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
}

/// Registers `REDIRECT` for the tenant's app through the admin API.
async fn register_redirect(app: &TestApp, tenant: &Tenant) {
    let admin = app.enterprise_token(tenant).await;
    let updated = app
        .post_ok(
            &format!("/api/v2/admin/app/{}/update", tenant.app_id),
            &admin,
            &json!({ "redirect_uris": [REDIRECT] }),
        )
        .await;
    assert_eq!(updated["redirect_uris"], json!([REDIRECT]));
}

/// The authorization request's fields.
fn request_fields<'a>(client_id: &'a str, scope: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "xyz=="),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("nonce", "n-0S6_WzA2Mj"),
    ]
}

fn authorize_url(app: &TestApp, fields: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth/authorize", app.url)).unwrap();
    url.query_pairs_mut().extend_pairs(fields);
    url.to_string()
}

/// Signs in on the page and allows the request; answers the redirect's query.
async fn sign_in_and_allow(app: &TestApp, browser: &mut Browser, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let page = browser.get(&authorize_url(app, fields)).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Acme HR"), "{page}");
    // Signed in already (an earlier request), the page asks for consent straight away.
    let consent = if page.contains("Sign in") {
        let mut form = fields.to_vec();
        form.extend([
            ("action", "login"),
            ("login", ADMIN_LOGIN),
            ("password", ADMIN_PASSWORD),
        ]);
        let consent = browser.post(&format!("{}/oauth/authorize", app.url), &form).await;
        assert_eq!(consent.status(), 200);
        assert!(browser.cookie.is_some(), "signing in opens a session");
        consent.text().await.unwrap()
    } else {
        page
    };
    assert!(consent.contains("Allow Acme HR?"), "{consent}");
    let token = field(&consent, "form_token");
    let mut form = fields.to_vec();
    form.extend([("action", "approve"), ("form_token", token.as_str())]);
    let answer = browser.post(&format!("{}/oauth/authorize", app.url), &form).await;
    assert_eq!(answer.status(), 303);
    let location = answer.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    location_pairs(&answer)
}

/// A fresh browser signs in and allows `scope` for `client_id` with the S256 challenge of
/// `verifier`; answers the code.
async fn approved_code(app: &TestApp, client_id: &str, scope: &str, verifier: &str) -> String {
    let challenge = s256(verifier);
    let fields = request_fields(client_id, scope, &challenge);
    let answer = sign_in_and_allow(app, &mut Browser::new(), &fields).await;
    param(&answer, "code").expect("a code")
}

async fn exchange(app: &TestApp, tenant: &Tenant, code: &str, verifier: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

/// `grant_type=client_credentials` with `scope`, by the tenant's app.
async fn client_credentials(app: &TestApp, tenant: &Tenant, scope: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap()
}

/// Checks an ID token's signature against the published keys; answers its claims.
async fn verified_id_token(app: &TestApp, id_token: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .client
        .get(format!("{}/oauth/jwks", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = header.kid.expect("the ID token names its key");
    let jwk = jwks.find(&kid).expect("the key is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.url]);
    // The test server's clock is a manual one; time claims are checked by hand below.
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("the ID token verifies")
        .claims
}

#[tokio::test]
async fn a_person_signs_in_allows_the_app_and_its_code_with_the_pkce_verifier_yields_tokens_and_an_id_token() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    register_redirect(&app, tenant).await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-more";
    let challenge = s256(verifier);
    let fields = request_fields(&tenant.client_id, "openid profile email files.read", &challenge);
    let mut browser = Browser::new();
    let answer = sign_in_and_allow(&app, &mut browser, &fields).await;
    assert_eq!(
        param(&answer, "state").as_deref(),
        Some("xyz=="),
        "state comes back as sent"
    );
    assert_eq!(param(&answer, "iss").as_deref(), Some(app.url.as_str()));
    let code = param(&answer, "code").expect("a code");

    let response = exchange(&app, tenant, &code, verifier).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "files.read openid profile email");
    assert!(tokens["refresh_token"].is_string());
    let access = tokens["access_token"].as_str().unwrap();

    let claims = verified_id_token(&app, tokens["id_token"].as_str().unwrap(), &tenant.client_id).await;
    assert_eq!(claims["sub"], tenant.admin_user_id.to_string());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["email"], ADMIN_LOGIN);
    assert_eq!(claims["name"], "Acme Admin");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    let at_hash = URL_SAFE_NO_PAD.encode(&Sha256::digest(access.as_bytes())[..16]);
    assert_eq!(claims["at_hash"], at_hash.as_str());
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());

    let userinfo: Value = app
        .client
        .get(format!("{}/oauth/userinfo", app.url))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], tenant.admin_user_id.to_string());
    assert_eq!(userinfo["email"], ADMIN_LOGIN);
    assert!(userinfo.get("phone_number").is_none(), "no phone scope, no phone");

    // files.read reads the drive but changes nothing.
    let root = app.get_ok("/api/v2/folder/0/children", access).await;
    assert!(root.is_object());
    let refused = app
        .post("/api/v2/folder/create", access, &json!({"name": "x", "parent_id": 0}))
        .await;
    assert_api_error(refused, 403, "permission_denied").await;

    // The refreshed pair keeps the scopes and brings a fresh ID token.
    let refreshed: Value = app
        .refresh(tenant, tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refreshed["scope"], "files.read openid profile email");
    let again = verified_id_token(&app, refreshed["id_token"].as_str().unwrap(), &tenant.client_id).await;
    assert_eq!(again["sub"], claims["sub"]);

    // The administrators see who let which app in, with what.
    let admin = app.enterprise_token(tenant).await;
    let feed = app.get_ok("/api/v2/admin/events?cursor=0&limit=500", &admin).await;
    let approvals: Vec<&Value> = feed["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["event"] == "app.authorized")
        .collect();
    assert_eq!(approvals.len(), 1, "{feed}");
    assert_eq!(approvals[0]["operator_id"], tenant.admin_user_id);
    assert_eq!(approvals[0]["target"]["id"], tenant.app_id);
    assert_eq!(approvals[0]["data"]["scope"], "files.read openid profile email");
}

#[tokio::test]
async fn a_code_works_once_and_coming_back_revokes_the_tokens_it_gave() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    register_redirect(&app, tenant).await;
    let verifier = "a".repeat(64);
    let code = approved_code(&app, &tenant.client_id, "all", &verifier).await;
    let tokens: Value = exchange(&app, tenant, &code, &verifier).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tokens["scope"], "all");
    assert!(tokens.get("id_token").is_none(), "no openid scope, no ID token");
    app.get_ok("/api/v2/folder/0/children", access).await;

    let replay = exchange(&app, tenant, &code, &verifier).await;
    assert_oauth_error(replay, 400, "invalid_grant").await;
    let revoked = app.get("/api/v2/folder/0/children", access).await;
    assert_api_error(revoked, 401, "invalid_token").await;
}

#[tokio::test]
async fn a_wrong_or_missing_verifier_another_redirect_uri_or_an_expired_code_gets_no_tokens() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    register_redirect(&app, tenant).await;
    let verifier = "b".repeat(50);
    let fields = request_fields(&tenant.client_id, "all", "");
    let challenge = s256(&verifier);
    let fields: Vec<(&str, &str)> = fields
        .into_iter()
        .map(|(name, value)| {
            if name == "code_challenge" {
                (name, challenge.as_str())
            } else {
                (name, value)
            }
        })
        .collect();
    let mut browser = Browser::new();
    let code = param(&sign_in_and_allow(&app, &mut browser, &fields).await, "code").unwrap();

    let wrong = exchange(&app, tenant, &code, &"c".repeat(50)).await;
    assert_oauth_error(wrong, 400, "invalid_grant").await;
    let missing = app
        .client
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(missing, 400, "invalid_grant").await;
    let elsewhere = app
        .client
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://evil.example.test/cb"),
            ("code_verifier", &verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(elsewhere, 400, "invalid_grant").await;
    // Another app cannot exchange the code.
    let other = app.other_tenant("Other", "admin@other.test").await;
    let stolen = exchange(&app, &other, &code, &verifier).await;
    assert_oauth_error(stolen, 400, "invalid_grant").await;
    // None of those used the code up; it still works, within its two minutes.
    assert_eq!(exchange(&app, tenant, &code, &verifier).await.status(), 200);

    let late = param(&sign_in_and_allow(&app, &mut browser, &fields).await, "code").unwrap();
    app.clock.advance(121);
    assert_oauth_error(exchange(&app, tenant, &late, &verifier).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn requests_that_cannot_be_trusted_are_shown_an_error_page_and_never_redirected() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    register_redirect(&app, tenant).await;
    let mut browser = Browser::new();
    let challenge = s256(&"d".repeat(43));
    for (name, value) in [
        ("client_id", "no-such-client"),
        ("redirect_uri", "https://evil.example.test/cb"),
    ] {
        let mut fields = request_fields(&tenant.client_id, "all", &challenge);
        for field in fields.iter_mut().filter(|(field, _)| *field == name) {
            field.1 = value;
        }
        let page = browser.get(&authorize_url(&app, &fields)).await;
        assert_eq!(page.status(), 400, "{name}");
        assert!(page.headers().get("location").is_none());
        assert_eq!(page.headers()["x-frame-options"], "DENY");
    }
    // Once the client and its redirect URI are known good, errors go back to the app.
    let mut fields = request_fields(&tenant.client_id, "files.delete", &challenge);
    let answer = browser.get(&authorize_url(&app, &fields)).await;
    assert_eq!(answer.status(), 303);
    let pairs = location_pairs(&answer);
    assert_eq!(param(&pairs, "error").as_deref(), Some("invalid_scope"));
    assert_eq!(param(&pairs, "state").as_deref(), Some("xyz=="));
    fields[3].1 = "admin.users";
    let answer = browser.get(&authorize_url(&app, &fields)).await;
    assert_eq!(
        param(&location_pairs(&answer), "error").as_deref(),
        Some("invalid_scope")
    );
    fields[3].1 = "all";
    fields[0].1 = "token";
    let answer = browser.get(&authorize_url(&app, &fields)).await;
    assert_eq!(
        param(&location_pairs(&answer), "error").as_deref(),
        Some("unsupported_response_type")
    );
    fields[0].1 = "code";
    // prompt=none with nobody signed in.
    let mut silent = fields.clone();
    silent.push(("prompt", "none"));
    let answer = browser.get(&authorize_url(&app, &silent)).await;
    assert_eq!(
        param(&location_pairs(&answer), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn denying_tells_the_app_and_a_forged_approval_is_refused() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    register_redirect(&app, tenant).await;
    let challenge = s256(&"e".repeat(43));
    let fields = request_fields(&tenant.client_id, "all", &challenge);
    let mut browser = Browser::new();
    let mut form = fields.clone();
    form.extend([("action", "login"), ("login", ADMIN_LOGIN), ("password", "wrong")]);
    let wrong = browser.post(&format!("{}/oauth/authorize", app.url), &form).await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("Wrong login or password"));
    assert!(browser.cookie.is_none());

    // Someone of another enterprise signs in: nothing to allow.
    app.other_tenant("Other", "admin@other.test").await;
    let mut form = fields.clone();
    form.extend([
        ("action", "login"),
        ("login", "admin@other.test"),
        ("password", ADMIN_PASSWORD),
    ]);
    let outsider = Browser::new()
        .post(&format!("{}/oauth/authorize", app.url), &form)
        .await;
    assert_eq!(outsider.status(), 401);
    let page = outsider.text().await.unwrap();
    assert!(
        page.contains("another enterprise") && !page.contains("form_token"),
        "{page}"
    );

    let mut form = fields.clone();
    form.extend([
        ("action", "login"),
        ("login", ADMIN_LOGIN),
        ("password", ADMIN_PASSWORD),
    ]);
    let consent = browser
        .post(&format!("{}/oauth/authorize", app.url), &form)
        .await
        .text()
        .await
        .unwrap();
    let token = field(&consent, "form_token");

    // A page elsewhere that posts the signed-in browser's approval lacks the form token.
    let mut forged = fields.clone();
    forged.extend([("action", "approve"), ("form_token", "0000")]);
    let refused = browser.post(&format!("{}/oauth/authorize", app.url), &forged).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("location").is_none());

    // Signed in, the next request goes straight to consent.
    let page = browser.get(&authorize_url(&app, &fields)).await.text().await.unwrap();
    assert!(page.contains("Allow Acme HR?"));
    let mut deny = fields.clone();
    deny.extend([("action", "deny"), ("form_token", token.as_str())]);
    let answer = browser.post(&format!("{}/oauth/authorize", app.url), &deny).await;
    assert_eq!(answer.status(), 303);
    let pairs = location_pairs(&answer);
    assert_eq!(param(&pairs, "error").as_deref(), Some("access_denied"));
    assert!(param(&pairs, "code").is_none());
}

#[tokio::test]
async fn a_public_client_needs_pkce_has_no_secret_and_cannot_act_for_the_enterprise() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let admin = app.enterprise_token(tenant).await;
    let created = app
        .post_ok(
            "/api/v2/admin/app/create",
            &admin,
            &json!({"name": "Acme HR", "client_type": "public", "redirect_uris": [REDIRECT]}),
        )
        .await;
    assert_eq!(created["client_type"], "public");
    assert!(created.get("client_secret").is_none(), "{created}");
    let client_id = created["client_id"].as_str().unwrap();

    let mut without_pkce = request_fields(client_id, "all", "");
    without_pkce.retain(|(name, _)| !name.starts_with("code_challenge"));
    let answer = Browser::new().get(&authorize_url(&app, &without_pkce)).await;
    assert_eq!(
        param(&location_pairs(&answer), "error").as_deref(),
        Some("invalid_request")
    );

    let verifier = "f".repeat(43);
    let code = approved_code(&app, client_id, "files.read", &verifier).await;
    let token = |grant: Vec<(&'static str, String)>| {
        let client = app.client.clone();
        let url = format!("{}/oauth/token", app.url);
        async move { client.post(url).form(&grant).send().await.unwrap() }
    };
    let issued = token(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", client_id.into()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT.into()),
        ("code_verifier", verifier.clone()),
    ])
    .await;
    assert_eq!(issued.status(), 200);
    let issued: Value = issued.json().await.unwrap();
    let refreshed = token(vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", client_id.into()),
        ("refresh_token", issued["refresh_token"].as_str().unwrap().into()),
    ])
    .await;
    assert_eq!(refreshed.status(), 200);
    let acting = token(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", client_id.into()),
    ])
    .await;
    assert_oauth_error(acting, 400, "unauthorized_client").await;
    // A confidential client cannot skip its secret.
    let skipping = token(vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", tenant.client_id.clone()),
        ("refresh_token", "1.x".into()),
    ])
    .await;
    assert_oauth_error(skipping, 401, "invalid_client").await;
}

#[tokio::test]
async fn a_used_refresh_token_presented_again_revokes_every_pair_of_its_grant() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let first = app.token(tenant, "user", tenant.admin_user_id).await;
    let old_refresh = first["refresh_token"].as_str().unwrap();
    let second: Value = app.refresh(tenant, old_refresh).await.json().await.unwrap();
    let third: Value = app
        .refresh(tenant, second["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let newest = third["access_token"].as_str().unwrap();
    app.get_ok("/api/v2/folder/0/children", newest).await;
    // An unrelated grant of the same user is not touched.
    let unrelated = app.admin_user_token().await;

    // The thief (or a confused client) replays the first refresh token.
    assert_oauth_error(app.refresh(tenant, old_refresh).await, 400, "invalid_grant").await;
    assert_api_error(app.get("/api/v2/folder/0/children", newest).await, 401, "invalid_token").await;
    let later = app.refresh(tenant, third["refresh_token"].as_str().unwrap()).await;
    assert_oauth_error(later, 400, "invalid_grant").await;
    app.get_ok("/api/v2/folder/0/children", &unrelated).await;

    // A refresh token guessed for a used pair, without its secret, revokes nothing.
    let fourth = app.token(tenant, "user", tenant.admin_user_id).await;
    let fifth: Value = app
        .refresh(tenant, fourth["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let id = fourth["refresh_token"].as_str().unwrap().split('.').next().unwrap();
    assert_oauth_error(app.refresh(tenant, &format!("{id}.guess")).await, 400, "invalid_grant").await;
    app.get_ok("/api/v2/folder/0/children", fifth["access_token"].as_str().unwrap())
        .await;
}

#[tokio::test]
async fn the_discovery_documents_name_the_issuer_and_every_endpoint() {
    let app = TestApp::spawn().await;
    for path in [
        ".well-known/openid-configuration",
        ".well-known/oauth-authorization-server",
    ] {
        let document = app.public_json(&format!("/{path}")).await;
        assert_eq!(document["issuer"], app.url.as_str());
        for (name, endpoint) in [
            ("authorization_endpoint", "/oauth/authorize"),
            ("token_endpoint", "/oauth/token"),
            ("userinfo_endpoint", "/oauth/userinfo"),
            ("jwks_uri", "/oauth/jwks"),
            ("revocation_endpoint", "/oauth/revoke"),
            ("introspection_endpoint", "/oauth/introspect"),
            ("device_authorization_endpoint", "/oauth/device_authorization"),
        ] {
            let url = document[name].as_str().unwrap();
            assert_eq!(url, format!("{}{endpoint}", app.url));
            // Every endpoint answers something other than "not found".
            let status = app.client.get(url).send().await.unwrap().status();
            assert_ne!(status, 404, "{name}");
        }
        // OpenID Connect Discovery 1.0 §3: the required members.
        for required in [
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
        ] {
            assert!(
                document[required].as_array().is_some_and(|list| !list.is_empty()),
                "{required}"
            );
        }
        let algorithms = document["id_token_signing_alg_values_supported"].as_array().unwrap();
        assert!(algorithms.contains(&json!("RS256")));
        assert_eq!(document["code_challenge_methods_supported"], json!(["S256"]));
        let scopes = document["scopes_supported"].as_array().unwrap();
        for scope in ["openid", "all", "admin", "files.read", "admin.users"] {
            assert!(scopes.contains(&json!(scope)), "{scope}");
        }
    }
}

#[tokio::test]
async fn apps_are_registered_rotated_narrowed_and_disabled_through_the_admin_api() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let admin = app.enterprise_token(tenant).await;
    let created = app
        .post_ok(
            "/api/v2/admin/app/create",
            &admin,
            &json!({"name": "Directory sync", "scopes": "admin.users", "redirect_uris": []}),
        )
        .await;
    assert_eq!(created["client_type"], "confidential");
    assert_eq!(created["scopes"], "admin.users");
    let sync = Tenant {
        enterprise_id: tenant.enterprise_id,
        admin_user_id: tenant.admin_user_id,
        app_id: created["app_id"].as_i64().unwrap(),
        client_id: created["client_id"].as_str().unwrap().to_owned(),
        client_secret: created["client_secret"].as_str().unwrap().to_owned(),
    };
    let listed = app.get_ok("/api/v2/admin/app/list", &admin).await;
    assert_eq!(listed["apps"].as_array().unwrap().len(), 2);
    assert!(listed["apps"][1].get("client_secret").is_none());

    // Narrowed to the directory: the seed's enterprise grant gets just that.
    let narrowed = app.token(&sync, "enterprise", tenant.enterprise_id).await;
    assert_eq!(narrowed["scope"], "admin.users");
    let token = narrowed["access_token"].as_str().unwrap();
    app.get_ok("/api/v2/admin/user/all", token).await;
    assert_api_error(app.get("/api/v2/admin/app/list", token).await, 403, "permission_denied").await;
    let wider = client_credentials(&app, &sync, "admin.audit").await;
    assert_oauth_error(wider, 400, "invalid_scope").await;

    // A rotated secret: the old one works for the grace period, then no more.
    let rotated = app
        .post_ok(
            &format!("/api/v2/admin/app/{}/rotate_secret", sync.app_id),
            &admin,
            &json!({"grace_seconds": 3600}),
        )
        .await;
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, sync.client_secret);
    assert_eq!(
        app.jwt_simple(&sync, &app.claims("enterprise", tenant.enterprise_id))
            .await
            .status(),
        200
    );
    let renewed = Tenant {
        client_secret: new_secret,
        ..sync.clone()
    };
    assert_eq!(
        app.jwt_simple(&renewed, &app.claims("enterprise", tenant.enterprise_id))
            .await
            .status(),
        200
    );
    app.clock.advance(3601);
    let admin = app.enterprise_token(tenant).await;
    let old = app
        .jwt_simple(&sync, &app.claims("enterprise", tenant.enterprise_id))
        .await;
    assert_oauth_error(old, 401, "invalid_client").await;

    // Disabled: its tokens stop at once.
    let token = app.enterprise_token(&renewed).await;
    app.post_ok(
        &format!("/api/v2/admin/app/{}/disable", sync.app_id),
        &admin,
        &json!({}),
    )
    .await;
    assert_api_error(app.get("/api/v2/admin/user/all", &token).await, 401, "invalid_token").await;
    let bad = app
        .post(
            &format!("/api/v2/admin/app/{}/update", tenant.app_id),
            &admin,
            &json!({"redirect_uris": ["javascript:alert(1)"]}),
        )
        .await;
    let body = assert_api_error(bad, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "redirect_uris");
    // Another enterprise's apps are not there.
    let other = app.other_tenant("Other", "admin@other.test").await;
    let other_admin = app.enterprise_token(&other).await;
    let foreign = app
        .get(&format!("/api/v2/admin/app/{}/info", tenant.app_id), &other_admin)
        .await;
    assert_api_error(foreign, 404, "app_not_found").await;
}

#[tokio::test]
async fn a_new_signing_key_is_published_before_it_signs() {
    let app = TestApp::spawn().await;
    let first: Value = app
        .client
        .get(format!("{}/oauth/jwks", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["keys"].as_array().unwrap().len(), 1);
    let first_kid = first["keys"][0]["kid"].as_str().unwrap().to_owned();
    app.clock.advance(1);
    let kid = app
        .core
        .rotate_signing_key(&openpan_core::auth::Principal::local_operator())
        .await
        .unwrap();
    let both: Value = app
        .client
        .get(format!("{}/oauth/jwks", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = both["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [first_kid.as_str(), kid.as_str()]);

    let tenant = &app.tenant;
    // The refresh of an openid grant shows which key signs now.
    register_redirect(&app, tenant).await;
    let verifier = "g".repeat(43);
    let code = approved_code(&app, &tenant.client_id, "openid", &verifier).await;
    let tokens: Value = exchange(&app, tenant, &code, &verifier).await.json().await.unwrap();
    let header = jsonwebtoken::decode_header(tokens["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some(first_kid.as_str()), "the new key waits");
    app.clock.advance(301);
    let refreshed: Value = app
        .refresh(tenant, tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(refreshed["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.kid.as_deref(), Some(kid.as_str()), "then signs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_oauth_library_completes_the_code_flow_with_pkce_and_validates_the_id_token() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    register_redirect(&app, tenant).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/demos/authlib_code_flow.py");
    let mut command = std::process::Command::new("python3");
    command
        .arg(script)
        .env("OPENPAN_ISSUER", &app.url)
        .env("OPENPAN_CLIENT_ID", &tenant.client_id)
        .env("OPENPAN_CLIENT_SECRET", &tenant.client_secret)
        .env("OPENPAN_REDIRECT_URI", REDIRECT)
        .env("OPENPAN_LOGIN", ADMIN_LOGIN)
        .env("OPENPAN_PASSWORD", ADMIN_PASSWORD);
    let output = tokio::task::block_in_place(|| command.output()).expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "authlib flow failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(seen["scope"], "files.read openid profile email");
    assert_eq!(seen["refreshed_scope"], seen["scope"]);
    assert_eq!(seen["sub"], tenant.admin_user_id.to_string());
    assert_eq!(seen["email"], ADMIN_LOGIN);
    assert_eq!(seen["at_hash_checked"], true);
}

/// A token for the tenant's admin user with only `scope`, through the code flow.
async fn user_token_with(app: &TestApp, scope: &str) -> Value {
    let tenant = &app.tenant;
    let verifier = "h".repeat(43);
    let code = approved_code(app, &tenant.client_id, scope, &verifier).await;
    exchange(app, tenant, &code, &verifier).await.json().await.unwrap()
}

#[tokio::test]
async fn a_narrow_token_reaches_neither_the_older_dialects_nor_a_share_link() {
    let app = TestApp::spawn().await;
    register_redirect(&app, &app.tenant).await;
    let identity = user_token_with(&app, "openid profile").await;
    let token = identity["access_token"].as_str().unwrap();
    assert_api_error(
        app.get("/api/v2/folder/0/children", token).await,
        403,
        "permission_denied",
    )
    .await;
    let oa = app
        .client
        .get(format!("{}/api/open-api/users", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let body: Value = oa.json().await.unwrap();
    assert_ne!(body["status"], 1, "the OA dialect refuses it: {body}");
    assert!(body.get("data").is_none_or(|data| data.get("list").is_none()), "{body}");
    let v1 = app
        .client
        .get(format!("{}/api/v1/account/get_token_info", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(v1.status(), 403);

    // A public share link opens to anyone; a token that may not read files adds nothing.
    let owner = app.admin_user_token().await;
    let folder = app.mkdir(&owner, 0, "Shared").await;
    let link = app
        .post_ok(
            "/api/v2/share_link/create",
            &owner,
            &json!({"folder_id": folder["id"], "access": "public", "password_protected": false}),
        )
        .await;
    let name = link["unique_name"].as_str().unwrap();
    let visit = |token: Option<&str>| {
        let mut request = app
            .client
            .get(format!("{}/api/v2/folder/{}/info", app.url, folder["id"]))
            .header("Share-Link-Token", name);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(visit(None).await.unwrap().status(), 200);
    assert_api_error(visit(Some(token)).await.unwrap(), 403, "permission_denied").await;
}

#[tokio::test]
async fn a_partial_administrator_cannot_mint_an_app_stronger_than_itself() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let partial: Value = client_credentials(&app, tenant, "admin.apps")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(partial["scope"], "admin.apps");
    assert!(partial.get("refresh_token").is_none());
    let token = partial["access_token"].as_str().unwrap();
    for body in [
        json!({"name": "Anything"}),
        json!({"name": "Users", "scopes": "admin.users"}),
    ] {
        let refused = app.post("/api/v2/admin/app/create", token, &body).await;
        assert_api_error(refused, 403, "permission_denied").await;
    }
    let unlimited = app
        .post(
            &format!("/api/v2/admin/app/{}/rotate_secret", tenant.app_id),
            token,
            &json!({}),
        )
        .await;
    assert_api_error(unlimited, 403, "permission_denied").await;
    let within = app
        .post_ok(
            "/api/v2/admin/app/create",
            token,
            &json!({"name": "Apps robot", "scopes": "admin.apps"}),
        )
        .await;
    assert_eq!(within["scopes"], "admin.apps");
    // Events show everything that happens: not for a partial administrator without the audit
    // scope, not even on an app within its own scopes.
    let with_events = app
        .post(
            "/api/v2/admin/app/create",
            token,
            &json!({"name": "Listener", "scopes": "admin.apps", "callback_url": "http://127.0.0.1:9/hook"}),
        )
        .await;
    assert_api_error(with_events, 403, "permission_denied").await;
    let hook = app
        .get(&format!("/api/v2/admin/app/{}/webhook", within["app_id"]), token)
        .await;
    assert_api_error(hook, 403, "permission_denied").await;
    // Login links are the whole of every user's access: admin.users alone does not mint them.
    let users: Value = client_credentials(&app, tenant, "admin.users")
        .await
        .json()
        .await
        .unwrap();
    let users = users["access_token"].as_str().unwrap();
    app.get_ok("/api/v2/admin/user/all", users).await;
    let link = app
        .post(
            "/api/v2/admin/user/get_login_url",
            users,
            &json!({"identifier": "admin@acme.test", "type": "email"}),
        )
        .await;
    assert_api_error(link, 403, "permission_denied").await;
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_every_pair_of_its_grant_and_public_clients_cannot_introspect() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let first = app.token(tenant, "user", tenant.admin_user_id).await;
    let second: Value = app
        .refresh(tenant, first["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let first_access = first["access_token"].as_str().unwrap();
    app.get_ok("/api/v2/folder/0/children", first_access).await;
    let revoked = app
        .client
        .post(format!("{}/oauth/token/revoke", app.url))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .form(&[("token", second["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_api_error(
        app.get("/api/v2/folder/0/children", first_access).await,
        401,
        "invalid_token",
    )
    .await;
    let second_access = second["access_token"].as_str().unwrap();
    assert_api_error(
        app.get("/api/v2/folder/0/children", second_access).await,
        401,
        "invalid_token",
    )
    .await;

    let admin = app.enterprise_token(tenant).await;
    let public = app
        .post_ok(
            "/api/v2/admin/app/create",
            &admin,
            &json!({"name": "Mobile", "client_type": "public", "redirect_uris": [REDIRECT]}),
        )
        .await;
    let client_id = public["client_id"].as_str().unwrap();
    let peek = app
        .client
        .post(format!("{}/oauth/introspect", app.url))
        .form(&[("client_id", client_id), ("token", admin.as_str())])
        .send()
        .await
        .unwrap();
    assert_oauth_error(peek, 401, "invalid_client").await;
    let rotate = app
        .post(
            &format!("/api/v2/admin/app/{}/rotate_secret", public["app_id"]),
            &admin,
            &json!({}),
        )
        .await;
    assert_api_error(rotate, 400, "request_data_invalid").await;
}

#[tokio::test]
async fn a_sign_in_form_posted_from_another_site_is_refused() {
    let app = TestApp::spawn().await;
    register_redirect(&app, &app.tenant).await;
    let challenge = s256(&"i".repeat(43));
    let mut form = request_fields(&app.tenant.client_id, "all", &challenge);
    form.extend([
        ("action", "login"),
        ("login", ADMIN_LOGIN),
        ("password", ADMIN_PASSWORD),
    ]);
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example.test"),
    ] {
        let response = Browser::new()
            .client
            .post(format!("{}/oauth/authorize", app.url))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{header}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    let same = Browser::new()
        .client
        .post(format!("{}/oauth/authorize", app.url))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
}

#[tokio::test]
async fn a_code_approved_before_the_app_was_narrowed_gets_no_wider_tokens() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    register_redirect(&app, tenant).await;
    let verifier = "j".repeat(43);
    let code = approved_code(&app, &tenant.client_id, "files.read files.write", &verifier).await;
    let admin = app.enterprise_token(tenant).await;
    app.post_ok(
        &format!("/api/v2/admin/app/{}/update", tenant.app_id),
        &admin,
        &json!({"scopes": "files.read"}),
    )
    .await;
    assert_oauth_error(exchange(&app, tenant, &code, &verifier).await, 400, "invalid_grant").await;
}

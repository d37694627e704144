//! The web console's credentials: a password sign-in opens a web session, which the console's
//! pages trade for bearer tokens of the enterprise's built-in console app — refused from other
//! sites, never listed among the integrator's apps.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

async fn post(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    body: Value,
) -> reqwest::Response {
    let mut request = app.client.post(format!("{}{path}", app.url)).json(&body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

const CONSOLE: (&str, &str) = ("x-openpan-console", "1");

/// Signs in with a password; the cookie to send back.
async fn sign_in_as(app: &TestApp, login: &str, password: &str) -> String {
    let response = post(
        app,
        "/console/login",
        None,
        &[CONSOLE],
        json!({"login": login, "password": password}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email"], login);
    cookie.split(';').next().unwrap().to_owned()
}

/// A console token for the session `cookie` (`query`: `?admin=true` for the enterprise's).
async fn console_token(app: &TestApp, cookie: &str, query: &str) -> Value {
    let response = post(
        app,
        &format!("/console/token{query}"),
        Some(cookie),
        &[CONSOLE],
        json!({}),
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Signs in as the administrator.
async fn sign_in(app: &TestApp) -> String {
    sign_in_as(app, "admin@acme.test", "correct horse").await
}

#[tokio::test]
async fn a_signed_in_browser_gets_tokens_for_the_open_api_and_an_administrator_the_enterprises() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app).await;

    let token = console_token(&app, &cookie, "").await;
    assert_eq!(token["is_admin"], true);
    assert!(token.get("refresh_token").is_none(), "{token}");
    let access = token["access_token"].as_str().unwrap();
    let me = app.get_ok("/api/v2/user/info", access).await;
    assert_eq!(me["id"], app.tenant.admin_user_id);
    app.mkdir(access, 0, "来自网页").await;

    let admin = console_token(&app, &cookie, "?admin=true").await;
    let admin = admin["access_token"].as_str().unwrap();
    let users = app.get_ok("/api/v2/admin/user/all", admin).await;
    assert!(users.to_string().contains("admin@acme.test"), "{users}");

    // The console's app is nobody's to list, change or sign in with, through any dialect.
    let enterprise = app.enterprise_token(&app.tenant).await;
    let apps = app.get_ok("/api/v2/admin/app/list", &enterprise).await;
    assert!(!apps.to_string().contains("openpan-console"), "{apps}");
    let config = app.v1_ok("account/auth_config", &enterprise, &[]).await;
    assert!(!config.to_string().contains("openpan-console"), "{config}");
    let console_app = app
        .sql_i64("select app_id from app where client_id like 'openpan-console-%'")
        .await;
    for response in [
        app.get(&format!("/api/v2/admin/app/{console_app}/info"), &enterprise)
            .await,
        app.post(
            "/api/v1/account/update_auth_config",
            &enterprise,
            &json!({"app_id": console_app, "status": "disabled"}),
        )
        .await,
        app.post(
            &format!("/api/v2/admin/app/{console_app}/update"),
            &enterprise,
            &json!({"name": "mine now"}),
        )
        .await,
    ] {
        assert_eq!(response.status(), 404, "{}", response.text().await.unwrap());
    }
    assert_eq!(
        post(&app, "/console/token", Some(&cookie), &[CONSOLE], json!({}))
            .await
            .status(),
        200,
        "the console still works"
    );

    // Signed out, the session trades for nothing more.
    post(&app, "/console/logout", Some(&cookie), &[CONSOLE], json!({})).await;
    assert_api_error(
        post(&app, "/console/token", Some(&cookie), &[CONSOLE], json!({})).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn console_posts_from_other_sites_or_without_the_consoles_header_are_refused() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app).await;
    assert_api_error(
        post(&app, "/console/token", Some(&cookie), &[], json!({})).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        post(
            &app,
            "/console/token",
            Some(&cookie),
            &[CONSOLE, ("sec-fetch-site", "cross-site")],
            json!({}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        post(
            &app,
            "/console/login",
            None,
            &[CONSOLE, ("origin", "https://evil.example")],
            json!({"login": "admin@acme.test", "password": "correct horse"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
}

#[tokio::test]
async fn a_member_who_is_no_administrator_gets_no_enterprise_token_and_a_wrong_password_no_session() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        "/api/v2/admin/user/create",
        &admin,
        &json!({"email": "mei@acme.test", "name": "Mei", "force_active": true, "password": "secret-123"}),
    )
    .await;
    let wrong = post(
        &app,
        "/console/login",
        None,
        &[CONSOLE],
        json!({"login": "mei@acme.test", "password": "nope"}),
    )
    .await;
    assert!(wrong.headers().get("set-cookie").is_none());
    assert_eq!(wrong.status(), 401);

    let cookie = sign_in_as(&app, "mei@acme.test", "secret-123").await;
    let token = console_token(&app, &cookie, "").await;
    assert_eq!(token["is_admin"], false);
    assert_api_error(
        post(&app, "/console/token?admin=true", Some(&cookie), &[CONSOLE], json!({})).await,
        403,
        "permission_denied",
    )
    .await;
}

#[tokio::test]
async fn a_browser_gets_the_console_page_and_a_program_the_servers_name() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(format!("{}/", app.url))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'self'"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads its script");
    assert!(script.starts_with("/assets/console-"), "{script}");
    let asset = app.client.get(format!("{}{script}", app.url)).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert!(asset.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));

    let json = app.public_json("/").await;
    assert_eq!(json["name"], "openpan");
    let viewer = app
        .client
        .get(format!("{}/preview/preview.html", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), 200);
    assert!(viewer.text().await.unwrap().contains("/assets/viewer-"));
    let missing = app
        .client
        .get(format!("{}/assets/nothing.js", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_status_page_shows_an_administrator_the_stores_the_enterprises_usage_and_each_apps_webhook() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    app.create_user(&app.tenant, "Bo", "bo@acme.test").await;
    let user = app.admin_user_token().await;
    app.upload(&user, 0, "plan.txt", b"twelve bytes").await;
    let hooked = app
        .post_ok(
            "/api/v2/admin/app/create",
            &admin,
            &json!({"name": "HR sync", "callback_url": "http://127.0.0.1:9/hook"}),
        )
        .await;

    let status = app.get_ok("/api/v2/admin/enterprise/status", &admin).await;
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert!(status["started_at"].as_i64().unwrap() <= status["checked_at"].as_i64().unwrap());
    let stores = status["stores"].as_array().unwrap();
    assert!(
        stores
            .iter()
            .any(|store| store["name"] == "database" && store["healthy"] == true),
        "{status}"
    );
    assert!(stores.iter().all(|store| store["healthy"] == true), "{status}");
    assert_eq!(status["enterprise"]["id"], app.tenant.enterprise_id);
    assert_eq!(status["enterprise"]["user_count"], 2);
    assert!(status["enterprise"]["space_used"].as_i64().unwrap() >= 12, "{status}");
    let hook = status["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["webhook"]["app_id"] == hooked["app_id"])
        .unwrap_or_else(|| panic!("{status}"));
    assert_eq!(hook["app_name"], "HR sync");
    assert_eq!(hook["app_status"], "active");
    assert_eq!(hook["webhook"]["callback_url"], "http://127.0.0.1:9/hook");
    assert!(
        hook["webhook"]["latest_event_id"].as_i64().unwrap() >= hook["webhook"]["delivered_event_id"].as_i64().unwrap()
    );
    // The console's own app (made on its first token) is not among them.
    let cookie = sign_in(&app).await;
    console_token(&app, &cookie, "").await;
    let console_app = app
        .sql_i64("select app_id from app where client_id like 'openpan-console-%'")
        .await;
    let status = app.get_ok("/api/v2/admin/enterprise/status", &admin).await;
    let listed: Vec<i64> = status["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["webhook"]["app_id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [app.tenant.app_id, hooked["app_id"].as_i64().unwrap()]);
    assert!(!listed.contains(&console_app));

    let refused = app.get("/api/v2/admin/enterprise/status", &user).await;
    assert_api_error(refused, 403, "permission_denied").await;
}

#[tokio::test]
async fn the_audit_log_names_the_administrator_who_acted_through_the_console() {
    let app = TestApp::spawn().await;
    let cookie = sign_in(&app).await;
    let console = console_token(&app, &cookie, "?admin=true").await;
    let access = console["access_token"].as_str().unwrap();
    app.post_ok("/api/v2/admin/group/create", access, &json!({"name": "财务组"}))
        .await;
    // An app's own enterprise token acts for nobody in particular.
    let integration = app.enterprise_token(&app.tenant).await;
    app.post_ok("/api/v2/admin/group/create", &integration, &json!({"name": "销售组"}))
        .await;

    let today = crate::audit::today(&app);
    let log = app
        .post_ok(
            "/api/v2/admin/log/log_info",
            &integration,
            &json!({"start_date": today, "end_date": today}),
        )
        .await;
    let entry = |name: &str| {
        log["user_activities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["target"]["target_file_name"] == name)
            .unwrap_or_else(|| panic!("{name}: {log}"))
            .clone()
    };
    assert_eq!(entry("财务组")["operator"]["login"], "admin@acme.test");
    assert_eq!(entry("财务组")["operator"]["id"], app.tenant.admin_user_id.to_string());
    assert_eq!(entry("销售组")["operator"]["login"], "");

    // The token lasts only while its person administers the enterprise.
    let later = console_token(&app, &cookie, "?admin=true").await;
    app.sql(&format!(
        "update user_account set is_admin = false where user_id = {}",
        app.tenant.admin_user_id
    ))
    .await;
    let refused = app
        .get("/api/v2/admin/group/list", later["access_token"].as_str().unwrap())
        .await;
    assert_eq!(refused.status(), 401);
}

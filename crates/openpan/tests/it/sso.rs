//! 免登: an integrator mints a single-use login link for a user; following it opens a web
//! session without a password.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

/// A client that shows redirects instead of following them, keeping no cookies.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Follows a login link; answers the session cookie's value.
async fn sign_in(link: &str) -> String {
    let response = browser().get(link).send().await.unwrap();
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    assert_eq!(response.headers()["location"], "/");
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let pair = cookie.split(';').next().unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, "openpan_session");
    value.to_owned()
}

async fn session(app: &TestApp, cookie: &str) -> reqwest::Response {
    browser()
        .get(format!("{}/console/session", app.url))
        .header("cookie", format!("theme=dark; openpan_session={cookie}"))
        .send()
        .await
        .unwrap()
}

async fn login_url(app: &TestApp, admin: &str, query: &str) -> String {
    let answer = app
        .get_ok(&format!("/api/v2/admin/user/get_login_url?{query}"), admin)
        .await;
    assert_eq!(answer["expires_in"], 300);
    answer["login_url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_login_link_opens_one_web_session_and_activates_a_waiting_account() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let invited = app
        .post_ok(
            "/api/v2/admin/user/create",
            &admin,
            &json!({"email": "new@acme.test", "name": "新人"}),
        )
        .await;
    let id = invited["id"].as_i64().unwrap();
    assert_eq!(invited["active"], false);

    let link = login_url(&app, &admin, "identifier=new@acme.test&type=simple_phone_or_email").await;
    assert!(link.starts_with(&format!("{}/sso/login?", app.url)), "{link}");
    let cookie = sign_in(&link).await;
    let me: Value = session(&app, &cookie).await.json().await.unwrap();
    assert_eq!(me["user"]["id"], id);
    assert_eq!(me["user"]["name"], "新人");
    assert!(me["expires_at"].as_i64().unwrap() > app.now());

    // The first login activated the account and is on record.
    let info = app
        .get_ok(&format!("/api/v2/admin/user/{id}/info?last_login_flag=true"), &admin)
        .await;
    assert_eq!(info["active"], true);
    assert_eq!(info["last_login_at"], app.now());
    app.user_token(&app.tenant, id).await;

    // The link works once.
    let again = browser().get(&link).send().await.unwrap();
    assert_api_error(again, 404, "link_invalid_or_expired").await;

    // Logging out ends the session and clears the cookie.
    let out = browser()
        .post(format!("{}/console/logout", app.url))
        .header("cookie", format!("openpan_session={cookie}"))
        .header("x-openpan-console", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_api_error(session(&app, &cookie).await, 401, "unauthorized").await;
    assert_api_error(session(&app, "forged").await, 401, "unauthorized").await;
    let bare = browser()
        .get(format!("{}/console/session", app.url))
        .send()
        .await
        .unwrap();
    assert_api_error(bare, 401, "unauthorized").await;
}

#[tokio::test]
async fn login_params_expire_after_five_minutes_and_belong_to_their_app() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let params = app
        .get_ok(
            &format!(
                "/api/v2/admin/user/get_login_params?identifier={}&type=simple_phone_or_email",
                "admin@acme.test"
            ),
            &admin,
        )
        .await;
    assert_eq!(params["client_id"], app.tenant.client_id.as_str());
    assert_eq!(params["expires_in"], 300);
    let auth_key = params["auth_key"].as_str().unwrap();
    let link = |client_id: &str, key: &str| format!("{}/sso/login?client_id={client_id}&auth_key={key}", app.url);

    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let foreign = browser().get(link(&other.client_id, auth_key)).send().await.unwrap();
    assert_api_error(foreign, 404, "link_invalid_or_expired").await;
    let missing = browser()
        .get(format!("{}/sso/login?client_id={}", app.url, app.tenant.client_id))
        .send()
        .await
        .unwrap();
    let missing = assert_api_error(missing, 400, "request_data_invalid").await;
    assert_eq!(missing["errors"][0]["field"], "auth_key");

    app.clock.advance(301);
    let late = browser()
        .get(link(&app.tenant.client_id, auth_key))
        .send()
        .await
        .unwrap();
    assert_api_error(late, 404, "link_invalid_or_expired").await;
    // A person's browser is sent to the sign-in page, which says the link did not work.
    let late_in_browser = browser()
        .get(link(&app.tenant.client_id, auth_key))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(late_in_browser.status(), 303);
    assert_eq!(late_in_browser.headers()["location"], "/#/sso-failed");
    assert!(late_in_browser.headers().get("set-cookie").is_none());

    // A fresh ticket, redeemed in time, works — and ends when its user is deleted.
    let user = app
        .post_ok(
            "/api/v2/admin/user/create",
            &admin,
            &json!({"phone": "13900000009", "force_active": true, "password": "secret-123"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let link = login_url(&app, &admin, "identifier=13900000009&type=phone").await;
    let cookie = sign_in(&link).await;
    assert_eq!(session(&app, &cookie).await.status(), 200);
    app.post_ok(
        &format!("/api/v2/admin/user/{user}/delete"),
        &admin,
        &json!({"user_receive_items": app.tenant.admin_user_id}),
    )
    .await;
    assert_api_error(session(&app, &cookie).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn only_an_enterprise_token_mints_login_links_for_its_own_users() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.admin_user_token().await;
    assert_api_error(
        app.get(
            "/api/v2/admin/user/get_login_url?identifier=admin@acme.test&type=email",
            &user,
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    app.other_tenant("Globex", "boss@globex.test").await;
    assert_api_error(
        app.get(
            "/api/v2/admin/user/get_login_url?identifier=boss@globex.test&type=email",
            &admin,
        )
        .await,
        404,
        "user_not_found",
    )
    .await;
    let bad_type = assert_api_error(
        app.get("/api/v2/admin/user/get_login_params?identifier=x&type=fax", &admin)
            .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(bad_type["errors"][0]["field"], "type");
}

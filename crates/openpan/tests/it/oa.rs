//! The OA dialect's tokens, followed as its document tells an integrator: `get-token` with the
//! app's AgentId and Secret, the token as a bearer or `api_token`, `refresh-token`, and
//! `login-info/refresh`, at the short and the full paths.

use serde_json::{Value, json};

use openpan_core::auth::Principal;
use openpan_core::ids::{AppId, EnterpriseId};
use openpan_core::model::UserField;
use openpan_core::services::CreateUser;

use crate::harness::{Tenant, TestApp};

async fn post_json(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}{path}", app.url))
        .json(body)
        .send()
        .await
        .expect("OA request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

async fn get_token(app: &TestApp, tenant: &Tenant, user: &str) -> (u16, Value) {
    post_json(
        app,
        "/api/open-api/get-token",
        &json!({ "agent_id": tenant.client_id, "secret": tenant.client_secret, "user": user }),
    )
    .await
}

fn assert_failure(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["status"], 0, "{body}");
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty())
    );
}

async fn user_with_phone(app: &TestApp, tenant: &Tenant, email: &str, phone: &str) -> i64 {
    let cmd = CreateUser {
        enterprise_id: EnterpriseId(tenant.enterprise_id),
        name: "Lin".to_owned(),
        email: Some(email.to_owned()),
        phone: Some(phone.to_owned()),
        password: None,
    };
    let created = openpan::admin::create_user(&app.core, cmd, Some((3, "hr-0042".to_owned())))
        .await
        .expect("user");
    created["user_id"].as_i64().expect("user_id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oa_integrator_gets_refreshes_and_checks_a_token_as_the_document_shows() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let user_id = user_with_phone(&app, &tenant, "lin@acme.test", "13800000001").await;

    let (status, body) = get_token(&app, &tenant, "lin@acme.test").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 1);
    let data = &body["data"];
    assert_eq!(data["user"], user_id.to_string());
    assert_eq!(data["expired_in"], "21600");
    assert_eq!(data["refresh_token_expired_in"], "7776000");
    let token = data["token"].as_str().unwrap().to_owned();
    let refresh = data["refresh_token"].as_str().unwrap().to_owned();

    // The token is the platform's: it opens `/api/v2` as the user.
    let me = app.get_ok("/api/v2/user/info", &token).await;
    assert_eq!(me["id"], user_id);

    // As a bearer, as `api_token`, as `token`, at both paths.
    for (path, bearer, query) in [
        ("/api/auth/login-info/refresh", true, String::new()),
        (
            "/eoffice/server/public/api/auth/login-info/refresh",
            false,
            format!("?api_token={token}"),
        ),
        ("/api/auth/login-info/refresh", false, format!("?token={token}")),
    ] {
        let mut request = app.client.get(format!("{}{path}{query}", app.url));
        if bearer {
            request = request.bearer_auth(&token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], 1);
        assert_eq!(body["data"]["current_user"]["user_id"], user_id.to_string());
        assert_eq!(body["data"]["current_user"]["user_accounts"], "lin@acme.test");
        assert_eq!(
            body["data"]["token"],
            token.as_str(),
            "the same token without refresh_new_token"
        );
    }

    // refresh-token trades the pair once, at the full path as well.
    let (status, body) = post_json(
        &app,
        "/eoffice/server/public/api/open-api/refresh-token",
        &json!({ "token": token, "refresh_token": refresh }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["expired_in"], "21600");
    let rotated = body["data"]["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_ok("/api/v2/user/info", &rotated).await["id"], user_id);
    let (status, body) = post_json(
        &app,
        "/api/open-api/refresh-token",
        &json!({ "token": token, "refresh_token": refresh }),
    )
    .await;
    assert_failure(status, &body, 401, "unauthorized");
    // That replay of a used refresh token ends the whole grant, the pair it was traded for too.
    assert_eq!(app.get("/api/v2/user/info", &rotated).await.status(), 401);
    let (_, body) = get_token(&app, &tenant, "lin@acme.test").await;
    let token = body["data"]["token"].as_str().unwrap().to_owned();
    let refresh = body["data"]["refresh_token"].as_str().unwrap().to_owned();
    let (_, body) = post_json(
        &app,
        "/api/open-api/refresh-token",
        &json!({ "token": token, "refresh_token": refresh }),
    )
    .await;
    let body_refresh = body["data"]["refresh_token"].as_str().unwrap().to_owned();
    let rotated = body["data"]["token"].as_str().unwrap().to_owned();
    // Holding the refresh token alone is not enough: the pair's access token must match.
    let rotated_refresh = body_refresh.clone();
    let forged = format!("{}.forged", rotated.split_once('.').unwrap().0);
    let (status, body) = post_json(
        &app,
        "/api/open-api/refresh-token",
        &json!({ "token": forged, "refresh_token": rotated_refresh }),
    )
    .await;
    assert_failure(status, &body, 401, "unauthorized");

    // refresh_new_token=true replaces the presented token with another that works.
    let token = rotated;
    let renewed: Value = app
        .client
        .get(format!(
            "{}/api/auth/login-info/refresh?token={token}&refresh_new_token=true",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_token = renewed["data"]["token"].as_str().unwrap();
    assert_ne!(new_token, token);
    assert_eq!(app.get_ok("/api/v2/user/info", new_token).await["id"], user_id);
    let old = app.get("/api/v2/user/info", &token).await;
    assert_eq!(old.status(), 401, "the replaced token stops working");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_identification_field_decides_how_get_token_names_users() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let user_id = user_with_phone(&app, &tenant, "lin@acme.test", "13800000001").await;
    let issued_for = |body: &Value| body["data"]["user"].as_str().map(str::to_owned);

    // By default the numeric id, the email and the phone all name the user.
    for name in [
        user_id.to_string(),
        "LIN@acme.test".to_owned(),
        "13800000001".to_owned(),
    ] {
        let (status, body) = get_token(&app, &tenant, &name).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert_eq!(issued_for(&body), Some(user_id.to_string()));
    }
    let operator = Principal::local_operator();
    let app_id = AppId(tenant.app_id);
    app.core
        .set_app_user_field(&operator, app_id, UserField::Email)
        .await
        .unwrap();
    let (status, body) = get_token(&app, &tenant, &user_id.to_string()).await;
    assert_failure(status, &body, 404, "user_not_found");
    assert_eq!(get_token(&app, &tenant, "lin@acme.test").await.0, 200);

    app.core
        .set_app_user_field(&operator, app_id, UserField::CustomId(3))
        .await
        .unwrap();
    let (status, body) = get_token(&app, &tenant, "hr-0042").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(issued_for(&body), Some(user_id.to_string()));
    let (status, body) = get_token(&app, &tenant, "lin@acme.test").await;
    assert_failure(status, &body, 404, "user_not_found");

    // Users of another enterprise are nobody to this app, whatever the field.
    app.core
        .set_app_user_field(&operator, app_id, UserField::Any)
        .await
        .unwrap();
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let (status, body) = get_token(&app, &tenant, &other.admin_user_id.to_string()).await;
    assert_failure(status, &body, 404, "user_not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oa_failures_use_the_status_zero_envelope_and_preflight_is_answered() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let (status, body) = post_json(
        &app,
        "/api/open-api/get-token",
        &json!({ "agent_id": tenant.client_id, "secret": "wrong", "user": "admin@acme.test" }),
    )
    .await;
    assert_failure(status, &body, 401, "unauthorized");
    let (status, body) = post_json(
        &app,
        "/api/open-api/get-token",
        &json!({ "agent_id": tenant.client_id, "secret": tenant.client_secret }),
    )
    .await;
    assert_failure(status, &body, 400, "request_data_invalid");
    // A form body is read as well as JSON.
    let response = app
        .client
        .post(format!("{}/api/open-api/get-token", app.url))
        .form(&[
            ("agent_id", tenant.client_id.as_str()),
            ("secret", tenant.client_secret.as_str()),
            ("user", "admin@acme.test"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .client
        .post(format!("{}/api/open-api/get-token", app.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_failure(status, &response.json().await.unwrap(), 400, "request_data_invalid");

    for (query, status, code) in [("", 401, "unauthorized"), ("?token=1.forged", 401, "invalid_token")] {
        let response = app
            .client
            .get(format!("{}/api/auth/login-info/refresh{query}", app.url))
            .send()
            .await
            .unwrap();
        let actual = response.status().as_u16();
        assert_failure(actual, &response.json().await.unwrap(), status, code);
    }

    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/eoffice/server/public/api/open-api/get-token", app.url),
        )
        .header("Origin", "http://oa.acme.test")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, search")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("search"),
        "{allowed}"
    );

    // A method a path does not take answers the dialect's envelope too.
    let response = app
        .client
        .delete(format!("{}/api/open-api/get-token", app.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_failure(status, &response.json().await.unwrap(), 405, "method_not_allowed");
    // Failures found before the body is read speak the caller's language as well.
    let response = app
        .client
        .post(format!("{}/api/open-api/get-token", app.url))
        .header("accept-language", "en")
        .header("content-type", "application/json")
        .body(vec![b' '; 65 * 1024])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert_failure(status, &body, 413, "request_body_too_large");
    assert_eq!(body["errors"][0]["message"], "Request body too large");
}

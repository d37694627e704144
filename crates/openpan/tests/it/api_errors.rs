//! The envelope on every failure, the SDK quirks the API tolerates, and languages.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

#[tokio::test]
async fn missing_and_malformed_tokens_get_401_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/api/v2/folder/0/info", app.url))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_api_error(response, 401, "unauthorized").await;
    let response = app.get("/api/v2/folder/0/info", "not-a-token").await;
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert_api_error(response, 401, "invalid_token").await;
    let response = app
        .client
        .get(format!("{}/api/v2/folder/0/info", app.url))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_api_error(response, 401, "unauthorized").await;
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_huge_bodies_get_the_envelope() {
    let app = TestApp::spawn_with(|config| config.max_body_bytes = 1024).await;
    let token = app.enterprise_token(&app.tenant).await;
    assert_api_error(app.get("/api/v2/admin/no/such/api", &token).await, 404, "api_not_found").await;
    assert_api_error(
        app.client.get(format!("{}/nowhere", app.url)).send().await.unwrap(),
        404,
        "api_not_found",
    )
    .await;
    let response = app
        .client
        .post(format!("{}/api/v2/admin/user/all", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_api_error(response, 405, "method_not_allowed").await;
    let response = app
        .client
        .get(format!("{}/api/v2/admin/user/all", app.url))
        .bearer_auth(&token)
        .body(vec![b'x'; 4096])
        .send()
        .await
        .unwrap();
    assert_api_error(response, 413, "request_body_too_large").await;
}

#[tokio::test]
async fn invalid_parameters_name_their_field() {
    let app = TestApp::spawn().await;
    let token = app.enterprise_token(&app.tenant).await;
    for (query, field) in [
        ("/api/v2/admin/user/all?page_capacity=abc", "page_capacity"),
        ("/api/v2/admin/user/all?page_capacity=0", "page_capacity"),
        ("/api/v2/admin/user/all?page_id=-1", "page_id"),
        ("/api/v2/admin/user/get_user_info?type=email", "identifier"),
        ("/api/v2/admin/user/get_user_info?identifier=a@b.cn", "type"),
        ("/api/v2/admin/user/get_user_info?identifier=a@b.cn&type=fax", "type"),
        (
            "/api/v2/admin/user/get_user_info?identifier=x&type=user_ticket&platform_id=two",
            "platform_id",
        ),
    ] {
        let body = assert_api_error(app.get(query, &token).await, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    let user_id = app.create_user(&app.tenant, "Li Lei", "lilei@acme.test").await;
    let user = app.user_token(&app.tenant, user_id).await;
    let body = assert_api_error(
        app.get("/api/v2/folder/abc/info", &user).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "id");
}

#[tokio::test]
async fn what_the_official_sdks_send_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.enterprise_token(&app.tenant).await;
    // Python SDK: Accept v2+json and a JSON Content-Type on a GET; Java SDK: literal null values.
    let response = app
        .client
        .get(format!(
            "{}/api/v2/admin/user/all?page_id=null&page_capacity=5",
            app.url
        ))
        .bearer_auth(&token)
        .header("Accept", "application/v2+json")
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["page_id"], 0);
    assert_eq!(body["page_capacity"], 5);
    // Java SDK: unencoded '@' in the query, and a doubled slash in the path.
    let response = app
        .get(
            "/api/v2//admin/user/get_user_info?identifier=admin@acme.test&type=simple_phone_or_email",
            &token,
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn english_messages_are_chosen_by_accept_language_or_lang() {
    let app = TestApp::spawn().await;
    let token = app.enterprise_token(&app.tenant).await;
    let zh = assert_api_error(app.get("/api/v2/admin/nothing", &token).await, 404, "api_not_found").await;
    assert_eq!(zh["errors"][0]["msg"], "接口不存在");
    let response = app
        .client
        .get(format!("{}/api/v2/admin/nothing", app.url))
        .bearer_auth(&token)
        .header("Accept-Language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    let en = assert_api_error(response, 404, "api_not_found").await;
    assert_eq!(en["errors"][0]["msg"], "No such API");
    let en = assert_api_error(
        app.get(
            "/api/v2/admin/user/get_user_info?lang=en&identifier=x@y.cn&type=email",
            &token,
        )
        .await,
        404,
        "user_not_found",
    )
    .await;
    assert_eq!(en["errors"][0]["msg"], "User not found");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    for path in ["/", "/healthz", "/readyz"] {
        assert_eq!(
            app.client
                .get(format!("{}{path}", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            200,
            "{path}"
        );
    }
    let token = app.enterprise_token(&app.tenant).await;
    // Each node counts what it answered (Prometheus scrapes every node): ask one node both.
    app.client
        .get(format!("{}/api/v2/admin/user/all", app.node_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let metrics = app
        .client
        .get(format!("{}/metrics", app.node_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("openpan_http_requests_total{"), "{metrics}");
    assert!(metrics.contains("family=\"api_v2\""), "{metrics}");
}

#[tokio::test]
async fn control_characters_in_parameters_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let token = app.enterprise_token(&app.tenant).await;
    let body = assert_api_error(
        app.get(
            "/api/v2/admin/user/get_user_info?identifier=a%00b&type=user_ticket",
            &token,
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "identifier");
}

#[tokio::test]
async fn a_nul_character_in_any_body_is_refused_alike_on_every_database() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let file = app.upload(&token, 0, "a.txt", b"a").await["id"].as_i64().unwrap();
    // PostgreSQL cannot store NUL in text, SQLite can: both refuse it before storing.
    let answer = app
        .post(
            "/api/v2/comment/create",
            &token,
            &json!({"file_id": file, "content": "a\u{0}b"}),
        )
        .await;
    let body = assert_api_error(answer, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "content", "{body}");
    let answer = app
        .post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "x\u{0}", "parent_id": 0}),
        )
        .await;
    let body = assert_api_error(answer, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "name", "{body}");
    // The older dialects' parameters too.
    let enterprise = app.enterprise_token(&app.tenant).await;
    let answer = app
        .client
        .post(format!("{}/api/v1/org/create_group", app.url))
        .bearer_auth(&enterprise)
        .json(&json!({"name": "g\u{0}"}))
        .send()
        .await
        .unwrap();
    let body = assert_api_error(answer, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "name", "{body}");
    // Credentials and codes at the token endpoint find nothing.
    let tenant = &app.tenant;
    for form in [
        [
            ("grant_type", "password"),
            ("username", "admin@acme.test\u{0}"),
            ("password", "x"),
        ],
        [
            ("grant_type", "refresh_token"),
            ("refresh_token", "1.\u{0}"),
            ("scope", "all"),
        ],
        [
            ("grant_type", "authorization_code"),
            ("code", "\u{0}"),
            ("scope", "all"),
        ],
    ] {
        let answer = app
            .client
            .post(format!("{}/oauth/token", app.url))
            .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        assert!(
            status == 400 || status == 401,
            "{form:?}: {status} {}",
            answer.text().await.unwrap()
        );
    }
    // A backslash followed by `u0000` is only text.
    let comment = app
        .post_ok(
            "/api/v2/comment/create",
            &token,
            &json!({"file_id": file, "content": "\\u0000"}),
        )
        .await;
    assert_eq!(comment["content"], "\\u0000");
}

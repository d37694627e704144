//! The admin user lookups, scope by path, and enterprise isolation.

use serde_json::Value;

use crate::harness::{TestApp, assert_api_error};

#[tokio::test]
async fn admin_finds_a_user_by_email_phone_or_third_party_id() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let operator = openpan_core::auth::Principal::local_operator();
    let user = app
        .core
        .create_user(
            &operator,
            openpan_core::services::CreateUser {
                enterprise_id: openpan_core::ids::EnterpriseId(tenant.enterprise_id),
                name: "李雷".into(),
                email: Some("LiLei@Acme.test".into()),
                phone: Some("18888888888".into()),
                password: None,
            },
        )
        .await
        .unwrap();
    app.core
        .map_user_ticket(&operator, user.id, 2, "hr-0042")
        .await
        .unwrap();
    let token = app.enterprise_token(tenant).await;
    for query in [
        "identifier=lilei@acme.test&type=simple_phone_or_email",
        "identifier=LILEI@ACME.TEST&type=email",
        "identifier=18888888888&type=simple_phone_or_email",
        "identifier=18888888888&type=phone",
        "identifier=hr-0042&type=user_ticket&platform_id=2",
        "identifier=hr-0042&type=user_ticket",
    ] {
        let response = app
            .get(&format!("/api/v2/admin/user/get_user_info?{query}"), &token)
            .await;
        assert_eq!(response.status(), 200, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["id"], user.id.0, "{query}");
        assert_eq!(body["name"], "李雷");
        assert_eq!(body["login"], "lilei@acme.test");
        assert_eq!(body["phone"], "18888888888");
        assert_eq!(body["enterprise"]["id"], tenant.enterprise_id);
        assert_eq!(body["enterprise"]["admin_user_id"], tenant.admin_user_id);
        assert_eq!(body["active"], true);
    }
    for query in [
        "identifier=nobody@acme.test&type=simple_phone_or_email",
        "identifier=18888888888&type=email",
        "identifier=hr-0042&type=user_ticket&platform_id=3",
    ] {
        assert_api_error(
            app.get(&format!("/api/v2/admin/user/get_user_info?{query}"), &token)
                .await,
            404,
            "user_not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn admin_lists_its_users_page_by_page() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    for index in 0..5 {
        app.create_user(tenant, &format!("User {index}"), &format!("user{index}@acme.test"))
            .await;
    }
    let token = app.enterprise_token(tenant).await;
    let body: Value = app
        .get("/api/v2/admin/user/all?platform_id=1&page_id=1&page_capacity=2", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["total_count"], 6, "five users and the admin");
    assert_eq!(body["page_id"], 1);
    assert_eq!(body["page_capacity"], 2);
    assert_eq!(body["page_count"], 3);
    let names: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User 1", "User 2"]);
    assert_eq!(body["users"][0]["space_total"], -1);
    let past_the_end: Value = app
        .get("/api/v2/admin/user/all?page_id=9", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(past_the_end["users"].as_array().unwrap().len(), 0);
    assert_eq!(
        past_the_end["total_count"], body["total_count"],
        "a page past the end still counts them all"
    );
}

#[tokio::test]
async fn two_enterprises_never_see_each_others_users() {
    let app = TestApp::spawn().await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let outsider = app.create_user(&other, "Outsider", "out@globex.test").await;
    let _ = outsider;
    let token = app.enterprise_token(&app.tenant).await;
    let body: Value = app
        .get("/api/v2/admin/user/all?page_capacity=100", &token)
        .await
        .json()
        .await
        .unwrap();
    let logins: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["admin@acme.test"]);
    assert_eq!(body["total_count"], 1);
    let missing = assert_api_error(
        app.get(
            "/api/v2/admin/user/get_user_info?identifier=nobody@globex.test&type=simple_phone_or_email",
            &token,
        )
        .await,
        404,
        "user_not_found",
    )
    .await;
    let foreign = assert_api_error(
        app.get(
            "/api/v2/admin/user/get_user_info?identifier=out@globex.test&type=simple_phone_or_email",
            &token,
        )
        .await,
        404,
        "user_not_found",
    )
    .await;
    assert_eq!(
        missing["errors"], foreign["errors"],
        "another enterprise's user looks exactly like a missing one"
    );
}

#[tokio::test]
async fn admin_tokens_reach_only_admin_apis_and_user_tokens_only_user_apis() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = app.create_user(tenant, "Li Lei", "lilei@acme.test").await;
    let admin = app.enterprise_token(tenant).await;
    let user = app.user_token(tenant, user_id).await;
    assert_eq!(app.get("/api/v2/admin/user/all", &admin).await.status(), 200);
    assert_eq!(app.get("/api/v2/folder/0/info", &user).await.status(), 200);
    assert_api_error(app.get("/api/v2/admin/user/all", &user).await, 403, "permission_denied").await;
    assert_api_error(app.get("/api/v2/folder/0/info", &admin).await, 403, "permission_denied").await;
}

#[tokio::test]
async fn folder_zero_is_the_callers_own_root() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = app.create_user(tenant, "Li Lei", "lilei@acme.test").await;
    let token = app.user_token(tenant, user_id).await;
    let response = app.get("/api/v2/folder/0/info", &token).await;
    assert_eq!(response.status(), 200);
    let folder: Value = response.json().await.unwrap();
    assert_eq!(folder["id"], 0);
    assert_eq!(folder["type"], "folder");
    assert_eq!(folder["name"], "全部文件");
    assert_eq!(folder["description"], "");
    assert_eq!(folder["folder_type"], "normal");
    assert_eq!(folder["shared"], false);
    assert_eq!(folder["in_trash"], false);
    assert_eq!(folder["owned_by"]["id"], user_id);
    assert_eq!(folder["owned_by"]["login"], "lilei@acme.test");
    assert_eq!(folder["owned_by"]["enterprise_id"], tenant.enterprise_id);
    assert_eq!(folder["path"], serde_json::json!([]));
    assert!(folder["created_at"].as_i64().unwrap() > 1_600_000_000, "epoch seconds");
    assert_api_error(
        app.get("/api/v2/folder/123456/info", &token).await,
        404,
        "folder_not_found",
    )
    .await;
}

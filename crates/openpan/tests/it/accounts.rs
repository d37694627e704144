//! Accounts: an administrator creates, changes and deletes users (handing their files over);
//! users read and rename themselves and search their colleagues.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error, assert_oauth_error};

const GIB: i64 = 1024 * 1024 * 1024;

async fn create(app: &TestApp, admin: &str, body: Value) -> reqwest::Response {
    app.post("/api/v2/admin/user/create", admin, &body).await
}

/// Creates an active user with a password through the admin API; returns its id.
async fn active_user(app: &TestApp, admin: &str, email: &str) -> i64 {
    let created = app
        .post_ok(
            "/api/v2/admin/user/create",
            admin,
            &json!({"email": email, "force_active": true, "password": "secret-123"}),
        )
        .await;
    created["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_admin_creates_a_user_who_can_then_use_the_drive() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let created = app
        .post_ok(
            "/api/v2/admin/user/create",
            &admin,
            &json!({
                "email": "Wang.Fang@Acme.test",
                "phone": "13900000001",
                "space_total": 1,
                "hide_phone": true,
                "disable_download": false,
                "force_active": true,
                "password": "secret-123",
            }),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["login"], "wang.fang@acme.test");
    assert_eq!(
        created["name"], "wang.fang",
        "the name defaults to the email's local part"
    );
    assert_eq!(created["space_total"], GIB);
    assert_eq!(created["space_used"], 0);
    assert_eq!(created["hide_phone"], true);
    assert_eq!(created["active"], true);
    assert_eq!(created["enterprise"]["id"], app.tenant.enterprise_id);

    let token = app.user_token(&app.tenant, id).await;
    let me = app.get_ok("/api/v2/user/info", &token).await;
    assert_eq!(me["id"], id);
    app.upload(&token, 0, "a.txt", b"12345").await;
    let usage = app.get_ok("/api/v2/user/space_usage", &token).await;
    assert_eq!(usage, json!({"space_used": 5, "space_total": GIB}));

    let info = app
        .get_ok(&format!("/api/v2/admin/user/{id}/info?last_login_flag=true"), &admin)
        .await;
    assert_eq!(info["space_used"], 5);
    assert!(info["last_login_at"].is_i64(), "{info}");
    let plain = app.get_ok(&format!("/api/v2/admin/user/{id}/info"), &admin).await;
    assert!(plain.get("last_login_at").is_none(), "{plain}");

    // Without force_active the account waits for its first login.
    let invited = app
        .post_ok(
            "/api/v2/admin/user/create",
            &admin,
            &json!({"phone": "13900000002", "name": "新同事"}),
        )
        .await;
    assert_eq!(invited["active"], false);
    assert_eq!(invited["login"], "13900000002");
    assert_eq!(invited["space_total"], -1);
    let invited_id = invited["id"].as_i64().unwrap();
    assert_oauth_error(
        app.jwt_simple(&app.tenant, &app.claims("user", invited_id)).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn creating_and_changing_users_refuses_bad_logins_taken_logins_and_quotas_past_the_enterprise_limit() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    for bad in [json!({"email": "not-an-email"}), json!({"phone": "12ab"})] {
        assert_api_error(create(&app, &admin, bad).await, 400, "user_email_or_phone_invalid").await;
    }
    let missing = assert_api_error(
        create(&app, &admin, json!({"name": "x"})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(missing["errors"][0]["field"], "email", "{missing}");
    let no_password = assert_api_error(
        create(&app, &admin, json!({"email": "a@acme.test", "force_active": true})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(no_password["errors"][0]["field"], "password");
    let short = assert_api_error(
        create(
            &app,
            &admin,
            json!({"email": "a@acme.test", "force_active": true, "password": "12345"}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(short["errors"][0]["field"], "password");
    let negative = assert_api_error(
        create(&app, &admin, json!({"email": "a@acme.test", "space_total": -2})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(negative["errors"][0]["field"], "space_total");
    let long_name = assert_api_error(
        create(&app, &admin, json!({"email": "a@acme.test", "name": "名".repeat(31)})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(long_name["errors"][0]["field"], "name");

    let id = active_user(&app, &admin, "taken@acme.test").await;
    assert_api_error(
        create(&app, &admin, json!({"email": "TAKEN@acme.test"})).await,
        400,
        "user_already_registered",
    )
    .await;

    app.sql(&format!(
        "update enterprise set space_total = {} where enterprise_id = {}",
        10 * GIB,
        app.tenant.enterprise_id
    ))
    .await;
    assert_api_error(
        create(&app, &admin, json!({"email": "big@acme.test", "space_total": 11})).await,
        400,
        "user_space_total_exceeds_enterprise_limit",
    )
    .await;
    let fits = app
        .post_ok(
            "/api/v2/admin/user/create",
            &admin,
            &json!({"email": "fits@acme.test", "space_total": 10}),
        )
        .await;
    assert_eq!(fits["space_total"], 10 * GIB);
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/user/{id}/update"),
            &admin,
            &json!({"space_total": 11}),
        )
        .await,
        400,
        "user_space_total_exceeds_enterprise_limit",
    )
    .await;
}

#[tokio::test]
async fn an_admins_changes_show_at_once_in_listings_and_downloads() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let id = active_user(&app, &admin, "zhao@acme.test").await;
    let token = app.user_token(&app.tenant, id).await;
    let file = app.upload(&token, 0, "a.txt", b"hello").await["id"].as_i64().unwrap();
    let listed = app.get_ok("/api/v2/folder/0/children", &token).await;
    assert_eq!(listed["files"][0]["owned_by"]["name"], "zhao");
    assert_eq!(app.download(&token, file).await, b"hello");

    let updated = app
        .post_ok(
            &format!("/api/v2/admin/user/{id}/update"),
            &admin,
            &json!({"name": "赵敏", "disable_download": true, "space_total": 2, "hide_phone": "true"}),
        )
        .await;
    assert_eq!(updated["name"], "赵敏");
    assert_eq!(updated["disable_download"], true);
    assert_eq!(updated["hide_phone"], true);
    assert_eq!(updated["space_total"], 2 * GIB);

    let listed = app.get_ok("/api/v2/folder/0/children", &token).await;
    assert_eq!(listed["files"][0]["owned_by"]["name"], "赵敏", "{listed}");
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/download"), &token).await,
        403,
        "permission_denied",
    )
    .await;
    assert_eq!(app.get_ok("/api/v2/user/info", &token).await["name"], "赵敏");

    // The user renames themself.
    let renamed = app
        .post_ok("/api/v2/user/update", &token, &json!({"name": "Zhao Min"}))
        .await;
    assert_eq!(renamed["name"], "Zhao Min");
    let listed = app.get_ok("/api/v2/folder/0/children", &token).await;
    assert_eq!(listed["files"][0]["owned_by"]["name"], "Zhao Min");
    assert_api_error(
        app.post("/api/v2/user/update", &token, &json!({"name": " "})).await,
        400,
        "request_data_invalid",
    )
    .await;
}

#[tokio::test]
async fn deleting_a_user_hands_their_files_and_trash_to_the_receiver() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let leaver = active_user(&app, &admin, "leaver@acme.test").await;
    let heir = active_user(&app, &admin, "heir@acme.test").await;
    let leaver_token = app.user_token(&app.tenant, leaver).await;
    let heir_token = app.user_token(&app.tenant, heir).await;

    let work = app.mkdir(&leaver_token, 0, "work").await["id"].as_i64().unwrap();
    let kept = app.upload(&leaver_token, work, "plan.txt", b"the plan").await["id"]
        .as_i64()
        .unwrap();
    let binned = app.upload(&leaver_token, 0, "old.txt", b"old").await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(&format!("/api/v2/file/{binned}/delete"), &leaver_token, &Value::Null)
        .await;
    app.upload(&heir_token, 0, "mine.txt", b"1").await;
    // The heir already has a folder of the same name: the new one is numbered.
    app.mkdir(&heir_token, 0, "leaver的文件").await;

    app.post_ok(
        &format!("/api/v2/admin/user/{leaver}/delete"),
        &admin,
        &json!({"user_receive_items": heir}),
    )
    .await;

    assert_api_error(app.get("/api/v2/user/info", &leaver_token).await, 401, "invalid_token").await;
    let root = app
        .get_ok("/api/v2/folder/0/children?sort_by=name&sort_direction=asc", &heir_token)
        .await;
    let folders: Vec<&str> = root["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|folder| folder["name"].as_str().unwrap())
        .collect();
    assert_eq!(folders, ["leaver的文件", "leaver的文件 (1)"], "{root}");
    let handed = root["folders"][1]["id"].as_i64().unwrap();
    assert_eq!(root["folders"][1]["size"], 8, "the folder carries the live bytes");
    let inside = app
        .get_ok(&format!("/api/v2/folder/{handed}/children"), &heir_token)
        .await;
    assert_eq!(inside["folders"][0]["name"], "work");
    assert_eq!(inside["folders"][0]["owned_by"]["id"], heir);

    let plan = app.get_ok(&format!("/api/v2/file/{kept}/info"), &heir_token).await;
    assert_eq!(plan["owned_by"]["id"], heir);
    assert_eq!(plan["path"][1]["id"], handed);
    assert_eq!(app.download(&heir_token, kept).await, b"the plan");

    let trash = app.get_ok("/api/v2/trash/list", &heir_token).await;
    assert_eq!(trash["files"][0]["id"], binned, "{trash}");
    app.post_ok(
        &format!("/api/v2/file/{binned}/restore_from_trash"),
        &heir_token,
        &Value::Null,
    )
    .await;
    let inside = app
        .get_ok(&format!("/api/v2/folder/{handed}/children"), &heir_token)
        .await;
    assert_eq!(inside["files"][0]["name"], "old.txt");

    let usage = app.get_ok("/api/v2/user/space_usage", &heir_token).await;
    assert_eq!(usage["space_used"], 1 + 8 + 3);

    assert_api_error(
        app.post(
            &format!("/api/v2/admin/user/{leaver}/delete"),
            &admin,
            &json!({"user_receive_items": heir}),
        )
        .await,
        400,
        "user_already_deleted",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/admin/user/{leaver}/info"), &admin).await,
        400,
        "user_already_deleted",
    )
    .await;
}

#[tokio::test]
async fn deleting_a_user_needs_an_active_receiver_of_the_same_enterprise() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let leaver = active_user(&app, &admin, "leaver@acme.test").await;
    let invited = app
        .post_ok("/api/v2/admin/user/create", &admin, &json!({"email": "new@acme.test"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let delete = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post(&format!("/api/v2/admin/user/{leaver}/delete"), &admin, &body)
                .await
        }
    };
    for body in [Value::Null, json!({}), json!({"user_receive_items": null})] {
        assert_api_error(delete(body).await, 400, "user_receive_items_needed").await;
    }
    assert_api_error(
        delete(json!({"user_receive_items": leaver})).await,
        400,
        "user_deleted_is_user_received_items",
    )
    .await;
    for foreign in [other.admin_user_id, 999_999] {
        assert_api_error(
            delete(json!({"user_receive_items": foreign})).await,
            400,
            "user_received_items_not_in_same_enterprise",
        )
        .await;
    }
    assert_api_error(
        delete(json!({"user_receive_items": invited})).await,
        400,
        "user_receive_items_need_active",
    )
    .await;
    // The enterprise's own administrator stays.
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/user/{}/delete", app.tenant.admin_user_id),
            &admin,
            &json!({"user_receive_items": leaver}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    // The refusals changed nothing.
    let token = app.user_token(&app.tenant, leaver).await;
    assert_eq!(app.get_ok("/api/v2/user/info", &token).await["id"], leaver);
}

#[tokio::test]
async fn users_search_their_colleagues_by_name_email_or_phone() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    for body in [
        json!({"email": "li.lei@acme.test", "name": "李雷", "phone": "13800000001", "force_active": true, "password": "secret-123"}),
        json!({"email": "han@acme.test", "name": "韩梅梅", "phone": "13800000002", "hide_phone": true}),
        json!({"email": "lily@acme.test", "name": "Lily 100%"}),
    ] {
        app.post_ok("/api/v2/admin/user/create", &admin, &body).await;
    }
    let other = app.other_tenant("Globex", "li@globex.test").await;
    let _ = other;
    let me = app.admin_user_token().await;

    let everyone = app.get_ok("/api/v2/user/search?query_words=null", &me).await;
    assert_eq!(everyone["total_count"], 4, "{everyone}");
    let li = app.get_ok("/api/v2/user/search?query_words=LI", &me).await;
    let names: Vec<&str> = li["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lily 100%", "李雷"], "{li}");
    let by_phone = app.get_ok("/api/v2/user/search?query_words=13800000002", &me).await;
    let han = &by_phone["users"][0];
    assert_eq!(han["name"], "韩梅梅");
    assert_eq!(han["phone"], "", "a hidden phone stays hidden");
    assert_eq!(han["is_phone_public"], false);
    assert_eq!(han["is_active"], false);
    assert_eq!(han["user_group"], "user");
    let percent = app.get_ok("/api/v2/user/search?query_words=%25", &me).await;
    assert_eq!(percent["total_count"], 1, "LIKE wildcards match literally: {percent}");
    let page = app.get_ok("/api/v2/user/search?page_id=1&page_capacity=3", &me).await;
    assert_eq!(page["users"].as_array().unwrap().len(), 1);
    assert_eq!(page["page_count"], 2);
}

#[tokio::test]
async fn account_apis_keep_to_their_token_kind_and_their_enterprise() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let mine = active_user(&app, &admin, "mine@acme.test").await;
    let user = app.user_token(&app.tenant, mine).await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let foreign_admin = app.enterprise_token(&other).await;
    let foreign_user = app.user_token(&other, other.admin_user_id).await;

    assert_api_error(
        app.post("/api/v2/admin/user/create", &user, &json!({"email": "x@acme.test"}))
            .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(app.get("/api/v2/user/info", &admin).await, 403, "permission_denied").await;

    for request in [
        app.get(&format!("/api/v2/admin/user/{mine}/info"), &foreign_admin)
            .await,
        app.post(
            &format!("/api/v2/admin/user/{mine}/update"),
            &foreign_admin,
            &json!({"name": "x"}),
        )
        .await,
        app.post(
            &format!("/api/v2/admin/user/{mine}/delete"),
            &foreign_admin,
            &json!({"user_receive_items": other.admin_user_id}),
        )
        .await,
        app.get(&format!("/api/v2/user/{mine}/info"), &foreign_user).await,
    ] {
        assert_api_error(request, 404, "user_not_found").await;
    }
    let search = app.get_ok("/api/v2/user/search?query_words=mine", &foreign_user).await;
    assert_eq!(search["total_count"], 0);
    let colleague = app
        .get_ok(&format!("/api/v2/user/{}/info", app.tenant.admin_user_id), &user)
        .await;
    assert_eq!(colleague["id"], app.tenant.admin_user_id);
    assert_api_error(
        app.get("/api/v2/admin/user/abc/info", &admin).await,
        400,
        "request_data_invalid",
    )
    .await;
}

#[tokio::test]
async fn a_profile_picture_is_uploaded_and_fetched_by_its_key() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let id = active_user(&app, &admin, "pic@acme.test").await;
    let token = app.user_token(&app.tenant, id).await;
    let colleague = app.admin_user_token().await;
    let upload = |body: Vec<u8>| {
        let app = &app;
        let token = token.clone();
        async move {
            app.client
                .post(format!("{}/api/v2/user/profile_pic_upload", app.url))
                .bearer_auth(&token)
                .header("content-type", "image/png")
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let fetch = |query: String| {
        let app = &app;
        let colleague = colleague.clone();
        async move {
            app.get(&format!("/api/v2/user/{id}/profile_pic_download{query}"), &colleague)
                .await
        }
    };
    assert_api_error(
        fetch("?profile_pic_key=abc".into()).await,
        404,
        "user_profile_pic_not_found",
    )
    .await;

    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[1, 2, 3, 4]].concat();
    let me: Value = upload(png.clone()).await.json().await.unwrap();
    let key = me["profile_pic_key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 32, "{me}");
    let shown = app.get_ok(&format!("/api/v2/user/{id}/info"), &colleague).await;
    assert_eq!(shown["profile_pic_key"], key.as_str());
    let listed = app.get_ok("/api/v2/user/search?query_words=pic@", &colleague).await;
    assert_eq!(listed["users"][0]["profile_pic_key"], key.as_str());

    let got = fetch(format!("?profile_pic_key={key}")).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert_eq!(&got.bytes().await.unwrap()[..], &png[..]);
    assert_api_error(fetch(String::new()).await, 400, "user_profile_pic_key_not_found").await;
    assert_api_error(
        fetch("?profile_pic_key=0123".into()).await,
        400,
        "user_profile_pic_key_incorrect",
    )
    .await;

    // A new picture replaces the old one and its key.
    let jpeg = [[0xff, 0xd8, 0xff, 0xe0].as_slice(), b"jfif"].concat();
    let me: Value = upload(jpeg.clone()).await.json().await.unwrap();
    let new_key = me["profile_pic_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, key);
    assert_api_error(
        fetch(format!("?profile_pic_key={key}")).await,
        400,
        "user_profile_pic_key_incorrect",
    )
    .await;
    let got = fetch(format!("?profile_pic_key={new_key}")).await;
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(
        app.get_ok("/api/v2/user/info", &token).await["profile_pic_key"],
        new_key.as_str()
    );

    for bad in [Vec::new(), b"plain text".to_vec()] {
        let refused = assert_api_error(upload(bad).await, 400, "request_data_invalid").await;
        assert_eq!(refused["errors"][0]["field"], "file");
    }
    assert_api_error(
        upload(vec![0xff; 2 * 1024 * 1024 + 1]).await,
        413,
        "request_body_too_large",
    )
    .await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let stranger = app.user_token(&other, other.admin_user_id).await;
    assert_api_error(
        app.get(
            &format!("/api/v2/user/{id}/profile_pic_download?profile_pic_key={new_key}"),
            &stranger,
        )
        .await,
        404,
        "user_not_found",
    )
    .await;
}

//! Share links: created for what one may share, read by visitors through the ordinary item
//! APIs with the `Share-Link-Token` and `Share-Link-Verification-Code` headers, and nothing
//! beyond what the link opens.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error, day_after};

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

async fn visit(app: &TestApp, path: &str, link: &str, code: Option<&str>) -> reqwest::Response {
    visit_as(app, None, path, link, code).await
}

/// A visit through `link`, with a user's bearer token when `token` is given.
async fn visit_as(app: &TestApp, token: Option<&str>, path: &str, link: &str, code: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .header("Share-Link-Token", link);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(code) = code {
        request = request.header("Share-Link-Verification-Code", code);
    }
    request.send().await.unwrap()
}

async fn visit_ok(app: &TestApp, path: &str, link: &str, code: Option<&str>) -> Value {
    crate::harness::json_ok(visit(app, path, link, code).await, format_args!("visit {path}")).await
}

#[tokio::test]
async fn a_public_link_lets_visitors_read_what_it_shares_and_nothing_more() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let shared = id(&app.mkdir(&alice, 0, "发布").await);
    let inner = id(&app.mkdir(&alice, shared, "图片").await);
    let file = id(&app.upload(&alice, inner, "logo.txt", b"the logo").await);
    let outside = id(&app.upload(&alice, 0, "secret.txt", b"no").await);

    let link = app
        .post_ok(
            "/api/v2/share_link/create",
            &alice,
            &json!({"folder_id": shared, "file_id": null, "access": "public", "due_time": null,
                    "disable_download": false, "password_protected": false}),
        )
        .await;
    let name = link["unique_name"].as_str().unwrap().to_owned();
    assert!(
        link["share_link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/share/{name}"))
    );
    assert_eq!(link["access"], "public");
    assert_eq!(link["password_protected"], false);
    assert_eq!(link["due_time"], "");
    assert_eq!(link["item"], json!({"type": "folder", "id": shared, "name": "发布"}));

    // The link's page starts from the link's own info, read with its headers alone.
    let opened = visit_ok(&app, &format!("/api/v2/share_link/{name}/info"), &name, None).await;
    assert_eq!(opened["item"], json!({"type": "folder", "id": shared, "name": "发布"}));
    assert_eq!(opened["disable_download"], false);
    assert_eq!(
        opened["owned_by"]["login"], "",
        "visitors are not told how to reach the sharer"
    );
    let other = app
        .post_ok(
            "/api/v2/share_link/create",
            &alice,
            &json!({"file_id": outside, "access": "public"}),
        )
        .await;
    assert_api_error(
        visit(
            &app,
            &format!("/api/v2/share_link/{}/info", other["unique_name"].as_str().unwrap()),
            &name,
            None,
        )
        .await,
        404,
        "share_link_not_found_or_deleted",
    )
    .await;

    let folder = visit_ok(&app, &format!("/api/v2/folder/{shared}/info"), &name, None).await;
    assert_eq!(folder["path"], json!([{"type": "folder", "id": 0, "name": "全部文件"}]));
    let permissions = folder["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("item_download")) && !permissions.contains(&json!("item_upload")));
    let children = visit_ok(&app, &format!("/api/v2/folder/{inner}/children"), &name, None).await;
    assert_eq!(children["files"][0]["id"], file);
    let url = visit_ok(&app, &format!("/api/v2/file/{file}/download"), &name, None).await;
    let bytes = reqwest::get(url["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"the logo");

    // Outside the shared folder, or any other API, the link opens nothing.
    assert_api_error(
        visit(&app, &format!("/api/v2/file/{outside}/info"), &name, None).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        visit(&app, "/api/v2/folder/0/children", &name, None).await,
        404,
        "folder_not_found",
    )
    .await;
    let trash = reqwest::Client::new()
        .post(format!("{}/api/v2/file/{file}/delete", app.url))
        .header("Share-Link-Token", &name)
        .send()
        .await
        .unwrap();
    assert_api_error(trash, 401, "unauthorized").await;
    assert_api_error(visit(&app, "/api/v2/user/info", &name, None).await, 401, "unauthorized").await;

    let counted = app.get_ok(&format!("/api/v2/share_link/{name}/info"), &alice).await;
    assert_eq!(counted["download_count_total"], 1);
    let listed = app
        .get_ok(&format!("/api/v2/folder/{shared}/share_links"), &alice)
        .await;
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["share_links"][0]["unique_name"], name.as_str());

    app.post_ok(&format!("/api/v2/share_link/{name}/revoke"), &alice, &json!({}))
        .await;
    assert_api_error(
        visit(&app, &format!("/api/v2/folder/{shared}/info"), &name, None).await,
        404,
        "share_link_not_found_or_deleted",
    )
    .await;
    let after = app
        .get_ok(&format!("/api/v2/folder/{shared}/share_links"), &alice)
        .await;
    assert_eq!(after["total_count"], 0);
    assert_eq!(
        app.sql_i64("select count(*) from event_log where event_type in ('share_link.created', 'share_link.revoked')")
            .await,
        3
    );
}

#[tokio::test]
async fn a_password_is_needed_and_guessing_it_locks_the_link_for_a_while() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let file = id(&app.upload(&alice, 0, "plan.txt", b"plan").await);
    let link = app
        .post_ok(
            "/api/v2/share_link/create",
            &alice,
            &json!({"file_id": file, "access": "public", "password_protected": true, "password": "Abc123"}),
        )
        .await;
    assert_eq!(link["password_protected"], true);
    let name = link["unique_name"].as_str().unwrap().to_owned();
    let info = format!("/api/v2/file/{file}/info");

    assert_api_error(
        visit(&app, &info, &name, None).await,
        400,
        "share_link_password_not_provided",
    )
    .await;
    assert_eq!(visit_ok(&app, &info, &name, Some("Abc123")).await["id"], file);
    for _ in 0..5 {
        assert_api_error(
            visit(&app, &info, &name, Some("000000")).await,
            400,
            "share_link_password_not_correct",
        )
        .await;
    }
    // Locked: not even the right password gets in until the lock passes.
    let locked = visit(&app, &info, &name, Some("Abc123")).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_api_error(locked, 429, "rate_limit").await;
    app.clock.advance(901);
    assert_eq!(visit_ok(&app, &info, &name, Some("Abc123")).await["id"], file);
    // The next lock is longer.
    for _ in 0..5 {
        assert_api_error(
            visit(&app, &info, &name, Some("111111")).await,
            400,
            "share_link_password_not_correct",
        )
        .await;
    }
    assert_api_error(visit(&app, &info, &name, Some("Abc123")).await, 429, "rate_limit").await;
    app.clock.advance(901);
    assert_api_error(visit(&app, &info, &name, Some("Abc123")).await, 429, "rate_limit").await;
    app.clock.advance(900);
    assert_eq!(visit_ok(&app, &info, &name, Some("Abc123")).await["id"], file);

    // Changing the password: the old one no longer opens it; dropping it opens it to all.
    app.post_ok(
        &format!("/api/v2/share_link/{name}/update"),
        &alice,
        &json!({"password_protected": true, "password": "Zz9"}),
    )
    .await;
    assert_api_error(
        visit(&app, &info, &name, Some("Abc123")).await,
        400,
        "share_link_password_not_correct",
    )
    .await;
    let open = app
        .post_ok(
            &format!("/api/v2/share_link/{name}/update"),
            &alice,
            &json!({"password_protected": false}),
        )
        .await;
    assert_eq!(open["password_protected"], false);
    visit_ok(&app, &info, &name, None).await;
}

#[tokio::test]
async fn company_links_need_a_colleague_and_stop_after_their_due_date() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let bob = app.user_token(&app.tenant, bob_id).await;
    let other = app.other_tenant("Globex", "boss@globex.test").await;
    let stranger = app.user_token(&other, other.admin_user_id).await;
    let file = id(&app.upload(&alice, 0, "内部.txt", b"internal").await);
    let due = day_after(app.now(), 1);
    let link = app
        .post_ok(
            "/api/v2/share_link/create",
            &alice,
            &json!({"file_id": file, "access": "company", "due_time": due, "disable_download": true}),
        )
        .await;
    assert_eq!(link["due_time"], due.as_str());
    let name = link["unique_name"].as_str().unwrap().to_owned();
    let info = format!("/api/v2/file/{file}/info");

    assert_api_error(visit(&app, &info, &name, None).await, 401, "unauthorized").await;
    let as_bob = visit_as(&app, Some(&bob), &info, &name, None).await;
    assert_eq!(as_bob.status(), 200);
    let as_stranger = visit_as(&app, Some(&stranger), &info, &name, None).await;
    assert_api_error(as_stranger, 404, "share_link_not_found_or_deleted").await;
    // Downloads are off: bob may look, not take.
    let download = visit_as(&app, Some(&bob), &format!("/api/v2/file/{file}/download"), &name, None).await;
    assert_api_error(download, 403, "permission_denied").await;
    // Bob's own token, without the link, opens nothing of alice's.
    assert_api_error(app.get(&info, &bob).await, 404, "file_not_found").await;

    app.clock.advance(3 * 86_400);
    let bob = app.user_token(&app.tenant, bob_id).await;
    let expired = visit_as(&app, Some(&bob), &info, &name, None).await;
    assert_api_error(expired, 400, "share_link_expired").await;
}

#[tokio::test]
async fn link_requests_break_the_platforms_rules_with_its_codes() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let file = id(&app.upload(&alice, 0, "a.txt", b"a").await);
    let folder = id(&app.mkdir(&alice, 0, "共享").await);
    let create = |body: Value| {
        let app = &app;
        let alice = alice.clone();
        async move { app.post("/api/v2/share_link/create", &alice, &body).await }
    };
    assert_api_error(
        create(json!({"file_id": file, "folder_id": folder})).await,
        400,
        "share_link_resource_id_ambiguous",
    )
    .await;
    assert_api_error(
        create(json!({"access": "public"})).await,
        400,
        "share_link_resource_id_not_provided",
    )
    .await;
    assert_api_error(
        create(json!({"file_id": file, "access": "world"})).await,
        400,
        "share_link_access_type_invalid",
    )
    .await;
    assert_api_error(
        create(json!({"file_id": file, "password_protected": true, "password": "a".repeat(34)})).await,
        400,
        "share_link_password_size_incorrect",
    )
    .await;
    assert_api_error(
        create(json!({"file_id": file, "password_protected": true, "password": "ab c"})).await,
        400,
        "share_link_password_invalid",
    )
    .await;
    assert_api_error(
        create(json!({"file_id": file, "password_protected": true})).await,
        400,
        "share_link_password_not_provided",
    )
    .await;
    assert_api_error(
        create(json!({"file_id": file, "due_time": day_after(app.now(), -2)})).await,
        400,
        "due_time_passed",
    )
    .await;
    let error = assert_api_error(
        create(json!({"file_id": file, "due_time": "2030/01/01"})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(error["errors"][0]["field"], "due_time");
    assert_api_error(
        app.get("/api/v2/share_link/nosuchlink/info", &alice).await,
        404,
        "share_link_not_found_or_deleted",
    )
    .await;

    // A viewer may not pass the folder on; a coowner may.
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let bob = app.user_token(&app.tenant, bob_id).await;
    let collab = app
        .post_ok(
            "/api/v2/collab/invite",
            &alice,
            &json!({"folder_id": folder, "accessible_by": {"type": "user", "id": bob_id, "role": "viewer"}}),
        )
        .await;
    assert_api_error(
        app.post("/api/v2/share_link/create", &bob, &json!({"folder_id": folder}))
            .await,
        403,
        "permission_denied",
    )
    .await;
    app.post_ok(
        &format!("/api/v2/collab/{}/update", collab["id"]),
        &alice,
        &json!({"role": "coowner"}),
    )
    .await;
    let bobs = app
        .post_ok("/api/v2/share_link/create", &bob, &json!({"folder_id": folder}))
        .await;
    let mine = app
        .get_ok(
            &format!("/api/v2/folder/{folder}/share_links?owner_id={bob_id}"),
            &alice,
        )
        .await;
    assert_eq!(mine["total_count"], 1);
    assert_eq!(mine["share_links"][0]["unique_name"], bobs["unique_name"]);
    let bobs_name = bobs["unique_name"].as_str().unwrap().to_owned();
    visit_ok(&app, &format!("/api/v2/folder/{folder}/info"), &bobs_name, None).await;
    // A link opens no more than its creator may still share.
    app.post_ok(
        &format!("/api/v2/collab/{}/update", collab["id"]),
        &alice,
        &json!({"role": "viewer"}),
    )
    .await;
    assert_api_error(
        visit(&app, &format!("/api/v2/folder/{folder}/info"), &bobs_name, None).await,
        404,
        "folder_not_found",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/share_link/{bobs_name}/update"),
            &bob,
            &json!({"access": "public"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    app.post_ok(
        &format!("/api/v2/collab/{}/update", collab["id"]),
        &alice,
        &json!({"role": "coowner"}),
    )
    .await;

    // A department that switched sharing off.
    let admin = app.enterprise_token(&app.tenant).await;
    let department = id(&app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "法务", "parent_id": 0, "disable_share": true}),
        )
        .await);
    app.post_ok(
        &format!("/api/v2/admin/department/{department}/add_user"),
        &admin,
        &json!({"user_id": bob_id}),
    )
    .await;
    assert_api_error(
        app.post("/api/v2/share_link/create", &bob, &json!({"folder_id": folder}))
            .await,
        403,
        "permission_denied",
    )
    .await;
}

#[tokio::test]
async fn switching_sharing_off_for_the_enterprise_stops_new_links_and_closes_old_ones() {
    let app = TestApp::spawn().await;
    let alice_id = app.create_user(&app.tenant, "Alice", "alice@acme.test").await;
    let alice = app.user_token(&app.tenant, alice_id).await;
    let folder = id(&app.mkdir(&alice, 0, "发布").await);
    let link = app
        .post_ok("/api/v2/share_link/create", &alice, &json!({"folder_id": folder}))
        .await;
    let name = link["unique_name"].as_str().unwrap().to_owned();
    visit_ok(&app, &format!("/api/v2/folder/{folder}/info"), &name, None).await;

    let admin = app.enterprise_token(&app.tenant).await;
    let root = app
        .post_ok(
            "/api/v2/admin/department/0/update",
            &admin,
            &json!({"disable_share": true}),
        )
        .await;
    assert_eq!(root["disable_share"], true);
    assert_eq!(
        app.get_ok("/api/v2/admin/department/0/info", &admin).await["disable_share"],
        true
    );
    assert_api_error(
        app.post("/api/v2/share_link/create", &alice, &json!({"folder_id": folder}))
            .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        visit(&app, &format!("/api/v2/folder/{folder}/info"), &name, None).await,
        404,
        "folder_not_found",
    )
    .await;
    // Nor may files be put before reviewers.
    let file = id(&app.upload(&alice, folder, "a.txt", b"a").await);
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    assert_api_error(
        app.post(
            "/api/v2/review/create",
            &alice,
            &json!({"file_ids": [file], "title": "t", "invited_user_ids": [bob_id]}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    // A department made meanwhile keeps its own setting: the enterprise's is checked live.
    let department = id(&app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "市场", "parent_id": 0}),
        )
        .await);
    app.post_ok(
        &format!("/api/v2/admin/department/{department}/add_user"),
        &admin,
        &json!({"user_id": alice_id}),
    )
    .await;
    assert_eq!(
        app.sql_i64("select count(*) from audit_event where action = 900").await,
        1
    );

    app.post_ok(
        "/api/v2/admin/department/0/update",
        &admin,
        &json!({"disable_share": false}),
    )
    .await;
    visit_ok(&app, &format!("/api/v2/folder/{folder}/info"), &name, None).await;
    app.post_ok("/api/v2/share_link/create", &alice, &json!({"folder_id": folder}))
        .await;
}

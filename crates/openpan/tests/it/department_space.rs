//! Department folders: a department's own space, where its members work together and whose
//! bytes count against the department's quota.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error, assert_transfer_error};

struct Team {
    department: i64,
    alice: String,
    bob: String,
    outsider: String,
    alice_id: i64,
}

async fn team(app: &TestApp) -> Team {
    let admin = app.enterprise_token(&app.tenant).await;
    let mut ids = Vec::new();
    for email in ["alice@acme.test", "bob@acme.test", "carol@acme.test"] {
        let user = app
            .post_ok(
                "/api/v2/admin/user/create",
                &admin,
                &json!({"email": email, "force_active": true, "password": "secret-123"}),
            )
            .await;
        ids.push(user["id"].as_i64().unwrap());
    }
    let department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "市场部", "parent_id": 0, "space_total": 1}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for member in &ids[..2] {
        app.post_ok(
            &format!("/api/v2/admin/department/{department}/add_user"),
            &admin,
            &json!({"user_id": member}),
        )
        .await;
    }
    Team {
        department,
        alice: app.user_token(&app.tenant, ids[0]).await,
        bob: app.user_token(&app.tenant, ids[1]).await,
        outsider: app.user_token(&app.tenant, ids[2]).await,
        alice_id: ids[0],
    }
}

async fn department_info(app: &TestApp, department: i64) -> Value {
    let admin = app.enterprise_token(&app.tenant).await;
    app.get_ok(&format!("/api/v2/admin/department/{department}/info"), &admin)
        .await
}

#[tokio::test]
async fn members_share_the_department_folder_and_outsiders_do_not_see_it() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let plans = app
        .post_ok(
            "/api/v2/folder/create",
            &team.alice,
            &json!({"name": "计划", "parent_id": 0, "department_id": d}),
        )
        .await;
    assert_eq!(plans["space"], json!({"type": "department", "id": d}));
    let plans_id = plans["id"].as_i64().unwrap();

    let top = app
        .get_ok(
            &format!("/api/v2/folder/department_folders?department_id={d}"),
            &team.bob,
        )
        .await;
    assert_eq!(top["folders"][0]["id"], plans_id);
    let same = app
        .get_ok(&format!("/api/v2/folder/0/children?department_id={d}"), &team.bob)
        .await;
    assert_eq!(same["total_count"], 1);

    let file = app.upload(&team.bob, plans_id, "brief.txt", b"hello team").await;
    assert_eq!(file["space"]["type"], "department");
    let file_id = file["id"].as_i64().unwrap();
    assert_eq!(app.download(&team.alice, file_id).await, b"hello team");
    let deep = app
        .post_ok(
            "/api/v2/folder/create_by_path",
            &team.alice,
            &json!({"target_folder_path": "2027/Q1", "department_id": d}),
        )
        .await;
    assert_eq!(deep["space"]["id"], d);
    assert_eq!(deep["path"][1]["name"], "2027");

    // The department's bytes are the department's, not the uploader's.
    let info = department_info(&app, d).await;
    assert_eq!(info["space_used"], 10);
    assert_eq!(info["direct_item_count"], 2, "计划 and 2027 at the top: {info}");
    let mine = app.get_ok("/api/v2/user/departments", &team.bob).await;
    assert_eq!(mine["departments"][0]["direct_item_count"], 2);
    let bob_usage = app.get_ok("/api/v2/user/space_usage", &team.bob).await;
    assert_eq!(bob_usage["space_used"], 0);

    assert_api_error(
        app.get(
            &format!("/api/v2/folder/department_folders?department_id={d}"),
            &team.outsider,
        )
        .await,
        404,
        "department_not_found",
    )
    .await;
    for path in [
        format!("/api/v2/folder/{plans_id}/info"),
        format!("/api/v2/folder/{plans_id}/children"),
    ] {
        assert_api_error(app.get(&path, &team.outsider).await, 404, "folder_not_found").await;
    }
    assert_api_error(
        app.get(&format!("/api/v2/file/{file_id}/download"), &team.outsider)
            .await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &team.outsider,
            &json!({"name": "x", "parent_id": 0, "department_id": d}),
        )
        .await,
        404,
        "department_not_found",
    )
    .await;

    // Leaving the department ends the access.
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        &format!("/api/v2/admin/department/{d}/remove_user"),
        &admin,
        &json!({"user_id": team.alice_id}),
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{plans_id}/children"), &team.alice)
            .await,
        404,
        "folder_not_found",
    )
    .await;
}

#[tokio::test]
async fn the_department_quota_holds_at_the_preflight_and_when_the_bytes_arrive() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    app.sql(&format!(
        "update department set space_total = 10 where department_id = {d}"
    ))
    .await;
    assert_api_error(
        app.post(
            "/api/v2/file/upload_v2",
            &team.alice,
            &json!({"parent_id": 0, "department_id": d, "name": "big.bin", "file_size": 11, "upload_type": "api"}),
        )
        .await,
        400,
        "exceed_department_space_limit",
    )
    .await;
    let url = app
        .post_ok(
            "/api/v2/file/upload_v2",
            &team.alice,
            &json!({"parent_id": 0, "department_id": d, "name": "big.bin", "upload_type": "api"}),
        )
        .await;
    let refused = app.send_bytes(url["presign_url"].as_str().unwrap(), &[7u8; 11]).await;
    assert_transfer_error(refused, 400, "exceed_department_space_limit").await;
    app.upload(&team.alice, 0, "mine.bin", &[7u8; 11]).await;
    assert_eq!(department_info(&app, d).await["space_used"], 0);
}

#[tokio::test]
async fn moving_between_a_personal_and_a_department_space_moves_the_bytes_too() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let folder = app.mkdir(&team.alice, 0, "报告").await["id"].as_i64().unwrap();
    let inner = app.upload(&team.alice, folder, "r.txt", b"12345").await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.get_ok("/api/v2/user/space_usage", &team.alice).await["space_used"],
        5
    );

    app.post_ok(
        &format!("/api/v2/folder/{folder}/move"),
        &team.alice,
        &json!({"target_folder_id": 0, "department_id": d}),
    )
    .await;
    assert_eq!(
        app.get_ok("/api/v2/user/space_usage", &team.alice).await["space_used"],
        0
    );
    assert_eq!(department_info(&app, d).await["space_used"], 5);
    let moved = app.get_ok(&format!("/api/v2/file/{inner}/info"), &team.bob).await;
    assert_eq!(moved["space"], json!({"type": "department", "id": d}), "{moved}");

    // A copy back into a personal space is charged there; the department keeps its own.
    app.post_ok(
        &format!("/api/v2/file/{inner}/copy"),
        &team.bob,
        &json!({"target_folder_id": 0}),
    )
    .await;
    assert_eq!(app.get_ok("/api/v2/user/space_usage", &team.bob).await["space_used"], 5);
    assert_eq!(department_info(&app, d).await["space_used"], 5);

    // The seed's move example names the target space as an object.
    app.post_ok(
        &format!("/api/v2/folder/{folder}/move"),
        &team.bob,
        &json!({"target_folder_id": 0, "target_space": {"type": "personal"}}),
    )
    .await;
    assert_eq!(
        app.get_ok("/api/v2/user/space_usage", &team.bob).await["space_used"],
        10
    );
    assert_eq!(department_info(&app, d).await["space_used"], 0);
}

#[tokio::test]
async fn deleting_a_department_hands_its_folder_and_trash_to_the_enterprise_administrator() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let admin = app.enterprise_token(&app.tenant).await;
    let plans = app
        .post_ok(
            "/api/v2/folder/create",
            &team.alice,
            &json!({"name": "计划", "parent_id": 0, "department_id": d}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.upload(&team.alice, plans, "a.txt", b"abc").await;
    let url = app
        .post_ok(
            "/api/v2/file/upload_v2",
            &team.bob,
            &json!({"parent_id": 0, "department_id": d, "name": "old.txt", "upload_type": "api"}),
        )
        .await;
    let old: Value = app
        .send_bytes(url["presign_url"].as_str().unwrap(), b"xy")
        .await
        .json()
        .await
        .unwrap();
    let old = old["id"].as_i64().unwrap();
    app.post_ok(&format!("/api/v2/file/{old}/delete"), &team.bob, &Value::Null)
        .await;

    app.post_ok(&format!("/api/v2/admin/department/{d}/delete"), &admin, &Value::Null)
        .await;
    assert_api_error(
        app.get(
            &format!("/api/v2/folder/department_folders?department_id={d}"),
            &team.alice,
        )
        .await,
        404,
        "department_not_found",
    )
    .await;

    let heir = app.admin_user_token().await;
    let root = app.get_ok("/api/v2/folder/0/children", &heir).await;
    assert_eq!(root["folders"][0]["name"], "市场部的文件", "{root}");
    assert_eq!(root["folders"][0]["size"], 3);
    let handed = root["folders"][0]["id"].as_i64().unwrap();
    let inside = app.get_ok(&format!("/api/v2/folder/{handed}/children"), &heir).await;
    assert_eq!(inside["folders"][0]["id"], plans);
    assert_eq!(inside["folders"][0]["space"]["type"], "personal");
    let trash = app.get_ok("/api/v2/trash/list", &heir).await;
    assert_eq!(trash["files"][0]["id"], old);
    assert_eq!(app.get_ok("/api/v2/user/space_usage", &heir).await["space_used"], 5);
    assert_api_error(
        app.get(&format!("/api/v2/folder/{plans}/info"), &team.alice).await,
        404,
        "folder_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_folder_moved_into_a_department_is_never_listed_from_its_old_spaces_cache() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let folder = app.mkdir(&team.alice, 0, "迁移").await["id"].as_i64().unwrap();
    app.upload(&team.alice, folder, "one.txt", b"1").await;
    let before = app
        .get_ok(&format!("/api/v2/folder/{folder}/children"), &team.alice)
        .await;
    assert_eq!(before["total_count"], 1);
    app.post_ok(
        &format!("/api/v2/folder/{folder}/move"),
        &team.alice,
        &json!({"target_folder_id": 0, "department_id": d}),
    )
    .await;
    app.upload(&team.bob, folder, "two.txt", b"2").await;
    // Each space counts its own changes: make the department's counter land exactly where the
    // personal space's was when the page was cached.
    app.sql(&format!(
        "update item set generation = (select generation from item where parent_id is null \
         and space_kind = 1 and space_id = {alice}) where parent_id is null and space_kind = 2 and space_id = {d}",
        alice = team.alice_id
    ))
    .await;
    let after = app
        .get_ok(&format!("/api/v2/folder/{folder}/children"), &team.alice)
        .await;
    assert_eq!(after["total_count"], 2, "{after}");
    assert_eq!(after["files"][0]["space"]["type"], "department");
}

#[tokio::test]
async fn recent_and_frequent_lists_forget_files_of_a_department_one_has_left() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let url = app
        .post_ok(
            "/api/v2/file/upload_v2",
            &team.alice,
            &json!({"parent_id": 0, "department_id": d, "name": "plan.txt", "upload_type": "api"}),
        )
        .await;
    let file: Value = app
        .send_bytes(url["presign_url"].as_str().unwrap(), b"x")
        .await
        .json()
        .await
        .unwrap();
    let file = file["id"].as_i64().unwrap();
    app.post_ok(
        "/api/v2/frequent/add",
        &team.alice,
        &json!({"item_typed_ids": [format!("file_{file}")]}),
    )
    .await;
    let recent = app.get_ok("/api/v2/file/recent_items?limit=10", &team.alice).await;
    assert_eq!(recent["files"][0]["id"], file, "{recent}");
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        &format!("/api/v2/admin/department/{d}/remove_user"),
        &admin,
        &json!({"user_id": team.alice_id}),
    )
    .await;
    let recent = app.get_ok("/api/v2/file/recent_items?limit=10", &team.alice).await;
    assert_eq!(recent["files"], json!([]), "{recent}");
    let frequent = app.get_ok("/api/v2/frequent/list?page_id=0", &team.alice).await;
    assert_eq!(frequent["total_count"], 0, "{frequent}");
}

#[tokio::test]
async fn a_refused_department_deletion_hands_nothing_over() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        "/api/v2/folder/create",
        &team.alice,
        &json!({"name": "keep", "parent_id": 0, "department_id": d}),
    )
    .await;
    app.post_ok(
        "/api/v2/admin/department/create",
        &admin,
        &json!({"name": "child", "parent_id": d}),
    )
    .await;
    assert_api_error(
        app.post(&format!("/api/v2/admin/department/{d}/delete"), &admin, &Value::Null)
            .await,
        400,
        "department_having_children_can_not_delete",
    )
    .await;
    let heir = app
        .get_ok("/api/v2/folder/0/children", &app.admin_user_token().await)
        .await;
    assert_eq!(
        heir["total_count"], 0,
        "no hand-over folder for a refused deletion: {heir}"
    );
}

#[tokio::test]
async fn a_departments_trash_is_listed_restored_and_emptied_by_its_members() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let doomed = app
        .post_ok(
            "/api/v2/folder/create",
            &team.alice,
            &json!({"name": "旧方案", "parent_id": 0, "department_id": d}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(&format!("/api/v2/folder/{doomed}/delete"), &team.alice, &Value::Null)
        .await;
    let mine = app.get_ok("/api/v2/trash/list", &team.bob).await;
    assert_eq!(mine["total_count"], 0, "a department's trash is not anyone's own");
    let theirs = app
        .get_ok(&format!("/api/v2/trash/list?department_id={d}"), &team.bob)
        .await;
    assert_eq!(theirs["folders"][0]["id"], doomed, "{theirs}");
    assert_api_error(
        app.get(&format!("/api/v2/trash/list?department_id={d}"), &team.outsider)
            .await,
        404,
        "department_not_found",
    )
    .await;
    app.post_ok("/api/v2/trash/restore_all", &team.bob, &json!({"department_id": d}))
        .await;
    let top = app
        .get_ok(
            &format!("/api/v2/folder/department_folders?department_id={d}"),
            &team.alice,
        )
        .await;
    assert_eq!(top["folders"][0]["id"], doomed);
    app.post_ok(&format!("/api/v2/folder/{doomed}/delete"), &team.alice, &Value::Null)
        .await;
    app.post_ok(
        &format!("/api/v2/trash/clear?department_id={d}"),
        &team.alice,
        &Value::Null,
    )
    .await;
    let theirs = app
        .get_ok(&format!("/api/v2/trash/list?department_id={d}"), &team.bob)
        .await;
    assert_eq!(theirs["total_count"], 0);
    assert_api_error(
        app.get(&format!("/api/v2/folder/{doomed}/trash"), &team.alice).await,
        404,
        "folder_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_download_url_stops_working_once_its_holder_loses_the_right_to_the_file() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let admin = app.enterprise_token(&app.tenant).await;
    let url = app
        .post_ok(
            "/api/v2/file/upload_v2",
            &team.bob,
            &json!({"parent_id": 0, "department_id": d, "name": "report.txt", "upload_type": "api"}),
        )
        .await;
    let file: Value = app
        .send_bytes(url["presign_url"].as_str().unwrap(), b"numbers")
        .await
        .json()
        .await
        .unwrap();
    let file = file["id"].as_i64().unwrap();
    let link = app.get_ok(&format!("/api/v2/file/{file}/download"), &team.alice).await["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let fetch = || async { app.client.get(&link).send().await.unwrap() };
    assert_eq!(fetch().await.status(), 200);

    // Out of the department: the URL leads nowhere.
    app.post_ok(
        &format!("/api/v2/admin/department/{d}/remove_user"),
        &admin,
        &json!({"user_id": team.alice_id}),
    )
    .await;
    assert_eq!(fetch().await.status(), 404);
    app.post_ok(
        &format!("/api/v2/admin/department/{d}/add_user"),
        &admin,
        &json!({"user_id": team.alice_id}),
    )
    .await;
    assert_eq!(fetch().await.status(), 200);

    // Downloads disabled for the holder: the same.
    app.post_ok(
        &format!("/api/v2/admin/user/{}/update", team.alice_id),
        &admin,
        &json!({"disable_download": true}),
    )
    .await;
    assert_eq!(fetch().await.status(), 404);
}

#[tokio::test]
async fn the_audit_log_files_department_folder_changes_under_their_department() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let d = team.department;
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        "/api/v2/folder/create",
        &team.alice,
        &json!({"name": "共享", "parent_id": 0, "department_id": d}),
    )
    .await;
    app.mkdir(&team.alice, 0, "私人").await;
    let today = crate::audit::today(&app);
    let log = app
        .post_ok(
            "/api/v2/admin/log/log_info",
            &admin,
            &json!({"start_date": today, "end_date": today, "department_ids": [d], "action_types": [102]}),
        )
        .await;
    assert_eq!(log["total_count"], 1, "{log}");
    assert_eq!(log["user_activities"][0]["target"]["target_file_name"], "共享");
}

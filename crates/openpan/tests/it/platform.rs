//! Third-party platforms: an integrator syncs its departments, groups and accounts by its own
//! ids, and looks them up by either id.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

const PLATFORM: &str = "/api/v2/admin/platform/2";

async fn enable_sync(app: &TestApp) {
    app.core
        .set_account_sync(
            &openpan_core::auth::Principal::local_operator(),
            openpan_core::ids::EnterpriseId(app.tenant.enterprise_id),
            true,
        )
        .await
        .unwrap();
}

fn result_of<'a>(sync: &'a Value, custom_id: &str) -> &'a Value {
    sync["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["custom_id"] == custom_id)
        .unwrap_or_else(|| panic!("no result for {custom_id}: {sync}"))
}

#[tokio::test]
async fn syncing_needs_the_enterprise_to_allow_it() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    for (path, body) in [
        (
            "sync_users",
            json!({"users": [{"custom_id": "E1", "email": "e1@acme.test"}]}),
        ),
        (
            "sync_departments",
            json!({"departments": [{"custom_id": "D1", "name": "x"}]}),
        ),
        ("sync_groups", json!({"groups": [{"custom_id": "G1", "name": "x"}]})),
    ] {
        assert_api_error(
            app.post(&format!("{PLATFORM}/{path}"), &admin, &body).await,
            400,
            "enterprise_not_enable_sync_account",
        )
        .await;
    }
}

#[tokio::test]
async fn an_integrator_syncs_its_tree_and_groups_and_finds_them_by_either_id() {
    let app = TestApp::spawn().await;
    enable_sync(&app).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let synced = app
        .post_ok(
            &format!("{PLATFORM}/sync_departments"),
            &admin,
            &json!({"departments": [
                {"custom_id": "D1", "name": "研发"},
                {"custom_id": 2, "name": "后端", "parent_custom_id": "D1"},
                {"custom_id": "D3", "name": "孤儿", "parent_custom_id": "missing"},
            ]}),
        )
        .await;
    assert_eq!(synced["success_items_count"], 2, "{synced}");
    assert!(synced["request_id"].is_string());
    let d1 = result_of(&synced, "D1")["id"].as_i64().unwrap();
    assert_eq!(result_of(&synced, "2")["created"], true);
    assert_eq!(result_of(&synced, "D3")["errors"][0]["code"], "department_not_found");

    let d2 = app
        .get_ok(&format!("{PLATFORM}/mapping_department?department_id=2"), &admin)
        .await;
    assert_eq!(d2["custom_id"], "2");
    assert_eq!(d2["name"], "后端");
    assert_eq!(d2["parent_id"], d1);
    let by_ours = app
        .get_ok(&format!("{PLATFORM}/mapping_department?yfy_department_id={d1}"), &admin)
        .await;
    assert_eq!(by_ours["custom_id"], "D1");
    assert_api_error(
        app.get(
            &format!("{PLATFORM}/mapping_department?department_id=D1&yfy_department_id={d1}"),
            &admin,
        )
        .await,
        400,
        "cannot_provide_both_yfy_id_and_custom_id",
    )
    .await;
    assert_api_error(
        app.get(&format!("{PLATFORM}/mapping_department"), &admin).await,
        400,
        "yfy_id_and_custom_id_not_null",
    )
    .await;
    assert_api_error(
        app.get(&format!("{PLATFORM}/mapping_department?department_id=nobody"), &admin)
            .await,
        404,
        "department_not_found",
    )
    .await;

    // Syncing again renames and moves by the same custom id.
    let again = app
        .post_ok(
            &format!("{PLATFORM}/sync_departments"),
            &admin,
            &json!({"departments": [{"custom_id": "2", "name": "Backend"}]}),
        )
        .await;
    assert_eq!(result_of(&again, "2")["created"], false);
    let d2 = app
        .get_ok(&format!("{PLATFORM}/mapping_department?department_id=2"), &admin)
        .await;
    assert_eq!(d2["name"], "Backend");
    assert_eq!(d2["parent_id"], 0);

    let groups = app
        .post_ok(
            &format!("{PLATFORM}/sync_groups"),
            &admin,
            &json!({"groups": [{"custom_id": "G1", "name": "读书会", "description": "books"}]}),
        )
        .await;
    let g1 = result_of(&groups, "G1")["id"].as_i64().unwrap();
    let group = app
        .get_ok(&format!("{PLATFORM}/mapping_group?group_id=G1"), &admin)
        .await;
    assert_eq!(group["id"], g1);
    assert_eq!(group["description"], "books");
    let by_ours = app
        .get_ok(&format!("{PLATFORM}/mapping_group?yfy_group_id={g1}"), &admin)
        .await;
    assert_eq!(by_ours["custom_id"], "G1");
}

#[tokio::test]
async fn syncing_accounts_creates_or_updates_each_on_its_own() {
    let app = TestApp::spawn().await;
    enable_sync(&app).await;
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        &format!("{PLATFORM}/sync_departments"),
        &admin,
        &json!({"departments": [{"custom_id": "D1", "name": "研发"}]}),
    )
    .await;
    app.post_ok(
        &format!("{PLATFORM}/sync_groups"),
        &admin,
        &json!({"groups": [{"custom_id": "G1", "name": "All hands"}]}),
    )
    .await;
    let body = json!({
        "users": [
            {"custom_id": "E001", "name": "李雷", "email": "li@acme.test", "force_active": true, "space_total": 2},
            {"user_id": 2, "name": "韩梅梅", "phone": "13800000002"},
            {"custom_id": "E003", "name": "坏", "email": "not-an-email"},
            {"custom_id": "E004", "name": "重复", "email": "LI@acme.test"},
            {"name": "无编号", "email": "none@acme.test"},
        ],
        "default_department_id": "D1",
        "default_group_id": "G1",
        "custom_password": "secret-123",
    });
    let synced = app.post_ok(&format!("{PLATFORM}/sync_users"), &admin, &body).await;
    assert_eq!(synced["success_items_count"], 2, "{synced}");
    let li = result_of(&synced, "E001");
    assert_eq!(li["created"], true);
    let li_id = li["id"].as_i64().unwrap();
    assert_eq!(result_of(&synced, "2")["success"], true);
    assert_eq!(
        result_of(&synced, "E003")["errors"][0]["code"],
        "user_email_or_phone_invalid"
    );
    assert_eq!(
        result_of(&synced, "E004")["errors"][0]["code"],
        "user_already_registered"
    );
    assert_eq!(result_of(&synced, "")["errors"][0]["field"], "custom_id");

    // Refused records left nothing behind.
    let everyone = app
        .get_ok(
            "/api/v2/user/search?query_words=acme.test",
            &app.admin_user_token().await,
        )
        .await;
    let emails: Vec<&str> = everyone["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["email"].as_str().unwrap())
        .collect();
    assert!(!emails.contains(&"none@acme.test"), "{emails:?}");

    // The active account signs in, with its quota, department and group.
    let token = app.user_token(&app.tenant, li_id).await;
    let usage = app.get_ok("/api/v2/user/space_usage", &token).await;
    assert_eq!(usage["space_total"], 2 * 1024 * 1024 * 1024_i64);
    let departments = app.get_ok("/api/v2/user/departments", &token).await;
    assert_eq!(departments["departments"][0]["name"], "研发");
    assert_eq!(departments["departments"][0]["user_count"], 2);
    let groups = app.get_ok("/api/v2/group/list", &token).await;
    assert_eq!(groups["groups"][0]["name"], "All hands");
    assert_eq!(groups["groups"][0]["user_count"], 2);

    let mapped = app
        .get_ok(&format!("{PLATFORM}/mapping_user?user_id=E001"), &admin)
        .await;
    assert_eq!(mapped["id"], li_id);
    assert_eq!(mapped["custom_id"], "E001");
    assert_eq!(mapped["name"], "李雷");
    let by_ours = app
        .get_ok(&format!("{PLATFORM}/mapping_user?yfy_user_id={li_id}"), &admin)
        .await;
    assert_eq!(by_ours["custom_id"], "E001");
    let han = app
        .get_ok(
            &format!("{PLATFORM}/mapping_user?user_id=2&yfy_user_id={li_id}"),
            &admin,
        )
        .await;
    assert_eq!(han["name"], "韩梅梅", "the custom id wins when both come");
    assert_eq!(han["active"], false);
    let found = app
        .get_ok(
            "/api/v2/admin/user/get_user_info?identifier=E001&type=user_ticket&platform_id=2",
            &admin,
        )
        .await;
    assert_eq!(found["id"], li_id);

    // Syncing again updates in place, activates, and joins nothing twice.
    let again = app
        .post_ok(
            &format!("{PLATFORM}/sync_users"),
            &admin,
            &json!({"users": [
                {"custom_id": "E001", "name": "Li Lei"},
                {"custom_id": "2", "force_active": true},
            ], "default_department_id": "D1"}),
        )
        .await;
    assert_eq!(again["success_items_count"], 2, "{again}");
    assert_eq!(result_of(&again, "E001")["created"], false);
    let mapped = app
        .get_ok(&format!("{PLATFORM}/mapping_user?user_id=E001"), &admin)
        .await;
    assert_eq!(mapped["name"], "Li Lei");
    assert_eq!(mapped["email"], "li@acme.test");
    let han = app.get_ok(&format!("{PLATFORM}/mapping_user?user_id=2"), &admin).await;
    assert_eq!(han["active"], true);
    let departments = app.get_ok("/api/v2/user/departments", &token).await;
    assert_eq!(departments["departments"][0]["user_count"], 2);
}

#[tokio::test]
async fn platform_apis_keep_to_the_admins_enterprise() {
    let app = TestApp::spawn().await;
    enable_sync(&app).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let foreign_admin = app.enterprise_token(&other).await;
    let ours = app.tenant.admin_user_id;
    assert_api_error(
        app.get(&format!("{PLATFORM}/mapping_user?yfy_user_id={ours}"), &foreign_admin)
            .await,
        404,
        "user_not_found",
    )
    .await;
    let mine = app
        .get_ok(&format!("{PLATFORM}/mapping_user?yfy_user_id={ours}"), &admin)
        .await;
    assert_eq!(mine["custom_id"], "");
    assert_api_error(
        app.get(
            &format!("{PLATFORM}/mapping_user?user_id=x"),
            &app.admin_user_token().await,
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.get("/api/v2/admin/platform/0/mapping_user?user_id=x", &admin).await,
        400,
        "request_data_invalid",
    )
    .await;
    let empty = assert_api_error(
        app.post(&format!("{PLATFORM}/sync_users"), &admin, &json!({"users": []}))
            .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(empty["errors"][0]["field"], "users");
}

#[tokio::test]
async fn an_integrator_reads_the_file_managers_of_its_departments_by_its_own_ids() {
    let app = TestApp::spawn().await;
    enable_sync(&app).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let synced = app
        .post_ok(
            &format!("{PLATFORM}/sync_departments"),
            &admin,
            &json!({"departments": [{"custom_id": "D1", "name": "研发"}, {"custom_id": "D2", "name": "市场"}]}),
        )
        .await;
    let d1 = result_of(&synced, "D1")["id"].as_i64().unwrap();
    let users = app
        .post_ok(
            &format!("{PLATFORM}/sync_users"),
            &admin,
            &json!({
                "users": [{"custom_id": "E7", "name": "李雷", "email": "li@acme.test", "phone": "13800000007"}],
                "default_department_id": "D1",
            }),
        )
        .await;
    let li = result_of(&users, "E7")["id"].as_i64().unwrap();
    app.post_ok(
        &format!("/api/v2/admin/department/{d1}/update"),
        &admin,
        &json!({"file_managers": [li]}),
    )
    .await;

    for body in [json!(["D1", "D2", "nobody"]), json!({"department_ids": ["D1", "D2"]})] {
        let info = app
            .post_ok(&format!("{PLATFORM}/get_file_manager_info"), &admin, &body)
            .await;
        let list = info["department_file_manager_info_list"].as_array().unwrap();
        assert_eq!(list.len(), 2, "an unknown id is left out: {info}");
        assert_eq!(list[0]["department_id"], d1);
        assert_eq!(list[0]["custom_department_id"], "D1");
        let managers = list[0]["customUser_list"].as_array().unwrap();
        assert_eq!(managers.len(), 1);
        assert_eq!(managers[0]["id"], li);
        assert_eq!(managers[0]["custom_id"], "E7");
        assert_eq!(managers[0]["email"], "li@acme.test");
        assert_eq!(managers[0]["phone"], "13800000007");
        assert_eq!(
            managers[0]["department_ids"],
            json!([{"department_id": d1, "custom_department_id": "D1", "name": "研发"}])
        );
        assert_eq!(list[1]["custom_department_id"], "D2");
        assert_eq!(list[1]["customUser_list"], json!([]));
    }
    // Another enterprise's department is as unknown as a missing one.
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let theirs = app.enterprise_token(&other).await;
    let foreign = app
        .post_ok(
            "/api/v2/admin/department/create",
            &theirs,
            &json!({"name": "R&D", "parent_id": 0}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let none = app
        .post_ok(&format!("{PLATFORM}/get_file_manager_info"), &admin, &json!([foreign]))
        .await;
    assert_eq!(none["department_file_manager_info_list"], json!([]));
    // Our ids work too.
    let ours = app
        .post_ok(&format!("{PLATFORM}/get_file_manager_info"), &admin, &json!([d1]))
        .await;
    assert_eq!(
        ours["department_file_manager_info_list"][0]["custom_department_id"],
        "D1"
    );

    for body in [json!({"ids": ["D1"]}), json!("D1"), json!([{"id": 1}]), json!([""])] {
        let refused = assert_api_error(
            app.post(&format!("{PLATFORM}/get_file_manager_info"), &admin, &body)
                .await,
            400,
            "request_data_invalid",
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "department_ids", "{body}");
    }
    assert_api_error(
        app.post(
            &format!("{PLATFORM}/get_file_manager_info"),
            &app.admin_user_token().await,
            &json!(["D1"]),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
}

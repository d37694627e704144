//! The audit log: every change recorded with who, what, to what and from where, in the
//! change's own transaction; the platform's log APIs read it.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

/// Today as the platform counts days (China Standard Time).
pub fn today(app: &TestApp) -> String {
    day(app.now())
}

pub fn day(epoch: i64) -> String {
    let days = (epoch + 8 * 3600).div_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

async fn log_info(app: &TestApp, admin: &str, filters: Value) -> Value {
    let mut body = json!({"start_date": today(app), "end_date": today(app), "page_size": 500});
    for (key, value) in filters.as_object().unwrap() {
        body[key] = value.clone();
    }
    app.post_ok("/api/v2/admin/log/log_info", admin, &body).await
}

fn actions(log: &Value) -> Vec<String> {
    log["user_activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action_type"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_change_is_on_the_log_with_who_what_and_from_where() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app
        .post_ok(
            "/api/v2/admin/user/create",
            &admin,
            &json!({"email": "zhang@acme.test", "name": "张三", "force_active": true, "password": "secret-123"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let token = app.user_token(&app.tenant, user).await;
    let folder = app.mkdir(&token, 0, "合同").await["id"].as_i64().unwrap();
    let file = app.upload(&token, folder, "a.txt", &[7u8; 71_557]).await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(
        &format!("/api/v2/file/{file}/update"),
        &token,
        &json!({"name": "b.txt"}),
    )
    .await;
    app.post_ok(
        &format!("/api/v2/file/{file}/move"),
        &token,
        &json!({"target_folder_id": 0}),
    )
    .await;
    app.download(&token, file).await;
    app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &Value::Null)
        .await;
    app.post_ok(&format!("/api/v2/file/{file}/restore_from_trash"), &token, &Value::Null)
        .await;

    let log = log_info(&app, &admin, json!({})).await;
    assert_eq!(
        actions(&log),
        ["10", "102", "108", "109", "101", "107", "104", "105"],
        "{log}"
    );
    assert_eq!(log["total_count"], 8);
    assert_eq!(log["success"], true);
    let upload = &log["user_activities"][2];
    assert_eq!(upload["action_type"]["name"], "上传文件");
    assert_eq!(
        upload["operator"],
        json!({"user_name": "张三", "login": "zhang@acme.test", "id": user.to_string()})
    );
    assert_eq!(upload["target"]["target_file_name"], "a.txt");
    assert_eq!(
        upload["target"]["id"],
        file.to_string(),
        "the new file's id is on the entry"
    );
    assert_eq!(upload["target"]["size"], "69.88KB");
    assert_eq!(upload["platform"]["service_name"], "上传下载");
    assert_eq!(upload["platform"]["ip_address"], "IP:127.0.0.1");
    let created = &log["user_activities"][0];
    assert_eq!(created["operator"]["id"], "", "the admin app acted for its enterprise");
    assert_eq!(created["target"]["id"], user.to_string());
    assert_eq!(created["platform"]["service_name"], "开放平台");
    let rename = &log["user_activities"][3];
    assert_eq!(rename["additional_info"]["old_name"], "a.txt");
    assert_eq!(rename["additional_info"]["new_name"], "b.txt");

    // Filters narrow it; they combine.
    assert_eq!(
        actions(&log_info(&app, &admin, json!({"action_types": [108, 107]})).await),
        ["108", "107"]
    );
    assert_eq!(
        log_info(&app, &admin, json!({"user_ids": [user]})).await["total_count"],
        7
    );
    assert_eq!(
        log_info(
            &app,
            &admin,
            json!({"emails": ["zhang@acme.test"], "action_types": [101]})
        )
        .await["total_count"],
        1
    );
    assert_eq!(
        log_info(&app, &admin, json!({"emails": ["nobody@acme.test"]})).await["total_count"],
        0
    );
    assert_eq!(
        log_info(&app, &admin, json!({"file_ids": [file]})).await["total_count"],
        6
    );
    assert_eq!(
        actions(&log_info(&app, &admin, json!({"folder_ids": [folder]})).await),
        ["102"]
    );
    assert_eq!(
        log_info(&app, &admin, json!({"review_ids": [1]})).await["total_count"],
        0
    );

    // The list forms page through the same entries.
    let page = app
        .post_ok(
            "/api/v2/admin/log/log_list",
            &admin,
            &json!({"start_date": today(&app), "end_date": today(&app), "page_id": 2, "page_capacity": 3}),
        )
        .await;
    assert_eq!(actions(&page), ["109", "101", "107"]);
    let export = app
        .post_ok(
            "/api/v2/admin/log/log_list_by_pagination",
            &admin,
            &json!({"date": today(&app), "pagination": 3, "page_capacity": 3}),
        )
        .await;
    assert_eq!(export["pagination"], 3);
    assert_eq!(actions(&export), ["104", "105"]);

    // Another enterprise's administrator sees none of it.
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let theirs = log_info(&app, &app.enterprise_token(&other).await, json!({})).await;
    assert_eq!(theirs["total_count"], 0);
}

#[tokio::test]
async fn a_refused_change_leaves_nothing_on_the_log() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "x").await["id"].as_i64().unwrap();
    let before = log_info(&app, &admin, json!({})).await["total_count"].as_i64().unwrap();
    assert_api_error(
        app.post("/api/v2/folder/create", &token, &json!({"name": "x", "parent_id": 0}))
            .await,
        409,
        "folder_name_conflict",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/folder/{folder}/move"),
            &token,
            &json!({"target_folder_id": folder}),
        )
        .await,
        400,
        "move_to_itself",
    )
    .await;
    app.sql(&format!(
        "update user_account set space_total = 3 where user_id = {}",
        app.tenant.admin_user_id
    ))
    .await;
    let url = app
        .post_ok(
            "/api/v2/file/upload_v2",
            &token,
            &json!({"parent_id": 0, "name": "big.bin", "upload_type": "api"}),
        )
        .await;
    assert_eq!(
        app.send_bytes(url["presign_url"].as_str().unwrap(), b"four")
            .await
            .status(),
        400
    );
    assert_eq!(log_info(&app, &admin, json!({})).await["total_count"], before);
}

#[tokio::test]
async fn the_log_reaches_back_ninety_days_in_order_and_keeps_older_entries_for_retention() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let ask = |start: String, end: String| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post(
                "/api/v2/admin/log/log_info",
                &admin,
                &json!({"start_date": start, "end_date": end}),
            )
            .await
        }
    };
    let now = app.now();
    for (start, end) in [
        (day(now - 91 * 86_400), day(now)),
        (day(now), day(now + 86_400)),
        (day(now), day(now - 86_400)),
    ] {
        assert_api_error(ask(start, end).await, 400, "timestamp_range_invalid").await;
    }
    let malformed = assert_api_error(ask("2026/11/01".into(), day(now)).await, 400, "request_data_invalid").await;
    assert_eq!(malformed["errors"][0]["field"], "start_date");
    let missing = assert_api_error(
        app.post("/api/v2/admin/log/log_info", &admin, &json!({"start_date": day(now)}))
            .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(missing["errors"][0]["field"], "end_date");
    let too_big = assert_api_error(
        app.post(
            "/api/v2/admin/log/log_list",
            &admin,
            &json!({"start_date": day(now), "end_date": day(now), "page_capacity": 501}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(too_big["errors"][0]["field"], "page_capacity");
    let window = ask(day(now - 90 * 86_400), day(now)).await;
    assert_eq!(window.status(), 200);

    // An entry from 100 days ago stays stored but out of the API's reach, until retention.
    app.mkdir(&app.admin_user_token().await, 0, "old").await;
    app.clock.advance(100 * 86_400);
    let admin = app.enterprise_token(&app.tenant).await;
    let recent = app
        .post_ok(
            "/api/v2/admin/log/log_info",
            &admin,
            &json!({"start_date": day(app.now() - 90 * 86_400), "end_date": day(app.now())}),
        )
        .await;
    assert_eq!(recent["total_count"], 0);
    assert_eq!(app.core.purge_audit_events(365).await.unwrap(), 0);
    assert_eq!(app.core.purge_audit_events(90).await.unwrap(), 1);
}

#[tokio::test]
async fn only_enterprise_tokens_read_the_log_and_every_action_has_its_name() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let all = app
        .post_ok("/api/v2/admin/log/action_type_info", &admin, &json!({"is_all": true}))
        .await;
    let names = all["action_types"].as_object().unwrap();
    // The platform's 266, and openpan's own for apps.
    assert_eq!(names.len(), 273);
    assert_eq!(names["2006"], "授权应用");
    assert_eq!(names["600"], "预览");
    let some = app
        .post_ok(
            "/api/v2/admin/log/action_type_info",
            &admin,
            &json!({"action_types": [1, 108, 99999]}),
        )
        .await;
    assert_eq!(some["action_types"], json!({"1": "登录成功", "108": "上传文件"}));
    let user = app.admin_user_token().await;
    for path in ["action_type_info", "log_info", "log_list", "log_list_by_pagination"] {
        assert_api_error(
            app.post(&format!("/api/v2/admin/log/{path}"), &user, &json!({})).await,
            403,
            "permission_denied",
        )
        .await;
    }
}

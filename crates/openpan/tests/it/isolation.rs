//! One enterprise never reads, changes or even learns the ids of another's users, departments,
//! groups or log entries: every organisation endpoint, walked with the other enterprise's ids,
//! answers exactly as it does for ids that do not exist.

use serde_json::{Value, json};

use crate::harness::TestApp;

/// What an endpoint answers: status and error code.
async fn outcome(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["errors"][0]["code"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn every_organisation_endpoint_treats_a_foreign_id_like_a_missing_one() {
    let app = TestApp::spawn().await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let theirs = app.enterprise_token(&other).await;
    // Globex's own records, which Acme must not be able to tell apart from nothing.
    let their_user = app
        .post_ok(
            "/api/v2/admin/user/create",
            &theirs,
            &json!({"email": "spy@globex.test", "force_active": true, "password": "secret-123"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let their_department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &theirs,
            &json!({"name": "R&D", "parent_id": 0}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let their_group = app
        .post_ok(
            "/api/v2/admin/group/create",
            &theirs,
            &json!({"name": "Board", "visible": true}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let their_user_token = app.user_token(&other, their_user).await;
    let their_folder = app.mkdir(&their_user_token, 0, "secret").await["id"].as_i64().unwrap();

    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.admin_user_token().await;
    let missing = 987_654_321_i64;
    // (method, path with {id}, token, body with {id}) — each asked with the foreign id and with
    // a missing one.
    let endpoints: Vec<(&str, &str, &str, String)> = vec![
        ("GET", "/api/v2/admin/user/{user}/info", &admin, "null".to_owned()),
        (
            "POST",
            "/api/v2/admin/user/{user}/update",
            &admin,
            r#"{"name": "x"}"#.to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/user/{user}/delete",
            &admin,
            format!(r#"{{"user_receive_items": {}}}"#, app.tenant.admin_user_id),
        ),
        ("GET", "/api/v2/user/{user}/info", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/user/{user}/profile_pic_download?profile_pic_key=k",
            &user,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/platform/2/mapping_user?yfy_user_id={user}",
            &admin,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/department/{department}/info",
            &admin,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/department/{department}/children",
            &admin,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/department/{department}/users",
            &admin,
            "null".to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/update",
            &admin,
            r#"{"name": "x"}"#.to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/delete",
            &admin,
            "null".to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/add_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/remove_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        (
            "POST",
            "/api/v2/admin/department/create",
            &admin,
            r#"{"name": "x", "parent_id": {department}}"#.to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/update_space",
            &admin,
            r#"{"space_total": 1}"#.to_owned(),
        ),
        ("GET", "/api/v2/department/{department}/info", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/department/{department}/children",
            &user,
            "null".to_owned(),
        ),
        ("GET", "/api/v2/department/{department}/users", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/folder/department_folders?department_id={department}",
            &user,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/platform/2/mapping_department?yfy_department_id={department}",
            &admin,
            "null".to_owned(),
        ),
        ("GET", "/api/v2/admin/group/{group}/info", &admin, "null".to_owned()),
        ("GET", "/api/v2/admin/group/{group}/users", &admin, "null".to_owned()),
        (
            "POST",
            "/api/v2/admin/group/{group}/update",
            &admin,
            r#"{"name": "x"}"#.to_owned(),
        ),
        ("POST", "/api/v2/admin/group/{group}/delete", &admin, "null".to_owned()),
        (
            "POST",
            "/api/v2/admin/group/{group}/add_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        (
            "POST",
            "/api/v2/admin/group/{group}/remove_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        ("GET", "/api/v2/group/{group}/info", &user, "null".to_owned()),
        ("GET", "/api/v2/group/{group}/users", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/admin/platform/2/mapping_group?yfy_group_id={group}",
            &admin,
            "null".to_owned(),
        ),
        ("GET", "/api/v2/folder/{folder}/info", &user, "null".to_owned()),
        ("GET", "/api/v2/folder/{folder}/children", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/item/search?query_words=x&search_in_folder={folder}",
            &user,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/item/search?query_words=x&department_id={department}",
            &user,
            "null".to_owned(),
        ),
    ];
    let fill = |text: &str, user: i64, department: i64, group: i64, folder: i64| {
        text.replace("{user}", &user.to_string())
            .replace("{department}", &department.to_string())
            .replace("{group}", &group.to_string())
            .replace("{folder}", &folder.to_string())
    };
    let call = |method: &'static str, path: String, token: String, body: Value| {
        let app = &app;
        async move {
            match method {
                "GET" => app.get(&path, &token).await,
                _ => app.post(&path, &token, &body).await,
            }
        }
    };
    for (method, path, token, body) in &endpoints {
        let ask = |user, department, group, folder| {
            let path = fill(path, user, department, group, folder);
            let body: Value = serde_json::from_str(&fill(body, user, department, group, folder)).unwrap();
            call(method, path, token.to_string(), body)
        };
        let foreign = outcome(ask(their_user, their_department, their_group, their_folder).await).await;
        let absent = outcome(ask(missing, missing, missing, missing).await).await;
        assert!(
            foreign.0 >= 400,
            "{method} {path} answered {foreign:?} for a foreign id"
        );
        assert_eq!(
            foreign, absent,
            "{method} {path}: a foreign id must look like a missing one"
        );
    }

    // And nothing of Globex's changed.
    let info = app
        .get_ok(&format!("/api/v2/admin/department/{their_department}/info"), &theirs)
        .await;
    assert_eq!(info["name"], "R&D");
    let group = app
        .get_ok(&format!("/api/v2/admin/group/{their_group}/info"), &theirs)
        .await;
    assert_eq!(group["name"], "Board");
    let spy = app
        .get_ok(&format!("/api/v2/admin/user/{their_user}/info"), &theirs)
        .await;
    assert_eq!(spy["active"], true);
}

//! The organisation directory: departments (tree, members, directors) and groups.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

/// Creates a department; returns it.
async fn department(app: &TestApp, admin: &str, body: Value) -> Value {
    app.post_ok("/api/v2/admin/department/create", admin, &body).await
}

async fn active_user(app: &TestApp, admin: &str, email: &str, name: &str) -> i64 {
    app.post_ok(
        "/api/v2/admin/user/create",
        admin,
        &json!({"email": email, "name": name, "force_active": true, "password": "secret-123"}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn departments_form_a_tree_under_the_enterprise_with_inherited_settings() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let boss = active_user(&app, &admin, "boss@acme.test", "王总").await;
    let rd = department(
        &app,
        &admin,
        json!({"name": "研发", "parent_id": 0, "director_id": boss, "hide_phone": true, "space_total": 5}),
    )
    .await;
    let rd_id = rd["id"].as_i64().unwrap();
    assert_eq!(rd["parent_id"], 0);
    assert_eq!(rd["director"]["id"], boss);
    assert_eq!(rd["director"]["name"], "王总");
    assert_eq!(rd["space_total"], 5 * 1024 * 1024 * 1024_i64);
    assert_eq!(rd["spaceTotal"], rd["space_total"], "the Java SDK's spelling too");
    assert_eq!(rd["hide_phone"], true);
    assert_eq!(rd["user_count"], 0);

    let backend = department(&app, &admin, json!({"name": "后端", "parent_id": rd_id})).await;
    let backend_id = backend["id"].as_i64().unwrap();
    assert_eq!(backend["hide_phone"], true, "inherited from the parent");
    assert_eq!(backend["director"], Value::Null);
    assert_eq!(backend["space_total"], 20 * 1024 * 1024 * 1024_i64, "20 GB unless told");
    let frontend = department(
        &app,
        &admin,
        json!({"name": "前端", "parent_id": rd_id, "hide_phone": false}),
    )
    .await;
    assert_eq!(frontend["hide_phone"], false);

    let root = app
        .get_ok("/api/v2/department/0/children", &app.admin_user_token().await)
        .await;
    assert_eq!(root["id"], 0);
    assert_eq!(root["name"], "Acme");
    assert_eq!(root["has_children_departments"], true);
    assert_eq!(ids(&root["children"]), [rd_id]);
    assert_eq!(root["children"][0]["has_children_departments"], true);
    assert_eq!(root["children"][0]["children_departments_count"], 2);

    let children = app
        .get_ok(
            &format!("/api/v2/admin/department/{rd_id}/children?permission_filter=true"),
            &admin,
        )
        .await;
    assert_eq!(
        ids(&children["children"]),
        [backend_id, frontend["id"].as_i64().unwrap()]
    );
    let info = app
        .get_ok(&format!("/api/v2/admin/department/{rd_id}/info"), &admin)
        .await;
    assert_eq!(info["children_departments_count"], 2);
    assert_eq!(info["name"], "研发");

    // Names are unique among siblings only, case-folded.
    department(&app, &admin, json!({"name": "Ops", "parent_id": 0})).await;
    assert_api_error(
        app.post(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "OPS", "parent_id": 0}),
        )
        .await,
        409,
        "department_name_conflict",
    )
    .await;
    department(&app, &admin, json!({"name": "ops", "parent_id": rd_id})).await;
}

#[tokio::test]
async fn department_requests_breaking_a_rule_get_the_documented_code() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let create = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { app.post("/api/v2/admin/department/create", &admin, &body).await }
    };
    let long = assert_api_error(
        create(json!({"name": "部".repeat(31), "parent_id": 0})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(long["errors"][0]["field"], "name");
    let no_parent = assert_api_error(create(json!({"name": "x"})).await, 400, "request_data_invalid").await;
    assert_eq!(no_parent["errors"][0]["field"], "parent_id");
    assert_api_error(
        create(json!({"name": "x", "parent_id": 987_654})).await,
        404,
        "department_not_found",
    )
    .await;
    assert_api_error(
        create(json!({"name": "x", "parent_id": 0, "director_id": other.admin_user_id})).await,
        400,
        "user_not_in_enterprise",
    )
    .await;
    let negative = assert_api_error(
        create(json!({"name": "x", "parent_id": 0, "space_total": -5})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(negative["errors"][0]["field"], "space_total");
    app.sql(&format!(
        "update enterprise set space_total = {} where enterprise_id = {}",
        100 * 1024 * 1024 * 1024_i64,
        app.tenant.enterprise_id
    ))
    .await;
    assert_api_error(
        create(json!({"name": "x", "parent_id": 0, "space_total": 101})).await,
        400,
        "department_space_total_exceeds_enterprise_limit",
    )
    .await;
    let fits = department(&app, &admin, json!({"name": "x", "parent_id": 0, "space_total": 100})).await;
    assert_eq!(fits["space_total"], 100 * 1024 * 1024 * 1024_i64);
}

#[tokio::test]
async fn departments_move_without_cycles_and_are_deleted_only_when_childless() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let top = department(&app, &admin, json!({"name": "总部", "parent_id": 0})).await["id"]
        .as_i64()
        .unwrap();
    let mid = department(&app, &admin, json!({"name": "华东", "parent_id": top})).await["id"]
        .as_i64()
        .unwrap();
    let leaf = department(&app, &admin, json!({"name": "上海", "parent_id": mid})).await["id"]
        .as_i64()
        .unwrap();

    for (moved, under) in [(top, leaf), (top, top), (mid, leaf)] {
        let refused = assert_api_error(
            app.post(
                &format!("/api/v2/admin/department/{moved}/update"),
                &admin,
                &json!({"parent_id": under}),
            )
            .await,
            400,
            "request_data_invalid",
        )
        .await;
        assert_eq!(refused["errors"][0]["field"], "parent_id");
    }
    assert_api_error(
        app.post(&format!("/api/v2/admin/department/{top}/delete"), &admin, &Value::Null)
            .await,
        400,
        "department_having_children_can_not_delete",
    )
    .await;

    let moved = app
        .post_ok(
            &format!("/api/v2/admin/department/{leaf}/update"),
            &admin,
            &json!({"name": "Shanghai", "parent_id": 0}),
        )
        .await;
    assert_eq!(moved["parent_id"], 0);
    assert_eq!(moved["name"], "Shanghai");
    let mid_info = app
        .get_ok(&format!("/api/v2/admin/department/{mid}/info"), &admin)
        .await;
    assert_eq!(mid_info["children_departments_count"], 0);
    let root = app.get_ok("/api/v2/admin/department/0/children", &admin).await;
    assert_eq!(ids(&root["children"]), [top, leaf]);

    app.post_ok(&format!("/api/v2/admin/department/{mid}/delete"), &admin, &Value::Null)
        .await;
    app.post_ok(&format!("/api/v2/admin/department/{top}/delete"), &admin, &Value::Null)
        .await;
    assert_api_error(
        app.get(&format!("/api/v2/admin/department/{top}/info"), &admin).await,
        404,
        "department_not_found",
    )
    .await;
    for path in ["/api/v2/admin/department/0/delete", "/api/v2/admin/department/0/update"] {
        assert_api_error(
            app.post(path, &admin, &json!({"name": "x"})).await,
            404,
            "department_not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn members_join_and_leave_departments_with_counts_kept_and_a_limit_of_100() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let sales = department(&app, &admin, json!({"name": "销售", "parent_id": 0})).await["id"]
        .as_i64()
        .unwrap();
    let li = active_user(&app, &admin, "li@acme.test", "李雷").await;
    let han = active_user(&app, &admin, "han@acme.test", "韩梅梅").await;
    let add = |user: i64| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post(
                &format!("/api/v2/admin/department/{sales}/add_user"),
                &admin,
                &json!({"user_id": user}),
            )
            .await
        }
    };
    assert_eq!(add(li).await.status(), 200);
    assert_eq!(add(han).await.status(), 200);
    assert_api_error(add(li).await, 400, "user_already_in_department").await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    assert_api_error(add(other.admin_user_id).await, 400, "user_not_in_enterprise").await;

    let members = app
        .get_ok(
            &format!("/api/v2/department/{sales}/users"),
            &app.user_token(&app.tenant, li).await,
        )
        .await;
    assert_eq!(ids(&members["users"]), [li, han]);
    assert_eq!(members["total_count"], 2);
    let found = app
        .get_ok(
            &format!("/api/v2/admin/department/{sales}/users?query_words=韩"),
            &admin,
        )
        .await;
    assert_eq!(ids(&found["users"]), [han]);
    let info = app
        .get_ok(&format!("/api/v2/admin/department/{sales}/info"), &admin)
        .await;
    assert_eq!(info["user_count"], 2);
    let mine = app
        .get_ok("/api/v2/user/departments", &app.user_token(&app.tenant, han).await)
        .await;
    assert_eq!(ids(&mine["departments"]), [sales]);

    app.post_ok(
        &format!("/api/v2/admin/department/{sales}/remove_user"),
        &admin,
        &json!({"user_id": han}),
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/department/{sales}/remove_user"),
            &admin,
            &json!({"user_id": han}),
        )
        .await,
        400,
        "user_not_in_department",
    )
    .await;
    let info = app
        .get_ok(&format!("/api/v2/admin/department/{sales}/info"), &admin)
        .await;
    assert_eq!(info["user_count"], 1);

    // Everyone is in department 0.
    let everyone = app.get_ok("/api/v2/admin/department/0/users", &admin).await;
    assert_eq!(everyone["total_count"], 3);

    // 99 more departments fill Li's quota.
    for n in 0..99 {
        let id = department(&app, &admin, json!({"name": format!("d{n}"), "parent_id": 0})).await["id"]
            .as_i64()
            .unwrap();
        app.post_ok(
            &format!("/api/v2/admin/department/{id}/add_user"),
            &admin,
            &json!({"user_id": li}),
        )
        .await;
    }
    let extra = department(&app, &admin, json!({"name": "one too many", "parent_id": 0})).await["id"]
        .as_i64()
        .unwrap();
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/department/{extra}/add_user"),
            &admin,
            &json!({"user_id": li}),
        )
        .await,
        400,
        "user_exceed_department_limit",
    )
    .await;
    let extra_info = app
        .get_ok(&format!("/api/v2/admin/department/{extra}/info"), &admin)
        .await;
    assert_eq!(extra_info["user_count"], 0, "the refused add left nothing behind");
}

#[tokio::test]
async fn a_director_stays_until_replaced_and_a_deleted_member_leaves_every_department() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let boss = active_user(&app, &admin, "boss@acme.test", "Boss").await;
    let worker = active_user(&app, &admin, "worker@acme.test", "Worker").await;
    let team = department(
        &app,
        &admin,
        json!({"name": "Team", "parent_id": 0, "director_id": boss}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(
        &format!("/api/v2/admin/department/{team}/add_user"),
        &admin,
        &json!({"user_id": worker}),
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/user/{boss}/delete"),
            &admin,
            &json!({"user_receive_items": app.tenant.admin_user_id}),
        )
        .await,
        400,
        "department_director_can_not_delete",
    )
    .await;
    let updated = app
        .post_ok(
            &format!("/api/v2/admin/department/{team}/update"),
            &admin,
            &json!({"director_id": -1, "file_managers": [worker], "permission_type": "strict"}),
        )
        .await;
    assert_eq!(updated["director"], Value::Null);
    assert_eq!(ids(&updated["file_managers"]), [worker]);
    assert_eq!(updated["permission_type"], "strict");
    app.post_ok(
        &format!("/api/v2/admin/user/{boss}/delete"),
        &admin,
        &json!({"user_receive_items": app.tenant.admin_user_id}),
    )
    .await;

    app.post_ok(
        &format!("/api/v2/admin/user/{worker}/delete"),
        &admin,
        &json!({"user_receive_items": app.tenant.admin_user_id}),
    )
    .await;
    let info = app
        .get_ok(&format!("/api/v2/admin/department/{team}/info"), &admin)
        .await;
    assert_eq!(info["user_count"], 0);
    assert_eq!(info["file_managers"], json!([]));
    let members = app
        .get_ok(&format!("/api/v2/admin/department/{team}/users"), &admin)
        .await;
    assert_eq!(members["total_count"], 0);
}

#[tokio::test]
async fn groups_have_unique_names_members_and_visibility() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let li = active_user(&app, &admin, "li@acme.test", "李雷").await;
    let han = active_user(&app, &admin, "han@acme.test", "韩梅梅").await;
    let open = app
        .post_ok(
            "/api/v2/admin/group/create",
            &admin,
            &json!({"name": "Readers", "description": "book club", "visible": true, "admin_user_id": li}),
        )
        .await;
    let open_id = open["id"].as_i64().unwrap();
    assert_eq!(open["admin_user"]["id"], li);
    assert_eq!(open["is_visible"], true);
    assert_eq!(open["collab_auto_accepted"], false);
    let hidden = app
        .post_ok("/api/v2/admin/group/create", &admin, &json!({"name": "Board"}))
        .await;
    let hidden_id = hidden["id"].as_i64().unwrap();
    assert_eq!(
        hidden["collab_auto_accepted"], true,
        "nobody could accept for a group without an admin"
    );
    assert_eq!(hidden["is_visible"], false);
    assert_api_error(
        app.post("/api/v2/admin/group/create", &admin, &json!({"name": "readers"}))
            .await,
        409,
        "group_name_conflict",
    )
    .await;

    app.post_ok(
        &format!("/api/v2/admin/group/{hidden_id}/add_user"),
        &admin,
        &json!({"user_id": han}),
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/group/{hidden_id}/add_user"),
            &admin,
            &json!({"user_id": han}),
        )
        .await,
        400,
        "user_already_in_group",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/group/{open_id}/remove_user"),
            &admin,
            &json!({"user_id": han}),
        )
        .await,
        400,
        "user_not_in_group",
    )
    .await;

    let li_token = app.user_token(&app.tenant, li).await;
    let han_token = app.user_token(&app.tenant, han).await;
    let seen_by_li = app.get_ok("/api/v2/group/list", &li_token).await;
    assert_eq!(
        ids(&seen_by_li["groups"]),
        [open_id],
        "a hidden group is for its members"
    );
    let seen_by_han = app.get_ok("/api/v2/group/list", &han_token).await;
    assert_eq!(ids(&seen_by_han["groups"]), [hidden_id, open_id]);
    assert_api_error(
        app.get(&format!("/api/v2/group/{hidden_id}/users"), &li_token).await,
        404,
        "group_not_found",
    )
    .await;
    let members = app
        .get_ok(&format!("/api/v2/group/{hidden_id}/users"), &han_token)
        .await;
    assert_eq!(ids(&members["users"]), [han]);
    let all = app.get_ok("/api/v2/admin/group/list?query_words=READ", &admin).await;
    assert_eq!(ids(&all["groups"]), [open_id]);
    assert_eq!(all["total_count"], 1);

    let renamed = app
        .post_ok(
            &format!("/api/v2/admin/group/{open_id}/update"),
            &admin,
            &json!({"name": "Writers", "admin_user_id": -1, "visible": false}),
        )
        .await;
    assert_eq!(renamed["name"], "Writers");
    assert_eq!(renamed["admin_user"], Value::Null);
    assert_api_error(
        app.post(
            &format!("/api/v2/admin/group/{open_id}/update"),
            &admin,
            &json!({"name": "board"}),
        )
        .await,
        409,
        "group_name_conflict",
    )
    .await;
    app.post_ok(&format!("/api/v2/admin/group/{hidden_id}/delete"), &admin, &Value::Null)
        .await;
    assert_api_error(
        app.get(&format!("/api/v2/admin/group/{hidden_id}/info"), &admin).await,
        404,
        "group_not_found",
    )
    .await;
    let info = app.get_ok(&format!("/api/v2/admin/group/{open_id}/info"), &admin).await;
    assert_eq!(info["user_count"], 0);
}

#[tokio::test]
async fn another_enterprises_departments_and_groups_answer_like_missing_ones() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let dept = department(&app, &admin, json!({"name": "Ours", "parent_id": 0})).await["id"]
        .as_i64()
        .unwrap();
    let group = app
        .post_ok(
            "/api/v2/admin/group/create",
            &admin,
            &json!({"name": "Ours", "visible": true}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let foreign_admin = app.enterprise_token(&other).await;
    let foreign_user = app.user_token(&other, other.admin_user_id).await;
    let body = json!({"user_id": other.admin_user_id, "name": "x", "parent_id": dept});

    for (path, token) in [
        (format!("/api/v2/admin/department/{dept}/info"), &foreign_admin),
        (format!("/api/v2/admin/department/{dept}/children"), &foreign_admin),
        (format!("/api/v2/admin/department/{dept}/users"), &foreign_admin),
        (format!("/api/v2/department/{dept}/info"), &foreign_user),
    ] {
        assert_api_error(app.get(&path, token).await, 404, "department_not_found").await;
    }
    for path in ["update", "delete", "add_user", "remove_user"] {
        assert_api_error(
            app.post(
                &format!("/api/v2/admin/department/{dept}/{path}"),
                &foreign_admin,
                &body,
            )
            .await,
            404,
            "department_not_found",
        )
        .await;
    }
    assert_api_error(
        app.post("/api/v2/admin/department/create", &foreign_admin, &body).await,
        404,
        "department_not_found",
    )
    .await;
    for path in [
        format!("/api/v2/admin/group/{group}/info"),
        format!("/api/v2/admin/group/{group}/users"),
    ] {
        assert_api_error(app.get(&path, &foreign_admin).await, 404, "group_not_found").await;
    }
    assert_api_error(
        app.get(&format!("/api/v2/group/{group}/users"), &foreign_user).await,
        404,
        "group_not_found",
    )
    .await;
    for path in ["update", "delete", "add_user", "remove_user"] {
        assert_api_error(
            app.post(&format!("/api/v2/admin/group/{group}/{path}"), &foreign_admin, &body)
                .await,
            404,
            "group_not_found",
        )
        .await;
    }
    let theirs = app.get_ok("/api/v2/admin/group/list", &foreign_admin).await;
    assert_eq!(theirs["total_count"], 0);
    let their_root = app.get_ok("/api/v2/admin/department/0/children", &foreign_admin).await;
    assert_eq!(their_root["children"], json!([]));

    let user = app.admin_user_token().await;
    assert_api_error(
        app.post(
            "/api/v2/admin/department/create",
            &user,
            &json!({"name": "x", "parent_id": 0}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post("/api/v2/admin/group/create", &user, &json!({"name": "x"}))
            .await,
        403,
        "permission_denied",
    )
    .await;
}

/// Users whose department counter disagrees with their memberships.
const MISCOUNTED_USERS: &str = "select count(*) from user_account u where u.department_count <> \
     (select count(*) from department_user m where m.user_id = u.user_id)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_deleted_while_members_join_and_leave_keeps_every_count_exact() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let mut users = Vec::new();
    for i in 0..8 {
        users.push(
            app.create_user(&app.tenant, &format!("成员{i}"), &format!("m{i}@acme.test"))
                .await,
        );
    }
    for round in 0..4 {
        let department = app
            .post_ok(
                "/api/v2/admin/department/create",
                &admin,
                &json!({"name": format!("临时{round}"), "parent_id": 0}),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        for user in &users[..4] {
            app.post_ok(
                &format!("/api/v2/admin/department/{department}/add_user"),
                &admin,
                &json!({"user_id": user}),
            )
            .await;
        }
        let (app, admin) = (&app, &admin);
        let change = |verb: &'static str, user: i64| async move {
            let path = format!("/api/v2/admin/department/{department}/{verb}");
            app.post(&path, admin, &json!({"user_id": user})).await
        };
        let joins = users[4..].iter().map(|user| change("add_user", *user));
        let leaves = users[..4].iter().map(|user| change("remove_user", *user));
        let delete_path = format!("/api/v2/admin/department/{department}/delete");
        let delete = app.post(&delete_path, admin, &Value::Null);
        let (joined, left, deleted) = tokio::join!(
            futures_util::future::join_all(joins),
            futures_util::future::join_all(leaves),
            delete
        );
        assert_eq!(deleted.status(), 200, "round {round}");
        for response in joined.into_iter().chain(left) {
            let status = response.status().as_u16();
            assert!(
                status == 200 || status == 404,
                "round {round}: {status} {}",
                response.text().await.unwrap()
            );
        }
        assert_eq!(app.sql_i64(MISCOUNTED_USERS).await, 0, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_appointed_director_while_being_deleted_ends_as_one_or_the_other() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let heir = app.create_user(&app.tenant, "继任", "heir@acme.test").await;
    let department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "总部", "parent_id": 0}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for round in 0..6 {
        let user = app
            .create_user(&app.tenant, &format!("候选{round}"), &format!("c{round}@acme.test"))
            .await;
        let (appoint_path, appoint_body) = (
            format!("/api/v2/admin/department/{department}/update"),
            json!({"director_id": user}),
        );
        let (delete_path, delete_body) = (
            format!("/api/v2/admin/user/{user}/delete"),
            json!({"user_receive_items": heir}),
        );
        let appoint = app.post(&appoint_path, &admin, &appoint_body);
        let delete = app.post(&delete_path, &admin, &delete_body);
        let (appointed, deleted) = tokio::join!(appoint, delete);
        let (appointed, deleted) = (appointed.status().as_u16(), deleted.status().as_u16());
        assert!(
            (appointed == 200) != (deleted == 200),
            "round {round}: appointment {appointed}, deletion {deleted}"
        );
        let deleted_directors = app
            .sql_i64(
                "select count(*) from department d join user_account u on u.user_id = d.director_id \
                 where u.deleted_at is not null",
            )
            .await;
        assert_eq!(deleted_directors, 0, "round {round}");
    }
}

#[tokio::test]
async fn a_departments_space_alone_is_set_by_update_space_within_the_enterprises() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "设计部", "parent_id": 0, "space_total": 5, "hide_phone": true}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v2/admin/department/{department}/update_space");
    let updated = app.post_ok(&path, &admin, &json!({"space_total": 7})).await;
    assert_eq!(updated["space_total"], 7_i64 * 1024 * 1024 * 1024);
    assert_eq!(updated["name"], "设计部");
    assert_eq!(updated["hide_phone"], true, "nothing else changes");
    let unlimited = app.post_ok(&path, &admin, &json!({"space_total": -1})).await;
    assert_eq!(unlimited["space_total"], -1);

    let missing = assert_api_error(app.post(&path, &admin, &json!({})).await, 400, "request_data_invalid").await;
    assert_eq!(missing["errors"][0]["field"], "space_total");
    app.sql(&format!(
        "update enterprise set space_total = 10737418240 where enterprise_id = {}",
        app.tenant.enterprise_id
    ))
    .await;
    assert_api_error(
        app.post(&path, &admin, &json!({"space_total": 11})).await,
        400,
        "department_space_total_exceeds_enterprise_limit",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v2/admin/department/999999/update_space",
            &admin,
            &json!({"space_total": 1}),
        )
        .await,
        404,
        "department_not_found",
    )
    .await;
}

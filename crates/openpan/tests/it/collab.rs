//! Collaboration: inviting users, groups and departments to folders with a role, and every
//! drive API obeying what the role allows.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

struct People {
    alice: String,
    bob: String,
    carol: String,
    alice_id: i64,
    bob_id: i64,
    carol_id: i64,
}

async fn people(app: &TestApp) -> People {
    let mut ids = Vec::new();
    for (name, email) in [
        ("Alice", "alice@acme.test"),
        ("Bob", "bob@acme.test"),
        ("Carol", "carol@acme.test"),
    ] {
        ids.push(app.create_user(&app.tenant, name, email).await);
    }
    People {
        alice: app.user_token(&app.tenant, ids[0]).await,
        bob: app.user_token(&app.tenant, ids[1]).await,
        carol: app.user_token(&app.tenant, ids[2]).await,
        alice_id: ids[0],
        bob_id: ids[1],
        carol_id: ids[2],
    }
}

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

async fn invite(app: &TestApp, token: &str, folder: i64, kind: &str, who: i64, role: &str) -> Value {
    app.post_ok(
        "/api/v2/collab/invite",
        token,
        &json!({"folder_id": folder, "accessible_by": {"type": kind, "id": who, "role": role}}),
    )
    .await
}

async fn upload_url(app: &TestApp, token: &str, parent: i64, name: &str) -> reqwest::Response {
    app.post(
        "/api/v2/file/upload_v2",
        token,
        &json!({"parent_id": parent, "name": name, "upload_type": "api"}),
    )
    .await
}

#[tokio::test]
async fn a_viewer_lists_and_downloads_a_shared_folder_but_changes_nothing() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let work = id(&app.mkdir(&p.alice, 0, "工作").await);
    let project = id(&app.mkdir(&p.alice, work, "项目").await);
    let reports = id(&app.mkdir(&p.alice, project, "报告").await);
    let file = id(&app.upload(&p.alice, reports, "q3.txt", b"third quarter").await);
    let private = id(&app.upload(&p.alice, work, "salary.txt", b"private").await);

    let collab = invite(&app, &p.alice, project, "user", p.bob_id, "viewer").await;
    assert_eq!(collab["accepted"], true);
    assert_eq!(collab["role"], "viewer");
    assert_eq!(
        collab["accessible_by"],
        json!({"type": "user", "id": p.bob_id, "name": "Bob"})
    );
    assert_eq!(collab["item"], json!({"type": "folder", "id": project, "name": "项目"}));
    assert_eq!(collab["collab_id"], collab["id"]);

    let shared = app.get_ok("/api/v2/folder/collab_folders", &p.bob).await;
    let names: Vec<&str> = shared["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|folder| folder["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["项目"]);
    assert_eq!(shared["total_count"], 1);

    let info = app.get_ok(&format!("/api/v2/folder/{project}/info"), &p.bob).await;
    assert_eq!(
        info["path"],
        json!([{"type": "folder", "id": 0, "name": "全部文件"}]),
        "alice's 工作 stays hidden"
    );
    assert_eq!(info["shared"], true);
    let permissions = info["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("item_download")));
    assert!(!permissions.contains(&json!("item_upload")));
    assert!(!permissions.contains(&json!("item_own")));
    let file_info = app.get_ok(&format!("/api/v2/file/{file}/info"), &p.bob).await;
    let path: Vec<i64> = file_info["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["id"].as_i64().unwrap())
        .collect();
    assert_eq!(path, [0, project, reports]);
    let children = app.get_ok(&format!("/api/v2/folder/{reports}/children"), &p.bob).await;
    assert_eq!(children["files"][0]["id"], file);
    assert_eq!(app.download(&p.bob, file).await, b"third quarter");

    assert_api_error(
        upload_url(&app, &p.bob, reports, "mine.txt").await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/file/{file}/update"),
            &p.bob,
            &json!({"name": "x.txt"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(&format!("/api/v2/file/{file}/delete"), &p.bob, &json!({}))
            .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/folder/{reports}/move"),
            &p.bob,
            &json!({"target_folder_id": 0}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/file/{file}/new_version_v2"),
            &p.bob,
            &json!({"name": "q3.txt"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    // A copy into the viewer's own space is theirs.
    let copy = app
        .post_ok(
            &format!("/api/v2/file/{file}/copy"),
            &p.bob,
            &json!({"target_folder_id": 0}),
        )
        .await;
    assert_eq!(copy["owned_by"]["id"], p.bob_id);

    // Above the shared folder, and for someone not invited, nothing exists.
    assert_api_error(
        app.get(&format!("/api/v2/folder/{work}/info"), &p.bob).await,
        404,
        "folder_not_found",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{private}/info"), &p.bob).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.carol).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{project}/children"), &p.carol).await,
        404,
        "folder_not_found",
    )
    .await;
    assert!(
        app.get_ok("/api/v2/folder/collab_folders", &p.carol).await["folders"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_previewer_cannot_download_and_an_uploader_adds_files_without_seeing_any() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let inbox = id(&app.mkdir(&p.alice, 0, "收件箱").await);
    let secret = id(&app.upload(&p.alice, inbox, "plan.txt", b"plan").await);
    invite(&app, &p.alice, inbox, "user", p.bob_id, "previewer").await;
    invite(&app, &p.alice, inbox, "user", p.carol_id, "uploader").await;

    assert_eq!(
        app.get_ok(&format!("/api/v2/file/{secret}/info"), &p.bob).await["name"],
        "plan.txt"
    );
    assert_api_error(
        app.get(&format!("/api/v2/file/{secret}/download"), &p.bob).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v2/file/pack_download",
            &p.bob,
            &json!({"item_typed_ids": [format!("folder_{inbox}")]}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/file/{secret}/copy"),
            &p.bob,
            &json!({"target_folder_id": 0}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;

    assert_api_error(
        app.get(&format!("/api/v2/folder/{inbox}/children"), &p.carol).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{secret}/info"), &p.carol).await,
        404,
        "file_not_found",
    )
    .await;
    let dropped = app.upload(&p.carol, inbox, "report.txt", b"from carol").await;
    assert_eq!(
        dropped["owned_by"]["id"], p.alice_id,
        "what lands in alice's folder is alice's"
    );
    let listed = app.get_ok(&format!("/api/v2/folder/{inbox}/children"), &p.alice).await;
    assert_eq!(listed["total_count"], 2);
    let usage = app.get_ok("/api/v2/user/space_usage", &p.alice).await;
    assert_eq!(
        usage["space_used"],
        4 + 10,
        "the owner's space pays for what others add"
    );
}

#[tokio::test]
async fn roles_change_and_end_and_the_folder_lists_its_owner_and_collaborators() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let folder = id(&app.mkdir(&p.alice, 0, "合同").await);
    let file = id(&app.upload(&p.alice, folder, "a.txt", b"a").await);
    // The Python SDK's body and its spelling of editor.
    let collab = app
        .post_ok(
            "/api/v2/collab/invite",
            &p.alice,
            &json!({"folder_id": folder, "invited_user": {"id": p.bob_id, "role": "viewer"}}),
        )
        .await;
    let collab_id = id(&collab);

    let listed = app.get_ok(&format!("/api/v2/folder/{folder}/collabs"), &p.alice).await;
    assert_eq!(listed["final_role"], "owner");
    let collabs = listed["collabs"].as_array().unwrap();
    assert_eq!(collabs.len(), 2);
    assert_eq!(collabs[0]["role"], "owner");
    assert!(collabs[0].get("id").is_none(), "the owner's entry has no id");
    assert_eq!(collabs[1]["id"], collab_id);
    assert_eq!(listed["collab_info"], listed["collabs"]);
    assert_eq!(
        app.get_ok(&format!("/api/v2/folder/{folder}/collabs"), &p.bob).await["final_role"],
        "viewer"
    );

    let updated = app
        .post_ok(
            &format!("/api/v2/collab/{collab_id}/update"),
            &p.alice,
            &json!({"role": "edit"}),
        )
        .await;
    assert_eq!(updated["role"], "editor");
    let renamed = app
        .post_ok(
            &format!("/api/v2/file/{file}/update"),
            &p.bob,
            &json!({"name": "b.txt"}),
        )
        .await;
    assert_eq!(renamed["name"], "b.txt");
    // An editor cannot pass the folder on.
    assert_api_error(
        app.post(
            "/api/v2/collab/invite",
            &p.bob,
            &json!({"folder_id": folder, "accessible_by": {"type": "user", "id": p.carol_id, "role": "viewer"}}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/collab/{collab_id}/update"),
            &p.bob,
            &json!({"role": "coowner"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;

    app.post_ok(
        &format!("/api/v2/collab/{collab_id}/update"),
        &p.alice,
        &json!({"role": "reset"}),
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.bob).await,
        404,
        "file_not_found",
    )
    .await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/collab/{collab_id}/info"), &p.bob).await["role"],
        "reset",
        "the invited user still sees their own invitation"
    );

    app.post_ok(
        &format!("/api/v2/collab/{collab_id}/update"),
        &p.alice,
        &json!({"role": "viewer"}),
    )
    .await;
    // An invited user may leave.
    app.post_ok(&format!("/api/v2/collab/{collab_id}/delete"), &p.bob, &json!({}))
        .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{folder}/info"), &p.bob).await,
        404,
        "folder_not_found",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/collab/{collab_id}/info"), &p.alice).await,
        404,
        "collab_not_found",
    )
    .await;

    // Every change is in the audit log and, in order, in the event log.
    let events = app
        .sql_i64(
            "select count(*) from event_log where event_type in ('collab.invited', 'collab.updated', 'collab.removed')",
        )
        .await;
    assert_eq!(events, 1 + 3 + 1);
    let subject = app
        .sql_i64("select subject_id from event_log where event_type = 'collab.invited'")
        .await;
    assert_eq!(subject, collab_id, "the event names the collaboration it created");
    let audited = app
        .sql_i64("select count(*) from audit_event where action in (500, 501, 502)")
        .await;
    assert_eq!(audited, 5);
}

#[tokio::test]
async fn invitations_break_the_platforms_rules_with_its_codes() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let folder = id(&app.mkdir(&p.alice, 0, "共享").await);
    let body =
        |who: i64, role: &str| json!({"folder_id": folder, "accessible_by": {"type": "user", "id": who, "role": role}});

    assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &body(p.bob_id, "boss"))
            .await,
        400,
        "collab_role_invalid",
    )
    .await;
    assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &body(p.bob_id, "reset"))
            .await,
        400,
        "collab_role_invalid",
    )
    .await;
    assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &body(p.alice_id, "viewer"))
            .await,
        400,
        "cannot_invite_item_owner",
    )
    .await;
    // Another enterprise's user is answered as one that does not exist.
    let other = app.other_tenant("Globex", "boss@globex.test").await;
    assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &body(other.admin_user_id, "viewer"))
            .await,
        404,
        "user_not_found",
    )
    .await;
    assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &body(999_999, "viewer"))
            .await,
        404,
        "user_not_found",
    )
    .await;
    let long = json!({
        "folder_id": folder,
        "accessible_by": {"type": "user", "id": p.bob_id, "role": "viewer"},
        "invitation_message": "长".repeat(141),
    });
    let error = assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &long).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(error["errors"][0]["field"], "invitation_message");
    let error = assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &json!({"folder_id": folder}))
            .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(error["errors"][0]["field"], "accessible_by");

    app.post_ok("/api/v2/collab/invite", &p.alice, &body(p.bob_id, "viewer"))
        .await;
    assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &body(p.bob_id, "editor"))
            .await,
        400,
        "collab_user_has_been_invited",
    )
    .await;
    // Not invited: the folder does not exist for carol.
    assert_api_error(
        app.post("/api/v2/collab/invite", &p.carol, &body(p.bob_id, "viewer"))
            .await,
        404,
        "folder_not_found",
    )
    .await;
    assert_api_error(
        app.get("/api/v2/collab/424242/info", &p.alice).await,
        404,
        "collab_not_found",
    )
    .await;

    app.post_ok(&format!("/api/v2/folder/{folder}/delete"), &p.alice, &json!({}))
        .await;
    assert_api_error(
        app.post("/api/v2/collab/invite", &p.alice, &body(p.carol_id, "viewer"))
            .await,
        400,
        "collab_related_folder_deleted",
    )
    .await;
    let listed = app.get_ok("/api/v2/folder/collab_folders", &p.bob).await;
    assert_eq!(listed["total_count"], 0, "a trashed folder is shared no more");
    app.post_ok(
        &format!("/api/v2/folder/{folder}/delete_from_trash"),
        &p.alice,
        &json!({}),
    )
    .await;
    assert_eq!(
        app.sql_i64("select count(*) from collab").await,
        0,
        "invitations go with the folder"
    );
    assert_eq!(
        app.sql_i64(
            "select count(*) from event_log where event_type = 'collab.removed' \
             and payload like '%folder_purged%' and operator_id is not null"
        )
        .await,
        app.sql_i64("select count(*) from event_log where event_type = 'collab.invited'")
            .await,
        "and the event log says so, credited to who purged it"
    );
}

#[tokio::test]
async fn groups_and_departments_reach_their_members_once_accepted() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let group = id(&app
        .post_ok(
            "/api/v2/admin/group/create",
            &admin,
            &json!({"name": "评审组", "admin_user_id": p.carol_id, "collab_auto_accepted": false}),
        )
        .await);
    for member in [p.bob_id, p.carol_id] {
        app.post_ok(
            &format!("/api/v2/admin/group/{group}/add_user"),
            &admin,
            &json!({"user_id": member}),
        )
        .await;
    }
    let sales = id(&app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "销售", "parent_id": 0, "collab_auto_accepted": true}),
        )
        .await);
    let east = id(&app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "华东", "parent_id": sales}),
        )
        .await);
    app.post_ok(
        &format!("/api/v2/admin/department/{east}/add_user"),
        &admin,
        &json!({"user_id": p.carol_id}),
    )
    .await;

    let docs = id(&app.mkdir(&p.alice, 0, "资料").await);
    let file = id(&app.upload(&p.alice, docs, "x.txt", b"x").await);
    let batch = app
        .post_ok(
            "/api/v2/collab/invite_batch",
            &p.alice,
            &json!({"folder_id": docs, "accessible_by": [
                {"type": "group_list", "ids": [group], "role": "viewer"},
                {"type": "department_list", "ids": [sales], "role": "previewer"},
            ], "invitation_message": "请查收"}),
        )
        .await;
    let created = batch["collabs"].as_array().unwrap();
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["accepted"], false, "the group waits for its administrator");
    assert_eq!(created[1]["accepted"], true, "the department accepts at once");

    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.bob).await,
        404,
        "file_not_found",
    )
    .await;
    // A member of a department below the invited one is reached.
    let seen = app.get_ok(&format!("/api/v2/file/{file}/info"), &p.carol).await;
    assert!(
        !seen["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("item_download"))
    );

    let group_collab = id(&created[0]);
    assert_api_error(
        app.post(&format!("/api/v2/collab/{group_collab}/accept"), &p.bob, &json!({}))
            .await,
        404,
        "collab_not_found",
    )
    .await;
    let accepted = app
        .post_ok(&format!("/api/v2/collab/{group_collab}/accept"), &p.carol, &json!({}))
        .await;
    assert_eq!(accepted["accepted"], true);
    assert_eq!(app.download(&p.bob, file).await, b"x");
    // Carol is in both: the group's viewer grant adds download to her department's previewer.
    let both = app.get_ok(&format!("/api/v2/folder/{docs}/collabs"), &p.carol).await;
    assert_eq!(both["final_role"], "viewer");
    assert_eq!(app.download(&p.carol, file).await, b"x");

    // Leaving the group takes the access with it.
    app.post_ok(
        &format!("/api/v2/admin/group/{group}/remove_user"),
        &admin,
        &json!({"user_id": p.bob_id}),
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.bob).await,
        404,
        "file_not_found",
    )
    .await;
    // Deleting the group ends its invitation, and the event log records it.
    app.post_ok(&format!("/api/v2/admin/group/{group}/delete"), &admin, &json!({}))
        .await;
    assert_api_error(
        app.get(&format!("/api/v2/collab/{group_collab}/info"), &p.alice).await,
        404,
        "collab_not_found",
    )
    .await;
    assert_eq!(
        app.sql_i64(&format!(
            "select count(*) from event_log where event_type = 'collab.removed' and subject_id = {group_collab} \
             and payload like '%group_deleted%'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn grants_on_nested_folders_add_up_and_search_finds_what_is_shared() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let outer = id(&app.mkdir(&p.alice, 0, "市场").await);
    let inner = id(&app.mkdir(&p.alice, outer, "活动").await);
    let top_file = id(&app.upload(&p.alice, outer, "预算表.txt", b"budget").await);
    let inner_file = id(&app.upload(&p.alice, inner, "预算明细.txt", b"detail").await);
    app.upload(&p.alice, 0, "预算草稿.txt", b"draft").await;
    invite(&app, &p.alice, outer, "user", p.bob_id, "previewer").await;
    invite(&app, &p.alice, inner, "user", p.bob_id, "editor").await;

    app.post_ok(
        &format!("/api/v2/file/{inner_file}/update"),
        &p.bob,
        &json!({"name": "明细.txt"}),
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/file/{top_file}/update"),
            &p.bob,
            &json!({"name": "x.txt"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    let info = app.get_ok(&format!("/api/v2/folder/{inner}/info"), &p.bob).await;
    let path: Vec<i64> = info["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(path, [0, outer], "the view starts at the outermost shared folder");

    let found = app
        .get_ok(
            "/api/v2/item/search?query_words=预算&department_id=-1&fields=permission",
            &p.bob,
        )
        .await;
    let names: Vec<&str> = found["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["预算表.txt"], "alice's own draft is not shared");
    assert!(
        !found["files"][0]["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("item_download"))
    );
    let everywhere = app.get_ok("/api/v2/item/search?query_words=活动", &p.bob).await;
    assert_eq!(
        everywhere["folders"][0]["id"], inner,
        "a shared folder is found by its own name"
    );
    let personal = app
        .get_ok("/api/v2/item/search?query_words=预算&department_id=0", &p.bob)
        .await;
    assert_eq!(personal["total_count"], 0);
    let carol = app.get_ok("/api/v2/item/search?query_words=预算", &p.carol).await;
    assert!(carol["files"].as_array().unwrap().is_empty());
}

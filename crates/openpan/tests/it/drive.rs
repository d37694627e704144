//! The folder tree: creating, listing, renaming, moving, copying, the trash, and isolation.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_new_folder_appears_in_its_parent_with_its_path() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let reports = app.mkdir(&token, 0, "报表").await;
    assert_eq!(reports["type"], "folder");
    assert_eq!(reports["name"], "报表");
    assert_eq!(reports["item_count"], 0);
    assert_eq!(reports["description"], "");
    assert_eq!(reports["folder_type"], "normal");
    assert_eq!(
        reports["parent"],
        json!({"type": "folder", "id": 0, "name": "全部文件"})
    );
    assert_eq!(
        reports["path"],
        json!([{"type": "folder", "id": 0, "name": "全部文件"}])
    );
    assert_eq!(reports["owned_by"]["id"], app.tenant.admin_user_id);
    assert_eq!(reports["owned_by"]["enterprise_id"], app.tenant.enterprise_id);
    assert_eq!(reports["space"]["type"], "personal");
    let id = reports["id"].as_i64().unwrap();
    assert!(id > 0);

    let q3 = app.mkdir(&token, id, "2026 Q3").await;
    assert_eq!(q3["path"][1], json!({"type": "folder", "id": id, "name": "报表"}));
    assert_eq!(q3["parent"]["id"], id);

    let info = app.get_ok(&format!("/api/v2/folder/{id}/info"), &token).await;
    assert_eq!(info["item_count"], 1);
    let root = app.get_ok("/api/v2/folder/0/info", &token).await;
    assert_eq!(root["id"], 0);
    assert_eq!(root["name"], "全部文件");
    assert_eq!(root["item_count"], 1);
    assert_eq!(root["path"], json!([]));

    let children = app.get_ok(&format!("/api/v2/folder/{id}/children"), &token).await;
    assert_eq!(names(&children["folders"]), ["2026 Q3"]);
    assert_eq!(children["files"], json!([]));
    assert_eq!(children["total_count"], 1);
    assert_eq!(children["page_count"], 1);
}

#[tokio::test]
async fn create_by_path_makes_the_missing_folders_and_reuses_existing_ones() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let meetings = app.mkdir(&token, 0, "会议测试").await;
    let last = app
        .post_ok(
            "/api/v2/folder/create_by_path",
            &token,
            &json!({"target_folder_path": "会议测试/9.25/研发"}),
        )
        .await;
    assert_eq!(last["name"], "研发");
    let path: Vec<&str> = last["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["全部文件", "会议测试", "9.25"]);
    assert_eq!(last["path"][1]["id"], meetings["id"]);
    let again = app
        .post_ok(
            "/api/v2/folder/create_by_path",
            &token,
            &json!({"target_folder_path": "/会议测试/9.25/研发/"}),
        )
        .await;
    assert_eq!(again["id"], last["id"], "existing folders are reused");
    assert_api_error(
        app.post(
            "/api/v2/folder/create_by_path",
            &token,
            &json!({"target_folder_path": "a/b."}),
        )
        .await,
        400,
        "item_name_invalid",
    )
    .await;
    // A path is refused whole, before any of it is created.
    let body = assert_api_error(
        app.post(
            "/api/v2/folder/create_by_path",
            &token,
            &json!({"target_folder_path": "深/".repeat(101)}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "target_folder_path");
    let root = app.get_ok("/api/v2/folder/0/children", &token).await;
    assert!(
        root["folders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|folder| folder["name"] != "深"),
        "{root}"
    );
}

#[tokio::test]
async fn the_platform_documents_create_example_with_its_missing_comma_works() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let response = app
        .client
        .post(format!("{}/api/v2/folder/create", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\n\"name\": \"new folders\"\n\"parent_id\": 0\n}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let folder: Value = response.json().await.unwrap();
    assert_eq!(folder["name"], "new folders");
}

#[tokio::test]
async fn bad_names_are_refused_with_the_documented_codes() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    for name in [
        "a/b", "a\\b", "a:b", "a*b", "a?b", "a\"b", "a<b", "a>b", "a|b", "a\u{1}b", ".", "..", " a", "a ",
    ] {
        assert_api_error(
            app.post("/api/v2/folder/create", &token, &json!({"name": name, "parent_id": 0}))
                .await,
            400,
            "item_name_invalid",
        )
        .await;
    }
    for name in [String::new(), "名".repeat(256)] {
        assert_api_error(
            app.post("/api/v2/folder/create", &token, &json!({"name": name, "parent_id": 0}))
                .await,
            400,
            "item_name_size_incorrect",
        )
        .await;
    }
    // 255 Chinese characters are 765 bytes, and still a valid name.
    app.mkdir(&token, 0, &"名".repeat(255)).await;
    let body = assert_api_error(
        app.post("/api/v2/folder/create", &token, &json!({"name": "x"})).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "parent_id");
    let body = assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "x", "parent_id": "abc"}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "parent_id");
}

#[tokio::test]
async fn names_clash_case_insensitively_and_say_what_holds_the_name() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    app.mkdir(&token, 0, "Docs").await;
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "docs", "parent_id": 0}),
        )
        .await,
        409,
        "folder_name_conflict",
    )
    .await;
    app.upload(&token, 0, "notes.txt", b"hello").await;
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "NOTES.txt", "parent_id": 0}),
        )
        .await,
        409,
        "file_name_conflict",
    )
    .await;
    let other = app.mkdir(&token, 0, "Other").await;
    let id = other["id"].as_i64().unwrap();
    assert_api_error(
        app.post(&format!("/api/v2/folder/{id}/update"), &token, &json!({"name": "DOCS"}))
            .await,
        409,
        "folder_name_conflict",
    )
    .await;
}

#[tokio::test]
async fn children_are_paged_folders_first_in_the_asked_order() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let parent = app.mkdir(&token, 0, "list").await["id"].as_i64().unwrap();
    for name in ["b", "a", "c"] {
        app.mkdir(&token, parent, name).await;
    }
    for (name, bytes) in [("y.txt", &b"12345"[..]), ("x.txt", b"1"), ("z.txt", b"123")] {
        app.upload(&token, parent, name, bytes).await;
    }
    let by_name = |page: i64, capacity: i64, direction: &str, kind: &str| {
        format!(
            "/api/v2/folder/{parent}/children?sort_by=name&sort_direction={direction}&page_id={page}\
             &page_capacity={capacity}&type={kind}"
        )
    };
    let page = app.get_ok(&by_name(0, 2, "asc", "all"), &token).await;
    assert_eq!(names(&page["folders"]), ["a", "b"]);
    assert_eq!(names(&page["files"]), Vec::<String>::new());
    assert_eq!(page["total_count"], 6);
    assert_eq!(page["page_count"], 3);
    let page = app.get_ok(&by_name(1, 2, "asc", "item"), &token).await;
    assert_eq!(names(&page["folders"]), ["c"]);
    assert_eq!(names(&page["files"]), ["x.txt"]);
    let page = app.get_ok(&by_name(2, 2, "asc", "all"), &token).await;
    assert_eq!(names(&page["files"]), ["y.txt", "z.txt"]);
    let page = app.get_ok(&by_name(0, 10, "desc", "file"), &token).await;
    assert_eq!(names(&page["files"]), ["z.txt", "y.txt", "x.txt"]);
    assert_eq!(page["total_count"], 3);
    let page = app.get_ok(&by_name(0, 10, "asc", "folder"), &token).await;
    assert_eq!(page["total_count"], 3);
    let by_size = app
        .get_ok(
            &format!("/api/v2/folder/{parent}/children?type=file&sort_by=size&sort_direction=asc"),
            &token,
        )
        .await;
    assert_eq!(names(&by_size["files"]), ["x.txt", "z.txt", "y.txt"]);
    let personal = app.get_ok("/api/v2/folder/personal_items?type=folder", &token).await;
    assert_eq!(names(&personal["folders"]), ["list"]);

    for (query, field) in [
        ("type=files", "type"),
        ("sort_by=owner", "sort_by"),
        ("sort_direction=up", "sort_direction"),
        ("page_capacity=0", "page_capacity"),
        ("page_id=-1", "page_id"),
    ] {
        let body = assert_api_error(
            app.get(&format!("/api/v2/folder/{parent}/children?{query}"), &token)
                .await,
            400,
            "request_data_invalid",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn moving_a_folder_carries_its_subtree_counts_and_sizes() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let a = app.mkdir(&token, 0, "a").await["id"].as_i64().unwrap();
    let b = app.mkdir(&token, a, "b").await["id"].as_i64().unwrap();
    let c = app.mkdir(&token, b, "c").await["id"].as_i64().unwrap();
    let elsewhere = app.mkdir(&token, 0, "elsewhere").await["id"].as_i64().unwrap();
    app.upload(&token, c, "data.bin", &[7u8; 1000]).await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/folder/{a}/info"), &token).await["size"],
        1000
    );

    assert_api_error(
        app.post(
            &format!("/api/v2/folder/{a}/move"),
            &token,
            &json!({"target_folder_id": a}),
        )
        .await,
        400,
        "move_to_itself",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/folder/{a}/move"),
            &token,
            &json!({"target_folder_id": c}),
        )
        .await,
        400,
        "move_to_subfolder",
    )
    .await;
    // The Java SDK sends the unused batch field as null.
    app.post_ok(
        &format!("/api/v2/folder/{b}/move"),
        &token,
        &json!({"target_folder_id": elsewhere, "folder_ids": null}),
    )
    .await;
    let moved_c = app.get_ok(&format!("/api/v2/folder/{c}/info"), &token).await;
    let path: Vec<&str> = moved_c["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["全部文件", "elsewhere", "b"]);
    let a_info = app.get_ok(&format!("/api/v2/folder/{a}/info"), &token).await;
    assert_eq!(
        (a_info["size"].as_i64(), a_info["item_count"].as_i64()),
        (Some(0), Some(0))
    );
    let elsewhere_info = app.get_ok(&format!("/api/v2/folder/{elsewhere}/info"), &token).await;
    assert_eq!(elsewhere_info["size"], 1000);
    assert_eq!(elsewhere_info["item_count"], 1);
    assert_eq!(app.get_ok("/api/v2/folder/0/info", &token).await["size"], 1000);
}

#[tokio::test]
async fn copying_a_folder_copies_the_subtree_and_renames_on_a_clash() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let src = app.mkdir(&token, 0, "src").await["id"].as_i64().unwrap();
    let inner = app.mkdir(&token, src, "inner").await["id"].as_i64().unwrap();
    app.upload(&token, inner, "a.txt", b"alpha").await;
    app.upload(&token, src, "b.txt", b"beta").await;

    let copy = app
        .post_ok(
            &format!("/api/v2/folder/{src}/copy"),
            &token,
            &json!({"target_folder_id": 0}),
        )
        .await;
    assert_eq!(copy["name"], "src (1)");
    assert_eq!(copy["size"], 9);
    assert_eq!(copy["item_count"], 2);
    let copy_id = copy["id"].as_i64().unwrap();
    assert_ne!(copy_id, src);
    let children = app
        .get_ok(
            &format!("/api/v2/folder/{copy_id}/children?sort_by=name&sort_direction=asc"),
            &token,
        )
        .await;
    assert_eq!(names(&children["folders"]), ["inner"]);
    assert_eq!(names(&children["files"]), ["b.txt"]);
    let inner_copy = children["folders"][0]["id"].as_i64().unwrap();
    let files = app
        .get_ok(&format!("/api/v2/folder/{inner_copy}/children"), &token)
        .await;
    let copied_file = files["files"][0]["id"].as_i64().unwrap();
    assert_eq!(app.download(&token, copied_file).await, b"alpha");

    assert_api_error(
        app.post(
            &format!("/api/v2/folder/{src}/copy"),
            &token,
            &json!({"target_folder_id": src}),
        )
        .await,
        400,
        "copy_to_itself",
    )
    .await;
    assert_api_error(
        app.post(
            &format!("/api/v2/folder/{src}/copy"),
            &token,
            &json!({"target_folder_id": inner}),
        )
        .await,
        400,
        "copy_to_subfolder",
    )
    .await;
    // Copies are independent: renaming the original leaves the copy alone.
    app.post_ok(
        &format!("/api/v2/folder/{src}/update"),
        &token,
        &json!({"name": "renamed"}),
    )
    .await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/folder/{copy_id}/info"), &token).await["name"],
        "src (1)"
    );
}

#[tokio::test]
async fn the_trash_holds_what_was_deleted_until_restored_or_purged() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "project").await["id"].as_i64().unwrap();
    let file = app.upload(&token, folder, "plan.md", b"# plan").await["id"]
        .as_i64()
        .unwrap();

    app.post_ok(&format!("/api/v2/folder/{folder}/delete"), &token, &Value::Null)
        .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{folder}/info"), &token).await,
        404,
        "folder_deleted",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &token).await,
        404,
        "file_deleted",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "x", "parent_id": folder}),
        )
        .await,
        404,
        "folder_deleted",
    )
    .await;
    let root = app.get_ok("/api/v2/folder/0/info", &token).await;
    assert_eq!((root["item_count"].as_i64(), root["size"].as_i64()), (Some(0), Some(0)));

    let trash = app.get_ok("/api/v2/trash/list", &token).await;
    assert_eq!(
        names(&trash["folders"]),
        ["project"],
        "only what the user trashed is listed"
    );
    assert_eq!(trash["files"], json!([]));
    assert_eq!(trash["folders"][0]["in_trash"], true);
    assert_eq!(trash["folders"][0]["deleted_by"]["id"], app.tenant.admin_user_id);
    assert!(trash["folders"][0]["deleted_at"].as_i64().unwrap() > 0);
    let info = app.get_ok(&format!("/api/v2/folder/{folder}/trash"), &token).await;
    assert_eq!(info["item_count"], 1);

    // A file taken along by its folder comes back with the folder, not on its own.
    assert_api_error(
        app.post(&format!("/api/v2/file/{file}/restore_from_trash"), &token, &Value::Null)
            .await,
        400,
        "folder_parent_deleted",
    )
    .await;
    app.post_ok(
        &format!("/api/v2/folder/{folder}/restore_from_trash"),
        &token,
        &Value::Null,
    )
    .await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/file/{file}/info"), &token).await["name"],
        "plan.md"
    );
    assert_eq!(app.get_ok("/api/v2/folder/0/info", &token).await["size"], 6);
    assert_api_error(
        app.post(
            &format!("/api/v2/folder/{folder}/restore_from_trash"),
            &token,
            &Value::Null,
        )
        .await,
        404,
        "folder_in_trash_not_found",
    )
    .await;

    // Restoring into a name taken meanwhile renames the restored item.
    app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &Value::Null)
        .await;
    app.upload(&token, folder, "plan.md", b"new plan").await;
    app.post_ok(&format!("/api/v2/file/{file}/restore_from_trash"), &token, &Value::Null)
        .await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/file/{file}/info"), &token).await["name"],
        "plan (1).md"
    );

    app.post_ok(&format!("/api/v2/folder/{folder}/delete"), &token, &Value::Null)
        .await;
    app.post_ok(
        &format!("/api/v2/folder/{folder}/delete_from_trash"),
        &token,
        &Value::Null,
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{folder}/info"), &token).await,
        404,
        "folder_not_found",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &token).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        app.post("/api/v2/trash/clear", &token, &json!({"type": "all"})).await,
        400,
        "empty_trash",
    )
    .await;
}

#[tokio::test]
async fn trash_clear_and_restore_all_take_the_type_from_the_body_or_the_query() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "f").await["id"].as_i64().unwrap();
    let file = app.upload(&token, 0, "g.txt", b"g").await["id"].as_i64().unwrap();
    app.post_ok(&format!("/api/v2/folder/{folder}/delete"), &token, &Value::Null)
        .await;
    app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &Value::Null)
        .await;
    // The Python SDK sends the type in the query and no body.
    let response = app
        .client
        .post(format!("{}/api/v2/trash/restore_all?type=file", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.get_ok(&format!("/api/v2/file/{file}/info"), &token).await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{folder}/info"), &token).await,
        404,
        "folder_deleted",
    )
    .await;
    app.post_ok("/api/v2/trash/clear", &token, &json!({"type": "folder"}))
        .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{folder}/trash"), &token).await,
        404,
        "folder_not_found",
    )
    .await;
    assert_eq!(app.get_ok("/api/v2/trash/list", &token).await["total_count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emptying_and_restoring_the_trash_at_once_never_fails_on_the_server() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    for round in 0..8 {
        // A file trashed before its folder: both are roots of the trash, and emptying the
        // folder takes the file along while the other request may be about to restore it.
        let folder = app.mkdir(&token, 0, &format!("f{round}")).await["id"].as_i64().unwrap();
        let inner = app.upload(&token, folder, "inner.txt", b"x").await["id"]
            .as_i64()
            .unwrap();
        app.post_ok(&format!("/api/v2/file/{inner}/delete"), &token, &Value::Null)
            .await;
        app.post_ok(&format!("/api/v2/folder/{folder}/delete"), &token, &Value::Null)
            .await;
        for n in 0..6 {
            let file = app.upload(&token, 0, &format!("{round}-{n}.txt"), b"x").await["id"]
                .as_i64()
                .unwrap();
            app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &Value::Null)
                .await;
        }
        // Each lists the trash, then acts on what it listed: the other may have taken an item
        // out of the trash in between.
        let everything = json!({});
        let (restored, cleared) = tokio::join!(
            app.post("/api/v2/trash/restore_all", &token, &everything),
            app.post("/api/v2/trash/clear", &token, &everything),
        );
        for response in [restored, cleared] {
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            // Success, or `empty_trash` when the other got there first.
            assert!(
                status == 200 || body["errors"][0]["code"] == "empty_trash",
                "{status} {body}"
            );
        }
        let listed = app.get_ok("/api/v2/trash/list", &token).await;
        assert_eq!(listed["total_count"], 0, "round {round}: {listed}");
    }
}

#[tokio::test]
async fn batch_forms_act_on_every_id_or_on_none() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let target = app.mkdir(&token, 0, "target").await["id"].as_i64().unwrap();
    let one = app.upload(&token, 0, "1.txt", b"1").await["id"].as_i64().unwrap();
    let two = app.upload(&token, 0, "2.txt", b"2").await["id"].as_i64().unwrap();
    assert_api_error(
        app.post(
            "/api/v2/file/delete_batch",
            &token,
            &json!({"file_ids": [one, 999_999_999]}),
        )
        .await,
        404,
        "file_not_found",
    )
    .await;
    app.get_ok(&format!("/api/v2/file/{one}/info"), &token).await;
    app.post_ok(
        "/api/v2/file/move_batch",
        &token,
        &json!({"file_ids": [one, two.to_string()], "target_folder_id": target}),
    )
    .await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/folder/{target}/info"), &token).await["item_count"],
        2
    );
    app.post_ok("/api/v2/file/delete_batch", &token, &json!({"file_ids": [one, two]}))
        .await;
    app.post_ok("/api/v2/file/restore_from_trash", &token, &json!({"file_ids": [one]}))
        .await;
    app.post_ok(
        "/api/v2/file/delete_batch_from_trash",
        &token,
        &json!({"file_ids": [two]}),
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{two}/trash"), &token).await,
        404,
        "file_not_found",
    )
    .await;
    app.post_ok("/api/v2/folder/delete_batch", &token, &json!({"folder_ids": [target]}))
        .await;
    app.post_ok(
        "/api/v2/folder/restore_batch_from_trash",
        &token,
        &json!({"restore_all": true}),
    )
    .await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/file/{one}/info"), &token).await["parent"]["id"],
        target
    );
}

#[tokio::test]
async fn items_of_other_users_and_enterprises_answer_like_missing_ones() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "private").await["id"].as_i64().unwrap();
    let file = app.upload(&token, folder, "salary.xlsx", b"secret").await["id"]
        .as_i64()
        .unwrap();

    let colleague = app.create_user(&app.tenant, "Colleague", "colleague@acme.test").await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let outsider = app.user_token(&other, other.admin_user_id).await;
    for intruder in [app.user_token(&app.tenant, colleague).await, outsider] {
        assert_api_error(
            app.get(&format!("/api/v2/folder/{folder}/info"), &intruder).await,
            404,
            "folder_not_found",
        )
        .await;
        assert_api_error(
            app.get(&format!("/api/v2/file/{file}/info"), &intruder).await,
            404,
            "file_not_found",
        )
        .await;
        assert_api_error(
            app.get(&format!("/api/v2/file/{file}/download"), &intruder).await,
            404,
            "file_not_found",
        )
        .await;
        assert_api_error(
            app.post(&format!("/api/v2/file/{file}/delete"), &intruder, &Value::Null)
                .await,
            404,
            "file_not_found",
        )
        .await;
        assert_api_error(
            app.post(
                "/api/v2/folder/create",
                &intruder,
                &json!({"name": "x", "parent_id": folder}),
            )
            .await,
            404,
            "folder_not_found",
        )
        .await;
        assert_api_error(
            app.post(
                &format!("/api/v2/file/{file}/copy"),
                &intruder,
                &json!({"target_folder_id": 0}),
            )
            .await,
            404,
            "file_not_found",
        )
        .await;
        // Their own root is their own, and empty.
        assert_eq!(app.get_ok("/api/v2/folder/0/info", &intruder).await["item_count"], 0);
    }
    // A folder id on the file paths (and the other way round) is not found either.
    assert_api_error(
        app.get(&format!("/api/v2/file/{folder}/info"), &token).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{file}/info"), &token).await,
        404,
        "folder_not_found",
    )
    .await;
    // Enterprise tokens cannot reach the drive's user paths.
    let admin = app.enterprise_token(&app.tenant).await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{folder}/info"), &admin).await,
        403,
        "permission_denied",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_department_answers_department_not_found_and_department_0_is_the_personal_space() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "x", "parent_id": 0, "department_id": 42}),
        )
        .await,
        404,
        "department_not_found",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "x", "parent_id": 0, "departmentId": 42}),
        )
        .await,
        404,
        "department_not_found",
    )
    .await;
    app.post_ok(
        "/api/v2/folder/create",
        &token,
        &json!({"name": "x", "parent_id": 0, "department_id": 0}),
    )
    .await;
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_creates_nothing_new() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let create = |key: &'static str, name: &'static str| {
        app.client
            .post(format!("{}/api/v2/folder/create", app.url))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&json!({"name": name, "parent_id": 0}))
            .send()
    };
    let first = create("retry-1", "once").await.unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let again = create("retry-1", "once").await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"], "the retry answers the same folder");
    assert_eq!(app.get_ok("/api/v2/folder/0/info", &token).await["item_count"], 1);

    let reused = assert_api_error(create("retry-1", "other").await.unwrap(), 400, "request_data_invalid").await;
    assert_eq!(reused["errors"][0]["field"], "Idempotency-Key");
    // Without a key, the same request is simply a second create and clashes.
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "once", "parent_id": 0}),
        )
        .await,
        409,
        "folder_name_conflict",
    )
    .await;
    // A failed request is not recorded: its retry runs again.
    assert_api_error(create("retry-2", "a/b").await.unwrap(), 400, "item_name_invalid").await;
    assert_eq!(create("retry-2", "a/b").await.unwrap().status(), 400);

    // An upload URL request retried with its key gets the same URL.
    let presign = || {
        app.client
            .post(format!("{}/api/v2/file/upload_v2", app.url))
            .bearer_auth(&token)
            .header("idempotency-key", "upload-7")
            .json(&json!({"parent_id": 0, "name": "r.txt", "upload_type": "api"}))
            .send()
    };
    let one: Value = presign().await.unwrap().json().await.unwrap();
    let two: Value = presign().await.unwrap().json().await.unwrap();
    assert_eq!(one["presign_url"], two["presign_url"]);
    // The recorded answer does not keep the URL's secret readable in the database.
    let url = one["presign_url"].as_str().unwrap();
    let secret = url.trim_end_matches('/').rsplit('/').next().unwrap();
    let readable = if app.config.database_url().starts_with("sqlite:") {
        format!("select count(*) from idempotency_key where instr(cast(response as text), '{secret}') > 0")
    } else {
        format!("select count(*) from idempotency_key where position(convert_to('{secret}', 'UTF8') in response) > 0")
    };
    assert_eq!(app.sql_i64(&readable).await, 0, "{url}");
    assert!(
        app.sql_i64("select count(*) from idempotency_key where response is not null")
            .await
            >= 1
    );
    // Keys are per user.
    let colleague = app.create_user(&app.tenant, "C", "c@acme.test").await;
    let other = app.user_token(&app.tenant, colleague).await;
    let theirs = app
        .client
        .post(format!("{}/api/v2/folder/create", app.url))
        .bearer_auth(&other)
        .header("idempotency-key", "retry-1")
        .json(&json!({"name": "once", "parent_id": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 200);
    assert_ne!(theirs.json::<Value>().await.unwrap()["id"], first["id"]);
}

#[tokio::test]
async fn walking_a_folder_by_marker_visits_every_item_once_in_order() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let parent = app.mkdir(&token, 0, "walk").await["id"].as_i64().unwrap();
    for i in 0..7 {
        app.mkdir(&token, parent, &format!("dir-{}", (i * 5) % 7)).await;
    }
    for i in 0..9 {
        // Sizes repeat, so the id must break ties.
        app.upload(&token, parent, &format!("file-{i}.bin"), &vec![0u8; i % 3])
            .await;
    }
    for (sort_by, direction) in [("name", "asc"), ("name", "desc"), ("size", "asc"), ("date", "desc")] {
        let all = app
            .get_ok(
                &format!(
                    "/api/v2/folder/{parent}/children?page_capacity=100&sort_by={sort_by}&sort_direction={direction}"
                ),
                &token,
            )
            .await;
        let expected: Vec<String> = names(&all["folders"]).into_iter().chain(names(&all["files"])).collect();
        assert_eq!(expected.len(), 16);
        assert!(all.get("next_marker").is_none(), "one page holds everything");
        let mut walked = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut path = format!(
                "/api/v2/folder/{parent}/children?page_capacity=3&sort_by={sort_by}&sort_direction={direction}"
            );
            if let Some(marker) = &marker {
                path.push_str(&format!("&marker={marker}"));
            }
            let page = app.get_ok(&path, &token).await;
            walked.extend(names(&page["folders"]));
            walked.extend(names(&page["files"]));
            match page["next_marker"].as_str() {
                Some(next) => marker = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(walked, expected, "{sort_by} {direction}");
    }
    let page = app
        .get_ok(
            &format!("/api/v2/folder/{parent}/children?page_capacity=3&sort_by=name"),
            &token,
        )
        .await;
    let marker = page["next_marker"].as_str().unwrap();
    let error = assert_api_error(
        app.get(
            &format!("/api/v2/folder/{parent}/children?sort_by=size&marker={marker}"),
            &token,
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(error["errors"][0]["field"], "marker");
}

#[tokio::test]
async fn purging_an_item_taken_along_by_a_trashed_folder_keeps_the_folder_counts_true() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "f").await["id"].as_i64().unwrap();
    let inner = app.mkdir(&token, folder, "inner").await["id"].as_i64().unwrap();
    let a = app.upload(&token, inner, "a.bin", &[1u8; 10]).await["id"]
        .as_i64()
        .unwrap();
    app.upload(&token, folder, "b.bin", &[2u8; 5]).await;
    app.post_ok(&format!("/api/v2/folder/{folder}/delete"), &token, &Value::Null)
        .await;
    app.post_ok(&format!("/api/v2/file/{a}/delete_from_trash"), &token, &Value::Null)
        .await;
    app.post_ok(
        &format!("/api/v2/folder/{folder}/restore_from_trash"),
        &token,
        &Value::Null,
    )
    .await;
    let f = app.get_ok(&format!("/api/v2/folder/{folder}/info"), &token).await;
    assert_eq!((f["size"].as_i64(), f["item_count"].as_i64()), (Some(5), Some(2)));
    let i = app.get_ok(&format!("/api/v2/folder/{inner}/info"), &token).await;
    assert_eq!((i["size"].as_i64(), i["item_count"].as_i64()), (Some(0), Some(0)));
    assert_eq!(app.get_ok("/api/v2/folder/0/info", &token).await["size"], 5);
    assert_api_error(
        app.get(&format!("/api/v2/file/{a}/info"), &token).await,
        404,
        "file_not_found",
    )
    .await;
}

#[tokio::test]
async fn a_batch_naming_a_folder_and_a_folder_inside_it_does_all_it_asks() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let outer = app.mkdir(&token, 0, "outer").await["id"].as_i64().unwrap();
    let inner = app.mkdir(&token, outer, "inner").await["id"].as_i64().unwrap();
    let keep = app.mkdir(&token, 0, "keep").await["id"].as_i64().unwrap();
    let root_count = |page: Value| page["total_count"].as_i64().unwrap();

    // Outer first: inner goes along with it, and the batch still succeeds.
    let both = json!({"folder_ids": [outer, inner]});
    app.post_ok("/api/v2/folder/delete_batch", &token, &both).await;
    assert_eq!(root_count(app.get_ok("/api/v2/folder/0/children", &token).await), 1);
    app.post_ok("/api/v2/folder/restore_batch_from_trash", &token, &both)
        .await;
    let inside = app.get_ok(&format!("/api/v2/folder/{outer}/children"), &token).await;
    assert_eq!(inside["folders"][0]["id"], inner, "restored in place: {inside}");
    // Inner first this time, then both for good.
    let reversed = json!({"folder_ids": [inner, outer]});
    app.post_ok("/api/v2/folder/delete_batch", &token, &reversed).await;
    app.post_ok("/api/v2/folder/delete_batch_from_trash", &token, &both)
        .await;
    for id in [outer, inner] {
        assert_api_error(
            app.get(&format!("/api/v2/folder/{id}/trash"), &token).await,
            404,
            "folder_not_found",
        )
        .await;
    }
    assert_eq!(root_count(app.get_ok("/api/v2/folder/0/children", &token).await), 1);
    app.get_ok(&format!("/api/v2/folder/{keep}/info"), &token).await;
}

//! Comments on files: who may write, read and delete them, mentions, and the count on files.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

async fn invite(app: &TestApp, token: &str, folder: i64, user: i64, role: &str) {
    app.post_ok(
        "/api/v2/collab/invite",
        token,
        &json!({"folder_id": folder, "accessible_by": {"type": "user", "id": user, "role": role}}),
    )
    .await;
}

async fn comment(app: &TestApp, token: &str, file: i64, content: &str) -> reqwest::Response {
    app.post(
        "/api/v2/comment/create",
        token,
        &json!({"file_id": file, "content": content}),
    )
    .await
}

#[tokio::test]
async fn collaborators_comment_on_a_file_with_mentions_and_everyone_who_previews_reads_them() {
    let app = TestApp::spawn().await;
    let alice_id = app.create_user(&app.tenant, "Alice", "alice@acme.test").await;
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let carol_id = app.create_user(&app.tenant, "Carol", "carol@acme.test").await;
    let alice = app.user_token(&app.tenant, alice_id).await;
    let bob = app.user_token(&app.tenant, bob_id).await;
    let carol = app.user_token(&app.tenant, carol_id).await;
    let folder = id(&app.mkdir(&alice, 0, "方案").await);
    let file = id(&app.upload(&alice, folder, "风光.docx", b"draft").await);
    invite(&app, &alice, folder, bob_id, "previewer").await;

    let first = comment(
        &app,
        &bob,
        file,
        &format!("@[{carol_id}:Carol] 请看第二节 @[999999999:nobody]"),
    )
    .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["comment_id"], first["id"]);
    assert_eq!(first["file_id"], file);
    assert_eq!(first["item"], json!({"type": "file", "id": file, "name": "风光.docx"}));
    assert_eq!(first["user"]["id"], bob_id);
    assert_eq!(first["user"]["name"], "Bob");
    assert!(first["created_at"].as_i64().unwrap() >= app.now());
    // Only users of the enterprise become mentions; the rest is text.
    assert_eq!(
        app.sql_i64(&format!(
            "select count(*) from comment_mention where comment_id = {}",
            id(&first)
        ))
        .await,
        1
    );
    assert_eq!(
        app.sql_i64(&format!(
            "select user_id from comment_mention where comment_id = {}",
            id(&first)
        ))
        .await,
        carol_id
    );
    let second = app
        .post_ok(
            "/api/v2/comment/create",
            &alice,
            &json!({"file_id": file.to_string(), "content": "好的".repeat(500) + "!"}),
        )
        .await;

    let info = app.get_ok(&format!("/api/v2/file/{file}/info"), &alice).await;
    assert_eq!(info["comments_count"], 2);
    let children = app.get_ok(&format!("/api/v2/folder/{folder}/children"), &bob).await;
    assert_eq!(children["files"][0]["comments_count"], 2, "listings show the count too");

    let listed = app.get_ok(&format!("/api/v2/file/{file}/comments"), &bob).await;
    assert_eq!(listed["success"], true);
    assert_eq!(listed["total_count"], 2);
    let ids: Vec<i64> = listed["comments"].as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&first), id(&second)], "oldest first");
    assert_eq!(listed["comments"][1]["user"]["id"], alice_id);
    let paged = app
        .get_ok(
            &format!("/api/v2/file/{file}/comments?page_id=1&page_capacity=1"),
            &alice,
        )
        .await;
    assert_eq!(paged["comments"].as_array().unwrap().len(), 1);
    assert_eq!(paged["comments"][0]["id"], id(&second));
    assert_eq!(paged["page_count"], 2);

    let body = assert_api_error(
        comment(&app, &bob, file, &"字".repeat(1002)).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "content");
    let body = assert_api_error(comment(&app, &bob, file, "   ").await, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "content");
    let body = assert_api_error(
        app.post("/api/v2/comment/create", &bob, &json!({"content": "hi"}))
            .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "file_id");
    // Someone the file is not shared with finds nothing to comment on or read.
    assert_api_error(comment(&app, &carol, file, "hi").await, 404, "file_not_found").await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/comments"), &carol).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(comment(&app, &alice, folder, "hi").await, 404, "file_not_found").await;

    assert_eq!(
        app.sql_i64(&format!(
            "select count(*) from event_log where event_type = 'comment.created' and subject_id in ({}, {})",
            id(&first),
            id(&second)
        ))
        .await,
        2
    );
    assert_eq!(
        app.sql_i64("select count(*) from audit_event where action = 200").await,
        2
    );
}

#[tokio::test]
async fn a_comment_is_deleted_by_its_author_or_a_coowner_and_goes_with_its_file() {
    let app = TestApp::spawn().await;
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for (name, email) in [
        ("Alice", "alice@acme.test"),
        ("Bob", "bob@acme.test"),
        ("Carol", "carol@acme.test"),
        ("Dave", "dave@acme.test"),
    ] {
        let user = app.create_user(&app.tenant, name, email).await;
        ids.push(user);
        tokens.push(app.user_token(&app.tenant, user).await);
    }
    let (alice, bob, carol, dave) = (&tokens[0], &tokens[1], &tokens[2], &tokens[3]);
    let folder = id(&app.mkdir(alice, 0, "评审").await);
    let file = id(&app.upload(alice, folder, "plan.txt", b"plan").await);
    invite(&app, alice, folder, ids[1], "viewer").await;
    invite(&app, alice, folder, ids[2], "editor").await;
    invite(&app, alice, folder, ids[3], "coowner").await;
    let by_bob = id(&app
        .post_ok(
            "/api/v2/comment/create",
            bob,
            &json!({"file_id": file, "content": "one"}),
        )
        .await);
    let by_carol = id(&app
        .post_ok(
            "/api/v2/comment/create",
            carol,
            &json!({"file_id": file, "content": "two"}),
        )
        .await);
    let by_dave = id(&app
        .post_ok(
            "/api/v2/comment/create",
            dave,
            &json!({"file_id": file, "content": "three"}),
        )
        .await);

    let delete = |token: &str, comment: i64| {
        let token = token.to_owned();
        let app = &app;
        async move {
            app.post(&format!("/api/v2/comment/{comment}/delete"), &token, &json!({}))
                .await
        }
    };
    // An editor is neither the author nor a co-owner.
    assert_api_error(delete(carol, by_bob).await, 403, "permission_denied").await;
    assert_eq!(delete(bob, by_bob).await.status(), 200);
    assert_api_error(delete(bob, by_bob).await, 404, "comment_not_found").await;
    assert_eq!(delete(dave, by_carol).await.status(), 200, "a co-owner tidies up");
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let stranger = app.create_user(&other, "Eve", "eve@globex.test").await;
    let stranger = app.user_token(&other, stranger).await;
    assert_api_error(delete(&stranger, by_dave).await, 404, "comment_not_found").await;
    assert_eq!(
        app.get_ok(&format!("/api/v2/file/{file}/info"), alice).await["comments_count"],
        1
    );
    assert_eq!(
        app.sql_i64("select count(*) from audit_event where action = 201").await,
        2
    );
    assert_eq!(
        app.sql_i64(&format!(
            "select count(*) from event_log where event_type = 'comment.deleted' and subject_id = {by_bob}"
        ))
        .await,
        1
    );

    app.post_ok(&format!("/api/v2/file/{file}/delete"), alice, &json!({}))
        .await;
    // In the trash the comments wait for the file to come back or go for good.
    assert_api_error(delete(alice, by_dave).await, 404, "file_deleted").await;
    app.post_ok(&format!("/api/v2/file/{file}/delete_from_trash"), alice, &json!({}))
        .await;
    assert_eq!(
        app.sql_i64(&format!("select count(*) from comment where item_id = {file}"))
            .await,
        0
    );
    assert_eq!(
        app.sql_i64(&format!(
            "select count(*) from event_log where event_type = 'comment.deleted' and subject_id = {by_dave} \
             and payload like '%file_purged%' and operator_id = {}",
            ids[0]
        ))
        .await,
        1
    );
}

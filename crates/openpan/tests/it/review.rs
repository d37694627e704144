//! Reviews: files put before reviewers, who may preview them while the review is open, and
//! the review's discussion.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error, day_after};

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

fn user_ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(id).collect()
}

struct People {
    alice: String,
    bob: String,
    carol: String,
    alice_id: i64,
    bob_id: i64,
    carol_id: i64,
}

async fn people(app: &TestApp) -> People {
    let alice_id = app.create_user(&app.tenant, "Alice", "alice@acme.test").await;
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let carol_id = app.create_user(&app.tenant, "Carol", "carol@acme.test").await;
    People {
        alice: app.user_token(&app.tenant, alice_id).await,
        bob: app.user_token(&app.tenant, bob_id).await,
        carol: app.user_token(&app.tenant, carol_id).await,
        alice_id,
        bob_id,
        carol_id,
    }
}

#[tokio::test]
async fn reviewers_preview_the_files_while_the_review_is_open_and_discuss_them() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let drafts = id(&app.mkdir(&p.alice, 0, "草稿").await);
    let file = id(&app.upload(&p.alice, drafts, "方案.docx", b"the plan").await);
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.bob).await,
        404,
        "file_not_found",
    )
    .await;

    let due = day_after(app.now(), 3);
    let created = app
        .post_ok(
            "/api/v2/review/create",
            &p.alice,
            &json!({"file_ids": [file], "title": "方案评审", "due_time": due, "description": "看第二节",
                    "invited_user_ids": [p.bob_id]}),
        )
        .await;
    assert_eq!(created["name"], "方案评审");
    let review = id(&created);

    // Bob previews the file (nothing above it shows) but may not download it.
    let info = app.get_ok(&format!("/api/v2/file/{file}/info"), &p.bob).await;
    assert_eq!(info["path"], json!([{"type": "folder", "id": 0, "name": "全部文件"}]));
    let permissions = info["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("item_preview")), "{info}");
    assert!(!permissions.contains(&json!("item_download")), "{info}");
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/download"), &p.bob).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{drafts}/info"), &p.bob).await,
        404,
        "folder_not_found",
    )
    .await;

    let seen = app.get_ok(&format!("/api/v2/review/info/{review}"), &p.bob).await;
    assert_eq!(seen["name"], "方案评审");
    assert_eq!(seen["description"], "看第二节");
    assert_eq!(seen["inviter"]["name"], "Alice");
    assert_eq!(user_ids(&seen["reviewers"]), [p.bob_id]);
    assert_eq!(seen["is_complete"], false);
    assert_eq!(seen["is_expired"], false);
    assert_eq!(seen["need_sign"], false);
    assert!(seen["due_time"].as_i64().unwrap() > app.now() + 2 * 86_400);
    let item = &seen["items"][0];
    assert_eq!(item["typed_id"], format!("file_{file}"));
    assert_eq!(item["extension"], "docx");
    assert_eq!(item["size"], 8);
    assert_eq!(item["parent_folder_id"], 0, "where it lives is the inviter's to know");
    assert_eq!(item["in_trash"], false);
    assert_eq!(item["is_deleted"], false);
    let own = app.get_ok(&format!("/api/v2/review/info/{review}"), &p.alice).await;
    assert_eq!(own["items"][0]["parent_folder_id"], drafts);
    assert_api_error(
        app.get(&format!("/api/v2/review/info/{review}"), &p.carol).await,
        404,
        "review_not_found",
    )
    .await;

    let said = app
        .post_ok(
            "/api/v2/review_comment/create",
            &p.bob,
            &json!({"review_id": review, "content": "第二节的数据要更新"}),
        )
        .await;
    assert_eq!(said["success"], true);
    assert_eq!(said["review"], json!({"id": review, "name": "方案评审"}));
    assert_eq!(said["user"]["id"], p.bob_id);
    assert_eq!(said["is_voice"], false);
    app.post_ok(
        "/api/v2/review_comment/create",
        &p.alice,
        &json!({"review_id": review, "content": "已更新"}),
    )
    .await;
    let discussion = app
        .get_ok(
            &format!("/api/v2/review/comment_list/{review}?page_id=0&page_capacity=1"),
            &p.alice,
        )
        .await;
    assert_eq!(discussion["review_comments"][0]["content"], "第二节的数据要更新");
    assert_eq!(discussion["review_comment_count"], 1);
    assert_eq!(discussion["total_count"], 2);
    assert_eq!(discussion["page_count"], 2);
    assert_api_error(
        app.post(
            "/api/v2/review_comment/create",
            &p.carol,
            &json!({"review_id": review, "content": "me too"}),
        )
        .await,
        404,
        "review_not_found",
    )
    .await;

    // Only the inviter edits: Carol in, Bob out, and Bob's view of the file goes with him.
    assert_api_error(
        app.post(
            &format!("/api/v2/review/edit/{review}"),
            &p.bob,
            &json!({"added_reviewers": [p.carol_id]}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    let edited = app
        .post_ok(
            &format!("/api/v2/review/edit/{review}"),
            &p.alice,
            &json!({"added_reviewers": [p.carol_id], "deleted_reviewers": [p.bob_id], "due_time": ""}),
        )
        .await;
    assert_eq!(user_ids(&edited["reviewers"]), [p.carol_id]);
    assert_eq!(edited["due_time"], 0);
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.bob).await,
        404,
        "file_not_found",
    )
    .await;
    app.get_ok(&format!("/api/v2/file/{file}/info"), &p.carol).await;
    let invited = app.get_ok("/api/v2/review/list?type=invited", &p.carol).await;
    assert_eq!(invited["total_count"], 1);
    assert_eq!(invited["reviews"][0]["id"], review);
    assert_eq!(app.get_ok("/api/v2/review/list", &p.bob).await["total_count"], 0);
    assert_eq!(
        app.get_ok("/api/v2/review/list?type=initiated", &p.alice).await["total_count"],
        1
    );

    // Completed (the platform does it with a GET), the review opens nothing and takes no more
    // comments.
    let done = app.get_ok(&format!("/api/v2/review/complete/{review}"), &p.alice).await;
    assert_eq!(done["is_complete"], true);
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.carol).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v2/review_comment/create",
            &p.carol,
            &json!({"review_id": review, "content": "late"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;

    // A second, open review of the file, deleted: Carol's preview goes with it.
    let again = id(&app
        .post_ok(
            "/api/v2/review/create",
            &p.alice,
            &json!({"file_ids": [file], "title": "再审", "invited_user_ids": [p.carol_id]}),
        )
        .await);
    app.get_ok(&format!("/api/v2/file/{file}/info"), &p.carol).await;
    app.post_ok(&format!("/api/v2/review/delete/{again}"), &p.alice, &json!({}))
        .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.carol).await,
        404,
        "file_not_found",
    )
    .await;
    app.post_ok(&format!("/api/v2/review/delete/{review}"), &p.alice, &json!({}))
        .await;
    for token in [&p.alice, &p.carol] {
        assert_api_error(
            app.get(&format!("/api/v2/review/info/{review}"), token).await,
            404,
            "review_not_found",
        )
        .await;
    }
    for (action, count) in [(300, 2), (301, 1), (302, 1), (303, 2), (309, 2)] {
        assert_eq!(
            app.sql_i64(&format!("select count(*) from audit_event where action = {action}"))
                .await,
            count,
            "action {action}"
        );
    }
    assert_eq!(
        app.sql_i64(&format!(
            "select count(*) from event_log where event_type = 'review.created' and subject_id = {review}"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_review_needs_a_title_shareable_files_known_reviewers_and_a_due_date_ahead() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let shared = id(&app.mkdir(&p.alice, 0, "共享").await);
    let file = id(&app.upload(&p.alice, shared, "a.txt", b"a").await);
    let create = |token: String, body: Value| {
        let app = &app;
        async move { app.post("/api/v2/review/create", &token, &body).await }
    };
    let ok = json!({"file_ids": [file], "title": "t", "invited_user_ids": [p.bob_id]});
    for (field, body) in [
        (
            "title",
            json!({"file_ids": [file], "title": " ", "invited_user_ids": [p.bob_id]}),
        ),
        (
            "file_ids",
            json!({"file_ids": [], "title": "t", "invited_user_ids": [p.bob_id]}),
        ),
        (
            "file_ids",
            json!({"file_ids": ["x"], "title": "t", "invited_user_ids": [p.bob_id]}),
        ),
        ("invited_user_ids", json!({"file_ids": [file], "title": "t"})),
        (
            "due_time",
            json!({"file_ids": [file], "title": "t", "invited_user_ids": [p.bob_id], "due_time": "soon"}),
        ),
    ] {
        let body = assert_api_error(create(p.alice.clone(), body).await, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field);
    }
    let mut past = ok.clone();
    past["due_time"] = json!(day_after(app.now(), -1));
    assert_api_error(create(p.alice.clone(), past).await, 400, "due_time_passed").await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let stranger = app.create_user(&other, "Eve", "eve@globex.test").await;
    let mut foreign = ok.clone();
    foreign["invited_user_ids"] = json!([stranger]);
    assert_api_error(create(p.alice.clone(), foreign).await, 404, "user_not_found").await;
    // A viewer may not put a file before others; a stranger does not see it at all.
    app.post_ok(
        "/api/v2/collab/invite",
        &p.alice,
        &json!({"folder_id": shared, "accessible_by": {"type": "user", "id": p.bob_id, "role": "viewer"}}),
    )
    .await;
    let mut by_bob = ok.clone();
    by_bob["invited_user_ids"] = json!([p.carol_id]);
    assert_api_error(create(p.bob.clone(), by_bob.clone()).await, 403, "permission_denied").await;
    assert_api_error(create(p.carol.clone(), by_bob).await, 404, "file_not_found").await;

    // Past its due date a review opens nothing, though it can still be read.
    let mut due = ok.clone();
    due["invited_user_ids"] = json!([p.carol_id]);
    due["due_time"] = json!(day_after(app.now(), 1));
    let review = id(&app.post_ok("/api/v2/review/create", &p.alice, &due).await);
    app.get_ok(&format!("/api/v2/file/{file}/info"), &p.carol).await;
    let comment = id(&app
        .post_ok(
            "/api/v2/review_comment/create",
            &p.carol,
            &json!({"review_id": review, "content": "ok"}),
        )
        .await);
    app.clock.advance(3 * 86_400);
    // Tokens do not last days: sign in again.
    let p = People {
        alice: app.user_token(&app.tenant, p.alice_id).await,
        bob: app.user_token(&app.tenant, p.bob_id).await,
        carol: app.user_token(&app.tenant, p.carol_id).await,
        ..p
    };
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.carol).await,
        404,
        "file_not_found",
    )
    .await;
    let expired = app.get_ok(&format!("/api/v2/review/info/{review}"), &p.carol).await;
    assert_eq!(expired["is_expired"], true);

    // Review comments go by their author or the inviter (the platform deletes with DELETE).
    let delete = |token: &str, method: reqwest::Method| {
        app.client
            .request(method, format!("{}/api/v2/review_comment/delete/{comment}", app.url))
            .bearer_auth(token)
            .send()
    };
    assert_api_error(
        delete(&p.bob, reqwest::Method::DELETE).await.unwrap(),
        404,
        "comment_not_found",
    )
    .await;
    assert_api_error(
        delete(&p.carol, reqwest::Method::PATCH).await.unwrap(),
        405,
        "method_not_allowed",
    )
    .await;
    assert_eq!(delete(&p.alice, reqwest::Method::DELETE).await.unwrap().status(), 200);
    assert_api_error(
        delete(&p.alice, reqwest::Method::DELETE).await.unwrap(),
        404,
        "comment_not_found",
    )
    .await;

    // A file deleted for good stays in its review, marked so.
    app.post_ok(&format!("/api/v2/file/{file}/delete"), &p.alice, &json!({}))
        .await;
    let trashed = app.get_ok(&format!("/api/v2/review/info/{review}"), &p.alice).await;
    assert_eq!(trashed["items"][0]["in_trash"], true);
    app.post_ok(&format!("/api/v2/file/{file}/delete_from_trash"), &p.alice, &json!({}))
        .await;
    let gone = app.get_ok(&format!("/api/v2/review/info/{review}"), &p.alice).await;
    assert_eq!(gone["items"][0]["is_deleted"], true);
    assert_eq!(gone["items"][0]["name"], "a.txt");
}

#[tokio::test]
async fn a_review_opens_no_more_than_its_inviter_may_still_share() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    // Carol's folder, shared with Alice as an editor (who may share), reviewed by Bob.
    let folder = id(&app.mkdir(&p.carol, 0, "合同").await);
    let file = id(&app.upload(&p.carol, folder, "合同.pdf", b"contract").await);
    let collab = app
        .post_ok(
            "/api/v2/collab/invite",
            &p.carol,
            &json!({"folder_id": folder, "accessible_by": {"type": "user", "id": p.alice_id, "role": "editor"}}),
        )
        .await;
    let body = assert_api_error(
        app.post(
            "/api/v2/review/create",
            &p.alice,
            &json!({"file_ids": [file], "title": "t", "invited_user_ids": [p.alice_id]}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(
        body["errors"][0]["field"], "invited_user_ids",
        "someone besides oneself"
    );
    let review = id(&app
        .post_ok(
            "/api/v2/review/create",
            &p.alice,
            &json!({"file_ids": [file], "title": "合同审阅", "invited_user_ids": [p.bob_id]}),
        )
        .await);
    app.get_ok(&format!("/api/v2/file/{file}/info"), &p.bob).await;

    let collab_path = format!("/api/v2/collab/{}/update", collab["id"]);
    app.post_ok(&collab_path, &p.carol, &json!({"role": "viewer"})).await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{file}/info"), &p.bob).await,
        404,
        "file_not_found",
    )
    .await;
    app.post_ok(&collab_path, &p.carol, &json!({"role": "editor"})).await;
    app.get_ok(&format!("/api/v2/file/{file}/info"), &p.bob).await;

    // Once completed, Bob keeps the name he saw and learns nothing new about the file.
    app.post_ok(
        &format!("/api/v2/file/{file}/update"),
        &p.carol,
        &json!({"name": "合同-终稿.pdf"}),
    )
    .await;
    app.post_ok(&format!("/api/v2/review/complete/{review}"), &p.alice, &json!({}))
        .await;
    let closed = app.get_ok(&format!("/api/v2/review/info/{review}"), &p.bob).await;
    assert_eq!(closed["items"][0]["name"], "合同.pdf");
    assert_eq!(closed["items"][0]["size"], 0);
    assert_eq!(closed["items"][0]["is_deleted"], false);
    let own = app.get_ok(&format!("/api/v2/review/info/{review}"), &p.alice).await;
    assert_eq!(own["items"][0]["name"], "合同-终稿.pdf");

    // The administrator's log finds the review's events by its id.
    let admin = app.enterprise_token(&app.tenant).await;
    let today = day_after(app.now(), 0);
    let log = app
        .post_ok(
            "/api/v2/admin/log/log_info",
            &admin,
            &json!({"start_date": today, "end_date": today, "review_ids": [review]}),
        )
        .await;
    let actions: Vec<&str> = log["user_activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action_type"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["300", "302"]);
}

//! Repeated listings are answered from each node's cache of rendered pages; these tests change
//! everything a page shows, through one node, and read the page through both.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

/// The one file of a one-file page, as `node` lists `folder` now (after listing it once before,
/// so a stale cached page would be what comes back).
async fn only_file(node: &TestApp, token: &str, folder: i64) -> Value {
    let page = node
        .get_ok(&format!("/api/v2/folder/{folder}/children?sort_by=name"), token)
        .await;
    let files = page["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{page}");
    files[0].clone()
}

async fn file_count(node: &TestApp, token: &str, folder: i64) -> usize {
    let page = node
        .get_ok(&format!("/api/v2/folder/{folder}/children?sort_by=name"), token)
        .await;
    page["files"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_listing_shows_every_change_made_since_it_was_last_read_on_any_node() {
    let a = TestApp::spawn().await;
    let b = a.spawn_peer(|_| {}).await;
    let token = a.admin_user_token().await;
    let docs = a.mkdir(&token, 0, "docs").await["id"].as_i64().unwrap();
    let inner = a.mkdir(&token, docs, "inner").await["id"].as_i64().unwrap();
    let elsewhere = a.mkdir(&token, 0, "elsewhere").await["id"].as_i64().unwrap();
    let file = a.upload(&token, inner, "a.txt", b"one").await["id"].as_i64().unwrap();
    for node in [&a, &b] {
        assert_eq!(only_file(node, &token, inner).await["name"], "a.txt");
    }

    // A rename and a description of the file itself.
    a.post_ok(
        &format!("/api/v2/file/{file}/update"),
        &token,
        &json!({"name": "b.txt"}),
    )
    .await;
    a.post_ok(
        &format!("/api/v2/file/{file}/update"),
        &token,
        &json!({"description": "季度"}),
    )
    .await;
    for node in [&a, &b] {
        let listed = only_file(node, &token, inner).await;
        assert_eq!(listed["name"], "b.txt");
        assert_eq!(listed["description"], "季度");
    }

    // A rename two levels up changes every entry's path.
    a.post_ok(
        &format!("/api/v2/folder/{docs}/update"),
        &token,
        &json!({"name": "papers"}),
    )
    .await;
    for node in [&a, &b] {
        assert_eq!(only_file(node, &token, inner).await["path"][1]["name"], "papers");
    }

    // A new version, then the old one promoted back.
    let url = a
        .post_ok(
            &format!("/api/v2/file/{file}/new_version_v2"),
            &token,
            &json!({"name": "b.txt", "upload_type": "api"}),
        )
        .await;
    assert_eq!(
        a.send_bytes(url["presign_url"].as_str().unwrap(), b"version two")
            .await
            .status(),
        200
    );
    for node in [&a, &b] {
        assert_eq!(only_file(node, &token, inner).await["size"], 11);
    }
    let versions = b.get_ok(&format!("/api/v2/file/{file}/versions"), &token).await;
    let old = versions["file_versions"][1]["id"].as_i64().unwrap();
    b.post_ok(
        &format!("/api/v2/file/{file}/version/{old}/promote"),
        &token,
        &Value::Null,
    )
    .await;
    for node in [&a, &b] {
        assert_eq!(only_file(node, &token, inner).await["size"], 3);
    }

    // The caller's frequent mark.
    a.post_ok(
        "/api/v2/frequent/add",
        &token,
        &json!({"item_typed_ids": [format!("file_{file}")]}),
    )
    .await;
    for node in [&a, &b] {
        assert_eq!(only_file(node, &token, inner).await["is_frequently_used"], true);
    }

    // Out by trash, back by restore, out by move, a copy in.
    a.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &Value::Null)
        .await;
    for node in [&a, &b] {
        assert_eq!(file_count(node, &token, inner).await, 0);
    }
    b.post_ok(&format!("/api/v2/file/{file}/restore_from_trash"), &token, &Value::Null)
        .await;
    for node in [&a, &b] {
        assert_eq!(file_count(node, &token, inner).await, 1);
    }
    a.post_ok(
        &format!("/api/v2/file/{file}/move"),
        &token,
        &json!({"target_folder_id": elsewhere}),
    )
    .await;
    for node in [&a, &b] {
        assert_eq!(file_count(node, &token, inner).await, 0);
        assert_eq!(file_count(node, &token, elsewhere).await, 1);
    }
    a.post_ok(
        &format!("/api/v2/file/{file}/copy"),
        &token,
        &json!({"target_folder_id": inner}),
    )
    .await;
    for node in [&a, &b] {
        assert_eq!(only_file(node, &token, inner).await["name"], "b.txt");
    }

    // Trashing a folder above: the page answers that it is deleted, not what was cached.
    a.post_ok(&format!("/api/v2/folder/{docs}/delete"), &token, &Value::Null)
        .await;
    for node in [&a, &b] {
        assert_api_error(
            node.get(&format!("/api/v2/folder/{inner}/children?sort_by=name"), &token)
                .await,
            404,
            "folder_deleted",
        )
        .await;
    }
}

#[tokio::test]
async fn a_cached_page_is_never_shown_to_another_user() {
    let app = TestApp::spawn().await;
    let owner = app.admin_user_token().await;
    let folder = app.mkdir(&owner, 0, "private").await["id"].as_i64().unwrap();
    app.upload(&owner, folder, "salary.xlsx", b"secret").await;
    assert_eq!(file_count(&app, &owner, folder).await, 1);
    let mine = app.get_ok("/api/v2/folder/0/children", &owner).await;
    assert_eq!(mine["total_count"], 1, "{mine}");

    let colleague = app.create_user(&app.tenant, "Colleague", "colleague@acme.test").await;
    let colleague = app.user_token(&app.tenant, colleague).await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{folder}/children"), &colleague).await,
        404,
        "folder_not_found",
    )
    .await;
    let theirs = app.get_ok("/api/v2/folder/0/children", &colleague).await;
    assert_eq!(theirs["total_count"], 0, "{theirs}");
}

#[tokio::test]
async fn with_the_cache_turned_off_every_listing_is_rendered_afresh() {
    let app = TestApp::spawn_with(|config| config.listing_cache_mb = 0).await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "plain").await["id"].as_i64().unwrap();
    let file = app.upload(&token, folder, "a.txt", b"1").await["id"].as_i64().unwrap();
    assert_eq!(only_file(&app, &token, folder).await["name"], "a.txt");
    app.post_ok(
        &format!("/api/v2/file/{file}/update"),
        &token,
        &json!({"name": "c.txt"}),
    )
    .await;
    assert_eq!(only_file(&app, &token, folder).await["name"], "c.txt");
}

//! Bytes in and out: upload URLs as each SDK uses them, downloads with ranges, versions,
//! quotas, deduplication and the collector.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error, assert_transfer_error, local_blobs, partial_writes};

fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(bytes))
}

async fn presign(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    app.post_ok(path, token, &body).await["presign_url"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_uploaded_file_downloads_byte_for_byte_with_its_digest() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload_v2",
        json!({"parent_id": "0", "name": "报表v1.0.pdf", "upload_type": "api", "file_size": bytes.len()}),
    )
    .await;
    assert!(url.starts_with(&format!("{}/upload/", app.url)), "{url}");
    let tail: Vec<&str> = url.rsplit('/').take(2).collect();
    assert_eq!(
        (tail[1].len(), tail[0].len()),
        (32, 64),
        "upload/<32 hex>/<64 hex>: {url}"
    );

    let response = app.send_bytes(&url, &bytes).await;
    assert_eq!(response.status(), 200);
    let file: Value = response.json().await.unwrap();
    assert_eq!(file["type"], "file");
    assert_eq!(file["name"], "报表v1.0.pdf");
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["sha1"], sha1_hex(&bytes));
    assert_eq!(file["extension_category"], "document");
    assert_eq!(file["parent"], json!({"type": "folder", "id": 0, "name": "全部文件"}));
    assert_eq!(file["comments_count"], 0);
    assert_eq!(file["description"], "");
    let id = file["id"].as_i64().unwrap();
    assert_eq!(app.get_ok(&format!("/api/v2/file/{id}/info_v2"), &token).await, file);
    assert_eq!(app.download(&token, id).await, bytes);

    // The URL was used: a second POST fails in the transfer-host shape the Java SDK expects.
    assert_transfer_error(app.send_bytes(&url, b"again").await, 404, "link_invalid_or_expired").await;
    let root = app.get_ok("/api/v2/folder/0/info", &token).await;
    assert_eq!(root["item_count"], 1, "the second POST made nothing");
}

#[tokio::test]
async fn downloads_honour_ranges_and_name_the_file_for_browsers() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let bytes = b"0123456789abcdefghij".to_vec();
    let id = app.upload(&token, 0, "季度 报告.txt", &bytes).await["id"]
        .as_i64()
        .unwrap();
    let url = app
        .get_ok(
            &format!("/api/v2/file/{id}/download?version=0&valid_period=100"),
            &token,
        )
        .await["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with(&format!("{}/download/", app.url)), "{url}");

    let full = app.client.get(&url).send().await.unwrap();
    assert_eq!(full.status(), 200);
    let headers = full.headers().clone();
    assert_eq!(headers["content-length"], "20");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["etag"], format!("\"{}\"", sha1_hex(&bytes)));
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''%E5%AD%A3%E5%BA%A6%20%E6%8A%A5%E5%91%8A.txt"),
        "{disposition}"
    );
    assert_eq!(full.bytes().await.unwrap(), &bytes[..]);

    let part = app.client.get(&url).header("range", "bytes=5-9").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], "bytes 5-9/20");
    assert_eq!(part.headers()["content-length"], "5");
    assert_eq!(part.bytes().await.unwrap(), &b"56789"[..]);
    let tail = app.client.get(&url).header("range", "bytes=-3").send().await.unwrap();
    assert_eq!(tail.bytes().await.unwrap(), &b"hij"[..]);

    let past = app.client.get(&url).header("range", "bytes=20-").send().await.unwrap();
    assert_eq!(past.headers()["content-range"], "bytes */20");
    assert_transfer_error(past, 416, "range_not_satisfiable").await;

    // A tampered or expired URL leads nowhere.
    let mut segments: Vec<String> = url.split('/').map(str::to_owned).collect();
    let signature = segments.len() - 2;
    let flipped = if segments[signature].starts_with('0') { "1" } else { "0" };
    segments[signature].replace_range(0..1, flipped);
    let forged = segments.join("/");
    assert_transfer_error(
        app.client.get(&forged).send().await.unwrap(),
        404,
        "link_invalid_or_expired",
    )
    .await;
    app.clock.advance(101);
    assert_transfer_error(
        app.client.get(&url).send().await.unwrap(),
        404,
        "link_invalid_or_expired",
    )
    .await;
    for bad in ["valid_period=0", "valid_period=99999999", "version=123456789"] {
        let body = assert_api_error(
            app.get(&format!("/api/v2/file/{id}/download?{bad}"), &token).await,
            400,
            "request_data_invalid",
        )
        .await;
        assert!(
            bad.starts_with(body["errors"][0]["field"].as_str().unwrap()),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn the_java_sdks_chunked_upload_without_auth_or_filename_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload",
        json!({"parent_id": 0, "name": "java.txt", "upload_type": "api"}),
    )
    .await;
    let boundary = "--WebKitFormBoundaryPjbcBBB6fBCxfBFq";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(b"from java");
    // No CRLF after the closing boundary, and a chunked body.
    body.extend_from_slice(format!("\r\n--{boundary}--").as_bytes());
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body.chunks(7).map(|chunk| Ok(chunk.to_vec())).collect();
    let response = app
        .client
        .post(&url)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let file: Value = response.json().await.unwrap();
    assert_eq!(file["name"], "java.txt", "the name from the URL request wins");
    assert_eq!(file["size"], 9);
}

#[tokio::test]
async fn the_python_sdks_upload_with_its_odd_part_headers_is_accepted() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload",
        json!({"parent_id": 0, "name": "py.txt", "upload_type": "api"}),
    )
    .await;
    let boundary = "0c8e3c2b9d6a4c6fa1b2c3d4e5f60718";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"yifangyun-file\"\r\n\
         Content-Type: {{'Expires': '0'}}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(b"from python");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["name"], "py.txt");
}

#[tokio::test]
async fn a_truncated_upload_commits_nothing_and_the_url_can_be_retried() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload_v2",
        json!({"parent_id": 0, "name": "big.bin", "upload_type": "api"}),
    )
    .await;
    let boundary = "b";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n").into_bytes();
    body.extend_from_slice(&[1u8; 10_000]);
    let response = app
        .client
        .post(&url)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let answer = assert_transfer_error(response, 400, "request_data_invalid").await;
    assert!(answer["error"].as_str().unwrap().starts_with("file"), "{answer}");
    assert_eq!(app.get_ok("/api/v2/folder/0/info", &token).await["item_count"], 0);
    if let Some(dir) = local_blobs(&app.config) {
        assert_eq!(partial_writes(&dir), 0, "no partial file stays");
    }
    let response = app.send_bytes(&url, b"complete").await;
    assert_eq!(response.status(), 200, "the URL works again after a failed transfer");
    for (content_type, body) in [
        ("text/plain", b"x".to_vec()),
        (
            "multipart/form-data; boundary=q",
            b"--q\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--q--\r\n".to_vec(),
        ),
    ] {
        let url = presign(
            &app,
            &token,
            "/api/v2/file/upload_v2",
            json!({"parent_id": 0, "name": "x.bin"}),
        )
        .await;
        let response = app
            .client
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_transfer_error(response, 400, "request_data_invalid").await;
    }
}

#[tokio::test]
async fn upload_preflight_checks_name_target_and_clash() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let existing = app.upload(&token, 0, "a.txt", b"old").await["id"].as_i64().unwrap();
    assert_api_error(
        app.post(
            "/api/v2/file/upload_v2",
            &token,
            &json!({"parent_id": 0, "name": "A.TXT", "upload_type": "api"}),
        )
        .await,
        409,
        "file_name_conflict",
    )
    .await;
    // is_covered turns a clash into a new version of the existing file.
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload_v2",
        json!({"parent_id": 0, "name": "a.txt", "upload_type": "api", "is_covered": true}),
    )
    .await;
    let file: Value = app.send_bytes(&url, b"newer").await.json().await.unwrap();
    assert_eq!(file["id"], existing);
    assert_eq!(file["size"], 5);
    for (body, status, code) in [
        (
            json!({"parent_id": 0, "name": "a|b", "upload_type": "api"}),
            400,
            "item_name_invalid",
        ),
        (
            json!({"parent_id": 0, "name": "", "upload_type": "api"}),
            400,
            "item_name_size_incorrect",
        ),
        (
            json!({"parent_id": 987_654_321, "name": "x", "upload_type": "api"}),
            404,
            "folder_not_found",
        ),
        (
            json!({"parent_id": existing, "name": "x", "upload_type": "api"}),
            404,
            "folder_not_found",
        ),
        (
            json!({"parent_id": 0, "name": "x", "upload_type": "web"}),
            400,
            "request_data_invalid",
        ),
        (
            json!({"parent_id": 0, "name": "x", "file_size": -1}),
            400,
            "request_data_invalid",
        ),
        (json!({"name": "x"}), 400, "request_data_invalid"),
    ] {
        assert_api_error(app.post("/api/v2/file/upload_v2", &token, &body).await, status, code).await;
    }
    let by_path = presign(
        &app,
        &token,
        "/api/v2/file/upload_by_path",
        json!({"target_folder_path": "123/123", "name": "text.tar", "upload_type": "api"}),
    )
    .await;
    let file: Value = app.send_bytes(&by_path, b"tar").await.json().await.unwrap();
    let path: Vec<&str> = file["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["全部文件", "123", "123"]);
}

#[tokio::test]
async fn new_versions_are_listed_newest_first_and_old_ones_can_be_promoted() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let id = app.upload(&token, 0, "doc.txt", b"v1").await["id"].as_i64().unwrap();
    // The seed's new_version_v2 example, trailing comma included.
    let response = app
        .client
        .post(format!("{}/api/v2/file/{id}/new_version_v2", app.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\n\"name\": \"doc.txt\",\n\"upload_type\": \"api\",\n\"remark\": \"新版本\",\n}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let url = response.json::<Value>().await.unwrap()["presign_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let v2: Value = app.send_bytes(&url, b"version two").await.json().await.unwrap();
    assert_eq!(v2["id"], id);
    assert_eq!(v2["sha1"], sha1_hex(b"version two"));
    assert!(v2["sequence_id"].as_i64() > Some(0));

    let versions = app.get_ok(&format!("/api/v2/file/{id}/versions"), &token).await;
    let list = versions["file_versions"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["current"], true);
    assert_eq!(list[0]["remark"], "新版本");
    assert_eq!(list[0]["size"], 11);
    assert_eq!(list[1]["current"], false);
    assert_eq!(list[1]["sha1"], sha1_hex(b"v1"));
    assert_eq!(list[0]["modified_by"]["id"], app.tenant.admin_user_id);
    let old = list[1]["id"].as_i64().unwrap();
    let current = list[0]["id"].as_i64().unwrap();

    let info = app
        .get_ok(&format!("/api/v2/file/{id}/version/{old}/info"), &token)
        .await;
    assert_eq!(info["file_id"], id);
    let url = app
        .get_ok(&format!("/api/v2/file/{id}/download?version={old}"), &token)
        .await;
    let old_bytes = app
        .client
        .get(url["download_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&old_bytes[..], b"v1");

    assert_api_error(
        app.post(
            &format!("/api/v2/file/{id}/version/{current}/delete"),
            &token,
            &Value::Null,
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    let promoted = app
        .post_ok(
            &format!("/api/v2/file/{id}/version/{old}/promote"),
            &token,
            &Value::Null,
        )
        .await;
    assert_eq!(promoted["sha1"], sha1_hex(b"v1"));
    assert_eq!(app.download(&token, id).await, b"v1");
    let versions = app.get_ok(&format!("/api/v2/file/{id}/versions"), &token).await;
    assert_eq!(versions["file_versions"].as_array().unwrap().len(), 3);
    app.post_ok(
        &format!("/api/v2/file/{id}/version/{current}/delete"),
        &token,
        &Value::Null,
    )
    .await;
    let versions = app.get_ok(&format!("/api/v2/file/{id}/versions"), &token).await;
    assert_eq!(versions["file_versions"].as_array().unwrap().len(), 2);
    assert_api_error(
        app.get(&format!("/api/v2/file/{id}/version/{current}/info"), &token)
            .await,
        400,
        "request_data_invalid",
    )
    .await;
}

#[tokio::test]
async fn renaming_a_file_without_an_extension_keeps_the_old_one() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let id = app.upload(&token, 0, "x.txt", b"x").await["id"].as_i64().unwrap();
    let renamed = app
        .post_ok(
            &format!("/api/v2/file/{id}/update"),
            &token,
            &json!({"name": "java-sdk-test-update"}),
        )
        .await;
    assert_eq!(renamed["name"], "java-sdk-test-update.txt");
    let described = app
        .post_ok(
            &format!("/api/v2/file/{id}/update"),
            &token,
            &json!({"name": null, "description": "季度"}),
        )
        .await;
    assert_eq!(described["name"], "java-sdk-test-update.txt");
    assert_eq!(described["description"], "季度");
    assert_api_error(
        app.post(
            &format!("/api/v2/file/{id}/update"),
            &token,
            &json!({"description": "长".repeat(141)}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
}

#[tokio::test]
async fn copies_share_bytes_and_the_collector_frees_them_after_the_last_reference() {
    let app = TestApp::spawn_with(|config| config.blob_grace_secs = 0).await;
    let token = app.admin_user_token().await;
    let bytes = vec![42u8; 64 * 1024];
    let id = app.upload(&token, 0, "shared.bin", &bytes).await["id"]
        .as_i64()
        .unwrap();
    let objects = |app: &TestApp| local_blobs(&app.config).map(|dir| walk_files(&dir.join("objects")));
    let before = objects(&app);
    let copy = app
        .post_ok(
            &format!("/api/v2/file/{id}/copy"),
            &token,
            &json!({"target_folder_id": 0}),
        )
        .await;
    assert_eq!(copy["name"], "shared (1).bin");
    let copy_id = copy["id"].as_i64().unwrap();
    // Uploading the same bytes again stores them once too.
    let again = app.upload(&token, 0, "same.bin", &bytes).await["id"].as_i64().unwrap();
    assert_eq!(objects(&app), before, "copies and duplicates add no stored bytes");
    assert_eq!(app.download(&token, copy_id).await, bytes);

    let report = app.core.collect_garbage(0).await.unwrap();
    assert_eq!(report.blobs, 0, "referenced bytes stay");
    for file in [id, copy_id, again] {
        app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &Value::Null)
            .await;
        app.post_ok(&format!("/api/v2/file/{file}/delete_from_trash"), &token, &Value::Null)
            .await;
    }
    app.clock.advance(1);
    let report = app.core.collect_garbage(0).await.unwrap();
    assert_eq!(report.blobs, 1);
    if let Some(count) = objects(&app) {
        assert_eq!(count, 0, "the collector removed the bytes");
    }
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { walk_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn quotas_are_checked_when_the_url_is_issued_and_when_the_bytes_arrive() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let user = app.tenant.admin_user_id;
    app.sql(&format!(
        "update user_account set space_total = 100 where user_id = {user}"
    ))
    .await;
    assert_api_error(
        app.post(
            "/api/v2/file/upload_v2",
            &token,
            &json!({"parent_id": 0, "name": "big", "file_size": 101}),
        )
        .await,
        400,
        "exceed_user_space_limit",
    )
    .await;
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload_v2",
        json!({"parent_id": 0, "name": "liar", "file_size": 10}),
    )
    .await;
    assert_transfer_error(app.send_bytes(&url, &[0u8; 101]).await, 400, "exceed_user_space_limit").await;
    app.upload(&token, 0, "fits", &[0u8; 60]).await;
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload_v2",
        json!({"parent_id": 0, "name": "second"}),
    )
    .await;
    assert_transfer_error(app.send_bytes(&url, &[0u8; 41]).await, 400, "exceed_user_space_limit").await;
    let fits = app.get_ok("/api/v2/folder/0/children", &token).await["files"][0]["id"]
        .as_i64()
        .unwrap();
    assert_api_error(
        app.post(
            &format!("/api/v2/file/{fits}/copy"),
            &token,
            &json!({"target_folder_id": 0}),
        )
        .await,
        400,
        "exceed_user_space_limit",
    )
    .await;

    app.sql(&format!(
        "update user_account set space_total = -1 where user_id = {user}"
    ))
    .await;
    let enterprise = app.tenant.enterprise_id;
    app.sql(&format!(
        "update enterprise set space_total = 70 where enterprise_id = {enterprise}"
    ))
    .await;
    let url = presign(
        &app,
        &token,
        "/api/v2/file/upload_v2",
        json!({"parent_id": 0, "name": "third"}),
    )
    .await;
    assert_transfer_error(
        app.send_bytes(&url, &[0u8; 11]).await,
        400,
        "exceed_enterprise_space_limit",
    )
    .await;
    // Deleting for good gives the space back.
    app.post_ok(&format!("/api/v2/file/{fits}/delete"), &token, &Value::Null)
        .await;
    app.post_ok(&format!("/api/v2/file/{fits}/delete_from_trash"), &token, &Value::Null)
        .await;
    app.send_bytes(&url, &[0u8; 11]).await.error_for_status().unwrap();
}

#[tokio::test]
async fn concurrent_uploads_into_one_folder_lose_no_update() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "inbox").await["id"].as_i64().unwrap();
    let uploads = (0..24).map(|i| {
        let app = &app;
        let token = token.clone();
        async move {
            app.upload(&token, folder, &format!("part-{i}.bin"), &vec![i as u8; 1000 + i])
                .await
        }
    });
    let files = futures_util::future::join_all(uploads).await;
    assert_eq!(files.len(), 24);
    let info = app.get_ok(&format!("/api/v2/folder/{folder}/info"), &token).await;
    let expected: usize = (0..24).map(|i| 1000 + i).sum();
    assert_eq!(info["item_count"], 24);
    assert_eq!(info["size"], expected);
    assert_eq!(app.get_ok("/api/v2/folder/0/info", &token).await["size"], expected);
    let admin = app.enterprise_token(&app.tenant).await;
    let users = app.get_ok("/api/v2/admin/user/all", &admin).await;
    let me = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["id"] == app.tenant.admin_user_id)
        .unwrap();
    assert_eq!(me["space_used"], expected, "the owner's space counts every byte once");
}

#[tokio::test]
async fn recent_items_follow_use_and_the_frequent_list_holds_pinned_files() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let first = app.upload(&token, 0, "first.txt", b"1").await["id"].as_i64().unwrap();
    app.clock.advance(1);
    let second = app.upload(&token, 0, "second.txt", b"2").await["id"].as_i64().unwrap();
    app.clock.advance(1);
    let recent = app.get_ok("/api/v2/file/recent_items?limit=10", &token).await;
    let ids: Vec<i64> = recent["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second, first]);
    assert_eq!(recent["folders"], json!([]));
    app.post_ok(&format!("/api/v2/file/{first}/mark_as_used"), &token, &Value::Null)
        .await;
    let recent = app.get_ok("/api/v2/file/recent_items?limit=1", &token).await;
    assert_eq!(recent["files"][0]["id"], first);
    assert_eq!(recent["total_count"], 1);
    assert_api_error(
        app.get("/api/v2/file/recent_items", &token).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_api_error(
        app.get("/api/v2/file/recent_items?limit=-1", &token).await,
        400,
        "request_data_invalid",
    )
    .await;

    app.post_ok(
        "/api/v2/frequent/add",
        &token,
        &json!({"item_typed_ids": [format!("file_{second}")]}),
    )
    .await;
    let frequent = app.get_ok("/api/v2/frequent/list?page_id=0", &token).await;
    assert_eq!(frequent["total_count"], 1);
    assert_eq!(frequent["frequent_items"][0]["id"], second);
    assert_eq!(frequent["frequent_items"][0]["is_frequently_used"], true);
    assert!(
        frequent["frequent_items"][0]["file_version_key"]
            .as_str()
            .is_some_and(|key| !key.is_empty())
    );
    assert_eq!(
        app.get_ok(&format!("/api/v2/file/{second}/info"), &token).await["is_frequently_used"],
        true
    );
    assert_eq!(
        app.get_ok(&format!("/api/v2/file/{first}/info"), &token).await["is_frequently_used"],
        false
    );
    // Trashed files leave both lists.
    app.post_ok(&format!("/api/v2/file/{second}/delete"), &token, &Value::Null)
        .await;
    assert_eq!(app.get_ok("/api/v2/frequent/list", &token).await["total_count"], 0);
    assert_eq!(
        app.get_ok("/api/v2/file/recent_items?limit=10", &token).await["total_count"],
        1
    );
    app.post_ok(
        &format!("/api/v2/file/{second}/restore_from_trash"),
        &token,
        &Value::Null,
    )
    .await;
    app.post_ok("/api/v2/frequent/delete", &token, &json!({"file_id": second}))
        .await;
    assert_eq!(app.get_ok("/api/v2/frequent/list", &token).await["total_count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blank_office_files_open_in_office_libraries() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let dir = tempfile::tempdir().unwrap();
    let mut arguments = Vec::new();
    for (kind, extension) in [("1", "docx"), ("2", "pptx"), ("3", "xlsx")] {
        // The platform document's example body, type by type.
        let file = app
            .post_ok(
                "/api/v2/file/create_blank_file",
                &token,
                &json!({"departmentId": 0, "name": "111", "parentEnterpriseId": app.tenant.enterprise_id,
                        "nameConflictResolveStrategy": "2", "parentFolderId": 0, "type": kind}),
            )
            .await;
        assert_eq!(file["name"], format!("111.{extension}"));
        let bytes = app.download(&token, file["id"].as_i64().unwrap()).await;
        assert_eq!(file["size"], bytes.len());
        let path = dir.path().join(format!("blank.{extension}"));
        std::fs::write(&path, bytes).unwrap();
        arguments.push(format!("{extension}:{}", path.display()));
    }
    let again = app
        .post_ok(
            "/api/v2/file/create_blank_file",
            &token,
            &json!({"name": "111", "parentFolderId": 0, "type": "1", "nameConflictResolveStrategy": "2"}),
        )
        .await;
    assert_eq!(again["name"], "111 (1).docx", "a taken name is resolved by numbering");
    let text = app
        .post_ok(
            "/api/v2/file/create_blank_file",
            &token,
            &json!({"name": "notes.md", "parentFolderId": 0, "type": "md"}),
        )
        .await;
    assert_eq!(
        (text["name"].as_str(), text["size"].as_i64()),
        (Some("notes.md"), Some(0))
    );
    for (body, field) in [
        (json!({"name": "x", "parentFolderId": 0, "type": "9"}), "type"),
        (
            json!({"name": "x", "parentFolderId": 0, "type": "1", "nameConflictResolveStrategy": "1"}),
            "nameConflictResolveStrategy",
        ),
        (json!({"name": "x", "type": "1"}), "parentFolderId"),
    ] {
        let error = assert_api_error(
            app.post("/api/v2/file/create_blank_file", &token, &body).await,
            400,
            "request_data_invalid",
        )
        .await;
        assert_eq!(error["errors"][0]["field"], field);
    }

    let script = format!("{}/tests/demos/open_office_files.py", env!("CARGO_MANIFEST_DIR"));
    let output = tokio::task::block_in_place(|| {
        std::process::Command::new("python3")
            .arg(script)
            .args(&arguments)
            .output()
    })
    .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pack_download_streams_a_zip_of_files_and_folders_with_utf8_names() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "项目").await["id"].as_i64().unwrap();
    let inner = app.mkdir(&token, folder, "设计").await["id"].as_i64().unwrap();
    app.mkdir(&token, folder, "空").await;
    app.upload(&token, inner, "草图.txt", b"sketch").await;
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    app.upload(&token, folder, "data.bin", &big).await;
    let single = app.upload(&token, 0, "readme.md", b"# hi").await["id"]
        .as_i64()
        .unwrap();
    let trashed = app.upload(&token, folder, "gone.txt", b"x").await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(&format!("/api/v2/file/{trashed}/delete"), &token, &Value::Null)
        .await;

    let url = app
        .post_ok(
            "/api/v2/file/pack_download",
            &token,
            &json!({"item_typed_ids": [format!("file_{single}"), format!("folder_{folder}")]}),
        )
        .await["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with(&format!("{}/pack/", app.url)), "{url}");
    let response = app.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let archive = response.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pack.zip");
    std::fs::write(&path, &archive).unwrap();
    let check = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None, "every CRC matches"
    for info in z.infolist():
        assert info.flag_bits & 0x800, "UTF-8 name flag on " + info.filename
        print(info.filename, info.file_size, z.read(info).hex() if info.file_size < 16 else "")
"#;
    let output = tokio::task::block_in_place(|| {
        std::process::Command::new("python3")
            .args(["-c", check])
            .arg(&path)
            .output()
    })
    .unwrap();
    let listing = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{listing}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines: Vec<&str> = listing.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "readme.md 4 23206869",
            "项目/ 0 ",
            "项目/data.bin 3000000 ",
            "项目/空/ 0 ",
            "项目/设计/ 0 ",
            "项目/设计/草图.txt 6 736b65746368",
        ]
    );
    for (body, code) in [
        (json!({"item_typed_ids": []}), "request_data_invalid"),
        (json!({"item_typed_ids": ["item_1"]}), "request_data_invalid"),
        (json!({"item_typed_ids": [format!("file_{trashed}")]}), "file_deleted"),
    ] {
        let status = if code == "file_deleted" { 404 } else { 400 };
        assert_api_error(
            app.post("/api/v2/file/pack_download", &token, &body).await,
            status,
            code,
        )
        .await;
    }
    app.clock.advance(3601);
    assert_transfer_error(
        app.client.get(&url).send().await.unwrap(),
        404,
        "link_invalid_or_expired",
    )
    .await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn resumable_uploads_take_parts_in_any_order_and_resume_after_a_break() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let part_size = 1 << 20;
    let bytes: Vec<u8> = (0..(2 * part_size + 12_345)).map(|i| (i % 241) as u8).collect();
    let session = app
        .post_ok(
            "/api/v2/file/resumable_upload",
            &token,
            &json!({"parent_id": 0, "name": "video.mp4", "file_size": bytes.len(), "part_size": part_size}),
        )
        .await;
    assert_eq!(session["part_count"], 3);
    assert_eq!(session["parts"], json!([]));
    let url = session["upload_url"].as_str().unwrap().to_owned();
    let part = |n: usize| bytes[(n - 1) * part_size..(n * part_size).min(bytes.len())].to_vec();
    let put = |n: usize, body: Vec<u8>, digest: Option<String>| {
        let mut request = app.client.put(format!("{url}/part/{n}")).body(body);
        if let Some(digest) = digest {
            request = request.header("content-sha256", digest);
        }
        request.send()
    };
    // Out of order, with and without a digest.
    let third = put(3, part(3), Some(sha256_hex(&part(3)))).await.unwrap();
    assert_eq!(third.status(), 200);
    assert_eq!(third.json::<Value>().await.unwrap()["size"], 12_345);
    assert_eq!(put(1, part(1), None).await.unwrap().status(), 200);
    // A wrong digest, a short part and a part past the end are refused and change nothing.
    assert_transfer_error(
        put(2, part(2), Some(sha256_hex(b"other"))).await.unwrap(),
        400,
        "request_data_invalid",
    )
    .await;
    assert_transfer_error(
        put(2, part(2)[..100].to_vec(), None).await.unwrap(),
        400,
        "request_data_invalid",
    )
    .await;
    assert_transfer_error(put(4, vec![1], None).await.unwrap(), 400, "request_data_invalid").await;
    let early = app.client.post(format!("{url}/commit")).send().await.unwrap();
    let early = assert_transfer_error(early, 400, "request_data_invalid").await;
    assert!(
        early["error"].as_str().unwrap().contains('2'),
        "names the missing part: {early}"
    );

    // The client comes back and asks what arrived.
    let status: Value = app.client.get(&url).send().await.unwrap().json().await.unwrap();
    let numbers: Vec<i64> = status["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 3]);
    assert_eq!(status["parts"][1]["sha256"], sha256_hex(&part(3)));
    assert_eq!(put(2, part(2), None).await.unwrap().status(), 200);
    let committed = app
        .client
        .post(format!("{url}/commit"))
        .json(&json!({"sha1": sha1_hex(&bytes)}))
        .send()
        .await
        .unwrap();
    assert_eq!(committed.status(), 200);
    let file: Value = committed.json().await.unwrap();
    assert_eq!(file["name"], "video.mp4");
    assert_eq!(file["size"], bytes.len());
    assert_eq!(file["sha1"], sha1_hex(&bytes));
    assert_eq!(app.download(&token, file["id"].as_i64().unwrap()).await, bytes);
    assert_transfer_error(
        app.client.get(&url).send().await.unwrap(),
        404,
        "link_invalid_or_expired",
    )
    .await;
    if let Some(dir) = local_blobs(&app.config) {
        assert_eq!(walk_files(&dir.join("objects")), 1, "the parts are gone once joined");
    }

    // A new version through a resumable session, given up half-way.
    let id = file["id"].as_i64().unwrap();
    let session = app
        .post_ok(
            "/api/v2/file/resumable_upload",
            &token,
            &json!({"file_id": id, "file_size": 10, "part_size": part_size}),
        )
        .await;
    let url = session["upload_url"].as_str().unwrap().to_owned();
    let abort = app.client.delete(&url).send().await.unwrap();
    assert_eq!(abort.status(), 200);
    assert_transfer_error(
        app.client
            .put(format!("{url}/part/1"))
            .body(vec![0u8; 10])
            .send()
            .await
            .unwrap(),
        404,
        "link_invalid_or_expired",
    )
    .await;
    for (body, field) in [
        (json!({"parent_id": 0, "name": "x"}), "file_size"),
        (
            json!({"parent_id": 0, "name": "x", "file_size": 10, "part_size": 10}),
            "part_size",
        ),
        (
            json!({"parent_id": 0, "name": "x", "file_size": 1i64 << 40, "part_size": 1 << 20}),
            "part_size",
        ),
    ] {
        let error = assert_api_error(
            app.post("/api/v2/file/resumable_upload", &token, &body).await,
            400,
            "request_data_invalid",
        )
        .await;
        assert_eq!(error["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn bytes_that_differ_from_the_announced_sha1_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let id = app.upload(&token, 0, "a.txt", b"one").await["id"].as_i64().unwrap();
    let url = presign(
        &app,
        &token,
        &format!("/api/v2/file/{id}/new_version_v2"),
        json!({"name": "a.txt", "upload_type": "api", "sha1": sha1_hex(b"two")}),
    )
    .await;
    assert_transfer_error(app.send_bytes(&url, b"three").await, 400, "request_data_invalid").await;
    let file: Value = app.send_bytes(&url, b"two").await.json().await.unwrap();
    assert_eq!(file["sha1"], sha1_hex(b"two"));
    assert_api_error(
        app.post(
            &format!("/api/v2/file/{id}/new_version_v2"),
            &token,
            &json!({"name": "a.txt", "sha1": "xyz"}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
}

#[tokio::test]
async fn the_collector_removes_the_parts_of_abandoned_resumable_uploads() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let session = app
        .post_ok(
            "/api/v2/file/resumable_upload",
            &token,
            &json!({"parent_id": 0, "name": "left.bin", "file_size": 3 << 20, "part_size": 1 << 20}),
        )
        .await;
    let url = session["upload_url"].as_str().unwrap().to_owned();
    for n in 1..=2 {
        let response = app
            .client
            .put(format!("{url}/part/{n}"))
            .body(vec![n as u8; 1 << 20])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    app.clock.advance(24 * 3600 + 10);
    let report = app.core.collect_garbage(0).await.unwrap();
    assert_eq!(report.abandoned_uploads, 2, "both stored parts are removed");
    if let Some(dir) = local_blobs(&app.config) {
        assert_eq!(walk_files(&dir.join("objects")), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_sent_several_times_at_once_leaves_only_the_bytes_of_the_one_kept() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let part_size = 1 << 20;
    let bytes: Vec<u8> = (0..(part_size + 1_000)).map(|i| (i % 239) as u8).collect();
    let session = app
        .post_ok(
            "/api/v2/file/resumable_upload",
            &token,
            &json!({"parent_id": 0, "name": "twice.bin", "file_size": bytes.len(), "part_size": part_size}),
        )
        .await;
    let url = session["upload_url"].as_str().unwrap().to_owned();
    let first = bytes[..part_size].to_vec();
    let puts = (0..6).map(|_| {
        let (request_url, body) = (format!("{url}/part/1"), first.clone());
        let client = app.client.clone();
        async move { client.put(request_url).body(body).send().await.unwrap().status() }
    });
    for status in futures_util::future::join_all(puts).await {
        assert_eq!(status, 200);
    }
    let second = app
        .client
        .put(format!("{url}/part/2"))
        .body(bytes[part_size..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);
    let committed = app.client.post(format!("{url}/commit")).send().await.unwrap();
    assert_eq!(committed.status(), 200);
    let id = committed.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(app.download(&token, id).await, bytes);
    if let Some(dir) = local_blobs(&app.config) {
        assert_eq!(walk_files(&dir.join("objects")), 1, "no copy of part 1 is left behind");
    }
}

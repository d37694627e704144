//! `kill -9` during uploads: every acknowledged upload survives complete, nothing half-written
//! is ever visible, and what the crash left behind is swept at the next start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestApp, local_blobs};

/// A separate `openpan serve` process over the test app's data dir, database and blob store.
pub(crate) fn start_node(app: &TestApp) -> (Child, String) {
    start_node_with(app, &[])
}

/// [`start_node`] with more settings (`OPENPAN_*` variables).
pub(crate) fn start_node_with(app: &TestApp, settings: &[(&str, &str)]) -> (Child, String) {
    let config = &app.config;
    let mut command = Command::new(env!("CARGO_BIN_EXE_openpan"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPENPAN_DATA_DIR", &config.data_dir)
        .env("OPENPAN_DATABASE_URL", config.database_url())
        .env("OPENPAN_LISTEN", "127.0.0.1:0")
        .env("OPENPAN_STORAGE", &config.storage)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let storage_dir = config.storage_dir.as_ref().map(|dir| dir.display().to_string());
    for (name, value) in [
        // What a node behind the test's balancer shares with the others.
        ("OPENPAN_SECRET_KEY", &config.secret_key),
        ("OPENPAN_STORAGE_DIR", &storage_dir),
        ("OPENPAN_S3__ENDPOINT", &config.s3.endpoint),
        ("OPENPAN_S3__REGION", &config.s3.region),
        ("OPENPAN_S3__ACCESS_KEY_ID", &config.s3.access_key_id),
        ("OPENPAN_S3__SECRET_ACCESS_KEY", &config.s3.secret_access_key),
    ] {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    for (name, value) in settings {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("openpan starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "openpan exited before serving"
        );
        if let Some(rest) = line.strip_prefix("openpan is serving at ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in stdout.lines() {});
    (child, url)
}

/// The bytes of upload `i`: distinct content and sizes, so mix-ups and truncation show.
fn payload(i: usize) -> Vec<u8> {
    let len = 48 * 1024 * (1 + i % 8) + i;
    (0..len).map(|j| ((j * 31 + i * 7) % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_uploads_loses_no_acknowledged_file_and_shows_no_partial_one() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "crash").await["id"].as_i64().unwrap();
    let (mut node, node_url) = tokio::task::block_in_place(|| start_node(&app));

    let client = reqwest::Client::new();
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut uploads = Vec::new();
    for i in 0..50 {
        let client = client.clone();
        let token = token.clone();
        let node_url = node_url.clone();
        let acknowledged = acknowledged.clone();
        uploads.push(tokio::spawn(async move {
            let name = format!("upload-{i:02}.bin");
            let presign: Value = client
                .post(format!("{node_url}/api/v2/file/upload_v2"))
                .bearer_auth(&token)
                .json(&json!({"parent_id": folder, "name": name, "upload_type": "api"}))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let url = presign["presign_url"].as_str()?.to_owned();
            let boundary = "crash-test";
            let body = crate::harness::multipart_body(boundary, &name, &payload(i));
            // Sent in small, slow pieces so that many uploads are mid-body at the kill.
            let pieces: Vec<Vec<u8>> = body.chunks(16 * 1024).map(<[u8]>::to_vec).collect();
            let stream = futures_util::stream::unfold(pieces.into_iter(), |mut pieces| async move {
                let piece = pieces.next()?;
                tokio::time::sleep(Duration::from_millis(15)).await;
                Some((Ok::<_, std::io::Error>(piece), pieces))
            });
            let response = client
                .post(url)
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await
                .ok()?;
            if response.status() != 200 {
                return None;
            }
            let file: Value = response.json().await.ok()?;
            acknowledged.fetch_add(1, Ordering::SeqCst);
            Some((i, file["id"].as_i64()?))
        }));
    }
    // Kill once some uploads are acknowledged while others are writing their bytes.
    let partial_dir = local_blobs(&app.config).map(|dir| dir.join("partial"));
    let writing = || {
        partial_dir
            .as_ref()
            .is_none_or(|dir| std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while (acknowledged.load(Ordering::SeqCst) < 10 || !writing()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    node.kill().expect("kill -9");
    node.wait().unwrap();
    let mut acked = Vec::new();
    for upload in uploads {
        if let Some(done) = upload.await.unwrap() {
            acked.push(done);
        }
    }
    assert!(acked.len() >= 10, "uploads were acknowledged before the kill");
    assert!(acked.len() < 50, "the kill interrupted uploads in flight");

    if let Some(partial) = &partial_dir {
        let left = std::fs::read_dir(partial).unwrap().count();
        assert!(left > 0, "the kill left half-written uploads behind");
    }
    // Restart: the new process sweeps what the killed one left half-written.
    let (mut node, _) = tokio::task::block_in_place(|| start_node(&app));
    if let Some(partial) = &partial_dir {
        let left: Vec<_> = std::fs::read_dir(partial).unwrap().collect();
        assert!(left.is_empty(), "partial writes are swept at start: {left:?}");
    }
    for (i, id) in &acked {
        assert_eq!(
            app.download(&token, *id).await,
            payload(*i),
            "acknowledged upload {i} is intact"
        );
    }
    // Whatever is visible is complete: acknowledged uploads, and uploads that committed just
    // before the kill took their answer away.
    let listing = app
        .get_ok(&format!("/api/v2/folder/{folder}/children?page_capacity=100"), &token)
        .await;
    let files = listing["files"].as_array().unwrap();
    assert!(files.len() >= acked.len());
    for file in files {
        let name = file["name"].as_str().unwrap();
        let i: usize = name["upload-".len().."upload-".len() + 2].parse().unwrap();
        let bytes = app.download(&token, file["id"].as_i64().unwrap()).await;
        assert_eq!(bytes, payload(i), "{name} is complete");
        assert_eq!(file["size"], payload(i).len());
    }
    let info = app.get_ok(&format!("/api/v2/folder/{folder}/info"), &token).await;
    assert_eq!(info["item_count"], files.len(), "counters match what is there");
    let total: usize = files.iter().map(|file| file["size"].as_u64().unwrap() as usize).sum();
    assert_eq!(info["size"], total);
    node.kill().unwrap();
    node.wait().unwrap();
}

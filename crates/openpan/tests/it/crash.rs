//! `kill -9` during uploads: every acknowledged upload survives complete, nothing half-written
//! is ever visible, and what the crash left behind is swept at the next start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{TestApp, local_blobs, openpan_command, partial_writes};

/// A separate `openpan serve` process over the test app's data dir, database and blob store;
/// answers it and its own address.
pub(crate) fn start_node(app: &TestApp) -> (Node, String) {
    start_node_with(app, &[])
}

/// [`start_node`] with more settings (`OPENPAN_*` variables).
pub(crate) fn start_node_with(app: &TestApp, settings: &[(&str, &str)]) -> (Node, String) {
    let mut command = openpan_command(app);
    for (name, value) in settings {
        command.env(name, value);
    }
    serve(command)
}

/// Runs `openpan serve` as `command` says; answers it and its own address once it serves.
pub(crate) fn serve(command: std::process::Command) -> (Node, String) {
    let (node, url, _) = serve_with_banner(command);
    (node, url)
}

/// [`serve`], also answering what the node printed before it served (a first start's
/// credentials).
pub(crate) fn serve_with_banner(mut command: std::process::Command) -> (Node, String, Vec<String>) {
    command
        .arg("serve")
        .env("OPENPAN_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped());
    let mut child = command.spawn().expect("openpan starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut banner = Vec::new();
    let url = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "openpan exited before serving"
        );
        // The node itself, whatever public URL (a balancer's) it was given.
        if let Some((_, rest)) = line.split_once("(listening on ") {
            break format!("http://{}", rest.trim_end().trim_end_matches(')'));
        }
        banner.push(line.trim_end().to_owned());
    };
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in stdout.lines() {});
    (Node(child), url, banner)
}

/// A server process, killed (as `kill -9` would) when dropped, so a failing test leaves none
/// behind to hold the test runner's output open.
pub(crate) struct Node(Child);

impl Node {
    pub(crate) fn pid(&self) -> u32 {
        self.0.id()
    }

    /// `kill -9`, and waits until the process is gone.
    pub(crate) fn kill_9(&mut self) {
        self.0.kill().expect("kill -9");
        self.0.wait().expect("the killed node is reaped");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let uploads: Vec<_> = (0..50)
        .map(|i| {
            tokio::spawn(slow_upload(
                node_url.clone(),
                token.clone(),
                folder,
                i,
                acknowledged.clone(),
            ))
        })
        .collect();
    // Kill once some uploads are acknowledged while others are writing their bytes.
    let blobs = local_blobs(&app.config);
    let writing = || blobs.as_ref().is_none_or(|dir| partial_writes(dir) > 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while (acknowledged.load(Ordering::SeqCst) < 10 || !writing()) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    node.kill_9();
    let mut acked = Vec::new();
    for upload in uploads {
        if let Some(done) = upload.await.unwrap() {
            acked.push(done);
        }
    }
    assert!(acked.len() >= 10, "uploads were acknowledged before the kill");
    assert!(acked.len() < 50, "the kill interrupted uploads in flight");

    if let Some(dir) = &blobs {
        assert!(partial_writes(dir) > 0, "the kill left half-written uploads behind");
    }
    // Restart: the new process sweeps what the killed one left half-written.
    let (mut node, _) = tokio::task::block_in_place(|| start_node(&app));
    if let Some(dir) = &blobs {
        assert_eq!(partial_writes(dir), 0, "partial writes are swept at start");
    }
    assert_only_whole_uploads(&app, &token, folder, &acked).await;
    node.kill_9();
}

/// Uploads `payload(i)` as `upload-<i>.bin` into `folder` through `base_url`, its body sent in
/// small, slow pieces so that many uploads are mid-body when a node dies. Answers `(i, file id)`
/// once acknowledged, and counts it.
pub(crate) async fn slow_upload(
    base_url: String,
    token: String,
    folder: i64,
    i: usize,
    acknowledged: Arc<AtomicUsize>,
) -> Option<(usize, i64)> {
    let client = reqwest::Client::new();
    let name = format!("upload-{i:02}.bin");
    let presign: Value = client
        .post(format!("{base_url}/api/v2/file/upload_v2"))
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
}

/// Every acknowledged upload is there intact, and whatever else `folder` shows is complete too
/// (uploads that committed just before a kill took their answer away); counters match.
pub(crate) async fn assert_only_whole_uploads(app: &TestApp, token: &str, folder: i64, acked: &[(usize, i64)]) {
    for (i, id) in acked {
        assert_eq!(
            app.download(token, *id).await,
            payload(*i),
            "acknowledged upload {i} is intact"
        );
    }
    let listing = app
        .get_ok(&format!("/api/v2/folder/{folder}/children?page_capacity=100"), token)
        .await;
    let files = listing["files"].as_array().unwrap();
    assert!(files.len() >= acked.len());
    for file in files {
        let name = file["name"].as_str().unwrap();
        let i: usize = name["upload-".len().."upload-".len() + 2].parse().unwrap();
        let bytes = app.download(token, file["id"].as_i64().unwrap()).await;
        assert_eq!(bytes, payload(i), "{name} is complete");
        assert_eq!(file["size"], payload(i).len());
    }
    let info = app.get_ok(&format!("/api/v2/folder/{folder}/info"), token).await;
    assert_eq!(info["item_count"], files.len(), "counters match what is there");
    let total: usize = files.iter().map(|file| file["size"].as_u64().unwrap() as usize).sum();
    assert_eq!(info["size"], total);
}

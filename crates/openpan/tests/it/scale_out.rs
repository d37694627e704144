//! What running several nodes takes, beyond the whole suite passing through a balancer
//! (`OPENPAN_TEST_NODES=2`): nodes starting together, and answers that reach the client
//! whole when a node refuses a body it has not read.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use openpan::app::Server;
use openpan::config::Config;
use openpan_core::clock::SystemClock;

use crate::harness::{TestApp, test_database};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_on_an_empty_database_migrate_it_once_and_all_serve() {
    let shared = tempfile::tempdir().unwrap();
    let database = test_database().await;
    let database_url = match &database {
        Some((url, _)) => url.clone(),
        None => format!("sqlite://{}?mode=rwc", shared.path().join("openpan.db").display()),
    };
    let key = openpan_core::secrets::random_hex(32);
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let builds = dirs.iter().map(|dir| {
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".to_owned(),
            database_url: Some(database_url.clone()),
            database_max_connections: 2,
            secret_key: Some(key.clone()),
            storage_dir: Some(shared.path().join("blobs")),
            ..Config::default()
        };
        async move { Server::build(&config, Arc::new(SystemClock)).await }
    });
    let servers = futures_util::future::join_all(builds).await;
    let mut answered = Vec::new();
    for server in servers {
        let server = server.expect("every node starts");
        let url = server.public_url.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        let ready = reqwest::get(format!("{url}/readyz")).await.unwrap();
        answered.push((ready.status().as_u16(), stop));
    }
    assert!(answered.iter().all(|(status, _)| *status == 200));
    // Every migration ran, each once.
    let applied: i64 = match &database {
        Some((url, _)) => {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar("select count(*) from _sqlx_migrations")
                .fetch_one(&mut connection)
                .await
                .unwrap()
        }
        None => {
            use sqlx::Connection;
            let mut connection = sqlx::SqliteConnection::connect(&database_url).await.unwrap();
            sqlx::query_scalar("select count(*) from _sqlx_migrations")
                .fetch_one(&mut connection)
                .await
                .unwrap()
        }
    };
    let dialect = if database.is_some() { "postgres" } else { "sqlite" };
    let files = std::fs::read_dir(format!(
        "{}/../openpan-db/migrations/{dialect}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count();
    assert_eq!(applied, files as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_is_answered_whole_while_its_body_is_still_arriving() {
    let app = TestApp::spawn().await;
    // An upload URL that was never issued: refused before a byte of the body is read.
    let body = vec![b'x'; 6 << 20];
    let head = format!(
        "POST /upload/nonexistent/00000000000000000000000000000000 HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        app.listening,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(app.listening).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // The node reads and drops the rest rather than resetting the connection under it, which
    // is what lets a balancer streaming the body pass the answer on.
    stream
        .write_all(&body)
        .await
        .expect("the node reads the refused body instead of resetting the connection");
    let mut answer = vec![0u8; 4096];
    let read = stream.read(&mut answer).await.expect("the answer arrives");
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(answer.contains("\"errors\""), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_one_node_behind_the_balancer_loses_no_acknowledged_upload_or_event_and_the_other_serves_on() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use crate::crash::{assert_only_whole_uploads, slow_upload, start_node_with};
    use crate::events::{assert_each_delivered_in_order_repeating_at_most_one, logged_since};
    use crate::harness::{Balancer, HttpSink, balancer_port};

    // A busy receiver, so a node dies with deliveries ahead of it.
    let hook = HttpSink::start_slow(Duration::from_millis(60), |_, _| (200, String::new())).await;
    // This process's own nodes only record events; the two `openpan serve` nodes deliver.
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 600_000).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.admin_user_token().await;
    app.hook_to(&admin, &hook.url).await;
    let start = app.get_ok("/api/v2/admin/events?cursor=now", &admin).await["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let folder = app.mkdir(&token, 0, "kill-9").await["id"].as_i64().unwrap();

    let port = balancer_port();
    let balanced = format!("http://127.0.0.1:{port}");
    let settings = [
        ("OPENPAN_PUBLIC_URL", balanced.as_str()),
        ("OPENPAN_TRUSTED_PROXIES", "127.0.0.1"),
        ("OPENPAN_NOTICE_ALLOW_INTERNAL", "true"),
        ("OPENPAN_NOTICE_POLL_MS", "100"),
    ];
    let (mut doomed, doomed_url) = tokio::task::block_in_place(|| start_node_with(&app, &settings));
    let (mut survivor, survivor_url) = tokio::task::block_in_place(|| start_node_with(&app, &settings));
    let address = |url: &str| url.trim_start_matches("http://").parse().unwrap();
    let _balancer = Balancer::start(port, &[address(&doomed_url), address(&survivor_url)]);

    // Changes (each an event to deliver), then uploads, through the balancer.
    let client = reqwest::Client::new();
    for i in 0..30 {
        let created = client
            .post(format!("{balanced}/api/v2/folder/create"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": format!("f{i}"), "parent_id": 0}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 200, "folder {i}");
    }
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let start_uploads = |numbers: std::ops::Range<usize>| -> Vec<_> {
        numbers
            .map(|i| {
                tokio::spawn(slow_upload(
                    balanced.clone(),
                    token.clone(),
                    folder,
                    i,
                    acknowledged.clone(),
                ))
            })
            .collect()
    };
    let uploads = start_uploads(0..40);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while (acknowledged.load(Ordering::SeqCst) < 8 || hook.received().len() < 5)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    doomed.kill_9();
    let delivered_at_kill = hook.received().len();
    let mut acked = Vec::new();
    for upload in uploads {
        if let Some(done) = upload.await.unwrap() {
            acked.push(done);
        }
    }
    assert!(acked.len() >= 8, "uploads were acknowledged before the kill");
    assert!(acked.len() < 40, "the kill interrupted uploads in flight");

    // The balancer sends everything to the node that is left.
    let after = start_uploads(40..46);
    for upload in after {
        acked.push(
            upload
                .await
                .unwrap()
                .expect("an upload after the kill is answered by the other node"),
        );
    }
    assert_only_whole_uploads(&app, &token, folder, &acked).await;

    // Every event reaches the receiver once, in order; the one in flight at the kill (sent, its
    // answer not yet recorded) may come again once the dead node's lease lapses.
    let logged = logged_since(&app, &admin, &start).await;
    assert!(
        delivered_at_kill < logged.len(),
        "deliveries were under way at the kill"
    );
    assert_each_delivered_in_order_repeating_at_most_one(&hook, &logged).await;
    survivor.kill_9();
}

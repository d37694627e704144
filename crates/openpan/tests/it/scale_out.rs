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

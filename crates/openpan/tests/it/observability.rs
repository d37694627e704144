//! What operators watch: each node's `/metrics` (blob store latency, database pools, the
//! background jobs' queues) and its JSON log lines.

use std::io::BufRead;

use serde_json::{Value, json};

use crate::harness::{TestApp, openpan_command};

async fn scrape(node: &TestApp) -> String {
    node.client
        .get(format!("{}/metrics", node.node_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of the sample `series` (name and labels, as the text format writes them).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_show_blob_store_latency_database_pools_and_the_work_waiting_for_jobs() {
    let app = TestApp::spawn().await;
    // One node of its own, with upload and download URLs naming it rather than a balancer, so
    // every request below is counted where it is scraped.
    let node = app.spawn_peer(|config| config.public_url = None).await;
    let metrics = scrape(&node).await;
    let pools: Vec<&str> = if node.config.database_url().starts_with("sqlite:") {
        vec!["reader", "writer"]
    } else {
        vec!["main"]
    };
    for pool in &pools {
        let max = sample(
            &metrics,
            &format!("openpan_db_connections{{pool=\"{pool}\",state=\"max\"}}"),
        );
        assert!(max.is_some_and(|max| max >= 1.0), "{pool}: {metrics}");
        let open = sample(
            &metrics,
            &format!("openpan_db_connections{{pool=\"{pool}\",state=\"open\"}}"),
        )
        .unwrap();
        let idle = sample(
            &metrics,
            &format!("openpan_db_connections{{pool=\"{pool}\",state=\"idle\"}}"),
        )
        .unwrap();
        assert!(idle <= open && open <= max.unwrap(), "{pool}: {metrics}");
    }
    let unreferenced = "openpan_job_queue_depth{queue=\"unreferenced_blobs\"}";
    assert_eq!(sample(&metrics, unreferenced), Some(0.0), "{metrics}");
    for queue in ["notices", "webhook_events", "knowledge_training"] {
        let series = format!("openpan_job_queue_depth{{queue=\"{queue}\"}}");
        assert!(sample(&metrics, &series).is_some(), "{series}: {metrics}");
    }

    let token = node.admin_user_token().await;
    let file = node
        .upload(&token, 0, "measured.txt", b"timed on its way in and out")
        .await;
    let id = file["id"].as_i64().unwrap();
    assert_eq!(node.download(&token, id).await, b"timed on its way in and out");
    let metrics = scrape(&node).await;
    let puts = "openpan_blob_operation_duration_seconds_count{op=\"put\",outcome=\"ok\"}";
    assert_eq!(sample(&metrics, puts), Some(1.0), "{metrics}");
    let gets = "openpan_blob_operation_duration_seconds_count{op=\"get\",outcome=\"ok\"}";
    assert_eq!(sample(&metrics, gets), Some(1.0), "{metrics}");

    // A client that stops sending halfway is not the store failing: an alert on store errors
    // must stay quiet.
    let url = node
        .post_ok(
            "/api/v2/file/upload",
            &token,
            &json!({"parent_id": 0, "name": "cut.bin", "upload_type": "api"}),
        )
        .await["presign_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let whole = crate::harness::multipart_body("cut", "cut.bin", &[7u8; 64 * 1024]);
    let cut = node
        .client
        .post(&url)
        .header("Content-Type", "multipart/form-data; boundary=cut")
        .body(whole[..40 * 1024].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(cut.status(), 400);
    let metrics = scrape(&node).await;
    let aborted = "openpan_blob_operation_duration_seconds_count{op=\"put\",outcome=\"aborted\"}";
    assert_eq!(sample(&metrics, aborted), Some(1.0), "{metrics}");
    let failed = "openpan_blob_operation_duration_seconds_count{op=\"put\",outcome=\"error\"}";
    assert_eq!(sample(&metrics, failed), None, "{metrics}");

    // Deleted for good, the content waits for the collector.
    node.post_ok(&format!("/api/v2/file/{id}/delete"), &token, &json!({}))
        .await;
    node.post_ok(&format!("/api/v2/file/{id}/delete_from_trash"), &token, &json!({}))
        .await;
    // Gauges are read at most every few seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let metrics = loop {
        let metrics = scrape(&node).await;
        if sample(&metrics, unreferenced) == Some(1.0) || std::time::Instant::now() > deadline {
            break metrics;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert_eq!(sample(&metrics, unreferenced), Some(1.0), "{metrics}");

    // The example dashboard asks only for series a node serves.
    let dashboard: Value =
        serde_json::from_str(include_str!("../../../../deploy/grafana/openpan-dashboard.json")).unwrap();
    let mut asked = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for (at, _) in expr.match_indices("openpan_") {
                let name: String = expr[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    metrics.lines().any(|line| line.starts_with(&format!("{name}{{"))),
                    "the dashboard's {name} is not served: {metrics}"
                );
                asked += 1;
            }
        }
    }
    assert!(asked >= 10, "the dashboard's queries were read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_give_each_request_its_id_and_route_and_never_the_secrets_in_transfer_urls() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut command = openpan_command(&app);
    command
        .env("OPENPAN_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stderr(logs.reopen().unwrap());
    let (node, url) = tokio::task::block_in_place(|| crate::crash::serve(command));

    let client = reqwest::Client::new();
    let listed = client
        .get(format!("{url}/api/v2/folder/0/children"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let listing_id = listed.headers()["x-request-id"].to_str().unwrap().to_owned();
    let presign: Value = client
        .post(format!("{url}/api/v2/file/upload_v2"))
        .bearer_auth(&token)
        .json(&json!({"parent_id": 0, "name": "logged.txt", "upload_type": "api"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let presign_url = presign["presign_url"].as_str().unwrap().to_owned();
    let uploaded = app.send_bytes(&presign_url, b"bytes").await;
    assert_eq!(uploaded.status(), 200);
    let upload_id = uploaded.headers()["x-request-id"].to_str().unwrap().to_owned();
    drop(node);

    let lines: Vec<Value> = std::io::BufReader::new(logs.reopen().unwrap())
        .lines()
        .map(|line| {
            let line = line.unwrap();
            serde_json::from_str(&line).unwrap_or_else(|err| panic!("not a JSON line ({err}): {line}"))
        })
        .collect();
    let answered = |id: &str| {
        lines
            .iter()
            .find(|line| line["target"] == "openpan::access" && line["request_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no access line for {id}: {lines:?}"))
    };
    let listing = answered(&listing_id);
    assert_eq!(listing["method"], "GET");
    assert_eq!(listing["route"], "/api/v2/folder/{id}/children", "{listing}");
    assert_eq!(listing["status"], 200);
    assert!(listing["duration_ms"].as_f64().is_some(), "{listing}");
    let upload = answered(&upload_id);
    assert_eq!(upload["route"], "/upload/{upload_id}/{secret}", "{upload}");
    let secret = presign_url.rsplit('/').next().unwrap();
    let all = lines.iter().map(Value::to_string).collect::<String>();
    assert!(!all.contains(secret), "an upload URL's secret reached the log");
    assert!(!all.contains(&token), "a token reached the log");
}

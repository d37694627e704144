//! The `openpan` binary: first start, the admin commands beside a running server, and
//! configuration errors.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, downloaded_from, names_of};

fn openpan(app: &TestApp) -> Command {
    crate::harness::openpan_command(app)
}

fn json_line(command: &mut Command) -> Value {
    let output = command.output().expect("openpan runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "openpan failed: {}{}",
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {stdout}");
    serde_json::from_str(lines[0]).expect("JSON line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_work_beside_the_running_server() {
    let app = TestApp::spawn().await;
    let enterprise = json_line(openpan(&app).args([
        "admin",
        "create-enterprise",
        "--name",
        "Initech",
        "--admin-name",
        "Bill",
        "--admin-email",
        "bill@initech.test",
        "--json",
    ]));
    let enterprise_id = enterprise["enterprise_id"].as_i64().expect("numeric enterprise_id");
    assert!(enterprise["admin_user_id"].as_i64().is_some());
    assert!(enterprise["short_name"].as_str().unwrap().starts_with("initech-"));
    let user = json_line(openpan(&app).args([
        "admin",
        "create-user",
        "--enterprise-id",
        &enterprise_id.to_string(),
        "--name",
        "Peter",
        "--email",
        "peter@initech.test",
        "--json",
    ]));
    let user_id = user["user_id"].as_i64().expect("numeric user_id");
    let created_app = json_line(openpan(&app).args([
        "admin",
        "create-app",
        "--enterprise-id",
        &enterprise_id.to_string(),
        "--name",
        "TPS reports",
        "--json",
    ]));
    let tenant = Tenant {
        enterprise_id,
        admin_user_id: enterprise["admin_user_id"].as_i64().unwrap(),
        app_id: created_app["app_id"].as_i64().expect("numeric app_id"),
        client_id: created_app["client_id"].as_str().unwrap().to_owned(),
        client_secret: created_app["client_secret"].as_str().unwrap().to_owned(),
    };
    // The running server sees what the CLI wrote, and the new credentials work on it.
    let token = app.user_token(&tenant, user_id).await;
    let root: Value = app.get("/api/v2/folder/0/info", &token).await.json().await.unwrap();
    assert_eq!(root["owned_by"]["id"], user_id);
    let disabled =
        json_line(openpan(&app).args(["admin", "disable-app", "--app-id", &tenant.app_id.to_string(), "--json"]));
    assert_eq!(disabled, json!({"app_id": tenant.app_id, "status": "disabled"}));
    // Another process revoked it: the server notices within its revocation poll (100 ms).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let status = app.get("/api/v2/folder/0/info", &token).await.status();
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the CLI's revocation never reached the server"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_reject_bad_input_naming_the_option() {
    let app = TestApp::spawn().await;
    let output = openpan(&app)
        .args([
            "admin",
            "create-user",
            "--enterprise-id",
            &app.tenant.enterprise_id.to_string(),
            "--name",
            "X",
            "--email",
            "not-an-email",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--email"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = openpan(&app)
        .args(["admin", "create-app", "--enterprise-id", "999999", "--name", "X"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("Enterprise not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_fails_at_start_naming_the_setting() {
    let app = TestApp::spawn().await;
    for (name, value, expected) in [
        ("OPENPAN_LISTEN", "not-an-address", "listen"),
        ("OPENPAN_DATABASE_URL", "mysql://localhost/x", "database_url"),
        ("OPENPAN_PUBLIC_URL", "ftp://example.com", "public_url"),
        ("OPENPAN_MAX_BODY_BYTES", "lots", "max_body_bytes"),
        ("OPENPAN_RATE_LIMIT__DEFAULT__PER_APP", "0", "rate_limit.default"),
    ] {
        let output = openpan(&app).env(name, value).args(["serve"]).output().unwrap();
        assert!(!output.status.success(), "{name}={value} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{name}={value}: {stderr}");
        assert_eq!(
            stderr.lines().filter(|line| line.starts_with("error")).count(),
            1,
            "{stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_bootstraps_and_prints_how_to_log_in() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_openpan"))
        .arg("serve")
        .env("OPENPAN_DATA_DIR", data_dir.path())
        .env("OPENPAN_LISTEN", "127.0.0.1:0")
        .env_remove("OPENPAN_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = Vec::new();
    let mut url = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("openpan is serving at ") {
            url = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
        printed.push(line);
    }
    let url = url.expect("the server says where it serves");
    let field = |label: &str| {
        printed
            .iter()
            .find_map(|line| line.trim().strip_prefix(label))
            .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
    };
    let client_id = field("app client_id:").expect("client_id printed");
    let client_secret = field("app client_secret:").expect("client_secret printed");
    assert!(
        printed.iter().any(|line| line
            .trim()
            .starts_with(&format!("openpan login --server {url} --client-id "))),
        "how to sign in from a terminal: {printed:?}"
    );
    assert!(field("administrator password:").is_some());
    let client = reqwest::Client::new();
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    let now = openpan_core::clock::Clock::now(&openpan_core::clock::SystemClock);
    let claims =
        json!({"yifangyun_sub_type": "enterprise", "sub": 1, "iat": now, "exp": now + 60, "jti": "first-start"});
    use base64::Engine;
    let assertion = base64::engine::general_purpose::STANDARD.encode(claims.to_string());
    let response = client
        .post(format!("{url}/oauth/token?grant_type=jwt_simple&assertion={assertion}"))
        .basic_auth(&client_id, Some(&client_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let _ = child.kill();
    let _ = child.wait();
    // A second start on the same data prints no new secrets.
    let output = Command::new(env!("CARGO_BIN_EXE_openpan"))
        .args([
            "admin",
            "create-app",
            "--enterprise-id",
            "1",
            "--name",
            "Second",
            "--json",
        ])
        .env("OPENPAN_DATA_DIR", data_dir.path())
        .env_remove("OPENPAN_DATABASE_URL")
        .output()
        .unwrap();
    assert!(output.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_allow_account_sync_and_delete_users_handing_their_files_over() {
    let app = TestApp::spawn().await;
    let enterprise = app.tenant.enterprise_id.to_string();
    let admin = app.enterprise_token(&app.tenant).await;
    let sync = json!({"departments": [{"custom_id": "D1", "name": "研发"}]});
    let refused = app
        .post("/api/v2/admin/platform/2/sync_departments", &admin, &sync)
        .await;
    assert_eq!(refused.status(), 400);
    let enabled = json_line(openpan(&app).args([
        "admin",
        "set-account-sync",
        "--enterprise-id",
        &enterprise,
        "--enabled",
        "true",
        "--json",
    ]));
    assert_eq!(enabled["account_sync_enabled"], true);
    // The operator's change is on the enterprise's audit log, as the command line's.
    let today = crate::audit::today(&app);
    let log = app
        .post_ok(
            "/api/v2/admin/log/log_info",
            &admin,
            &json!({"start_date": today, "end_date": today, "action_types": [900]}),
        )
        .await;
    assert_eq!(log["total_count"], 1, "{log}");
    assert_eq!(log["user_activities"][0]["platform"]["service_name"], "命令行");
    assert_eq!(
        log["user_activities"][0]["additional_info"]["account_sync_enabled"],
        true
    );
    let synced = app
        .post_ok("/api/v2/admin/platform/2/sync_departments", &admin, &sync)
        .await;
    assert_eq!(synced["success_items_count"], 1);

    let leaver = app.create_user(&app.tenant, "Leaver", "leaver@acme.test").await;
    let token = app.user_token(&app.tenant, leaver).await;
    app.upload(&token, 0, "notes.txt", b"kept").await;
    let deleted = json_line(openpan(&app).args([
        "admin",
        "delete-user",
        "--user-id",
        &leaver.to_string(),
        "--receiver-id",
        &app.tenant.admin_user_id.to_string(),
        "--json",
    ]));
    assert_eq!(deleted["deleted"], true);
    let heir = app.admin_user_token().await;
    let root = app.get_ok("/api/v2/folder/0/children", &heir).await;
    let handed = root["folders"][0]["id"].as_i64().unwrap();
    assert_eq!(root["folders"][0]["name"], "Leaver的文件");
    let inside = app.get_ok(&format!("/api/v2/folder/{handed}/children"), &heir).await;
    assert_eq!(inside["files"][0]["name"], "notes.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_issue_and_revoke_user_access_tokens_for_the_auth_service() {
    let app = TestApp::spawn().await;
    let user_id = app.tenant.admin_user_id.to_string();
    let issued = json_line(openpan(&app).args(["admin", "create-user-token", "--user-id", &user_id, "--json"]));
    assert_eq!(issued["expires_in"], 90 * 24 * 3600);
    let token = issued["access_token"].as_str().expect("access_token").to_owned();
    let client = crate::auth_service::Client::of(&app, &app.tenant);
    let code = client.authorize(&token).await;
    assert_eq!(code.len(), 40);

    let revoked = json_line(openpan(&app).args(["admin", "revoke-user-tokens", "--user-id", &user_id, "--json"]));
    assert_eq!(revoked["revoked"], 1);
    let after = client
        .get("authService/authorize/json", &[("access_token", Some(&token))])
        .await;
    crate::auth_service::expect_code(after, 401, 401).await;
    // The auth code issued on the token went with it.
    let info = client
        .get(
            "userService/getUserInfo/json",
            &[("access_token", Some(&token)), ("auth_code", Some(&code))],
        )
        .await;
    crate::auth_service::expect_code(info, 401, 401).await;

    let unknown = openpan(&app)
        .args(["admin", "create-user-token", "--user-id", "999999"])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
}

/// Runs `admin fsck --json` with `args`; answers whether it exited 0, and its report.
fn fsck(app: &TestApp, args: &[&str]) -> (bool, Value) {
    let output = openpan(app)
        .args(["admin", "fsck", "--json"])
        .args(args)
        // Orphans of any age count, so the test's fresh ones do.
        .env("OPENPAN_BLOB_GRACE_SECS", "0")
        .output()
        .expect("openpan runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("a JSON report: {stdout}{}", String::from_utf8_lossy(&output.stderr)));
    (output.status.success(), report)
}

fn keys(entries: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["storage_key"].as_str().unwrap())
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fsck_names_missing_damaged_and_orphaned_blobs_and_repairs_orphans_and_reference_counts() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let mut files = std::collections::HashMap::new();
    for (name, bytes) in [
        ("intact.txt", &b"left alone"[..]),
        ("lost.txt", b"its blob will vanish"),
        ("cut.txt", b"its blob will be cut short"),
        ("swapped.txt", b"same size, other bytes"),
    ] {
        let id = app.upload(&token, 0, name, bytes).await["id"].as_i64().unwrap();
        let key = app
            .sql_text(&format!(
                "select b.storage_key from content_blob b join file_version v on v.blob_id = b.blob_id \
                 where v.file_id = {id}"
            ))
            .await;
        files.insert(name, (id, key));
    }
    let (clean, report) = tokio::task::block_in_place(|| fsck(&app, &["--verify-hashes"]));
    assert!(clean, "{report}");
    assert_eq!(report["status"], "ok");
    assert_eq!(report["content_blobs"], 4, "{report}");
    assert_eq!(report["objects"], 4, "{report}");

    // Damage the store the drive uses, and one count in the database.
    let store = openpan::app::open_blob_store(&app.config).await.unwrap();
    let put = |key: String, bytes: &'static [u8]| {
        let store = store.clone();
        async move {
            let body: openpan_core::blob::ByteStream =
                Box::pin(futures_util::stream::iter([Ok(bytes::Bytes::from_static(bytes))]));
            store.put(&key, body).await.unwrap();
        }
    };
    store.delete(&files["lost.txt"].1).await.unwrap();
    put(files["cut.txt"].1.clone(), b"its blob").await;
    put(files["swapped.txt"].1.clone(), b"SAME SIZE, OTHER BYTES").await;
    let orphan = openpan_core::secrets::random_hex(16);
    put(orphan.clone(), b"recorded by nothing").await;
    app.sql(&format!(
        "update content_blob set ref_count = ref_count + 2 where storage_key = '{}'",
        files["intact.txt"].1
    ))
    .await;

    let (clean, report) = tokio::task::block_in_place(|| fsck(&app, &["--verify-hashes"]));
    assert!(!clean, "problems exit non-zero");
    assert_eq!(report["status"], "problems");
    assert_eq!(keys(&report["missing"]), [files["lost.txt"].1.as_str()]);
    assert_eq!(report["missing"][0]["file_ids"], json!([files["lost.txt"].0]));
    assert_eq!(keys(&report["wrong_size"]), [files["cut.txt"].1.as_str()]);
    assert_eq!(report["wrong_size"][0]["found_size"], 8);
    assert_eq!(keys(&report["wrong_hash"]), [files["swapped.txt"].1.as_str()]);
    assert_eq!(keys(&report["orphans"]), [orphan.as_str()]);
    assert_eq!(report["orphans"][0]["removed"], false, "looking changes nothing");
    let intact_blob = app
        .sql_i64(&format!(
            "select blob_id from content_blob where storage_key = '{}'",
            files["intact.txt"].1
        ))
        .await;
    assert_eq!(
        report["reference_counts"],
        json!([{"blob_id": intact_blob, "recorded": 3, "actual": 1, "fixed": false}])
    );
    // A same-size swap shows only when the bytes are read.
    let (_, quick) = tokio::task::block_in_place(|| fsck(&app, &[]));
    assert_eq!(quick["wrong_hash"], json!([]));

    let (clean, repaired) = tokio::task::block_in_place(|| fsck(&app, &["--repair"]));
    assert!(!clean, "lost bytes stay lost: only a backup brings them back");
    assert_eq!(repaired["orphans"][0]["removed"], true);
    assert_eq!(repaired["reference_counts"][0]["fixed"], true);
    assert!(matches!(
        store.get(&orphan, None).await,
        Err(openpan_core::blob::BlobError::NotFound)
    ));
    let (_, after) = tokio::task::block_in_place(|| fsck(&app, &[]));
    assert_eq!(after["orphans"], json!([]));
    assert_eq!(after["reference_counts"], json!([]));
    assert_eq!(keys(&after["missing"]), [files["lost.txt"].1.as_str()]);
    assert_eq!(app.download(&token, files["intact.txt"].0).await, b"left alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_into_a_new_database_where_files_and_tokens_work() {
    let app = TestApp::spawn().await;
    // Into the engine the backup came from.
    let database = crate::harness::test_database().await;
    backup_restores_into(&app, database).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_the_embedded_default_restores_into_postgresql_for_scaling_out() {
    let postgres = std::env::var("OPENPAN_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"));
    if !postgres {
        eprintln!("skipped: OPENPAN_TEST_DATABASE_URL names no PostgreSQL");
        return;
    }
    // The embedded default's SQLite, whatever the run's other nodes use.
    let app = TestApp::spawn_with(|config| config.database_url = None).await;
    assert!(app.config.database_url().starts_with("sqlite:"));
    backup_restores_into(&app, crate::harness::test_database().await).await;
}

/// Backs `app` up while it serves, restores into `database` (SQLite in a new data dir when
/// `None`) and a new store, and checks a node there serves the backup's files and tokens.
async fn backup_restores_into(app: &TestApp, database: Option<(String, std::sync::Arc<crate::harness::TestDatabase>)>) {
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "合同").await["id"].as_i64().unwrap();
    let kept = app.upload(&token, folder, "a.txt", b"backed up").await["id"]
        .as_i64()
        .unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let large = app.upload(&token, 0, "b.bin", &big).await["id"].as_i64().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("nightly");
    let made = tokio::task::block_in_place(|| {
        json_line(
            openpan(app)
                .args(["admin", "backup", "--blobs", "--json", "--to"])
                .arg(&dir),
        )
    });
    assert_eq!(made["blobs"], 2, "{made}");
    assert_eq!(made["blobs_copied"], 2);
    assert_eq!(made["blobs_missing"], 0);
    assert!(made["rows"].as_u64().unwrap() > 10);
    assert_eq!(made["complete"], true);
    {
        use std::os::unix::fs::PermissionsExt;
        for private in [
            dir.clone(),
            dir.join("tables/user_account.jsonl"),
            dir.join("secret.key"),
        ] {
            let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} is its owner's alone", private.display());
        }
    }
    let refused = tokio::task::block_in_place(|| {
        openpan(app)
            .args(["admin", "backup", "--to"])
            .arg(&dir)
            .output()
            .unwrap()
    });
    assert!(!refused.status.success(), "a backup never writes over another");
    // After the snapshot: not in the backup.
    app.upload(&token, 0, "later.txt", b"after the backup").await;

    // A new server: its own data dir, database and blob store.
    let target = tempfile::tempdir().unwrap();
    let bucket_prefix = format!("restored-{}", openpan_core::secrets::random_hex(8));
    let on_target = || {
        let mut command = openpan(app);
        command
            .env("OPENPAN_DATA_DIR", target.path())
            .env_remove("OPENPAN_STORAGE_DIR");
        match &database {
            Some((url, _)) => command.env("OPENPAN_DATABASE_URL", url),
            None => command.env_remove("OPENPAN_DATABASE_URL"),
        };
        if app.config.storage.starts_with("s3://") {
            let bucket = app
                .config
                .storage
                .trim_start_matches("s3://")
                .split('/')
                .next()
                .unwrap();
            command.env("OPENPAN_STORAGE", format!("s3://{bucket}/{bucket_prefix}"));
        }
        command
    };
    let mut restore = on_target();
    restore.args(["admin", "restore", "--json", "--from"]).arg(&dir);
    let restored = tokio::task::block_in_place(|| json_line(&mut restore));
    assert_eq!(restored["blobs_copied"], 2, "{restored}");
    assert_eq!(restored["blobs_missing"], 0);
    assert_eq!(restored["rows"], made["rows"]);

    let (_node, url) = tokio::task::block_in_place(|| crate::crash::serve(on_target()));
    let client = reqwest::Client::new();
    let get = |path: String| client.get(format!("{url}{path}")).bearer_auth(&token).send();
    let listing: Value = get("/api/v2/folder/0/children".to_owned())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        names_of(&listing, "files"),
        ["b.bin"],
        "the backup's files, with the same token: {listing}"
    );
    for (id, bytes) in [(kept, &b"backed up"[..]), (large, &big[..])] {
        assert_eq!(
            downloaded_from(&url, &token, id).await,
            bytes,
            "file {id} restored byte for byte"
        );
    }
    // New rows take new ids, after the restored ones.
    let created: Value = client
        .post(format!("{url}/api/v2/folder/create"))
        .bearer_auth(&token)
        .json(&json!({"name": "新的", "parent_id": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(created["id"].as_i64().unwrap() > large, "{created}");

    let mut again = on_target();
    again.args(["admin", "restore", "--from"]).arg(&dir);
    let again = tokio::task::block_in_place(|| again.output().unwrap());
    assert!(!again.status.success(), "a restore never lands on data");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_storage_copies_every_blob_checked_and_a_second_run_copies_only_what_is_new() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let first = app.upload(&token, 0, "first.txt", b"moves to the new store").await["id"]
        .as_i64()
        .unwrap();
    let target = tempfile::tempdir().unwrap();
    let migrate = || {
        let mut command = openpan(&app);
        command
            .args(["admin", "migrate-storage", "--json", "--to", "local", "--to-dir"])
            .arg(target.path());
        command
    };
    let moved = tokio::task::block_in_place(|| json_line(&mut migrate()));
    assert_eq!(moved["blobs"], 1, "{moved}");
    assert_eq!(moved["blobs_copied"], 1);
    // Written while the nodes still serve from the old store: the next run takes it along.
    let second = app.upload(&token, 0, "second.txt", b"written meanwhile").await["id"]
        .as_i64()
        .unwrap();
    let again = tokio::task::block_in_place(|| json_line(&mut migrate()));
    assert_eq!(again["blobs"], 2, "{again}");
    assert_eq!(again["blobs_copied"], 1, "only what is new");

    // A node pointed at the new store serves the files.
    let mut serve = openpan(&app);
    serve
        .env("OPENPAN_STORAGE", "local")
        .env("OPENPAN_STORAGE_DIR", target.path());
    let (_node, url) = tokio::task::block_in_place(|| crate::crash::serve(serve));
    for (id, bytes) in [(first, &b"moves to the new store"[..]), (second, b"written meanwhile")] {
        assert_eq!(
            downloaded_from(&url, &token, id).await,
            bytes,
            "file {id} from the new store"
        );
    }
    let same = tokio::task::block_in_place(|| {
        let mut command = openpan(&app);
        command.args(["admin", "migrate-storage", "--to", "local"]);
        command.output().unwrap()
    });
    let in_use = app.config.storage.is_empty() || app.config.storage == "local";
    assert_eq!(!same.status.success(), in_use, "the store in use is no target");
}

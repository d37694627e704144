//! openpan's pages in a real browser: Debian's Chromium, driven by Playwright from the
//! scripts in `browser/` (installed by `npm ci --prefix browser`; `.ci/run` does both).

use std::path::PathBuf;
use std::process::Command;

use crate::harness::TestApp;

/// Runs `browser/{script}` against `app` with `env`; what it printed on success.
pub fn run_script(app: &TestApp, script: &str, env: &[(&str, String)]) -> String {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../browser"));
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "the browser tests need Playwright: run `npm ci --prefix browser` (and install chromium)"
    );
    let mut command = Command::new("node");
    command
        .arg(dir.join(script))
        .current_dir(&dir)
        .env("OPENPAN_URL", &app.url);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::task::block_in_place(|| command.output()).expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_lists_every_operation_and_tries_one_with_a_token() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let printed = run_script(
        &app,
        "docs.mjs",
        &[
            ("OPENPAN_TOKEN", token),
            ("OPENPAN_USER_ID", app.tenant.admin_user_id.to_string()),
        ],
    );
    let result: serde_json::Value = serde_json::from_str(printed.trim()).expect(&printed);
    assert_eq!(result["status"], "200");
    assert_eq!(result["user"], app.tenant.admin_user_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_makes_a_folder_uploads_a_document_and_previews_it_in_the_console() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("报告.docx");
    std::fs::write(&docx, crate::search::docx_with_text("第一季度 revenue grew")).unwrap();
    // Three parts of the console's 8 MiB, none alike.
    let big = dir.path().join("数据备份.bin");
    let big_bytes: Vec<u8> = (0..20_u32 * 1024 * 1024)
        .map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&big, &big_bytes).unwrap();
    // A folder larger than one page of the console.
    let owner = app.admin_user_token().await;
    let archive = app.mkdir(&owner, 0, "归档").await["id"].as_i64().unwrap();
    for volume in 1..=205 {
        app.mkdir(&owner, archive, &format!("卷 {volume:03}")).await;
    }
    let printed = run_script(
        &app,
        "console.mjs",
        &[
            ("OPENPAN_LOGIN", "admin@acme.test".to_owned()),
            ("OPENPAN_PASSWORD", "correct horse".to_owned()),
            ("OPENPAN_DOCX", docx.display().to_string()),
            ("OPENPAN_BIG", big.display().to_string()),
        ],
    );
    let result: serde_json::Value = serde_json::from_str(printed.trim()).expect(&printed);
    assert_eq!(
        result["serious"],
        serde_json::json!([]),
        "serious accessibility violations"
    );

    // What the page did is what the API shows.
    let token = app.admin_user_token().await;
    let root = app.get_ok("/api/v2/folder/0/children", &token).await;
    let folder = root["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|folder| folder["name"] == "季度报告")
        .expect("the folder made in the page");
    let inside = app
        .get_ok(&format!("/api/v2/folder/{}/children", folder["id"]), &token)
        .await;
    let files = inside["files"].as_array().unwrap();
    assert!(files.iter().any(|file| file["name"] == "报告.docx"), "{inside}");
    let resumed = files
        .iter()
        .find(|file| file["name"] == "数据备份.bin")
        .expect("the large file, resumed");
    let downloaded = app.download(&token, resumed["id"].as_i64().unwrap()).await;
    assert!(downloaded == big_bytes, "the resumed upload is the file, byte for byte");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integrators_page_embeds_the_picker_uploader_and_previewer_and_hears_what_they_did() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let guide = app
        .upload(
            &token,
            0,
            "报销说明.md",
            "# 报销说明\n\n发票请在月底前上传。".as_bytes(),
        )
        .await;
    // The demo site's address is registered with the app, so it may frame the components.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        &format!("/api/v2/admin/app/{}/update", app.tenant.app_id),
        &admin,
        &serde_json::json!({"redirect_uris": [format!("http://127.0.0.1:{port}/callback")]}),
    )
    .await;
    let printed = run_script(
        &app,
        "embed.mjs",
        &[
            ("OPENPAN_CLIENT_ID", app.tenant.client_id.clone()),
            ("OPENPAN_CLIENT_SECRET", app.tenant.client_secret.clone()),
            ("OPENPAN_USER", "admin@acme.test".to_owned()),
            ("DEMO_PORT", port.to_string()),
            ("OPENPAN_PICK", "报销说明.md".to_owned()),
        ],
    );
    let result: serde_json::Value = serde_json::from_str(printed.trim()).expect(&printed);
    assert_eq!(result["picked"], guide["id"], "the page heard the picked file's id");
    assert_eq!(
        result["serious"],
        serde_json::json!([]),
        "serious accessibility violations"
    );
    let uploaded = result["uploaded"]
        .as_i64()
        .expect("the page heard the uploaded file's id");
    let info = app.get_ok(&format!("/api/v2/file/{uploaded}/info"), &token).await;
    assert_eq!(info["name"], "发票.txt");
    assert_eq!(app.download(&token, uploaded).await, "发票 2026-11 ¥ 128.00".as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_runs_the_enterprise_from_the_console() {
    let hook = crate::harness::HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 50).await;
    let leaving = app.create_user(&app.tenant, "Zhao Min", "zhao@acme.test").await;
    let leavings = app.user_token(&app.tenant, leaving).await;
    app.upload(&leavings, 0, "周报.txt", "第47周".as_bytes()).await;
    let printed = run_script(
        &app,
        "admin.mjs",
        &[
            ("OPENPAN_LOGIN", "admin@acme.test".to_owned()),
            ("OPENPAN_PASSWORD", "correct horse".to_owned()),
            ("OPENPAN_HOOK", hook.url.clone()),
        ],
    );
    let result: serde_json::Value = serde_json::from_str(printed.trim()).expect(&printed);
    assert_eq!(
        result["serious"],
        serde_json::json!([]),
        "serious accessibility violations"
    );

    // What the pages did is what the API shows.
    let admin = app.enterprise_token(&app.tenant).await;
    let users = app.get_ok("/api/v2/admin/user/all?page_capacity=100", &admin).await;
    let wang = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["email"] == "wang@acme.test")
        .expect("the person added in the page");
    assert_eq!(wang["name"], "Wang Fang");
    assert_eq!(wang["space_total"], 10_i64 * 1024 * 1024 * 1024);
    let wangs = app.user_token(&app.tenant, wang["id"].as_i64().unwrap()).await;
    let root = app.get_ok("/api/v2/folder/0/children", &wangs).await;
    let handed = root["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|folder| folder["name"] == "Zhao Min的文件")
        .unwrap_or_else(|| panic!("Zhao Min's files handed to Wang: {root}"));
    let inside = app
        .get_ok(&format!("/api/v2/folder/{}/children", handed["id"]), &wangs)
        .await;
    assert_eq!(inside["files"][0]["name"], "周报.txt", "{inside}");
    let departments = app.get_ok("/api/v2/admin/department/0/children", &admin).await;
    let sales = departments["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|department| department["name"] == "Sales")
        .expect("the department made in the page");
    let sales = app
        .get_ok(&format!("/api/v2/admin/department/{}/info", sales["id"]), &admin)
        .await;
    assert_eq!(sales["director"]["id"], wang["id"], "{sales}");
    assert_eq!(sales["file_managers"][0]["id"], wang["id"], "{sales}");
    let groups = app.get_ok("/api/v2/admin/group/list?page_capacity=100", &admin).await;
    let project = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == "Project A")
        .expect("the group made in the page");
    let members = app
        .get_ok(&format!("/api/v2/admin/group/{}/users", project["id"]), &admin)
        .await;
    assert_eq!(members["users"][0]["id"], wang["id"]);
    let apps = app.get_ok("/api/v2/admin/app/list", &admin).await;
    let hr = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["name"] == "HR sync")
        .expect("the app registered in the page");
    assert_eq!(hr["client_id"], result["client_id"]);
    assert_eq!(hr["callback_url"], hook.url.as_str());
    assert_eq!(
        hr["redirect_uris"],
        serde_json::json!(["https://hr.example.test/callback"])
    );
    let sent: Vec<String> = hook
        .received()
        .iter()
        .map(|received| received.json()["event"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        sent.iter().filter(|event| *event == "group.created").count() >= 2,
        "delivered, then sent again: {sent:?}"
    );
}

//! The `openpan` binary as a person uses it: sign in with a code, list, upload (resuming), download,
//! share, renewed tokens kept, sign out.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::grants::{approve_device, cli_app};
use crate::harness::TestApp;
use crate::sdk::interrupted_upload;

fn openpan(client_file: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_openpan"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPENPAN_CLIENT_FILE", client_file)
        .env("RUST_LOG", "warn");
    command
}

fn succeeded(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "openpan failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `openpan login` as a person does it: read the code it prints, enter it in the browser.
async fn login(app: &TestApp, client_file: &Path) {
    let client_id = cli_app(app).await;
    let mut child = openpan(client_file)
        .args(["login", "--server", &app.url, "--client-id", &client_id])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (shown, rest) = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut shown = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let done = line.starts_with("(or open");
            shown.push(line);
            if done {
                break;
            }
        }
        (shown, lines)
    })
    .await
    .unwrap();
    let after = |prefix: &str| {
        shown
            .iter()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {shown:?}"))
            .trim_end_matches(')')
            .to_owned()
    };
    let started = json!({
        "verification_uri": after("To sign in, open "),
        "user_code": after("and enter the code "),
        "verification_uri_complete": after("(or open "),
    });
    approve_device(&started).await;
    let (status, tail) = tokio::task::spawn_blocking(move || {
        let tail: Vec<String> = rest.map(Result::unwrap).collect();
        (child.wait().unwrap(), tail)
    })
    .await
    .unwrap();
    assert!(status.success(), "{tail:?}");
    assert!(
        tail[0].starts_with(&format!("Signed in to {} as ", app.url)),
        "{tail:?}"
    );
}

fn saved(client_file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(client_file).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_with_a_code_and_moves_files_from_the_terminal() {
    let app = TestApp::spawn().await;
    let home = tempfile::tempdir().unwrap();
    let client_file = home.path().join("client.json");
    login(&app, &client_file).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&client_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "tokens are the person's alone");
    }
    let me: Value = serde_json::from_str(&succeeded(
        openpan(&client_file).args(["whoami", "--json"]).output().unwrap(),
    ))
    .unwrap();
    assert_eq!(me["id"], app.tenant.admin_user_id);

    let local = home.path().join("report.bin");
    let bytes: Vec<u8> = (0..(5 << 19) + 3).map(|i| (i % 253) as u8).collect();
    std::fs::write(&local, &bytes).unwrap();
    app.mkdir(&app.admin_user_token().await, 0, "Reports").await;
    let uploaded = succeeded(
        openpan(&client_file)
            .args(["upload", local.to_str().unwrap(), "/Reports", "--part-size", "1"])
            .output()
            .unwrap(),
    );
    assert!(
        uploaded.starts_with("Uploaded report.bin (2.50 MiB) as file "),
        "{uploaded}"
    );
    assert_eq!(saved(&client_file)["uploads"], json!([]), "nothing left to resume");

    let listing = succeeded(openpan(&client_file).args(["ls", "/"]).output().unwrap());
    assert!(
        listing
            .lines()
            .any(|line| line.starts_with("d ") && line.ends_with("  Reports/")),
        "{listing}"
    );
    let listing = succeeded(
        openpan(&client_file)
            .args(["ls", "/Reports", "--json"])
            .output()
            .unwrap(),
    );
    let items: Vec<Value> = listing
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "report.bin");
    assert_eq!(items[0]["size"], bytes.len());

    let out = home.path().join("out");
    std::fs::create_dir(&out).unwrap();
    succeeded(
        openpan(&client_file)
            .args(["download", "/Reports/report.bin", out.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert_eq!(std::fs::read(out.join("report.bin")).unwrap(), bytes);

    let link = succeeded(
        openpan(&client_file)
            .args(["share", "/Reports/report.bin", "--password", "abc123"])
            .output()
            .unwrap(),
    );
    let unique_name = link.trim().rsplit('/').next().unwrap().to_owned();
    assert!(link.starts_with(&app.url), "{link}");
    let token = app.admin_user_token().await;
    let info = app
        .get_ok(&format!("/api/v2/share_link/{unique_name}/info"), &token)
        .await;
    assert_eq!(info["password_protected"], true);
    assert_eq!(info["item"]["name"], "report.bin");

    let missing = openpan(&client_file)
        .args(["download", "/nothing.txt"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nothing named nothing.txt"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upload_resumes_and_renewed_tokens_are_kept_until_sign_out() {
    let app = TestApp::spawn().await;
    let home = tempfile::tempdir().unwrap();
    let client_file = home.path().join("client.json");
    login(&app, &client_file).await;

    // An earlier `openpan upload` got one part of three up, then the machine went down.
    let local = home.path().join("video.bin");
    let bytes: Vec<u8> = (0..(5 << 19)).map(|i| (i % 241) as u8).collect();
    std::fs::write(&local, &bytes).unwrap();
    let sdk = app.sdk(&app.tenant);
    sdk.sign_in(openpan_sdk::Grant::JwtSimple(openpan_sdk::Subject::User(
        app.tenant.admin_user_id,
    )))
    .await
    .unwrap();
    let session = interrupted_upload(&app, &sdk, "video.bin", &bytes, 1).await;
    let mut state = saved(&client_file);
    let modified = std::fs::metadata(&local)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    state["uploads"] = json!([{
        "local": std::fs::canonicalize(&local).unwrap(),
        "size": bytes.len(),
        "modified": modified,
        "folder_id": 0,
        "name": "video.bin",
        "upload_url": session.upload_url,
    }]);
    std::fs::write(&client_file, state.to_string()).unwrap();
    let output = openpan(&client_file)
        .args(["upload", local.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    succeeded(output);
    assert!(stderr.contains("Resuming: 1 of 3 parts are on the server"), "{stderr}");
    assert_eq!(saved(&client_file)["uploads"], json!([]));
    let listed = succeeded(
        openpan(&client_file)
            .args(["ls", "/video.bin", "--json"])
            .output()
            .unwrap(),
    );
    let file: Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(file["size"], bytes.len());
    assert_eq!(
        file["sha1"],
        hex::encode(<sha1::Sha1 as sha1::Digest>::digest(&bytes)),
        "the resumed parts make the file"
    );

    // Hours later the access token has lapsed at the server: the CLI renews it and saves the
    // new pair, so the next command (with the rotated refresh token) works too.
    let before = saved(&client_file)["tokens"].clone();
    app.clock.advance(7 * 3600);
    succeeded(openpan(&client_file).arg("whoami").output().unwrap());
    let after = saved(&client_file)["tokens"].clone();
    assert_ne!(after["refresh_token"], before["refresh_token"]);
    app.clock.advance(7 * 3600);
    succeeded(openpan(&client_file).arg("whoami").output().unwrap());

    let access = saved(&client_file)["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(succeeded(openpan(&client_file).arg("logout").output().unwrap()).contains("Signed out"));
    assert!(!client_file.exists());
    let after_logout = app.get("/api/v2/user/info", &access).await;
    assert_eq!(after_logout.status(), 401, "sign-out ended the tokens at the server");
    let again = openpan(&client_file).arg("whoami").output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("openpan login"));
}

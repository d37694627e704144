//! The OpenAPI document as integrators use it: served at `/openapi.json` beside an offline
//! docs page, and put through schemathesis (PyPI), which sends thousands of generated
//! requests and checks every answer against the document.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::harness::TestApp;

#[tokio::test]
async fn the_document_and_the_docs_page_are_served_without_anything_from_elsewhere() {
    let app = TestApp::spawn().await;
    let document = app.public_json("/openapi.json").await;
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/api/v2/folder/{id}/children"]["get"].is_object());
    let page = app.client.get(format!("{}/docs/", app.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-initializer.js"] {
        assert!(html.contains(asset), "{asset} in {html}");
        let served = app
            .client
            .get(format!("{}/docs/{asset}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), 200, "{asset}");
        assert!(!served.bytes().await.unwrap().is_empty());
    }
    assert!(
        !html.contains("https://"),
        "the page loads nothing from elsewhere: {html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_errors_and_no_answers_outside_the_document() {
    // Thousands of requests in seconds: budgets that let every one through, so each tests
    // the operation rather than the rate limiter.
    let app = TestApp::spawn_with(crate::harness::lift_rate_limits).await;
    let token = app.admin_user_token().await;
    // Something to find: a folder with a file in it.
    let folder = app.mkdir(&token, 0, "资料").await["id"].as_i64().unwrap();
    app.upload(&token, folder, "a.txt", b"hello").await;
    let report = tempfile::tempdir().unwrap();
    let config = report.path().join("schemathesis.toml");
    std::fs::write(&config, CONFIG).unwrap();
    // The user's operations (and the older dialects') with the user's token, then the
    // administration's with the enterprise's (which the first run cannot reach past the scope
    // check), then the auth service with the app's Basic credentials.
    let mut requests = schemathesis(
        &app,
        &config,
        &format!("Bearer {token}"),
        "user",
        &["--exclude-tag", "admin", "--exclude-tag", "auth service"],
        "",
    );
    let enterprise = app.enterprise_token(&app.tenant).await;
    requests += schemathesis(
        &app,
        &config,
        &format!("Bearer {enterprise}"),
        "enterprise",
        &["--include-tag", "admin"],
        // Hypothesis tries small ids first, and the run's own app is one of them: disabling or
        // deleting it would leave the rest of the run with a dead token (both are covered by
        // the app tests).
        r"|/admin/app/\{id\}/(disable|delete)$",
    );
    // The auth service with the app's Basic credentials, past the client check.
    let basic = STANDARD.encode(format!("{}:{}", app.tenant.client_id, app.tenant.client_secret));
    requests += schemathesis(
        &app,
        &config,
        &format!("Basic {basic}"),
        "auth-service",
        &["--include-tag", "auth service"],
        "",
    );
    assert!(requests >= 2000, "only {requests} requests were sent");
}

/// Values a schema cannot tell from good ones answer 400 `request_data_invalid` naming the
/// field, or 409 when they clash with what exists: a version id that names no version of the
/// file (the platform has no code of its own for it), a preview or thumbnail of a file that
/// has none or whose conversion is still running (`preview_file_not_generated`), a listing `marker` the server did not
/// make (markers are opaque), a picture key that is not the user's current one (the
/// platform's own `user_profile_pic_key_not_found` is a 400), a search's time range that ends
/// before it starts, list conditions and orders (JSON naming the list's fields, checked
/// against each field's kind) in the OA dialect and `/api/v1/org`, an `/api/v1` instance,
/// version or message id that names none (the modules answer 400 naming the parameter), the
/// auth service's stamp (`t_` and `p_` must be the present's, and it answers 400 when not), a
/// directory mapping asked with neither (or, for departments and groups,
/// both) of its two ids, an OAuth request whose parameters do not fit its grant (RFC 6749
/// answers `invalid_request`, `invalid_grant` … with 400), and in the bodies of changes, rules between fields and against
/// stored data (a name already taken, a date range backwards, a department that is not
/// empty) that no JSON Schema can state.
const CONFIG: &str = r#"
[[operations]]
include-path-regex = "/file/\\{id\\}/(download|download_v2|preview|preview_download|thumbnail|version/\\{version_id\\}/info)$|/folder/(\\{id\\}/children|personal_items|department_folders)$|/profile_pic_download$|/item/search$|/mapping_(user|department|group)$|^/oauth/|/open-api/(users|departments|groups|audit-logs|folders/\\{id\\}/items)$|/org/list_|/api/v1/(account/get_api_address|file/download_url|sms/get)$|^/apis/rest/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]

[[operations]]
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
"#;

/// Runs schemathesis over the operations `filter` picks, but for the paths `exclude` matches,
/// with `authorization`; the requests it sent.
fn schemathesis(
    app: &TestApp,
    config: &std::path::Path,
    authorization: &str,
    name: &str,
    filter: &[&str],
    exclude: &str,
) -> usize {
    let dir = config.parent().unwrap();
    let ndjson = dir.join(format!("{name}.ndjson"));
    let mut command = std::process::Command::new("python3");
    command
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(config)
        .arg("run")
        // A node itself: behind the balancer, nginx answers a few methods (TRACE) on its own.
        .arg(format!("{}/openapi.json", app.node_url()))
        // Every check but one: the platform accepts what the official SDKs send outside the
        // document (`page_id=null`, repeated parameters, numbers as strings) on purpose.
        .args(["--checks", "all", "--exclude-checks", "negative_data_rejection"])
        .args(["--max-examples", "20", "--seed", "20261124"])
        // The feed holds requests open by design (long-poll up to a minute, streams for ten);
        // the events tests cover it.
        .arg("--exclude-path-regex")
        // `refresh_new_token=true` replaces the token it is called with (the run's own); the OA
        // tests cover it.
        .arg(format!(r"/events(/stream)?$|/auth/login-info/refresh${exclude}"))
        .args(filter)
        // One worker: CPython 3.11 fails now and then compiling in two threads at once ("AST
        // constructor recursion depth mismatch"), which would fail the run for nothing.
        .args(["--workers", "1", "--report", "ndjson", "--report-ndjson-path"])
        .arg(&ndjson)
        .arg("--header")
        .arg(format!("Authorization: {authorization}"))
        .env("NO_COLOR", "1")
        // Its cache of earlier failures goes with the run, not into the source tree.
        .current_dir(dir);
    let output = tokio::task::block_in_place(|| command.output()).expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis ({name}) failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Its summary and warnings, for `--no-capture`.
    println!("{stdout}");
    std::fs::read_to_string(&ndjson)
        .unwrap()
        .matches("\"response\"")
        .count()
}

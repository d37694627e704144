//! The platform document's own demo programs, run unchanged in logic against the server:
//! the Python one (numbers, md5 jti, `requests`) and the Java one (all strings, padded
//! Base64, Basic header), each only pointed at our URL and credentials.

use std::process::Command;

use serde_json::Value;

use crate::harness::TestApp;

fn demo_path(name: &str) -> String {
    format!("{}/tests/demos/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs a demo and returns the two token responses it printed (enterprise, then user).
fn run_demo(mut command: Command, app: &TestApp, user_id: i64) -> Vec<Value> {
    let output = command
        .env("OPENPAN_OAUTH_URL", &app.url)
        .env("OPENPAN_CLIENT_ID", &app.tenant.client_id)
        .env("OPENPAN_CLIENT_SECRET", &app.tenant.client_secret)
        .env("OPENPAN_ENTERPRISE_ID", app.tenant.enterprise_id.to_string())
        .env("OPENPAN_USER_ID", user_id.to_string())
        .output()
        .expect("demo runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| line.split_once('{').map(|(_, rest)| format!("{{{rest}")))
        .map(|json| serde_json::from_str(&json).unwrap_or_else(|_| panic!("token JSON: {json}")))
        .collect()
}

fn assert_scopes(tokens: &[Value]) {
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    assert_eq!(tokens[0]["scope"], "admin", "{}", tokens[0]);
    assert_eq!(tokens[1]["scope"], "all", "{}", tokens[1]);
    for token in tokens {
        assert_eq!(token["token_type"], "bearer");
        assert!(token["refresh_token"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_demo_gets_an_enterprise_and_a_user_token() {
    let app = TestApp::spawn().await;
    let user_id = app.create_user(&app.tenant, "Li Lei", "lilei@acme.test").await;
    let mut command = Command::new("python3");
    command.arg(demo_path("jwt_simple_demo.py"));
    assert_scopes(&tokio::task::block_in_place(|| run_demo(command, &app, user_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_java_demo_gets_an_enterprise_and_a_user_token() {
    let app = TestApp::spawn().await;
    let user_id = app.create_user(&app.tenant, "Li Lei", "lilei@acme.test").await;
    let mut command = Command::new("java");
    command.arg(demo_path("DemoSimple.java"));
    assert_scopes(&tokio::task::block_in_place(|| run_demo(command, &app, user_id)));
}

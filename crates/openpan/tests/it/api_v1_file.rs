//! `/api/v1/file` as the API overview document draws it: the app gets an upload token, the
//! browser posts a form with it straight to openpan, and the app learns the outcome from a
//! signed redirect and a signed notice at its callback address. Plus download URLs.

use serde_json::{Value, json};
use sha1::Digest;

use crate::harness::{HttpSink, TestApp, assert_api_error, form_body, hmac_hex};

/// "销售数据" in GB18030.
const GB18030_SALES_DATA: &str = "cffacadbcafdbedd";

const BOUNDARY: &str = "----openpanFormBoundary7MA4YWxkTrZu0gW";

/// A client that shows redirects instead of following them, as a test of what the browser
/// is told.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Posts a browser form of `parts` to `url` (no bearer token).
async fn post_form(url: &str, parts: &[(&str, Option<&str>, &[u8])]) -> reqwest::Response {
    browser()
        .post(url)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(form_body(BOUNDARY, parts))
        .send()
        .await
        .unwrap()
}

impl TestApp {
    /// `file/upload_token` with `body`; the answer.
    async fn upload_token(&self, token: &str, body: Value) -> Value {
        self.post_ok("/api/v1/file/upload_token", token, &body).await
    }

    /// Sets the tenant's app's callback address for notices only: the app's webhook (which
    /// would send every event there too) is turned off, so the receiver counts notices.
    async fn set_callback_url(&self, admin: &str, url: &str) {
        let body = json!({"app_id": self.tenant.app_id, "callback_url": url});
        self.post_ok("/api/v1/account/update_auth_config", admin, &body).await;
        let path = format!("/api/v2/admin/app/{}/webhook/update", self.tenant.app_id);
        self.post_ok(&path, admin, &json!({"status": "disabled"})).await;
    }

    /// The app's notice key, as its administrators read it.
    async fn notice_key(&self, admin: &str, app_id: i64) -> Vec<u8> {
        let answer = self
            .v1_ok("account/notice_key", admin, &[("app_id", &app_id.to_string())])
            .await;
        hex::decode(answer["notice_key"].as_str().unwrap()).unwrap()
    }
}

/// An issued token's upload URL with the token in its query.
fn url_with_token(issued: &Value) -> String {
    format!(
        "{}?token={}",
        issued["upload_url"].as_str().unwrap(),
        issued["upload_token"].as_str().unwrap()
    )
}

/// The query of a redirect `Location`, as pairs in order.
fn query_pairs(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// Percent-encoding of all but unreserved characters, as a receiver would write it.
fn rfc3986(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Whether the redirect's parameters (those openpan added: all but the app's own `x`) carry a
/// valid signature: sorted `name=value` (values percent-encoded) joined by `&`, HMAC-SHA256
/// under the notice key.
fn signature_holds(key: &[u8], pairs: &[(String, String)]) -> bool {
    let mut signed: Vec<_> = pairs
        .iter()
        .filter(|(name, _)| name != "signature" && name != "x")
        .map(|(name, value)| format!("{name}={}", rfc3986(value)))
        .collect();
    signed.sort();
    hmac_hex(key, signed.join("&").as_bytes()) == param(pairs, "signature")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_posts_a_file_with_an_upload_token_and_the_app_hears_of_it_twice_signed() {
    let hook = HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let app_id = app.tenant.app_id;
    app.set_callback_url(&admin, &hook.url).await;
    let reports = app.mkdir(&token, 0, "报表").await["id"].as_i64().unwrap();

    // 1. The app's server asks for an upload token and puts it in the page's form.
    let issued = app
        .upload_token(
            &token,
            json!({"folder_id": reports, "redirect": "https://hr.acme.test/uploaded?x=1",
                   "callback": "true", "state": "order-7"}),
        )
        .await;
    assert_eq!(issued["upload_url"], format!("{}/api/v1/file/upload", app.url));
    assert_eq!(issued["folder_id"], reports);
    let upload_token = issued["upload_token"].as_str().unwrap().to_owned();
    assert_eq!(upload_token.len(), 64);
    assert_eq!(issued["expires_at"], app.now() + 3600);

    // 2. The browser posts the form, with no bearer token, and is sent back to the app.
    let bytes = "季度报表\n".repeat(1000).into_bytes();
    let answer = post_form(
        issued["upload_url"].as_str().unwrap(),
        &[
            ("token", None, upload_token.as_bytes()),
            ("file", Some("C:\\fakepath\\Q3 报表.txt"), &bytes),
            ("after", None, b"ignored"),
        ],
    )
    .await;
    assert_eq!(answer.status(), 303);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("https://hr.acme.test/uploaded?x=1&"), "{location}");
    let pairs = query_pairs(&location);
    assert_eq!(
        param(&pairs, "file_name"),
        "Q3 报表.txt",
        "the browser's path is dropped"
    );
    assert_eq!(param(&pairs, "size"), bytes.len().to_string());
    assert_eq!(param(&pairs, "sha1"), hex::encode(sha1::Sha1::digest(&bytes)));
    assert_eq!(param(&pairs, "folder_id"), reports.to_string());
    assert_eq!(param(&pairs, "state"), "order-7");
    assert_eq!(param(&pairs, "timestamp"), app.now().to_string());
    let key = app.notice_key(&admin, app_id).await;
    assert!(signature_holds(&key, &pairs), "{location}");
    let mut forged = pairs.clone();
    forged.iter_mut().find(|(name, _)| name == "size").unwrap().1 = "1".to_owned();
    assert!(
        !signature_holds(&key, &forged),
        "a changed parameter breaks the signature"
    );

    // The file is the user's, in the folder, with the bytes sent.
    let file_id: i64 = param(&pairs, "file_id").parse().unwrap();
    assert_eq!(app.download(&token, file_id).await, bytes);
    let info = app.get_ok(&format!("/api/v2/file/{file_id}/info"), &token).await;
    assert_eq!(info["parent"]["id"], reports);
    assert_eq!(info["owned_by"]["id"], user);

    // 3. The app's callback address gets a signed notice of it.
    let notices = hook.wait_for(1).await;
    let notice = &notices[0];
    assert_eq!(notice.header("content-type"), "application/json");
    assert_eq!(notice.header("x-openpan-event"), "file.uploaded");
    let body = String::from_utf8(notice.body.clone()).unwrap();
    let timestamp = notice.header("x-openpan-timestamp");
    assert_eq!(
        notice.header("x-openpan-signature"),
        format!("sha256={}", hmac_hex(&key, format!("{timestamp}.{body}").as_bytes()))
    );
    let sent = notice.json();
    assert_eq!(sent["event"], "file.uploaded");
    assert_eq!(sent["app_id"], app_id);
    assert_eq!(sent["enterprise_id"], app.tenant.enterprise_id);
    assert_eq!(sent["data"]["file"]["id"], file_id);
    assert_eq!(sent["data"]["file"]["name"], "Q3 报表.txt");
    assert_eq!(sent["data"]["file"]["parent_id"], reports);
    assert_eq!(sent["data"]["user_id"], user);
    assert_eq!(sent["data"]["state"], "order-7");

    // Administrators see it delivered.
    let listed = app
        .v1_ok("account/list_notices", &admin, &[("app_id", &app_id.to_string())])
        .await;
    assert_eq!(listed["total_count"], 1);
    let record = &listed["notices"][0];
    assert_eq!(record["notice_id"].to_string(), notice.header("x-openpan-notice-id"));
    assert_eq!(record["status"], "delivered");
    assert_eq!(record["attempts"], 1);
    assert_eq!(record["body"], sent);

    // 4. The token is used up: posting again is refused, as JSON (no redirect is known for it).
    let again = post_form(
        issued["upload_url"].as_str().unwrap(),
        &[("token", None, upload_token.as_bytes()), ("file", Some("b.txt"), b"b")],
    )
    .await;
    assert_api_error(again, 404, "link_invalid_or_expired").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_redirect_the_browser_gets_the_file_and_taken_names_follow_on_conflict() {
    let app = TestApp::spawn().await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let upload_url = format!("{}/api/v1/file/upload", app.url);
    let send = |upload_token: String, name: &'static str, bytes: &'static [u8]| {
        let url = format!("{upload_url}?token={upload_token}");
        async move { post_form(&url, &[("file", Some(name), bytes)]).await }
    };
    let fresh = |on_conflict: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.upload_token(&token, json!({"folder_id": 0, "on_conflict": on_conflict}))
                .await["upload_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };

    // The token may also travel in the URL; the answer is the `/api/v2` file object.
    let first: Value = send(fresh("rename").await, "plan.txt", b"one")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["type"], "file");
    assert_eq!(first["name"], "plan.txt");
    assert_eq!(first["size"], 3);

    // By default a taken name gets a number, as a person dropping a file expects.
    let renamed: Value = send(fresh("rename").await, "plan.txt", b"two")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["name"], "plan (1).txt");

    // `fail` refuses, and the token stays usable for another try.
    let strict = fresh("fail").await;
    let refused = send(strict.clone(), "plan.txt", b"three").await;
    assert_api_error(refused, 409, "file_name_conflict").await;
    let retried: Value = send(strict, "plan-b.txt", b"three").await.json().await.unwrap();
    assert_eq!(retried["name"], "plan-b.txt");

    // `overwrite` makes a new version of the file of that name.
    let covered: Value = send(fresh("overwrite").await, "plan.txt", b"four!")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(covered["id"], first["id"]);
    assert_eq!(app.download(&token, first["id"].as_i64().unwrap()).await, b"four!");
    let versions = app
        .get_ok(&format!("/api/v2/file/{}/versions", first["id"]), &token)
        .await;
    assert_eq!(versions["file_versions"].as_array().unwrap().len(), 2, "{versions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_tokens_and_forms_refuse_what_they_cannot_honour() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let owner = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, owner).await;
    let other = app.create_user(&app.tenant, "Wu", "wu@acme.test").await;
    let other_token = app.user_token(&app.tenant, other).await;
    let private = app.mkdir(&other_token, 0, "私有").await["id"].as_i64().unwrap();
    let ask = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move { app.post("/api/v1/file/upload_token", &token, &body).await }
    };

    for (body, field) in [
        (json!({}), "folder_id"),
        (json!({"folder_id": "x"}), "folder_id"),
        (json!({"folder_id": 0, "expires_in": 5}), "expires_in"),
        (json!({"folder_id": 0, "expires_in": 86_401}), "expires_in"),
        (json!({"folder_id": 0, "redirect": "javascript:alert(1)"}), "redirect"),
        (json!({"folder_id": 0, "on_conflict": "merge"}), "on_conflict"),
        (json!({"folder_id": 0, "state": "a\nb"}), "state"),
        // No callback address is set for the app yet.
        (json!({"folder_id": 0, "callback": true}), "callback"),
    ] {
        let body = assert_api_error(ask(body.clone()).await, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    // Files go to a user's space: an enterprise token names no user.
    let refused = app
        .post("/api/v1/file/upload_token", &admin, &json!({"folder_id": 0}))
        .await;
    let body = assert_api_error(refused, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "access_token");
    // Someone else's folder is out of reach.
    assert_api_error(ask(json!({"folder_id": private})).await, 404, "folder_not_found").await;

    let issued = app
        .upload_token(&token, json!({"folder_id": 0, "redirect": "https://hr.acme.test/done"}))
        .await;
    let url = issued["upload_url"].as_str().unwrap().to_owned();
    let upload_token = issued["upload_token"].as_str().unwrap().to_owned();

    // Forms without the token before the file, or with a wrong one, are refused as JSON.
    let missing = post_form(&url, &[("file", Some("a.txt"), b"a")]).await;
    let body = assert_api_error(missing, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "token");
    let late = post_form(
        &url,
        &[("file", Some("a.txt"), b"a"), ("token", None, upload_token.as_bytes())],
    )
    .await;
    assert_api_error(late, 400, "request_data_invalid").await;
    let wrong = post_form(&url, &[("token", None, b"0123"), ("file", Some("a.txt"), b"a")]).await;
    assert_api_error(wrong, 404, "link_invalid_or_expired").await;
    // Fields the server reads whole are bounded: it never holds a huge one in memory.
    let huge = vec![b'a'; 64 * 1024];
    let oversized = post_form(&url, &[("token", None, &huge), ("file", Some("a.txt"), b"a")]).await;
    let body = assert_api_error(oversized, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "token");
    let padded = post_form(
        &url,
        &[
            ("note", None, &huge),
            ("token", None, upload_token.as_bytes()),
            ("file", Some("a.txt"), b"a"),
        ],
    )
    .await;
    assert_api_error(padded, 400, "request_data_invalid").await;
    let not_a_form = browser().post(&url).body("token=x").send().await.unwrap();
    assert_api_error(not_a_form, 400, "request_data_invalid").await;

    // With a valid token, a failure goes back to the app's redirect, signed.
    let empty = post_form(
        &url,
        &[("token", None, upload_token.as_bytes()), ("file", Some(""), b"")],
    )
    .await;
    assert_eq!(empty.status(), 303);
    let pairs = query_pairs(empty.headers()["location"].to_str().unwrap());
    assert_eq!(param(&pairs, "error"), "request_data_invalid");
    assert_eq!(param(&pairs, "error_field"), "file");
    assert_eq!(param(&pairs, "file_id"), "");
    let key = app.notice_key(&admin, app.tenant.app_id).await;
    assert!(signature_holds(&key, &pairs));
    let bad_name = post_form(
        &url,
        &[("token", None, upload_token.as_bytes()), ("file", Some("a?.txt"), b"a")],
    )
    .await;
    assert_eq!(bad_name.status(), 303);
    let pairs = query_pairs(bad_name.headers()["location"].to_str().unwrap());
    assert_eq!(param(&pairs, "error"), "item_name_invalid", "{pairs:?}");

    // The token outlives the failures, but not its expiry.
    app.clock.advance(3601);
    let late = post_form(
        &url,
        &[("token", None, upload_token.as_bytes()), ("file", Some("a.txt"), b"a")],
    )
    .await;
    assert_api_error(late, 404, "link_invalid_or_expired").await;

    // A disabled app's tokens stop working.
    let issued = app.upload_token(&token, json!({"folder_id": 0})).await;
    app.sql(&format!(
        "update app set status = 'disabled' where app_id = {}",
        app.tenant.app_id
    ))
    .await;
    let disabled = post_form(
        issued["upload_url"].as_str().unwrap(),
        &[
            ("token", None, issued["upload_token"].as_str().unwrap().as_bytes()),
            ("file", Some("a.txt"), b"a"),
        ],
    )
    .await;
    assert_api_error(disabled, 404, "link_invalid_or_expired").await;
}

/// The newest notice's record once `ready` holds for it (or after two seconds, for the
/// caller's assertions to report).
async fn notice_once(app: &TestApp, admin: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut record = Value::Null;
    for _ in 0..100 {
        record = app.v1_ok("account/list_notices", admin, &[]).await["notices"][0].clone();
        if ready(&record) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_retried_until_the_callback_address_takes_them() {
    // The receiver fails twice, then accepts.
    let hook = HttpSink::start(|count, _| {
        if count <= 2 {
            (503, String::new())
        } else {
            (200, String::new())
        }
    })
    .await;
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 50).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    app.set_callback_url(&admin, &hook.url).await;
    let issued = app.upload_token(&token, json!({"folder_id": 0, "callback": 1})).await;
    let upload_url = url_with_token(&issued);
    let file: Value = post_form(&upload_url, &[("file", Some("a.txt"), b"a")])
        .await
        .json()
        .await
        .unwrap();

    hook.wait_for(1).await;
    let record = notice_once(&app, &admin, |record| record["last_error"].is_string()).await;
    assert_eq!(record["status"], "pending");
    assert_eq!(record["attempts"], 1);
    assert_eq!(record["last_error"], "callback address answered 503");
    assert_eq!(record["next_attempt_at"], app.now() + 30);

    // Nothing is sent again before the delay has passed.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(hook.received().len(), 1);
    app.clock.advance(30);
    hook.wait_for(2).await;
    app.clock.advance(60);
    let all = hook.wait_for(3).await;
    // The same notice each time, signed afresh.
    assert_eq!(all[0].body, all[2].body);
    assert_eq!(
        all[0].header("x-openpan-notice-id"),
        all[2].header("x-openpan-notice-id")
    );
    assert_eq!(all[2].json()["data"]["file"]["id"], file["id"]);
    let record = notice_once(&app, &admin, |record| record["status"] == "delivered").await;
    assert_eq!(record["status"], "delivered");
    assert_eq!(record["attempts"], 3);

    // Only administrators see notices and keys.
    assert_api_error(
        app.v1_get("account/list_notices", &token, &[]).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.v1_get(
            "account/notice_key",
            &token,
            &[("app_id", &app.tenant.app_id.to_string())],
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let other_admin = app.enterprise_token(&other).await;
    assert_api_error(
        app.v1_get(
            "account/notice_key",
            &other_admin,
            &[("app_id", &app.tenant.app_id.to_string())],
        )
        .await,
        404,
        "app_not_found",
    )
    .await;
    let theirs = app.v1_ok("account/list_notices", &other_admin, &[]).await;
    assert_eq!(theirs["total_count"], 0, "one enterprise never sees another's notices");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_url_fetches_the_file_without_a_token_until_it_expires() {
    let app = TestApp::spawn().await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let file = app.upload(&token, 0, "合同.pdf", b"%PDF-1.7 contract").await["id"]
        .as_i64()
        .unwrap();

    let link = app
        .v1_ok(
            "file/download_url",
            &token,
            &[("file_id", &file.to_string()), ("valid_period", "600")],
        )
        .await;
    assert_eq!(link["file_id"], file);
    assert_eq!(link["expires_at"], app.now() + 600);
    let url = link["download_url"].as_str().unwrap();
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"%PDF-1.7 contract");
    app.clock.advance(601);
    assert_eq!(reqwest::get(url).await.unwrap().status(), 404);

    let bad = assert_api_error(
        app.v1_get("file/download_url", &token, &[]).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "file_id");
    let other = app.create_user(&app.tenant, "Wu", "wu@acme.test").await;
    let other_token = app.user_token(&app.tenant, other).await;
    assert_api_error(
        app.v1_get("file/download_url", &other_token, &[("file_id", &file.to_string())])
            .await,
        404,
        "file_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_converts_to_text_once_and_the_result_is_fetched_like_a_download() {
    let app = TestApp::spawn().await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let docx = crate::search::docx_with_text("第三季度回款计划已批准");
    let minutes = app.upload(&token, 0, "会议纪要.docx", &docx).await["id"]
        .as_i64()
        .unwrap();
    let convert = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move { app.post("/api/v1/file/convert", &token, &body).await }
    };

    let converted: Value = convert(json!({"file_id": minutes, "target": "txt", "valid_period": 600}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(converted["file_id"], minutes, "{converted}");
    assert_eq!(converted["target"], "txt");
    assert_eq!(converted["name"], "会议纪要.txt");
    assert_eq!(converted["truncated"], false);
    assert_eq!(converted["expires_at"], app.now() + 600);
    let url = converted["download_url"].as_str().unwrap().to_owned();
    let fetched = reqwest::get(&url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert!(
        fetched.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("UTF-8''%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81.txt")
    );
    let text = fetched.text().await.unwrap();
    assert!(
        text.contains("Notes") && text.contains("第三季度回款计划已批准"),
        "{text}"
    );
    assert_eq!(converted["size"], text.len());

    // The same content is converted once: a copy reuses the stored result.
    let copy = app.upload(&token, 0, "纪要副本.docx", &docx).await["id"]
        .as_i64()
        .unwrap();
    let again: Value = convert(json!({"file_id": copy, "target": "txt"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["name"], "纪要副本.txt");
    assert_eq!(app.sql_i64("select count(*) from conversion").await, 1);
    // Reading a conversion is a download in the audit log.
    let events = app.sql_i64("select count(*) from audit_event where action = 107").await;
    assert_eq!(events, 2);

    // Text files convert too (GB18030 from Chinese Windows editors becomes UTF-8).
    let gbk = hex::decode(GB18030_SALES_DATA).unwrap();
    let notes = app.upload(&token, 0, "notes.csv", &gbk).await["id"].as_i64().unwrap();
    let csv: Value = convert(json!({"file_id": notes, "target": "TXT"}))
        .await
        .json()
        .await
        .unwrap();
    let text = reqwest::get(csv["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "销售数据");

    // What cannot be converted, or asked for wrongly, is refused with the field at fault.
    let photo = app.upload(&token, 0, "photo.png", b"\x89PNG").await["id"]
        .as_i64()
        .unwrap();
    let broken = app.upload(&token, 0, "broken.pdf", b"not a pdf").await["id"]
        .as_i64()
        .unwrap();
    for (body, field) in [
        (json!({"file_id": photo, "target": "txt"}), "target"),
        (json!({"file_id": minutes, "target": "exe"}), "target"),
        (json!({"file_id": notes, "target": "pdf"}), "target"),
        (json!({"file_id": minutes}), "target"),
        (json!({"target": "txt"}), "file_id"),
        (json!({"file_id": broken, "target": "txt"}), "file_id"),
        (
            json!({"file_id": minutes, "target": "txt", "version": 999_999}),
            "version",
        ),
        (
            json!({"file_id": minutes, "target": "txt", "valid_period": 86_401}),
            "valid_period",
        ),
    ] {
        let body = assert_api_error(convert(body.clone()).await, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    let other = app.create_user(&app.tenant, "Wu", "wu@acme.test").await;
    let other_token = app.user_token(&app.tenant, other).await;
    let refused = app
        .post(
            "/api/v1/file/convert",
            &other_token,
            &json!({"file_id": minutes, "target": "txt"}),
        )
        .await;
    assert_api_error(refused, 404, "file_not_found").await;

    // The URL dies with the holder's right to the file, and with its expiry.
    let tampered = url.replace("/converted/", "/download/");
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status(),
        404,
        "a converted file's ticket is no download ticket"
    );
    app.post_ok(&format!("/api/v2/file/{minutes}/delete"), &token, &Value::Null)
        .await;
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);
    let copy_url = again["download_url"].as_str().unwrap();
    assert_eq!(reqwest::get(copy_url).await.unwrap().status(), 200);
    app.clock.advance(3601);
    assert_eq!(reqwest::get(copy_url).await.unwrap().status(), 404);

    // Results are caches: unused for a week, the collector removes them with their bytes.
    let kept = app.core.collect_garbage(3600).await.unwrap();
    assert_eq!(kept.conversions, 0);
    app.clock.advance(7 * 24 * 3600);
    let collected = app.core.collect_garbage(3600).await.unwrap();
    assert_eq!(collected.conversions, 2, "the text and the csv results");
    assert_eq!(app.sql_i64("select count(*) from conversion").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_address_inside_the_hosts_network_is_refused_unless_allowed() {
    let hook = HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn_with(|config| config.notice_allow_internal = false).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    // A name that resolves to loopback is no way around it.
    let by_name = hook.url.replace("127.0.0.1", "localhost");
    for (round, url) in [hook.url.clone(), by_name].into_iter().enumerate() {
        app.set_callback_url(&admin, &url).await;
        let issued = app
            .upload_token(&token, json!({"folder_id": 0, "callback": true}))
            .await;
        let upload_url = url_with_token(&issued);
        let name = format!("{round}.txt");
        let stored = post_form(&upload_url, &[("file", Some(&name), b"a")]).await;
        assert_eq!(stored.status(), 200, "the upload itself is not affected");
        let record = notice_once(&app, &admin, |record| record["last_error"].is_string()).await;
        assert_eq!(record["status"], "pending", "{record}");
        assert!(record["last_error"].as_str().unwrap().contains("internal"), "{record}");
    }
    assert!(hook.received().is_empty(), "nothing reached the internal address");
}

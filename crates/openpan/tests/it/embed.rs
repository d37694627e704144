//! Tokens for embedded components: an app trades one of its user tokens (RFC 8693 token
//! exchange) for a short one confined to one folder or file with `item.*` scopes, which reaches
//! that item and what is below it and does no more than its scopes say; the component pages
//! may be framed by the app's registered sites only.

use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, assert_api_error, assert_oauth_error};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

/// The token endpoint's answer to an exchange by `tenant`'s app.
async fn exchange(app: &TestApp, tenant: &Tenant, form: &[(&str, &str)]) -> reqwest::Response {
    let mut fields = vec![("grant_type", EXCHANGE), ("subject_token_type", ACCESS_TOKEN)];
    fields.extend_from_slice(form);
    reqwest::Client::new()
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

async fn component_token(app: &TestApp, subject: &str, scope: &str, resource: &str) -> Value {
    let response = exchange(
        app,
        &app.tenant,
        &[("subject_token", subject), ("scope", scope), ("resource", resource)],
    )
    .await;
    crate::harness::json_ok(response, format_args!("exchange for {resource}")).await
}

#[tokio::test]
async fn a_read_token_reaches_its_folder_and_below_and_nothing_else() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let projects = id(&app.mkdir(&alice, 0, "项目").await);
    let shared = id(&app.mkdir(&alice, projects, "合同").await);
    let inner = id(&app.mkdir(&alice, shared, "2026").await);
    let top = id(&app.upload(&alice, shared, "总则.md", b"# rules").await);
    let deep = id(&app.upload(&alice, inner, "附件.txt", b"deep bytes").await);
    let outside = id(&app.upload(&alice, projects, "预算.txt", b"no").await);

    let issued = component_token(
        &app,
        &alice,
        "item.download",
        &format!("{}/api/v2/folder/{shared}", app.url),
    )
    .await;
    assert_eq!(issued["token_type"], "bearer");
    assert_eq!(issued["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(issued["scope"], "item.download");
    assert!(issued.get("refresh_token").is_none(), "{issued}");
    let lasts = issued["expires_in"].as_i64().unwrap();
    assert!(lasts > 0 && lasts <= 3600, "{issued}");
    let token = issued["access_token"].as_str().unwrap();

    let children = app.get_ok(&format!("/api/v2/folder/{shared}/children"), token).await;
    assert_eq!(children["files"][0]["id"], top);
    let info = app.get_ok(&format!("/api/v2/file/{top}/info"), token).await;
    let permissions = info["permissions"]
        .as_array()
        .unwrap_or_else(|| panic!("{info}"))
        .clone();
    assert!(permissions.contains(&json!("item_download")), "{permissions:?}");
    for denied in ["item_upload", "item_share", "item_delete", "edit_properties"] {
        assert!(!permissions.contains(&json!(denied)), "{denied} in {permissions:?}");
    }
    // Paths start at the folder the token is confined to: nothing above it is named.
    let below = app.get_ok(&format!("/api/v2/folder/{inner}/info"), token).await;
    let names: Vec<&str> = below["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"项目"), "{below}");
    assert!(names.contains(&"合同"), "{below}");
    let url = app.get_ok(&format!("/api/v2/file/{deep}/download"), token).await;
    let bytes = reqwest::get(url["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"deep bytes");
    app.post_ok("/api/v2/file/preview_token", token, &json!({"file_id": top}))
        .await;

    // Outside its folder the token finds nothing; beyond reading it may do nothing.
    assert_api_error(
        app.get(&format!("/api/v2/file/{outside}/info"), token).await,
        404,
        "file_not_found",
    )
    .await;
    assert_api_error(
        app.get("/api/v2/folder/0/children", token).await,
        404,
        "folder_not_found",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{projects}/children"), token).await,
        404,
        "folder_not_found",
    )
    .await;
    for (path, body) in [
        (format!("/api/v2/file/{top}/delete"), json!({})),
        (format!("/api/v2/file/{top}/update"), json!({"name": "x.md"})),
        ("/api/v2/share_link/create".to_owned(), json!({"file_id": top})),
        (
            "/api/v2/folder/create".to_owned(),
            json!({"name": "new", "parent_id": shared}),
        ),
        (
            "/api/v2/file/upload_v2".to_owned(),
            json!({"parent_id": shared, "name": "x.txt", "upload_type": "api"}),
        ),
    ] {
        assert_api_error(app.post(&path, token, &body).await, 403, "permission_denied").await;
    }
    for path in [
        "/api/v2/item/search?query_words=合同",
        "/api/v2/user/info",
        "/api/v2/recent_items",
    ] {
        assert_api_error(app.get(path, token).await, 403, "permission_denied").await;
    }
    assert_eq!(app.download(&alice, top).await, b"# rules");
}

#[tokio::test]
async fn an_upload_token_adds_files_to_its_folder_only_and_a_preview_token_does_not_download() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let inbox = id(&app.mkdir(&alice, 0, "收件箱").await);
    let elsewhere = id(&app.mkdir(&alice, 0, "别处").await);
    let existing = id(&app.upload(&alice, inbox, "已有.txt", b"kept").await);

    let issued = component_token(&app, &alice, "item.upload", &format!("/api/v2/folder/{inbox}")).await;
    let token = issued["access_token"].as_str().unwrap();
    let added = app.upload(token, inbox, "发票.txt", b"receipt").await;
    assert_eq!(app.download(&alice, id(&added)).await, b"receipt");
    assert_api_error(
        app.post(
            "/api/v2/file/upload_v2",
            token,
            &json!({"parent_id": elsewhere, "name": "x.txt", "upload_type": "api"}),
        )
        .await,
        404,
        "folder_not_found",
    )
    .await;
    // An uploader drops files in without seeing what is there, nor covering what is there.
    let covering = app
        .post(
            "/api/v2/file/upload_v2",
            token,
            &json!({"parent_id": inbox, "name": "已有.txt", "is_covered": true, "upload_type": "api"}),
        )
        .await;
    assert_api_error(covering, 403, "permission_denied").await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{inbox}/children"), token).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{existing}/info"), token).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{existing}/download"), token).await,
        403,
        "permission_denied",
    )
    .await;

    let preview = component_token(&app, &alice, "item.preview", &format!("/api/v2/file/{existing}")).await;
    let preview = preview["access_token"].as_str().unwrap();
    app.get_ok(&format!("/api/v2/file/{existing}/preview"), preview).await;
    assert_api_error(
        app.get(&format!("/api/v2/file/{existing}/download"), preview).await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.get(&format!("/api/v2/folder/{inbox}/children"), preview).await,
        404,
        "folder_not_found",
    )
    .await;
}

/// RFC 7009 revocation of `token` by the test tenant's app.
async fn revoke(app: &TestApp, token: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", app.url))
        .basic_auth(&app.tenant.client_id, Some(&app.tenant.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_component_token_ends_with_its_subject_and_what_it_asks_for_ends_with_it() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let folder = id(&app.mkdir(&alice, 0, "报表").await);
    let file = id(&app.upload(&alice, folder, "q3.txt", b"figures").await);
    let resource = format!("/api/v2/folder/{folder}");
    let first = component_token(&app, &alice, "item.download", &resource).await;
    let first = first["access_token"].as_str().unwrap().to_owned();
    let second = component_token(&app, &alice, "item.preview", &resource).await;
    let second = second["access_token"].as_str().unwrap().to_owned();

    // A week asked for by the component is the component token's hour at most; the user's
    // own URL keeps its week.
    let week = format!("/api/v2/file/{file}/download?valid_period=604800");
    let components = app.get_ok(&week, &first).await["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let users = app.get_ok(&week, &alice).await["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let preview = app
        .post_ok(
            "/api/v2/file/preview_token",
            &second,
            &json!({"file_id": file, "period": 86400}),
        )
        .await;
    let preview = app
        .public_json(&format!(
            "/preview/info?preview_token={}",
            preview["preview_token"].as_str().unwrap()
        ))
        .await;
    assert!(preview["expires_at"].as_i64().unwrap() <= app.now() + 3600, "{preview}");
    assert_eq!(reqwest::get(&components).await.unwrap().status(), 200);
    app.clock.advance(3601);
    assert_eq!(reqwest::get(&components).await.unwrap().status(), 404);
    assert_eq!(reqwest::get(&users).await.unwrap().status(), 200);
    app.clock.advance(-3601);

    // Revoking one component's token leaves its sibling and its subject working…
    revoke(&app, &first).await;
    assert_api_error(
        app.get(&format!("{resource}/children"), &first).await,
        401,
        "invalid_token",
    )
    .await;
    app.get_ok(&format!("{resource}/children"), &second).await;
    app.get_ok(&format!("{resource}/children"), &alice).await;
    // …and revoking the subject ends every token traded for it.
    revoke(&app, &alice).await;
    assert_api_error(
        app.get(&format!("{resource}/children"), &second).await,
        401,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn the_exchange_refuses_what_it_cannot_confine() {
    let app = TestApp::spawn().await;
    let alice = app.admin_user_token().await;
    let folder = id(&app.mkdir(&alice, 0, "资料").await);
    let file = id(&app.upload(&alice, folder, "a.txt", b"a").await);
    let bob = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let bobs = app.user_token(&app.tenant, bob).await;
    let resource = format!("/api/v2/folder/{folder}");

    let refused = |form: Vec<(&'static str, String)>, error: &'static str| {
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = form.iter().map(|(name, value)| (*name, value.as_str())).collect();
            assert_oauth_error(exchange(app, &app.tenant, &fields).await, 400, error).await;
        }
    };
    let form = |subject: &str, scope: &str, resource: &str| {
        vec![
            ("subject_token", subject.to_owned()),
            ("scope", scope.to_owned()),
            ("resource", resource.to_owned()),
        ]
    };
    refused(form("not-a-token", "item.download", &resource), "invalid_grant").await;
    refused(form(&alice, "", &resource), "invalid_scope").await;
    refused(form(&alice, "all", &resource), "invalid_scope").await;
    refused(form(&alice, "item.download files.write", &resource), "invalid_scope").await;
    refused(form(&alice, "item.download", "/api/v2/user/1"), "invalid_target").await;
    refused(
        form(
            &alice,
            "item.download",
            &format!("https://elsewhere.test/api/v2/folder/{folder}"),
        ),
        "invalid_target",
    )
    .await;
    refused(
        form(&alice, "item.upload", &format!("/api/v2/file/{file}")),
        "invalid_target",
    )
    .await;
    // Bob may not reach Alice's folder: there is nothing there for him to confine to.
    refused(form(&bobs, "item.preview", &resource), "invalid_target").await;
    let fields: Vec<(&str, &str)> = vec![
        ("grant_type", EXCHANGE),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ("subject_token", &alice),
        ("scope", "item.download"),
        ("resource", &resource),
    ];
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&app.tenant.client_id, Some(&app.tenant.client_secret))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, 400, "invalid_request").await;

    // A confined token is not exchanged again, nor another app's token at all.
    let confined = component_token(&app, &alice, "item.download", &resource).await;
    refused(
        form(confined["access_token"].as_str().unwrap(), "item.preview", &resource),
        "invalid_grant",
    )
    .await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let theirs = app.user_token(&other, other.admin_user_id).await;
    let fields: Vec<(&str, &str)> = vec![
        ("subject_token", &theirs),
        ("scope", "item.download"),
        ("resource", "folder/0"),
    ];
    assert_oauth_error(exchange(&app, &app.tenant, &fields).await, 400, "invalid_grant").await;

    // Item scopes come only from an exchange.
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&app.tenant.client_id, Some(&app.tenant.client_secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "item.preview")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(response, 400, "invalid_scope").await;
}

#[tokio::test]
async fn component_pages_may_be_framed_by_the_apps_registered_sites_only() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        &format!("/api/v2/admin/app/{}/update", app.tenant.app_id),
        &admin,
        &json!({"redirect_uris": ["https://hr.acme.test/oauth/callback", "http://127.0.0.1:8090/callback"]}),
    )
    .await;
    let policy = |path: String| {
        let app = &app;
        async move {
            let response = reqwest::get(format!("{}{path}", app.url)).await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    for component in ["picker", "uploader", "previewer"] {
        let csp = policy(format!("/embed/{component}?client_id={}", app.tenant.client_id)).await;
        assert!(
            csp.contains("frame-ancestors 'self' http://127.0.0.1:8090 https://hr.acme.test"),
            "{csp}"
        );
    }
    let csp = policy("/embed/picker?client_id=nobody".to_owned()).await;
    assert!(csp.contains("frame-ancestors 'self'") && !csp.contains("acme"), "{csp}");
    let csp = policy("/embed/picker".to_owned()).await;
    assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
    let missing = reqwest::get(format!("{}/embed/console", app.url)).await.unwrap();
    assert_eq!(missing.status(), 404);
}

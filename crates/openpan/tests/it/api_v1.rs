//! `/api/v1/{module}/{api}` as the API overview document describes it: service discovery
//! through the account module, who a token is, app instances, the plan's renewal and the
//! authentication configuration; errors in the `/api/v2` envelope.

use serde_json::{Value, json};

use openpan_core::auth::Principal;
use openpan_core::ids::EnterpriseId;
use openpan_core::services::CreateApp;

use crate::harness::{HttpSink, TestApp, assert_api_error, assert_transfer_error};

impl TestApp {
    /// `GET /api/v1/{path}?query` with `token`.
    pub async fn v1_get(&self, path: &str, token: &str, query: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .get(format!("{}/api/v1/{path}", self.url))
            .bearer_auth(token)
            .query(query)
            .send()
            .await
            .expect("v1 request")
    }

    pub async fn v1_ok(&self, path: &str, token: &str, query: &[(&str, &str)]) -> Value {
        let response = self.v1_get(path, token, query).await;
        crate::harness::json_ok(response, format_args!("GET /api/v1/{path}")).await
    }

    /// The tenant's account (short name), as the token info reports it.
    pub async fn account(&self, token: &str) -> String {
        self.v1_ok("account/get_token_info", token, &[]).await["account"]
            .as_str()
            .expect("account")
            .to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integrator_discovers_the_address_of_each_app_and_who_its_token_is() {
    let app = TestApp::spawn().await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;

    // Who the token is: the app, the enterprise's account and the user.
    let info = app.v1_ok("account/get_token_info", &token, &[]).await;
    assert_eq!(info["app_id"], app.tenant.app_id);
    assert_eq!(info["client_id"], app.tenant.client_id.as_str());
    assert_eq!(info["enterprise_id"], app.tenant.enterprise_id);
    assert_eq!(info["user_id"], user);
    let account = info["account"].as_str().unwrap().to_owned();
    let admin = app.enterprise_token(&app.tenant).await;
    let info = app.v1_ok("account/get_token_info", &admin, &[]).await;
    assert_eq!(info["user_id"], Value::Null, "an enterprise token speaks for no user");

    // The document's example: `account=…&app=workonline&instance=default`.
    for (service, path) in [
        ("workonline", "/api/v2"),
        ("file", "/api/v1/file"),
        ("sms", "/api/v1/sms"),
    ] {
        let address = app
            .v1_ok(
                "account/get_api_address",
                &token,
                &[("account", &account), ("app", service), ("instance", "default")],
            )
            .await;
        assert_eq!(address["api_url"], format!("{}{path}", app.url), "{service}");
        assert_eq!(address["instance"], "default");
    }
    // Without `instance`, the default one.
    let address = app
        .v1_ok(
            "account/get_api_address",
            &token,
            &[("account", &account), ("app", "sms")],
        )
        .await;
    assert_eq!(address["api_url"], format!("{}/api/v1/sms", app.url));
    // The workonline address is the drive's platform: the same token works there.
    let me = app.get_ok("/api/v2/user/info", &token).await;
    assert_eq!(me["id"], user);

    // Unknown account, app or instance: clear errors; another enterprise's account is unknown.
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let other_account = app.account(&app.enterprise_token(&other).await).await;
    for missing in ["nobody", other_account.as_str()] {
        assert_api_error(
            app.v1_get(
                "account/get_api_address",
                &token,
                &[("account", missing), ("app", "workonline")],
            )
            .await,
            404,
            "enterprise_not_found",
        )
        .await;
    }
    let body = assert_api_error(
        app.v1_get(
            "account/get_api_address",
            &token,
            &[("account", &account), ("app", "mail")],
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "app");
    let body = assert_api_error(
        app.v1_get(
            "account/get_api_address",
            &token,
            &[("account", &account), ("app", "file"), ("instance", "archive")],
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "instance");
    let body = assert_api_error(
        app.v1_get("account/get_api_address", &token, &[("app", "file")]).await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "account");

    // Every module is behind the OAuth2 token; unknown APIs answer the envelope too.
    let response = app
        .client
        .get(format!("{}/api/v1/account/get_token_info", app.url))
        .send()
        .await
        .unwrap();
    assert_api_error(response, 401, "unauthorized").await;
    assert_api_error(
        app.v1_get("account/no_such_api", &token, &[]).await,
        404,
        "api_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_manage_named_instances_that_discovery_then_answers_for() {
    let app = TestApp::spawn().await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let account = app.account(&admin).await;

    let create = |token: String, body: Value| {
        let app = &app;
        async move { app.post("/api/v1/account/create_instance", &token, &body).await }
    };
    assert_api_error(
        create(token.clone(), json!({"app": "file", "instance": "hr"})).await,
        403,
        "permission_denied",
    )
    .await;
    let created = create(
        admin.clone(),
        json!({"app": "file", "instance": "hr", "api_url": "https://files.acme.test/api/v1/file"}),
    )
    .await;
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["builtin"], false);
    assert_eq!(created["api_url"], "https://files.acme.test/api/v1/file");
    // One served here, created by an administrator's user token (a form body this time).
    let admin_user = app.admin_user_token().await;
    let response = app
        .client
        .post(format!("{}/api/v1/account/create_instance", app.url))
        .bearer_auth(&admin_user)
        .form(&[("app", "sms"), ("instance", "marketing")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let address = app
        .v1_ok(
            "account/get_api_address",
            &token,
            &[("account", &account), ("app", "file"), ("instance", "hr")],
        )
        .await;
    assert_eq!(address["api_url"], "https://files.acme.test/api/v1/file");
    let address = app
        .v1_ok(
            "account/get_api_address",
            &token,
            &[("account", &account), ("app", "sms"), ("instance", "marketing")],
        )
        .await;
    assert_eq!(address["api_url"], format!("{}/api/v1/sms", app.url));

    let listed = app.v1_ok("account/list_instances", &token, &[]).await;
    let names: Vec<String> = listed["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|instance| {
            format!(
                "{}/{}",
                instance["app"].as_str().unwrap(),
                instance["instance"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "workonline/default",
            "file/default",
            "sms/default",
            "file/hr",
            "sms/marketing"
        ]
    );
    let files = app.v1_ok("account/list_instances", &token, &[("app", "file")]).await;
    assert_eq!(files["instances"].as_array().unwrap().len(), 2);

    // Bad names and addresses, duplicates, and the default instances are refused by field.
    for (body, field) in [
        (json!({"app": "file", "instance": "hr"}), "instance"),
        (json!({"app": "file", "instance": "default"}), "instance"),
        (json!({"app": "file", "instance": "Bad Name"}), "instance"),
        (
            json!({"app": "file", "instance": "x", "api_url": "ftp://files"}),
            "api_url",
        ),
        (json!({"app": "fax", "instance": "x"}), "app"),
    ] {
        let body = assert_api_error(create(admin.clone(), body).await, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field);
    }

    let deleted = app
        .post_ok(
            "/api/v1/account/delete_instance",
            &admin,
            &json!({"app": "file", "instance": "hr"}),
        )
        .await;
    assert_eq!(deleted["success"], true);
    assert_api_error(
        app.v1_get(
            "account/get_api_address",
            &token,
            &[("account", &account), ("app", "file"), ("instance", "hr")],
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v1/account/delete_instance",
            &admin,
            &json!({"app": "file", "instance": "default"}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_plan_keeps_reading_open_and_refuses_writes_until_renewed() {
    let app = TestApp::spawn().await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let enterprise = app.tenant.enterprise_id;

    let until = (app.now() + 60).to_string();
    let renewed = openpan::admin::renew(&app.core, enterprise, &until).await.unwrap();
    assert_eq!(renewed["expired"], false);
    let renewal = app.v1_ok("account/renewal", &admin, &[]).await;
    assert_eq!(renewal["paid_until"], app.now() + 60);
    assert_eq!(renewal["expired"], false);
    app.mkdir(&token, 0, "before").await;
    let kept = app.upload(&token, 0, "kept.txt", b"kept").await["id"].as_i64().unwrap();
    let pending = app
        .post_ok(
            "/api/v2/file/upload_v2",
            &token,
            &json!({"parent_id": 0, "name": "late.txt", "upload_type": "api"}),
        )
        .await["presign_url"]
        .as_str()
        .unwrap()
        .to_owned();

    app.clock.advance(61);
    // An upload URL issued before the plan ended commits nothing after it.
    assert_transfer_error(app.send_bytes(&pending, b"late").await, 400, "enterprise_is_expired").await;
    let pack = app
        .post(
            "/api/v2/file/pack_download",
            &token,
            &json!({"item_typed_ids": [format!("file_{kept}")]}),
        )
        .await;
    assert_eq!(pack.status(), 200, "packing reads");
    let renewal = app.v1_ok("account/renewal", &admin, &[]).await;
    assert_eq!(renewal["expired"], true);
    // Writes of every kind, by users and the administrator, on both APIs.
    assert_api_error(
        app.post(
            "/api/v2/folder/create",
            &token,
            &json!({"name": "after", "parent_id": 0}),
        )
        .await,
        400,
        "enterprise_is_expired",
    )
    .await;
    assert_api_error(
        app.post("/api/v2/admin/group/create", &admin, &json!({"name": "late"}))
            .await,
        400,
        "enterprise_is_expired",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v1/account/create_instance",
            &admin,
            &json!({"app": "file", "instance": "late"}),
        )
        .await,
        400,
        "enterprise_is_expired",
    )
    .await;
    // Reading goes on, the POST-shaped reads included.
    let children = app.get_ok("/api/v2/folder/0/children", &token).await;
    assert_eq!(
        children["total_count"], 2,
        "the folder and the kept file, not the late one"
    );
    let response = app.post("/api/v2/admin/log/action_type_info", &admin, &json!({})).await;
    assert_eq!(response.status(), 200);
    // Another enterprise is not affected.
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let other_admin = app.enterprise_token(&other).await;
    let response = app
        .post("/api/v2/admin/group/create", &other_admin, &json!({"name": "fine"}))
        .await;
    assert_eq!(response.status(), 200);

    // Only the host's operator renews; then writes work again at once.
    let refused = app
        .core
        .renew_enterprise(
            &app.core.authenticate_bearer(&admin).await.unwrap(),
            EnterpriseId(enterprise),
            None,
        )
        .await;
    assert!(refused.is_err());
    openpan::admin::renew(&app.core, enterprise, "none").await.unwrap();
    app.mkdir(&token, 0, "after").await;
    let renewal = app.v1_ok("account/renewal", &admin, &[]).await;
    assert_eq!(renewal["paid_until"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authentication_configuration_lists_the_apps_and_edits_their_settings() {
    let app = TestApp::spawn().await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let admin = app.enterprise_token(&app.tenant).await;
    assert_api_error(
        app.v1_get("account/auth_config", &token, &[]).await,
        403,
        "permission_denied",
    )
    .await;

    let second = app
        .core
        .create_app(
            &Principal::local_operator(),
            CreateApp {
                enterprise_id: EnterpriseId(app.tenant.enterprise_id),
                name: "HR sync".to_owned(),
                callback_url: None,
                client_type: Default::default(),
                redirect_uris: Vec::new(),
                allowed_scopes: None,
            },
        )
        .await
        .unwrap();
    let config = app.v1_ok("account/auth_config", &admin, &[]).await;
    assert_eq!(config["token_endpoint"], format!("{}/oauth/token", app.url));
    let apps = config["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0]["client_id"], app.tenant.client_id.as_str());
    assert_eq!(
        apps[0]["grant_types"],
        json!([
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            "jwt",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:ietf:params:oauth:grant-type:device_code",
            "jwt_simple",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
    assert_eq!(apps[1]["name"], "HR sync");
    assert_eq!(apps[1]["user_field"], "any");
    assert!(
        !config.to_string().contains("secret"),
        "no secret, not even its hash, is shown: {config}"
    );

    let update = |body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { app.post("/api/v1/account/update_auth_config", &admin, &body).await }
    };
    let second_id = second.app.id.0;
    let updated: Value =
        update(json!({"app_id": second_id, "callback_url": "https://hr.acme.test/hook", "user_field": "email"}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(updated["callback_url"], "https://hr.acme.test/hook");
    assert_eq!(updated["user_field"], "email");
    // An empty callback address clears it; the rest stays.
    let updated: Value = update(json!({"app_id": second_id, "callback_url": ""}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["callback_url"], Value::Null);
    assert_eq!(updated["user_field"], "email");

    for (body, field) in [
        (
            json!({"app_id": second_id, "callback_url": "javascript:alert(1)"}),
            "callback_url",
        ),
        (json!({"app_id": second_id, "user_field": "nickname"}), "user_field"),
        (json!({"app_id": second_id, "status": "deleted"}), "status"),
        (json!({"app_id": app.tenant.app_id, "status": "disabled"}), "status"),
        (json!({"app_id": "x"}), "app_id"),
    ] {
        let body = assert_api_error(update(body).await, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field);
    }

    // Disabling an app revokes its tokens at once; another enterprise's app is not found.
    let second_token = {
        let tenant = crate::harness::Tenant {
            app_id: second_id,
            client_id: second.app.client_id.clone(),
            client_secret: second.client_secret.clone(),
            ..app.tenant.clone()
        };
        app.user_token(&tenant, user).await
    };
    app.get_ok("/api/v2/user/info", &second_token).await;
    let updated: Value = update(json!({"app_id": second_id, "status": "disabled"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["status"], "disabled");
    assert_eq!(app.get("/api/v2/user/info", &second_token).await.status(), 401);
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    assert_api_error(
        update(json!({"app_id": other.app_id, "callback_url": "https://x.test"})).await,
        404,
        "app_not_found",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_org_module_reads_for_everyone_and_changes_for_administrators() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let post = |path: &'static str, token: String, body: Value| {
        let app = &app;
        async move { app.post(&format!("/api/v1/org/{path}"), &token, &body).await }
    };
    let ok = |path: &'static str, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { app.post_ok(&format!("/api/v1/org/{path}"), &admin, &body).await }
    };

    // Users: created with the `/api/v2/admin/user/create` fields, ids as parameters after.
    let lin = ok(
        "create_user",
        json!({"name": "Lin", "email": "lin@acme.test", "force_active": true, "password": "secret-123"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let mei = ok(
        "create_user",
        json!({"name": "Mei", "email": "mei@acme.test", "force_active": true, "password": "secret-123"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let updated = ok("update_user", json!({"user_id": lin, "name": "Lin Feng"})).await;
    assert_eq!(updated["name"], "Lin Feng");
    let token = app.user_token(&app.tenant, lin).await;

    // Departments, with a form body this time.
    let response = app
        .client
        .post(format!("{}/api/v1/org/create_department", app.url))
        .bearer_auth(&admin)
        .form(&[("name", "研发"), ("parent_id", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let research = response.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    ok(
        "add_department_user",
        json!({"department_id": research, "user_id": lin}),
    )
    .await;
    ok(
        "add_department_user",
        json!({"department_id": research, "user_id": mei}),
    )
    .await;
    let renamed = ok(
        "update_department",
        json!({"department_id": research, "name": "研发中心"}),
    )
    .await;
    assert_eq!(renamed["name"], "研发中心");

    // Groups.
    let group = ok("create_group", json!({"name": "Readers", "visible": true})).await["id"]
        .as_i64()
        .unwrap();
    ok("add_group_user", json!({"group_id": group, "user_id": mei})).await;

    // Everyone reads: single records, members, and the lists with the OA dialect's criteria.
    let research_text = research.to_string();
    let department = app
        .v1_ok(
            "org/get_department",
            &token,
            &[("department_id", research_text.as_str())],
        )
        .await;
    assert_eq!(department["name"], "研发中心");
    let members = app
        .v1_ok(
            "org/department_users",
            &token,
            &[("department_id", research_text.as_str())],
        )
        .await;
    assert_eq!(members["total_count"], 2);
    let top = app
        .v1_ok("org/department_children", &token, &[("department_id", "0")])
        .await;
    assert_eq!(top["children"][0]["id"], research, "{top}");
    let search = json!({"department_id": [[research], "in"], "group_id": [group, "!="]}).to_string();
    let listed = app
        .v1_ok("org/list_users", &token, &[("search", search.as_str())])
        .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["list"][0]["user_name"], "Lin Feng");
    let listed = app
        .v1_ok("org/list_departments", &token, &[("order_by", "department_id desc")])
        .await;
    assert_eq!(listed["list"][0]["department_name"], "研发中心");
    let listed = app
        .v1_ok("org/list_groups", &token, &[("page", "1"), ("limit", "10")])
        .await;
    assert_eq!(listed["list"][0]["group_name"], "Readers");
    let group_text = group.to_string();
    let found = app
        .v1_ok("org/get_group", &token, &[("group_id", group_text.as_str())])
        .await;
    assert_eq!(found["name"], "Readers");
    let members = app
        .v1_ok("org/group_users", &token, &[("group_id", group_text.as_str())])
        .await;
    assert_eq!(members["total_count"], 1);
    let mei_text = mei.to_string();
    let colleague = app
        .v1_ok("org/get_user", &token, &[("user_id", mei_text.as_str())])
        .await;
    assert_eq!(colleague["name"], "Mei");
    let record = app
        .v1_ok("org/get_user", &admin, &[("user_id", mei_text.as_str())])
        .await;
    assert_eq!(record["email"], "mei@acme.test");

    // Users change nothing; a missing or malformed id is named.
    assert_api_error(
        post(
            "create_department",
            token.clone(),
            json!({"name": "Rogue", "parent_id": 0}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    for body in [json!({"name": "x"}), json!({"department_id": "abc", "name": "x"})] {
        let body = assert_api_error(
            post("update_department", admin.clone(), body).await,
            400,
            "request_data_invalid",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "department_id");
    }
    let body = assert_api_error(
        app.v1_get(
            "org/list_users",
            &token,
            &[("search", r#"{"password_hash": ["x", "="]}"#)],
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "search.password_hash");

    // And the administrator undoes it all.
    ok("remove_group_user", json!({"group_id": group, "user_id": mei})).await;
    ok("delete_group", json!({"group_id": group})).await;
    ok(
        "remove_department_user",
        json!({"department_id": research, "user_id": mei}),
    )
    .await;
    ok(
        "remove_department_user",
        json!({"department_id": research, "user_id": lin}),
    )
    .await;
    ok("delete_department", json!({"department_id": research})).await;
    ok("delete_user", json!({"user_id": mei, "user_receive_items": lin})).await;
    let listed = app.v1_ok("org/list_users", &admin, &[]).await;
    assert_eq!(listed["total"], 2, "the tenant's admin and Lin: {listed}");
    assert_api_error(
        app.v1_get("org/get_group", &token, &[("group_id", group_text.as_str())])
            .await,
        404,
        "group_not_found",
    )
    .await;
}

async fn send_sms(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/api/v1/sms/send", token, &body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_go_to_the_outbox_by_default_from_text_or_templates_to_checked_numbers() {
    let app = TestApp::spawn_with(|config| config.sms.per_phone_per_hour = 3).await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    let admin = app.enterprise_token(&app.tenant).await;

    assert_api_error(
        app.post(
            "/api/v1/sms/create_template",
            &token,
            &json!({"template": "verify", "content": "x"}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    let template = app
        .post_ok(
            "/api/v1/sms/create_template",
            &admin,
            &json!({"template": "verify", "content": "验证码{code}，{minutes}分钟内有效"}),
        )
        .await;
    assert_eq!(template["template"], "verify");
    let templates = app.v1_ok("sms/list_templates", &token, &[]).await;
    assert_eq!(
        templates["templates"][0]["content"],
        "验证码{code}，{minutes}分钟内有效"
    );

    // From a template (numbers as parameters too), and as literal text to a formatted number.
    let sent: Value = send_sms(
        &app,
        &token,
        json!({"phone": "13800138000", "template": "verify", "params": {"code": "4821", "minutes": 5}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(sent["status"], "outbox", "{sent}");
    assert_eq!(sent["gateway"], "outbox");
    assert_eq!(sent["text"], "验证码4821，5分钟内有效");
    assert_eq!(sent["template"], "verify");
    assert_eq!(sent["user_id"], user);
    assert_eq!(sent["app_id"], app.tenant.app_id);
    let literal: Value = send_sms(
        &app,
        &token,
        json!({"phone": "+86 138-0013-8001", "text": "会议改到 3 点"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(literal["phone"], "13800138001");

    // Bad input is refused by field.
    for (body, field) in [
        (json!({"phone": "12345", "text": "x"}), "phone"),
        (
            json!({"phone": "13800138000", "text": "x", "template": "verify"}),
            "text",
        ),
        (json!({"phone": "13800138000"}), "text"),
        (
            json!({"phone": "13800138000", "template": "verify", "params": {"code": "1"}}),
            "params.minutes",
        ),
        (json!({"phone": "13800138000", "template": "missing"}), "template"),
        (
            json!({"phone": "13800138000", "template": "verify", "params": "code=1"}),
            "params",
        ),
        (json!({"phone": "13800138000", "text": "长".repeat(501)}), "text"),
        (json!({"phone": "13800138000", "text": "bell\u{7}"}), "text"),
    ] {
        let body = assert_api_error(send_sms(&app, &token, body).await, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }

    // The outbox, newest first, for administrators; the sending app reads its own message.
    assert_api_error(app.v1_get("sms/list", &token, &[]).await, 403, "permission_denied").await;
    let outbox = app.v1_ok("sms/list", &admin, &[]).await;
    assert_eq!(outbox["total_count"], 2);
    assert_eq!(outbox["messages"][0]["message_id"], literal["message_id"]);
    assert_eq!(outbox["messages"][1]["text"], "验证码4821，5分钟内有效");
    let id = sent["message_id"].to_string();
    let read = app.v1_ok("sms/get", &token, &[("message_id", id.as_str())]).await;
    assert_eq!(read["phone"], "13800138000");
    let colleague = app.create_user(&app.tenant, "Mei", "mei@acme.test").await;
    let colleague = app.user_token(&app.tenant, colleague).await;
    assert_api_error(
        app.v1_get("sms/get", &colleague, &[("message_id", id.as_str())]).await,
        403,
        "permission_denied",
    )
    .await;
    let read = app.v1_ok("sms/get", &admin, &[("message_id", id.as_str())]).await;
    assert_eq!(read["text"], "验证码4821，5分钟内有效");
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let other_admin = app.enterprise_token(&other).await;
    assert_api_error(
        app.v1_get("sms/get", &other_admin, &[("message_id", id.as_str())])
            .await,
        400,
        "request_data_invalid",
    )
    .await;

    // Each number has its budget (three an hour here); other numbers are not held back.
    for _ in 0..2 {
        assert_eq!(
            send_sms(&app, &token, json!({"phone": "13800138000", "text": "hi"}))
                .await
                .status(),
            200
        );
    }
    let limited = send_sms(&app, &token, json!({"phone": "13800138000", "text": "hi"})).await;
    assert!(limited.headers().contains_key("retry-after"));
    assert_api_error(limited, 429, "rate_limit").await;
    assert_eq!(
        send_sms(&app, &token, json!({"phone": "13800138002", "text": "hi"}))
            .await
            .status(),
        200
    );

    let deleted = app
        .post_ok("/api/v1/sms/delete_template", &admin, &json!({"template": "verify"}))
        .await;
    assert_eq!(deleted["success"], true);
    let templates = app.v1_ok("sms/list_templates", &token, &[]).await;
    assert_eq!(templates["templates"], json!([]));
}

/// A stand-in SMS gateway: answers 200 `{"id": "gw-<n>"}`, or 500 for numbers ending in 9.
async fn sms_gateway() -> HttpSink {
    HttpSink::start(|count, body| {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        if body["phone"].as_str().is_some_and(|phone| phone.ends_with('9')) {
            (500, String::new())
        } else {
            (200, format!("{{\"id\":\"gw-{count}\"}}"))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_gateway_receives_each_message_and_its_answer_is_recorded() {
    let gateway = sms_gateway().await;
    let url = gateway.url.clone();
    let app = TestApp::spawn_with(|config| {
        config.sms.http_url = Some(url);
        config.sms.http_token = Some("gateway-secret".to_owned());
    })
    .await;
    let admin = app.enterprise_token(&app.tenant).await;

    let sent: Value = send_sms(&app, &admin, json!({"phone": "13800138000", "text": "您好"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["gateway"], "http");
    assert_eq!(sent["gateway_ref"], "gw-1");
    assert!(sent["sent_at"].is_i64());
    assert_eq!(sent["user_id"], Value::Null, "an enterprise token sends for no user");
    let seen = gateway.received();
    assert_eq!(seen[0].header("authorization"), "Bearer gateway-secret");
    let request = seen[0].json();
    assert_eq!(request["phone"], "13800138000");
    assert_eq!(request["text"], "您好");
    assert_eq!(request["message_id"], sent["message_id"]);
    assert_eq!(request["enterprise_id"], app.tenant.enterprise_id);

    // A refusal is recorded with its reason; the message is kept either way.
    let failed: Value = send_sms(&app, &admin, json!({"phone": "13800138009", "text": "您好"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"], "gateway answered 500");
    let outbox = app.v1_ok("sms/list", &admin, &[]).await;
    assert_eq!(outbox["total_count"], 2);
    assert_eq!(outbox["messages"][0]["status"], "failed");
    assert_eq!(outbox["messages"][1]["gateway_ref"], "gw-1");
}

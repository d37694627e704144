//! The auth service dialect (`/apis/rest/...`), followed as its document tells an integrator:
//! a user access token from the desktop login, an auth code for the app, the user's and the
//! company's information, and every error code from the rule behind it.

use std::collections::HashMap;

use serde_json::{Value, json};

use openpan_core::auth::Principal;
use openpan_core::ids::EnterpriseId;
use openpan_core::model::AppStatus;
use openpan_core::services::{CreateApp, CreateUser};

use crate::harness::{Tenant, TestApp};

/// `t_` and `p_` for the server's present.
fn stamp(app: &TestApp) -> (String, String) {
    let t = app.now() * 1000 + 417;
    (t.to_string(), ((t % 10_000) * 3 + 2345).to_string())
}

pub(crate) struct Client<'a> {
    app: &'a TestApp,
    client_id: String,
    client_secret: String,
}

impl<'a> Client<'a> {
    pub(crate) fn of(app: &'a TestApp, tenant: &Tenant) -> Self {
        Self {
            app,
            client_id: tenant.client_id.clone(),
            client_secret: tenant.client_secret.clone(),
        }
    }

    /// A GET with Basic client auth and a fresh stamp; `extra` may override or drop (`None`)
    /// any parameter.
    pub(crate) async fn get(&self, path: &str, extra: &[(&str, Option<&str>)]) -> reqwest::Response {
        let (t, p) = stamp(self.app);
        let mut params: Vec<(String, String)> = vec![("t_".into(), t), ("p_".into(), p)];
        for (name, value) in extra {
            params.retain(|(key, _)| key != name);
            if let Some(value) = value {
                params.push(((*name).to_owned(), (*value).to_owned()));
            }
        }
        self.app
            .client
            .get(format!("{}/apis/rest/{path}", self.app.url))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .query(&params)
            .send()
            .await
            .expect("auth service request")
    }

    pub(crate) async fn authorize(&self, token: &str) -> String {
        let body = expect_ok(
            self.get("authService/authorize/json", &[("access_token", Some(token))])
                .await,
        )
        .await;
        body["data"]["auth_code"].as_str().expect("auth_code").to_owned()
    }
}

async fn expect_ok(response: reqwest::Response) -> Value {
    let body = crate::harness::json_ok(response, format_args!("auth service")).await;
    assert_eq!(body["code"], 200, "{body}");
    assert_eq!(body["message"], "ok", "{body}");
    body
}

/// Asserts the JSON envelope of a refusal: its HTTP status, numeric code and null data.
pub(crate) async fn expect_code(response: reqwest::Response, status: u16, code: i64) -> Value {
    let url = response.url().clone();
    assert_eq!(response.status().as_u16(), status, "status of {url}");
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["code"], code, "{url}: {body}");
    assert!(body["data"].is_null(), "{body}");
    assert!(body["message"].as_str().is_some_and(|message| !message.is_empty()));
    body
}

/// The leaf elements of an XML answer by name; panics unless the document is well-formed.
fn xml_fields(text: &str) -> HashMap<String, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut fields = HashMap::new();
    let mut path: Vec<String> = Vec::new();
    let mut value = String::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                path.push(start.local_name().into_inner().to_owned());
                value.clear();
            }
            Event::End(_) => {
                if let Some(name) = path.pop() {
                    fields.entry(name).or_insert_with(|| value.clone());
                }
                value.clear();
            }
            Event::Empty(empty) => {
                fields.insert(empty.local_name().into_inner().to_owned(), String::new());
            }
            Event::Text(text) => {
                let raw: &str = &text;
                value.push_str(raw);
            }
            Event::GeneralRef(reference) => {
                let name: &str = &reference;
                match reference.resolve_char_ref().expect("valid character reference") {
                    Some(ch) => value.push(ch),
                    None => {
                        value.push_str(quick_xml::escape::resolve_predefined_entity(name).expect("predefined entity"))
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "every element closed");
    fields
}

async fn user_with_password(app: &TestApp, tenant: &Tenant, name: &str, email: &str, password: &str) -> i64 {
    let cmd = CreateUser {
        enterprise_id: EnterpriseId(tenant.enterprise_id),
        name: name.to_owned(),
        email: Some(email.to_owned()),
        phone: None,
        password: Some(password.to_owned()),
    };
    app.core
        .create_user(&Principal::local_operator(), cmd)
        .await
        .expect("user")
        .id
        .0
}

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/apis/rest/authService/login/json", app.url))
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .expect("login request")
}

async fn login_token(app: &TestApp, username: &str, password: &str) -> String {
    let body = expect_ok(login(app, username, password).await).await;
    body["data"]["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_integrator_follows_the_auth_service_document_step_by_step() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = user_with_password(&app, tenant, "李小明", "xiaoming@acme.test", "desk-top-9").await;
    let admin = app.enterprise_token(tenant).await;
    let profile = app
        .post_ok(
            "/api/v2/admin/enterprise/update",
            &admin,
            &json!({
                "company_type": "1",
                "tax_number": "652324199001010340",
                "address": "乌鲁木齐市幸福巷186号",
                "legal_person_name": "李明",
                "legal_person_phone": "13300000170",
            }),
        )
        .await;
    assert_eq!(profile["address"], "乌鲁木齐市幸福巷186号");
    assert_eq!(
        app.get_ok("/api/v2/admin/enterprise/info", &admin).await["tax_number"],
        "652324199001010340"
    );

    // The desktop client signs in and holds a three-month user access token.
    let body = expect_ok(login(&app, "XiaoMing@acme.test", "desk-top-9").await).await;
    assert_eq!(body["data"]["expires_in"], 90 * 24 * 3600);
    assert_eq!(body["data"]["user_id"], user_id);
    let token = body["data"]["access_token"].as_str().unwrap().to_owned();

    // The app authorizes with its Basic credentials, the token and the stamp.
    let client = Client::of(&app, tenant);
    let code = client.authorize(&token).await;
    assert_eq!(code.len(), 40);
    assert!(
        code.bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)),
        "{code}"
    );

    let info = expect_ok(
        client
            .get(
                "userService/getUserInfo/json",
                &[
                    ("access_token", Some(&token)),
                    ("client_id", Some(&tenant.client_id)),
                    ("auth_code", Some(&code)),
                ],
            )
            .await,
    )
    .await;
    let data = &info["data"];
    assert_eq!(data["username"], "xiaoming@acme.test");
    assert_eq!(data["truename"], "李小明");
    assert_eq!(data["is_admin"], "0");
    assert_eq!(data["sex"], "3");
    assert!(data["status"].is_null());
    assert_eq!(data["avatar"], "");
    let created = data["created"].as_str().unwrap();
    assert!(
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", created).is_ok(),
        "{created}"
    );
    assert!((data["nowtime"].as_i64().unwrap() - app.now()).abs() <= 1);

    // A used code no longer exists.
    let again = client
        .get(
            "userService/getUserInfo/json",
            &[("access_token", Some(&token)), ("auth_code", Some(&code))],
        )
        .await;
    expect_code(again, 400, 100019).await;

    // The company, in XML this time.
    let code = client.authorize(&token).await;
    let response = client
        .get(
            "companyService/getCompanyInfo/xml",
            &[("access_token", Some(&token)), ("auth_code", Some(&code))],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let text = response.text().await.unwrap();
    assert!(text.starts_with("<?xml"), "{text}");
    let fields = xml_fields(&text);
    assert_eq!(fields["code"], "200");
    assert_eq!(fields["message"], "ok");
    assert_eq!(fields["company_name"], "Acme");
    assert_eq!(fields["company_type"], "1");
    assert_eq!(fields["address"], "乌鲁木齐市幸福巷186号");
    assert_eq!(fields["legal_person_name"], "李明");
    assert_eq!(fields["province"], "");
    for field in [
        "tax_number",
        "city",
        "zone",
        "disable",
        "tel_phone",
        "legal_person_phone",
        "created",
        "nowtime",
    ] {
        assert!(fields.contains_key(field), "{field} in {text}");
    }

    // Signing out ends the token.
    let logout = app
        .client
        .post(format!("{}/apis/rest/authService/logout/json", app.url))
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    expect_ok(logout).await;
    let after = client
        .get("authService/authorize/json", &[("access_token", Some(&token))])
        .await;
    expect_code(after, 401, 401).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_auth_service_code_follows_from_its_rule() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let operator = Principal::local_operator();
    user_with_password(&app, &tenant, "Ann", "ann@acme.test", "ann-pass-1").await;
    user_with_password(&app, &tenant, "Bob", "bob@acme.test", "bob-pass-1").await;
    let ann = login_token(&app, "ann@acme.test", "ann-pass-1").await;
    let bob = login_token(&app, "bob@acme.test", "bob-pass-1").await;
    let client = Client::of(&app, &tenant);
    let token = Some(ann.as_str());
    let authorize = |extra: Vec<(&'static str, Option<String>)>| {
        let client = &client;
        async move {
            let extra: Vec<(&str, Option<&str>)> =
                extra.iter().map(|(name, value)| (*name, value.as_deref())).collect();
            client.get("authService/authorize/json", &extra).await
        }
    };
    let with_token = |more: &[(&'static str, Option<&str>)]| {
        let mut extra: Vec<(&'static str, Option<String>)> = vec![("access_token", token.map(str::to_owned))];
        extra.extend(more.iter().map(|(name, value)| (*name, value.map(str::to_owned))));
        extra
    };

    // Basic client authentication: missing, malformed, wrong secret, unknown client.
    let bare = app
        .client
        .get(format!("{}/apis/rest/authService/authorize/json", app.url))
        .query(&[("access_token", ann.as_str())])
        .send()
        .await
        .unwrap();
    expect_code(bare, 401, 100009).await;
    let malformed = app
        .client
        .get(format!("{}/apis/rest/authService/authorize/json", app.url))
        .header("Authorization", "Basic not-base64!")
        .send()
        .await
        .unwrap();
    expect_code(malformed, 401, 100009).await;
    let wrong_secret = Client {
        client_secret: "nope".into(),
        ..Client::of(&app, &tenant)
    };
    expect_code(
        wrong_secret
            .get("authService/authorize/json", &[("access_token", token)])
            .await,
        401,
        100009,
    )
    .await;
    let unknown = Client {
        client_id: "1102084294".into(),
        client_secret: "aku8hCyXBd9SqYkT".into(),
        app: &app,
    };
    expect_code(
        unknown
            .get("authService/authorize/json", &[("access_token", token)])
            .await,
        401,
        100008,
    )
    .await;

    // The client is not allowed: another client_id parameter, a disabled app, a foreign user.
    expect_code(
        authorize(with_token(&[("client_id", Some("someone-else"))])).await,
        403,
        100002,
    )
    .await;
    let second = app
        .core
        .create_app(
            &operator,
            CreateApp {
                enterprise_id: EnterpriseId(tenant.enterprise_id),
                name: "HR".into(),
                callback_url: None,
                client_type: Default::default(),
                redirect_uris: Vec::new(),
                allowed_scopes: None,
            },
        )
        .await
        .unwrap();
    let hr = Client {
        client_id: second.app.client_id.clone(),
        client_secret: second.client_secret.clone(),
        app: &app,
    };
    app.core
        .set_app_status(&operator, second.app.id, AppStatus::Disabled)
        .await
        .unwrap();
    expect_code(
        hr.get("authService/authorize/json", &[("access_token", token)]).await,
        403,
        100002,
    )
    .await;
    app.core
        .set_app_status(&operator, second.app.id, AppStatus::Active)
        .await
        .unwrap();
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let globex = Client::of(&app, &other);
    expect_code(
        globex
            .get("authService/authorize/json", &[("access_token", token)])
            .await,
        403,
        100002,
    )
    .await;

    // Parameters: missing (400), empty (602), malformed or a wrong p_ or stale t_ (601).
    expect_code(authorize(vec![]).await, 400, 400).await;
    expect_code(authorize(vec![("access_token", Some(String::new()))]).await, 400, 602).await;
    expect_code(authorize(with_token(&[("t_", None)])).await, 400, 400).await;
    expect_code(authorize(with_token(&[("t_", Some("yesterday"))])).await, 400, 601).await;
    expect_code(authorize(with_token(&[("p_", Some("8519"))])).await, 400, 601).await;
    let stale = (app.now() - 600) * 1000;
    let stale_p = ((stale % 10_000) * 3 + 2345).to_string();
    let stale = stale.to_string();
    expect_code(
        authorize(with_token(&[("t_", Some(&stale)), ("p_", Some(&stale_p))])).await,
        400,
        601,
    )
    .await;
    expect_code(authorize(with_token(&[("scope", Some("files"))])).await, 400, 601).await;
    expect_code(
        client
            .get("authService/authorize/yaml", &[("access_token", token)])
            .await,
        400,
        501,
    )
    .await;
    expect_code(client.get("authService/nothing/json", &[]).await, 404, 400).await;

    // Tokens: unknown (401).
    expect_code(
        authorize(vec![(
            "access_token",
            Some("9106c9fd1e138a042d4aedf94cede7a766e0".into()),
        )])
        .await,
        401,
        401,
    )
    .await;

    // Auth codes: unknown, for someone else's client or user, beyond their scope, expired.
    let get_user_info = async |client: &Client<'_>, token: &str, code: &str| {
        client
            .get(
                "userService/getUserInfo/json",
                &[("access_token", Some(token)), ("auth_code", Some(code))],
            )
            .await
    };
    expect_code(get_user_info(&client, &ann, &"0".repeat(40)).await, 400, 100019).await;
    expect_code(get_user_info(&client, &ann, "short").await, 400, 100019).await;
    let code = client.authorize(&ann).await;
    expect_code(get_user_info(&hr, &ann, &code).await, 403, 100021).await;
    expect_code(get_user_info(&client, &bob, &code).await, 403, 100023).await;
    let company_only = expect_ok(
        client
            .get(
                "authService/authorize/json",
                &[("access_token", token), ("scope", Some("company_info"))],
            )
            .await,
    )
    .await;
    let company_code = company_only["data"]["auth_code"].as_str().unwrap();
    expect_code(get_user_info(&client, &ann, company_code).await, 403, 100018).await;
    // Refusals leave the code usable by its rightful holder.
    expect_ok(get_user_info(&client, &ann, &code).await).await;
    let late = client.authorize(&ann).await;
    app.clock.advance(301);
    expect_code(get_user_info(&client, &ann, &late).await, 400, 100020).await;

    // Three months on, the token has expired (100014).
    app.clock.advance(90 * 24 * 3600);
    expect_code(
        client
            .get("authService/authorize/json", &[("access_token", token)])
            .await,
        401,
        100014,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_answers_stay_well_formed_whatever_the_names_hold() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let name = r#"Tom & "Jerry" <admin>"#;
    user_with_password(&app, &tenant, name, "tom@acme.test", "tom-pass-1").await;
    let admin = app.enterprise_token(&tenant).await;
    app.post_ok(
        "/api/v2/admin/enterprise/update",
        &admin,
        &json!({ "address": "1 <Main> St & 'Sons' ]]>" }),
    )
    .await;
    let token = login_token(&app, "tom@acme.test", "tom-pass-1").await;
    let client = Client::of(&app, &tenant);

    let code = client.authorize(&token).await;
    let user = client
        .get(
            "userService/getUserInfo/xml",
            &[("access_token", Some(&token)), ("auth_code", Some(&code))],
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(xml_fields(&user)["truename"], name, "{user}");
    let code = client.authorize(&token).await;
    let company = client
        .get(
            "companyService/getCompanyInfo/xml",
            &[("access_token", Some(&token)), ("auth_code", Some(&code))],
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(xml_fields(&company)["address"], "1 <Main> St & 'Sons' ]]>", "{company}");

    // Refusals come in the asked format too, with an empty data element.
    let refused = client
        .get("authService/authorize/xml", &[("access_token", Some("<&>"))])
        .await;
    assert_eq!(refused.status(), 401);
    let text = refused.text().await.unwrap();
    let fields = xml_fields(&text);
    assert_eq!(fields["code"], "401", "{text}");
    assert!(fields.get("data").is_some_and(String::is_empty), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_the_login_from_that_client_and_are_audited() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant.clone();
    let user_id = user_with_password(&app, &tenant, "Eve", "eve@acme.test", "eve-pass-1").await;
    // Unknown logins answer exactly like wrong passwords, and count against the client.
    expect_code(login(&app, "nobody@acme.test", "guess").await, 401, 401).await;
    for _ in 0..4 {
        expect_code(login(&app, "eve@acme.test", "guess").await, 401, 401).await;
    }
    let locked = login(&app, "eve@acme.test", "eve-pass-1").await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
    expect_code(locked, 429, 400).await;
    app.clock.advance(16 * 60);
    let token = login_token(&app, "eve@acme.test", "eve-pass-1").await;
    assert!(!token.is_empty());
    let failed = app
        .sql_i64(&format!(
            "select count(*) from audit_event where action = 3 and operator_id = {user_id}"
        ))
        .await;
    assert_eq!(failed, 4, "each wrong password is on the audit log");
    let logins = app
        .sql_i64(&format!(
            "select count(*) from audit_event where action = 1 and operator_id = {user_id}"
        ))
        .await;
    assert_eq!(logins, 1);
    // A missing password is a bad request, not an attempt.
    let bare = app
        .client
        .post(format!("{}/apis/rest/authService/login/json", app.url))
        .form(&[("username", "eve@acme.test")])
        .send()
        .await
        .unwrap();
    expect_code(bare, 400, 400).await;
    // A password in the URL (where logs keep it) is refused, even a right one.
    let in_url = app
        .client
        .post(format!("{}/apis/rest/authService/login/json", app.url))
        .query(&[("password", "eve-pass-1")])
        .form(&[("username", "eve@acme.test")])
        .send()
        .await
        .unwrap();
    expect_code(in_url, 400, 400).await;
}

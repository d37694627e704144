//! The OA dialect's list APIs, followed as its document tells an integrator: `page`, `limit`,
//! `order_by` and the `search` conditions (as a parameter or a header) over the users,
//! departments, groups, a folder's items and the audit log, answering `{"total", "list"}`.

use serde_json::{Value, json};

use openpan_core::clock::platform_datetime;

use crate::harness::TestApp;

/// `GET path` with the query pairs and headers, as the OA system's pages call the dialect.
async fn oa_get(
    app: &TestApp,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = app
        .client
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .query(query);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("OA list request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// The list of a successful answer, checking the envelope and that `total` is at least its
/// length.
fn listed(status: u16, body: &Value) -> (i64, Vec<Value>) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 1, "{body}");
    let total = body["data"]["total"].as_i64().expect("total");
    let list = body["data"]["list"].as_array().expect("list").clone();
    assert!(total >= list.len() as i64, "{body}");
    (total, list)
}

/// An id as the dialect's rows carry it.
fn id_text(id: i64) -> Value {
    Value::String(id.to_string())
}

fn column(list: &[Value], name: &str) -> Vec<String> {
    list.iter()
        .map(|row| row[name].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn refused(status: u16, body: &Value, expected_status: u16, code: &str) -> String {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["status"], 0, "{body}");
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    body["errors"][0]["message"].as_str().unwrap_or_default().to_owned()
}

async fn user(app: &TestApp, admin: &str, name: &str, email: &str, phone: &str) -> i64 {
    app.post_ok(
        "/api/v2/admin/user/create",
        admin,
        &json!({"name": name, "email": email, "phone": phone, "force_active": true, "password": "secret-123"}),
    )
    .await["id"]
        .as_i64()
        .unwrap()
}

async fn department(app: &TestApp, admin: &str, name: &str, parent: i64, members: &[i64]) -> i64 {
    let id = app
        .post_ok(
            "/api/v2/admin/department/create",
            admin,
            &json!({"name": name, "parent_id": parent}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for member in members {
        app.post_ok(
            &format!("/api/v2/admin/department/{id}/add_user"),
            admin,
            &json!({"user_id": member}),
        )
        .await;
    }
    id
}

/// Three colleagues beside the tenant's admin: Wang Wei and Wang Fang in 研发, Li Na in 销售
/// (whose phone is hidden).
struct Directory {
    wei: i64,
    fang: i64,
    na: i64,
    research: i64,
    sales: i64,
}

async fn directory(app: &TestApp) -> Directory {
    let admin = app.enterprise_token(&app.tenant).await;
    let wei = user(app, &admin, "Wang Wei", "wei@acme.test", "13800000011").await;
    let fang = user(app, &admin, "Wang Fang", "fang@acme.test", "13800000012").await;
    let na = user(app, &admin, "Li Na", "na@acme.test", "13900000013").await;
    app.post_ok(
        &format!("/api/v2/admin/user/{na}/update"),
        &admin,
        &json!({"hide_phone": true}),
    )
    .await;
    let research = department(app, &admin, "研发", 0, &[wei, fang]).await;
    let sales = department(app, &admin, "销售", 0, &[na]).await;
    department(app, &admin, "前端", research, &[wei]).await;
    Directory {
        wei,
        fang,
        na,
        research,
        sales,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oa_integrator_pages_and_searches_the_users_as_the_document_shows() {
    let app = TestApp::spawn().await;
    let people = directory(&app).await;
    // The integrator's token, from the dialect's own `get-token`.
    let tenant = &app.tenant;
    let answer = app
        .client
        .post(format!("{}/api/open-api/get-token", app.url))
        .json(&json!({"agent_id": tenant.client_id, "secret": tenant.client_secret, "user": "wei@acme.test"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let token = answer["data"]["token"].as_str().expect("token").to_owned();

    // No paging (page absent or 0): everyone, with the row's fields as documented.
    let (total, list) = listed_users(&app, &token, &[]).await;
    assert_eq!(total, 4, "the admin and three colleagues");
    assert_eq!(list.len(), 4);
    let wei = list.iter().find(|row| row["user_id"] == id_text(people.wei)).unwrap();
    assert_eq!(wei["user_name"], "Wang Wei");
    assert_eq!(wei["user_accounts"], "wei@acme.test");
    assert_eq!(wei["phone"], "13800000011");
    assert_eq!(wei["is_admin"], "0");
    assert_eq!(wei["active"], "1");
    assert_eq!(wei["created_at"], platform_datetime(app.now()));
    let na = list.iter().find(|row| row["user_id"] == id_text(people.na)).unwrap();
    assert_eq!(na["phone"], "", "a hidden phone is not shown to a colleague");

    // Pages count from 1; `total` counts every page.
    let (total, page) = listed_users(&app, &token, &[("page", "2"), ("limit", "3"), ("order_by", "user_id")]).await;
    assert_eq!((total, page.len()), (4, 1));
    assert_eq!(column(&page, "user_id"), vec![people.na.to_string()]);

    // The document's condition shapes: `=`, `in`, `like`, `between` on dates.
    let today = platform_datetime(app.now())[..10].to_owned();
    let search = json!({"search": {
        "user_name": ["wang", "like"],
        "department_id": [[people.research, people.sales], "in"],
        "created_at": [[today, today], "between"],
        "active": [1, "="],
    }})
    .to_string();
    let (total, list) = listed_users(
        &app,
        &token,
        &[("search", &search), ("order_by", r#"{"user_name":"desc"}"#)],
    )
    .await;
    assert_eq!(total, 2);
    assert_eq!(column(&list, "user_name"), vec!["Wang Wei", "Wang Fang"]);

    // The same conditions as a header, raw or percent-encoded (header values are ASCII).
    let (_, list) = oa_get(&app, &token, "/api/open-api/users", &[], &[("search", &search)]).await;
    assert_eq!(list["data"]["total"], 2, "{list}");
    let chinese = json!({"department_id": [people.sales, "="], "user_name": ["李", "!="]}).to_string();
    let encoded: String = url::form_urlencoded::byte_serialize(chinese.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let (status, body) = oa_get(&app, &token, "/api/open-api/users", &[], &[("search", &encoded)]).await;
    let (total, list) = listed(status, &body);
    assert_eq!(total, 1);
    assert_eq!(column(&list, "user_id"), vec![people.na.to_string()]);

    // Negations: `!=`, `not_in`, and comparisons on ids.
    let search = json!({"department_id": [[people.research], "not_in"], "user_id": [people.wei, ">="]}).to_string();
    let (_, list) = listed_users(&app, &token, &[("search", &search)]).await;
    assert_eq!(column(&list, "user_id"), vec![people.na.to_string()]);

    // A JSON body works like the parameters, `order_by` keys in the caller's order.
    let response = app
        .client
        .post(format!("{}/eoffice/server/public/api/open-api/users", app.url))
        .bearer_auth(&token)
        .json(&json!({
            "search": {"user_id": [[people.wei, people.fang, people.na], "in"]},
            "order_by": {"user_name": "asc", "user_id": "desc"},
            "page": 1,
            "limit": 2,
        }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let (total, list) = listed(status, &body);
    assert_eq!(total, 3);
    assert_eq!(column(&list, "user_name"), vec!["Li Na", "Wang Fang"]);

    // The `api_token` parameter stands for the bearer.
    let response = app
        .client
        .get(format!("{}/api/open-api/users", app.url))
        .query(&[("api_token", token.as_str()), ("limit", "1"), ("page", "1")])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let (total, list) = listed(status, &response.json().await.unwrap());
    assert_eq!((total, list.len()), (4, 1));
}

async fn listed_users(app: &TestApp, token: &str, query: &[(&str, &str)]) -> (i64, Vec<Value>) {
    let (status, body) = oa_get(app, token, "/api/open-api/users", query, &[]).await;
    listed(status, &body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn departments_groups_and_folder_items_list_with_their_own_fields() {
    let app = TestApp::spawn().await;
    let people = directory(&app).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.user_token(&app.tenant, people.fang).await;

    // Departments: the whole tree flat, by name or parent.
    let search = json!({"parent_id": [0, "="]}).to_string();
    let (status, body) = oa_get(
        &app,
        &token,
        "/api/open-api/departments",
        &[("search", &search), ("order_by", "department_id")],
        &[],
    )
    .await;
    let (total, list) = listed(status, &body);
    assert_eq!(total, 2);
    assert_eq!(
        column(&list, "department_id"),
        vec![people.research.to_string(), people.sales.to_string()]
    );
    assert_eq!(list[0]["department_name"], "研发");
    assert_eq!(list[0]["user_count"], 2);
    assert_eq!(list[0]["children_count"], 1);
    let search = json!({"department_name": ["前", "like"]}).to_string();
    let (status, body) = oa_get(&app, &token, "/api/open-api/departments", &[("search", &search)], &[]).await;
    let (_, list) = listed(status, &body);
    assert_eq!(list[0]["parent_id"], people.research.to_string());

    // Groups: a colleague sees visible groups and their own; the admin sees all.
    for (name, visible, member) in [
        ("Readers", true, None),
        ("Board", false, None),
        ("Crew", false, Some(people.fang)),
    ] {
        let group = app
            .post_ok(
                "/api/v2/admin/group/create",
                &admin,
                &json!({"name": name, "visible": visible, "description": format!("{name} group")}),
            )
            .await;
        if let Some(member) = member {
            app.post_ok(
                &format!("/api/v2/admin/group/{}/add_user", group["id"]),
                &admin,
                &json!({"user_id": member}),
            )
            .await;
        }
    }
    let (status, body) = oa_get(&app, &token, "/api/open-api/groups", &[("order_by", "group_name")], &[]).await;
    let (_, list) = listed(status, &body);
    assert_eq!(column(&list, "group_name"), vec!["Crew", "Readers"]);
    let admin_user = app.admin_user_token().await;
    let search = json!({"is_visible": [false, "="]}).to_string();
    let (status, body) = oa_get(&app, &admin_user, "/api/open-api/groups", &[("search", &search)], &[]).await;
    let (total, _) = listed(status, &body);
    assert_eq!(total, 2, "the administrator sees the hidden groups too");

    // Folder items: by type, size and name, largest first; folder 0 is the caller's root.
    let reports = app.mkdir(&token, 0, "Reports").await["id"].as_i64().unwrap();
    for (name, size) in [("q1.txt", 10), ("Q2.txt", 30), ("notes.md", 20)] {
        app.upload(&token, reports, name, &vec![b'x'; size]).await;
    }
    app.mkdir(&token, reports, "archive").await;
    let path = format!("/api/open-api/folders/{reports}/items");
    let search = json!({"type": ["file", "="], "name": ["q", "like"]}).to_string();
    let (status, body) = oa_get(
        &app,
        &token,
        &path,
        &[("search", &search), ("order_by", "size desc")],
        &[],
    )
    .await;
    let (total, list) = listed(status, &body);
    assert_eq!(total, 2);
    assert_eq!(column(&list, "name"), vec!["Q2.txt", "q1.txt"]);
    assert_eq!(list[0]["type"], "file");
    assert_eq!(list[0]["size"], 30);
    assert_eq!(list[0]["sha1"].as_str().map(str::len), Some(40));
    assert_eq!(list[0]["owner_id"], people.fang.to_string());
    let search = json!({"size": [[15, 25], "between"]}).to_string();
    let (status, body) = oa_get(&app, &token, &path, &[("search", &search)], &[]).await;
    assert_eq!(column(&listed(status, &body).1, "name"), vec!["notes.md"]);
    let search = json!({"type": ["folder", "="]}).to_string();
    let (status, body) = oa_get(
        &app,
        &token,
        "/api/open-api/folders/0/items",
        &[("search", &search)],
        &[],
    )
    .await;
    assert_eq!(column(&listed(status, &body).1, "name"), vec!["Reports"]);

    // Someone else's folder is not there for a colleague.
    let other = app.user_token(&app.tenant, people.wei).await;
    let (status, body) = oa_get(&app, &other, &path, &[], &[]).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["status"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_list_is_for_administrators_only() {
    let app = TestApp::spawn().await;
    let people = directory(&app).await;
    let colleague = app.user_token(&app.tenant, people.wei).await;
    let (status, body) = oa_get(&app, &colleague, "/api/open-api/audit-logs", &[], &[]).await;
    refused(status, &body, 403, "permission_denied");

    let admin = app.admin_user_token().await;
    let (status, body) = oa_get(
        &app,
        &admin,
        "/api/open-api/audit-logs",
        &[("order_by", "-log_id")],
        &[],
    )
    .await;
    let (total, list) = listed(status, &body);
    assert!(total >= 3, "the users' creation at least: {body}");
    let ids: Vec<i64> = column(&list, "log_id").iter().map(|id| id.parse().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "newest first: {ids:?}");
    // Narrowed to one target by id and to the actions that created it.
    let first = &list[list.len() - 1];
    let search = json!({
        "target_id": [first["target_id"], "="],
        "action_type": [[first["action_type"]], "in"],
        "created_at": [platform_datetime(app.now()), "<="],
    })
    .to_string();
    let (status, body) = oa_get(&app, &admin, "/api/open-api/audit-logs", &[("search", &search)], &[]).await;
    let (total, list) = listed(status, &body);
    assert!(total >= 1);
    assert!(list.iter().all(|row| row["target_id"] == first["target_id"]), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_list_conditions_are_refused_by_name_and_never_reach_sql() {
    let app = TestApp::spawn().await;
    let people = directory(&app).await;
    let token = app.user_token(&app.tenant, people.wei).await;
    let refusal = |query: Vec<(&'static str, String)>| {
        let app = &app;
        let token = token.clone();
        async move {
            let query: Vec<(&str, &str)> = query.iter().map(|(name, value)| (*name, value.as_str())).collect();
            let (status, body) = oa_get(app, &token, "/api/open-api/users", &query, &[]).await;
            refused(status, &body, 400, "request_data_invalid");
            body["errors"][0].clone()
        }
    };
    let cases = [
        (r#"{"password_hash": ["x", "="]}"#, "search.password_hash"),
        (r#"{"user_id) or (1=1": [1, "="]}"#, "search.user_id) or (1=1"),
        (r#"{"user_id": [1, "= 1 or 1=1 --"]}"#, "search.user_id"),
        (r#"{"user_id": ["1; drop table user_account", "="]}"#, "search.user_id"),
        (r#"{"user_id": [1, "like"]}"#, "search.user_id"),
        (r#"{"created_at": [["2020-01-01"], "between"]}"#, "search.created_at"),
        (r#"{"department_id": [1, "in"]}"#, "search.department_id"),
        ("{not json", "search"),
    ];
    for (search, field) in cases {
        let error = refusal(vec![("search", search.to_owned())]).await;
        assert!(!error["message"].as_str().unwrap().is_empty(), "{error}");
        // The field at fault is named in English answers.
        let response = app
            .client
            .get(format!("{}/api/open-api/users", app.url))
            .bearer_auth(&token)
            .header("accept-language", "en")
            .query(&[("search", search)])
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert!(
            body["errors"][0]["message"].as_str().unwrap().ends_with(field),
            "{search}: {body}"
        );
    }
    for (name, value) in [
        ("order_by", "user_id; drop table user_account"),
        ("order_by", r#"{"department_id": "asc"}"#),
        ("page", "-1"),
        ("page", "one"),
        ("limit", "5000"),
    ] {
        refusal(vec![(name, value.to_owned())]).await;
    }

    // Quotes and wildcards in values are data: they match nothing here, and break nothing.
    for needle in ["' or '1'='1", "%", "_", "\\"] {
        let search = json!({"user_name": [needle, "like"]}).to_string();
        let (total, _) = listed_users(&app, &token, &[("search", &search)]).await;
        assert_eq!(total, 0, "{needle}");
    }
    let (total, _) = listed_users(&app, &token, &[]).await;
    assert_eq!(total, 4, "the table is intact");

    // A hidden phone is not searchable by a colleague (only by an administrator).
    let search = json!({"phone": ["139", "like"]}).to_string();
    let (total, _) = listed_users(&app, &token, &[("search", &search)]).await;
    assert_eq!(total, 0);
    let admin = app.admin_user_token().await;
    let (status, body) = oa_get(&app, &admin, "/api/open-api/users", &[("search", &search)], &[]).await;
    let (total, list) = listed(status, &body);
    assert_eq!(total, 1);
    assert_eq!(list[0]["phone"], "13900000013");

    // A user known only by a hidden phone does not show it as their login either.
    let admin_token = app.enterprise_token(&app.tenant).await;
    let phone_only = app
        .post_ok(
            "/api/v2/admin/user/create",
            &admin_token,
            &json!({"name": "Zhao", "phone": "13700000014", "force_active": true, "password": "secret-123"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(
        &format!("/api/v2/admin/user/{phone_only}/update"),
        &admin_token,
        &json!({"hide_phone": true}),
    )
    .await;
    let search = json!({"user_id": [phone_only, "="]}).to_string();
    let (_, list) = listed_users(&app, &token, &[("search", &search)]).await;
    assert_eq!(list[0]["phone"], "");
    assert_eq!(list[0]["user_accounts"], "", "{list:?}");
    assert!(!list[0].to_string().contains("13700000014"));

    // Membership of a hidden group cannot be probed by someone outside it.
    let hidden = app
        .post_ok("/api/v2/admin/group/create", &admin_token, &json!({"name": "Board"}))
        .await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(
        &format!("/api/v2/admin/group/{hidden}/add_user"),
        &admin_token,
        &json!({"user_id": people.na}),
    )
    .await;
    let search = json!({"group_id": [hidden, "="]}).to_string();
    let (total, _) = listed_users(&app, &token, &[("search", &search)]).await;
    assert_eq!(total, 0, "an outsider learns nothing of a hidden group");
    let member = app.user_token(&app.tenant, people.na).await;
    let (total, _) = listed_users(&app, &member, &[("search", &search)]).await;
    assert_eq!(total, 1, "a member sees their own group");
    let (status, body) = oa_get(&app, &admin, "/api/open-api/users", &[("search", &search)], &[]).await;
    assert_eq!(listed(status, &body).0, 1, "the administrator sees every group");

    // A page past the end still counts the whole selection; rows without a value come last
    // both ways.
    let (total, page) = listed_users(&app, &token, &[("page", "9"), ("limit", "2")]).await;
    assert_eq!((total, page.len()), (5, 0));
    for direction in ["asc", "desc"] {
        let order = format!("email {direction}");
        let (_, list) = listed_users(&app, &token, &[("order_by", &order)]).await;
        assert_eq!(list.last().unwrap()["user_id"], phone_only.to_string(), "{direction}");
    }

    // Without a token: 401 in the dialect's envelope.
    let response = app
        .client
        .get(format!("{}/api/open-api/users", app.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    refused(status, &response.json().await.unwrap(), 401, "unauthorized");
}

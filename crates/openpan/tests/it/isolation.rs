//! One enterprise never reads, changes or even learns the ids of another's objects: every
//! endpoint of every dialect that takes an id, walked with the other enterprise's ids, answers
//! exactly as it does for ids that do not exist. The walk is driven by the OpenAPI document, so
//! an endpoint added later is in it from its first day.

use serde_json::{Value, json};

use crate::harness::TestApp;

/// What an endpoint answers: status and error code.
async fn outcome(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["errors"][0]["code"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn every_organisation_endpoint_treats_a_foreign_id_like_a_missing_one() {
    let app = TestApp::spawn().await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let theirs = app.enterprise_token(&other).await;
    // Globex's own records, which Acme must not be able to tell apart from nothing.
    let their_user = app
        .post_ok(
            "/api/v2/admin/user/create",
            &theirs,
            &json!({"email": "spy@globex.test", "force_active": true, "password": "secret-123"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let their_department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &theirs,
            &json!({"name": "R&D", "parent_id": 0}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let their_group = app
        .post_ok(
            "/api/v2/admin/group/create",
            &theirs,
            &json!({"name": "Board", "visible": true}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let their_user_token = app.user_token(&other, their_user).await;
    let their_folder = app.mkdir(&their_user_token, 0, "secret").await["id"].as_i64().unwrap();

    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.admin_user_token().await;
    let missing = 987_654_321_i64;
    // (method, path with {id}, token, body with {id}) — each asked with the foreign id and with
    // a missing one.
    let endpoints: Vec<(&str, &str, &str, String)> = vec![
        ("GET", "/api/v2/admin/user/{user}/info", &admin, "null".to_owned()),
        (
            "POST",
            "/api/v2/admin/user/{user}/update",
            &admin,
            r#"{"name": "x"}"#.to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/user/{user}/delete",
            &admin,
            format!(r#"{{"user_receive_items": {}}}"#, app.tenant.admin_user_id),
        ),
        ("GET", "/api/v2/user/{user}/info", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/user/{user}/profile_pic_download?profile_pic_key=k",
            &user,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/platform/2/mapping_user?yfy_user_id={user}",
            &admin,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/department/{department}/info",
            &admin,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/department/{department}/children",
            &admin,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/department/{department}/users",
            &admin,
            "null".to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/update",
            &admin,
            r#"{"name": "x"}"#.to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/delete",
            &admin,
            "null".to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/add_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/remove_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        (
            "POST",
            "/api/v2/admin/department/create",
            &admin,
            r#"{"name": "x", "parent_id": {department}}"#.to_owned(),
        ),
        (
            "POST",
            "/api/v2/admin/department/{department}/update_space",
            &admin,
            r#"{"space_total": 1}"#.to_owned(),
        ),
        ("GET", "/api/v2/department/{department}/info", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/department/{department}/children",
            &user,
            "null".to_owned(),
        ),
        ("GET", "/api/v2/department/{department}/users", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/folder/department_folders?department_id={department}",
            &user,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/admin/platform/2/mapping_department?yfy_department_id={department}",
            &admin,
            "null".to_owned(),
        ),
        ("GET", "/api/v2/admin/group/{group}/info", &admin, "null".to_owned()),
        ("GET", "/api/v2/admin/group/{group}/users", &admin, "null".to_owned()),
        (
            "POST",
            "/api/v2/admin/group/{group}/update",
            &admin,
            r#"{"name": "x"}"#.to_owned(),
        ),
        ("POST", "/api/v2/admin/group/{group}/delete", &admin, "null".to_owned()),
        (
            "POST",
            "/api/v2/admin/group/{group}/add_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        (
            "POST",
            "/api/v2/admin/group/{group}/remove_user",
            &admin,
            format!(r#"{{"user_id": {}}}"#, app.tenant.admin_user_id),
        ),
        ("GET", "/api/v2/group/{group}/info", &user, "null".to_owned()),
        ("GET", "/api/v2/group/{group}/users", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/admin/platform/2/mapping_group?yfy_group_id={group}",
            &admin,
            "null".to_owned(),
        ),
        ("GET", "/api/v2/folder/{folder}/info", &user, "null".to_owned()),
        ("GET", "/api/v2/folder/{folder}/children", &user, "null".to_owned()),
        (
            "GET",
            "/api/v2/item/search?query_words=x&search_in_folder={folder}",
            &user,
            "null".to_owned(),
        ),
        (
            "GET",
            "/api/v2/item/search?query_words=x&department_id={department}",
            &user,
            "null".to_owned(),
        ),
    ];
    let fill = |text: &str, user: i64, department: i64, group: i64, folder: i64| {
        text.replace("{user}", &user.to_string())
            .replace("{department}", &department.to_string())
            .replace("{group}", &group.to_string())
            .replace("{folder}", &folder.to_string())
    };
    let call = |method: &'static str, path: String, token: String, body: Value| {
        let app = &app;
        async move {
            match method {
                "GET" => app.get(&path, &token).await,
                _ => app.post(&path, &token, &body).await,
            }
        }
    };
    for (method, path, token, body) in &endpoints {
        let ask = |user, department, group, folder| {
            let path = fill(path, user, department, group, folder);
            let body: Value = serde_json::from_str(&fill(body, user, department, group, folder)).unwrap();
            call(method, path, token.to_string(), body)
        };
        let foreign = outcome(ask(their_user, their_department, their_group, their_folder).await).await;
        let absent = outcome(ask(missing, missing, missing, missing).await).await;
        assert!(
            foreign.0 >= 400,
            "{method} {path} answered {foreign:?} for a foreign id"
        );
        assert_eq!(
            foreign, absent,
            "{method} {path}: a foreign id must look like a missing one"
        );
    }

    // And nothing of Globex's changed.
    let info = app
        .get_ok(&format!("/api/v2/admin/department/{their_department}/info"), &theirs)
        .await;
    assert_eq!(info["name"], "R&D");
    let group = app
        .get_ok(&format!("/api/v2/admin/group/{their_group}/info"), &theirs)
        .await;
    assert_eq!(group["name"], "Board");
    let spy = app
        .get_ok(&format!("/api/v2/admin/user/{their_user}/info"), &theirs)
        .await;
    assert_eq!(spy["active"], true);
}

/// One enterprise's objects of every kind an `/api/v2` endpoint takes an id of, all named with
/// the enterprise's marker so that any of them showing up in another enterprise's answer is
/// seen.
struct Objects {
    ids: std::collections::HashMap<&'static str, Value>,
}

impl Objects {
    async fn make(app: &TestApp, tenant: &crate::harness::Tenant, marker: &str) -> Objects {
        let admin = app.enterprise_token(tenant).await;
        let me = app.user_token(tenant, tenant.admin_user_id).await;
        let id = |value: &Value, key: &str| value[key].clone();
        // Makes one object and gives the id its answer names under `key`.
        let create =
            async |path: &str, token: &str, body: Value, key: &str| app.post_ok(path, token, &body).await[key].clone();
        let mut ids = std::collections::HashMap::new();
        ids.insert(
            "user",
            create(
                "/api/v2/admin/user/create",
                &admin,
                json!({"name": format!("{marker} staff"), "email": format!("staff@{marker}.test"),
                        "force_active": true, "password": "secret-123"}),
                "id",
            )
            .await,
        );
        ids.insert(
            "department",
            create(
                "/api/v2/admin/department/create",
                &admin,
                json!({"name": format!("{marker} R&D"), "parent_id": 0}),
                "id",
            )
            .await,
        );
        ids.insert(
            "group",
            create(
                "/api/v2/admin/group/create",
                &admin,
                json!({"name": format!("{marker} board"), "visible": true}),
                "id",
            )
            .await,
        );
        let folder = app.mkdir(&me, 0, &format!("{marker} plans")).await;
        let folder_id = folder["id"].as_i64().unwrap();
        ids.insert("folder", json!(folder_id));
        let file = app
            .upload(
                &me,
                folder_id,
                &format!("{marker} budget.txt"),
                format!("{marker} first draft").as_bytes(),
            )
            .await;
        let file_id = file["id"].as_i64().unwrap();
        ids.insert("file", json!(file_id));
        let url = app
            .post_ok(
                &format!("/api/v2/file/{file_id}/new_version"),
                &me,
                &json!({"name": format!("{marker} budget.txt"), "upload_type": "api"}),
            )
            .await["presign_url"]
            .as_str()
            .unwrap()
            .to_owned();
        let second = format!("{marker} second draft");
        assert_eq!(app.send_bytes(&url, second.as_bytes()).await.status(), 200);
        let versions = app.get_ok(&format!("/api/v2/file/{file_id}/versions"), &me).await;
        ids.insert("version", id(&versions["file_versions"][1], "id"));
        ids.insert(
            "comment",
            create(
                "/api/v2/comment/create",
                &me,
                json!({"file_id": file_id, "content": format!("{marker} remark")}),
                "id",
            )
            .await,
        );
        ids.insert(
            "collab",
            create(
                "/api/v2/collab/invite",
                &me,
                json!({"folder_id": folder_id, "invited_user": {"id": ids["user"], "role": "viewer"}}),
                "id",
            )
            .await,
        );
        ids.insert(
            "review",
            create(
                "/api/v2/review/create",
                &me,
                json!({"file_ids": [file_id], "title": format!("{marker} review"),
                        "invited_user_ids": [ids["user"]]}),
                "id",
            )
            .await,
        );
        ids.insert(
            "review_comment",
            create(
                "/api/v2/review_comment/create",
                &me,
                json!({"review_id": ids["review"], "content": format!("{marker} opinion")}),
                "id",
            )
            .await,
        );
        // A company link: a public one opens for anyone holding its name, by design.
        ids.insert(
            "share_link",
            create(
                "/api/v2/share_link/create",
                &me,
                json!({"file_id": file_id, "access": "company"}),
                "unique_name",
            )
            .await,
        );
        ids.insert(
            "app",
            create(
                "/api/v2/admin/app/create",
                &admin,
                json!({"name": format!("{marker} sync"), "callback_url": "http://127.0.0.1:9/hook"}),
                "app_id",
            )
            .await,
        );
        let dataset = crate::knowledge::new_dataset(app, &me, &format!("{marker} handbook")).await;
        ids.insert("dataset", json!(dataset));
        let trained = crate::knowledge::train(app, &me, dataset, "direct_segment", "file", file_id).await;
        ids.insert("train_file", json!(trained));
        // Trained before anything is compared, so the dataset holds still.
        crate::knowledge::settled(app, &me, dataset, "direct_segment").await;
        let gpt = crate::knowledge::knowledge(
            app,
            &me,
            "create_gpt",
            json!({"name": format!("{marker} helper"), "data_ids": [dataset]}),
        )
        .await;
        ids.insert("gpt", id(&gpt, "id"));
        Objects { ids }
    }
}

/// Every object of `tenant`'s, read by its own people: what must not change while another
/// enterprise asks with their ids.
async fn snapshot(app: &TestApp, tenant: &crate::harness::Tenant, objects: &Objects) -> Vec<Value> {
    let admin = app.enterprise_token(tenant).await;
    let user = app.user_token(tenant, tenant.admin_user_id).await;
    let id = |kind: &str| {
        let id = &objects.ids[kind];
        id.as_str().map(str::to_owned).unwrap_or(id.to_string())
    };
    let mut reads = Vec::new();
    for (path, token) in [
        (format!("/api/v2/admin/user/{}/info", id("user")), &admin),
        (format!("/api/v2/admin/department/{}/info", id("department")), &admin),
        (format!("/api/v2/admin/department/{}/users", id("department")), &admin),
        (format!("/api/v2/admin/group/{}/info", id("group")), &admin),
        (format!("/api/v2/admin/group/{}/users", id("group")), &admin),
        (format!("/api/v2/admin/app/{}/info", id("app")), &admin),
        (format!("/api/v2/folder/{}/children", id("folder")), &user),
        (format!("/api/v2/folder/{}/collabs", id("folder")), &user),
        (format!("/api/v2/file/{}/info", id("file")), &user),
        (format!("/api/v2/file/{}/versions", id("file")), &user),
        (format!("/api/v2/file/{}/comments", id("file")), &user),
        (format!("/api/v2/collab/{}/info", id("collab")), &user),
        (format!("/api/v2/review/info/{}", id("review")), &user),
        (format!("/api/v2/review/comment_list/{}", id("review")), &user),
        (format!("/api/v2/share_link/{}/info", id("share_link")), &user),
    ] {
        reads.push(app.get_ok(&path, token).await);
    }
    for (call, body) in [
        ("get_data_info", json!({"data_id": objects.ids["dataset"]})),
        ("get_gpt_info", json!({"knowledge_gpt_id": objects.ids["gpt"]})),
        (
            "list_train_file",
            json!({"data_id": objects.ids["dataset"], "task_type": "direct_segment", "page_no": 1, "page_size": 10}),
        ),
    ] {
        reads.push(crate::knowledge::knowledge(app, &user, call, body).await);
    }
    let file = objects.ids["file"].as_i64().unwrap();
    reads.push(json!(String::from_utf8_lossy(&app.download(&user, file).await)));
    reads
}

/// The kind of object a parameter or body field of `path` names, if it names one.
fn kind_of(path: &str, name: &str) -> Option<&'static str> {
    let kind = match name {
        "file_id" | "file_ids" | "item_typed_ids" => "file",
        // `create_blank_file` and the chat spell theirs in camelCase.
        "parentFolderId" => "folder",
        "departmentId" => "department",
        "knowledgeGptId" => "gpt",
        "parent_id" if path.contains("department") => "department",
        "folder_id" | "folder_ids" | "target_folder_id" | "parent_id" | "parent_folder_id" => "folder",
        "department_id" | "department_ids" | "default_department_id" | "yfy_department_id" => "department",
        "group_id" | "group_ids" | "default_group_id" | "yfy_group_id" => "group",
        "user_id" | "user_ids" | "yfy_user_id" | "owner_id" | "invited_user_ids" | "director_id" | "admin_user_id" => {
            "user"
        }
        "review_id" | "review_ids" => "review",
        "collab_ids" => "collab",
        "file_version_id" | "version_id" => "version",
        "version" if path.contains("/file/") => "version",
        "unique_name" => "share_link",
        "data_id" | "data_ids" => "dataset",
        "knowledge_gpt_id" => "gpt",
        "app_id" => "app",
        "id" if path.starts_with("/api/v2/knowledge/") && path.ends_with("train_file") => "train_file",
        "id" if path.starts_with("/api/v2/knowledge/") => "dataset",
        "id" => {
            // `/api/v2/{kind}/{id}/…`, `/api/v2/admin/{kind}/{id}/…` or `/api/v2/review/{verb}/{id}`.
            let segments: Vec<&str> = path.split('/').collect();
            let at = segments.iter().position(|s| *s == "{id}")?;
            match (segments[at - 1], segments.get(3).copied()) {
                (_, Some("review")) => "review",
                (_, Some("review_comment")) => "review_comment",
                ("file", _) => "file",
                ("folder" | "folders", _) => "folder",
                ("user", _) => "user",
                ("department", _) => "department",
                ("group", _) => "group",
                ("collab", _) => "collab",
                ("comment", _) => "comment",
                ("app", _) => "app",
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(kind)
}

/// Names that look like ids but name nothing another enterprise owns, or that the walk does not
/// reach yet, each with the reason; any other id-like name the walk cannot place fails it, so a
/// new endpoint's ids are walked or written down here.
const NOT_WALKED: &[(&str, &str)] = &[
    ("page_id", "a page number"),
    ("platform_id", "a third-party platform, the same for every enterprise"),
    (
        "/admin/platform/{id}",
        "a third-party platform, the same for every enterprise",
    ),
    (
        "client_id",
        "an app's public client id, which authenticates rather than selects",
    ),
    (
        "agent_id",
        "the OA dialect's client id, which authenticates rather than selects",
    ),
    (
        "event_id",
        "a webhook event, only ever looked up within the app in the path (walked)",
    ),
    (
        "message_id",
        "a text message, looked up within the caller's enterprise; not walked yet",
    ),
    ("ai_file_id", "a knowledge file's chat attachment; not walked yet"),
    (
        "folder_collection_ids",
        "an audit-log filter over collections; not walked yet",
    ),
    ("storage_id", "a storage location, which one-store deployments ignore"),
    (
        "parentEnterpriseId",
        "an enterprise: any but the caller's own answers folder_not_found",
    ),
    (
        "sessionId",
        "the caller's own name for a conversation, remembered per user",
    ),
    (
        "custom_id",
        "a third-party system's own id, mapped within the caller's enterprise",
    ),
    (
        "parent_custom_id",
        "a third-party system's own id, mapped within the caller's enterprise",
    ),
];

/// What a field that is not an id gets, by name, so that a request gets past validation to the
/// id under test; anything else gets a small value of its type.
fn hint(name: &str) -> Option<Value> {
    static PROBES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Some(match name {
        // Names and addresses are unique: a clash would answer for itself.
        "name" => json!(format!("probe {n}")),
        "email" => json!(format!("probe{n}@acme.test")),
        "title" | "content" | "question" => json!("probe"),
        "password" => json!("secret123"),
        "upload_type" => json!("api"),
        "analysis_method" | "task_type" => json!("direct_segment"),
        "file_type" => json!("file"),
        "target" => json!("pdf"),
        "tag_names" => json!(["probe"]),
        "page_no" => json!(1),
        "page_size" => json!(10),
        "file_size" => json!(1),
        "start_date" => json!("2026-01-01"),
        "end_date" => json!("2026-12-31"),
        "view_scope" => json!("selected"),
        "role" => json!("viewer"),
        "system_prompt" => json!("probe"),
        _ => return None,
    })
}

/// Replaces every value that is `id` (or its text) with a placeholder.
fn swap(value: &mut Value, id: &Value) {
    let text = id.as_str().map(str::to_owned).unwrap_or(id.to_string());
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| swap(item, id)),
        Value::Object(fields) => fields.values_mut().for_each(|field| swap(field, id)),
        other if *other == *id || other.as_str() == Some(&text) => *other = json!("{id}"),
        _ => {}
    }
}

fn id_like(name: &str) -> bool {
    let camel = |suffix: &str| {
        name.strip_suffix(suffix)
            .and_then(|stem| stem.chars().last())
            .is_some_and(char::is_lowercase)
    };
    name == "id" || name.ends_with("_id") || name.ends_with("_ids") || name == "version" || camel("Id") || camel("Ids")
}

fn not_walked(path: &str, name: &str) -> bool {
    NOT_WALKED
        .iter()
        .any(|(known, _)| *known == name || (name == "id" && path.contains(known)))
}

/// An id as the field's schema spells it: a number, text, a list, or `file_{id}`.
fn id_as(name: &str, schema: &Value, id: &Value) -> Value {
    let text = match id {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let one = match schema_type(schema) {
        "string" => json!(text),
        _ => id.clone(),
    };
    match name {
        "item_typed_ids" => json!([format!("file_{text}")]),
        _ if schema_type(schema) == "array" => json!([id]),
        _ => one,
    }
}

/// The values a string schema allows, as an `enum` or as the `^(a|b|c)$` the document mostly
/// gives choices in.
fn alternatives(schema: &Value) -> Vec<&str> {
    if let Some(values) = schema["enum"].as_array() {
        return values.iter().filter_map(Value::as_str).collect();
    }
    schema["pattern"]
        .as_str()
        .and_then(|pattern| pattern.strip_prefix("^(")?.strip_suffix(")$"))
        .map(|choices| choices.split('|').collect())
        .unwrap_or_default()
}

/// The kind of object a `{type, id}` pair names with this `type`.
fn kind_of_type(kind: &str) -> Option<&'static str> {
    match kind {
        "user" => Some("user"),
        "group" => Some("group"),
        "department" => Some("department"),
        _ => None,
    }
}

/// The kind of object the `id` of an object without a `type` names, by the field holding it.
fn kind_of_holder(field: &str) -> Option<&'static str> {
    match field {
        "invited_user" => Some("user"),
        _ => None,
    }
}

fn schema_type(schema: &Value) -> &str {
    match &schema["type"] {
        Value::String(kind) => kind,
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or(""),
        _ => "",
    }
}

/// The OpenAPI document, for walking the schemas its operations take.
struct Document(Value);

impl Document {
    /// The schema itself: `$ref`s followed, the non-null branch of a nullable `oneOf`.
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            return self.resolve(&self.0["components"]["schemas"][name]);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = schema[key].as_array()
                && let Some(branch) = branches.iter().find(|b| b["type"] != "null")
            {
                return self.resolve(branch);
            }
        }
        schema
    }

    /// An object schema's properties and required names, `allOf` branches (flattened bodies)
    /// merged.
    fn object(&self, schema: &Value) -> (serde_json::Map<String, Value>, Vec<String>) {
        let schema = self.resolve(schema);
        let mut properties = schema["properties"].as_object().cloned().unwrap_or_default();
        let mut required: Vec<String> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|name| name.as_str().map(str::to_owned))
            .collect();
        for branch in schema["allOf"].as_array().into_iter().flatten() {
            let (more, also) = self.object(branch);
            properties.extend(more);
            required.extend(also);
        }
        (properties, required)
    }

    /// A plausible value for a field that is not an id: the first allowed value, or a small one.
    fn sample(&self, schema: &Value) -> Value {
        let schema = self.resolve(schema);
        if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
            return first.clone();
        }
        if let Some(first) = alternatives(schema).first() {
            return json!(first);
        }
        match schema_type(schema) {
            "integer" | "number" => json!(1),
            "boolean" => json!(false),
            "array" => json!([]),
            "object" => {
                let (properties, required) = self.object(schema);
                let sampled = required
                    .into_iter()
                    .map(|name| {
                        let value = self.sample(properties.get(&name).unwrap_or(&Value::Null));
                        (name, value)
                    })
                    .collect();
                Value::Object(sampled)
            }
            _ => json!("x"),
        }
    }

    /// What a field that names no object gets: its hint, a sample when it is required, or
    /// nothing.
    fn fill(&self, name: &str, schema: &Value, required: &[String]) -> Option<Value> {
        hint(name).or_else(|| required.iter().any(|r| r == name).then(|| self.sample(schema)))
    }

    /// The object a body field holds, alone or as the items of a list: its properties, its
    /// required names, and whether it comes in a list.
    fn nested(&self, schema: &Value) -> Option<(serde_json::Map<String, Value>, Vec<String>, bool)> {
        let schema = self.resolve(schema);
        let (inner, list) = match schema_type(schema) {
            "array" => (self.resolve(&schema["items"]), true),
            _ => (schema, false),
        };
        let (properties, required) = self.object(inner);
        (!properties.is_empty()).then_some((properties, required, list))
    }
}

/// One place a request names an object: a path or query parameter, a top-level body field, or
/// a field of an object in the body (`accessible_by: {type, id}`, `square_info.user_ids`), sent
/// in `template` (the object with its required fields, and `type` set to name `kind`).
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Path(String),
    Query(String),
    Body(String),
    Nested {
        field: String,
        inner: String,
        template: Value,
        list: bool,
    },
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_another_enterprises_ids_as_if_they_did_not_exist() {
    // Budgets out of the way: a 429 on both sides would compare equal and prove nothing.
    let app = TestApp::spawn_with(crate::harness::lift_rate_limits).await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let ours = Objects::make(&app, &app.tenant, "acmeown").await;
    let theirs = Objects::make(&app, &other, "globexmark").await;
    let missing: std::collections::HashMap<&str, Value> = theirs
        .ids
        .iter()
        .map(|(kind, id)| {
            let absent = match id {
                Value::String(_) => json!("zzzzzzzzmissing"),
                _ => json!(987_654_321),
            };
            (*kind, absent)
        })
        .collect();
    let document = Document(app.public_json("/openapi.json").await);
    let before = snapshot(&app, &other, &theirs).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.admin_user_token().await;
    let oa = app
        .client
        .post(format!("{}/api/open-api/get-token", app.url))
        .json(
            &json!({"agent_id": app.tenant.client_id, "secret": app.tenant.client_secret,
                      "user": "admin@acme.test"}),
        )
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["data"]["token"]
        .as_str()
        .expect("an OA token")
        .to_owned();
    // The drive's API, the overview's `/api/v1` and the OA dialect's lists: every dialect
    // reaches the same core, each with the token its document gives.
    let token_for = |path: &str| -> String {
        let admin_paths = ["/api/v2/admin/", "/api/v1/org/", "/api/v1/account/", "/api/v1/sms/"];
        if admin_paths.iter().any(|prefix| path.starts_with(prefix)) {
            admin.clone()
        } else if path.starts_with("/api/open-api/") {
            oa.clone()
        } else {
            user.clone()
        }
    };

    let mut checked = 0;
    let mut nested_checked = 0;
    let mut own_asks: std::collections::BTreeMap<(u8, String), (usize, usize)> = Default::default();
    let mut refused_own = Vec::new();
    let mut unplaced: Vec<String> = Vec::new();
    let mut kinds_reached = std::collections::BTreeSet::new();
    let paths = document.0["paths"].as_object().unwrap().clone();
    // Reads first, while every object of ours is there to be read; then changes; then what
    // deletes, moves or closes, which may take the caller's own objects away from what follows.
    let destructive = [
        "delete", "remove", "revoke", "close", "clear", "disable", "move", "rotate", "complete", "restore", "accept",
        "sync", "update", "edit",
    ];
    let mut walk: Vec<(u8, String, reqwest::Method, Value)> = Vec::new();
    for (path, operations) in &paths {
        let dialects = ["/api/v2/", "/api/v1/", "/api/open-api/"];
        if !dialects.iter().any(|prefix| path.starts_with(prefix)) {
            continue;
        }
        for (method, operation) in operations.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else {
                continue;
            };
            let rank = match method.as_str() {
                "GET" => 0,
                "POST" | "PUT" if !destructive.iter().any(|word| path.contains(word)) => 1,
                "POST" | "PUT" | "DELETE" => 2,
                _ => continue,
            };
            walk.push((rank, path.clone(), method, operation.clone()));
        }
    }
    walk.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (rank, path, method, operation) in &walk {
        // Everything the request can name, and the value it gets when it is not the slot
        // under test: the caller's own object of that kind, or a plain sample.
        let mut slots = Vec::new();
        let mut path_values = Vec::new();
        let mut query = Vec::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap().to_owned();
            let schema = document.resolve(&parameter["schema"]).clone();
            let kind = kind_of(path, &name);
            if kind.is_none() && id_like(&name) && !not_walked(path, &name) {
                unplaced.push(format!("{method} {path}: parameter {name}"));
            }
            let value = match kind {
                Some(kind) => id_as(&name, &schema, &ours.ids[kind]),
                None if parameter["in"] == "path" && name == "id" => json!(2),
                None => document.sample(&schema),
            };
            match (parameter["in"].as_str(), kind) {
                (Some("path"), kind) => {
                    if let Some(kind) = kind {
                        slots.push((Slot::Path(name.clone()), kind, schema.clone()));
                    }
                    path_values.push((name, value));
                }
                // Alternatives (`user_id` or `yfy_user_id`) are sent one at a time: only as
                // the slot, or when required.
                (Some("query"), Some(kind)) => {
                    slots.push((Slot::Query(name.clone()), kind, schema.clone()));
                    if parameter["required"] == true {
                        query.push((name, value));
                    }
                }
                (Some("query"), None) if parameter["required"] == true => query.push((name, value)),
                _ => {}
            }
        }
        let mut body = serde_json::Map::new();
        // The caller's own object for every top-level id field: sent beside an id inside an
        // object, which is seldom the request's only one (a GPT's `square_info` with the GPT).
        let mut own_fields = Vec::new();
        let json_body = &operation["requestBody"]["content"]["application/json"]["schema"];
        let (properties, required) = document.object(json_body);
        if !json_body.is_null()
            && properties.is_empty()
            && !matches!(schema_type(document.resolve(json_body)), "array" | "string")
        {
            unplaced.push(format!("{method} {path}: a JSON body without fields"));
        }
        for (name, schema) in &properties {
            let schema = document.resolve(schema);
            match (kind_of(path, name), document.nested(schema)) {
                // Other id fields are alternatives as often as not (`file_id` or `folder_id`):
                // only the one under test is sent, and those the body requires.
                (Some(kind), _) => {
                    slots.push((Slot::Body(name.clone()), kind, schema.clone()));
                    let own = id_as(name, schema, &ours.ids[kind]);
                    if required.contains(name) {
                        body.insert(name.clone(), own.clone());
                    }
                    own_fields.push((name.clone(), own));
                }
                (None, _) if id_like(name) && !not_walked(path, name) => {
                    unplaced.push(format!("{method} {path}: body field {name}"));
                }
                (None, Some((inner, inner_required, list))) => {
                    let template: serde_json::Map<String, Value> = inner
                        .iter()
                        .filter_map(|(inner_name, inner_schema)| {
                            let value = document.fill(inner_name, inner_schema, &inner_required)?;
                            Some((inner_name.clone(), value))
                        })
                        .collect();
                    for (inner_name, inner_schema) in &inner {
                        let inner_schema = document.resolve(inner_schema);
                        let typed = ["id", "ids"].contains(&inner_name.as_str()) && inner.contains_key("type");
                        let mut nested = |kind: &'static str, template: serde_json::Map<String, Value>| {
                            let slot = Slot::Nested {
                                field: name.clone(),
                                inner: inner_name.clone(),
                                template: Value::Object(template),
                                list,
                            };
                            slots.push((slot, kind, inner_schema.clone()));
                        };
                        if typed {
                            let types = alternatives(document.resolve(&inner["type"]));
                            let known: Vec<_> = types.iter().filter_map(|t| Some((kind_of_type(t)?, *t))).collect();
                            if known.is_empty() {
                                unplaced.push(format!("{method} {path}: {name}.{inner_name} of types {types:?}"));
                            }
                            for (kind, type_name) in known {
                                let mut template = template.clone();
                                template.insert("type".into(), json!(type_name));
                                nested(kind, template);
                            }
                        } else if let Some(kind) = kind_of_holder(name).filter(|_| inner_name == "id") {
                            nested(kind, template.clone());
                        } else if let Some(kind) = kind_of(path, inner_name) {
                            nested(kind, template.clone());
                        } else if id_like(inner_name) && !not_walked(path, inner_name) {
                            unplaced.push(format!("{method} {path}: body field {name}.{inner_name}"));
                        }
                    }
                    if required.contains(name) {
                        body.insert(name.clone(), document.sample(schema));
                    }
                }
                (None, None) => {
                    if let Some(value) = document.fill(name, schema, &required) {
                        body.insert(name.clone(), value);
                    }
                }
            }
        }
        for (slot, kind, schema) in &slots {
            kinds_reached.insert(*kind);
            let ask = |value: &Value| {
                let mut path = path.clone();
                let mut query = query.clone();
                let mut body = body.clone();
                let value = match slot {
                    Slot::Path(name) | Slot::Query(name) | Slot::Body(name) => id_as(name, schema, value),
                    Slot::Nested { inner, .. } => id_as(inner, schema, value),
                };
                let mut path_values = path_values.clone();
                match slot {
                    Slot::Path(name) => {
                        path_values.retain(|(other, _)| other != name);
                        path_values.push((name.clone(), value.clone()));
                    }
                    Slot::Query(name) => {
                        query.retain(|(other, _)| other != name);
                        query.push((name.clone(), value.clone()));
                    }
                    Slot::Body(name) => {
                        body.insert(name.clone(), value.clone());
                    }
                    Slot::Nested {
                        field,
                        inner,
                        template,
                        list,
                    } => {
                        for (name, own) in &own_fields {
                            body.entry(name.clone()).or_insert_with(|| own.clone());
                        }
                        let mut object = template.clone();
                        object[inner.as_str()] = value.clone();
                        body.insert(field.clone(), if *list { json!([object]) } else { object });
                    }
                }
                for (name, value) in &path_values {
                    let text = value.as_str().map(str::to_owned).unwrap_or(value.to_string());
                    path = path.replace(&format!("{{{name}}}"), &text);
                }
                let query: Vec<(String, String)> = query
                    .into_iter()
                    .map(|(name, value)| (name, value.as_str().map(str::to_owned).unwrap_or(value.to_string())))
                    .collect();
                let token = token_for(&path);
                app.client
                    .request(method.clone(), format!("{}{path}", app.url))
                    .bearer_auth(token)
                    .query(&query)
                    .json(&Value::Object(body))
                    .send()
            };
            let answer = |response: reqwest::Response| async move {
                (response.status().as_u16(), response.text().await.unwrap())
            };
            // A missing id first: what the request does to the caller's own objects (a
            // batch that also names one of ours trashes it) is done before the two answers
            // compared, so they are asked of the same state.
            if *rank < 2 {
                // Reads and creations with the caller's own object answer, or the walk proves
                // nothing (a comparison of two validation errors says nothing about ids).
                let (status, body) = answer(ask(&ours.ids[kind]).await.unwrap()).await;
                let dialect = path.split('/').take(3).collect::<Vec<_>>().join("/");
                let tally = own_asks.entry((*rank, dialect)).or_insert((0, 0));
                tally.1 += 1;
                if status == 200 {
                    tally.0 += 1;
                } else {
                    refused_own.push(format!("{method} {path} {slot:?}: {status} {body}"));
                }
            }
            let warm_up = answer(ask(&missing[kind]).await.unwrap()).await;
            let (foreign_status, foreign_body) = answer(ask(&theirs.ids[kind]).await.unwrap()).await;
            let (absent_status, absent_body) = answer(ask(&missing[kind]).await.unwrap()).await;
            let what = format!("{method} {path} with another enterprise's {kind} as {slot:?}");
            for (status, body) in [&warm_up, &(foreign_status, foreign_body.clone())] {
                assert!(*status < 500, "{what}: {body}");
                assert!(
                    !body.to_lowercase().contains("globexmark"),
                    "{what} shows their data: {body}"
                );
            }
            let gist = |status: u16, body: &str| {
                let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                let fields: Vec<Value> = body["errors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|error| json!([error["code"], error["field"]]))
                    .collect();
                (status, fields)
            };
            assert_eq!(
                gist(foreign_status, &foreign_body),
                gist(absent_status, &absent_body),
                "{what} must answer as for a missing one: {foreign_body} vs {absent_body}"
            );
            if foreign_status == 200 && method == reqwest::Method::GET {
                // A read that answers both must answer the same: a count or a list that
                // differs tells the id exists.
                // The id asked for may be echoed: then they are the same with it swapped for a
                // placeholder.
                let read = |body: &str, id: Option<&Value>| {
                    let mut body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
                    if let Some(id) = id {
                        swap(&mut body, id);
                    }
                    body
                };
                let same = read(&foreign_body, None) == read(&absent_body, None);
                assert!(
                    same || read(&foreign_body, Some(&theirs.ids[kind])) == read(&absent_body, Some(&missing[kind])),
                    "{what} must read as for a missing one: {foreign_body} vs {absent_body}"
                );
            }
            checked += 1;
            nested_checked += usize::from(matches!(slot, Slot::Nested { .. }));
        }
    }
    // Every kind of object was tried somewhere, and the walk covered the API, not a corner.
    let all: std::collections::BTreeSet<&str> = theirs.ids.keys().copied().collect();
    assert_eq!(kinds_reached, all);
    assert!(checked > 150, "only {checked} requests were compared");
    assert!(
        nested_checked >= 10,
        "only {nested_checked} ids inside body objects were walked"
    );
    // The comparisons mean something only if the requests get past authentication and
    // validation: with the caller's own objects, reads in every dialect answer.
    // Every id-like name is walked or written down with its reason.
    assert!(
        unplaced.is_empty(),
        "ids the walk cannot place:\n{}",
        unplaced.join("\n")
    );
    // The comparisons mean something only if the requests get past authentication and
    // validation: with the caller's own objects, reads in every dialect answer, and so do most
    // creations (the rest need what no generic body has).
    let share = |rank: u8| {
        let (answered, asked) = own_asks
            .iter()
            .filter(|((r, _), _)| *r == rank)
            .fold((0, 0), |sum, (_, tally)| (sum.0 + tally.0, sum.1 + tally.1));
        answered as f64 / asked.max(1) as f64
    };
    let dialects_read = own_asks
        .iter()
        .filter(|((rank, _), tally)| *rank == 0 && tally.0 > 0)
        .count();
    assert!(
        dialects_read == 3 && share(0) >= 0.75 && share(1) >= 0.5,
        "our own objects were refused too often: {own_asks:?}\n{}",
        refused_own.join("\n")
    );
    // Nothing of theirs changes, whatever was asked with their ids.
    let after = snapshot(&app, &other, &theirs).await;
    for (was, is) in before.iter().zip(&after) {
        assert_eq!(is, was, "one of theirs changed");
    }

    // Nothing of theirs changed: each object reads back as it was made.
    let their_admin = app.enterprise_token(&other).await;
    let their_user = app.user_token(&other, other.admin_user_id).await;
    let folder = theirs.ids["folder"].as_i64().unwrap();
    let children = app
        .get_ok(&format!("/api/v2/folder/{folder}/children"), &their_user)
        .await;
    assert_eq!(crate::harness::names_of(&children, "files"), ["globexmark budget.txt"]);
    let file = theirs.ids["file"].as_i64().unwrap();
    let versions = app.get_ok(&format!("/api/v2/file/{file}/versions"), &their_user).await;
    assert_eq!(versions["file_versions"].as_array().unwrap().len(), 2);
    let user_info = app
        .get_ok(&format!("/api/v2/admin/user/{}/info", theirs.ids["user"]), &their_admin)
        .await;
    assert_eq!(user_info["name"], "globexmark staff");
    let collab = app
        .get_ok(&format!("/api/v2/collab/{}/info", theirs.ids["collab"]), &their_user)
        .await;
    assert_eq!(collab["role"], "viewer");
    let link = app
        .get_ok(
            &format!("/api/v2/share_link/{}/info", theirs.ids["share_link"].as_str().unwrap()),
            &their_user,
        )
        .await;
    assert_eq!(link["unique_name"], theirs.ids["share_link"]);
}

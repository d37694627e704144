//! Tags: putting them on items, finding items by them (only where the caller may look), and
//! each user's recent and common tags.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

fn id(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("no id in {value}"))
}

fn ids(page: &Value, kind: &str) -> Vec<i64> {
    page[kind].as_array().unwrap().iter().map(id).collect()
}

fn names(list: &Value) -> Vec<String> {
    list["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn filter(app: &TestApp, token: &str, tag: &str) -> Value {
    app.get_ok(
        &format!(
            "/api/v2/tag/filter_items_by_tag_name?tag_name={}&sort_by=name&sort_direction=asc&page_id=1",
            urlencoding(tag)
        ),
        token,
    )
    .await
}

fn urlencoding(text: &str) -> String {
    text.bytes().map(|byte| format!("%{byte:02X}")).collect()
}

#[tokio::test]
async fn tagged_items_are_found_by_their_tag_only_where_the_caller_may_look() {
    let app = TestApp::spawn().await;
    let alice_id = app.create_user(&app.tenant, "Alice", "alice@acme.test").await;
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let alice = app.user_token(&app.tenant, alice_id).await;
    let bob = app.user_token(&app.tenant, bob_id).await;
    let contracts = id(&app.mkdir(&alice, 0, "合同").await);
    let signed = id(&app.upload(&alice, contracts, "b-signed.pdf", b"signed").await);
    let private = id(&app.upload(&alice, 0, "a-private.pdf", b"private").await);
    let bobs = id(&app.upload(&bob, 0, "bob.pdf", b"bob's").await);

    let tagged = app
        .post_ok(
            "/api/v2/tag/item_add_tags",
            &alice,
            &json!({"item_typed_ids": [format!("file_{signed}"), format!("folder_{contracts}"), format!("file_{private}")],
                    "tag_names": ["合同", "Q3", "q3"]}),
        )
        .await;
    assert_eq!(tagged["success"], true);
    assert_eq!(tagged["items"][0]["typed_id"], format!("file_{signed}"));
    assert_eq!(names(&tagged["items"][0]), ["Q3", "合同"], "names compare case-folded");
    app.post_ok(
        "/api/v2/tag/item_add_tags",
        &bob,
        &json!({"file_ids": [bobs], "tag_names": ["合同"]}),
    )
    .await;

    let mine = filter(&app, &alice, "合同").await;
    assert_eq!(ids(&mine, "files"), [private, signed]);
    assert_eq!(ids(&mine, "folders"), [contracts]);
    assert_eq!(mine["total_count"], 3);
    assert_eq!(mine["page_id"], 1, "pages count from 1 here");
    assert_eq!(ids(&filter(&app, &alice, "q3").await, "files"), [private, signed]);
    assert_eq!(ids(&filter(&app, &bob, "合同").await, "files"), [bobs]);

    // Shared with Bob, the folder and what is in it turn up for him; Alice's private file not.
    app.post_ok(
        "/api/v2/collab/invite",
        &alice,
        &json!({"folder_id": contracts, "accessible_by": {"type": "user", "id": bob_id, "role": "viewer"}}),
    )
    .await;
    let shared = filter(&app, &bob, "合同").await;
    assert_eq!(ids(&shared, "files"), [signed, bobs]);
    assert_eq!(ids(&shared, "folders"), [contracts]);
    // A viewer may not tag, and what is not shared is not there.
    assert_api_error(
        app.post(
            "/api/v2/tag/item_add_tags",
            &bob,
            &json!({"file_ids": [signed], "tag_names": ["mine"]}),
        )
        .await,
        403,
        "permission_denied",
    )
    .await;
    assert_api_error(
        app.post(
            "/api/v2/tag/item_add_tags",
            &bob,
            &json!({"file_id": private, "tag_name": "mine"}),
        )
        .await,
        404,
        "file_not_found",
    )
    .await;

    // Search by tag matches part of a tag's name.
    let searched = app
        .get_ok(
            &format!("/api/v2/item/search?query_words={}&query_filter=tag", urlencoding("合")),
            &alice,
        )
        .await;
    assert_eq!(searched["total_count"], 3);

    let removed = app
        .post_ok(
            "/api/v2/tag/item_remove_tags",
            &alice,
            &json!({"item_typed_ids": [format!("file_{private}")], "tag_names": ["合同"]}),
        )
        .await;
    assert_eq!(names(&removed["items"][0]), ["Q3"]);
    app.post_ok(&format!("/api/v2/file/{signed}/delete"), &alice, &json!({}))
        .await;
    let after = filter(&app, &alice, "合同").await;
    assert_eq!(
        ids(&after, "files"),
        Vec::<i64>::new(),
        "untagged and trashed items drop out"
    );
    assert_eq!(ids(&after, "folders"), [contracts]);
    assert_eq!(
        app.sql_i64("select count(*) from audit_event where action = 117").await,
        4
    );
    assert_eq!(
        app.sql_i64("select count(*) from audit_event where action = 118").await,
        1
    );

    let bad = assert_api_error(
        app.post(
            "/api/v2/tag/item_add_tags",
            &alice,
            &json!({"file_ids": [private], "tag_names": ["标".repeat(31)]}),
        )
        .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "tag_names");
    let bad = assert_api_error(
        app.post("/api/v2/tag/item_add_tags", &alice, &json!({"tag_names": ["x"]}))
            .await,
        400,
        "request_data_invalid",
    )
    .await;
    assert_eq!(bad["errors"][0]["field"], "item_typed_ids");
    assert_api_error(
        app.get("/api/v2/tag/filter_items_by_tag_name?sort_by=name", &alice)
            .await,
        400,
        "request_data_invalid",
    )
    .await;
}

#[tokio::test]
async fn each_user_keeps_recent_tags_and_a_common_list_of_their_own() {
    let app = TestApp::spawn().await;
    let alice_id = app.create_user(&app.tenant, "Alice", "alice@acme.test").await;
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let alice = app.user_token(&app.tenant, alice_id).await;
    let bob = app.user_token(&app.tenant, bob_id).await;
    let file = id(&app.upload(&alice, 0, "a.txt", b"a").await);
    for (offset, tag) in (0..12).map(|n| format!("t{n:02}")).enumerate() {
        app.clock.advance(offset as i64 + 1);
        app.post_ok(
            "/api/v2/tag/item_add_tags",
            &alice,
            &json!({"file_ids": [file], "tag_names": [tag]}),
        )
        .await;
    }
    let recent = app.get_ok("/api/v2/tag/list", &alice).await;
    let expected: Vec<String> = (2..12).rev().map(|n| format!("t{n:02}")).collect();
    assert_eq!(names(&recent), expected, "the last ten, newest first");
    assert!(names(&app.get_ok("/api/v2/tag/list", &bob).await).is_empty());

    let common = app
        .post_ok(
            "/api/v2/tag/add_common_list",
            &alice,
            &json!({"tag_names": ["重要", "t03"]}),
        )
        .await;
    assert_eq!(names(&common), ["t03", "重要"], "in the order the tags came to be");
    app.post_ok("/api/v2/tag/add_common_list", &alice, &json!({"tag_name": "待办"}))
        .await;
    let common = app
        .post_ok(
            "/api/v2/tag/remove_common_list",
            &alice,
            &json!({"tag_names": ["重要"]}),
        )
        .await;
    assert_eq!(names(&common), ["t03", "待办"]);
    assert_eq!(
        names(&app.get_ok("/api/v2/tag/common_list", &alice).await),
        ["t03", "待办"]
    );
    assert!(names(&app.get_ok("/api/v2/tag/common_list", &bob).await).is_empty());

    // Another enterprise's tag of the same name is its own: neither sees the other's items.
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let eve = app.create_user(&other, "Eve", "eve@globex.test").await;
    let eve = app.user_token(&other, eve).await;
    let theirs = id(&app.upload(&eve, 0, "b.txt", b"b").await);
    app.post_ok(
        "/api/v2/tag/item_add_tags",
        &eve,
        &json!({"file_ids": [theirs], "tag_names": ["t03"]}),
    )
    .await;
    assert_eq!(ids(&filter(&app, &eve, "t03").await, "files"), [theirs]);
    assert_eq!(ids(&filter(&app, &alice, "t03").await, "files"), [file]);
    assert_eq!(names(&app.get_ok("/api/v2/tag/list", &eve).await), ["t03"]);
}

//! `item/search`: names and contents in Chinese and English, only what the caller may see,
//! filters, orders and pages, and the error envelope for every malformed parameter.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    app.get_ok(&format!("/api/v2/item/search?{query}"), token).await
}

/// Names of the files and folders of a result page, files first, in the page's order.
fn names(page: &Value) -> Vec<String> {
    ["files", "folders"]
        .iter()
        .flat_map(|kind| page[kind].as_array().unwrap().iter())
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

fn words(query: &str) -> String {
    url::form_urlencoded::byte_serialize(query.as_bytes()).collect()
}

/// A one-page PDF whose page shows `text` in Helvetica, with a correct cross-reference table.
fn pdf_with_text(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A Word document with `paragraph`, written by python-docx as an office suite would.
pub(crate) fn docx_with_text(paragraph: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("made.docx");
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import docx, sys; d = docx.Document(); d.add_heading('Notes', 1); \
             d.add_paragraph(sys.argv[1]); d.save(sys.argv[2])",
            paragraph,
            path.to_str().unwrap(),
        ])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_found_by_their_words_in_chinese_and_english_and_by_any_run_of_characters() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let reports = app.mkdir(&token, 0, "销售资料").await["id"].as_i64().unwrap();
    app.upload(&token, reports, "2024年第三季度销售报告.bin", b"x").await;
    app.upload(&token, reports, "Q3_Quarterly-Review.bin", b"y").await;
    app.upload(&token, 0, "会议纪要.bin", b"z").await;

    let found = search(&app, &token, &format!("query_words={}", words("销售报告"))).await;
    assert_eq!(names(&found), ["2024年第三季度销售报告.bin"], "{found}");
    assert_eq!(found["total_count"], 1);
    assert_eq!(found["page_capacity"], 20);
    assert_eq!(
        found["files"][0]["path"][1]["name"], "销售资料",
        "results carry their path"
    );

    let by_word = search(&app, &token, "query_words=quarterly").await;
    assert_eq!(names(&by_word), ["Q3_Quarterly-Review.bin"]);
    let by_run = search(&app, &token, &format!("query_words={}", words("售报"))).await;
    assert_eq!(names(&by_run), ["2024年第三季度销售报告.bin"], "part of a word matches");
    let partial = search(&app, &token, "query_words=QUART").await;
    assert_eq!(names(&partial), ["Q3_Quarterly-Review.bin"], "case does not matter");
    let folder = search(&app, &token, &format!("query_words={}", words("销售"))).await;
    assert_eq!(folder["folders"][0]["name"], "销售资料");
    assert_eq!(folder["total_count"], 2);

    let precise = search(
        &app,
        &token,
        &format!("query_words={}&precise_search=true", words("季度销售")),
    )
    .await;
    assert_eq!(names(&precise), ["2024年第三季度销售报告.bin"]);
    let not_a_run = search(
        &app,
        &token,
        &format!("query_words={}&precise_search=true", words("报告销售")),
    )
    .await;
    assert_eq!(
        not_a_run["total_count"], 0,
        "precise wants the words in this order: {not_a_run}"
    );
    let nothing = search(&app, &token, "query_words=budget").await;
    assert_eq!(nothing["total_count"], 0);
    assert_eq!(nothing["page_count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_markdown_word_and_pdf_files_are_found_by_what_they_say() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    app.upload(&token, 0, "a.txt", "本季度的预算审批已经完成".as_bytes())
        .await;
    app.upload(
        &token,
        0,
        "b.md",
        b"# Roadmap\n\nThe migration to Kubernetes starts in May.",
    )
    .await;
    app.upload(
        &token,
        0,
        "c.docx",
        &docx_with_text("供应商合同续签 and the warranty terms"),
    )
    .await;
    app.upload(&token, 0, "d.pdf", &pdf_with_text("Invoice for lighthouse maintenance"))
        .await;
    app.upload(&token, 0, "e.bin", "预算 Kubernetes lighthouse 合同".as_bytes())
        .await;

    for (query, expected) in [
        ("预算", "a.txt"),
        ("kubernetes", "b.md"),
        ("合同", "c.docx"),
        ("warranty", "c.docx"),
        ("lighthouse", "d.pdf"),
    ] {
        let page = search(
            &app,
            &token,
            &format!("query_words={}&query_filter=content", words(query)),
        )
        .await;
        assert_eq!(names(&page), [expected], "{query}: {page}");
    }
    let everywhere = search(&app, &token, &format!("query_words={}", words("预算"))).await;
    assert_eq!(names(&everywhere), ["a.txt"], "binary files are searched by name only");
    let by_name_only = search(&app, &token, "query_words=lighthouse&query_filter=file_name").await;
    assert_eq!(by_name_only["total_count"], 0);
    let phrase = search(
        &app,
        &token,
        &format!(
            "query_words={}&query_filter=content&precise_search=true",
            words("lighthouse maintenance")
        ),
    )
    .await;
    assert_eq!(names(&phrase), ["d.pdf"]);
    let out_of_order = search(
        &app,
        &token,
        &format!(
            "query_words={}&query_filter=content&precise_search=true",
            words("maintenance lighthouse")
        ),
    )
    .await;
    assert_eq!(out_of_order["total_count"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renames_moves_new_versions_and_the_trash_show_in_the_next_search() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let archive = app.mkdir(&token, 0, "archive").await["id"].as_i64().unwrap();
    let box_folder = app.mkdir(&token, 0, "box").await["id"].as_i64().unwrap();
    let file = app.upload(&token, box_folder, "draft.txt", b"first words").await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(search(&app, &token, "query_words=draft").await["total_count"], 1);

    app.post_ok(
        &format!("/api/v2/file/{file}/update"),
        &token,
        &json!({"name": "final.txt"}),
    )
    .await;
    assert_eq!(search(&app, &token, "query_words=draft").await["total_count"], 0);
    let renamed = search(&app, &token, "query_words=words").await;
    assert_eq!(
        names(&renamed),
        ["final.txt"],
        "the content follows a rename: {renamed}"
    );

    app.post_ok(
        &format!("/api/v2/folder/{box_folder}/move"),
        &token,
        &json!({"target_folder_id": archive}),
    )
    .await;
    let within = search(&app, &token, &format!("query_words=final&search_in_folder={archive}")).await;
    assert_eq!(
        names(&within),
        ["final.txt"],
        "moving a folder moves what is below it: {within}"
    );

    let version = app
        .post_ok(
            &format!("/api/v2/file/{file}/new_version"),
            &token,
            &json!({"name": "final.txt", "upload_type": "api"}),
        )
        .await;
    let url = version["presign_url"].as_str().unwrap().to_owned();
    assert!(app.send_bytes(&url, b"second thoughts").await.status().is_success());
    assert_eq!(
        search(&app, &token, "query_words=words&query_filter=content").await["total_count"],
        0
    );
    assert_eq!(search(&app, &token, "query_words=thoughts").await["total_count"], 1);

    app.post_ok(&format!("/api/v2/folder/{archive}/delete"), &token, &json!({}))
        .await;
    assert_eq!(search(&app, &token, "query_words=final").await["total_count"], 0);
    app.post_ok(
        &format!("/api/v2/folder/{archive}/restore_from_trash"),
        &token,
        &json!({}),
    )
    .await;
    assert_eq!(search(&app, &token, "query_words=thoughts").await["total_count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_finds_only_what_the_caller_may_open() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let mut ids = Vec::new();
    for email in ["alice@acme.test", "bob@acme.test"] {
        let user = app
            .post_ok(
                "/api/v2/admin/user/create",
                &admin,
                &json!({"email": email, "force_active": true, "password": "secret-123"}),
            )
            .await;
        ids.push(user["id"].as_i64().unwrap());
    }
    let (alice, bob) = (
        app.user_token(&app.tenant, ids[0]).await,
        app.user_token(&app.tenant, ids[1]).await,
    );
    let department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "研发部", "parent_id": 0}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(
        &format!("/api/v2/admin/department/{department}/add_user"),
        &admin,
        &json!({"user_id": ids[0]}),
    )
    .await;
    let shared = app
        .post_ok(
            "/api/v2/folder/create",
            &alice,
            &json!({"name": "团队", "parent_id": 0, "department_id": department}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    app.upload(&alice, shared, "roadmap-team.txt", b"t").await;
    app.upload(&alice, 0, "roadmap-alice.txt", b"a").await;
    app.upload(&bob, 0, "roadmap-bob.txt", b"b").await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let other_token = app.user_token(&other, other.admin_user_id).await;
    app.upload(&other_token, 0, "roadmap-globex.txt", b"g").await;

    let mut seen = names(&search(&app, &alice, "query_words=roadmap").await);
    seen.sort();
    assert_eq!(seen, ["roadmap-alice.txt", "roadmap-team.txt"]);
    assert_eq!(
        names(&search(&app, &bob, "query_words=roadmap").await),
        ["roadmap-bob.txt"]
    );
    assert_eq!(
        names(&search(&app, &other_token, "query_words=roadmap").await),
        ["roadmap-globex.txt"]
    );
    let personal = search(&app, &alice, "query_words=roadmap&department_id=0").await;
    assert_eq!(names(&personal), ["roadmap-alice.txt"]);
    let team = search(&app, &alice, &format!("query_words=roadmap&department_id={department}")).await;
    assert_eq!(names(&team), ["roadmap-team.txt"]);
    let shared_with_me = search(&app, &alice, "query_words=roadmap&department_id=-1").await;
    assert_eq!(shared_with_me["total_count"], 0);

    assert_api_error(
        app.get(
            &format!("/api/v2/item/search?query_words=roadmap&department_id={department}"),
            &bob,
        )
        .await,
        404,
        "department_not_found",
    )
    .await;
    assert_api_error(
        app.get(
            &format!("/api/v2/item/search?query_words=roadmap&search_in_folder={shared}"),
            &bob,
        )
        .await,
        404,
        "folder_not_found",
    )
    .await;
    assert_api_error(
        app.get("/api/v2/item/search?query_words=roadmap", &admin).await,
        403,
        "permission_denied",
    )
    .await;

    let by_creator = search(&app, &alice, "query_words=bob&query_filter=creator").await;
    assert_eq!(by_creator["total_count"], 0, "Bob's files are not Alice's to see");
    let mine = search(&app, &alice, "query_words=alice&query_filter=creator").await;
    assert_eq!(mine["total_count"], 3, "the team folder, its file and her own: {mine}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kind_time_range_order_and_pages_narrow_and_arrange_the_results() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    app.mkdir(&token, 0, "plan folder").await;
    for (name, size) in [("plan b.txt", 30usize), ("plan a.txt", 10), ("plan c.txt", 20)] {
        app.upload(&token, 0, name, &vec![b'x'; size]).await;
    }
    let files = search(
        &app,
        &token,
        "query_words=plan&type=file&sort_by=name&sort_direction=asc",
    )
    .await;
    assert_eq!(names(&files), ["plan a.txt", "plan b.txt", "plan c.txt"]);
    let folders = search(&app, &token, "query_words=plan&type=folder").await;
    assert_eq!(names(&folders), ["plan folder"]);
    let by_size = search(&app, &token, "query_words=plan&type=file&sort_by=size").await;
    assert_eq!(names(&by_size), ["plan b.txt", "plan c.txt", "plan a.txt"]);
    let paged = search(
        &app,
        &token,
        "query_words=plan&sort_by=name&sort_direction=asc&page_capacity=2&page_id=1",
    )
    .await;
    assert_eq!(names(&paged), ["plan c.txt", "plan folder"], "{paged}");
    assert_eq!(paged["total_count"], 4);
    assert_eq!(paged["page_count"], 2);

    let now = app.now();
    let recent = search(
        &app,
        &token,
        &format!("query_words=plan&updated_time_range={},", now - 60),
    )
    .await;
    assert_eq!(recent["total_count"], 4);
    let old = search(
        &app,
        &token,
        &format!("query_words=plan&updated_time_range=,{}", now - 3600),
    )
    .await;
    assert_eq!(old["total_count"], 0);
    let with_permissions = search(&app, &token, "query_words=plan&type=file&fields=permission").await;
    assert!(
        with_permissions["files"][0]["permissions"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
}

#[tokio::test]
async fn malformed_search_parameters_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    for (query, field) in [
        ("", "query_words"),
        ("query_words=%20%20", "query_words"),
        (&format!("query_words={}", "字".repeat(201)), "query_words"),
        ("query_words=a&type=doc", "type"),
        ("query_words=a&sort_by=rank", "sort_by"),
        ("query_words=a&sort_direction=up", "sort_direction"),
        ("query_words=a&page_id=-1", "page_id"),
        ("query_words=a&page_capacity=0", "page_capacity"),
        ("query_words=a&search_in_folder=-3", "search_in_folder"),
        ("query_words=a&search_in_folder=x", "search_in_folder"),
        ("query_words=a&query_filter=body", "query_filter"),
        ("query_words=a&updated_time_range=1509954358", "updated_time_range"),
        ("query_words=a&updated_time_range=x,1", "updated_time_range"),
        ("query_words=a&updated_time_range=20,10", "updated_time_range"),
        ("query_words=a&department_id=-2", "department_id"),
        ("query_words=a&precise_search=maybe", "precise_search"),
    ] {
        let body = assert_api_error(
            app.get(&format!("/api/v2/item/search?{query}"), &token).await,
            400,
            "request_data_invalid",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_keeps_its_own_index_and_the_background_round_fills_it() {
    let a = TestApp::spawn().await;
    let shared_blobs = a.config.data_dir.join("blobs");
    let b = a
        .spawn_peer(|config| {
            config.search_catch_up_secs = 1;
            // Nodes on local disk share it, as they would a mounted volume.
            config.storage_dir = Some(shared_blobs);
        })
        .await;
    let token = a.admin_user_token().await;
    a.upload(&token, 0, "ledger.txt", b"reconciliation of accounts").await;
    assert_eq!(
        names(&search(&b, &token, "query_words=reconciliation").await),
        ["ledger.txt"]
    );
    // Node a itself, even behind a balancer.
    assert_eq!(
        names_on(&a, &a.node_url(), &token, "query_words=ledger").await,
        ["ledger.txt"]
    );

    // Node b's background round indexes a write made on node a without any search on b.
    let before = b.search.document_count();
    a.upload(&token, 0, "journal.txt", b"j").await;
    let mut indexed = false;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if b.search.document_count() == before + 1 {
            indexed = true;
            break;
        }
    }
    assert!(indexed, "node b indexed the new file on its own");
    assert_eq!(a.search.document_count(), before, "node a waits for a search");
}

/// Names a search on the node at `url` finds.
async fn names_on(app: &TestApp, url: &str, token: &str, query: &str) -> Vec<String> {
    let response = app
        .client
        .get(format!("{url}/api/v2/item/search?{query}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut found = names(&response.json::<Value>().await.unwrap());
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_killed_and_reopened_follows_moves_trash_and_new_files_made_meanwhile() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let a = app.mkdir(&token, 0, "a").await["id"].as_i64().unwrap();
    let b = app.mkdir(&token, a, "b").await["id"].as_i64().unwrap();
    let c = app.mkdir(&token, b, "c").await["id"].as_i64().unwrap();
    app.upload(&token, c, "deep-note.txt", b"the harbour schedule").await;
    let gone = app.upload(&token, a, "old-note.txt", b"x").await["id"]
        .as_i64()
        .unwrap();
    let elsewhere = app.mkdir(&token, 0, "elsewhere").await["id"].as_i64().unwrap();

    // A separate server on the same data dir builds the index, then dies without warning.
    let (node, url) = crate::crash::start_node(&app);
    assert_eq!(
        names_on(&app, &url, &token, "query_words=note").await,
        ["deep-note.txt", "old-note.txt"]
    );
    drop(node);

    // Meanwhile: a folder moves (taking its subtree along), a file goes to the trash, one
    // is renamed, one arrives.
    app.post_ok(
        &format!("/api/v2/folder/{b}/move"),
        &token,
        &json!({"target_folder_id": elsewhere}),
    )
    .await;
    app.post_ok(&format!("/api/v2/file/{gone}/delete"), &token, &json!({}))
        .await;
    app.upload(&token, 0, "new-note.md", b"harbour lights").await;

    let (_node, url) = crate::crash::start_node(&app);
    assert_eq!(
        names_on(&app, &url, &token, "query_words=note").await,
        ["deep-note.txt", "new-note.md"]
    );
    assert_eq!(
        names_on(
            &app,
            &url,
            &token,
            &format!("query_words=harbour&search_in_folder={elsewhere}")
        )
        .await,
        ["deep-note.txt"],
        "the moved subtree is found under its new parent"
    );
    assert!(
        names_on(&app, &url, &token, &format!("query_words=harbour&search_in_folder={a}"))
            .await
            .is_empty()
    );
    assert_eq!(
        names_on(&app, &url, &token, "query_words=harbour&query_filter=content").await,
        ["deep-note.txt", "new-note.md"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_purged_or_renamed_into_a_text_kind_between_searches_are_counted_right() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let file = app.upload(&token, 0, "ephemeral.txt", b"x").await["id"]
        .as_i64()
        .unwrap();
    let kept = app.upload(&token, 0, "minutes.bin", b"quarterly harbour minutes").await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(search(&app, &token, "query_words=ephemeral").await["total_count"], 1);
    assert_eq!(
        search(&app, &token, "query_words=harbour&query_filter=content").await["total_count"],
        0,
        "a .bin file is searched by name only"
    );

    // Trashed and purged before any search looks again: its row is gone without a trace.
    app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &json!({}))
        .await;
    app.post_ok(&format!("/api/v2/file/{file}/delete_from_trash"), &token, &json!({}))
        .await;
    let after = search(&app, &token, "query_words=ephemeral").await;
    assert_eq!(after["total_count"], 0, "{after}");

    // The same bytes under a name of a text kind: their text is read now.
    app.post_ok(
        &format!("/api/v2/file/{kept}/update"),
        &token,
        &json!({"name": "minutes.txt"}),
    )
    .await;
    let content = search(&app, &token, "query_words=harbour&query_filter=content").await;
    assert_eq!(names(&content), ["minutes.txt"]);

    // A page far past the end is empty, not an error.
    let far = search(&app, &token, "query_words=minutes&page_id=10000000&page_capacity=1000").await;
    assert_eq!(far["total_count"], 1);
    assert_eq!(names(&far), Vec::<String>::new());
}

//! Knowledge bases: a user's datasets train from drive files in the background (docx, txt,
//! md and pdf into passages; csv and xlsx into question/answer pairs or table passages),
//! follow the files as they change, and answer match tests with the right passage first.

use std::time::Duration;

use serde_json::{Value, json};

use crate::gpt::{answer_of, ask, chat};
use crate::harness::{HttpSink, TestApp, assert_api_error};

/// A Word document: `(text, heading?)` paragraphs, written by python-docx.
pub(crate) fn docx(paragraphs: &[(&str, bool)]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("made.docx");
    let spec = serde_json::to_string(paragraphs).unwrap();
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import docx, json, sys\n\
             d = docx.Document()\n\
             for text, heading in json.loads(sys.argv[1]):\n\
             \x20   d.add_heading(text, 1) if heading else d.add_paragraph(text)\n\
             d.save(sys.argv[2])",
            &spec,
            path.to_str().unwrap(),
        ])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(path).unwrap()
}

/// A workbook whose first sheet holds `rows`, written by openpyxl.
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    xlsx_with(rows, "")
}

/// [`xlsx`], then `also` run on the sheet `sheet` (more cells, say).
fn xlsx_with(rows: &[&[&str]], also: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("made.xlsx");
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import openpyxl, json, sys\n\
             book = openpyxl.Workbook()\n\
             for row in json.loads(sys.argv[1]):\n\
             \x20   book.active.append(row)\n\
             sheet = book.active\n\
             exec(sys.argv[3])\n\
             book.save(sys.argv[2])",
            &serde_json::to_string(rows).unwrap(),
            path.to_str().unwrap(),
            also,
        ])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(path).unwrap()
}

pub(crate) async fn knowledge(app: &TestApp, token: &str, call: &str, body: Value) -> Value {
    app.post_ok(&format!("/api/v2/knowledge/{call}"), token, &body).await
}

pub(crate) async fn new_dataset(app: &TestApp, token: &str, name: &str) -> i64 {
    let made = knowledge(app, token, "create_data", json!({"name": name})).await;
    made["data_id"].as_i64().unwrap()
}

pub(crate) async fn train(app: &TestApp, token: &str, dataset: i64, method: &str, file_type: &str, id: i64) -> i64 {
    let added = knowledge(
        app,
        token,
        "add_train_file",
        json!({"data_id": dataset, "analysis_method": method, "file_type": file_type, "file_id": id}),
    )
    .await;
    assert_eq!(added["success"], true);
    added["id"].as_i64().unwrap()
}

/// The dataset's tasks of `task_type` once none is queued or running any more.
pub(crate) async fn settled(app: &TestApp, token: &str, dataset: i64, task_type: &str) -> Vec<Value> {
    for _ in 0..400 {
        let listed = knowledge(
            app,
            token,
            "list_train_file",
            json!({"data_id": dataset, "task_type": task_type, "page_size": 50}),
        )
        .await;
        let tasks = listed["train_file_info"].as_array().unwrap().clone();
        if tasks
            .iter()
            .all(|task| task["state"] == "done" || task["state"] == "failed")
        {
            return tasks;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("training of {task_type} did not settle");
}

async fn segments(app: &TestApp, token: &str, dataset: i64) -> Value {
    knowledge(
        app,
        token,
        "list_data_segment",
        json!({"data_id": dataset, "page_no": 1, "page_size": 100}),
    )
    .await
}

async fn best_match(app: &TestApp, token: &str, dataset: i64, question: &str) -> Value {
    let found = knowledge(
        app,
        token,
        "data_match_test",
        json!({"data_id": dataset, "question": question}),
    )
    .await;
    assert_eq!(found["success"], true);
    found["match_result_list"][0].clone()
}

pub(crate) fn quick(config: &mut openpan::config::Config) {
    config.train_poll_ms = 20;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_trains_documents_and_tables_and_a_reworded_question_finds_its_passage_first() {
    let app = TestApp::spawn_with(quick).await;
    let token = app.admin_user_token().await;
    let folder = app.mkdir(&token, 0, "制度").await["id"].as_i64().unwrap();
    let handbook = docx(&[
        ("请假制度", true),
        (
            "员工每年享有十五天带薪年假。年假需提前三个工作日在系统中提交申请，经主管批准后生效。病假需要提供医院证明。",
            false,
        ),
        ("报销流程", true),
        ("差旅费用须在出差结束后三十日内提交报销单，并附上发票原件。", false),
        ("Remote work", true),
        (
            "Working from home requires the approval of your manager one week in advance.",
            false,
        ),
    ]);
    app.upload(&token, folder, "员工手册.docx", &handbook).await;
    app.upload(
        &token,
        folder,
        "会议.md",
        "# 例会\n\n每周一上午十点在三楼会议室召开部门例会。".as_bytes(),
    )
    .await;
    app.upload(&token, folder, "图片.png", b"\x89PNG not text").await;
    let faq = app
        .upload(
            &token,
            0,
            "常见问题.csv",
            "问题,答案\n如何重置密码？,在登录页点击“忘记密码”，按短信提示设置新密码。\n\
             How do I share a folder?,Open the folder and choose Share.\n"
                .as_bytes(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let offices = app
        .upload(
            &token,
            0,
            "办公室.xlsx",
            &xlsx(&[
                &["城市", "地址", "电话"],
                &["杭州", "西湖区文三路90号", "0571-8888"],
                &["北京", "海淀区中关村大街1号", "010-6666"],
            ]),
        )
        .await["id"]
        .as_i64()
        .unwrap();

    let dataset = new_dataset(&app, &token, "公司制度").await;
    train(&app, &token, dataset, "direct_segment", "folder", folder).await;
    train(&app, &token, dataset, "qa", "file", faq).await;
    train(&app, &token, dataset, "table", "file", offices).await;

    let documents = settled(&app, &token, dataset, "direct_segment").await;
    assert_eq!(documents.len(), 1, "{documents:?}");
    assert_eq!(documents[0]["file_type"], "folder");
    assert_eq!(documents[0]["file_name"], "制度");
    assert_eq!(documents[0]["status"], 2);
    assert_eq!(
        documents[0]["file_count"], 2,
        "the picture is not trained: {documents:?}"
    );
    assert_eq!(documents[0]["done_count"], 2);
    let pairs = settled(&app, &token, dataset, "csv_qa_import").await;
    assert_eq!(pairs[0]["file_id"], faq);
    assert_eq!(pairs[0]["analysis_method"], "qa");
    assert_eq!(settled(&app, &token, dataset, "table").await[0]["state"], "done");

    // Passages keep their heading and whole sentences.
    let listed = segments(&app, &token, dataset).await;
    let passages: Vec<&str> = listed["segment_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|segment| segment["content"].as_str().unwrap())
        .collect();
    let leave = passages
        .iter()
        .find(|passage| passage.contains("带薪年假"))
        .unwrap_or_else(|| panic!("{passages:?}"));
    assert!(leave.starts_with("请假制度\n"), "{leave}");
    assert!(leave.ends_with("病假需要提供医院证明。"), "{leave}");
    assert!(
        passages.contains(&"城市: 杭州\n地址: 西湖区文三路90号\n电话: 0571-8888"),
        "{passages:?}"
    );
    assert_eq!(listed["total"], passages.len());
    let first = &listed["segment_list"][0];
    assert!(first["id"].is_string() && first["file_id"].is_string(), "{first}");
    let qa = knowledge(
        &app,
        &token,
        "list_data_qa",
        json!({"data_id": dataset, "page_no": 1, "page_size": 1}),
    )
    .await;
    assert_eq!(qa["total"], 2);
    assert_eq!(qa["qa_list"][0]["question"], "如何重置密码？");
    assert_eq!(qa["qa_list"][0]["file_name"], "常见问题.csv");
    let info = knowledge(&app, &token, "get_data_info", json!({"data_id": dataset})).await;
    assert_eq!(info["data"]["qa_count"], 2);
    assert_eq!(info["data"]["train_file_count"], 3);

    // Questions worded otherwise than the text find its passage first.
    let leave = best_match(&app, &token, dataset, "请年假要提前几天申请？").await;
    assert!(leave["answer"].as_str().unwrap().contains("提前三个工作日"), "{leave}");
    assert_eq!(leave["file_name"], "员工手册.docx");
    assert_eq!(leave["task_type"], "direct_segment");
    assert!(leave["score"].as_f64().unwrap() > 0.0);
    let remote = best_match(&app, &token, dataset, "can I work from home?").await;
    assert!(
        remote["answer"].as_str().unwrap().contains("approval of your manager"),
        "{remote}"
    );
    let password = best_match(&app, &token, dataset, "忘记密码了怎么办").await;
    assert_eq!(password["task_type"], "csv_qa_import");
    assert_eq!(password["vector_text"], "如何重置密码？");
    assert!(password["answer"].as_str().unwrap().contains("短信提示"), "{password}");
    let office = best_match(&app, &token, dataset, "北京办公室在哪里").await;
    assert!(office["answer"].as_str().unwrap().contains("中关村"), "{office}");
    let meeting = best_match(&app, &token, dataset, "部门例会几点开").await;
    assert_eq!(meeting["file_name"], "会议.md");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn training_follows_new_versions_and_the_trash_and_says_why_a_file_failed() {
    let app = TestApp::spawn_with(quick).await;
    let token = app.admin_user_token().await;
    let notes = app
        .upload(&token, 0, "notes.txt", "第一版：例会在周一。".as_bytes())
        .await;
    let notes = notes["id"].as_i64().unwrap();
    let broken = app.upload(&token, 0, "坏的.docx", b"this is no zip").await["id"]
        .as_i64()
        .unwrap();
    let empty = app.upload(&token, 0, "空白.txt", b"   \n").await["id"]
        .as_i64()
        .unwrap();
    // One cell at the sheet's far corner: a dense read of this sheet would need hundreds of GB.
    let far = xlsx_with(
        &[&["问题", "答案"], &["远吗？", "不远。"]],
        "sheet['XFD1048576'] = 'far'",
    );
    let far = app.upload(&token, 0, "远.xlsx", &far).await["id"].as_i64().unwrap();
    let dataset = new_dataset(&app, &token, "笔记").await;
    train(&app, &token, dataset, "qa", "file", far).await;
    assert_eq!(
        settled(&app, &token, dataset, "csv_qa_import").await[0]["state"],
        "done"
    );
    let pairs = knowledge(
        &app,
        &token,
        "list_data_qa",
        json!({"data_id": dataset, "page_no": 1, "page_size": 10}),
    )
    .await;
    assert_eq!(pairs["qa_list"][0]["answer"], "不远。", "{pairs}");
    train(&app, &token, dataset, "direct_segment", "file", notes).await;
    train(&app, &token, dataset, "direct_segment", "file", broken).await;
    train(&app, &token, dataset, "direct_segment", "file", empty).await;
    let tasks = settled(&app, &token, dataset, "direct_segment").await;
    let failed: Vec<&Value> = tasks.iter().filter(|task| task["state"] == "failed").collect();
    assert_eq!(failed.len(), 2, "{tasks:?}");
    for task in failed {
        assert_eq!(task["status"], 3);
        let reason = task["failed_files"][0]["reason"].as_str().unwrap();
        assert!(!reason.is_empty(), "{task}");
    }
    let text = |listed: &Value| {
        listed["segment_list"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(text(&segments(&app, &token, dataset).await), "第一版：例会在周一。");

    // A new version is trained again in place of the old.
    let version = app
        .post_ok(
            &format!("/api/v2/file/{notes}/new_version_v2"),
            &token,
            &json!({"name": "notes.txt", "upload_type": "api"}),
        )
        .await;
    let response = app
        .send_bytes(
            version["presign_url"].as_str().unwrap(),
            "第二版：例会改到周三。".as_bytes(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let mut now = String::new();
    for _ in 0..400 {
        now = text(&segments(&app, &token, dataset).await);
        if now.contains("周三") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(now, "第二版：例会改到周三。");
    assert_eq!(segments(&app, &token, dataset).await["total"], 1);

    // A trashed file leaves the dataset.
    app.post_ok(&format!("/api/v2/file/{notes}/delete"), &token, &json!({}))
        .await;
    for _ in 0..400 {
        if segments(&app, &token, dataset).await["total"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the trashed file's passages stayed");
}

#[tokio::test]
async fn datasets_are_their_owners_and_training_reads_only_what_the_caller_may_download() {
    let app = TestApp::spawn_with(quick).await;
    let alice = app.admin_user_token().await;
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let bob = app.user_token(&app.tenant, bob_id).await;
    let hers = app.upload(&alice, 0, "私密.txt", "只有我能看。".as_bytes()).await["id"]
        .as_i64()
        .unwrap();
    let manual = app.upload(&alice, 0, "手册.docx", &docx(&[("x", false)])).await["id"]
        .as_i64()
        .unwrap();
    let dataset = new_dataset(&app, &alice, "Alice").await;
    let bobs = new_dataset(&app, &bob, "Bob").await;

    // Bob neither sees Alice's dataset nor trains on her file.
    for call in ["get_data_info", "delete_data", "list_train_file", "data_match_test"] {
        let body = json!({"data_id": dataset, "task_type": "direct_segment", "question": "x"});
        let refused = app.post(&format!("/api/v2/knowledge/{call}"), &bob, &body).await;
        let envelope = assert_api_error(refused, 400, "request_data_invalid").await;
        assert_eq!(envelope["errors"][0]["field"], "data_id", "{call}: {envelope}");
    }
    let body = json!({"data_id": bobs, "analysis_method": "direct_segment", "file_type": "file", "file_id": hers});
    assert_api_error(
        app.post("/api/v2/knowledge/add_train_file", &bob, &body).await,
        404,
        "file_not_found",
    )
    .await;
    let listed = knowledge(&app, &bob, "list_data", json!({})).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["data_list"][0]["name"], "Bob");

    // What each method takes.
    for (body, field) in [
        (
            json!({"data_id": dataset, "analysis_method": "qa", "file_type": "file", "file_id": manual}),
            "file_id",
        ),
        (
            json!({"data_id": dataset, "analysis_method": "qa", "file_type": "folder", "file_id": 0}),
            "file_type",
        ),
        (
            json!({"data_id": dataset, "analysis_method": "summary", "file_type": "file", "file_id": manual}),
            "analysis_method",
        ),
        (
            json!({"data_id": dataset, "analysis_method": "direct_segment", "file_type": "file", "file_id": manual,
            "train_params": {"segment_size": 10}}),
            "segment_size",
        ),
        (
            json!({"analysis_method": "direct_segment", "file_type": "file", "file_id": manual}),
            "data_id",
        ),
    ] {
        let refused = app.post("/api/v2/knowledge/add_train_file", &alice, &body).await;
        let envelope = assert_api_error(refused, 400, "request_data_invalid").await;
        assert_eq!(envelope["errors"][0]["field"], field, "{body}: {envelope}");
    }
    let refused = app
        .post(
            "/api/v2/knowledge/list_data_segment",
            &alice,
            &json!({"data_id": dataset, "page_no": 1}),
        )
        .await;
    assert_eq!(
        assert_api_error(refused, 400, "request_data_invalid").await["errors"][0]["field"],
        "page_size"
    );

    // Deleting a dataset leaves the drive alone.
    knowledge(&app, &alice, "delete_data", json!({"data_id": dataset})).await;
    assert_eq!(app.download(&alice, hers).await, "只有我能看。".as_bytes());
    let gone = app
        .post("/api/v2/knowledge/get_data_info", &alice, &json!({"data_id": dataset}))
        .await;
    assert_api_error(gone, 400, "request_data_invalid").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_node_died_mid_training_is_taken_up_when_its_lease_runs_out() {
    let app = TestApp::spawn_with(quick).await;
    let token = app.admin_user_token().await;
    let file = app
        .upload(&token, 0, "lease.md", "# 租约\n\n租约到期后由其他节点接手。".as_bytes())
        .await;
    let dataset = new_dataset(&app, &token, "租约").await;
    let task = train(
        &app,
        &token,
        dataset,
        "direct_segment",
        "file",
        file["id"].as_i64().unwrap(),
    )
    .await;
    settled(&app, &token, dataset, "direct_segment").await;
    // A node claimed the job again, then died before storing anything: the row says running,
    // held for five more minutes, and the passages are gone.
    let until = app.now() + 300;
    app.sql(&format!(
        "update kb_train_file set status = 'running', attempts = 1, lease_until = {until}, version_id = null \
         where task_id = {task}"
    ))
    .await;
    app.sql("delete from kb_segment").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = knowledge(
        &app,
        &token,
        "list_train_file",
        json!({"data_id": dataset, "task_type": "direct_segment"}),
    )
    .await;
    assert_eq!(waiting["train_file_info"][0]["state"], "running", "{waiting}");
    app.clock.advance(301);
    let tasks = settled(&app, &token, dataset, "direct_segment").await;
    assert_eq!(tasks[0]["state"], "done", "{tasks:?}");
    assert_eq!(segments(&app, &token, dataset).await["total"], 1);
}

/// A stand-in embedding model: a text's vector says which of a few topics it speaks of, in
/// Chinese or English, so meaning is matched across languages where words are not.
/// The topics the tests' embedding models know, in Chinese and English.
const TOPICS: [&[&str]; 3] = [
    &["假", "vacation", "holiday", "leave"],
    &["销", "费", "expense", "reimburse"],
    &["例会", "议", "meeting"],
];

/// How often each topic's words occur in `text`.
fn topic_counts(text: &str) -> Vec<f32> {
    let lower = text.to_lowercase();
    TOPICS
        .iter()
        .map(|words| words.iter().map(|word| lower.matches(word).count()).sum::<usize>() as f32)
        .collect()
}

/// The endpoint's vector of a text: its topics, and a faint mark of the text itself, so texts
/// of no topic are not all the same vector.
fn topic_vector(text: &str) -> Vec<f32> {
    let mut vector = topic_counts(text);
    let mut mark = [0.0f32; 16];
    mark[text.chars().map(|c| c as usize).sum::<usize>() % 16] = 0.1;
    vector.extend(mark);
    vector
}

const RULES: &str = "# 第一条\n员工每年享有十五天带薪年假。\n# 第二条\n差旅费用须在出差结束后三十日内提交报销单。\n\
                     # 第三条\n每周一上午十点召开部门例会。\n# 第四条\n门禁卡丢失需到一楼前台补办。";

/// Trains the rules with the app's embedding model, then asks by meaning: in the match test
/// and in chat, whatever the words.
async fn the_rules_are_found_by_meaning(app: &TestApp) {
    let token = app.admin_user_token().await;
    let file = app.upload(&token, 0, "制度.md", RULES.as_bytes()).await["id"]
        .as_i64()
        .unwrap();
    let dataset = new_dataset(app, &token, "制度").await;
    train(app, &token, dataset, "direct_segment", "file", file).await;
    assert_eq!(
        settled(app, &token, dataset, "direct_segment").await[0]["state"],
        "done"
    );

    // Not one word in common with the passage, yet its meaning finds it.
    let best = best_match(app, &token, dataset, "How many holiday days do I get?").await;
    assert!(best["answer"].as_str().unwrap().contains("带薪年假"), "{best}");
    let best = best_match(app, &token, dataset, "expense claims deadline").await;
    assert!(best["answer"].as_str().unwrap().contains("报销单"), "{best}");
    // Words still count: a passage of no topic the model knows is found by its words.
    let best = best_match(app, &token, dataset, "门禁卡丢了去哪里补办？").await;
    assert!(best["answer"].as_str().unwrap().contains("前台补办"), "{best}");

    // A chat answer draws on what the model found close in meaning, whatever the words.
    let gpt = knowledge(
        app,
        &token,
        "create_gpt",
        json!({"name": "制度", "data_ids": [dataset]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (frames, _) = chat(app, &token, ask(gpt, "e", "How many holiday days do I get?")).await;
    assert!(answer_of(&frames).contains("带薪年假"));
    let (frames, _) = chat(app, &token, ask(gpt, "e2", "今天天气怎么样？")).await;
    assert_eq!(answer_of(&frames), "知识库中没有找到与这个问题相关的内容。");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_embedding_model_finds_a_passage_that_shares_no_words_with_the_question() {
    let model = HttpSink::start(|_, body| {
        let asked: Value = serde_json::from_slice(body).unwrap();
        let data: Vec<Value> = asked["input"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(index, text)| json!({"index": index, "embedding": topic_vector(text.as_str().unwrap())}))
            .collect();
        (200, json!({"object": "list", "data": data}).to_string())
    })
    .await;
    let base_url = model.url.clone();
    let app = TestApp::spawn_with(move |config| {
        quick(config);
        config.ai.embedding = Some(openpan::config::EmbeddingConfig {
            base_url: Some(base_url),
            api_key: Some("sk-embed".to_owned()),
            model: Some("bge-m3".to_owned()),
            ..Default::default()
        });
    })
    .await;
    the_rules_are_found_by_meaning(&app).await;

    // Training sent the passages to the model named, with the key.
    let trained = &model.wait_for(1).await[0];
    assert_eq!(trained.header("authorization"), "Bearer sk-embed");
    let body: Value = serde_json::from_slice(&trained.body).unwrap();
    assert_eq!(body["model"], "bge-m3");
    assert!(body["input"][0].as_str().unwrap().contains("带薪年假"), "{body}");
}

/// A Model2Vec model in `dir`: a Chinese-aware WordPiece tokenizer over the rules' characters
/// and the topics' words, and a row per token of its topics plus a faint mark of its own.
fn write_topic_model(dir: &std::path::Path) {
    let mut tokens: Vec<String> = vec!["[PAD]".to_owned(), "[UNK]".to_owned()];
    let mut chars: Vec<char> = RULES.chars().filter(|c| !c.is_whitespace()).collect();
    chars.sort_unstable();
    chars.dedup();
    tokens.extend(chars.iter().map(char::to_string));
    tokens.extend(
        TOPICS
            .iter()
            .flat_map(|words| words.iter())
            .filter(|word| word.is_ascii())
            .map(|word| word.to_string()),
    );
    let vocab: serde_json::Map<String, Value> = tokens
        .iter()
        .enumerate()
        .map(|(id, token)| (token.clone(), json!(id)))
        .collect();
    let tokenizer = json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                       "strip_accents": null, "lowercase": true},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": null, "decoder": null,
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    });
    let dim = TOPICS.len() + tokens.len();
    let mut rows = Vec::with_capacity(tokens.len() * dim);
    for (id, token) in tokens.iter().enumerate() {
        rows.extend(topic_counts(token));
        rows.extend((0..tokens.len()).map(|other| if other == id { 0.1f32 } else { 0.0 }));
    }
    let bytes: Vec<u8> = rows.iter().flat_map(|value| value.to_le_bytes()).collect();
    let tensor =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![tokens.len(), dim], &bytes).unwrap();
    safetensors::serialize_to_file([("embeddings", tensor)], &None, &dir.join("model.safetensors")).unwrap();
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    std::fs::write(dir.join("config.json"), json!({"normalize": true}).to_string()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_model_file_finds_a_passage_that_shares_no_words_with_the_question_without_any_network() {
    let models = tempfile::tempdir().unwrap();
    let dir = models.path().join("topics");
    std::fs::create_dir(&dir).unwrap();
    write_topic_model(&dir);
    let app = TestApp::spawn_with(move |config| {
        quick(config);
        config.ai.embedding = Some(openpan::config::EmbeddingConfig {
            model_dir: Some(dir),
            ..Default::default()
        });
    })
    .await;
    the_rules_are_found_by_meaning(&app).await;
}

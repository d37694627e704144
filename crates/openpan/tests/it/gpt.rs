//! Knowledge GPTs and chat: a GPT answers from its datasets in `chatStream`'s frames, offline
//! from the knowledge's own words or through a configured OpenAI-compatible model; a
//! conversation is remembered under its `sessionId`; sharing lends the GPT, not its owner's
//! files.

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::harness::{HttpSink, TestApp, assert_api_error};
use crate::knowledge::{docx, knowledge, new_dataset, quick, settled, train};

/// The handbook every test trains: Chinese and English passages under headings.
fn handbook() -> Vec<u8> {
    docx(&[
        ("请假制度", true),
        (
            "员工每年享有十五天带薪年假。年假需提前三个工作日在系统中提交申请，经主管批准后生效。",
            false,
        ),
        ("报销流程", true),
        ("差旅费用须在出差结束后三十日内提交报销单，并附上发票原件。", false),
        ("Remote work", true),
        (
            "Working from home requires the approval of your manager one week in advance.",
            false,
        ),
    ])
}

/// A dataset of `token`'s trained from the handbook (in `folder`) and a csv of pairs; the
/// handbook's id.
async fn trained_dataset(app: &TestApp, token: &str, folder: i64) -> (i64, i64) {
    let file = app.upload(token, folder, "员工手册.docx", &handbook()).await["id"]
        .as_i64()
        .unwrap();
    let faq = app
        .upload(
            token,
            folder,
            "常见问题.csv",
            "问题,答案\n门禁卡丢了怎么办？,请到一楼前台登记补办，工本费二十元。\n".as_bytes(),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let dataset = new_dataset(app, token, "公司制度").await;
    train(app, token, dataset, "direct_segment", "file", file).await;
    train(app, token, dataset, "qa", "file", faq).await;
    assert_eq!(settled(app, token, dataset, "direct_segment").await[0]["state"], "done");
    assert_eq!(settled(app, token, dataset, "csv_qa_import").await[0]["state"], "done");
    (dataset, file)
}

/// A `chatStream` answer read by an SSE client: every frame's JSON, and the raw body.
pub(crate) async fn chat(app: &TestApp, token: &str, body: Value) -> (Vec<Value>, String) {
    let response = app.post("/api/v2/knowledge/chatStream", token, &body).await;
    assert_eq!(response.status(), 200, "{body}");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/event-stream"), "{content_type}");
    let bytes = response.bytes().await.unwrap();
    let raw = String::from_utf8(bytes.to_vec()).unwrap();
    let events: Vec<_> = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(bytes)])
        .eventsource()
        .collect()
        .await;
    let frames = events
        .into_iter()
        .map(|event| serde_json::from_str(&event.unwrap().data).unwrap())
        .collect();
    (frames, raw)
}

/// The text of an answer's frames, checking each frame has the platform's shape.
pub(crate) fn answer_of(frames: &[Value]) -> String {
    assert!(frames.len() >= 2, "{frames:?}");
    let (last, pieces) = frames.split_last().unwrap();
    for frame in pieces {
        let choice = &frame["choices"][0];
        assert_eq!(choice["delta"]["role"], "assistant", "{frame}");
        assert_eq!(choice["delta"], choice["message"], "{frame}");
        assert_eq!(choice["finishReason"], "null", "{frame}");
        assert_eq!(choice["index"], 0, "{frame}");
        assert_eq!(frame["created"], 0, "{frame}");
        assert_eq!(frame["object"], "", "{frame}");
    }
    assert_eq!(last["choices"][0]["finishReason"], "stop", "{last}");
    assert_eq!(last["choices"][0]["delta"]["content"], "", "{last}");
    pieces
        .iter()
        .map(|frame| frame["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect()
}

/// An app with one chat model configured, and a dataset of its user's trained from the
/// handbook: the app, the user's token and the dataset.
async fn with_chat_model(name: &str, base_url: String, key: Option<&str>, model: &str) -> (TestApp, String, i64) {
    let chat_model = openpan::config::ChatModelConfig {
        name: name.to_owned(),
        base_url,
        api_key: key.map(str::to_owned),
        model: model.to_owned(),
    };
    let app = TestApp::spawn_with(move |config| {
        quick(config);
        config.ai.chat = vec![chat_model];
    })
    .await;
    let token = app.admin_user_token().await;
    let (dataset, _) = trained_dataset(&app, &token, 0).await;
    (app, token, dataset)
}

pub(crate) fn ask(gpt: i64, session: &str, question: &str) -> Value {
    json!({
        "messages": [{"role": "user", "content": question}],
        "knowledgeGptId": gpt.to_string(),
        "sessionId": session,
        "chatType": "ZSH_CHAT",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gpt_answers_offline_from_its_files_in_the_platforms_frames_and_says_so_when_it_knows_nothing() {
    let app = TestApp::spawn_with(quick).await;
    let token = app.admin_user_token().await;
    let (dataset, file) = trained_dataset(&app, &token, 0).await;

    let created = knowledge(
        &app,
        &token,
        "create_gpt",
        json!({
            "name": "人事助手",
            "intro": "回答公司制度问题",
            "system_prompt": "你是人事助手",
            "chat_intro": "你好，我是人事助手。",
            "data_ids": [dataset],
            "no_recall_replay": "请查阅员工手册或联系人事部。",
            "show_preview": true,
            "show_doc_source": true,
            "suggested_question_complex": [{"label": "默认", "question": ["年假有几天？", "怎么报销？"]}],
            "temperature": 0.3,
        }),
    )
    .await;
    let gpt = created["id"].as_i64().unwrap();
    let info = knowledge(&app, &token, "get_gpt_info", json!({"knowledge_gpt_id": gpt})).await;
    assert_eq!(info["knowledge_gpt_id"], gpt);
    let base = &info["base_info"];
    assert_eq!(base["name"], "人事助手");
    assert_eq!(base["intro"], "回答公司制度问题");
    assert_eq!(base["system_prompt"], "你是人事助手");
    assert_eq!(base["chat_intro"], "你好，我是人事助手。");
    assert_eq!(base["data_ids"], json!([dataset]));
    assert_eq!(base["no_recall_replay"], "请查阅员工手册或联系人事部。");
    assert_eq!(base["show_preview"], true);
    assert_eq!(base["show_doc_source"], true);
    assert_eq!(
        base["suggested_question_complex"],
        json!([{"label": "默认", "question": ["年假有几天？", "怎么报销？"]}])
    );
    assert_eq!(base["temperature"], 0.3);
    assert_eq!(
        info["share_info"],
        json!({"status": false, "expiration": null, "show_scope": "enterprise", "token": ""})
    );
    assert_eq!(
        info["square_info"],
        json!({"publish_square_enabled": false, "user_ids": [], "view_scope": "selected"})
    );
    let listed = app.get_ok("/api/v2/knowledge/list", &token).await;
    assert_eq!(listed["success"], true);
    assert_eq!(
        listed["Knowledge_gpt_list"],
        json!([{
            "id": gpt, "name": "人事助手", "system_prompt": "你是人事助手", "intro": "回答公司制度问题",
            "chat_intro": "你好，我是人事助手。", "suggested_question": ["年假有几天？", "怎么报销？"],
        }])
    );

    // Worded unlike the handbook, the question still finds its passage, quoted with its file.
    let (frames, raw) = chat(&app, &token, ask(gpt, "s-1", "一年能休几天带薪假？")).await;
    assert!(raw.starts_with("data:{\"choices\":[{\"delta\":{\"content\":"), "{raw}");
    let answer = answer_of(&frames);
    assert!(answer.starts_with("以下内容摘自知识库"), "{answer}");
    assert!(answer.contains("> 员工每年享有十五天带薪年假。"), "{answer}");
    assert!(answer.contains("——《员工手册.docx》"), "{answer}");
    let sources = &frames.last().unwrap()["sources"];
    assert_eq!(
        sources[0],
        json!({"file_id": file, "file_name": "员工手册.docx"}),
        "{sources}"
    );

    // A question a pair answers gets the pair's answer.
    let (frames, _) = chat(&app, &token, ask(gpt, "s-1", "门禁卡丢失了如何处理？")).await;
    assert_eq!(answer_of(&frames), "请到一楼前台登记补办，工本费二十元。");
    let (frames, _) = chat(&app, &token, ask(gpt, "s-1", "How do I work from home?")).await;
    assert!(answer_of(&frames).contains("approval of your manager"));

    // Nothing relevant: the GPT's own reply, not a stretch.
    let (frames, _) = chat(&app, &token, ask(gpt, "s-2", "今天天气怎么样？")).await;
    assert_eq!(answer_of(&frames), "请查阅员工手册或联系人事部。");

    // A follow-up sent alone is answered in its conversation.
    let (frames, _) = chat(&app, &token, ask(gpt, "s-3", "报销有期限吗？")).await;
    assert!(answer_of(&frames).contains("三十日内"));
    // Alone, "and this one?" names nothing; in its conversation it is about expenses.
    let (frames, _) = chat(&app, &token, ask(gpt, "s-3", "那这个呢？")).await;
    assert!(answer_of(&frames).contains("发票原件"), "remembered conversation");
    let (frames, _) = chat(&app, &token, ask(gpt, "s-4", "那这个呢？")).await;
    assert_eq!(answer_of(&frames), "请查阅员工手册或联系人事部。", "a new conversation");

    // The seed's example says KNOWLEDGE_GPT; the assistant answers over the caller's datasets.
    let mut body = ask(gpt, "s-5", "年假要提前几天申请？");
    body["chatType"] = json!("KNOWLEDGE_GPT");
    assert!(answer_of(&chat(&app, &token, body).await.0).contains("提前三个工作日"));
    let assistant = json!({
        "messages": [{"role": "user", "content": "年假要提前几天申请？"}],
        "sessionId": "s-6", "chatType": "ASSISTANT_CHAT",
    });
    assert!(answer_of(&chat(&app, &token, assistant).await.0).contains("提前三个工作日"));
    let answered = knowledge(
        &app,
        &token,
        "ai_chat",
        json!({"question": "年假有多少天？", "gpt_type": "360GPT"}),
    )
    .await;
    assert_eq!(answered["success"], true);
    assert!(
        answered["result"].as_str().unwrap().contains("十五天带薪年假"),
        "{answered}"
    );

    // Without a model, the file detail is the handbook's outline and questions from it.
    let detail = knowledge(&app, &token, "get_ai_file_detail", json!({"ai_file_id": dataset})).await;
    assert_eq!(detail["success"], true);
    let outline = detail["summary_mind_map"].as_str().unwrap();
    assert!(
        outline.starts_with("# 公司制度\n\n## 员工手册.docx\n### 请假制度\n- 员工每年享有十五天带薪年假。"),
        "{outline}"
    );
    assert!(outline.contains("### Remote work\n"), "{outline}");
    assert_eq!(detail["suggestion_list"][0], "请假制度的主要内容是什么？");

    // The handbook deleted, its passages leave the answers.
    app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &json!({}))
        .await;
    let mut gone = false;
    for _ in 0..200 {
        let (frames, _) = chat(&app, &token, ask(gpt, "s-7", "一年能休几天带薪假？")).await;
        if answer_of(&frames) == "请查阅员工手册或联系人事部。" {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(gone, "the deleted handbook is still quoted");
    let (frames, _) = chat(&app, &token, ask(gpt, "s-8", "门禁卡丢失了如何处理？")).await;
    assert_eq!(answer_of(&frames), "请到一楼前台登记补办，工本费二十元。");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_model_is_asked_with_the_retrieved_passages_and_its_stream_comes_through() {
    let model = HttpSink::start_sse(|_, _| {
        let chunk = |text: &str| {
            format!(
                "data: {}\n\n",
                json!({"choices": [{"index": 0, "delta": {"content": text}}]})
            )
        };
        (200, format!("{}{}data: [DONE]\n\n", chunk("年假"), chunk("十五天。")))
    })
    .await;
    let base_url = model.url.clone();
    let (app, token, dataset) = with_chat_model("360GPT", base_url, Some("sk-test"), "qwen2.5-7b-instruct").await;
    let gpt = knowledge(
        &app,
        &token,
        "create_gpt",
        json!({"name": "人事助手", "system_prompt": "你是人事助手", "data_ids": [dataset], "temperature": "0.3"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let (frames, _) = chat(&app, &token, ask(gpt, "m-1", "一年能休几天带薪假？")).await;
    assert_eq!(answer_of(&frames), "年假十五天。");
    let asked = &model.wait_for(1).await[0];
    assert_eq!(asked.header("authorization"), "Bearer sk-test");
    let body: Value = serde_json::from_slice(&asked.body).unwrap();
    assert_eq!(body["model"], "qwen2.5-7b-instruct");
    assert_eq!(body["stream"], true);
    assert_eq!(body["temperature"], 0.3);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let context = messages[0]["content"].as_str().unwrap();
    assert!(context.starts_with("你是人事助手"), "{context}");
    assert!(
        context.contains("《员工手册.docx》") && context.contains("十五天带薪年假"),
        "{context}"
    );
    assert_eq!(
        messages.last().unwrap(),
        &json!({"role": "user", "content": "一年能休几天带薪假？"})
    );

    // The follow-up carries the conversation remembered under its sessionId.
    chat(&app, &token, ask(gpt, "m-1", "要提前申请吗？")).await;
    let body: Value = serde_json::from_slice(&model.wait_for(2).await[1].body).unwrap();
    let said: Vec<(&str, &str)> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|message| (message["role"].as_str().unwrap(), message["content"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            ("user", "一年能休几天带薪假？"),
            ("assistant", "年假十五天。"),
            ("user", "要提前申请吗？")
        ]
    );

    let answered = knowledge(
        &app,
        &token,
        "ai_chat",
        json!({"question": "你好", "gpt_type": "360GPT"}),
    )
    .await;
    assert_eq!(answered["result"], "年假十五天。");
    let body: Value = serde_json::from_slice(&model.wait_for(3).await[2].body).unwrap();
    assert_eq!(body["messages"].as_array().unwrap().last().unwrap()["content"], "你好");
    let refused = app
        .post(
            "/api/v2/knowledge/ai_chat",
            &token,
            &json!({"question": "你好", "gpt_type": "Doubao"}),
        )
        .await;
    let envelope = assert_api_error(refused, 400, "request_data_invalid").await;
    assert_eq!(envelope["errors"][0]["field"], "gpt_type");
    let detail = knowledge(&app, &token, "get_ai_file_detail", json!({"ai_file_id": dataset})).await;
    assert_eq!(detail["summary_mind_map"], "年假十五天。");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_cannot_be_reached_leaves_the_answer_to_the_knowledge() {
    // Nothing listens on port 9 of this host.
    let (app, token, dataset) = with_chat_model("Doubao", "http://127.0.0.1:9/v1".to_owned(), None, "doubao-pro").await;
    let gpt = knowledge(
        &app,
        &token,
        "create_gpt",
        json!({"name": "助手", "data_ids": [dataset]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (frames, _) = chat(&app, &token, ask(gpt, "x", "一年能休几天带薪假？")).await;
    let answer = answer_of(&frames);
    assert!(answer.starts_with("（对话模型暂时无法访问）"), "{answer}");
    assert!(answer.contains("十五天带薪年假"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_gpt_lends_its_setting_and_a_colleague_reads_only_files_they_may_read() {
    let app = TestApp::spawn_with(quick).await;
    let owner = app.admin_user_token().await;
    let colleague_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let colleague = app.user_token(&app.tenant, colleague_id).await;
    let folder = app.mkdir(&owner, 0, "人事").await["id"].as_i64().unwrap();
    let (dataset, _) = trained_dataset(&app, &owner, folder).await;
    let body = json!({"name": "人事助手", "data_ids": [dataset], "no_recall_replay": "没有找到"});
    let gpt = knowledge(&app, &owner, "create_gpt", body).await["id"]
        .as_i64()
        .unwrap();

    let hidden = app
        .post(
            "/api/v2/knowledge/get_gpt_info",
            &colleague,
            &json!({"knowledge_gpt_id": gpt}),
        )
        .await;
    let envelope = assert_api_error(hidden, 400, "request_data_invalid").await;
    assert_eq!(envelope["errors"][0]["field"], "knowledge_gpt_id");
    let refused = app
        .post("/api/v2/knowledge/chatStream", &colleague, &ask(gpt, "c", "年假几天？"))
        .await;
    let envelope = assert_api_error(refused, 400, "request_data_invalid").await;
    assert_eq!(envelope["errors"][0]["field"], "knowledgeGptId");

    let shared = knowledge(
        &app,
        &owner,
        "edit_gpt_info",
        json!({"knowledge_gpt_id": gpt, "share_info": {"status": true, "expiration": "2099-08-29", "show_scope": "enterprise"}}),
    )
    .await;
    assert_eq!(shared["share_info"]["status"], true);
    assert_eq!(shared["share_info"]["expiration"], "2099-08-29T15:59:59.000+0000");
    let share_token = shared["share_info"]["token"].as_str().unwrap().to_owned();
    assert_eq!(share_token.len(), 36, "{shared}");
    let seen = knowledge(&app, &colleague, "get_gpt_info", json!({"knowledge_gpt_id": gpt})).await;
    assert_eq!(seen["base_info"]["name"], "人事助手");
    assert_eq!(seen["share_info"]["token"], "", "only the owner sees the token");

    // The colleague may not read the handbook: the GPT has nothing of it for them.
    let (frames, _) = chat(&app, &colleague, ask(gpt, "c", "一年能休几天带薪假？")).await;
    assert_eq!(answer_of(&frames), "没有找到");
    app.post_ok(
        "/api/v2/collab/invite",
        &owner,
        &json!({"folder_id": folder, "accessible_by": {"type": "user", "id": colleague_id, "role": "viewer"}}),
    )
    .await;
    let (frames, _) = chat(&app, &colleague, ask(gpt, "c", "一年能休几天带薪假？")).await;
    assert!(answer_of(&frames).contains("十五天带薪年假"));

    // Only the owner changes or deletes it; the square shows it to whom it names.
    for call in ["edit_gpt_info", "delete_gpt"] {
        let refused = app
            .post(
                &format!("/api/v2/knowledge/{call}"),
                &colleague,
                &json!({"knowledge_gpt_id": gpt, "name": "x"}),
            )
            .await;
        assert_api_error(refused, 400, "request_data_invalid").await;
    }
    let square = knowledge(&app, &colleague, "list_square_gpt", json!({})).await;
    assert_eq!(square["Knowledge_gpt_list"], json!([]));
    knowledge(
        &app,
        &owner,
        "edit_gpt_info",
        json!({"knowledge_gpt_id": gpt, "share_info": {"status": false},
               "square_info": {"publish_square_enabled": true, "view_scope": "selected", "user_ids": [colleague_id]}}),
    )
    .await;
    let square = knowledge(&app, &colleague, "list_square_gpt", json!({})).await;
    assert_eq!(square["Knowledge_gpt_list"][0]["id"], gpt);
    assert_eq!(
        app.get_ok("/api/v2/knowledge/list", &colleague).await["Knowledge_gpt_list"],
        json!([])
    );
    // A share does not put the GPT on the square of someone it does not name.
    let carol_id = app.create_user(&app.tenant, "Carol", "carol@acme.test").await;
    let carol = app.user_token(&app.tenant, carol_id).await;
    knowledge(
        &app,
        &owner,
        "edit_gpt_info",
        json!({"knowledge_gpt_id": gpt, "share_info": {"status": true}}),
    )
    .await;
    let square = knowledge(&app, &carol, "list_square_gpt", json!({})).await;
    assert_eq!(square["Knowledge_gpt_list"], json!([]));

    // A public share lets in whoever holds its token, from any enterprise; turned off and on
    // again, the old token no longer works.
    let outside = app.other_tenant("Globex", "admin@globex.test").await;
    let stranger = app.user_token(&outside, outside.admin_user_id).await;
    let public = knowledge(
        &app,
        &owner,
        "edit_gpt_info",
        json!({"knowledge_gpt_id": gpt, "share_info": {"show_scope": "public"}}),
    )
    .await;
    let old_token = public["share_info"]["token"].as_str().unwrap().to_owned();
    let body = json!({"knowledge_gpt_id": gpt, "token": old_token});
    assert_eq!(
        knowledge(&app, &stranger, "get_gpt_info", body.clone()).await["base_info"]["name"],
        "人事助手"
    );
    let without = app
        .post(
            "/api/v2/knowledge/get_gpt_info",
            &stranger,
            &json!({"knowledge_gpt_id": gpt}),
        )
        .await;
    assert_api_error(without, 400, "request_data_invalid").await;
    let mut asked = ask(gpt, "o", "一年能休几天带薪假？");
    asked["token"] = json!(old_token);
    let (frames, _) = chat(&app, &stranger, asked.clone()).await;
    assert_eq!(
        answer_of(&frames),
        "没有找到",
        "the stranger reads none of the owner's files"
    );
    for status in [false, true] {
        let body = json!({"knowledge_gpt_id": gpt, "share_info": {"status": status}});
        knowledge(&app, &owner, "edit_gpt_info", body).await;
    }
    let refused = app.post("/api/v2/knowledge/get_gpt_info", &stranger, &body).await;
    assert_api_error(refused, 400, "request_data_invalid").await;

    knowledge(&app, &owner, "delete_gpt", json!({"knowledge_gpt_id": gpt})).await;
    assert_eq!(
        app.get_ok("/api/v2/knowledge/list", &owner).await["Knowledge_gpt_list"],
        json!([])
    );
}

#[tokio::test]
async fn malformed_gpt_and_chat_requests_name_their_field() {
    let app = TestApp::spawn().await;
    let token = app.admin_user_token().await;
    let other = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let bob = app.user_token(&app.tenant, other).await;
    let bobs = new_dataset(&app, &bob, "Bob的").await;
    let gpt = knowledge(
        &app,
        &token,
        "create_gpt",
        json!({"name": "助手", "system_prompt": "你好"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let cases = [
        ("create_gpt", json!({"system_prompt": "x"}), "name"),
        ("create_gpt", json!({"name": "x"}), "system_prompt"),
        (
            "create_gpt",
            json!({"name": "x", "system_prompt": "x", "temperature": 0.65}),
            "temperature",
        ),
        ("create_gpt", json!({"name": "x", "data_ids": [bobs]}), "data_ids"),
        ("create_gpt", json!({"name": "x", "data_ids": ["a"]}), "data_ids"),
        (
            "edit_gpt_info",
            json!({"knowledge_gpt_id": gpt, "share_info": {"show_scope": "world"}}),
            "show_scope",
        ),
        (
            "edit_gpt_info",
            json!({"knowledge_gpt_id": gpt, "share_info": {"expiration": "soon"}}),
            "expiration",
        ),
        ("get_gpt_info", json!({}), "knowledge_gpt_id"),
        (
            "get_gpt_info",
            json!({"knowledge_gpt_id": gpt + 100}),
            "knowledge_gpt_id",
        ),
        (
            "chatStream",
            json!({"messages": [{"role": "user", "content": "x"}], "chatType": "ZSH_CHAT", "knowledgeGptId": gpt}),
            "sessionId",
        ),
        (
            "chatStream",
            json!({"messages": [{"role": "user", "content": "x"}], "sessionId": "s", "chatType": "AI_LIBRARY"}),
            "chatType",
        ),
        (
            "chatStream",
            json!({"messages": [{"role": "user", "content": "x"}], "sessionId": "s", "chatType": "ZSH_CHAT"}),
            "knowledgeGptId",
        ),
        (
            "chatStream",
            json!({"messages": [{"role": "assistant", "content": "x"}], "sessionId": "s", "chatType": "ASSISTANT_CHAT"}),
            "messages",
        ),
        (
            "chatStream",
            json!({"messages": [], "sessionId": "s", "chatType": "ASSISTANT_CHAT"}),
            "messages",
        ),
        ("ai_chat", json!({"question": "x"}), "gpt_type"),
        ("ai_chat", json!({"gpt_type": "360GPT"}), "question"),
        ("get_ai_file_detail", json!({"ai_file_id": bobs}), "ai_file_id"),
    ];
    for (call, body, field) in cases {
        let refused = app.post(&format!("/api/v2/knowledge/{call}"), &token, &body).await;
        let envelope = assert_api_error(refused, 400, "request_data_invalid").await;
        assert_eq!(envelope["errors"][0]["field"], field, "{call} {body}: {envelope}");
    }
}

/// `document` as the PDF LibreOffice prints of it (Chinese in embedded CID fonts).
fn office_pdf(document: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("handbook.docx");
    std::fs::write(&source, document).unwrap();
    let output = std::process::Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}/profile", dir.path().display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&source)
        .output()
        .expect("LibreOffice runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(dir.path().join("handbook.pdf")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chinese_pdf_from_an_office_suite_trains_and_its_answers_cite_it() {
    let app = TestApp::spawn_with(quick).await;
    let token = app.admin_user_token().await;
    let pdf = office_pdf(&handbook());
    let file = app.upload(&token, 0, "员工手册.pdf", &pdf).await["id"]
        .as_i64()
        .unwrap();
    let dataset = new_dataset(&app, &token, "手册").await;
    train(&app, &token, dataset, "direct_segment", "file", file).await;
    let tasks = settled(&app, &token, dataset, "direct_segment").await;
    assert_eq!(tasks[0]["state"], "done", "{tasks:?}");
    let listed = knowledge(
        &app,
        &token,
        "list_data_segment",
        json!({"data_id": dataset, "page_no": 1, "page_size": 50}),
    )
    .await;
    let text: String = listed["segment_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|segment| segment["content"].as_str().unwrap())
        .collect();
    assert!(text.contains("十五天带薪年假"), "{text}");
    assert!(text.contains("approval of your manager"), "{text}");
    let body = json!({"name": "手册", "data_ids": [dataset], "show_doc_source": true});
    let gpt = knowledge(&app, &token, "create_gpt", body).await["id"]
        .as_i64()
        .unwrap();
    let (frames, _) = chat(&app, &token, ask(gpt, "p", "报销单要在多久之内交？")).await;
    let answer = answer_of(&frames);
    assert!(
        answer.contains("三十日内") && answer.contains("——《员工手册.pdf》"),
        "{answer}"
    );
}

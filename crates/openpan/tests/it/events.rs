//! The event log as integrations follow it: webhooks to the app's callback address (ordered,
//! signed, retried, disabled after a day of failures, redelivered on request, keys rotated
//! with a grace period, shared by nodes, surviving `kill -9`) and the event feed (pages,
//! long-poll, server-sent events, only what the reader may see).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{HttpSink, Received, TestApp, assert_api_error, hmac_hex};

impl TestApp {
    /// Points the tenant's app's callback address at `url`.
    pub(crate) async fn hook_to(&self, admin: &str, url: &str) {
        let body = json!({"app_id": self.tenant.app_id, "callback_url": url});
        self.post_ok("/api/v1/account/update_auth_config", admin, &body).await;
    }

    async fn current_key(&self, admin: &str) -> Vec<u8> {
        let app_id = self.tenant.app_id.to_string();
        let answer = self.v1_ok("account/notice_key", admin, &[("app_id", &app_id)]).await;
        hex::decode(answer["notice_key"].as_str().unwrap()).unwrap()
    }

    fn webhook_path(&self, rest: &str) -> String {
        format!("/api/v2/admin/app/{}/webhook{rest}", self.tenant.app_id)
    }

    /// Every event after `cursor` the token's feed shows.
    pub(crate) async fn feed(&self, token: &str, path: &str, cursor: &str) -> Vec<Value> {
        let page = self
            .get_ok(&format!("/api/v2/{path}?cursor={cursor}&limit=500"), token)
            .await;
        assert_eq!(page["has_more"], false);
        page["events"].as_array().unwrap().clone()
    }
}

/// The webhook once its sender has recorded `failures` failures in a row (a receiver sees a
/// request before the sender has recorded how it went).
async fn after_failures(app: &TestApp, admin: &str, failures: i64) -> Value {
    let mut info = Value::Null;
    for _ in 0..200 {
        info = app.get_ok(&app.webhook_path(""), admin).await;
        if info["failures"] == failures {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    info
}

fn event_id(received: &Received) -> i64 {
    received.json()["id"].as_i64().unwrap()
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| event["event"].as_str().unwrap().to_owned())
        .collect()
}

/// The signatures in a message's header, in order.
fn signatures(received: &Received) -> Vec<String> {
    received
        .header("x-openpan-signature")
        .split(',')
        .map(|part| part.trim().strip_prefix("sha256=").expect("sha256=…").to_owned())
        .collect()
}

fn signed_by(received: &Received, key: &[u8]) -> String {
    let body = String::from_utf8(received.body.clone()).unwrap();
    let timestamp = received.header("x-openpan-timestamp");
    hmac_hex(key, format!("{timestamp}.{body}").as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_reaches_the_callback_address_in_order_signed_with_the_apps_key() {
    let hook = HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 50).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.create_user(&app.tenant, "Lin", "lin@acme.test").await;
    let token = app.user_token(&app.tenant, user).await;
    // What happened before the app had a callback address is not sent.
    app.hook_to(&admin, &hook.url).await;
    let info = app.get_ok(&app.webhook_path(""), &admin).await;
    assert_eq!(info["status"], "active");
    assert_eq!(info["events"], json!(["*"]));
    assert_eq!(info["delivered_event_id"], info["latest_event_id"]);

    let contracts = app.mkdir(&token, 0, "合同").await["id"].as_i64().unwrap();
    let file = app.upload(&token, contracts, "a.txt", b"one").await["id"]
        .as_i64()
        .unwrap();
    app.post_ok(
        &format!("/api/v2/file/{file}/update"),
        &token,
        &json!({"name": "b.txt"}),
    )
    .await;
    let archive = app.mkdir(&token, 0, "归档").await["id"].as_i64().unwrap();
    app.post_ok(
        &format!("/api/v2/file/{file}/move"),
        &token,
        &json!({"target_folder_id": archive}),
    )
    .await;
    app.post_ok(&format!("/api/v2/file/{file}/delete"), &token, &json!({}))
        .await;
    app.post_ok(&format!("/api/v2/file/{file}/restore_from_trash"), &token, &json!({}))
        .await;
    let sales = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "销售部", "parent_id": 0}),
        )
        .await["id"]
        .as_i64()
        .unwrap();

    let expected = [
        "folder.created",
        "file.uploaded",
        "file.updated",
        "folder.created",
        "file.moved",
        "file.trashed",
        "file.restored",
        "department.created",
    ];
    let received = hook.wait_for(expected.len()).await;
    let key = app.current_key(&admin).await;
    let mut last = 0;
    for (message, event) in received.iter().zip(expected) {
        let body = message.json();
        assert_eq!(body["event"], event, "{body}");
        assert_eq!(message.header("x-openpan-event"), event);
        assert_eq!(message.header("x-openpan-event-id"), body["id"].to_string());
        assert_eq!(message.header("content-type"), "application/json");
        assert_eq!(body["enterprise_id"], app.tenant.enterprise_id);
        assert!(body["id"].as_i64().unwrap() > last, "in log order");
        last = body["id"].as_i64().unwrap();
        assert_eq!(signatures(message), vec![signed_by(message, &key)]);
    }
    let uploaded = received[1].json();
    assert_eq!(uploaded["target"], json!({"type": "file", "id": file, "name": "a.txt"}));
    assert_eq!(uploaded["operator_id"], user);
    assert_eq!(
        received[0].json()["app_id"],
        app.tenant.app_id,
        "the app whose token acted"
    );
    let renamed = received[2].json();
    assert_eq!(renamed["data"]["new_name"], "b.txt", "{renamed}");
    let moved = received[4].json();
    assert_eq!(moved["data"]["from_folder_id"], contracts);
    assert_eq!(moved["data"]["to_folder_id"], archive);
    let department = received[7].json();
    assert_eq!(department["target"]["type"], "department");
    assert_eq!(department["target"]["id"], sales);
    assert_eq!(department["operator_id"], Value::Null, "the enterprise token acted");

    // The administrators' feed lists the same events.
    let feed = app.feed(&admin, "admin/events", "0").await;
    let sent: Vec<Value> = received.iter().map(Received::json).collect();
    assert_eq!(feed, sent);

    // The delivery log shows every attempt and what the receiver answered.
    let info = app.get_ok(&app.webhook_path(""), &admin).await;
    assert_eq!(info["delivered_event_id"], last);
    assert_eq!(info["failures"], 0);
    let log = app.get_ok(&app.webhook_path("/deliveries"), &admin).await;
    assert_eq!(log["total_count"], expected.len());
    let newest = &log["deliveries"][0];
    assert_eq!(newest["event_id"], last);
    assert_eq!(newest["event"], "department.created");
    assert_eq!(newest["status_code"], 200);
    assert_eq!(newest["delivered"], true);
    assert_eq!(newest["redelivery"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_holds_its_queue_is_retried_and_after_a_day_is_disabled() {
    // Fails twice, then takes everything.
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
    let token = app.admin_user_token().await;
    app.hook_to(&admin, &hook.url).await;
    app.mkdir(&token, 0, "一").await;
    app.mkdir(&token, 0, "二").await;

    hook.wait_for(1).await;
    let info = after_failures(&app, &admin, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(hook.received().len(), 1, "the second event waits behind the first");
    assert_eq!(info["failures"], 1);
    assert_eq!(info["failing_since"], app.now());
    assert_eq!(info["next_attempt_at"], app.now() + 30);
    app.clock.advance(30);
    hook.wait_for(2).await;
    after_failures(&app, &admin, 2).await;
    app.clock.advance(60);
    let all = hook.wait_for(4).await;
    let ids: Vec<i64> = all.iter().map(event_id).collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert!(ids[3] > ids[2]);
    assert_eq!(all[3].json()["target"]["name"], "二");
    let log = app.get_ok(&app.webhook_path("/deliveries"), &admin).await;
    let codes: Vec<Value> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|attempt| attempt["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(200), json!(200), json!(503), json!(503)]);
    assert_eq!(log["deliveries"][3]["error"], "callback address answered 503");
    assert_eq!(log["deliveries"][3]["delivered"], false);

    // A receiver that keeps failing is given up on a day after its first failure.
    let broken = HttpSink::start(|_, _| (500, String::new())).await;
    app.hook_to(&admin, &broken.url).await;
    let stuck = app.mkdir(&token, 0, "三").await["id"].as_i64().unwrap();
    broken.wait_for(1).await;
    after_failures(&app, &admin, 1).await;
    app.clock.advance(24 * 3600);
    broken.wait_for(2).await;
    // A day on, the tokens of before have expired.
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.admin_user_token().await;
    let mut info = Value::Null;
    for _ in 0..100 {
        info = app.get_ok(&app.webhook_path(""), &admin).await;
        if info["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(info["status"], "disabled", "{info}");
    assert!(
        info["disabled_reason"].as_str().unwrap().contains("answered 500"),
        "{info}"
    );
    // Administrators learn of it from the feed; the disabled webhook gets nothing more.
    let feed = app.feed(&admin, "admin/events", "0").await;
    let notice = feed.last().unwrap();
    assert_eq!(notice["event"], "webhook.disabled");
    assert_eq!(notice["target"]["type"], "app");
    assert_eq!(notice["target"]["id"], app.tenant.app_id);
    assert_eq!(notice["data"]["last_status_code"], 500);
    let undelivered = notice["data"]["undelivered_event_id"].as_i64().unwrap();
    assert_eq!(
        feed.iter().find(|event| event["id"] == undelivered).unwrap()["target"]["id"],
        stuck
    );
    app.mkdir(&token, 0, "四").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(broken.received().len(), 2);

    // Once the receiver is repaired, one event can be tried by hand, outside the queue.
    app.hook_to(&admin, &hook.url).await;
    let before = hook.received().len();
    let attempt = app
        .post_ok(
            &app.webhook_path("/redeliver"),
            &admin,
            &json!({"event_id": undelivered}),
        )
        .await;
    assert_eq!(attempt["delivered"], true);
    assert_eq!(attempt["redelivery"], true);
    assert_eq!(attempt["status_code"], 200);
    let again = hook.wait_for(before + 1).await;
    assert_eq!(event_id(&again[before]), undelivered);
    let missing = app
        .post(&app.webhook_path("/redeliver"), &admin, &json!({"event_id": 999_999}))
        .await;
    let body = assert_api_error(missing, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "event_id");

    // Enabled again, it delivers what piled up, from where it stopped, in order.
    let enabled = app
        .post_ok(&app.webhook_path("/update"), &admin, &json!({"status": "active"}))
        .await;
    assert_eq!(enabled["status"], "active");
    assert_eq!(enabled["failures"], 0);
    let backlog = hook.wait_for(before + 4).await;
    let delivered: Vec<String> = backlog[before + 1..]
        .iter()
        .map(|message| message.json()["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered, ["folder.created", "webhook.disabled", "folder.created"]);
    assert_eq!(event_id(&backlog[before + 1]), undelivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_narrows_what_is_sent_and_bad_settings_are_refused() {
    let hook = HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 50).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.admin_user_token().await;
    // Before a callback address there is nothing to subscribe with.
    let early = app
        .post(&app.webhook_path("/update"), &admin, &json!({"events": "file.*"}))
        .await;
    let body = assert_api_error(early, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "callback_url");
    assert_eq!(app.get_ok(&app.webhook_path(""), &admin).await["status"], "none");

    app.hook_to(&admin, &hook.url).await;
    let narrowed = app
        .post_ok(
            &app.webhook_path("/update"),
            &admin,
            &json!({"events": ["file.uploaded", "department.*"]}),
        )
        .await;
    assert_eq!(narrowed["events"], json!(["file.uploaded", "department.*"]));
    let folder = app.mkdir(&token, 0, "x").await["id"].as_i64().unwrap();
    app.upload(&token, folder, "a.txt", b"a").await;
    app.post_ok(
        "/api/v2/admin/department/create",
        &admin,
        &json!({"name": "研发部", "parent_id": 0}),
    )
    .await;
    let received = hook.wait_for(2).await;
    let sent: Vec<Value> = received.iter().map(Received::json).collect();
    assert_eq!(types(&sent), ["file.uploaded", "department.created"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hook.received().len(), 2, "folder.created was passed over");
    let info = app.get_ok(&app.webhook_path(""), &admin).await;
    assert_eq!(info["delivered_event_id"], info["latest_event_id"]);

    for (body, field) in [
        (json!({"events": "file.*,nothing.*"}), "events"),
        (json!({"events": ""}), "events"),
        (json!({"events": 7}), "events"),
        (json!({"events": [1]}), "events"),
        (json!({"status": "paused"}), "status"),
    ] {
        let refused = app.post(&app.webhook_path("/update"), &admin, &body).await;
        let answer = assert_api_error(refused, 400, "request_data_invalid").await;
        assert_eq!(answer["errors"][0]["field"], field, "{body}");
    }
    // Only administrators, and only of the app's own enterprise.
    let user = app.get(&app.webhook_path(""), &token).await;
    assert_eq!(user.status(), 403);
    let other = app.other_tenant("Beta", "admin@beta.test").await;
    let stranger = app.enterprise_token(&other).await;
    let refused = app.get(&app.webhook_path(""), &stranger).await;
    assert_eq!(refused.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_signs_beside_the_previous_one_until_its_grace_ends() {
    let hook = HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 50).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.admin_user_token().await;
    app.hook_to(&admin, &hook.url).await;
    let first = app.current_key(&admin).await;

    let rotated = app
        .post_ok(&app.webhook_path("/rotate_key"), &admin, &json!({"grace_period": 3600}))
        .await;
    assert_eq!(rotated["key_generation"], 1);
    assert_eq!(rotated["previous_key_valid_until"], app.now() + 3600);
    let second = hex::decode(rotated["notice_key"].as_str().unwrap()).unwrap();
    assert_ne!(second, first);
    assert_eq!(app.current_key(&admin).await, second);

    app.mkdir(&token, 0, "a").await;
    let message = &hook.wait_for(1).await[0];
    assert_eq!(
        signatures(message),
        vec![signed_by(message, &second), signed_by(message, &first)]
    );
    app.clock.advance(3601);
    app.mkdir(&token, 0, "b").await;
    let message = &hook.wait_for(2).await[1];
    assert_eq!(signatures(message), vec![signed_by(message, &second)]);

    // The `/api/v1` account module rotates too; no grace drops the old key at once.
    let app_id = app.tenant.app_id.to_string();
    let third = app
        .post_ok(
            "/api/v1/account/rotate_notice_key",
            &admin,
            &json!({"app_id": app_id, "grace_period": 0}),
        )
        .await;
    assert_eq!(third["key_generation"], 2);
    let third = hex::decode(third["notice_key"].as_str().unwrap()).unwrap();
    app.mkdir(&token, 0, "c").await;
    let message = &hook.wait_for(3).await[2];
    assert_eq!(signatures(message), vec![signed_by(message, &third)]);
    for grace in [json!(-1), json!(2_592_001), json!("soon")] {
        let refused = app
            .post(
                &app.webhook_path("/rotate_key"),
                &admin,
                &json!({"grace_period": grace}),
            )
            .await;
        let body = assert_api_error(refused, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], "grace_period");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_shows_each_reader_only_what_they_may_see_and_pages_waits_and_streams() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let alice_id = app.create_user(&app.tenant, "Alice", "alice@acme.test").await;
    let bob_id = app.create_user(&app.tenant, "Bob", "bob@acme.test").await;
    let alice = app.user_token(&app.tenant, alice_id).await;
    let bob = app.user_token(&app.tenant, bob_id).await;
    let start = app.get_ok("/api/v2/events?cursor=now", &alice).await;
    assert_eq!(start["events"], json!([]));
    let start = start["cursor"].as_str().unwrap().to_owned();

    let private = app.upload(&alice, 0, "私人.txt", b"p").await["id"].as_i64().unwrap();
    let shared = app.mkdir(&alice, 0, "共享").await["id"].as_i64().unwrap();
    app.post_ok(
        "/api/v2/collab/invite",
        &alice,
        &json!({"folder_id": shared, "invited_user": {"id": bob_id, "role": "viewer"}}),
    )
    .await;
    let inside = app.upload(&alice, shared, "共享.txt", b"s").await["id"]
        .as_i64()
        .unwrap();
    let own = app.upload(&bob, 0, "bob.txt", b"b").await["id"].as_i64().unwrap();

    let targets = |events: &[Value]| -> Vec<i64> {
        events
            .iter()
            .map(|event| event["target"]["id"].as_i64().unwrap())
            .collect()
    };
    let mine = app.feed(&alice, "events", &start).await;
    assert_eq!(
        types(&mine),
        ["file.uploaded", "folder.created", "collab.invited", "file.uploaded"]
    );
    assert_eq!(targets(&mine), [private, shared, shared, inside]);
    let theirs = app.feed(&bob, "events", &start).await;
    let seen = targets(&theirs);
    assert!(!seen.contains(&private), "Bob never sees Alice's own files");
    assert!(seen.contains(&inside) && seen.contains(&own) && seen.contains(&shared));
    let everything = app.feed(&admin, "admin/events", &start).await;
    assert_eq!(everything.len(), 5);

    // Pages continue from the cursor they return.
    let mut paged = Vec::new();
    let mut cursor = start.clone();
    loop {
        let page = app
            .get_ok(&format!("/api/v2/admin/events?cursor={cursor}&limit=4"), &admin)
            .await;
        paged.extend(page["events"].as_array().unwrap().iter().cloned());
        cursor = page["cursor"].as_str().unwrap().to_owned();
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(paged, everything);

    // A long-poll answers as soon as something happens.
    let writer = {
        let (url, token) = (app.url.clone(), alice.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let body = json!({"name": "later", "parent_id": 0});
            reqwest::Client::new()
                .post(format!("{url}/api/v2/folder/create"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        })
    };
    let asked = std::time::Instant::now();
    let waited = app
        .get_ok(&format!("/api/v2/events?cursor={cursor}&wait=20"), &alice)
        .await;
    assert!(asked.elapsed() < Duration::from_secs(10));
    assert_eq!(waited["events"][0]["event"], "folder.created");
    assert_eq!(waited["events"][0]["target"]["name"], "later");
    assert_eq!(writer.await.unwrap().status(), 200);
    // Nothing new: the wait ends empty, with the cursor where it was.
    let idle = app
        .get_ok(
            &format!("/api/v2/events?cursor={}&wait=1", waited["cursor"].as_str().unwrap()),
            &bob,
        )
        .await;
    assert_eq!(idle["events"], json!([]));

    // Server-sent events: the same events as frames, resumable by Last-Event-ID.
    let mut stream = app
        .client
        .get(format!("{}/api/v2/events/stream?cursor={start}", app.url))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut text = String::new();
    while text.matches("\n\n").count() < 5 {
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("frames arrive")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let frames: Vec<HashMap<&str, &str>> = text
        .split("\n\n")
        .filter(|frame| frame.contains("data:"))
        .map(|frame| {
            frame
                .lines()
                .filter_map(|line| line.split_once(':'))
                .map(|(name, value)| (name, value.trim_start()))
                .collect()
        })
        .collect();
    assert_eq!(frames[0]["event"], "file.uploaded");
    let data: Value = serde_json::from_str(frames[0]["data"]).unwrap();
    assert_eq!(data, mine[0]);
    assert_eq!(frames[0]["id"], mine[0]["id"].to_string());
    assert_eq!(frames[4]["event"], "folder.created");
    drop(stream);
    let resumed = app
        .client
        .get(format!("{}/api/v2/events?cursor={start}", app.url))
        .bearer_auth(&alice)
        .header("accept", "text/event-stream")
        // A reconnecting EventSource repeats the first URL; the header says where it stopped.
        .header("last-event-id", mine[2]["id"].to_string())
        .send()
        .await
        .unwrap();
    let mut resumed = resumed;
    let first = tokio::time::timeout(Duration::from_secs(10), resumed.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let first = String::from_utf8(first.to_vec()).unwrap();
    let first_frame = first.split("\n\n").next().unwrap();
    assert!(first_frame.contains(&format!("id: {}\n", mine[3]["id"])), "{first}");

    // Bad input is refused with the field named; readers of other enterprises see nothing here.
    for (query, field) in [
        ("cursor=abc", "cursor"),
        ("cursor=-1", "cursor"),
        ("wait=61", "wait"),
        ("wait=x", "wait"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ] {
        let refused = app.get(&format!("/api/v2/events?{query}"), &alice).await;
        let body = assert_api_error(refused, 400, "request_data_invalid").await;
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
    let other = app.other_tenant("Beta", "admin@beta.test").await;
    let stranger = app.enterprise_token(&other).await;
    let foreign = app.feed(&stranger, "admin/events", "0").await;
    assert!(
        foreign
            .iter()
            .all(|event| event["enterprise_id"] == other.enterprise_id)
    );
    assert!(foreign.iter().all(
        |event| !targets(&everything).contains(&event["target"]["id"].as_i64().unwrap())
            || event["target"]["type"] == "user"
    ));
    // An enterprise token reads the administrators' path only.
    assert_eq!(app.get("/api/v2/events", &admin).await.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_each_event_once_and_in_order() {
    let hook = HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 50).await;
    let peer = app.spawn_peer(|config| config.notice_poll_ms = 50).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.admin_user_token().await;
    app.hook_to(&admin, &hook.url).await;
    for i in 0..30 {
        let node = if i % 2 == 0 { &app } else { &peer };
        node.mkdir(&token, 0, &format!("folder {i}")).await;
    }
    let received = hook.wait_for(30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<i64> = hook.received().iter().map(event_id).collect();
    assert_eq!(ids.len(), 30, "nothing sent twice");
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    assert_eq!(received[29].json()["target"]["name"], "folder 29");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_delivering_loses_no_event_and_repeats_at_most_the_one_in_flight() {
    // A busy receiver, so the node dies with deliveries ahead of it.
    let hook = HttpSink::start_slow(Duration::from_millis(40), |_, _| (200, String::new())).await;
    // This process's own node only records; the separate nodes deliver.
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 600_000).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let token = app.admin_user_token().await;
    app.hook_to(&admin, &hook.url).await;
    let start = app.get_ok("/api/v2/admin/events?cursor=now", &admin).await["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let settings = [
        ("OPENPAN_NOTICE_ALLOW_INTERNAL", "true"),
        ("OPENPAN_NOTICE_POLL_MS", "100"),
    ];
    let (mut node, node_url) = tokio::task::block_in_place(|| crate::crash::start_node_with(&app, &settings));
    let client = reqwest::Client::new();
    for i in 0..40 {
        let created = client
            .post(format!("{node_url}/api/v2/folder/create"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("f{i}"), "parent_id": 0}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 200);
    }
    hook.wait_for(5).await;
    node.kill_9();
    let at_kill = hook.received().len();
    assert!(at_kill < 40, "the node died mid-delivery ({at_kill} sent)");

    // Another node takes over once the dead node's hold on the webhook lapses.
    let (mut successor, _) = tokio::task::block_in_place(|| crate::crash::start_node_with(&app, &settings));
    let logged = logged_since(&app, &admin, &start).await;
    assert_eq!(logged.len(), 40);
    assert_each_delivered_in_order_repeating_at_most_one(&hook, &logged).await;
    successor.kill_9();
}

/// The ids of the events logged after `cursor`, as the administrators' feed lists them.
pub(crate) async fn logged_since(app: &TestApp, admin: &str, cursor: &str) -> Vec<i64> {
    app.feed(admin, "admin/events", cursor)
        .await
        .iter()
        .map(|event| event["id"].as_i64().unwrap())
        .collect()
}

/// Waits (up to 90 s: a dead node's lease must lapse) until `hook` has the last of `logged`,
/// then asserts it got every one, in order, and repeated at most one: the one in flight when a
/// node died, sent but its answer not yet recorded.
pub(crate) async fn assert_each_delivered_in_order_repeating_at_most_one(hook: &HttpSink, logged: &[i64]) {
    let mut received = Vec::new();
    for _ in 0..900 {
        received = hook.received().iter().map(event_id).collect::<Vec<_>>();
        if received.last() == logged.last() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut first_seen = received.clone();
    first_seen.dedup();
    assert_eq!(first_seen, logged, "every event, in order");
    assert!(received.len() - logged.len() <= 1, "{received:?}");
}

#[tokio::test]
async fn app_changes_are_on_the_event_feed_and_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.enterprise_token(&app.tenant).await;
    let start = app.get_ok("/api/v2/admin/events?cursor=now", &admin).await["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = app
        .post_ok(
            "/api/v2/admin/app/create",
            &admin,
            &json!({"name": "Payroll", "scopes": "admin.users"}),
        )
        .await;
    let id = created["app_id"].as_i64().unwrap();
    let path = |rest: &str| format!("/api/v2/admin/app/{id}/{rest}");
    app.post_ok(&path("update"), &admin, &json!({"name": "Payroll 2"}))
        .await;
    app.post_ok(&path("rotate_secret"), &admin, &json!({"grace_seconds": 60}))
        .await;
    app.post_ok(&path("disable"), &admin, &json!({})).await;
    app.post_ok(&path("enable"), &admin, &json!({})).await;
    app.post_ok(&path("delete"), &admin, &json!({})).await;

    let feed = app.feed(&admin, "admin/events", &start).await;
    let kinds: Vec<&str> = feed.iter().map(|event| event["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "app.created",
            "app.updated",
            "app.secret_rotated",
            "app.disabled",
            "app.enabled",
            "app.deleted"
        ]
    );
    for event in &feed {
        assert_eq!(event["target"]["type"], "app", "{event}");
        assert_eq!(event["target"]["id"], id, "{event}");
        assert!(!event.to_string().contains(created["client_secret"].as_str().unwrap()));
    }
    assert_eq!(feed[0]["target"]["name"], "Payroll");
    assert_eq!(feed[1]["data"]["name"], "Payroll 2");

    let today = crate::audit::today(&app);
    let log = app
        .post_ok(
            "/api/v2/admin/log/log_info",
            &admin,
            &json!({"start_date": today, "end_date": today, "action_types": [2000, 2001, 2002, 2003, 2004, 2005]}),
        )
        .await;
    assert_eq!(log["total_count"], 6, "{log}");
    let names = app
        .post_ok(
            "/api/v2/admin/log/action_type_info",
            &admin,
            &json!({"action_types": [2000]}),
        )
        .await;
    assert!(names.to_string().contains("创建应用"), "{names}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_and_clears_an_apps_callback_address_with_the_app_update() {
    let hook = HttpSink::start(|_, _| (200, String::new())).await;
    let app = TestApp::spawn_with(|config| config.notice_poll_ms = 50).await;
    let admin = app.enterprise_token(&app.tenant).await;
    let user = app.admin_user_token().await;
    let update = format!("/api/v2/admin/app/{}/update", app.tenant.app_id);

    let refused = app
        .post(&update, &admin, &json!({"callback_url": "ftp://example.test/hook"}))
        .await;
    let body = assert_api_error(refused, 400, "request_data_invalid").await;
    assert_eq!(body["errors"][0]["field"], "callback_url");
    app.mkdir(&user, 0, "之前").await;
    let updated = app.post_ok(&update, &admin, &json!({"callback_url": hook.url})).await;
    assert_eq!(updated["callback_url"], hook.url.as_str());
    let info = app.get_ok(&app.webhook_path(""), &admin).await;
    assert_eq!(info["status"], "active");

    app.mkdir(&user, 0, "季度报告").await;
    // The update itself (app.updated), then the folder.
    let received = hook.wait_for(2).await;
    assert_eq!(folders_created(&received), ["季度报告"]);

    let cleared = app.post_ok(&update, &admin, &json!({"callback_url": ""})).await;
    assert!(cleared["callback_url"].is_null(), "{cleared}");
    let info = app.get_ok(&app.webhook_path(""), &admin).await;
    assert_eq!(info["status"], "none", "{info}");
    assert_eq!(info["delivered_event_id"], info["latest_event_id"]);
    app.mkdir(&user, 0, "不再通知").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hook.received().len(), 2, "nothing is sent once the address is gone");

    // Given again, the address hears what happens from then on, not what it missed.
    app.post_ok(&update, &admin, &json!({"callback_url": hook.url})).await;
    app.mkdir(&user, 0, "再次通知").await;
    let received = hook.wait_for(4).await;
    assert_eq!(folders_created(&received), ["季度报告", "再次通知"]);
}

fn folders_created(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(Received::json)
        .filter(|message| message["event"] == "folder.created")
        .map(|message| message["target"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

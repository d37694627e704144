//! `X-Rate-Limit-*` on every answer, 429 with the documented body, per app and per user, and
//! one shared budget across nodes through Redis.

use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error};

fn header(response: &reqwest::Response, name: &str) -> i64 {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn tight(per_app: u32, per_user: u32) -> impl FnOnce(&mut openpan::config::Config) {
    move |config| {
        config.rate_limit.default.per_app = per_app;
        config.rate_limit.default.per_user = per_user;
        config.rate_limit.default.per_ip = 2;
        config.rate_limit.default.period_secs = 3600;
    }
}

#[tokio::test]
async fn every_answer_carries_the_rate_limit_headers() {
    let app = TestApp::spawn().await;
    let token = app.enterprise_token(&app.tenant).await;
    for response in [
        app.get("/api/v2/admin/user/all", &token).await,
        app.get("/api/v2/admin/missing", &token).await,
        app.get("/api/v2/folder/0/info", &token).await,
        app.client
            .get(format!("{}/api/v2/admin/user/all", app.url))
            .send()
            .await
            .unwrap(),
    ] {
        for name in ["x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"] {
            header(&response, name);
        }
    }
}

#[tokio::test]
async fn going_over_the_app_budget_answers_429_with_the_documented_body() {
    let app = TestApp::spawn_with(tight(3, 1000)).await;
    let token = app.enterprise_token(&app.tenant).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = app.get("/api/v2/admin/user/all", &token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-rate-limit-limit"), 3);
        remaining.push(header(&response, "x-rate-limit-remaining"));
    }
    assert_eq!(remaining, [2, 1, 0]);
    let response = app.get("/api/v2/admin/user/all", &token).await;
    assert_eq!(response.status(), 429);
    let retry_after = header(&response, "retry-after");
    assert!((1..=1200).contains(&retry_after), "{retry_after}");
    assert_eq!(header(&response, "x-rate-limit-remaining"), 0);
    assert!(header(&response, "x-rate-limit-reset") >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["errors"],
        json!([{ "code": "rate_limit", "msg": "Rate limit exceeded!" }])
    );
    assert!(body["request_id"].is_string());
}

#[tokio::test]
async fn each_user_has_a_budget_of_its_own() {
    let app = TestApp::spawn_with(tight(1000, 2)).await;
    let tenant = &app.tenant;
    let first = app.create_user(tenant, "First", "first@acme.test").await;
    let second = app.create_user(tenant, "Second", "second@acme.test").await;
    let first_token = app.user_token(tenant, first).await;
    let second_token = app.user_token(tenant, second).await;
    for _ in 0..2 {
        assert_eq!(app.get("/api/v2/folder/0/info", &first_token).await.status(), 200);
    }
    assert_api_error(app.get("/api/v2/folder/0/info", &first_token).await, 429, "rate_limit").await;
    assert_eq!(
        app.get("/api/v2/folder/0/info", &second_token).await.status(),
        200,
        "another user is unaffected"
    );
}

#[tokio::test]
async fn requests_without_a_token_are_limited_by_address() {
    let app = TestApp::spawn_with(tight(1000, 1000)).await;
    let anonymous = || app.client.get(format!("{}/api/v2/folder/0/info", app.url)).send();
    assert_api_error(anonymous().await.unwrap(), 401, "unauthorized").await;
    assert_api_error(anonymous().await.unwrap(), 401, "unauthorized").await;
    assert_api_error(anonymous().await.unwrap(), 429, "rate_limit").await;
}

#[tokio::test]
async fn nodes_sharing_redis_share_one_budget() {
    let redis_url = std::env::var("OPENPAN_TEST_REDIS_URL")
        .expect("OPENPAN_TEST_REDIS_URL must name a Redis server (scripts/test.sh starts one)");
    // Every test database numbers its apps from 1, so each run gets keys of its own.
    let prefix = format!("openpan-test-{}:", openpan_core::secrets::random_hex(6));
    let first = TestApp::spawn_with(move |config| {
        tight(4, 1000)(config);
        config.redis_url = Some(redis_url);
        config.redis_key_prefix = prefix;
    })
    .await;
    let second = first.spawn_peer(|_| {}).await;
    let token = first.enterprise_token(&first.tenant).await;
    // Alternate nodes, as a load balancer would.
    for (index, node) in [&first, &second, &first, &second].into_iter().enumerate() {
        let response = node.get("/api/v2/admin/user/all", &token).await;
        assert_eq!(response.status(), 200, "request {index}");
        assert_eq!(header(&response, "x-rate-limit-remaining"), 3 - index as i64);
    }
    assert_api_error(second.get("/api/v2/admin/user/all", &token).await, 429, "rate_limit").await;
    assert_api_error(first.get("/api/v2/admin/user/all", &token).await, 429, "rate_limit").await;
}

#[tokio::test]
async fn behind_a_trusted_balancer_each_forwarded_client_has_an_address_budget_no_one_else_can_claim() {
    let limited = |trusted: &'static str| {
        move |config: &mut openpan::config::Config| {
            config.rate_limit.token.per_ip = 2;
            config.rate_limit.token.period_secs = 3600;
            config.trusted_proxies = trusted.to_owned();
        }
    };
    // As a balancer forwards: the client, then any proxies before it, appended to.
    async fn grant(app: &TestApp, forwarded: &str) -> reqwest::Response {
        let assertion = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            app.claims("enterprise", app.tenant.enterprise_id).to_string(),
        );
        app.client
            .post(format!(
                "{}/oauth/token?grant_type=jwt_simple&assertion={assertion}",
                app.node_url()
            ))
            .basic_auth(&app.tenant.client_id, Some(&app.tenant.client_secret))
            .header("x-forwarded-for", forwarded)
            .header("x-request-id", "balancer-0123456789abcdef")
            .send()
            .await
            .unwrap()
    }

    let app = TestApp::spawn_with(limited("127.0.0.1, 10.0.0.0/8")).await;
    for _ in 0..2 {
        let response = grant(&app, "203.0.113.7").await;
        assert_eq!(response.status(), 200);
        // The balancer's request id is the node's too.
        assert_eq!(response.headers()["x-request-id"], "balancer-0123456789abcdef");
    }
    assert_eq!(grant(&app, "203.0.113.7").await.status(), 429);
    // Through a second trusted proxy, the same client is the same budget…
    assert_eq!(grant(&app, "203.0.113.7, 10.1.2.3").await.status(), 429);
    // …and an address the client wrote in front of its own changes nothing.
    assert_eq!(grant(&app, "198.51.100.1, 203.0.113.7").await.status(), 429);
    assert_eq!(grant(&app, "not-an-address, 203.0.113.7").await.status(), 429);
    // Another client has a budget of its own, whichever way the balancer writes its address.
    assert_eq!(grant(&app, "198.51.100.9").await.status(), 200);
    assert_eq!(grant(&app, "[::ffff:198.51.100.9]:4711").await.status(), 200);
    assert_eq!(grant(&app, "198.51.100.9").await.status(), 429);

    // A node that trusts no balancer ignores the header: it cannot buy anyone a new budget.
    let app = TestApp::spawn_with(limited("")).await;
    assert_eq!(grant(&app, "203.0.113.1").await.status(), 200);
    let response = grant(&app, "203.0.113.2").await;
    assert_eq!(response.status(), 200);
    assert_ne!(response.headers()["x-request-id"], "balancer-0123456789abcdef");
    assert_eq!(grant(&app, "203.0.113.3").await.status(), 429);
}

#[tokio::test]
async fn the_token_endpoint_limits_each_address_before_checking_credentials() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit.token.per_ip = 3;
        config.rate_limit.token.period_secs = 3600;
    })
    .await;
    let tenant = &app.tenant;
    let mut wrong = tenant.clone();
    wrong.client_secret.push('x');
    let guess = app
        .jwt_simple(&wrong, &app.claims("enterprise", tenant.enterprise_id))
        .await;
    assert_eq!(guess.status(), 401);
    assert_eq!(header(&guess, "x-rate-limit-remaining"), 2, "failed guesses count too");
    for remaining in [1, 0] {
        let response = app
            .jwt_simple(tenant, &app.claims("enterprise", tenant.enterprise_id))
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-rate-limit-remaining"), remaining);
    }
    let response = app
        .jwt_simple(tenant, &app.claims("enterprise", tenant.enterprise_id))
        .await;
    assert_eq!(response.status(), 429);
    assert!(header(&response, "retry-after") >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "rate_limit", "error_description": "Rate limit exceeded!"})
    );
}

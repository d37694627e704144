//! `POST /oauth/token`: the jwt_simple grant as the platform's demos use it, every rule that
//! refuses an assertion, refresh rotation and revocation.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::harness::{TestApp, assert_api_error, assert_oauth_error};

#[tokio::test]
async fn python_demo_claims_as_numbers_with_md5_jti_yield_admin_and_user_tokens() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = app.create_user(tenant, "Li Lei", "lilei@acme.test").await;
    for (sub_type, sub, scope) in [("enterprise", tenant.enterprise_id, "admin"), ("user", user_id, "all")] {
        let jti = format!("{:x}", Md5::digest(b"qwertyuiop!@#$%^"));
        let jti = format!("{jti}{sub_type}");
        let now = app.now();
        // json.dumps puts a space after ':' and ','; base64.b64encode pads.
        let payload = format!(
            "{{\"yifangyun_sub_type\": \"{sub_type}\", \"sub\": {sub}, \"exp\": {}, \"iat\": {now}, \"jti\": \"{jti}\"}}",
            now + 60
        );
        let response = app
            .client
            .post(format!(
                "{}/oauth/token?grant_type=jwt_simple&assertion={}",
                app.url,
                STANDARD.encode(payload)
            ))
            .header(
                "Authorization",
                format!(
                    "Basic {}",
                    STANDARD.encode(format!("{}:{}", tenant.client_id, tenant.client_secret))
                ),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["scope"], scope);
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 21600);
        assert!(body["access_token"].as_str().unwrap().len() >= 32);
        assert!(body["refresh_token"].as_str().unwrap().len() >= 32);
    }
}

#[tokio::test]
async fn java_demo_claims_as_strings_yield_tokens() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let now = app.now();
    // fastjson of a HashMap<String,String>: every claim a string, jti = millis + UUID.
    let claims = json!({
        "yifangyun_sub_type": "enterprise",
        "sub": tenant.enterprise_id.to_string(),
        "exp": (now + 60).to_string(),
        "iat": now.to_string(),
        "jti": format!("{}000{}", now, "9152711b-fbc4-435f-45b6-a8d46e750e14"),
    });
    let body: Value = app.jwt_simple(tenant, &claims).await.json().await.unwrap();
    assert_eq!(body["scope"], "admin", "{body}");
}

#[tokio::test]
async fn url_safe_unpadded_assertions_and_form_bodies_are_accepted() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let claims = app.claims("enterprise", tenant.enterprise_id);
    let response = app
        .client
        .post(format!("{}/oauth/token", app.url))
        .form(&[
            ("grant_type", "jwt_simple"),
            ("assertion", &URL_SAFE_NO_PAD.encode(claims.to_string())),
            ("client_id", &tenant.client_id),
            ("client_secret", &tenant.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "client_secret_post with a form body");
}

#[tokio::test]
async fn wrong_secret_and_unknown_client_are_the_same_invalid_client() {
    let app = TestApp::spawn().await;
    let mut wrong = app.tenant.clone();
    wrong.client_secret.push('x');
    let claims = app.claims("enterprise", app.tenant.enterprise_id);
    let response = app.jwt_simple(&wrong, &claims).await;
    assert!(response.headers().get("www-authenticate").is_some());
    let first = assert_oauth_error(response, 401, "invalid_client").await;
    wrong.client_id = "no-such-client".to_owned();
    let second = assert_oauth_error(app.jwt_simple(&wrong, &claims).await, 401, "invalid_client").await;
    assert_eq!(first, second, "nothing tells an unknown client from a wrong secret");
}

#[tokio::test]
async fn assertions_breaking_a_time_rule_are_refused() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let now = app.now();
    let base = |exp: i64, iat: Option<i64>| {
        let mut claims = json!({"yifangyun_sub_type": "enterprise", "sub": tenant.enterprise_id, "exp": exp, "jti": openpan_core::secrets::random_hex(8)});
        if let Some(iat) = iat {
            claims["iat"] = json!(iat);
        }
        claims
    };
    for (claims, why) in [
        (base(now + 61, Some(now)), "exp more than 60 s after iat"),
        (
            base(now + 61, None),
            "exp more than 60 s after arrival when iat is absent",
        ),
        (base(now - 1, Some(now - 30)), "already expired"),
        (base(now + 3600 + 60, Some(now + 3600)), "iat an hour in the future"),
    ] {
        let body = assert_oauth_error(app.jwt_simple(tenant, &claims).await, 400, "invalid_grant").await;
        let description = body["error_description"].as_str().unwrap();
        assert!(
            ["exp", "expired", "iat"].iter().any(|word| description.contains(word)),
            "{why}: {body}"
        );
    }
    // Built now, presented after it expired.
    let claims = app.claims("enterprise", tenant.enterprise_id);
    app.clock.advance(61);
    assert_oauth_error(app.jwt_simple(tenant, &claims).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_replayed_jti_is_refused_but_other_clients_may_use_the_same_jti() {
    let app = TestApp::spawn().await;
    let claims = app.claims("enterprise", app.tenant.enterprise_id);
    assert_eq!(app.jwt_simple(&app.tenant, &claims).await.status(), 200);
    let body = assert_oauth_error(app.jwt_simple(&app.tenant, &claims).await, 400, "invalid_grant").await;
    assert!(body["error_description"].as_str().unwrap().contains("jti"));
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let mut other_claims = claims.clone();
    other_claims["sub"] = json!(other.enterprise_id);
    assert_eq!(app.jwt_simple(&other, &other_claims).await.status(), 200);
}

#[tokio::test]
async fn subjects_outside_the_apps_enterprise_are_refused() {
    let app = TestApp::spawn().await;
    let other = app.other_tenant("Globex", "admin@globex.test").await;
    let outsider = app.create_user(&other, "Outsider", "out@globex.test").await;
    let tenant = &app.tenant;
    for claims in [
        app.claims("enterprise", other.enterprise_id),
        app.claims("user", outsider),
        app.claims("user", 987_654_321),
        app.claims("robot", tenant.enterprise_id),
    ] {
        assert_oauth_error(app.jwt_simple(tenant, &claims).await, 400, "invalid_grant").await;
    }
}

#[tokio::test]
async fn a_deleted_user_gets_no_token_and_loses_the_ones_it_had() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = app.create_user(tenant, "Han Meimei", "hmm@acme.test").await;
    let token = app.user_token(tenant, user_id).await;
    assert_eq!(app.get("/api/v2/folder/0/info", &token).await.status(), 200);
    let operator = openpan_core::auth::Principal::local_operator();
    app.core
        .delete_user(
            &operator,
            openpan_core::ids::UserId(user_id),
            Some(openpan_core::ids::UserId(app.tenant.admin_user_id)),
        )
        .await
        .unwrap();
    assert_api_error(app.get("/api/v2/folder/0/info", &token).await, 401, "invalid_token").await;
    assert_oauth_error(
        app.jwt_simple(tenant, &app.claims("user", user_id)).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn malformed_assertions_and_requests_are_refused() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let post = |query: String| {
        app.client
            .post(format!("{}/oauth/token?{query}", app.url))
            .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
            .send()
    };
    assert_oauth_error(
        post("grant_type=jwt_simple&assertion=%25%25%25".into()).await.unwrap(),
        400,
        "invalid_grant",
    )
    .await;
    let not_json = STANDARD.encode("{not json");
    assert_oauth_error(
        post(format!("grant_type=jwt_simple&assertion={not_json}"))
            .await
            .unwrap(),
        400,
        "invalid_grant",
    )
    .await;
    let no_jti = STANDARD
        .encode(json!({"yifangyun_sub_type":"enterprise","sub":tenant.enterprise_id,"exp":app.now()+30}).to_string());
    assert_oauth_error(
        post(format!("grant_type=jwt_simple&assertion={no_jti}")).await.unwrap(),
        400,
        "invalid_grant",
    )
    .await;
    assert_oauth_error(
        post("grant_type=jwt_simple".into()).await.unwrap(),
        400,
        "invalid_request",
    )
    .await;
    assert_oauth_error(post("assertion=abc".into()).await.unwrap(), 400, "invalid_request").await;
    assert_oauth_error(
        post("grant_type=implicit&username=a&password=b".into()).await.unwrap(),
        400,
        "unsupported_grant_type",
    )
    .await;
}

#[tokio::test]
async fn refreshing_rotates_the_refresh_token_and_keeps_subject_and_scope() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = app.create_user(tenant, "Li Lei", "lilei@acme.test").await;
    let first = app.token(tenant, "user", user_id).await;
    let old_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let response = app.refresh(tenant, &old_refresh).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["scope"], "all");
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let info: Value = app
        .get("/api/v2/folder/0/info", second["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        info["owned_by"]["id"], user_id,
        "the new token speaks for the same user"
    );
    assert_oauth_error(app.refresh(tenant, &old_refresh).await, 400, "invalid_grant").await;
    // Another app of the same enterprise cannot use this app's refresh token.
    let other_app = app
        .core
        .create_app(
            &openpan_core::auth::Principal::local_operator(),
            openpan_core::services::CreateApp {
                enterprise_id: openpan_core::ids::EnterpriseId(tenant.enterprise_id),
                name: "CRM".into(),
                callback_url: None,
                client_type: Default::default(),
                redirect_uris: Vec::new(),
                allowed_scopes: None,
            },
        )
        .await
        .unwrap();
    let crm = crate::harness::Tenant {
        app_id: other_app.app.id.0,
        client_id: other_app.app.client_id,
        client_secret: other_app.client_secret,
        ..tenant.clone()
    };
    let response = app.refresh(&crm, second["refresh_token"].as_str().unwrap()).await;
    assert_oauth_error(response, 400, "invalid_grant").await;
}

#[tokio::test]
async fn access_tokens_expire_after_six_hours() {
    let app = TestApp::spawn().await;
    let token = app.enterprise_token(&app.tenant).await;
    app.clock.advance(21_599);
    assert_eq!(app.get("/api/v2/admin/user/all", &token).await.status(), 200);
    app.clock.advance(2);
    assert_api_error(app.get("/api/v2/admin/user/all", &token).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn disabling_an_app_revokes_its_tokens_at_once() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let token = app.enterprise_token(tenant).await;
    let refresh = app.token(tenant, "enterprise", tenant.enterprise_id).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Used once, so this node has the check cached when the app is disabled.
    assert_eq!(app.get("/api/v2/admin/user/all", &token).await.status(), 200);
    let operator = openpan_core::auth::Principal::local_operator();
    let app_id = openpan_core::ids::AppId(tenant.app_id);
    app.core
        .set_app_status(&operator, app_id, openpan_core::model::AppStatus::Disabled)
        .await
        .unwrap();
    assert_api_error(app.get("/api/v2/admin/user/all", &token).await, 401, "invalid_token").await;
    assert_oauth_error(
        app.jwt_simple(tenant, &app.claims("enterprise", tenant.enterprise_id))
            .await,
        401,
        "invalid_client",
    )
    .await;
    app.core
        .set_app_status(&operator, app_id, openpan_core::model::AppStatus::Active)
        .await
        .unwrap();
    assert_api_error(app.get("/api/v2/admin/user/all", &token).await, 401, "invalid_token").await;
    assert_oauth_error(app.refresh(tenant, &refresh).await, 400, "invalid_grant").await;
    assert_eq!(
        app.jwt_simple(tenant, &app.claims("enterprise", tenant.enterprise_id))
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jti_replayed_concurrently_yields_exactly_one_token() {
    let app = TestApp::spawn().await;
    let claims = app.claims("enterprise", app.tenant.enterprise_id);
    let fresh: Vec<Value> = (0..20)
        .map(|_| app.claims("enterprise", app.tenant.enterprise_id))
        .collect();
    let replays = (0..20).map(|_| app.jwt_simple(&app.tenant, &claims));
    let others = fresh.iter().map(|claims| app.jwt_simple(&app.tenant, claims));
    let (replays, others) = tokio::join!(
        futures_util::future::join_all(replays),
        futures_util::future::join_all(others)
    );
    let accepted = replays.iter().filter(|response| response.status() == 200).count();
    assert_eq!(accepted, 1, "one of twenty identical assertions is honoured");
    assert!(
        replays
            .iter()
            .all(|response| matches!(response.status().as_u16(), 200 | 400))
    );
    assert!(
        others.iter().all(|response| response.status() == 200),
        "distinct jtis in the same burst all succeed"
    );
}

#[tokio::test]
async fn a_token_with_a_real_id_but_a_wrong_secret_is_refused() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let issued = app.token(tenant, "enterprise", tenant.enterprise_id).await;
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v2/admin/user/all", access).await.status(),
        200,
        "cached now"
    );
    let (id, secret) = access.split_once('.').unwrap();
    let forged = format!("{id}.{}", secret.chars().rev().collect::<String>());
    assert_api_error(app.get("/api/v2/admin/user/all", &forged).await, 401, "invalid_token").await;
    let refresh = issued["refresh_token"].as_str().unwrap();
    let (id, _) = refresh.split_once('.').unwrap();
    let guessed = format!("{id}.{}", "0".repeat(64));
    assert_oauth_error(app.refresh(tenant, &guessed).await, 400, "invalid_grant").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_used_concurrently_rotates_exactly_once() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let refresh_token = app.token(tenant, "enterprise", tenant.enterprise_id).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempts = (0..10).map(|_| app.refresh(tenant, &refresh_token));
    let responses = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses.iter().map(|response| response.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|status| matches!(status, 200 | 400)),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_apps_guesses_at_a_refresh_token_id_do_not_spoil_the_real_refresh() {
    let app = TestApp::spawn().await;
    let owner = &app.tenant;
    let intruder = app.other_tenant("Globex", "admin@globex.test").await;
    let refresh_token = app.token(owner, "enterprise", owner.enterprise_id).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (id, _) = refresh_token.split_once('.').unwrap();
    let guess = format!("{id}.{}", "f".repeat(64));
    let guesses = futures_util::future::join_all((0..20).map(|_| app.refresh(&intruder, &guess)));
    let (guesses, real) = tokio::join!(guesses, app.refresh(owner, &refresh_token));
    assert!(guesses.iter().all(|response| response.status() == 400));
    assert_eq!(
        real.status(),
        200,
        "the owner's refresh succeeds whatever else is in flight"
    );
}

/// `POST /oauth/{endpoint}` with the tenant's Basic credentials and a form.
async fn oauth_form(
    app: &TestApp,
    tenant: &crate::harness::Tenant,
    endpoint: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(format!("{}/oauth/{endpoint}", app.url))
        .basic_auth(&tenant.client_id, Some(&tenant.client_secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn client_credentials_give_the_app_an_enterprise_token() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let response = oauth_form(&app, tenant, "token", &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["scope"], "admin");
    assert_eq!(token["expires_in"], 6 * 3600);
    assert!(token.get("refresh_token").is_none(), "RFC 6749 §4.4.3: {token}");
    let access = token["access_token"].as_str().unwrap();
    let info = app.get_ok("/api/v2/admin/enterprise/info", access).await;
    assert_eq!(info["id"], tenant.enterprise_id, "{info}");
    assert_eq!(info["name"], "Acme");
    assert_eq!(
        app.get("/api/v2/user/info", access).await.status(),
        403,
        "an enterprise token is not a user"
    );
    // client_secret_post works too; a wrong secret is an unknown client.
    let posted = app
        .client
        .post(format!("{}/oauth/token", app.url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &tenant.client_id),
            ("client_secret", &tenant.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let wrong = app
        .client
        .post(format!("{}/oauth/token", app.url))
        .basic_auth(&tenant.client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(wrong, 401, "invalid_client").await;
}

#[tokio::test]
async fn a_revocation_answered_by_one_node_is_in_force_on_every_node() {
    let a = TestApp::spawn().await;
    let b = a.spawn_peer(|_| {}).await;
    let tenant = &a.tenant;
    let user_id = a.create_user(tenant, "Li Lei", "lilei@acme.test").await;
    for round in 0..5 {
        let access = a.token(tenant, "user", user_id).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        // Node b has checked the token, and remembers it.
        for _ in 0..3 {
            assert_eq!(b.get("/api/v2/user/info", &access).await.status(), 200);
        }
        // Revoked on node a: by the time a answers, b refuses it too, without a moment's lag.
        let revoked = oauth_form(&a, tenant, "revoke", &[("token", &access)]).await;
        assert_eq!(revoked.status(), 200);
        assert_eq!(b.get("/api/v2/user/info", &access).await.status(), 401, "round {round}");
    }
    // A user deleted on node a: their tokens stop on b at once.
    let access = a.token(tenant, "user", user_id).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(b.get("/api/v2/user/info", &access).await.status(), 200);
    let other = a.other_tenant("Beta", "admin@beta.test").await;
    let beta_access = a.token(&other, "enterprise", other.enterprise_id).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(b.get("/api/v2/admin/user/all", &beta_access).await.status(), 200);
    let operator = openpan_core::auth::Principal::local_operator();
    let deleted = a
        .core
        .delete_user(
            &operator,
            openpan_core::ids::UserId(user_id),
            Some(openpan_core::ids::UserId(tenant.admin_user_id)),
        )
        .await;
    assert!(deleted.is_ok(), "{deleted:?}");
    assert_eq!(b.get("/api/v2/user/info", &access).await.status(), 401);
    // Nothing else was revoked.
    assert_eq!(b.get("/api/v2/admin/user/all", &beta_access).await.status(), 200);
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once_with_its_refresh_token() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = app.create_user(tenant, "Li Lei", "lilei@acme.test").await;
    let first = app.token(tenant, "user", user_id).await;
    let access = first["access_token"].as_str().unwrap().to_owned();
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v2/user/info", &access).await.status(), 200);

    // Revoking by the access token ends the pair: the refresh token is gone too.
    let revoked = oauth_form(&app, tenant, "revoke", &[("token", &access)]).await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(app.get("/api/v2/user/info", &access).await.status(), 401);
    assert_oauth_error(app.refresh(tenant, &refresh).await, 400, "invalid_grant").await;

    // Revoking by the refresh token ends the access token.
    let second = app.token(tenant, "user", user_id).await;
    let access = second["access_token"].as_str().unwrap();
    let refresh = second["refresh_token"].as_str().unwrap();
    let revoked = oauth_form(
        &app,
        tenant,
        "revoke",
        &[("token", refresh), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(app.get("/api/v2/user/info", access).await.status(), 401);

    // Another app cannot revoke this app's tokens, and cannot tell it tried; nonsense is ignored.
    let other = app.other_tenant("Beta", "admin@beta.test").await;
    let third = app.token(tenant, "user", user_id).await;
    let access = third["access_token"].as_str().unwrap();
    for token in [access, "nonsense", "1.x", "99999.abc"] {
        let answer = oauth_form(&app, &other, "revoke", &[("token", token)]).await;
        assert_eq!(answer.status(), 200, "{token}");
    }
    assert_eq!(app.get("/api/v2/user/info", access).await.status(), 200);
    // A secret that does not match the pair revokes nothing.
    let (id, _) = access.split_once('.').unwrap();
    let forged = format!("{id}.{}", "0".repeat(64));
    assert_eq!(
        oauth_form(&app, tenant, "revoke", &[("token", &forged)]).await.status(),
        200
    );
    assert_eq!(app.get("/api/v2/user/info", access).await.status(), 200);
    assert_oauth_error(oauth_form(&app, tenant, "revoke", &[]).await, 400, "invalid_request").await;
    let anonymous = app
        .client
        .post(format!("{}/oauth/revoke", app.url))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_oauth_error(anonymous, 401, "invalid_client").await;
}

#[tokio::test]
async fn introspection_asks_who_the_client_is_before_anything_else() {
    let app = TestApp::spawn().await;
    // No credentials, or empty ones, are no client: 401 even when the token is missing too.
    for form in [vec![], vec![("client_id", ""), ("client_secret", ""), ("token", "")]] {
        let answer = app
            .client
            .post(format!("{}/oauth/introspect", app.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_oauth_error(answer, 401, "invalid_client").await;
    }
    // The app itself, without a token, is told what is missing.
    assert_oauth_error(
        oauth_form(&app, &app.tenant, "introspect", &[]).await,
        400,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn introspection_describes_active_access_tokens_of_the_enterprise_only() {
    let app = TestApp::spawn().await;
    let tenant = &app.tenant;
    let user_id = app.create_user(tenant, "Li Lei", "lilei@acme.test").await;
    let user = app.user_token(tenant, user_id).await;
    let answer = oauth_form(&app, tenant, "introspect", &[("token", &user)]).await;
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!({"active": true, "scope": "all", "client_id": tenant.client_id, "token_type": "bearer",
               "exp": app.now() + 6 * 3600, "sub": user_id.to_string(), "sub_type": "user",
               "enterprise_id": tenant.enterprise_id, "user_id": user_id})
    );
    let admin = app.enterprise_token(tenant).await;
    let body: Value = oauth_form(&app, tenant, "introspect", &[("token", &admin)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["scope"], "admin");
    assert_eq!(body["sub_type"], "enterprise");
    assert_eq!(body["sub"], tenant.enterprise_id.to_string());
    assert!(body.get("user_id").is_none());

    // Another enterprise's app learns nothing; refresh tokens, revoked and expired tokens and
    // nonsense are inactive.
    let other = app.other_tenant("Beta", "admin@beta.test").await;
    let refresh = app.token(tenant, "user", user_id).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app.user_token(tenant, user_id).await;
    oauth_form(&app, tenant, "revoke", &[("token", &revoked)]).await;
    for (who, token) in [
        (&other, user.as_str()),
        (tenant, refresh.as_str()),
        (tenant, revoked.as_str()),
        (tenant, "x"),
    ] {
        let body: Value = oauth_form(&app, who, "introspect", &[("token", token)])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body, json!({"active": false}), "{token}");
    }
    app.clock.advance(6 * 3600);
    let body: Value = oauth_form(&app, tenant, "introspect", &[("token", &user)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"active": false}));
}

//! The Rust SDK against the real server: its grants, renewal, rate-limit waits, typed errors,
//! paging streams and transfers that survive interruption. (Every other test gets its tokens
//! through the SDK too, by way of the harness.)

use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use serde_json::json;

use openpan_sdk::types::ErrorCode;
use openpan_sdk::{Client, Error, Grant, Item, JwtKey, NewShareLink, Subject, TokenStore, Tokens, UploadTarget};

use crate::grants::{KeyPair, approve_device, cli_app, register_key};
use crate::harness::TestApp;

/// The SDK as the tenant's app, signed in as its administrator, keeping each new pair of
/// tokens it is handed.
async fn signed_in_as_admin(app: &TestApp) -> (Client, Arc<Mutex<Vec<Tokens>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = seen.clone();
    let client = app
        .sdk_builder(&app.tenant)
        .on_tokens(Arc::new(move |tokens: &Tokens| {
            listener.lock().unwrap().push(tokens.clone())
        }))
        .build()
        .unwrap();
    client
        .sign_in(Grant::JwtSimple(Subject::User(app.tenant.admin_user_id)))
        .await
        .unwrap();
    (client, seen)
}

#[tokio::test]
async fn the_sdk_renews_a_lapsing_token_with_its_refresh_token_without_being_asked() {
    let app = TestApp::spawn().await;
    let (client, seen) = signed_in_as_admin(&app).await;
    assert_eq!(client.me().await.unwrap().id, app.tenant.admin_user_id);
    let first = seen.lock().unwrap()[0].clone();

    // Six hours on, the access token has lapsed: the next call renews first.
    app.clock.advance(6 * 3600);
    assert_eq!(client.me().await.unwrap().id, app.tenant.admin_user_id);
    let tokens = seen.lock().unwrap().clone();
    assert_eq!(tokens.len(), 2, "one renewal");
    assert_ne!(tokens[1].access_token, first.access_token);
    assert_ne!(tokens[1].refresh_token, first.refresh_token, "refresh tokens rotate");
    // The old refresh token is spent: using it again is refused (and ends the family).
    let replay = client
        .token(&Grant::RefreshToken(first.refresh_token.clone().unwrap()))
        .await
        .unwrap_err();
    assert_eq!(replay.oauth_error(), Some("invalid_grant"));
}

#[tokio::test]
async fn concurrent_calls_share_one_renewal_so_the_refresh_family_survives() {
    let app = TestApp::spawn().await;
    let (client, seen) = signed_in_as_admin(&app).await;
    app.clock.advance(6 * 3600);
    let calls = (0..8).map(|_| client.me());
    for me in futures_util::future::join_all(calls).await {
        assert_eq!(me.unwrap().id, app.tenant.admin_user_id);
    }
    assert_eq!(seen.lock().unwrap().len(), 2, "sign-in and exactly one renewal");
    // Had two renewals spent one refresh token, the server would have ended the family.
    app.clock.advance(6 * 3600);
    client.me().await.expect("the family is still alive");
}

/// Tokens behind one lock, as processes keep them in a file.
struct SharedTokens {
    lock: Arc<tokio::sync::Mutex<()>>,
    tokens: Mutex<Option<Tokens>>,
    stored: Mutex<usize>,
}

impl TokenStore for SharedTokens {
    fn lock(&self) -> std::io::Result<(Box<dyn Send>, Option<Tokens>)> {
        let guard = Arc::clone(&self.lock).blocking_lock_owned();
        Ok((Box::new(guard), self.tokens.lock().unwrap().clone()))
    }

    fn store(&self, tokens: &Tokens) -> std::io::Result<()> {
        *self.tokens.lock().unwrap() = Some(tokens.clone());
        *self.stored.lock().unwrap() += 1;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_a_token_store_renew_once_between_them() {
    let app = TestApp::spawn().await;
    let (signer, _) = signed_in_as_admin(&app).await;
    let first = signer.tokens().await.unwrap();
    let shared = Arc::new(SharedTokens {
        lock: Arc::new(tokio::sync::Mutex::new(())),
        tokens: Mutex::new(Some(first.clone())),
        stored: Mutex::new(0),
    });
    // Two programs signed in with one pair (two CLI commands run at once).
    let clients: Vec<Client> = (0..2)
        .map(|_| {
            app.sdk_builder(&app.tenant)
                .token_store(shared.clone())
                .build()
                .unwrap()
        })
        .collect();
    for client in &clients {
        client.set_tokens(first.clone()).await;
    }
    for round in 1..=2 {
        app.clock.advance(6 * 3600);
        let calls = clients.iter().map(|client| client.me());
        for me in futures_util::future::join_all(calls).await {
            assert_eq!(me.expect("the family is alive").id, app.tenant.admin_user_id);
        }
        assert_eq!(*shared.stored.lock().unwrap(), round, "one renewal per lapse, for both");
        let held = clients[1].tokens().await.unwrap();
        assert_eq!(clients[0].tokens().await.unwrap().access_token, held.access_token);
        assert_eq!(
            shared.tokens.lock().unwrap().as_ref().unwrap().access_token,
            held.access_token
        );
    }
}

#[tokio::test]
async fn a_token_the_server_refuses_is_renewed_and_the_call_sent_again() {
    let app = TestApp::spawn().await;
    let (client, seen) = signed_in_as_admin(&app).await;
    let tokens = client.tokens().await.unwrap();
    // The token ends early (an administrator revoked it): the SDK still holds it as valid.
    let revoked = app
        .client
        .post(format!("{}/oauth/revoke", app.url))
        .basic_auth(&app.tenant.client_id, Some(&app.tenant.client_secret))
        .form(&[("token", tokens.access_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let folder = client.folder(0).await.expect("renewed and sent again");
    assert_eq!(folder.id, 0);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn the_app_token_is_asked_for_again_when_it_lapses_and_users_come_page_by_page() {
    let app = TestApp::spawn().await;
    for n in 0..105 {
        app.create_user(&app.tenant, &format!("Person {n:03}"), &format!("p{n}@acme.test"))
            .await;
    }
    let client = app.sdk(&app.tenant);
    let tokens = client.sign_in(Grant::ClientCredentials { scope: None }).await.unwrap();
    assert_eq!(tokens.scope, "admin");
    assert!(tokens.refresh_token.is_none());
    let users: Vec<_> = client.users().try_collect().await.unwrap();
    assert_eq!(users.len(), 106, "the administrator and 105 people, over two pages");
    let mut ids: Vec<i64> = users.iter().map(|user| user.user.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 106);

    // No refresh token: the SDK runs client_credentials again.
    app.clock.advance(7 * 3600);
    let again: Vec<_> = client.users().try_collect().await.unwrap();
    assert_eq!(again.len(), 106);
    assert_ne!(client.tokens().await.unwrap().access_token, tokens.access_token);
}

#[tokio::test]
async fn a_rate_limited_call_waits_for_the_reset_and_then_succeeds() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit.default.per_app = 2;
        config.rate_limit.default.period_secs = 2;
    })
    .await;
    let client = app.sdk(&app.tenant);
    client.sign_in(Grant::ClientCredentials { scope: None }).await.unwrap();
    for _ in 0..4 {
        let users: Vec<_> = client.users().try_collect().await.expect("waited out");
        assert_eq!(users.len(), 1);
    }
    // A client that may not wait fails with the platform's code.
    let impatient = app.sdk_builder(&app.tenant).rate_limit_retries(0).build().unwrap();
    impatient
        .sign_in(Grant::ClientCredentials { scope: None })
        .await
        .unwrap();
    let mut refused = None;
    for _ in 0..3 {
        if let Err(err) = impatient.users().try_collect::<Vec<_>>().await {
            refused = Some(err);
            break;
        }
    }
    let refused = refused.expect("the third call in two seconds is over the budget");
    assert!(refused.is(ErrorCode::RateLimit), "{refused}");
    assert_eq!(refused.status(), Some(429));
}

#[tokio::test]
async fn signing_in_waits_out_the_token_endpoints_rate_limit() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit.token.per_ip = 2;
        config.rate_limit.token.period_secs = 2;
    })
    .await;
    // Device-flow polls and renewals go through the same endpoint: over its budget they wait
    // instead of failing the sign-in.
    let client = app.sdk(&app.tenant);
    for _ in 0..4 {
        client
            .sign_in(Grant::ClientCredentials { scope: None })
            .await
            .expect("waited out");
    }
    let impatient = app.sdk_builder(&app.tenant).rate_limit_retries(0).build().unwrap();
    let mut refused = None;
    for _ in 0..3 {
        if let Err(err) = impatient.sign_in(Grant::ClientCredentials { scope: None }).await {
            refused = Some(err);
            break;
        }
    }
    let refused = refused.expect("the third sign-in in two seconds is over the budget");
    assert_eq!(refused.oauth_error(), Some("rate_limit"), "{refused}");
}

#[tokio::test]
async fn api_errors_keep_the_platform_code_field_and_request_id() {
    let app = TestApp::spawn().await;
    let (client, _) = signed_in_as_admin(&app).await;
    let missing = client.folder(987_654).await.unwrap_err();
    assert!(missing.is(ErrorCode::FolderNotFound), "{missing}");
    assert_eq!(missing.status(), Some(404));
    let Error::Api { request_id, .. } = &missing else {
        panic!("{missing:?}")
    };
    assert!(!request_id.is_empty());
    let named = client.create_folder(0, "a/b").await.unwrap_err();
    assert!(named.is(ErrorCode::ItemNameInvalid), "{named}");
    let invalid = client
        .post::<serde_json::Value>("/folder/create", &json!({ "name": "x", "parent_id": "up" }))
        .await
        .unwrap_err();
    let Error::Api { code, field, .. } = &invalid else {
        panic!("{invalid:?}")
    };
    assert_eq!(code, "request_data_invalid");
    assert_eq!(field.as_deref(), Some("parent_id"));
    let unsigned = app.sdk(&app.tenant);
    assert!(matches!(unsigned.me().await, Err(Error::NotSignedIn)));
}

#[tokio::test]
async fn a_folder_listing_streams_every_child_across_pages_in_name_order() {
    let app = TestApp::spawn().await;
    let (client, _) = signed_in_as_admin(&app).await;
    let parent = client.create_folder(0, "Many").await.unwrap();
    for n in (0..130).rev() {
        client.create_folder(parent.id, &format!("f{n:03}")).await.unwrap();
    }
    client
        .upload(UploadTarget::Folder(parent.id), "zz.txt", b"last".to_vec())
        .await
        .unwrap();
    let items: Vec<Item> = client.children(parent.id).try_collect().await.unwrap();
    assert_eq!(items.len(), 131);
    let names: Vec<&str> = items.iter().map(Item::name).collect();
    assert_eq!(names[0], "f000");
    assert_eq!(names[129], "f129");
    assert!(matches!(&items[130], Item::File(file) if file.name == "zz.txt"));
    let found = client.resolve("/Many/zz.txt").await.unwrap();
    assert_eq!(found.id(), items[130].id());
    let lost = client.resolve("/Many/nothing").await.unwrap_err();
    assert!(
        matches!(&lost, Error::NotFound { name, .. } if name == "nothing"),
        "{lost:?}"
    );
}

/// A resumable upload of `bytes` in 1 MiB parts of which only part `number` arrived, as an
/// upload that died leaves it.
pub(crate) async fn interrupted_upload(
    app: &TestApp,
    client: &Client,
    name: &str,
    bytes: &[u8],
    number: usize,
) -> openpan_sdk::types::ResumableUpload {
    let session = client
        .start_resumable_upload(UploadTarget::Folder(0), name, bytes.len() as u64, Some(1 << 20), false)
        .await
        .unwrap();
    let part = &bytes[(number - 1) << 20..(number << 20).min(bytes.len())];
    let sent = app
        .client
        .put(format!("{}/part/{number}", session.upload_url))
        .body(part.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    session
}

/// Bytes that differ at every offset, so a wrongly placed range shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn a_resumable_upload_sends_only_the_parts_the_server_lacks() {
    let app = TestApp::spawn().await;
    let (client, _) = signed_in_as_admin(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("big.bin");
    let bytes = pattern(3 * 1024 * 1024 + 17);
    std::fs::write(&local, &bytes).unwrap();
    // An earlier run got the second part up before it died.
    let session = interrupted_upload(&app, &client, "big.bin", &bytes, 2).await;
    assert_eq!(session.part_count, 4);
    let resumed = client.resumable_status(&session.upload_url).await.unwrap();
    assert_eq!(resumed.parts.len(), 1);
    let heard = Mutex::new(Vec::new());
    let file = client
        .finish_resumable_upload(&resumed, &local, &|done| heard.lock().unwrap().push(done))
        .await
        .unwrap();
    assert_eq!(file.size, bytes.len() as i64);
    let heard = heard.into_inner().unwrap();
    assert_eq!(heard.len(), 5, "the start, then once per part: {heard:?}");
    assert!(heard.windows(2).all(|pair| pair[0] < pair[1]), "{heard:?}");
    assert_eq!(heard.last(), Some(&(bytes.len() as u64)));

    let back = dir.path().join("back.bin");
    client.download_to(file.id, &back, &|_| {}).await.unwrap();
    assert_eq!(std::fs::read(&back).unwrap(), bytes);
    // A changed local file cannot finish someone's session.
    let session = client
        .start_resumable_upload(UploadTarget::NewVersion(file.id), "big.bin", 10, None, false)
        .await
        .unwrap();
    let mismatch = client
        .finish_resumable_upload(&session, &local, &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(mismatch, Error::Integrity(_)), "{mismatch:?}");
    client.abort_resumable_upload(&session.upload_url).await.unwrap();
    let gone = client.resumable_status(&session.upload_url).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
}

#[tokio::test]
async fn an_interrupted_download_continues_from_its_part_file_and_is_checked() {
    let app = TestApp::spawn().await;
    let (client, _) = signed_in_as_admin(&app).await;
    let bytes = pattern(600_000);
    let file = client
        .upload(UploadTarget::Folder(0), "movie.bin", bytes.clone())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("movie.bin");
    let partial = openpan_sdk::part_path(&dest, &file.sha1).unwrap();
    std::fs::write(&partial, &bytes[..250_000]).unwrap();
    let heard = Mutex::new(Vec::new());
    client
        .download_to(file.id, &dest, &|done| heard.lock().unwrap().push(done))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert!(!partial.exists());
    let heard = heard.into_inner().unwrap();
    assert!(
        heard.iter().all(|done| *done >= 250_000),
        "it went on from the part file: {heard:?}"
    );

    // A part file with the wrong bytes fails the check and is thrown away.
    let mut wrong = bytes[..1000].to_vec();
    wrong[10] ^= 0xff;
    std::fs::write(&partial, &wrong).unwrap();
    let again = dir.path().join("again.bin");
    let partial = openpan_sdk::part_path(&again, &file.sha1).unwrap();
    std::fs::write(&partial, &wrong).unwrap();
    let failed = client.download_to(file.id, &again, &|_| {}).await.unwrap_err();
    assert!(matches!(failed, Error::Integrity(_)), "{failed:?}");
    assert!(!partial.exists() && !again.exists());
    client.download_to(file.id, &again, &|_| {}).await.unwrap();
    assert_eq!(std::fs::read(&again).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_begun_before_a_new_version_starts_over_on_the_new_one() {
    let app = TestApp::spawn().await;
    let (client, _) = signed_in_as_admin(&app).await;
    let old = pattern(300_000);
    let file = client
        .upload(UploadTarget::Folder(0), "report.bin", old.clone())
        .await
        .unwrap();
    let mut new = old.clone();
    new[0] ^= 0xff;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("report.bin");
    // A colleague saves a new version after the file's details are read and before its bytes
    // are asked for (the first progress report falls between the two).
    let starts = Mutex::new(0);
    client
        .download_to(file.id, &dest, &|done| {
            if done != 0 {
                return;
            }
            let mut starts = starts.lock().unwrap();
            *starts += 1;
            if *starts == 1 {
                let saved = tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(client.upload(
                        UploadTarget::NewVersion(file.id),
                        "report.bin",
                        new.clone(),
                    ))
                });
                saved.expect("new version saved");
            }
        })
        .await
        .expect("started over on the new version");
    assert_eq!(std::fs::read(&dest).unwrap(), new, "the new version's bytes, whole");
    assert_eq!(starts.into_inner().unwrap(), 2);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no part file left: {leftovers:?}");
}

#[tokio::test]
async fn the_sdk_gets_tokens_through_the_device_flow_jwt_bearer_and_password_grants() {
    let app = TestApp::spawn().await;
    // Device flow, as a public CLI app.
    let cli = Client::builder(&app.url, cli_app(&app).await).build().unwrap();
    let device = cli.start_device_authorization(Some("files.read")).await.unwrap();
    assert_eq!(device.user_code.len(), 9);
    approve_device(&serde_json::to_value(&device).unwrap()).await;
    let tokens = cli.wait_for_device(&device).await.unwrap();
    assert_eq!(tokens.scope, "files.read");
    assert_eq!(cli.me().await.unwrap().id, app.tenant.admin_user_id);
    cli.sign_out().await.unwrap();
    assert!(matches!(cli.me().await, Err(Error::NotSignedIn)));

    // RFC 7523 with a registered P-256 key: no secret in the client at all.
    let key = KeyPair::p256();
    let kid = register_key(&app, &app.tenant, &key).await;
    let signer = Client::builder(&app.url, &app.tenant.client_id).build().unwrap();
    let key = JwtKey::from_pem(key.private_pem.as_bytes(), Some(kid)).unwrap();
    signer
        .sign_in(Grant::JwtBearer {
            key,
            user_id: app.tenant.admin_user_id,
            scope: Some("files.read".to_owned()),
        })
        .await
        .unwrap();
    assert_eq!(signer.me().await.unwrap().id, app.tenant.admin_user_id);

    // The password grant, once the enterprise allows it.
    let client = app.sdk(&app.tenant);
    let grant = Grant::Password {
        username: "admin@acme.test".to_owned(),
        password: "correct horse".to_owned(),
        scope: None,
    };
    let refused = client.sign_in(grant.clone()).await.unwrap_err();
    assert_eq!(refused.oauth_error(), Some("unauthorized_client"));
    let admin = app.enterprise_token(&app.tenant).await;
    app.post_ok(
        "/api/v2/admin/enterprise/oauth_settings/update",
        &admin,
        &json!({ "password_grant_enabled": true }),
    )
    .await;
    client.sign_in(grant).await.unwrap();
    let file = client
        .upload(UploadTarget::Folder(0), "shared.txt", b"hello".to_vec())
        .await
        .unwrap();
    let link = client
        .create_share_link(&NewShareLink::public(&Item::File(file.clone())))
        .await
        .unwrap();
    assert_eq!(link.access, "public");
    assert_eq!(link.item.id, file.id);
    assert!(link.share_link.ends_with(&link.unique_name));
}

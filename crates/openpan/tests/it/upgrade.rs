//! Upgrades: a database made by the first schema, with data put in at the points of history
//! where the drive and the organisation arrived, migrated forward by a starting node, still
//! serves every user, file and setting it held, and takes new writes after them.
//!
//! Each fixture in `upgrade/` is written against the schema of its migration number and never
//! changes afterwards (as the migrations it follows never do): every migration added later is
//! tested against the same old data.

use std::sync::Arc;

use serde_json::json;

use openpan::config::Config;
use openpan_core::blob::{BlobStore, ByteStream};
use openpan_db::SqlRepo;

use crate::harness::{Tenant, TestApp, assert_oauth_error, names_of};

/// Each fixture after the migration it was written for.
const HISTORY: &[(i64, &str)] = &[
    (1, include_str!("upgrade/0001_identity.sql")),
    (5, include_str!("upgrade/0005_drive.sql")),
    (10, include_str!("upgrade/0010_org.sql")),
];

/// Blob keys of the 0005 fixture and their bytes.
const BLOBS: &[(&str, &[u8])] = &[
    ("0000000000000001", b"the first release keeps its files\n"),
    ("0000000000000002", b"version one of the notes\n"),
    ("0000000000000003", b"version two of the notes\n"),
];

const KEY_MATERIAL: &str = "upgrade-test-key-material-0123456789abcdef0123456789abcdef";
const CLIENT_SECRET: &str = "upgrade-hr-secret";
const PASSWORD: &str = "correct horse";

/// `sql` for `url`'s engine: byte strings are written `X'…'` as SQLite has them.
fn for_engine(sql: &str, url: &str) -> String {
    if url.starts_with("sqlite:") {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find("X'") {
        out.push_str(&rest[..at]);
        let hex_end = rest[at + 2..].find('\'').expect("byte string ends") + at + 2;
        out.push_str(&format!("'\\x{}'::bytea", &rest[at + 2..hex_end]));
        rest = &rest[hex_end + 1..];
    }
    out.push_str(rest);
    out
}

/// Builds the old database step by step, the way its releases did: migrate to a fixture's
/// schema, put in that fixture's data, go on.
async fn replay_history(config: &Config) -> Option<Tenant> {
    let url = config.database_url();
    let key = openpan_core::secrets::SecretKey::from_material(KEY_MATERIAL.as_bytes()).unwrap();
    let secret_hash: String = key
        .hash(CLIENT_SECRET)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let password_hash = openpan_core::secrets::hash_password(PASSWORD).unwrap();
    let repo = SqlRepo::connect(&url, 2, std::time::Duration::from_secs(10))
        .await
        .expect("database opens");
    for (version, fixture) in HISTORY {
        repo.migrate_through(*version)
            .await
            .unwrap_or_else(|err| panic!("migrating to {version}: {err}"));
        let sql = fixture
            .replace("{{password_hash}}", &password_hash)
            .replace("{{client_secret_hash}}", &format!("X'{secret_hash}'"));
        run_sql(&url, &for_engine(&sql, &url)).await;
    }
    let store: Arc<dyn BlobStore> = openpan::app::open_blob_store(config).await.expect("blob store opens");
    for (key, bytes) in BLOBS {
        let body: ByteStream = Box::pin(futures_util::stream::once(async move {
            Ok(bytes::Bytes::from_static(bytes))
        }));
        store.put(key, body).await.expect("blob stored");
    }
    Some(Tenant {
        enterprise_id: 1,
        admin_user_id: 1,
        app_id: 1,
        client_id: "upgrade-hr".to_owned(),
        client_secret: CLIENT_SECRET.to_owned(),
    })
}

async fn run_sql(url: &str, sql: &str) {
    use sqlx::Connection;
    let ran = if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.map(drop)
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.map(drop)
    };
    ran.unwrap_or_else(|err| panic!("fixture does not load: {err}\n{sql}"));
}

#[tokio::test]
async fn a_database_from_the_first_schema_with_data_upgrades_on_start_and_keeps_serving_it() {
    let app = TestApp::spawn_prepared(
        |config| config.secret_key = Some(KEY_MATERIAL.to_owned()),
        replay_history,
    )
    .await;
    let tenant = app.tenant.clone();

    // The app's secret, hashed under the first schema, still authenticates it; the jti it
    // used before the upgrade stays used.
    let enterprise = app.enterprise_token(&tenant).await;
    let mut replay = app.claims("enterprise", 1);
    replay["jti"] = json!("used-before-the-upgrade");
    assert_oauth_error(app.jwt_simple(&tenant, &replay).await, 400, "invalid_grant").await;
    let bo = app.user_token(&tenant, 2).await;
    let me = app.get_ok("/api/v2/user/info", &bo).await;
    assert_eq!(me["name"], "Bo Member");
    assert_eq!(me["email"], "bo@upgrade.test");

    // The member's drive: the tree, its counters, the versions and the trash.
    let root = app.get_ok("/api/v2/folder/0/children", &bo).await;
    assert_eq!(names_of(&root, "folders"), ["Plans"]);
    assert_eq!(names_of(&root, "files"), ["Notes.txt"]);
    let plans = app.get_ok("/api/v2/folder/2/info", &bo).await;
    assert_eq!(plans["size"], 34);
    assert_eq!(plans["item_count"], 1);
    assert_eq!(app.download(&bo, 3).await, BLOBS[0].1);
    assert_eq!(app.download(&bo, 4).await, BLOBS[2].1, "the current version");
    let versions = app.get_ok("/api/v2/file/4/versions", &bo).await;
    assert_eq!(
        versions["file_versions"].as_array().map(Vec::len),
        Some(2),
        "{versions}"
    );
    let trash = app.get_ok("/api/v2/trash/list", &bo).await;
    assert_eq!(names_of(&trash, "files"), ["old.txt"], "{trash}");
    app.post_ok("/api/v2/file/5/restore_from_trash", &bo, &json!({})).await;
    assert_eq!(app.download(&bo, 5).await, BLOBS[0].1);

    // Search indexes what was there before it existed.
    let found = app.get_ok("/api/v2/item/search?query_words=plan", &bo).await;
    assert_eq!(names_of(&found, "files"), ["plan.txt"], "{found}");

    // The organisation and the identity mapping.
    let departments = app.get_ok("/api/v2/user/departments", &bo).await;
    assert_eq!(departments["departments"][0]["name"], "Research", "{departments}");
    let mapped = app
        .get_ok(
            "/api/v2/admin/user/get_user_info?identifier=hr-0002&type=user_ticket&platform_id=1",
            &enterprise,
        )
        .await;
    assert_eq!(mapped["id"], 2, "{mapped}");

    // The callback the app registered before webhooks existed became its subscription.
    let webhook = app.get_ok("/api/v2/admin/app/1/webhook", &enterprise).await;
    assert_eq!(webhook["status"], "active", "{webhook}");

    // The admin signs in to the console with the password set under the first schema.
    let login = app
        .client
        .post(format!("{}/console/login", app.url))
        .header("x-openpan-console", "1")
        .json(&json!({"login": "ada@upgrade.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);

    // New writes take ids after the old ones and count in the old folders.
    let uploaded = app.upload(&bo, 2, "next.txt", b"written after the upgrade").await;
    assert!(uploaded["id"].as_i64().unwrap() > 5, "{uploaded}");
    let plans = app.get_ok("/api/v2/folder/2/info", &bo).await;
    assert_eq!(plans["item_count"], 2);
    assert_eq!(plans["size"], 34 + 25);
    let folder = app.mkdir(&bo, 0, "After").await;
    assert!(folder["id"].as_i64().unwrap() > 6, "{folder}");

    // And the blobs and their counts agree with the metadata.
    let fsck = crate::harness::openpan_command(&app)
        .args(["admin", "fsck", "--json"])
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "fsck after the upgrade: {}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
}

#[tokio::test]
async fn an_older_release_refuses_a_database_that_a_newer_one_has_migrated() {
    let app = TestApp::spawn().await;
    let repo = SqlRepo::connect(&app.config.database_url(), 1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    // An older binary knows only the migrations up to its release; the database has more.
    let refused = repo
        .migrate_through(10)
        .await
        .expect_err("an older schema's migrator refuses");
    assert!(
        refused.to_string().contains("previously applied but is missing"),
        "{refused}"
    );
    // The node that knows them all starts as before.
    repo.migrate().await.expect("the current release migrates nothing more");
}

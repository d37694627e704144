//! Checks on the repository itself: the crate graph only points down, both migration sets
//! match, and the error-code document matches the code.

use std::path::{Path, PathBuf};

use openpan_types::{ErrorCode, Lang};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The `[dependencies]` names of a crate's manifest.
fn dependencies(manifest: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(manifest)).unwrap();
    let value: toml::Value = text.parse().unwrap();
    value
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|table| table.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_crate_graph_only_points_down() {
    let forbidden: &[(&str, &[&str])] = &[
        (
            "libs/openpan-types/Cargo.toml",
            &["openpan-core", "openpan-server", "openpan-db", "axum", "sqlx", "tokio"],
        ),
        (
            "crates/openpan-core/Cargo.toml",
            &[
                "axum",
                "sqlx",
                "sea-query",
                "redis",
                "reqwest",
                "hyper",
                "tower",
                "openpan-types",
                "openpan-db",
            ],
        ),
        (
            "crates/openpan-server/Cargo.toml",
            &[
                "openpan-db",
                "openpan-ratelimit",
                "sqlx",
                "sea-query",
                "redis",
                "governor",
            ],
        ),
        (
            "crates/openpan-db/Cargo.toml",
            &["axum", "openpan-server", "openpan-types", "redis"],
        ),
        (
            "crates/openpan-ratelimit/Cargo.toml",
            &["axum", "openpan-server", "openpan-db", "sqlx"],
        ),
    ];
    for (manifest, banned) in forbidden {
        let deps = dependencies(manifest);
        for name in *banned {
            assert!(
                !deps.iter().any(|dep| dep == name),
                "{manifest} must not depend on {name}"
            );
        }
    }
}

/// The core may use tokio only for its task-local audit scope: no IO, no runtime of its own.
#[test]
fn the_core_takes_no_io_from_tokio() {
    let text = std::fs::read_to_string(root().join("crates/openpan-core/Cargo.toml")).unwrap();
    let value: toml::Value = text.parse().unwrap();
    let Some(tokio) = value.get("dependencies").and_then(|deps| deps.get("tokio")) else {
        return;
    };
    assert_eq!(
        tokio.get("default-features").and_then(toml::Value::as_bool),
        Some(false),
        "openpan-core takes tokio without default features"
    );
    let features: Vec<&str> = tokio
        .get("features")
        .and_then(toml::Value::as_array)
        .map(|features| features.iter().filter_map(toml::Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(features, ["rt"], "openpan-core takes only tokio's task-locals");
}

#[test]
fn both_engines_have_the_same_migrations() {
    let names = |engine: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root().join("crates/openpan-db/migrations").join(engine))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

/// The table in `docs/error-codes.md`, as the code defines it.
fn error_code_table() -> String {
    let mut table = String::from("| code | HTTP status | message (zh) | message (en) |\n|---|---|---|---|\n");
    for code in ErrorCode::ALL {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            code.as_str(),
            code.http_status(),
            code.message(Lang::Zh),
            code.message(Lang::En)
        ));
    }
    table
}

/// Keeps the generated part of a document — from the line starting `begin` to the one
/// starting `end`, or to the end of the file — equal to `generated`; `UPDATE_DOCS=1` rewrites it.
fn keep_generated(document: &str, begin: &str, end: Option<&str>, generated: &str) {
    let path = root().join(document);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let start = text.find(begin).map_or(text.len(), |at| {
        if end.is_some() {
            at + text[at..].find('\n').map_or(0, |line| line + 1)
        } else {
            at
        }
    });
    let stop = end
        .and_then(|end| text[start..].find(end).map(|at| start + at))
        .unwrap_or(text.len());
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{}{generated}{}", &text[..start], &text[stop..])).unwrap();
        return;
    }
    assert_eq!(
        &text[start..stop],
        generated,
        "{document} is stale; rerun with UPDATE_DOCS=1"
    );
}

#[test]
fn the_error_code_document_matches_the_catalogue() {
    keep_generated("docs/error-codes.md", "| code |", None, &error_code_table());
}

#[test]
fn the_permission_document_matches_the_role_matrix() {
    keep_generated(
        "docs/permissions.md",
        "| role |",
        None,
        &openpan_core::collab::matrix_table(),
    );
}

#[test]
fn the_dialect_document_lists_every_auth_service_code() {
    let mut table = String::from("| code | HTTP status | message |\n|---|---|---|\n");
    for code in openpan_types::AuthServiceCode::ALL {
        table.push_str(&format!(
            "| {} | {} | {} |\n",
            code.code(),
            code.http_status(),
            code.message()
        ));
    }
    keep_generated(
        "docs/dialects.md",
        "<!-- auth-service-codes -->",
        Some("<!-- /auth-service-codes -->"),
        &table,
    );
}

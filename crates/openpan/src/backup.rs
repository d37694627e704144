//! `openpan admin backup` and `restore`: a consistent snapshot of the metadata (every table,
//! from one database snapshot, taken while the nodes serve), the blob manifest that snapshot
//! implies, the secret key the data depends on and, with `--blobs`, the blobs themselves.
//!
//! A backup directory holds `tables/*.jsonl`, `blobs.jsonl` (every blob the snapshot records:
//! key, size, and SHA-256 for file contents), `secret.key`, `blobs/` when asked for, and
//! `manifest.json`, written last: a directory without it is not a backup.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};

use openpan_blob::LocalBlobStore;
use openpan_core::blob::{BlobError, BlobStore, DigestTap};
use openpan_db::{SqlRepo, private_dir, private_file, table_file};

use crate::app::{open_blob_store, secret_material, write_private};
use crate::config::Config;

const FORMAT: u64 = 1;

/// A blob the snapshot records.
struct RecordedBlob {
    key: String,
    size: Option<u64>,
    sha256: Option<Vec<u8>>,
}

/// Writes a backup of the configured database (and with `blobs`, its blob store) into `to`,
/// which must be missing or empty.
pub async fn backup(config: &Config, repo: &SqlRepo, to: &Path, blobs: bool) -> anyhow::Result<Value> {
    if to.exists() && std::fs::read_dir(to).map(|mut entries| entries.next().is_some())? {
        bail!("--to: {} is not empty", to.display());
    }
    private_dir(to).with_context(|| format!("--to: cannot create {}", to.display()))?;
    let schema_version = repo.schema_version().await?;
    let tables = repo.export_tables(to).await?;
    let recorded = recorded_blobs(to)?;
    let mut manifest = private_file(&to.join("blobs.jsonl"))?;
    for blob in &recorded {
        let line = json!({"key": blob.key, "size": blob.size, "sha256": blob.sha256.as_ref().map(hex::encode)});
        writeln!(manifest, "{line}")?;
    }
    manifest.sync_all()?;
    let (material, _) = secret_material(config)?;
    write_private(&to.join("secret.key"), &material).context("cannot write the secret key")?;

    let mut copied = None;
    if blobs {
        let source = open_blob_store(config).await?;
        private_dir(&to.join("blobs"))?;
        let target = LocalBlobStore::open(&to.join("blobs")).context("cannot create the blob folder")?;
        copied = Some(copy_blobs(source.as_ref(), &target, &recorded).await?);
    }
    let incomplete = copied
        .as_ref()
        .is_some_and(|c| !c.missing.is_empty() || !c.damaged.is_empty());
    let summary = json!({
        "format": FORMAT,
        "schema_version": schema_version,
        "engine": if config.database_url().starts_with("sqlite:") { "sqlite" } else { "postgres" },
        "tables": tables.iter().map(|t| (t.table.clone(), json!(t.rows))).collect::<serde_json::Map<_, _>>(),
        "blobs": recorded.len(),
        "blobs_included": blobs,
        "blobs_missing": copied.as_ref().map(|c| &c.missing),
        "blobs_damaged": copied.as_ref().map(|c| &c.damaged),
    });
    let path = to.join("manifest.json");
    let mut file = private_file(&path)?;
    file.write_all(serde_json::to_string_pretty(&summary)?.as_bytes())?;
    file.sync_all()?;
    Ok(json!({
        "backup": to.display().to_string(),
        "complete": !incomplete,
        "schema_version": schema_version,
        "tables": tables.len(),
        "rows": tables.iter().map(|t| t.rows).sum::<u64>(),
        "blobs": recorded.len(),
        "blobs_copied": copied.as_ref().map(|c| c.copied),
        "blobs_missing": copied.as_ref().map(|c| c.missing.len()),
        "blobs_damaged": copied.as_ref().map(|c| c.damaged.len()),
    }))
}

/// Loads a backup into the configured database, which must be new (no enterprise yet), and
/// puts its blobs (when it has them) into the configured store.
pub async fn restore(config: &Config, repo: &SqlRepo, from: &Path) -> anyhow::Result<Value> {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(from.join("manifest.json"))
            .with_context(|| format!("--from: {} holds no finished backup (no manifest.json)", from.display()))?,
    )
    .context("--from: manifest.json is damaged")?;
    if manifest["format"] != FORMAT {
        bail!(
            "--from: a backup of format {} (this openpan reads {FORMAT})",
            manifest["format"]
        );
    }
    let version = repo.schema_version().await?;
    if manifest["schema_version"] != version {
        bail!(
            "--from: the backup is of schema {} and this openpan's is {version}; restore with the \
             openpan that made it, then upgrade",
            manifest["schema_version"]
        );
    }
    if !repo.is_empty().await? {
        bail!("restore: the database already holds an enterprise; restore into a new one");
    }
    let backup_key = std::fs::read_to_string(from.join("secret.key")).context("--from: secret.key missing")?;
    let (material, setting) = secret_material(config)?;
    if setting == "data_dir" {
        // Made just now for this empty database: the backup's data needs the backup's key.
        let path = config.data_dir.join("secret.key");
        let fresh = config.data_dir.join("secret.key.restored");
        let _ = std::fs::remove_file(&fresh);
        write_private(&fresh, &backup_key)?;
        std::fs::rename(&fresh, &path)?;
    } else if material.trim() != backup_key.trim() {
        bail!(
            "{setting}: the backup was made with another secret key; set it to the one in {}",
            from.join("secret.key").display()
        );
    }
    // Blobs first: until the tables are in, the database stays new, so an interrupted
    // restore is simply run again (and skips the blobs already copied).
    let recorded = recorded_blobs(from)?;
    let store = open_blob_store(config).await?;
    let mut copied = 0;
    let mut present = None;
    if manifest["blobs_included"] == true {
        let source = LocalBlobStore::open(&from.join("blobs")).context("--from: cannot open its blobs")?;
        let outcome = copy_blobs(&source, store.as_ref(), &recorded).await?;
        if let Some(key) = outcome.damaged.first() {
            bail!("--from: the backup's copy of blob {key} is not what its tables record");
        }
        copied = outcome.copied;
        present = Some(outcome.present);
    }
    let tables: Vec<String> = manifest["tables"]
        .as_object()
        .map(|tables| tables.keys().cloned().collect())
        .unwrap_or_default();
    let loaded = repo.import_tables(from, &tables).await?;
    // The search index followed the database that was; it is built again from this one.
    let search = config.data_dir.join("search");
    if search.exists() {
        std::fs::remove_dir_all(&search).with_context(|| format!("cannot reset {}", search.display()))?;
    }
    // Whatever the store now lacks (blobs kept elsewhere, as in a bucket) is named.
    let present = match present {
        Some(present) => present,
        None => listed(store.as_ref()).await?,
    };
    let missing = recorded.iter().filter(|blob| !present.contains_key(&blob.key)).count();
    Ok(json!({
        "restored": from.display().to_string(),
        "tables": loaded.len(),
        "rows": loaded.iter().map(|t| t.rows).sum::<u64>(),
        "blobs": recorded.len(),
        "blobs_copied": copied,
        "blobs_missing": missing,
    }))
}

/// Every blob the backup's tables record: file contents (with size and hash), conversion
/// results (with size) and profile pictures.
fn recorded_blobs(dir: &Path) -> anyhow::Result<Vec<RecordedBlob>> {
    let mut blobs = Vec::new();
    for row in table_rows(dir, "content_blob")? {
        blobs.push(RecordedBlob {
            key: text(&row, "storage_key")?,
            size: row.get("size").and_then(Value::as_u64),
            sha256: row
                .get("sha256")
                .and_then(|value| value.get("hex"))
                .and_then(Value::as_str)
                .and_then(|hex| hex::decode(hex).ok()),
        });
    }
    for row in table_rows(dir, "conversion")? {
        blobs.push(RecordedBlob {
            key: text(&row, "storage_key")?,
            size: row.get("size").and_then(Value::as_u64),
            sha256: None,
        });
    }
    for row in table_rows(dir, "user_account")? {
        if let Some(key) = row.get("profile_pic_storage_key").and_then(Value::as_str) {
            blobs.push(RecordedBlob {
                key: key.to_owned(),
                size: None,
                sha256: None,
            });
        }
    }
    Ok(blobs)
}

fn text(row: &HashMap<String, Value>, column: &str) -> anyhow::Result<String> {
    row.get(column)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("a row without {column}"))
}

/// A backed-up table's rows as column → value maps.
fn table_rows(dir: &Path, table: &str) -> anyhow::Result<Vec<HashMap<String, Value>>> {
    let path: PathBuf = table_file(dir, table);
    let file = std::fs::File::open(&path).with_context(|| format!("{}", path.display()))?;
    let mut lines = std::io::BufReader::new(file).lines();
    let header: Value = serde_json::from_str(&lines.next().context("an empty table file")??)?;
    let columns: Vec<String> = serde_json::from_value(header["columns"].clone())?;
    let mut rows = Vec::new();
    for line in lines {
        let values: Vec<Value> = serde_json::from_str(&line?)?;
        rows.push(columns.iter().cloned().zip(values).collect());
    }
    Ok(rows)
}

struct Copied {
    copied: u64,
    /// What the target holds afterwards (key and size).
    present: HashMap<String, u64>,
    /// Keys the source lacked, and keys whose bytes were not what the tables record.
    missing: Vec<String>,
    damaged: Vec<String>,
}

/// Copies `blobs` that `to` lacks (or holds at another size) from `from`, checking each copy's
/// size and SHA-256 against the record; running it again carries on where it stopped.
async fn copy_blobs(from: &dyn BlobStore, to: &dyn BlobStore, blobs: &[RecordedBlob]) -> anyhow::Result<Copied> {
    let mut outcome = Copied {
        present: listed(to).await?,
        copied: 0,
        missing: Vec::new(),
        damaged: Vec::new(),
    };
    for blob in blobs {
        if let (Some(size), Some(found)) = (blob.size, outcome.present.get(&blob.key))
            && size == *found
        {
            continue;
        }
        let body = match from.get(&blob.key, None).await {
            Ok(body) => body,
            Err(BlobError::NotFound) => {
                tracing::warn!(storage_key = blob.key, "a recorded blob is missing from the source");
                outcome.missing.push(blob.key.clone());
                continue;
            }
            Err(err) => return Err(err.into()),
        };
        let tap = DigestTap::new(u64::MAX);
        to.put(&blob.key, tap.wrap(body)).await?;
        let digest = tap.finish().await?;
        let size_ok = blob.size.is_none_or(|expected| expected == digest.size);
        let hash_ok = blob
            .sha256
            .as_ref()
            .is_none_or(|expected| expected[..] == digest.sha256);
        if !size_ok || !hash_ok {
            tracing::warn!(
                storage_key = blob.key,
                "a blob's bytes are not what the database records"
            );
            to.delete(&blob.key).await?;
            outcome.damaged.push(blob.key.clone());
            continue;
        }
        outcome.copied += 1;
        outcome.present.insert(blob.key.clone(), digest.size);
    }
    Ok(outcome)
}

/// Every object of a store, with its size.
async fn listed(store: &dyn BlobStore) -> anyhow::Result<HashMap<String, u64>> {
    let mut listing = store.list().await?;
    let mut present = HashMap::new();
    while let Some(object) = listing.next().await {
        let object = object?;
        present.insert(object.key, object.size);
    }
    Ok(present)
}

/// Copies every blob the database records from the configured store into `target` (another
/// storage setting), each checked by size and SHA-256; run again, it copies only what is not
/// there yet. The nodes keep serving from the configured store meanwhile.
pub async fn migrate_storage(config: &Config, repo: &SqlRepo, target: &Config) -> anyhow::Result<Value> {
    use openpan_core::ports::{DriveRepo, StoredReference};
    if config.storage_target()? == target.storage_target()? {
        bail!("--to: that is the store in use");
    }
    let source = open_blob_store(config).await?;
    let destination = open_blob_store(target).await.context("--to")?;
    let mut recorded = Vec::new();
    for (key, reference) in repo.stored_references().await? {
        let (size, sha256) = match reference {
            StoredReference::Content { size, sha256, .. } => (u64::try_from(size).ok(), Some(sha256)),
            StoredReference::Conversion { size } => (u64::try_from(size).ok(), None),
            StoredReference::ProfilePicture => (None, None),
            // A write in progress; the run after the nodes switch copies what it became.
            StoredReference::InFlight => continue,
        };
        recorded.push(RecordedBlob { key, size, sha256 });
    }
    let outcome = copy_blobs(source.as_ref(), destination.as_ref(), &recorded).await?;
    Ok(json!({
        "complete": outcome.missing.is_empty() && outcome.damaged.is_empty(),
        "blobs": recorded.len(),
        "blobs_copied": outcome.copied,
        "blobs_missing": outcome.missing,
        "blobs_damaged": outcome.damaged,
    }))
}

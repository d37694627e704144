//! Blobs as files: `objects/ab/abcdef…`. A put writes `partial/<writer>/<key>.<random>`, fsyncs
//! it, renames it into place and fsyncs the directory, so a blob is either complete and durable
//! or absent, even across `kill -9` or power loss.
//!
//! Several nodes may share the directory (over NFS, or in tests), so a node must not sweep
//! another's writes in flight. Each store holds an exclusive lock on `partial/<writer>/.lock`
//! for its life; the kernel drops it when the process dies, however it dies, so a writer
//! directory whose lock can be taken was left by a crash and goes whole.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures_util::StreamExt;
use std::io::Write as _;

use bytes::Bytes;
use tokio::io::AsyncSeekExt;

use openpan_core::blob::{BlobError, BlobListing, BlobStore, ByteRange, ByteStream, StoredBlob};

use crate::{invalid_key, valid_key};

/// How much a get reads at once.
const IO_CHUNK: usize = 1 << 20;
/// Batches queued for a put's writer thread, and the size of a batch.
const WRITE_QUEUE: usize = 8;
const WRITE_BATCH: usize = 1 << 20;

/// The lock file in a writer's directory of `partial/`.
const WRITER_LOCK: &str = ".lock";

/// Staging directories (`partial/.<id>.new`) older than this were left by a crash mid-claim.
const STAGING_GRACE: Duration = Duration::from_secs(3600);

pub struct LocalBlobStore {
    root: PathBuf,
    /// This store's own directory under `partial/`, claimed at its first write, so a store
    /// only read (admin commands, a backup's blobs) leaves nothing behind.
    writer: std::sync::Mutex<Option<Writer>>,
}

struct Writer {
    dir: PathBuf,
    /// Held (locked) while the store lives.
    _lock: std::fs::File,
}

impl LocalBlobStore {
    /// A store under `root`, creating its directories.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root.join("objects"))?;
        Ok(Self {
            root: root.to_owned(),
            writer: std::sync::Mutex::new(None),
        })
    }

    /// This store's writer directory, claimed (again, should it have gone) when needed.
    fn writing_dir(&self) -> io::Result<PathBuf> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| io::Error::other("writer lock poisoned"))?;
        if let Some(held) = writer.as_ref()
            && held.dir.is_dir()
        {
            return Ok(held.dir.clone());
        }
        let claimed = claim_writer(&self.root.join("partial"))?;
        let dir = claimed.dir.clone();
        *writer = Some(claimed);
        Ok(dir)
    }

    fn object_path(&self, key: &str) -> PathBuf {
        self.root.join("objects").join(&key[..2]).join(key)
    }
}

/// What the writer thread of a put receives.
enum Write {
    Chunks(Vec<Bytes>),
    /// The body ended well: make the file durable and put it in place.
    End,
}

/// Writes chunks to `partial` as they come, on a blocking thread; on `End` fsyncs it, renames it
/// to `target` and fsyncs the directory. Without `End` (the body failed) it removes `partial`.
fn write_blob(partial: &Path, target: &Path, incoming: flume::Receiver<Write>) -> io::Result<u64> {
    let outcome = (|| {
        let mut file = std::fs::File::create(partial)?;
        let mut written = 0u64;
        loop {
            match incoming.recv() {
                Ok(Write::Chunks(chunks)) => {
                    for chunk in chunks {
                        file.write_all(&chunk)?;
                        written += chunk.len() as u64;
                    }
                }
                Ok(Write::End) => break,
                Err(_) => return Err(io::Error::new(io::ErrorKind::Interrupted, "the body ended early")),
            }
        }
        file.sync_all()?;
        drop(file);
        let dir = target.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        std::fs::rename(partial, target)?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(written)
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(partial);
    }
    outcome
}

/// A new writer directory, locked before it takes its name, so no sweep ever sees it unlocked.
fn claim_writer(partial: &Path) -> io::Result<Writer> {
    let id = format!("{:016x}", rand::random::<u64>());
    let staging = partial.join(format!(".{id}.new"));
    std::fs::create_dir_all(&staging)?;
    let lock = std::fs::File::create(staging.join(WRITER_LOCK))?;
    lock.try_lock().map_err(io::Error::other)?;
    let dir = partial.join(id);
    std::fs::rename(&staging, &dir)?;
    Ok(Writer { dir, _lock: lock })
}

/// See [`BlobStore::sweep_partial`]: whole directories of writers that are gone, and old files of
/// live ones (and loose files, from the layout before writer directories).
fn sweep_partial_dir(dir: &Path, older_than_secs: u64) -> io::Result<u64> {
    // File ages come from the file system's clock, so the system clock is the right one here.
    #[allow(clippy::disallowed_methods)]
    let now = SystemTime::now();
    let cutoff = now
        .checked_sub(Duration::from_secs(older_than_secs))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let is_old = |path: &Path, cutoff: SystemTime| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified <= cutoff)
    };
    let mut removed = 0;
    let entries = match std::fs::read_dir(dir) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(0),
        entries => entries?,
    };
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            if is_old(&path, cutoff) && remove_if_there(&path)? {
                removed += 1;
            }
            continue;
        }
        let staging = path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'));
        let gone = if staging {
            // A writer being claimed; only a crash mid-claim leaves one for long.
            is_old(&path, now.checked_sub(STAGING_GRACE).unwrap_or(SystemTime::UNIX_EPOCH))
        } else {
            writer_is_gone(&path)?
        };
        // Another node's sweep may remove the directory meanwhile.
        let files = match std::fs::read_dir(&path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            files => files?,
        };
        for file in files {
            let file = file?.path();
            if file.file_name().is_some_and(|name| name == WRITER_LOCK) {
                continue;
            }
            if (gone || is_old(&file, cutoff)) && remove_if_there(&file)? {
                removed += 1;
            }
        }
        if gone {
            match std::fs::remove_dir_all(&path) {
                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
        }
    }
    Ok(removed)
}

/// Whether the writer that owns `dir` is gone: its lock can be taken (or the directory went).
/// A lock this process may not open (another user's) counts as held.
fn writer_is_gone(dir: &Path) -> io::Result<bool> {
    let lock = match std::fs::File::open(dir.join(WRITER_LOCK)) {
        Ok(lock) => lock,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(!dir.exists()),
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
            tracing::warn!(dir = %dir.display(), "cannot open a writer's lock; its partial writes are left");
            return Ok(false);
        }
        Err(err) => return Err(err),
    };
    match lock.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(err)) => Err(err),
    }
}

/// Sends every object under `objects/<ab>/` to `found`; stops early when nobody listens.
fn walk_objects(objects: &Path, found: &flume::Sender<Result<StoredBlob, BlobError>>) -> io::Result<()> {
    for shard in std::fs::read_dir(objects)? {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(shard.path())? {
            let file = file?;
            let Some(key) = file.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let meta = match file.metadata() {
                Ok(meta) if meta.is_file() => meta,
                Ok(_) => continue,
                // Deleted since the directory was read.
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            let modified_at = meta
                .modified()?
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |age| age.as_secs() as i64);
            let entry = StoredBlob {
                key,
                size: meta.len(),
                modified_at,
            };
            if found.send(Ok(entry)).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn remove_if_there(path: &Path) -> io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

fn store(err: io::Error) -> BlobError {
    BlobError::Store(Box::new(err))
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn put(&self, key: &str, mut body: ByteStream) -> Result<u64, BlobError> {
        if !valid_key(key) {
            return Err(invalid_key(key));
        }
        let partial = self
            .writing_dir()
            .map_err(store)?
            .join(format!("{key}.{:016x}", rand::random::<u64>()));
        let target = self.object_path(key);
        // The disk work runs on its own thread, fed through a short queue, so writing overlaps
        // with receiving (and hashing) the next chunks.
        let (chunks, incoming) = flume::bounded(WRITE_QUEUE);
        let writer = tokio::task::spawn_blocking(move || write_blob(&partial, &target, incoming));
        let mut failure = None;
        // Chunks go over in batches of about a megabyte, so the writer wakes per batch.
        let mut batch = Vec::new();
        let mut batch_len = 0;
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => {
                    batch_len += chunk.len();
                    batch.push(chunk);
                    if batch_len >= WRITE_BATCH {
                        batch_len = 0;
                        if chunks
                            .send_async(Write::Chunks(std::mem::take(&mut batch)))
                            .await
                            .is_err()
                        {
                            break; // the writer failed; its error is reported below
                        }
                    }
                }
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        if failure.is_none() {
            let _ = chunks.send_async(Write::Chunks(batch)).await;
            let _ = chunks.send_async(Write::End).await;
        }
        drop(chunks);
        let written = writer.await.map_err(|err| BlobError::Store(Box::new(err)))?;
        match (failure, written) {
            (Some(err), _) => Err(BlobError::Body(err)),
            (None, Ok(written)) => Ok(written),
            (None, Err(err)) => Err(store(err)),
        }
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        if !valid_key(key) {
            return Err(invalid_key(key));
        }
        let mut file = match tokio::fs::File::open(self.object_path(key)).await {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(BlobError::NotFound),
            Err(err) => return Err(store(err)),
        };
        let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = match range {
            None => Box::new(file),
            Some(range) => {
                file.seek(io::SeekFrom::Start(range.first)).await.map_err(store)?;
                Box::new(tokio::io::AsyncReadExt::take(file, range.len()))
            }
        };
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(reader, IO_CHUNK)))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        if !valid_key(key) {
            return Err(invalid_key(key));
        }
        match tokio::fs::remove_file(self.object_path(key)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(store(err)),
        }
    }

    /// Removes every partial write of a writer that is gone, and those of live writers not
    /// touched for `older_than_secs`.
    async fn sweep_partial(&self, older_than_secs: u64) -> Result<u64, BlobError> {
        let dir = self.root.join("partial");
        tokio::task::spawn_blocking(move || sweep_partial_dir(&dir, older_than_secs))
            .await
            .map_err(|err| BlobError::Store(Box::new(err)))?
            .map_err(store)
    }

    async fn is_healthy(&self) -> bool {
        tokio::fs::metadata(self.root.join("objects")).await.is_ok()
    }

    async fn list(&self) -> Result<BlobListing, BlobError> {
        let objects = self.root.join("objects");
        // The walk runs on a blocking thread and hands entries over a short queue, so a store
        // of millions of files is never listed into memory.
        let (found, listing) = flume::bounded(1024);
        tokio::task::spawn_blocking(move || {
            if let Err(err) = walk_objects(&objects, &found) {
                let _ = found.send(Err(store(err)));
            }
        });
        Ok(Box::pin(listing.into_stream()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_store_meets_the_blob_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        openpan_core::blob::contract::check(&store).await;
    }

    #[tokio::test]
    async fn a_failed_put_leaves_no_partial_file_and_old_partials_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        let broken: ByteStream = Box::pin(futures_util::stream::iter(vec![Err(io::Error::other("gone"))]));
        assert!(store.put("0123456789abcdef", broken).await.is_err());
        assert_eq!(partial_files(dir.path()), 0);

        std::fs::write(
            store.writing_dir().unwrap().join("deadbeef00.1"),
            b"left by a failed sweep",
        )
        .unwrap();
        assert_eq!(store.sweep_partial(3600).await.unwrap(), 0, "young partials stay");
        assert_eq!(store.sweep_partial(0).await.unwrap(), 1);
        assert_eq!(partial_files(dir.path()), 0);
    }

    fn partial_files(root: &Path) -> usize {
        std::fs::read_dir(root.join("partial"))
            .unwrap()
            .flat_map(|writer| std::fs::read_dir(writer.unwrap().path()).unwrap())
            .filter(|file| file.as_ref().unwrap().file_name() != WRITER_LOCK)
            .count()
    }

    #[tokio::test]
    async fn a_store_sharing_the_directory_sweeps_a_dead_writers_partials_but_never_a_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let live = LocalBlobStore::open(dir.path()).unwrap();
        std::fs::write(live.writing_dir().unwrap().join("aa00.1"), b"in flight").unwrap();
        let dead = dir.path().join("partial/00000000000000de");
        std::fs::create_dir_all(&dead).unwrap();
        std::fs::write(dead.join(WRITER_LOCK), b"").unwrap();
        std::fs::write(dead.join("bb00.1"), b"left by kill -9").unwrap();
        std::fs::write(dead.join("bb00.2"), b"left by kill -9").unwrap();

        let starting = LocalBlobStore::open(dir.path()).unwrap();
        assert_eq!(
            starting.sweep_partial(3600).await.unwrap(),
            2,
            "the dead writer's two files"
        );
        assert!(!dead.exists());
        assert!(
            live.writing_dir().unwrap().join("aa00.1").exists(),
            "a live writer's upload is left alone"
        );
        drop(live);
        assert_eq!(starting.sweep_partial(3600).await.unwrap(), 1, "its writer is gone now");
        assert_eq!(partial_files(dir.path()), 0);
    }

    #[tokio::test]
    async fn keys_that_are_not_hex_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::open(dir.path()).unwrap();
        for key in ["../../etc/passwd", "ABCDEF0123", "abc"] {
            assert!(store.get(key, None).await.is_err(), "{key}");
        }
    }
}

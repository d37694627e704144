//! Blobs as files: `objects/ab/abcdef…`. A put writes `partial/<key>.<random>`, fsyncs it,
//! renames it into place and fsyncs the directory, so a blob is either complete and durable or
//! absent, even across `kill -9` or power loss; the collector sweeps what a crash left in
//! `partial/`.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures_util::StreamExt;
use std::io::Write as _;

use bytes::Bytes;
use tokio::io::AsyncSeekExt;

use openpan_core::blob::{BlobError, BlobStore, ByteRange, ByteStream};

use crate::{invalid_key, valid_key};

/// How much a get reads at once.
const IO_CHUNK: usize = 1 << 20;
/// Batches queued for a put's writer thread, and the size of a batch.
const WRITE_QUEUE: usize = 8;
const WRITE_BATCH: usize = 1 << 20;

pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// A store under `root`, creating its directories.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root.join("objects"))?;
        std::fs::create_dir_all(root.join("partial"))?;
        Ok(Self { root: root.to_owned() })
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
            .root
            .join("partial")
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

    async fn sweep_partial(&self, older_than_secs: u64) -> Result<u64, BlobError> {
        let dir = self.root.join("partial");
        let mut entries = tokio::fs::read_dir(&dir).await.map_err(store)?;
        // File ages come from the file system's clock, so the system clock is the right one here.
        #[allow(clippy::disallowed_methods)]
        let now = SystemTime::now();
        let cutoff = now
            .checked_sub(Duration::from_secs(older_than_secs))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await.map_err(store)? {
            let modified = entry.metadata().await.and_then(|meta| meta.modified());
            if modified.is_ok_and(|modified| modified <= cutoff) {
                match tokio::fs::remove_file(entry.path()).await {
                    Ok(()) => removed += 1,
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => return Err(store(err)),
                }
            }
        }
        Ok(removed)
    }

    async fn is_healthy(&self) -> bool {
        tokio::fs::metadata(self.root.join("objects")).await.is_ok()
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
        assert_eq!(std::fs::read_dir(dir.path().join("partial")).unwrap().count(), 0);

        std::fs::write(dir.path().join("partial/deadbeef00.1"), b"left by a crash").unwrap();
        assert_eq!(store.sweep_partial(3600).await.unwrap(), 0, "young partials stay");
        assert_eq!(store.sweep_partial(0).await.unwrap(), 1);
        assert_eq!(std::fs::read_dir(dir.path().join("partial")).unwrap().count(), 0);
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

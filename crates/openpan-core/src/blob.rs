//! The blob store port: where file bytes live (local disk or S3), addressed by an opaque key.
//! Deduplication by content (SHA-256) happens in the metadata, so a store only needs to put,
//! get and delete whole objects.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A stream of bytes, as uploads arrive and downloads leave.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no blob under this key")]
    NotFound,
    /// The bytes being stored stopped coming (client went away, truncated body, limit hit).
    #[error("the body being stored failed: {0}")]
    Body(#[source] io::Error),
    #[error("blob store failure: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Inclusive byte range `first..=last` of a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    pub fn len(self) -> u64 {
        self.last - self.first + 1
    }

    pub fn is_empty(self) -> bool {
        false
    }
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A short name for logs and `/readyz` (`local`, `s3`).
    fn name(&self) -> &'static str;
    /// Stores `body` under `key`. The object becomes readable only complete and durable; when
    /// `put` fails, nothing is readable under `key`.
    async fn put(&self, key: &str, body: ByteStream) -> Result<u64, BlobError>;
    /// The object's bytes, or the given range of them (checked against the size by the caller).
    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ByteStream, BlobError>;
    /// Removes the object; removing a missing object succeeds.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Removes partial writes older than `older_than_secs` that a crash left behind; returns how
    /// many went.
    async fn sweep_partial(&self, older_than_secs: u64) -> Result<u64, BlobError>;
    /// Whether the store answers.
    async fn is_healthy(&self) -> bool;
    /// Every complete object, in no particular order (for `openpan admin fsck`).
    async fn list(&self) -> Result<BlobListing, BlobError>;
}

/// One object as a store's listing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub key: String,
    pub size: u64,
    /// Unix seconds of its last write, as the store keeps it.
    pub modified_at: i64,
}

/// A store's objects, streamed so that a store of millions is never in memory at once.
pub type BlobListing = Pin<Box<dyn Stream<Item = Result<StoredBlob, BlobError>> + Send + 'static>>;

/// The digests and length of bytes that went through a [`DigestTap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDigest {
    pub sha256: [u8; 32],
    pub sha1_hex: String,
    pub size: u64,
}

/// Chunks queued per hashing thread before the upload waits for it.
const TAP_QUEUE: usize = 8;
/// How many bytes of chunks are handed to the hashing threads at once: they are woken per
/// megabyte, not per network read, without copying the chunks.
pub const TAP_BATCH: usize = 1 << 20;

/// What a hashing thread computes.
trait Hasher: Send + 'static {
    fn update(&mut self, bytes: &[u8]);
}

impl Hasher for Sha256 {
    fn update(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

impl Hasher for Sha1 {
    fn update(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

/// A thread that folds chunks into `hasher` and hands it back when the chunks end.
fn hashing_thread<H: Hasher>(mut hasher: H) -> (flume::Sender<Batch>, flume::Receiver<H>) {
    let (batches, incoming) = flume::bounded::<Batch>(TAP_QUEUE);
    let (done, result) = flume::bounded(1);
    std::thread::spawn(move || {
        while let Ok(batch) = incoming.recv() {
            for chunk in batch.iter() {
                hasher.update(chunk);
            }
        }
        let _ = done.send(hasher);
    });
    (batches, result)
}

/// Chunks handed to the hashing threads together.
type Batch = Arc<Vec<Bytes>>;

struct TapState {
    size: u64,
    over_limit: bool,
    pending: Vec<Bytes>,
    pending_len: usize,
    sha256: Option<flume::Sender<Batch>>,
    sha1: Option<flume::Sender<Batch>>,
}

impl TapState {
    /// The pending chunks as a batch, with the senders to give it to.
    fn take_batch(&mut self) -> Option<(Batch, [Option<flume::Sender<Batch>>; 2])> {
        if self.pending.is_empty() {
            return None;
        }
        self.pending_len = 0;
        let batch = Arc::new(std::mem::take(&mut self.pending));
        Some((batch, [self.sha256.clone(), self.sha1.clone()]))
    }
}

async fn hand_over(batch: Batch, senders: [Option<flume::Sender<Batch>>; 2]) -> io::Result<()> {
    for sender in senders.into_iter().flatten() {
        sender
            .send_async(batch.clone())
            .await
            .map_err(|_| io::Error::other("a hashing thread stopped"))?;
    }
    Ok(())
}

/// Hashes (SHA-256 and SHA-1, each on its own thread, so they run beside each other and the
/// write) and counts a stream as it passes, and cuts it off past `limit` bytes.
#[derive(Clone)]
pub struct DigestTap {
    state: Arc<Mutex<TapState>>,
    sha256_result: flume::Receiver<Sha256>,
    sha1_result: flume::Receiver<Sha1>,
    limit: u64,
}

impl DigestTap {
    pub fn new(limit: u64) -> Self {
        let (sha256, sha256_result) = hashing_thread(Sha256::new());
        let (sha1, sha1_result) = hashing_thread(Sha1::new());
        Self {
            state: Arc::new(Mutex::new(TapState {
                size: 0,
                over_limit: false,
                pending: Vec::new(),
                pending_len: 0,
                sha256: Some(sha256),
                sha1: Some(sha1),
            })),
            sha256_result,
            sha1_result,
            limit,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TapState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `body`, observed by this tap.
    pub fn wrap(&self, body: ByteStream) -> ByteStream {
        let tap = self.clone();
        Box::pin(body.then(move |chunk| {
            let tap = tap.clone();
            async move {
                let chunk = chunk?;
                let batch = {
                    let mut state = tap.lock();
                    state.size += chunk.len() as u64;
                    if state.size > tap.limit {
                        state.over_limit = true;
                        return Err(io::Error::other("the body is larger than allowed"));
                    }
                    state.pending_len += chunk.len();
                    state.pending.push(chunk.clone());
                    if state.pending_len >= TAP_BATCH {
                        state.take_batch()
                    } else {
                        None
                    }
                };
                if let Some((batch, senders)) = batch {
                    hand_over(batch, senders).await?;
                }
                Ok(chunk)
            }
        }))
    }

    /// Whether the stream was cut off for passing the limit.
    pub fn over_limit(&self) -> bool {
        self.lock().over_limit
    }

    /// The digests of everything that passed; ends the hashing threads.
    pub async fn finish(&self) -> io::Result<ContentDigest> {
        let (size, last) = {
            let mut state = self.lock();
            let last = state.take_batch();
            state.sha256 = None;
            state.sha1 = None;
            (state.size, last)
        };
        if let Some((batch, senders)) = last {
            hand_over(batch, senders).await?;
        }
        let gone = |_| io::Error::other("a hashing thread stopped");
        let sha256 = self.sha256_result.recv_async().await.map_err(gone)?;
        let sha1 = self.sha1_result.recv_async().await.map_err(gone)?;
        Ok(ContentDigest {
            sha256: sha256.finalize().into(),
            sha1_hex: hex::encode(sha1.finalize()),
            size,
        })
    }
}

/// Runs the contract every [`BlobStore`] must meet; the adapters' tests call it with a store.
pub mod contract {
    use super::*;

    fn body(parts: &[&'static [u8]]) -> ByteStream {
        let parts: Vec<io::Result<Bytes>> = parts.iter().map(|part| Ok(Bytes::from_static(part))).collect();
        Box::pin(futures_util::stream::iter(parts))
    }

    async fn read_all(store: &dyn BlobStore, key: &str, range: Option<ByteRange>) -> Vec<u8> {
        let mut stream = store.get(key, range).await.expect("get");
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk.expect("chunk"));
        }
        out
    }

    /// Panics with a message naming the first broken promise.
    pub async fn check(store: &dyn BlobStore) {
        let key = crate::secrets::random_hex(16);
        let written = store.put(&key, body(&[b"hello ", b"", b"world"])).await.expect("put");
        assert_eq!(written, 11, "put returns the length");
        assert_eq!(
            read_all(store, &key, None).await,
            b"hello world",
            "get returns what was put"
        );
        let range = ByteRange { first: 6, last: 10 };
        assert_eq!(
            read_all(store, &key, Some(range)).await,
            b"world",
            "get honours a range"
        );
        let range = ByteRange { first: 0, last: 0 };
        assert_eq!(read_all(store, &key, Some(range)).await, b"h", "a one-byte range");

        let empty = crate::secrets::random_hex(16);
        assert_eq!(store.put(&empty, body(&[])).await.expect("put empty"), 0);
        assert_eq!(
            read_all(store, &empty, None).await,
            b"",
            "an empty blob reads back empty"
        );

        let failed = crate::secrets::random_hex(16);
        let broken: ByteStream = Box::pin(futures_util::stream::iter(vec![
            Ok(Bytes::from_static(b"partial")),
            Err(io::Error::other("client went away")),
        ]));
        assert!(
            matches!(store.put(&failed, broken).await, Err(BlobError::Body(_))),
            "a failing body fails the put as a body error"
        );
        assert!(
            matches!(store.get(&failed, None).await, Err(BlobError::NotFound)),
            "a failed put leaves nothing readable"
        );

        let mut listing = store.list().await.expect("list");
        let mut listed = std::collections::HashMap::new();
        while let Some(entry) = listing.next().await {
            let entry = entry.expect("a listed object");
            listed.insert(entry.key.clone(), entry);
        }
        assert_eq!(
            listed.get(&key).map(|entry| entry.size),
            Some(11),
            "the listing has each object and its size"
        );
        assert_eq!(listed.get(&empty).map(|entry| entry.size), Some(0), "and empty ones");
        assert!(
            listed.get(&key).is_some_and(|entry| entry.modified_at > 1_600_000_000),
            "and when each was written"
        );
        assert!(!listed.contains_key(&failed), "a failed put is not listed");

        store.delete(&key).await.expect("delete");
        assert!(
            matches!(store.get(&key, None).await, Err(BlobError::NotFound)),
            "a deleted blob is gone"
        );
        store.delete(&key).await.expect("deleting a missing blob succeeds");
        store.delete(&empty).await.expect("delete empty");
        assert!(store.is_healthy().await, "the store reports healthy");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn the_tap_hashes_counts_and_cuts_off_past_the_limit() {
        let tap = DigestTap::new(5);
        let chunks: Vec<io::Result<Bytes>> = vec![Ok(Bytes::from_static(b"abc"))];
        let mut stream = tap.wrap(Box::pin(futures_util::stream::iter(chunks)));
        while stream.next().await.is_some() {}
        drop(stream);
        let digest = tap.finish().await.unwrap();
        assert_eq!(digest.size, 3);
        assert_eq!(digest.sha1_hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            hex::encode(digest.sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );

        let tap = DigestTap::new(5);
        let chunks: Vec<io::Result<Bytes>> = vec![Ok(Bytes::from_static(b"abc")), Ok(Bytes::from_static(b"def"))];
        let results: Vec<_> = tap.wrap(Box::pin(futures_util::stream::iter(chunks))).collect().await;
        assert!(results[1].is_err());
        assert!(tap.over_limit());
    }
}

//! Blobs as S3 objects under `<prefix>/objects/<key>`, through OpenDAL. A put is a multipart
//! upload that only becomes an object when completed, and is aborted on failure, so a failed
//! put leaves nothing readable; parts an unclean stop leaves behind are the bucket's
//! lifecycle rule's business (`AbortIncompleteMultipartUpload`).

use async_trait::async_trait;
use futures_util::StreamExt;
use opendal::{ErrorKind, Operator};

use openpan_core::blob::{BlobError, BlobListing, BlobStore, ByteRange, ByteStream, StoredBlob};

use crate::{invalid_key, valid_key};

/// Part size of multipart uploads: S3's minimum is 5 MiB.
const PART_SIZE: usize = 8 << 20;

/// Where the bucket is and how to sign for it.
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    pub bucket: String,
    /// Key prefix inside the bucket (may be empty).
    pub prefix: String,
    /// `https://s3.<region>.amazonaws.com`, or any S3-compatible server.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `bucket.host` addressing instead of `host/bucket`.
    pub virtual_host_style: bool,
}

pub struct S3BlobStore {
    operator: Operator,
}

fn store(err: opendal::Error) -> BlobError {
    if err.kind() == ErrorKind::NotFound {
        BlobError::NotFound
    } else {
        BlobError::Store(Box::new(err))
    }
}

impl S3BlobStore {
    pub fn new(settings: &S3Settings) -> Result<Self, BlobError> {
        // OpenDAL sends HTTP through a process-wide transport; the first install wins.
        opendal_http_transport_reqwest::install_default();
        let mut builder = opendal::services::S3::default()
            .bucket(&settings.bucket)
            .root(&format!("/{}", settings.prefix.trim_matches('/')))
            .region(settings.region.as_deref().unwrap_or("us-east-1"))
            // Credentials come from the settings only, never from ambient files or instance
            // metadata a test or a neighbour could have left around.
            .disable_config_load()
            .disable_ec2_metadata();
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.endpoint(endpoint);
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.secret_access_key(secret);
        }
        if settings.virtual_host_style {
            builder = builder.enable_virtual_host_style();
        }
        let operator = Operator::new(builder).map_err(store)?;
        Ok(Self { operator })
    }

    fn path(key: &str) -> String {
        format!("objects/{key}")
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn name(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &str, mut body: ByteStream) -> Result<u64, BlobError> {
        if !valid_key(key) {
            return Err(invalid_key(key));
        }
        let mut writer = self
            .operator
            .writer_with(&Self::path(key))
            .chunk(PART_SIZE)
            .await
            .map_err(store)?;
        let mut written = 0u64;
        let outcome = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(BlobError::Body)?;
                written += chunk.len() as u64;
                writer.write(chunk).await.map_err(store)?;
            }
            writer.close().await.map_err(store)?;
            Ok(())
        }
        .await;
        if let Err(err) = outcome {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "could not abort a failed S3 upload");
            }
            return Err(err);
        }
        Ok(written)
    }

    async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        if !valid_key(key) {
            return Err(invalid_key(key));
        }
        let path = Self::path(key);
        // Ask first: a missing object must answer NotFound now, not as a failing stream later.
        self.operator.stat(&path).await.map_err(store)?;
        let reader = self.operator.reader_with(&path).chunk(PART_SIZE).await.map_err(store)?;
        let stream = match range {
            Some(range) => reader.into_bytes_stream(range.first..=range.last).await,
            None => reader.into_bytes_stream(..).await,
        }
        .map_err(store)?;
        Ok(Box::pin(stream))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        if !valid_key(key) {
            return Err(invalid_key(key));
        }
        match self.operator.delete(&Self::path(key)).await {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            Err(err) => Err(store(err)),
        }
    }

    async fn list(&self) -> Result<BlobListing, BlobError> {
        let lister = self
            .operator
            .lister_with("objects/")
            .recursive(true)
            .await
            .map_err(store)?;
        let listing = lister.filter_map(|entry| async move {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => return Some(Err(store(err))),
            };
            let key = entry.path().strip_prefix("objects/")?;
            if key.is_empty() || key.ends_with('/') {
                return None;
            }
            let meta = entry.metadata();
            let modified_at = meta.last_modified().map_or(0, |at| at.into_inner().as_second());
            Some(Ok(StoredBlob {
                key: key.to_owned(),
                size: meta.content_length(),
                modified_at,
            }))
        });
        Ok(Box::pin(listing))
    }

    async fn sweep_partial(&self, _older_than_secs: u64) -> Result<u64, BlobError> {
        // Unfinished multipart uploads are invisible and expire by the bucket's lifecycle rule.
        Ok(0)
    }

    async fn is_healthy(&self) -> bool {
        self.operator.check().await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs against the S3 server `OPENPAN_TEST_S3_ENDPOINT` names (CI starts one).
    #[tokio::test]
    async fn the_s3_store_meets_the_blob_contract() {
        let Some(settings) = test_settings() else {
            eprintln!("OPENPAN_TEST_S3_ENDPOINT not set; skipping");
            return;
        };
        let store = S3BlobStore::new(&settings).unwrap();
        openpan_core::blob::contract::check(&store).await;
    }

    fn test_settings() -> Option<S3Settings> {
        let endpoint = std::env::var("OPENPAN_TEST_S3_ENDPOINT").ok()?;
        Some(S3Settings {
            bucket: std::env::var("OPENPAN_TEST_S3_BUCKET").unwrap_or_else(|_| "openpan-test".to_owned()),
            prefix: format!("contract-{:08x}", rand::random::<u32>()),
            endpoint: Some(endpoint),
            region: Some("us-east-1".to_owned()),
            access_key_id: std::env::var("OPENPAN_TEST_S3_ACCESS_KEY").ok(),
            secret_access_key: std::env::var("OPENPAN_TEST_S3_SECRET_KEY").ok(),
            virtual_host_style: false,
        })
    }
}

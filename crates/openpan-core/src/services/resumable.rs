//! Resumable uploads, beyond the platform document: a session of fixed-size parts, each PUT
//! on its own (any order, retried at will, checked against a SHA-256 the client may send),
//! then one commit that streams the parts into a single blob and the file. A dropped
//! connection costs one part, not the file.

use futures_util::{StreamExt, TryStreamExt};

use crate::auth::Principal;
use crate::blob::{BlobError, ByteStream, DigestTap};
use crate::error::{Error, NotFoundKind, Result};
use crate::ports::UploadPart;
use crate::secrets::random_hex;
use crate::services::Core;
use crate::services::drive::ItemDetail;
use crate::services::transfer::{UploadRequest, UploadTicket, blob_failure};

/// How long a resumable session accepts parts.
pub const RESUMABLE_TTL_SECS: i64 = 24 * 3600;
pub const DEFAULT_PART_SIZE: i64 = 8 << 20;
pub const MIN_PART_SIZE: i64 = 1 << 20;
pub const MAX_PART_SIZE: i64 = 256 << 20;
pub const MAX_PARTS: i64 = 10_000;

/// A resumable session as its client sees it.
#[derive(Debug, Clone)]
pub struct ResumableUpload {
    pub upload_id: String,
    pub name: String,
    pub size: i64,
    pub part_size: i64,
    pub part_count: i64,
    pub expires_at: i64,
    /// The parts received so far, by number.
    pub parts: Vec<UploadPart>,
}

fn part_count(size: i64, part_size: i64) -> i64 {
    if size == 0 {
        1
    } else {
        (size + part_size - 1) / part_size
    }
}

impl Core {
    /// Opens a resumable session for `request` (which must declare `file_size`).
    pub async fn start_resumable_upload(
        &self,
        principal: &Principal,
        request: UploadRequest,
        part_size: Option<i64>,
    ) -> Result<(UploadTicket, ResumableUpload)> {
        let size = request
            .declared_size
            .ok_or_else(|| Error::invalid("file_size", "断点续传需要文件大小"))?;
        if !(0..=MAX_PART_SIZE * MAX_PARTS).contains(&size) {
            return Err(Error::invalid("file_size", "必须在0到2.5TiB之间"));
        }
        let part_size = part_size.unwrap_or(DEFAULT_PART_SIZE);
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
            return Err(Error::invalid("part_size", "必须在1MiB到256MiB之间"));
        }
        if part_count(size, part_size) > MAX_PARTS {
            return Err(Error::invalid("part_size", "分片数不能超过10000,请调大分片"));
        }
        let ticket = self
            .issue_upload(principal, request, Some(part_size), RESUMABLE_TTL_SECS)
            .await?;
        let status = self.resumable_status(&ticket.upload_id, &ticket.secret).await?;
        Ok((ticket, status))
    }

    /// What the session holds, for a client resuming after a break.
    pub async fn resumable_status(&self, upload_id: &str, secret: &str) -> Result<ResumableUpload> {
        let session = self.open_session(upload_id, secret).await?;
        let (size, part_size) = match (session.declared_size, session.part_size) {
            (Some(size), Some(part_size)) => (size, part_size),
            _ => return Err(Error::not_found(NotFoundKind::Link)),
        };
        let parts = self.repo.list_upload_parts(upload_id).await?;
        Ok(ResumableUpload {
            upload_id: session.upload_id,
            name: session.name,
            size,
            part_size,
            part_count: part_count(size, part_size),
            expires_at: session.expires_at,
            parts,
        })
    }

    /// Stores part `number` (1-based); a part sent again replaces the earlier copy.
    pub async fn put_part(
        &self,
        upload_id: &str,
        secret: &str,
        number: i64,
        expect_sha256: Option<[u8; 32]>,
        body: ByteStream,
    ) -> Result<UploadPart> {
        let status = self.resumable_status(upload_id, secret).await?;
        if !(1..=status.part_count).contains(&number) {
            return Err(Error::invalid(
                "part_number",
                format!("必须在1到{}之间", status.part_count),
            ));
        }
        let expected_len = if number < status.part_count {
            status.part_size
        } else {
            status.size - status.part_size * (status.part_count - 1)
        };
        let tap = DigestTap::new(expected_len as u64);
        let storage_key = random_hex(16);
        match self.blobs.put(&storage_key, tap.wrap(body)).await {
            Ok(_) => {}
            Err(BlobError::Body(_)) if tap.over_limit() => {
                return Err(Error::invalid("part", format!("分片应为{expected_len}字节")));
            }
            Err(BlobError::Body(err)) => return Err(Error::invalid("part", format!("分片内容不完整: {err}"))),
            Err(err) => return Err(blob_failure(err)),
        }
        // From here on the part's bytes are stored: every refusal lets go of them.
        let digest = match tap.finish().await {
            Ok(digest) => digest,
            Err(err) => {
                self.forget_blob(&storage_key).await;
                return Err(Error::Internal(Box::new(err)));
            }
        };
        let refusal = if digest.size != expected_len as u64 {
            Some(Error::invalid(
                "part",
                format!("分片应为{expected_len}字节,收到{}字节", digest.size),
            ))
        } else if expect_sha256.is_some_and(|expected| expected != digest.sha256) {
            Some(Error::invalid("Content-SHA256", "与分片内容的SHA-256不一致"))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            self.forget_blob(&storage_key).await;
            return Err(refusal);
        }
        let part = UploadPart {
            number: number as i32,
            storage_key: storage_key.clone(),
            size: expected_len,
            sha256: digest.sha256.to_vec(),
            created_at: self.clock.now(),
        };
        let recorded = match self.repo.put_upload_part(upload_id, part.clone()).await {
            Ok(recorded) => recorded,
            Err(err) => {
                self.forget_blob(&storage_key).await;
                return Err(err.into());
            }
        };
        match recorded {
            None => {
                self.forget_blob(&storage_key).await;
                Err(Error::not_found(NotFoundKind::Link))
            }
            Some(replaced) => {
                if let Some(old) = replaced {
                    self.forget_blob(&old).await;
                }
                Ok(part)
            }
        }
    }

    /// Joins the parts into the file (or new version); `sha1`, when given, must match.
    pub async fn commit_resumable(&self, upload_id: &str, secret: &str, sha1: Option<&str>) -> Result<ItemDetail> {
        let status = self.resumable_status(upload_id, secret).await?;
        let missing: Vec<String> = (1..=status.part_count)
            .filter(|number| !status.parts.iter().any(|part| i64::from(part.number) == *number))
            .take(20)
            .map(|number| number.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::invalid("parts", format!("缺少分片: {}", missing.join(","))));
        }
        let session = self.open_session(upload_id, secret).await?;
        let blobs = self.blobs.clone();
        let keys: Vec<String> = status.parts.iter().map(|part| part.storage_key.clone()).collect();
        let body: ByteStream = Box::pin(
            futures_util::stream::iter(keys)
                .then(move |key| {
                    let blobs = blobs.clone();
                    async move { blobs.get(&key, None).await.map_err(std::io::Error::other) }
                })
                .try_flatten(),
        );
        let detail = self.commit_session(&session, sha1, body).await?;
        for key in self.repo.delete_upload_parts(upload_id).await? {
            self.forget_blob(&key).await;
        }
        Ok(detail)
    }

    /// Gives the session up and deletes its parts.
    pub async fn abort_resumable(&self, upload_id: &str, secret: &str) -> Result<()> {
        self.resumable_status(upload_id, secret).await?;
        for key in self.repo.delete_upload_session(upload_id).await? {
            self.forget_blob(&key).await;
        }
        Ok(())
    }
}

//! Moving bytes: single-request uploads through a presigned URL, resumable uploads part by
//! part, and downloads that continue where an interrupted one stopped.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use openpan_types::{DownloadUrl, File, PresignUrl, ResumableUpload};

use crate::client::Client;
use crate::error::{Error, Result};

/// Where an upload lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadTarget {
    /// A new file in this folder (`0`: the personal root).
    Folder(i64),
    /// A new version of this file.
    NewVersion(i64),
}

/// Reports bytes done so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// The answer of a transfer URL (its credential is in the URL: no token goes with it), or its
/// error.
async fn transfer_answer(sent: reqwest::RequestBuilder) -> Result<reqwest::Response> {
    let response = sent.send().await?;
    if !response.status().is_success() {
        return Err(Error::from_transfer(response).await);
    }
    Ok(response)
}

/// Parts go up to this many times before the upload gives up.
const PART_ATTEMPTS: u32 = 4;

/// Before attempt `n + 1`: one second, then two, then four.
fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_secs(1 << (attempt - 1).min(4))
}

impl Client {
    /// Uploads `body` (bytes or a stream) in one request: asks for a presigned URL and posts
    /// the multipart form the platform document describes.
    pub async fn upload(&self, target: UploadTarget, name: &str, body: impl Into<reqwest::Body>) -> Result<File> {
        let presign: PresignUrl = match target {
            UploadTarget::Folder(parent_id) => {
                self.post(
                    "/file/upload",
                    &json!({ "parent_id": parent_id, "name": name, "upload_type": "api" }),
                )
                .await?
            }
            UploadTarget::NewVersion(file_id) => {
                self.post(
                    &format!("/file/{file_id}/new_version"),
                    &json!({ "name": name, "upload_type": "api" }),
                )
                .await?
            }
        };
        let part = reqwest::multipart::Part::stream(body).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let sent = self.inner.http.post(&presign.presign_url).multipart(form);
        Ok(transfer_answer(sent).await?.json().await?)
    }

    /// Opens a resumable upload of `size` bytes named `name` (`overwrite`: a name clash makes
    /// a new version instead of failing). Keep its `upload_url` to resume after a crash.
    pub async fn start_resumable_upload(
        &self,
        target: UploadTarget,
        name: &str,
        size: u64,
        part_size: Option<u64>,
        overwrite: bool,
    ) -> Result<ResumableUpload> {
        let mut body = json!({
            "name": name,
            "file_size": size,
            "upload_type": "api",
            "is_covered": overwrite,
        });
        match target {
            UploadTarget::Folder(parent_id) => body["parent_id"] = json!(parent_id),
            UploadTarget::NewVersion(file_id) => body["file_id"] = json!(file_id),
        }
        if let Some(part_size) = part_size {
            body["part_size"] = json!(part_size);
        }
        self.post("/file/resumable_upload", &body).await
    }

    /// What a resumable upload holds so far (its URL is its credential).
    pub async fn resumable_status(&self, upload_url: &str) -> Result<ResumableUpload> {
        Ok(transfer_answer(self.inner.http.get(upload_url)).await?.json().await?)
    }

    /// Sends the parts of `local` that `session` lacks (each checked by SHA-256, each retried),
    /// then commits with the whole file's SHA-1. `progress` hears the bytes the server holds.
    pub async fn finish_resumable_upload(
        &self,
        session: &ResumableUpload,
        local: &Path,
        progress: Progress<'_>,
    ) -> Result<File> {
        let mut file = tokio::fs::File::open(local).await?;
        let size = file.metadata().await?.len();
        if size != session.size as u64 {
            return Err(Error::Integrity(format!(
                "{} is {size} bytes now; the upload expects {}",
                local.display(),
                session.size
            )));
        }
        let part_size = session.part_size as u64;
        // Held parts count once their bytes are known to match (below), so a part sent again
        // is not counted twice.
        let mut done: u64 = 0;
        progress(done);
        let mut whole = Sha1::new();
        for number in 1..=session.part_count {
            let offset = (number as u64 - 1) * part_size;
            let length = part_size.min(size - offset.min(size));
            let mut buffer = vec![0u8; length as usize];
            file.seek(std::io::SeekFrom::Start(offset)).await?;
            file.read_exact(&mut buffer).await?;
            whole.update(&buffer);
            let sha256 = hex::encode(Sha256::digest(&buffer));
            let held = session
                .parts
                .iter()
                .any(|part| part.part_number == number && part.sha256 == sha256);
            if !held {
                self.put_part(&session.upload_url, number, Bytes::from(buffer), &sha256)
                    .await?;
            }
            done += length;
            progress(done);
        }
        let commit = self
            .inner
            .http
            .post(format!("{}/commit", session.upload_url))
            .json(&json!({ "sha1": hex::encode(whole.finalize()) }));
        Ok(transfer_answer(commit).await?.json().await?)
    }

    async fn put_part(&self, upload_url: &str, number: i64, bytes: Bytes, sha256: &str) -> Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = self
                .inner
                .http
                .put(format!("{upload_url}/part/{number}"))
                .header("Content-SHA256", sha256)
                .body(bytes.clone())
                .send()
                .await;
            let (failure, wait) = match sent {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().as_u16() == 429 => {
                    let wait = crate::client::rate_limit_wait(&response);
                    (Error::from_transfer(response).await, wait)
                }
                // The server's other refusals (expired session, bad part) do not get better.
                Ok(response) if response.status().is_client_error() => return Err(Error::from_transfer(response).await),
                Ok(response) => (Error::from_transfer(response).await, backoff(attempt)),
                Err(err) => (Error::Http(err), backoff(attempt)),
            };
            if attempt >= PART_ATTEMPTS {
                return Err(failure);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Gives a resumable upload up.
    pub async fn abort_resumable_upload(&self, upload_url: &str) -> Result<()> {
        transfer_answer(self.inner.http.delete(upload_url)).await.map(drop)
    }

    /// A URL that streams the file's current bytes (`file/{id}/download`).
    pub async fn download_url(&self, file_id: i64) -> Result<String> {
        let url: DownloadUrl = self.get(&format!("/file/{file_id}/download"), &[]).await?;
        Ok(url.download_url)
    }

    /// Downloads the file to `dest`. Bytes land in a part file named after the content's
    /// SHA-1 first, so an interrupted download of the same content continues from where it
    /// stopped (an HTTP range); the result is checked against the SHA-1 before it takes
    /// `dest`'s name. A new version saved meanwhile is noticed by the answer's `ETag` (the
    /// content's SHA-1) before any byte is written, and the download starts over on it.
    pub async fn download_to(&self, file_id: i64, dest: &Path, progress: Progress<'_>) -> Result<File> {
        const ATTEMPTS: usize = 3;
        for _ in 1..ATTEMPTS {
            match self.download_once(file_id, dest, progress).await {
                Err(Error::Changed) => continue,
                done => return done,
            }
        }
        self.download_once(file_id, dest, progress).await
    }

    async fn download_once(&self, file_id: i64, dest: &Path, progress: Progress<'_>) -> Result<File> {
        let info = self.file(file_id).await?;
        let partial = part_path(dest, &info.sha1)?;
        let mut have = match tokio::fs::metadata(&partial).await {
            Ok(meta) => meta.len(),
            Err(_) => 0,
        };
        if have > info.size as u64 {
            have = 0;
        }
        progress(have);
        if have < info.size as u64 || info.size == 0 {
            let url = self.download_url(file_id).await?;
            let mut request = self.inner.http.get(&url);
            if have > 0 {
                request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
            }
            let response = request.send().await?;
            let status = response.status().as_u16();
            if !(status == 200 || status == 206) {
                return Err(Error::from_transfer(response).await);
            }
            let etag = response
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|value| value.to_str().ok());
            // A compressing proxy may weaken it (`W/"…"`); the SHA-1 inside still tells.
            let sha1 = etag.map(|etag| etag.trim().trim_start_matches("W/").trim_matches('"'));
            if sha1.is_some_and(|sha1| sha1 != info.sha1) {
                return Err(Error::Changed);
            }
            if status == 206 {
                let range = response
                    .headers()
                    .get(reqwest::header::CONTENT_RANGE)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default();
                if !range.starts_with(&format!("bytes {have}-")) {
                    return Err(Error::Protocol(format!("asked for bytes from {have}, got {range:?}")));
                }
            }
            // A whole answer (the server ignored the range) starts the file over.
            let mut out = if status == 206 {
                tokio::fs::OpenOptions::new().append(true).open(&partial).await?
            } else {
                have = 0;
                tokio::fs::File::create(&partial).await?
            };
            let mut body = response.bytes_stream();
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                out.write_all(&chunk).await?;
                have += chunk.len() as u64;
                progress(have);
            }
            out.flush().await?;
            out.sync_all().await?;
        }
        let digest = sha1_of(&partial).await?;
        if digest != info.sha1 {
            tokio::fs::remove_file(&partial).await?;
            return Err(Error::Integrity(format!(
                "downloaded bytes have SHA-1 {digest}, the file {}",
                info.sha1
            )));
        }
        tokio::fs::rename(&partial, dest).await?;
        Ok(info)
    }
}

/// `dest`'s part file for content `sha1` (40 hex digits), beside it.
pub fn part_path(dest: &Path, sha1: &str) -> Result<PathBuf> {
    if sha1.len() != 40 || !sha1.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(Error::Protocol(format!("{sha1:?} is not a SHA-1")));
    }
    let name = dest
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(dest.with_file_name(format!(".{name}.{}.part", &sha1[..12])))
}

async fn sha1_of(path: &Path) -> Result<String> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut digest = Sha1::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        digest.update(&buffer[..read]);
    }
    Ok(hex::encode(digest.finalize()))
}

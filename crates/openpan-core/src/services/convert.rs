//! `/api/v1/file/convert`: a file version in another form, fetched through a URL like a
//! download's. Results are stored once per source content and target and reused; reading one is
//! a download of the file (same rights, same audit entry, the right checked again at fetch).

use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use sha1::Digest;

use crate::audit::action;
use crate::auth::Principal;
use crate::blob::ByteStream;
use crate::collab::Capability;
use crate::convert::{Conversion, ConversionTarget, ConvertError, Converter};
use crate::drive::{FileVersion, ItemKind};
use crate::error::{Error, NotFoundKind, Refusal, Result};
use crate::ids::{ItemId, VersionId};
use crate::secrets::random_hex;
use crate::services::Core;
use crate::services::audit_log::Audit;
use crate::services::preview::Readiness;
use crate::services::transfer::{DEFAULT_DOWNLOAD_TTL_SECS, Download, blob_failure};

/// The longest a converted file's URL may work (results unused for a week are removed, so
/// no URL outlives its bytes).
pub const MAX_CONVERTED_TTL_SECS: i64 = 24 * 3600;
/// How long an unused result is kept.
const KEEP_UNUSED_SECS: i64 = 7 * 24 * 3600;

/// A conversion's result and the URL parts to fetch it.
#[derive(Debug, Clone)]
pub struct ConvertedTicket {
    pub file_id: ItemId,
    pub version_id: VersionId,
    pub target: ConversionTarget,
    pub name: String,
    pub size: i64,
    pub truncated: bool,
    pub ticket: String,
    pub signature: String,
    pub expires_at: i64,
}

impl Core {
    /// Configures the converter; without it, conversions answer "unavailable".
    pub fn with_converter(mut self, converter: Arc<dyn Converter>) -> Self {
        self.converter = Some(converter);
        self
    }

    /// `file/convert`: converts `version` (the current one for none or 0) of a file the caller
    /// may download, or reuses the stored result, and issues a URL for it.
    pub async fn convert_file(
        &self,
        principal: &Principal,
        file_id: ItemId,
        version: Option<i64>,
        target: ConversionTarget,
        valid_period: Option<i64>,
    ) -> Result<ConvertedTicket> {
        let converter = self
            .converter
            .clone()
            .ok_or_else(|| Error::Unavailable("no converter is configured".into()))?;
        let ttl = valid_period.unwrap_or(DEFAULT_DOWNLOAD_TTL_SECS);
        if !(1..=MAX_CONVERTED_TTL_SECS).contains(&ttl) {
            return Err(Error::invalid("valid_period", "必须在1到86400秒之间"));
        }
        let holder = self.download_holder(principal).await?;
        let file = self
            .live(principal, file_id, ItemKind::File, Capability::Download)
            .await?;
        let version_id = self.version_to_read(&file, version).await?;
        let version = self
            .repo
            .find_version(version_id)
            .await?
            .ok_or_else(|| Error::invalid("version", "文件版本不存在"))?;
        let cannot = || Error::invalid("target", format!("不能把此类文件转换为{}", target.as_str()));
        let now = self.clock.now();
        let conversion = if target == ConversionTarget::Text {
            // A version is read as the kind its own name says (the file may have been renamed).
            let kind = converter.source_kind(&version.name, target).ok_or_else(cannot)?;
            let stored = self
                .repo
                .use_conversion(&version.storage_key, kind, target, now)
                .await?;
            match stored {
                Some(stored) => stored,
                None => self.run_conversion(converter.as_ref(), kind, &version, target).await?,
            }
        } else {
            // PDFs and pictures come from the previews' queue, made once per content.
            match self.converted(&version, target, None).await? {
                (Readiness::Ready, Some(conversion)) => conversion,
                (Readiness::Pending, _) => return Err(Error::Refused(Refusal::PreviewFileNotGenerated)),
                _ => return Err(cannot()),
            }
        };
        let audit = Audit::item(action::DOWNLOAD, &file)
            .with("version_id", version_id.0)
            .with("converted_to", target.as_str());
        self.record_event(principal, file.enterprise_id, audit).await?;
        let expires_at = now + ttl;
        let (ticket, signature) = self.seal_ticket("converted", [conversion.id, version_id.0, holder], expires_at);
        Ok(ConvertedTicket {
            file_id: file.id,
            version_id,
            target,
            name: target.name_for(&file.name),
            size: conversion.size,
            truncated: conversion.truncated,
            ticket,
            signature,
            expires_at,
        })
    }

    pub(crate) async fn run_conversion(
        &self,
        converter: &dyn Converter,
        kind: &str,
        version: &FileVersion,
        target: ConversionTarget,
    ) -> Result<Conversion> {
        let size = u64::try_from(version.size).unwrap_or(u64::MAX);
        let limit = converter.max_source_bytes(target);
        if size > limit {
            return Err(Error::invalid(
                "file_id",
                format!("文件大于{}MB，不能转换", limit >> 20),
            ));
        }
        let stream = self.blobs.get(&version.storage_key, None).await.map_err(blob_failure)?;
        let chunks: Vec<Bytes> = stream
            .try_collect()
            .await
            .map_err(|err| Error::Internal(Box::new(err)))?;
        let source = chunks.concat();
        let converted = converter
            .convert(&version.name, source, target)
            .await
            .map_err(|err| match err {
                ConvertError::Unreadable => Error::invalid("file_id", "文件内容无法按其类型读取"),
                ConvertError::TimedOut => Error::Unavailable("the conversion took too long".into()),
                ConvertError::Failed(cause) => Error::Unavailable(cause.into()),
            })?;
        let storage_key = random_hex(16);
        let sha1 = hex::encode(sha1::Sha1::digest(&converted.bytes));
        let size = i64::try_from(converted.bytes.len()).unwrap_or(i64::MAX);
        let body: ByteStream = Box::pin(futures_util::stream::once(async move {
            Ok::<_, std::io::Error>(Bytes::from(converted.bytes))
        }));
        self.blobs.put(&storage_key, body).await.map_err(blob_failure)?;
        let now = self.clock.now();
        let conversion = Conversion {
            id: 0,
            source_key: version.storage_key.clone(),
            source_kind: kind.to_owned(),
            target,
            storage_key,
            size,
            sha1,
            truncated: converted.truncated,
            created_at: now,
            last_used_at: now,
        };
        let created = self.repo.create_conversion(&conversion).await;
        if !matches!(created, Ok(true)) {
            // Someone else stored it first (or recording failed): theirs is the one kept.
            self.forget_blob(&conversion.storage_key).await;
            created?;
        }
        self.repo
            .use_conversion(&version.storage_key, kind, target, now)
            .await?
            .ok_or_else(|| Error::internal("a stored conversion vanished"))
    }

    /// Checks a converted file's URL as a download's is checked, and describes what to send.
    pub async fn open_converted(&self, ticket: &str, signature: &str) -> Result<Download> {
        let invalid = || Error::not_found(NotFoundKind::Link);
        let [conversion_id, version_id, holder] =
            self.open_ticket("converted", ticket, signature).ok_or_else(invalid)?;
        let conversion = self.repo.find_conversion(conversion_id).await?.ok_or_else(invalid)?;
        let version = self
            .repo
            .find_version(VersionId(version_id))
            .await?
            .ok_or_else(invalid)?;
        if version.storage_key != conversion.source_key {
            return Err(invalid());
        }
        let file = self.repo.find_item(version.file_id).await?.ok_or_else(invalid)?;
        if !self.holder_may_download(holder, &file).await? {
            return Err(invalid());
        }
        Ok(Download {
            name: conversion.target.name_for(&file.name),
            modified_at: file.modified_at,
            version: conversion.as_version_of(version),
        })
    }

    /// Removes conversion results unused for a week, with their bytes.
    pub(crate) async fn purge_conversions(&self) -> Result<u64> {
        let keys = self.repo.purge_conversions(self.clock.now() - KEEP_UNUSED_SECS).await?;
        for key in &keys {
            self.forget_blob(key).await;
        }
        Ok(keys.len() as u64)
    }
}

//! Previews: a preview token (`file/preview_token`, the SDKs' viewer page) lets its holder see
//! one version of a file they may preview — its own bytes for what a browser shows, the PDF
//! LibreOffice makes of an office document, and a thumbnail — without a bearer token.
//!
//! Conversions run in the background, queued for a few workers (a queued conversion holds only
//! its names, so many previews opened at once cannot hold many sources in memory), one per
//! source content and target on this node; their results are kept like `file/convert`'s, and
//! until one is stored the preview answers `preview_file_not_generated`. An office document's
//! thumbnail is made from its stored PDF, so LibreOffice reads each document once. A node
//! killed mid-conversion loses only the work: the next request starts it again.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::audit::action;
use crate::auth::{Principal, PrincipalKind};
use crate::collab::Capability;
use crate::convert::{Conversion, ConversionTarget};
use crate::drive::{FileVersion, Item, ItemKind, Space};
use crate::error::{Error, NotFoundKind, Refusal, Result};
use crate::ids::{ItemId, UserId};
use crate::preview::PreviewKind;
use crate::services::Core;
use crate::services::audit_log::Audit;
use crate::services::transfer::{Download, VersionTicket};

/// How long a preview token works unless the caller asks otherwise.
pub const DEFAULT_PREVIEW_TTL_SECS: i64 = 3600;
/// The longest a preview token may work.
pub const MAX_PREVIEW_TTL_SECS: i64 = 24 * 3600;
/// A failed conversion is not tried again for this long.
const RETRY_FAILED_AFTER_SECS: i64 = 600;
/// Conversions that run at once on a node (LibreOffice keeps its own, smaller pool).
const WORKERS: usize = 2;

const PREVIEW: &str = "preview";
const THUMBNAIL: &str = "thumbnail";

/// A token for one version of one file.
#[derive(Debug, Clone)]
pub struct PreviewGrant {
    pub token: String,
    pub expires_at: i64,
}

/// Whether a part of a preview can be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Its conversion is running (or queued).
    Pending,
    /// It cannot be made: the kind has none, the converter is missing or failed on this file.
    Unavailable,
}

impl Readiness {
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Ready => "ready",
            Readiness::Pending => "pending",
            Readiness::Unavailable => "unavailable",
        }
    }
}

/// What a preview token shows.
#[derive(Debug, Clone)]
pub struct Preview {
    pub file: Item,
    pub version: FileVersion,
    /// Whether this is the file's current version.
    pub current: bool,
    pub kind: Option<PreviewKind>,
    pub content: Readiness,
    pub thumbnail: Readiness,
    /// The text laid over the page when the file's department (or the viewer's) asks for
    /// watermarked previews.
    pub watermark: Option<String>,
    pub expires_at: i64,
}

/// A part of a preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewPart {
    /// What the viewer shows: the file's bytes, or the PDF made of an office document.
    Content,
    Thumbnail,
}

/// Whether a conversion is stored, and the stored result.
pub(crate) type Prepared = (Readiness, Option<Conversion>);

type JobKey = (String, &'static str, ConversionTarget);

/// A conversion waiting for a worker.
struct Job {
    key: JobKey,
    version: FileVersion,
}

/// This node's conversions queued or running (`None`), and recent failures (when).
pub(crate) struct PreviewJobs {
    jobs: Mutex<HashMap<JobKey, Option<i64>>>,
    queue: flume::Sender<Job>,
    waiting: flume::Receiver<Job>,
    workers: std::sync::Once,
}

impl Default for PreviewJobs {
    fn default() -> Self {
        let (queue, waiting) = flume::unbounded();
        Self {
            jobs: Mutex::default(),
            queue,
            waiting,
            workers: std::sync::Once::new(),
        }
    }
}

impl PreviewJobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<JobKey, Option<i64>>> {
        self.jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records how a job ended: gone when it worked, its time when it failed (older failures
    /// are forgotten then, so the map does not grow with every failed file).
    fn finish(&self, key: JobKey, failed_at: Option<i64>) {
        let mut jobs = self.lock();
        match failed_at {
            None => {
                jobs.remove(&key);
            }
            Some(at) => {
                jobs.retain(|_, failed| failed.is_none_or(|then| at - then < RETRY_FAILED_AFTER_SECS));
                jobs.insert(key, Some(at));
            }
        }
    }
}

impl Core {
    /// `file/preview_token`: a token for the viewer page, for a file the caller may preview
    /// (`version`: one of its versions, the current one for none or 0). Starts the file's
    /// conversion, so the viewer seldom waits.
    pub async fn preview_token(
        &self,
        principal: &Principal,
        file_id: ItemId,
        version: Option<i64>,
        period: Option<i64>,
    ) -> Result<PreviewGrant> {
        Ok(self.grant_preview(principal, file_id, version, period).await?.0)
    }

    /// `file/{id}/preview`: a preview token and what it shows, checked once.
    pub async fn file_preview(
        &self,
        principal: &Principal,
        file_id: ItemId,
        version: Option<i64>,
    ) -> Result<(PreviewGrant, Preview)> {
        let (grant, opened) = self.grant_preview(principal, file_id, version, None).await?;
        let preview = self.show(opened).await?;
        Ok((grant, preview))
    }

    /// Checks, logs and seals a preview token; what it opens.
    async fn grant_preview(
        &self,
        principal: &Principal,
        file_id: ItemId,
        version: Option<i64>,
        period: Option<i64>,
    ) -> Result<(PreviewGrant, VersionTicket)> {
        let ttl = period.unwrap_or(DEFAULT_PREVIEW_TTL_SECS);
        if !(1..=MAX_PREVIEW_TTL_SECS).contains(&ttl) {
            return Err(Error::invalid("period", "必须在1到86400秒之间"));
        }
        let holder = self.preview_holder(principal).await?;
        let file = self
            .live(principal, file_id, ItemKind::File, Capability::Preview)
            .await?;
        let version_id = self.version_to_read(&file, version).await?;
        let current = file.current_version_id == Some(version_id);
        let code = if current {
            action::PREVIEW
        } else {
            action::PREVIEW_VERSION
        };
        let audit = Audit::item(code, &file).with("version_id", version_id.0);
        self.record_event(principal, file.enterprise_id, audit).await?;
        if holder > 0 {
            self.record_use(UserId(holder), file.id).await;
        }
        let version = self.repo.find_version(version_id).await?.ok_or_else(gone)?;
        if PreviewKind::of(&version.name).is_some_and(PreviewKind::is_converted) {
            self.prepared(&version, ConversionTarget::Pdf).await?;
        }
        let expires_at = principal.url_expiry(self.clock.now(), ttl);
        let grant = PreviewGrant {
            token: self.seal_token(PREVIEW, [version_id.0, holder], expires_at),
            expires_at,
        };
        let opened = VersionTicket {
            version,
            file,
            holder,
            expires_at,
        };
        Ok((grant, opened))
    }

    /// A token for the thumbnail of a file's current version only: thumbnails are shown in
    /// listings, so making one is not logged as a preview.
    pub async fn thumbnail_token(&self, principal: &Principal, file_id: ItemId) -> Result<(PreviewGrant, Readiness)> {
        let holder = self.preview_holder(principal).await?;
        let file = self
            .live(principal, file_id, ItemKind::File, Capability::Preview)
            .await?;
        let version_id = self.version_to_read(&file, None).await?;
        let version = self.repo.find_version(version_id).await?.ok_or_else(gone)?;
        let readiness = self.converted(&version, ConversionTarget::Thumbnail, None).await?.0;
        let expires_at = principal.url_expiry(self.clock.now(), DEFAULT_PREVIEW_TTL_SECS);
        let grant = PreviewGrant {
            token: self.seal_token(THUMBNAIL, [version_id.0, holder], expires_at),
            expires_at,
        };
        Ok((grant, readiness))
    }

    /// What a preview token shows, checked as a download URL is: the holder must still be
    /// allowed to preview the file.
    pub async fn open_preview(&self, token: &str) -> Result<Preview> {
        let opened = self.open_token(PREVIEW, token).await?;
        self.show(opened).await
    }

    /// What an opened preview token shows.
    async fn show(&self, opened: VersionTicket) -> Result<Preview> {
        let VersionTicket {
            version,
            file,
            holder,
            expires_at,
        } = opened;
        let kind = PreviewKind::of(&version.name);
        // An office document's PDF is both its content and its thumbnail's source.
        let pdf = match kind {
            Some(kind) if kind.is_converted() => Some(self.prepared(&version, ConversionTarget::Pdf).await?),
            _ => None,
        };
        let content = match (kind, &pdf) {
            (None, _) => Readiness::Unavailable,
            (Some(_), Some((readiness, _))) => *readiness,
            (Some(_), None) => Readiness::Ready,
        };
        let thumbnail = self.converted(&version, ConversionTarget::Thumbnail, pdf).await?.0;
        let watermark = self.watermark(holder, &file).await?;
        Ok(Preview {
            current: file.current_version_id == Some(version.id),
            file,
            version,
            kind,
            content,
            thumbnail,
            watermark,
            expires_at,
        })
    }

    /// The bytes of a part of a preview; `preview_file_not_generated` while its conversion
    /// runs.
    pub async fn preview_part(&self, token: &str, part: PreviewPart) -> Result<Download> {
        let purpose = match part {
            PreviewPart::Content => PREVIEW,
            // A preview token also shows its version's thumbnail.
            PreviewPart::Thumbnail if token.starts_with(THUMBNAIL_MARK) => THUMBNAIL,
            PreviewPart::Thumbnail => PREVIEW,
        };
        let VersionTicket { version, file, .. } = self
            .open_token(purpose, token.trim_start_matches(THUMBNAIL_MARK))
            .await?;
        let kind = PreviewKind::of(&version.name).ok_or_else(cannot_preview)?;
        let target = match part {
            PreviewPart::Content if !kind.is_converted() => {
                return Ok(Download {
                    name: file.name,
                    modified_at: file.modified_at,
                    version,
                });
            }
            PreviewPart::Content => ConversionTarget::Pdf,
            PreviewPart::Thumbnail => ConversionTarget::Thumbnail,
        };
        match self.converted(&version, target, None).await? {
            (Readiness::Ready, Some(conversion)) => Ok(Download {
                name: target.name_for(&file.name),
                modified_at: file.modified_at,
                version: conversion.as_version_of(version),
            }),
            (Readiness::Pending, _) => Err(Error::Refused(Refusal::PreviewFileNotGenerated)),
            _ => Err(cannot_preview()),
        }
    }

    /// Who holds a preview token: a user as themselves, a visitor through their link
    /// (negative). Unlike a download, a user barred from downloading may still preview.
    async fn preview_holder(&self, principal: &Principal) -> Result<i64> {
        match principal.kind() {
            PrincipalKind::Visitor { link_id, .. } => Ok(-link_id.0),
            _ => Ok(self.personal_space(principal).await?.0.user.id.0),
        }
    }

    fn seal_token(&self, purpose: &'static str, fields: [i64; 2], expires_at: i64) -> String {
        let (ticket, signature) = self.seal_ticket(purpose, fields, expires_at);
        let mark = if purpose == THUMBNAIL { THUMBNAIL_MARK } else { "" };
        format!("{mark}{ticket}.{signature}")
    }

    async fn open_token(&self, purpose: &str, token: &str) -> Result<VersionTicket> {
        let (ticket, signature) = token.split_once('.').ok_or_else(gone)?;
        self.open_version_ticket(purpose, ticket, signature, Capability::Preview)
            .await
    }

    /// Whether `target` of `version` is stored (see [`Core::prepared`]). A thumbnail of an
    /// office document is made from its PDF once that is stored (`pdf`: its preparation, when
    /// the caller has it already).
    pub(crate) async fn converted(
        &self,
        version: &FileVersion,
        target: ConversionTarget,
        pdf: Option<Prepared>,
    ) -> Result<Prepared> {
        let kind = PreviewKind::of(&version.name);
        match (target, kind) {
            (ConversionTarget::Thumbnail, Some(PreviewKind::Office)) => {
                let (readiness, pdf) = match pdf {
                    Some(pdf) => pdf,
                    None => self.prepared(version, ConversionTarget::Pdf).await?,
                };
                let Some(pdf) = pdf else {
                    return Ok((readiness, None));
                };
                self.prepared(&pdf.as_version_of(version.clone()), target).await
            }
            (ConversionTarget::Thumbnail, kind) if !kind.is_some_and(PreviewKind::has_thumbnail) => {
                Ok((Readiness::Unavailable, None))
            }
            _ => self.prepared(version, target).await,
        }
    }

    /// Whether `target` of `version` is stored; queues its conversion when it is neither
    /// stored, queued nor recently failed.
    async fn prepared(&self, version: &FileVersion, target: ConversionTarget) -> Result<Prepared> {
        let Some(converter) = self.converter.clone() else {
            return Ok((Readiness::Unavailable, None));
        };
        let Some(kind) = converter.source_kind(&version.name, target) else {
            return Ok((Readiness::Unavailable, None));
        };
        if u64::try_from(version.size).unwrap_or(u64::MAX) > converter.max_source_bytes(target) {
            return Ok((Readiness::Unavailable, None));
        }
        let now = self.clock.now();
        if let Some(stored) = self
            .repo
            .use_conversion(&version.storage_key, kind, target, now)
            .await?
        {
            return Ok((Readiness::Ready, Some(stored)));
        }
        let key: JobKey = (version.storage_key.clone(), kind, target);
        {
            let mut jobs = self.previews.lock();
            match jobs.get(&key) {
                Some(None) => return Ok((Readiness::Pending, None)),
                Some(Some(failed_at)) if now - failed_at < RETRY_FAILED_AFTER_SECS => {
                    return Ok((Readiness::Unavailable, None));
                }
                _ => {
                    jobs.insert(key.clone(), None);
                }
            }
        }
        self.previews.workers.call_once(|| {
            for _ in 0..WORKERS {
                tokio::spawn(convert_queued(self.clone(), self.previews.waiting.clone()));
            }
        });
        let job = Job {
            key,
            version: version.clone(),
        };
        if let Err(refused) = self.previews.queue.send(job) {
            self.previews.finish(refused.0.key, Some(now));
        }
        Ok((Readiness::Pending, None))
    }

    /// The watermark of a preview: the viewer's name and login when the file's department
    /// space, or a department of the viewer (a visitor: of the file's owner), enables it.
    async fn watermark(&self, holder: i64, file: &Item) -> Result<Option<String>> {
        let wanted = match file.space {
            Space::Department(department) => self
                .repo
                .find_department(department)
                .await?
                .is_some_and(|department| department.enable_watermark),
            Space::Personal(owner) => {
                let whose = if holder > 0 { UserId(holder) } else { owner };
                self.repo
                    .list_user_departments(whose)
                    .await?
                    .iter()
                    .any(|department| department.enable_watermark)
            }
        };
        if !wanted {
            return Ok(None);
        }
        if holder < 0 {
            return Ok(Some("openpan 分享链接访客".to_owned()));
        }
        let user = self.repo.find_user(UserId(holder)).await?.ok_or_else(gone)?;
        Ok(Some(format!("{} {}", user.name, user.login()).trim_end().to_owned()))
    }
}

/// A worker: converts queued jobs one at a time. A conversion that fails, or panics, is
/// remembered as failed, never left queued.
async fn convert_queued(core: Core, waiting: flume::Receiver<Job>) {
    use futures_util::FutureExt;
    while let Ok(job) = waiting.recv_async().await {
        let Some(converter) = core.converter.clone() else {
            core.previews.finish(job.key, Some(core.clock.now()));
            continue;
        };
        let (_, kind, target) = job.key;
        let work = core.run_conversion(converter.as_ref(), kind, &job.version, target);
        let outcome = std::panic::AssertUnwindSafe(work).catch_unwind().await;
        let failed = match outcome {
            Ok(Ok(_)) => None,
            Ok(Err(err)) => {
                tracing::warn!(error = ?err, name = %job.version.name, target = target.as_str(), "a preview conversion failed");
                Some(core.clock.now())
            }
            Err(_) => {
                tracing::error!(name = %job.version.name, target = target.as_str(), "a preview conversion panicked");
                Some(core.clock.now())
            }
        };
        core.previews.finish(job.key, failed);
    }
}

/// Thumbnail tokens start with this, so one is told from a preview token before its
/// signature is checked for the right purpose.
const THUMBNAIL_MARK: &str = "t";

fn gone() -> Error {
    Error::not_found(NotFoundKind::Link)
}

fn cannot_preview() -> Error {
    Error::invalid("file_id", "此文件不能预览")
}

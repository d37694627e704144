//! Bytes in and out: upload URLs and what arrives on them, download URLs, file versions, and the
//! collector that removes bytes nothing refers to any more.
//!
//! An upload URL is a single-use credential: `/upload/{upload_id}/{secret}`, with only a keyed
//! hash of the secret stored. A download URL is stateless: `/download/{ticket}/{signature}/{name}`
//! where the ticket packs the version id and the expiry and the signature is a keyed hash of it,
//! so any node can serve it without a database write per link.

use std::collections::HashSet;

use crate::audit::{TargetKind, action};
use crate::auth::{Principal, PrincipalKind};
use crate::blank::BlankKind;
use crate::blob::{BlobError, ByteRange, ByteStream, DigestTap};
use crate::collab::Capability;
use crate::drive::{FileVersion, Item, ItemKind, Space};
use crate::error::{ConflictKind, Error, NotFoundKind, Refusal, RepoError, Result};
use crate::ids::{EnterpriseId, ItemId, ShareLinkId, UserId, VersionId};
use crate::model::UserWithEnterprise;
use crate::ports::{ContentTarget, NewContent, UploadSession};
use crate::secrets::random_hex;
use crate::services::Core;
use crate::services::audit_log::Audit;
use crate::services::drive::{ItemDetail, Reached, Users, deleted, item_name, not_found, target_error, viewer};

/// How long an upload URL can be started.
pub const UPLOAD_URL_TTL_SECS: i64 = 3600;
/// How long a download URL works when the client does not say.
pub const DEFAULT_DOWNLOAD_TTL_SECS: i64 = 3600;
/// The longest a download URL may work.
pub const MAX_DOWNLOAD_TTL_SECS: i64 = 7 * 24 * 3600;

/// Where new bytes go.
#[derive(Debug, Clone)]
pub enum UploadTarget {
    /// A new file in this folder (0: the personal root).
    Folder(ItemId),
    /// A new file in the folder at this path below a folder (0: the personal root), created
    /// as needed.
    Path(ItemId, String),
    /// A new version of this file.
    File(ItemId),
}

#[derive(Debug, Clone)]
pub struct UploadRequest {
    pub target: UploadTarget,
    pub name: Option<String>,
    /// On a name clash, upload a new version of the existing file instead of failing.
    pub is_covered: bool,
    pub declared_size: Option<i64>,
    pub remark: Option<String>,
    /// The SHA-1 the bytes will have; bytes that differ are refused.
    pub sha1: Option<String>,
}

/// The two secret parts of an upload URL.
#[derive(Debug, Clone)]
pub struct UploadTicket {
    pub upload_id: String,
    pub secret: String,
}

/// The parts of a download URL.
#[derive(Debug, Clone)]
pub struct DownloadTicket {
    pub ticket: String,
    pub signature: String,
    pub name: String,
    pub expires_at: i64,
}

/// A verified download: what to send.
#[derive(Debug, Clone)]
pub struct Download {
    pub version: FileVersion,
    /// The file's current name (it may have been renamed since the version was made).
    pub name: String,
    pub modified_at: i64,
}

/// What a version's URL ticket opens.
#[derive(Debug, Clone)]
pub(crate) struct VersionTicket {
    pub version: FileVersion,
    pub file: Item,
    /// See [`Core::download_holder`].
    pub holder: i64,
    pub expires_at: i64,
}

/// Bytes about to be committed, and where to.
#[derive(Debug, Clone, Copy)]
struct Content<'a> {
    target: ContentTarget,
    name: &'a str,
    remark: &'a str,
    upload_id: Option<&'a str>,
    /// The SHA-1 the client says the bytes have; a mismatch refuses them.
    expect_sha1: Option<&'a str>,
}

/// What one collection pass removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectReport {
    pub blobs: u64,
    pub abandoned_uploads: u64,
    pub partial_writes: u64,
    /// Conversion results unused for a week.
    pub conversions: u64,
}

/// A file version with whether it is the file's current one.
#[derive(Debug, Clone)]
pub struct VersionView {
    pub version: FileVersion,
    pub current: bool,
}

impl Core {
    /// `file/upload`, `file/upload_v2`, `file/upload_by_path`, `file/{id}/new_version(_v2)`:
    /// checks name, target and space now (they are checked again when the bytes arrive) and
    /// issues a single-use upload URL.
    pub async fn start_upload(&self, principal: &Principal, request: UploadRequest) -> Result<UploadTicket> {
        self.issue_upload(principal, request, None, UPLOAD_URL_TTL_SECS).await
    }

    /// Checks an upload request and records its session; `part_size` makes it resumable.
    pub(crate) async fn issue_upload(
        &self,
        principal: &Principal,
        request: UploadRequest,
        part_size: Option<i64>,
        ttl: i64,
    ) -> Result<UploadTicket> {
        let (me, _) = self.personal_space(principal).await?;
        if let Some(size) = request.declared_size
            && size < 0
        {
            return Err(Error::invalid("file_size", "不能小于0"));
        }
        let remark = request.remark.unwrap_or_default();
        let expected_sha1 = match request.sha1.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(sha1) if sha1.len() == 40 && sha1.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(sha1.to_ascii_lowercase())
            }
            Some(_) => return Err(Error::invalid("sha1", "必须是40位十六进制")),
        };
        if remark.chars().count() > crate::drive::MAX_DESCRIPTION_CHARS {
            return Err(Error::invalid("remark", "长度必须小于等于140个字符"));
        }
        let (target, name, space) = match request.target {
            UploadTarget::File(file_id) => {
                let file = self.live(principal, file_id, ItemKind::File, Capability::Edit).await?;
                let name = match request.name.as_deref() {
                    Some(name) => item_name("name", name)?.keeping_extension_of(&file.name),
                    None => item_name("name", &file.name)?,
                };
                (ContentTarget::File(file.id), name, file.space)
            }
            UploadTarget::Folder(_) | UploadTarget::Path(..) => {
                let name = item_name("name", request.name.as_deref().unwrap_or_default())?;
                let Reached { item: folder, .. } = match &request.target {
                    UploadTarget::Folder(id) => self.target_folder(principal, *id).await?,
                    UploadTarget::Path(base, path) => {
                        self.folder_at_path(principal, *base, path, "target_folder_path")
                            .await?
                    }
                    UploadTarget::File(_) => unreachable!("matched above"),
                };
                match self.repo.find_live_child(folder.id, &name.key()).await? {
                    Some(existing) if existing.kind == ItemKind::File && request.is_covered => {
                        // Covering a file is a new version of it (through `reach`, so an
                        // embedded uploader's token, which only adds files, may not).
                        self.live_reached(principal, existing.id, ItemKind::File, Capability::Edit)
                            .await
                            .map_err(|_| Error::PermissionDenied)?;
                        (ContentTarget::File(existing.id), name, existing.space)
                    }
                    Some(_) => return Err(self.name_conflict(folder.id, &name).await),
                    None => (ContentTarget::Folder(folder.id), name, folder.space),
                }
            }
        };
        self.room(space, me.user.enterprise_id)
            .await?
            .check(request.declared_size.unwrap_or(0))?;
        let now = self.clock.now();
        let ticket = UploadTicket {
            upload_id: random_hex(16),
            secret: random_hex(32),
        };
        self.repo
            .create_upload_session(UploadSession {
                upload_id: ticket.upload_id.clone(),
                secret_hash: self.key.hash(&ticket.secret),
                enterprise_id: me.user.enterprise_id,
                user_id: me.user.id,
                target,
                name: name.into_inner(),
                remark,
                declared_size: request.declared_size,
                part_size,
                expected_sha1,
                committed: false,
                expires_at: principal.url_expiry(now, ttl),
                created_at: now,
            })
            .await?;
        Ok(ticket)
    }

    /// The bytes of an upload URL arrive: stores them, then commits the file or version in one
    /// transaction. Until that commit nothing is visible; on any failure the URL can be retried.
    pub async fn receive_upload(&self, upload_id: &str, secret: &str, body: ByteStream) -> Result<ItemDetail> {
        let session = self.open_session(upload_id, secret).await?;
        if session.part_size.is_some() {
            return Err(Error::invalid("file", "断点续传会话请分片上传后提交"));
        }
        self.commit_session(&session, None, body).await
    }

    /// An unexpired session whose secret matches.
    pub(crate) async fn open_session(&self, upload_id: &str, secret: &str) -> Result<UploadSession> {
        let now = self.clock.now();
        let session = self.repo.find_upload_session(upload_id).await?;
        session
            .filter(|session| {
                self.key.verify(secret, &session.secret_hash) && session.expires_at > now && !session.committed
            })
            .ok_or(Error::not_found(NotFoundKind::Link))
    }

    /// Stores `body` as the session's file or version and marks the session used; on failure
    /// the session is handed back so the client can retry.
    pub(crate) async fn commit_session(
        &self,
        session: &UploadSession,
        expect_sha1: Option<&str>,
        body: ByteStream,
    ) -> Result<ItemDetail> {
        let upload_id = session.upload_id.as_str();
        let uploader = self
            .repo
            .find_user_with_enterprise(session.user_id)
            .await?
            .filter(|user| user.user.active)
            .ok_or(Error::not_found(NotFoundKind::Link))?;
        // An upload URL issued before the plan ended commits nothing after it.
        if uploader.enterprise.is_expired(self.clock.now()) {
            return Err(Error::Refused(crate::error::Refusal::EnterpriseIsExpired));
        }
        let target = self.check_upload_target(&uploader, session.target).await?;
        let room = self.room(target.space, target.enterprise_id).await?;
        let storage_key = random_hex(16);
        if !self
            .repo
            .claim_upload_session(upload_id, &storage_key, self.clock.now())
            .await?
        {
            return Err(Error::not_found(NotFoundKind::Link));
        }
        let content = Content {
            target: session.target,
            name: &session.name,
            remark: &session.remark,
            upload_id: Some(upload_id),
            expect_sha1: expect_sha1.or(session.expected_sha1.as_deref()),
        };
        let result = self
            .store_and_commit(content, uploader.user.id, &room, &target, &storage_key, body)
            .await;
        if result.is_err()
            && let Err(err) = self.repo.release_upload_session(upload_id).await
        {
            tracing::warn!(error = ?err, "could not hand an upload URL back after a failed transfer");
        }
        let file_id = result?;
        let file = self
            .repo
            .find_item(file_id)
            .await?
            .ok_or_else(|| Error::internal("committed file vanished"))?;
        self.record_use(uploader.user.id, file.id).await;
        let access = self.access_to(uploader.user.id, &file).await?;
        self.detail(uploader.user.id, access, file).await
    }

    async fn store_and_commit(
        &self,
        content: Content<'_>,
        uploader: UserId,
        room: &Room,
        destination: &Item,
        storage_key: &str,
        body: ByteStream,
    ) -> Result<ItemId> {
        let tap = DigestTap::new(room.left());
        let stored = self.blobs.put(storage_key, tap.wrap(body)).await;
        match stored {
            Ok(_) => {}
            Err(BlobError::Body(_)) if tap.over_limit() => return Err(room.refusal()),
            Err(BlobError::Body(err)) => {
                return Err(Error::invalid("file", format!("上传的内容不完整: {err}")));
            }
            Err(err) => return Err(blob_failure(err)),
        }
        // From here on the bytes are stored: every refusal lets go of them.
        let digest = match tap.finish().await {
            Ok(digest) => digest,
            Err(err) => {
                self.forget_blob(storage_key).await;
                return Err(Error::Internal(Box::new(err)));
            }
        };
        if let Some(expected) = content.expect_sha1
            && !expected.eq_ignore_ascii_case(&digest.sha1_hex)
        {
            self.forget_blob(storage_key).await;
            return Err(Error::invalid("sha1", "与上传内容的SHA-1不一致"));
        }
        let Ok(size) = i64::try_from(digest.size) else {
            self.forget_blob(storage_key).await;
            return Err(Error::invalid("file", "过大"));
        };
        let (action, target_id) = match content.target {
            ContentTarget::File(file) => (action::UPLOAD_NEW_VERSION, file.0),
            // A new file's id is the write's to fill in.
            ContentTarget::Folder(_) if content.upload_id.is_some() => (action::UPLOAD, 0),
            ContentTarget::Folder(_) => (action::NEW_FILE, 0),
        };
        let mut audit = Audit::new(action, TargetKind::File, target_id, content.name);
        audit.target_size = Some(size);
        if let Space::Department(department) = destination.space {
            audit.department_id = Some(department.0);
        }
        let write = self.repo.commit_content(NewContent {
            target: content.target,
            name: content.name.to_owned(),
            name_key: crate::drive::name_key(content.name),
            remark: content.remark.to_owned(),
            sha256: digest.sha256,
            sha1: digest.sha1_hex,
            size,
            storage_key: storage_key.to_owned(),
            by: uploader,
            at: self.clock.now(),
            upload_id: content.upload_id.map(str::to_owned),
        });
        let committed = self
            .audited_as(destination.enterprise_id, Some(uploader), None, audit, write)
            .await;
        let committed = match committed {
            Ok(committed) => committed,
            Err(err) => {
                self.forget_blob(storage_key).await;
                return Err(match err {
                    RepoError::Conflict(ConflictKind::ItemName) => Error::Refused(Refusal::FileNameConflict),
                    RepoError::NotFound => Error::not_found(match content.target {
                        ContentTarget::Folder(_) => NotFoundKind::Folder,
                        ContentTarget::File(_) => NotFoundKind::File,
                    }),
                    other => target_error(other),
                });
            }
        };
        if committed.duplicate_storage {
            self.forget_blob(storage_key).await;
        }
        Ok(committed.file_id)
    }

    /// `file/create_blank_file`: an empty document, spreadsheet, presentation or text file in
    /// `folder`, named `name.<ext>` or `name (n).<ext>` if that is taken.
    pub async fn create_blank_file(
        &self,
        principal: &Principal,
        folder: ItemId,
        name: &str,
        kind: BlankKind,
    ) -> Result<ItemDetail> {
        let (me, _) = self.personal_space(principal).await?;
        let Reached { item: folder, access } = self.target_folder(principal, folder).await?;
        let extension = kind.extension();
        let name = if crate::drive::extension(name) == extension {
            item_name("name", name)?
        } else {
            item_name("name", &format!("{name}.{extension}"))?
        };
        let bytes = kind.bytes().await.map_err(|err| Error::Internal(Box::new(err)))?;
        let room = self.room(folder.space, folder.enterprise_id).await?;
        room.check(bytes.len() as i64)?;
        let mut attempts = 0;
        let file_id = loop {
            attempts += 1;
            let free = self.free_name(folder.id, &name, ItemKind::File).await?;
            let storage_key = random_hex(16);
            let body: ByteStream = Box::pin(futures_util::stream::iter([Ok(bytes::Bytes::from(bytes.clone()))]));
            let content = Content {
                target: ContentTarget::Folder(folder.id),
                name: free.as_str(),
                remark: "",
                upload_id: None,
                expect_sha1: None,
            };
            match self
                .store_and_commit(content, me.user.id, &room, &folder, &storage_key, body)
                .await
            {
                Err(Error::Refused(Refusal::FileNameConflict)) if attempts < 3 => continue,
                other => break other?,
            }
        };
        let file = self
            .repo
            .find_item(file_id)
            .await?
            .ok_or_else(|| Error::internal("created file vanished"))?;
        self.record_use(me.user.id, file.id).await;
        self.detail(me.user.id, access, file).await
    }

    /// Deletes bytes that ended up unused; a failure only leaves garbage for the collector.
    pub(crate) async fn forget_blob(&self, storage_key: &str) {
        if let Err(err) = self.blobs.delete(storage_key).await {
            tracing::warn!(error = %err, storage_key, "could not delete unused blob");
        }
    }

    /// The session's folder or file must still be live, and the uploader still allowed to add
    /// to the folder or to edit the file.
    async fn check_upload_target(&self, uploader: &UserWithEnterprise, target: ContentTarget) -> Result<Item> {
        let (id, kind, capability) = match target {
            ContentTarget::Folder(id) => (id, ItemKind::Folder, Capability::Upload),
            ContentTarget::File(id) => (id, ItemKind::File, Capability::Edit),
        };
        let item = self.repo.find_item(id).await?;
        let item = match item {
            Some(item)
                if item.kind == kind
                    && item.enterprise_id == uploader.user.enterprise_id
                    && self.access_to(uploader.user.id, &item).await?.allows(capability) =>
            {
                item
            }
            _ => return Err(not_found(kind)),
        };
        if item.trash.is_some() {
            return Err(deleted(kind));
        }
        Ok(item)
    }

    /// `file/{id}/download`: a URL for the current version or `version`, valid `valid_period`
    /// seconds.
    pub async fn download_url(
        &self,
        principal: &Principal,
        file_id: ItemId,
        version: Option<i64>,
        valid_period: Option<i64>,
    ) -> Result<DownloadTicket> {
        let holder = self.download_holder(principal).await?;
        let file = self
            .live(principal, file_id, ItemKind::File, Capability::Download)
            .await?;
        let version_id = self.version_to_read(&file, version).await?;
        let ttl = valid_period.unwrap_or(DEFAULT_DOWNLOAD_TTL_SECS);
        if !(1..=MAX_DOWNLOAD_TTL_SECS).contains(&ttl) {
            return Err(Error::invalid("valid_period", "必须在1到604800秒之间"));
        }
        match principal.kind() {
            PrincipalKind::Visitor { link_id, .. } => self.count_link_download(link_id).await,
            _ => self.record_use(UserId(holder), file.id).await,
        }
        let audit = Audit::item(action::DOWNLOAD, &file).with("version_id", version_id.0);
        self.record_event(principal, file.enterprise_id, audit).await?;
        let expires_at = principal.url_expiry(self.clock.now(), ttl);
        // Who asked travels with the URL, so it stops working when they lose the right to it.
        let (ticket, signature) = self.seal_ticket("download", [version_id.0, holder], expires_at);
        Ok(DownloadTicket {
            ticket,
            signature,
            name: file.name,
            expires_at,
        })
    }

    /// A stateless URL credential for `purpose`: `fields` and the expiry packed as hex, and its
    /// signature.
    pub(crate) fn seal_ticket<const N: usize>(
        &self,
        purpose: &str,
        fields: [i64; N],
        expires_at: i64,
    ) -> (String, String) {
        let packed: Vec<u8> = std::iter::once(expires_at)
            .chain(fields)
            .flat_map(i64::to_be_bytes)
            .collect();
        let ticket = hex::encode(packed);
        let signature = self.ticket_signature(purpose, &ticket);
        (ticket, signature)
    }

    /// The signature of a URL ticket for `purpose`: a keyed hash bound to the purpose, so one
    /// kind of ticket never opens another.
    pub(crate) fn ticket_signature(&self, purpose: &str, ticket: &str) -> String {
        hex::encode(self.key.hash(&format!("{purpose}:{ticket}")))
    }

    /// Whether `signature` is the ticket's for `purpose` (compared in constant time).
    pub(crate) fn ticket_signature_holds(&self, purpose: &str, ticket: &str, signature: &str) -> bool {
        hex::decode(signature).is_ok_and(|signature| self.key.verify(&format!("{purpose}:{ticket}"), &signature))
    }

    /// The fields of an unexpired ticket sealed for `purpose` whose signature holds.
    pub(crate) fn open_ticket<const N: usize>(&self, purpose: &str, ticket: &str, signature: &str) -> Option<[i64; N]> {
        self.open_ticket_expiring(purpose, ticket, signature)
            .map(|(fields, _)| fields)
    }

    /// [`Core::open_ticket`], with when the ticket expires.
    pub(crate) fn open_ticket_expiring<const N: usize>(
        &self,
        purpose: &str,
        ticket: &str,
        signature: &str,
    ) -> Option<([i64; N], i64)> {
        if !self.ticket_signature_holds(purpose, ticket, signature) {
            return None;
        }
        let packed = hex::decode(ticket).ok()?;
        if packed.len() != 8 * (N + 1) {
            return None;
        }
        let mut values = packed
            .chunks_exact(8)
            .map(|chunk| i64::from_be_bytes(chunk.try_into().expect("chunks of 8")));
        let expires_at = values.next()?;
        if expires_at <= self.clock.now() {
            return None;
        }
        let mut fields = [0i64; N];
        for (slot, value) in fields.iter_mut().zip(values) {
            *slot = value;
        }
        Some((fields, expires_at))
    }

    /// Who holds a download URL the caller asks for: a user as themselves; a visitor through
    /// their link (negative, so the fetch re-checks the link rather than a user).
    pub(crate) async fn download_holder(&self, principal: &Principal) -> Result<i64> {
        match principal.kind() {
            PrincipalKind::Visitor { link_id, .. } => Ok(-link_id.0),
            _ => {
                let (me, _) = self.personal_space(principal).await?;
                if me.user.disable_download {
                    return Err(Error::PermissionDenied);
                }
                Ok(me.user.id.0)
            }
        }
    }

    /// The version of `file` a read asks for: `version`, or the current one for none or 0.
    pub(crate) async fn version_to_read(&self, file: &Item, version: Option<i64>) -> Result<VersionId> {
        match version.filter(|version| *version != 0) {
            None => file
                .current_version_id
                .ok_or_else(|| Error::internal("a file without a current version")),
            Some(id) => {
                let found = self.repo.find_version(VersionId(id)).await?;
                Ok(found
                    .filter(|found| found.file_id == file.id)
                    .ok_or_else(|| Error::invalid("version", "文件版本不存在"))?
                    .id)
            }
        }
    }

    /// Whether a URL's holder (see [`Core::download_holder`]) may still fetch `file`. Checked at
    /// fetch time: the holder may have been disabled, barred from downloading or lost the
    /// right to the file since the URL was issued; a link may have been revoked, expired or
    /// had downloads turned off.
    pub(crate) async fn holder_may_download(&self, holder: i64, file: &Item) -> Result<bool> {
        self.holder_may(holder, file, Capability::Download).await
    }

    /// Whether a URL's holder may still use `capability` on `file` (a download also needs the
    /// holder not to be barred from downloading).
    pub(crate) async fn holder_may(&self, holder: i64, file: &Item, capability: Capability) -> Result<bool> {
        if file.trash.is_some() {
            return Ok(false);
        }
        if holder < 0 {
            let reached = self.visitor_reach(ShareLinkId(-holder), file.clone()).await?;
            return Ok(reached.is_some_and(|reached| reached.access.allows(capability)));
        }
        let Some(holder) = self.repo.find_user(UserId(holder)).await? else {
            return Ok(false);
        };
        Ok(holder.active
            && !(capability == Capability::Download && holder.disable_download)
            && holder.enterprise_id == file.enterprise_id
            && self.access_to(holder.id, file).await?.allows(capability))
    }

    /// Checks a download URL: signature, expiry, and that the file is still live.
    pub async fn open_download(&self, ticket: &str, signature: &str) -> Result<Download> {
        let opened = self
            .open_version_ticket("download", ticket, signature, Capability::Download)
            .await?;
        Ok(Download {
            version: opened.version,
            name: opened.file.name,
            modified_at: opened.file.modified_at,
        })
    }

    /// A URL ticket for `purpose` that names a version and its holder (`[version, holder]`):
    /// its signature holds, it has not expired, and the holder may still use `capability` on
    /// the live file. Anything else answers `link_invalid_or_expired` alike.
    pub(crate) async fn open_version_ticket(
        &self,
        purpose: &str,
        ticket: &str,
        signature: &str,
        capability: Capability,
    ) -> Result<VersionTicket> {
        let invalid = || Error::not_found(NotFoundKind::Link);
        let ([version_id, holder], expires_at) = self
            .open_ticket_expiring(purpose, ticket, signature)
            .ok_or_else(invalid)?;
        let version = self
            .repo
            .find_version(VersionId(version_id))
            .await?
            .ok_or_else(invalid)?;
        let file = self.repo.find_item(version.file_id).await?.ok_or_else(invalid)?;
        if !self.holder_may(holder, &file, capability).await? {
            return Err(invalid());
        }
        Ok(VersionTicket {
            version,
            file,
            holder,
            expires_at,
        })
    }

    /// The bytes of a verified download, or a range of them.
    pub async fn download_bytes(&self, download: &Download, range: Option<ByteRange>) -> Result<ByteStream> {
        self.blobs
            .get(&download.version.storage_key, range)
            .await
            .map_err(blob_failure)
    }

    /// `file/{id}/versions`: newest first.
    pub async fn list_versions(&self, principal: &Principal, file_id: ItemId) -> Result<(Vec<VersionView>, Users)> {
        let file = self.live(principal, file_id, ItemKind::File, Capability::List).await?;
        let versions = self.repo.list_versions(file.id).await?;
        let users = self
            .users_by_id(
                versions
                    .iter()
                    .map(|version| version.created_by)
                    .collect::<HashSet<UserId>>(),
            )
            .await?;
        let views = versions
            .into_iter()
            .map(|version| VersionView {
                current: Some(version.id) == file.current_version_id,
                version,
            })
            .collect();
        Ok((views, users))
    }

    async fn version_of(
        &self,
        principal: &Principal,
        file_id: ItemId,
        version_id: i64,
        capability: Capability,
    ) -> Result<(Item, FileVersion)> {
        let file = self.live(principal, file_id, ItemKind::File, capability).await?;
        let version = self.repo.find_version(VersionId(version_id)).await?;
        let version = version
            .filter(|version| version.file_id == file.id)
            .ok_or_else(|| Error::invalid("version_id", "文件版本不存在"))?;
        Ok((file, version))
    }

    /// `file/{id}/version/{version_id}/info`.
    pub async fn version_info(
        &self,
        principal: &Principal,
        file_id: ItemId,
        version_id: i64,
    ) -> Result<(VersionView, Users)> {
        let (file, version) = self
            .version_of(principal, file_id, version_id, Capability::List)
            .await?;
        let users = self.users_by_id(HashSet::from([version.created_by])).await?;
        Ok((
            VersionView {
                current: Some(version.id) == file.current_version_id,
                version,
            },
            users,
        ))
    }

    /// `file/{id}/version/{version_id}/promote`: that content becomes a new current version.
    pub async fn promote_version(&self, principal: &Principal, file_id: ItemId, version_id: i64) -> Result<ItemDetail> {
        let (file, version) = self
            .version_of(principal, file_id, version_id, Capability::Edit)
            .await?;
        let (me, _) = self.personal_space(principal).await?;
        if Some(version.id) != file.current_version_id {
            let audit = Audit::item(action::SET_CURRENT_VERSION, &file).with("version_id", version.id.0);
            let write = self
                .repo
                .promote_version(file.id, version.id, me.user.id, self.clock.now());
            self.audited(principal, file.enterprise_id, audit, write)
                .await
                .map_err(target_error)?;
        }
        let Reached { item: file, access } = self
            .live_reached(principal, file_id, ItemKind::File, Capability::List)
            .await?;
        self.detail(viewer(principal), access, file).await
    }

    /// `file/{id}/version/{version_id}/delete`: any version but the current one.
    pub async fn delete_version(&self, principal: &Principal, file_id: ItemId, version_id: i64) -> Result<()> {
        let (file, version) = self
            .version_of(principal, file_id, version_id, Capability::Delete)
            .await?;
        if Some(version.id) == file.current_version_id {
            return Err(Error::invalid("version_id", "不能删除当前版本"));
        }
        let audit = Audit::item(action::DELETE_VERSION, &file).with("version_id", version.id.0);
        let write = self.repo.delete_version(file.id, version.id, self.clock.now());
        Ok(self.audited(principal, file.enterprise_id, audit, write).await?)
    }

    /// Removes bytes nothing refers to: blobs unreferenced for `grace_secs`, upload URLs expired
    /// `grace_secs` ago with what they left behind, and a store's partial writes of that age.
    /// The grace period is what keeps a reader that resolved a blob just before it lost its
    /// last reference safe.
    pub async fn collect_garbage(&self, grace_secs: i64) -> Result<CollectReport> {
        let before = self.clock.now() - grace_secs;
        let mut report = CollectReport::default();
        for key in self.repo.purge_upload_sessions(before).await? {
            self.forget_blob(&key).await;
            report.abandoned_uploads += 1;
        }
        loop {
            let blobs = self.repo.list_unreferenced_blobs(before, 500).await?;
            if blobs.is_empty() {
                break;
            }
            let batch = blobs.len();
            for blob in blobs {
                if self.repo.delete_unreferenced_blob(blob.blob_id, before).await? {
                    self.forget_blob(&blob.storage_key).await;
                    report.blobs += 1;
                }
            }
            if batch < 500 {
                break;
            }
        }
        report.conversions = self.purge_conversions().await?;
        report.partial_writes = self
            .blobs
            .sweep_partial(grace_secs.max(0) as u64)
            .await
            .map_err(blob_failure)?;
        Ok(report)
    }

    /// Whether the blob store answers, for `/readyz`.
    pub async fn blobs_healthy(&self) -> bool {
        self.blobs.is_healthy().await
    }
}

/// How many more bytes fit where an upload goes: the limit of its space (its user's or its
/// department's) and of the enterprise, with the refusal for each.
pub(crate) struct Room {
    space_total: i64,
    space_used: i64,
    space_full: Refusal,
    enterprise_total: i64,
    enterprise_used: i64,
}

impl Room {
    /// Bytes that still fit, `u64::MAX` when nothing limits them.
    fn left(&self) -> u64 {
        let left = |total: i64, used: i64| {
            if total < 0 {
                u64::MAX
            } else {
                total.saturating_sub(used).max(0) as u64
            }
        };
        left(self.space_total, self.space_used).min(left(self.enterprise_total, self.enterprise_used))
    }

    /// Whether `size` more bytes fit.
    pub(crate) fn check(&self, size: i64) -> Result<()> {
        let fits = |total: i64, used: i64| total < 0 || used.saturating_add(size) <= total;
        if !fits(self.space_total, self.space_used) {
            return Err(Error::Refused(self.space_full));
        }
        if !fits(self.enterprise_total, self.enterprise_used) {
            return Err(Error::Refused(Refusal::ExceedEnterpriseSpaceLimit));
        }
        Ok(())
    }

    /// The refusal for a body that outgrew the room: whichever limit is the tighter.
    fn refusal(&self) -> Error {
        let left = |total: i64, used: i64| if total < 0 { i64::MAX } else { total - used };
        if left(self.space_total, self.space_used) <= left(self.enterprise_total, self.enterprise_used) {
            Error::Refused(self.space_full)
        } else {
            Error::Refused(Refusal::ExceedEnterpriseSpaceLimit)
        }
    }
}

impl Core {
    /// The room in `space` as stored now (the commit checks again, atomically).
    pub(crate) async fn room(&self, space: Space, enterprise_id: EnterpriseId) -> Result<Room> {
        let enterprise = self.repo.find_enterprise(enterprise_id).await?;
        let enterprise = enterprise.ok_or_else(|| Error::internal("an item of a vanished enterprise"))?;
        let (space_total, space_used, space_full) = match space {
            Space::Personal(user) => {
                let user = self.repo.find_user(user).await?;
                let user = user.ok_or(Error::not_found(NotFoundKind::User))?;
                (user.space_total, user.space_used, Refusal::ExceedUserSpaceLimit)
            }
            Space::Department(department) => {
                let department = self.repo.find_department(department).await?;
                let department = department.ok_or(Error::not_found(NotFoundKind::Department))?;
                (
                    department.space_total,
                    department.space_used,
                    Refusal::ExceedDepartmentSpaceLimit,
                )
            }
        };
        Ok(Room {
            space_total,
            space_used,
            space_full,
            enterprise_total: enterprise.space_total,
            enterprise_used: enterprise.space_used,
        })
    }
}

pub(crate) fn blob_failure(err: BlobError) -> Error {
    match err {
        BlobError::NotFound => Error::internal("a committed blob is missing from the store"),
        BlobError::Body(source) => Error::Unavailable(Box::new(source)),
        BlobError::Store(source) => Error::Unavailable(source),
    }
}

//! The use cases. Every public function takes the calling [`Principal`](crate::auth::Principal)
//! first (or credentials to turn into one) and enforces its permission rules itself, so HTTP,
//! the admin CLI and the console all get the same policy.

mod account;
mod accounts;
mod admin;
mod apps;
mod audit_log;
mod auth_service;
mod authorize;
mod collab;
mod comment;
mod console;
mod convert;
mod device;
pub(crate) mod drive;
mod embed;
mod events;
mod form_upload;
mod fsck;
mod gpt;
mod idempotency;
mod jwt_grant;
mod knowledge;
mod lists;
mod notice;
mod org;
pub(crate) mod pack;
mod platform;
mod preview;
mod resumable;
mod review;
mod search;
mod share;
mod signing;
mod sms;
mod sso;
mod status;
mod tag;
mod transfer;
mod usage;
mod users;
mod webhook;

use std::sync::Arc;

use crate::blob::BlobStore;
use crate::cache::AuthCache;
use crate::clock::Clock;
use crate::ports::Repo;
use crate::search::SearchIndex;
use crate::secrets::SecretKey;

pub use account::{AppInstance, AppSettings, DEFAULT_INSTANCE, SERVICE_APPS, TokenInfo, parse_paid_until};
pub use accounts::{AccountChanges, NewAccount};
pub use admin::{CreateApp, CreateEnterprise, CreateUser, CreatedApp, CreatedEnterprise};
pub use apps::{AppChanges, MAX_REDIRECT_URIS, MAX_SECRET_GRACE_SECS, check_redirect_uri};
pub use audit_log::{AuditPage, LogFilter, MAX_PAGE, QUERY_WINDOW_DAYS};
pub(crate) use auth_service::decoy_password_hash;
pub use auth_service::{
    AUTH_CODE_SECS, AuthServiceCall, CompanyInfo, EXPIRED_TOKEN_MEMORY_SECS, USER_TOKEN_SECS, UserAccessToken,
};
pub use authorize::{AuthorizationRequest, AuthorizeRefusal, Consent, ID_TOKEN_SECS};
pub use collab::{CollabView, FolderCollabs, GrantMap, Invitation};
pub use comment::CommentView;
pub use console::CONSOLE_CLIENT_PREFIX;
pub use convert::{ConvertedTicket, MAX_CONVERTED_TTL_SECS};
pub use device::{
    DEVICE_CODE_SECS, DEVICE_POLL_SECS, DeviceRecord, DeviceRequest, DeviceStart, DeviceStatus, NewDevice,
};
pub use drive::{Access, ItemDetail, ItemListing, ItemView, ListingStamp, OnConflict, Users};
pub use embed::{ACCESS_TOKEN_TYPE, ITEM_TOKEN_TTL_SECS};
pub use events::{EventCursor, EventPage, MAX_EVENT_PAGE};
pub use form_upload::{DEFAULT_FORM_UPLOAD_SECS, FormUploadRequest, FormUploadTicket};
pub use fsck::{DamagedBlob, FsckOptions, FsckReport, MissingDerived, Orphan};
pub use gpt::{ChatAsk, ChatReply, GptChanges, ShareChanges, SquareChanges, expiration_text};
pub use jwt_grant::{JwtDialect, RegisteredKey, check_jwt_public_key, unverified_issuer};
pub use lists::Found;
pub use notice::NoticeSettings;
pub use org::{DepartmentChildren, DepartmentEdit, DepartmentSpec, DepartmentView, GroupList, GroupSpec};
pub use pack::{MAX_PACK_ITEMS, PackEntry, PackTicket};
pub use platform::{
    DepartmentFileManagers, MAX_FILE_MANAGER_DEPARTMENTS, MAX_SYNC_ITEMS, ManagerWithIds, MappingKey, SyncOrgRecord,
    SyncOutcome, SyncUserRecord, SyncUsers,
};
pub use preview::{DEFAULT_PREVIEW_TTL_SECS, MAX_PREVIEW_TTL_SECS, Preview, PreviewGrant, PreviewPart, Readiness};
pub use resumable::{DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE, ResumableUpload};
pub use review::{ReviewCommentView, ReviewEdit, ReviewItemView, ReviewRequest, ReviewView};
pub use search::{ItemSearch, SearchScope};
pub use share::{ShareLinkRequest, ShareLinkView};
pub use signing::PUBLISH_AHEAD_SECS;
pub use sms::{SmsRequest, SmsSettings};
pub use sso::{LOGIN_TICKET_SECS, LoginTicket, WEB_SESSION_SECS, WebSession};
pub use status::EnterpriseStatus;
pub use tag::{MAX_TAGGED_PER_REQUEST, MAX_TAGS_PER_REQUEST, TaggedItem};
pub use transfer::{
    CollectReport, DEFAULT_DOWNLOAD_TTL_SECS, Download, DownloadTicket, UPLOAD_URL_TTL_SECS, UploadRequest,
    UploadTarget, UploadTicket, VersionView,
};
pub use users::{IdentifierType, UserLookup};
pub use webhook::{WebhookChanges, WebhookView};

/// The domain services over their ports.
#[derive(Clone)]
pub struct Core {
    pub(crate) repo: Arc<dyn Repo>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) key: SecretKey,
    pub(crate) cache: Arc<AuthCache>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) search: Arc<dyn SearchIndex>,
    /// How text messages leave (`with_sms`); none until the binary configures it.
    pub(crate) sms: Option<Arc<sms::SmsSettings>>,
    /// How notices leave (`with_notices`); none: they stay pending.
    pub(crate) notices: Option<Arc<notice::NoticeSettings>>,
    /// How files are converted (`with_converter`); none: conversions are unavailable.
    pub(crate) converter: Option<Arc<dyn crate::convert::Converter>>,
    /// This node's copy of the ID-token signing keys.
    pub(crate) signing_keys: Arc<signing::KeyCache>,
    /// This node's preview conversions in progress.
    pub(crate) previews: Arc<preview::PreviewJobs>,
    /// Reads files for training and retrieves segments (`with_knowledge`); none: knowledge
    /// bases answer that they are not configured.
    pub(crate) knowledge: Option<Arc<dyn crate::knowledge::KnowledgeEngine>>,
    /// The chat models (`with_chat_models`); none: answers come from the knowledge itself.
    pub(crate) chat_models: Option<Arc<dyn crate::gpt::ChatModels>>,
}

impl Core {
    pub fn new(
        repo: Arc<dyn Repo>,
        blobs: Arc<dyn BlobStore>,
        search: Arc<dyn SearchIndex>,
        clock: Arc<dyn Clock>,
        key: SecretKey,
    ) -> Self {
        Self {
            repo,
            clock,
            key,
            cache: Arc::new(AuthCache::new()),
            blobs,
            search,
            sms: None,
            notices: None,
            converter: None,
            signing_keys: Arc::default(),
            previews: Arc::default(),
            knowledge: None,
            chat_models: None,
        }
    }

    /// Chat answers are made by `models` rather than quoted from the knowledge.
    pub fn with_chat_models(mut self, models: Arc<dyn crate::gpt::ChatModels>) -> Self {
        self.chat_models = Some(models);
        self
    }

    /// Knowledge bases read files and retrieve segments through `engine`.
    pub fn with_knowledge(mut self, engine: Arc<dyn crate::knowledge::KnowledgeEngine>) -> Self {
        self.knowledge = Some(engine);
        self
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Reads the revocation epoch and drops cached token checks if it moved. The binary calls
    /// this on a timer (and when the database says the epoch moved); until it is called once,
    /// nothing is cached. It also tells the database which epoch this node now serves from (when
    /// that changed, and every second), which is what a revoking node waits for. When the epoch
    /// cannot be read or reported, the cache is suspended (nothing cached) until a later call
    /// succeeds.
    pub async fn sync_revocations(&self) -> crate::Result<()> {
        self.sync_epoch().await.map(|_| ())
    }

    async fn sync_epoch(&self) -> crate::Result<i64> {
        let synced = async {
            let epoch = self.repo.revocation_epoch().await?;
            if self.cache.epoch().is_none() {
                // Not trusted yet (starting, or after a stall): say where this node stands
                // before caching anything, so a revocation made meanwhile waits for it.
                self.repo.report_epoch(self.cache.node(), epoch).await?;
                self.cache.observe_epoch(epoch);
                self.cache.reported(epoch);
            } else {
                // Drop what a revocation made stale before saying it is done.
                self.cache.observe_epoch(epoch);
                if self.cache.report_due(epoch) {
                    self.repo.report_epoch(self.cache.node(), epoch).await?;
                    self.cache.reported(epoch);
                }
            }
            Ok::<_, crate::error::RepoError>(epoch)
        };
        synced.await.map_err(|err| {
            self.cache.suspend();
            err.into()
        })
    }

    /// Stops trusting cached checks, for a caller that could not finish `sync_revocations`.
    pub fn suspend_cache(&self) {
        self.cache.suspend();
    }

    /// After a revocation committed here: drop what this node cached at once, then wait until
    /// every other node heard from lately serves from the new epoch too (they are told at once
    /// on PostgreSQL, and poll every 100 ms anyway), so when the change is answered no node
    /// honours what it revoked. The revocation itself succeeded, so a failure here only
    /// suspends this node's cache, or (when even the epoch cannot be read) skips the wait.
    pub(crate) async fn after_revocation(&self) -> crate::Result<()> {
        let synced = if self.cache.epoch().is_some() {
            self.sync_epoch().await.ok()
        } else {
            None
        };
        let epoch = match synced {
            Some(epoch) => Ok(epoch),
            None => self.repo.revocation_epoch().await,
        };
        match epoch {
            Ok(epoch) => self.wait_for_other_nodes(epoch).await,
            Err(err) => {
                tracing::warn!(error = ?err, "re-reading the revocation epoch failed; other nodes not waited for")
            }
        }
        Ok(())
    }

    async fn wait_for_other_nodes(&self, epoch: i64) {
        let waited = self
            .repo
            .wait_for_nodes(
                self.cache.node(),
                epoch,
                crate::cache::NODE_LIVE_SECS,
                crate::cache::PEER_PATIENCE,
            )
            .await;
        match waited {
            Ok(0) => {}
            Ok(behind) => tracing::warn!(
                nodes = behind,
                epoch,
                "nodes did not catch up with a revocation in time"
            ),
            Err(err) => tracing::warn!(error = ?err, "cannot tell whether other nodes caught up with a revocation"),
        }
    }
}

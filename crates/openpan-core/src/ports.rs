//! The traits through which core reaches storage. Methods are use-case shaped: each is one
//! atomic step from the service's point of view, and the adapter owns any transaction.
//!
//! Verbs: `get_*` must exist (else `RepoError::NotFound`), `find_*` returns `Option`, `list_*` is
//! paged, `create_*`/`update_*`/`delete_*` write.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::audit::StoredEvent;
use crate::auth_service::{AuthCodeRecord, EnterpriseProfile, UserTokenRecord};
use crate::collab::{Collab, Grant, NewCollab, Role};
use crate::comment::{Comment, NewComment};
use crate::convert::{Conversion, ConversionTarget};
use crate::criteria::{self, Criteria};
use crate::knowledge::{
    AnalysisMethod, Dataset, DatasetId, IndexedSegment, Segment, SegmentId, SegmentRules, TaskId, TaskProgress,
    TrainFileId, TrainJob, Trained,
};
use crate::notice::{Notice, NoticeStatus};
use crate::review::{NewReview, Review, ReviewChanges, ReviewComment, ReviewRole};
use crate::share::{NewShareLink, ShareLink, ShareLinkChanges};
use crate::sms::{SmsMessage, SmsStatus, SmsTemplate};
use crate::tag::Tag;
use crate::webhook::{LoggedEvent, Subscription, Webhook, WebhookAttempt, WebhookStatus};

use crate::drive::{FileVersion, Item, KindFilter, Marker, PathEntry, Sort, Space};
use crate::error::RepoError;
use crate::ids::{
    AppId, CollabId, CommentId, DepartmentId, EnterpriseId, GroupId, ItemId, ReviewCommentId, ReviewId, ShareLinkId,
    TokenId, UserId, VersionId,
};
use crate::model::{
    App, AppStatus, Enterprise, NewToken, Page, Subject, TokenHashes, TokenRecord, User, UserField, UserWithEnterprise,
};
use crate::org::{Department, DepartmentChanges, Group, GroupChanges, NewDepartment, NewGroup, OrgKind};

pub type RepoResult<T> = Result<T, RepoError>;

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub active: bool,
    pub is_admin: bool,
    pub hide_phone: bool,
    pub disable_download: bool,
    pub space_total: i64,
    pub created_at: i64,
}

/// What an administrator changes about a user; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    /// Bytes, -1 for unlimited.
    pub space_total: Option<i64>,
    pub hide_phone: Option<bool>,
    pub disable_download: Option<bool>,
}

/// Who takes a deleted user's files, and the folder (in the heir's personal space, created
/// for it) they go into.
#[derive(Debug, Clone, Copy)]
pub struct Heir {
    pub user: UserId,
    pub folder: ItemId,
}

/// An enterprise to create together with its administrator.
#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub name: String,
    pub short_name: String,
    /// `enterprise_id` is ignored: the new enterprise's id is used.
    pub admin: NewUser,
    pub created_at: i64,
}

/// An app to create.
#[derive(Debug, Clone)]
pub struct NewApp {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub client_id: String,
    pub client_secret_hash: Vec<u8>,
    pub callback_url: Option<String>,
    pub created_at: i64,
    pub client_type: crate::model::ClientType,
    pub redirect_uris: Vec<String>,
    pub allowed_scopes: Option<crate::scope::Scopes>,
}

#[async_trait]
pub trait EnterpriseRepo: Send + Sync {
    /// Atomic: the enterprise and its admin user are created together or not at all.
    /// Errors: `Conflict(EnterpriseShortName)`, `Conflict(UserLogin)`.
    async fn create_enterprise(&self, new: NewEnterprise) -> RepoResult<(Enterprise, User)>;
    async fn find_enterprise(&self, id: EnterpriseId) -> RepoResult<Option<Enterprise>>;
    async fn count_enterprises(&self) -> RepoResult<i64>;
    /// The enterprise's registration details (all empty until its administrator sets them).
    async fn find_enterprise_profile(&self, id: EnterpriseId) -> RepoResult<EnterpriseProfile>;
    /// Stores the whole profile.
    async fn update_enterprise_profile(&self, id: EnterpriseId, profile: &EnterpriseProfile) -> RepoResult<()>;
}

#[async_trait]
pub trait UserRepo: Send + Sync {
    /// Errors: `Conflict(UserLogin)` when an undeleted user has the same email or phone.
    async fn create_user(&self, new: NewUser) -> RepoResult<User>;
    /// Undeleted users only.
    async fn find_user(&self, id: UserId) -> RepoResult<Option<User>>;
    /// An undeleted user together with its enterprise, in one round trip.
    async fn find_user_with_enterprise(&self, id: UserId) -> RepoResult<Option<UserWithEnterprise>>;
    /// By email (case-insensitive) or phone, among the enterprise's undeleted users.
    async fn find_user_by_login(&self, enterprise_id: EnterpriseId, login: &str) -> RepoResult<Option<User>>;
    /// By the id a third-party platform knows the user by.
    async fn find_user_by_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        ticket: &str,
    ) -> RepoResult<Option<User>>;
    /// Errors: `Conflict(UserTicket)` when the ticket is already mapped on that platform.
    async fn create_user_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        ticket: &str,
        user_id: UserId,
    ) -> RepoResult<()>;
    /// Undeleted users of the enterprise by id, and their total count.
    async fn list_users(&self, enterprise_id: EnterpriseId, page: Page) -> RepoResult<(Vec<User>, i64)>;
    /// Users by id, deleted ones included (items keep naming their owners and editors).
    async fn list_users_by_id(&self, ids: &[UserId]) -> RepoResult<Vec<User>>;
    /// Atomic: marks the user deleted and revokes every token issued for it.
    /// Records a new profile picture; answers the storage key of the one it replaces.
    async fn set_profile_pic(
        &self,
        user: UserId,
        key: &str,
        storage_key: &str,
        content_type: &str,
    ) -> RepoResult<Option<String>>;
    /// The profile picture's key, storage key and type.
    async fn find_profile_pic(&self, user: UserId) -> RepoResult<Option<(String, String, String)>>;
    /// A user whether deleted or not, with the deletion time.
    async fn find_user_record(&self, id: UserId) -> RepoResult<Option<(User, Option<i64>)>>;
    /// Applies `changes`; the user's enterprise's cached listings and every node's cached
    /// records go stale with it.
    async fn update_user(&self, id: UserId, changes: UserChanges) -> RepoResult<User>;
    /// Live users of an enterprise whose name, email or phone contains `words` (all when
    /// `None`), by name then id.
    async fn search_users(
        &self,
        enterprise_id: EnterpriseId,
        words: Option<&str>,
        page: Page,
    ) -> RepoResult<(Vec<User>, i64)>;
    /// Deletes a user and revokes its tokens; with an heir, everything in the user's personal
    /// space (the trash included) moves into `heir.folder` and the heir's space, in the same
    /// transaction.
    async fn delete_user(&self, id: UserId, heir: Option<Heir>, at: i64) -> RepoResult<()>;
}

#[async_trait]
pub trait AppRepo: Send + Sync {
    async fn create_app(&self, new: NewApp) -> RepoResult<App>;
    /// Any status; callers decide what a disabled app may do.
    async fn find_app_by_client_id(&self, client_id: &str) -> RepoResult<Option<App>>;
    async fn find_app(&self, id: AppId) -> RepoResult<Option<App>>;
    /// Atomic: sets the status, bumps the revocation epoch and, unless the status is `Active`,
    /// deletes every token of the app.
    async fn update_app_status(&self, id: AppId, status: AppStatus) -> RepoResult<()>;
    /// Sets how the app names users in `get-token`; cached copies of the app go stale with it.
    async fn update_app_user_field(&self, id: AppId, field: UserField) -> RepoResult<()>;
    /// Writes the app's name, redirect URIs and allowed scopes (deleting its tokens with
    /// `revoke_tokens`); cached copies go stale with it.
    async fn update_app_settings(&self, app: &App, revoke_tokens: bool) -> RepoResult<()>;
    /// Makes `secret_hash` the app's secret, keeping the current one valid until `until`.
    async fn rotate_app_secret(&self, id: AppId, secret_hash: &[u8], until: i64) -> RepoResult<()>;
}

/// A pair stored in place of another: its id, subject and scopes (`None`: its kind's whole).
pub type RotatedPair = (TokenId, Subject, Option<crate::scope::Scopes>);

#[async_trait]
pub trait TokenRepo: Send + Sync {
    /// Atomic: records `jti` as used by the app until `jti_expires_at` and stores the token.
    /// Errors: `Conflict(JtiReplayed)` when the app already used `jti` (nothing is stored).
    async fn create_token_for_assertion(
        &self,
        app_id: AppId,
        jti: &str,
        jti_expires_at: i64,
        token: NewToken,
    ) -> RepoResult<TokenId>;
    /// Stores a token pair issued without an assertion (the OA dialect's `get-token`).
    /// Errors: `Conflict(AppInactive)` when the app is not active (nothing is stored).
    async fn create_token(&self, token: NewToken) -> RepoResult<TokenId>;
    /// The app a token pair was issued to and its access and (unused) refresh tokens' hashes,
    /// while the pair exists (expired or not).
    async fn find_token_pair(&self, id: TokenId) -> RepoResult<Option<(AppId, Vec<u8>, Option<Vec<u8>>)>>;
    /// Deletes a token pair (revocation) and bumps the revocation epoch; false when it was gone.
    async fn delete_token_pair(&self, id: TokenId) -> RepoResult<bool>;
    /// Atomic: deletes the unexpired pair `old` and stores `replacement` for the same app and
    /// subject, its refresh token no longer-lived than the old one's (and unusable if the old
    /// one was used), its access token no longer-lived than that. `None` when `old` is gone
    /// or expired, or its app is not active; nothing is stored then.
    async fn replace_token(&self, old: TokenId, now: i64, replacement: TokenHashes) -> RepoResult<Option<RotatedPair>>;
    /// The token, if its access token is unexpired, its app is active and (for user tokens)
    /// its user is active and undeleted. The caller checks the secret against `access_hash`.
    async fn find_access_token(&self, id: TokenId, now: i64) -> RepoResult<Option<TokenRecord>>;
    /// Atomic: consumes the app's refresh token `id` if its hash is `refresh_hash`, it is
    /// unexpired and unused, and (for user tokens) its user is active and undeleted; then stores
    /// a new pair with the same subject. Returns the new pair's id and subject, or `None` when the
    /// refresh token is not (or no longer) usable; nothing is stored then.
    async fn rotate_refresh_token(
        &self,
        app_id: AppId,
        id: TokenId,
        refresh_hash: &[u8],
        now: i64,
        replacement: TokenHashes,
    ) -> RepoResult<Option<RotatedPair>>;
    /// A counter that grows with every change revoking access (any app status change, a user
    /// deleted); a cache of token checks and apps is valid only while it stays the same.
    async fn revocation_epoch(&self) -> RepoResult<i64>;
    /// Records that `node`'s cache serves from epoch `seq`, stamped with the database's clock.
    async fn report_epoch(&self, node: &str, seq: i64) -> RepoResult<()>;
    /// Waits up to `patience` until no node other than `node`, heard from in the last
    /// `live_secs` seconds (by the database's clock), serves from an epoch before `seq`;
    /// answers how many still do.
    async fn wait_for_nodes(
        &self,
        node: &str,
        seq: i64,
        live_secs: i64,
        patience: std::time::Duration,
    ) -> RepoResult<i64>;
    /// Deletes expired tokens and used jtis (and forgets nodes gone for a day); returns how many
    /// tokens, jtis, codes and device grants went.
    async fn purge_expired(&self, now: i64) -> RepoResult<u64>;
}

/// A folder to create.
#[derive(Debug, Clone)]
pub struct NewFolder {
    pub parent_id: ItemId,
    pub name: String,
    pub name_key: String,
    pub description: String,
    pub by: UserId,
    pub at: i64,
}

/// New content for a file: a new file in `Folder`, or a new version of `File`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentTarget {
    Folder(ItemId),
    File(ItemId),
}

/// Bytes that were stored and are now to be committed as a file version.
#[derive(Debug, Clone)]
pub struct NewContent {
    pub target: ContentTarget,
    /// For a new file: its name and key; for a version: the file keeps its name.
    pub name: String,
    pub name_key: String,
    pub remark: String,
    pub sha256: [u8; 32],
    pub sha1: String,
    pub size: i64,
    /// Where the bytes were put; dropped in favour of an existing blob with the same SHA-256.
    pub storage_key: String,
    pub by: UserId,
    pub at: i64,
    /// The upload URL this content came through; marked used in the same transaction.
    pub upload_id: Option<String>,
}

/// What committing content did.
#[derive(Debug, Clone)]
pub struct CommittedContent {
    pub file_id: ItemId,
    /// Whether `storage_key` is now unused (the content was already stored): delete it.
    pub duplicate_storage: bool,
}

/// An issued upload URL.
#[derive(Debug, Clone)]
pub struct UploadSession {
    pub upload_id: String,
    pub secret_hash: Vec<u8>,
    pub enterprise_id: EnterpriseId,
    pub user_id: UserId,
    pub target: ContentTarget,
    pub name: String,
    pub remark: String,
    pub declared_size: Option<i64>,
    /// Resumable sessions: the size of every part but the last.
    pub part_size: Option<i64>,
    /// The SHA-1 the client announced; other bytes are refused.
    pub expected_sha1: Option<String>,
    /// Whether its bytes were committed (the URL is used up).
    pub committed: bool,
    pub expires_at: i64,
    pub created_at: i64,
}

/// An upload token of the browser form mode: a browser holding it may post one file into
/// `folder_id` as `user_id`, for `app_id`. Only a keyed hash of the token is kept.
#[derive(Debug, Clone)]
pub struct FormUpload {
    pub token_hash: Vec<u8>,
    pub enterprise_id: EnterpriseId,
    pub user_id: UserId,
    pub app_id: AppId,
    /// 0: the user's personal root.
    pub folder_id: ItemId,
    /// Where the browser is sent afterwards, with the signed outcome in the query.
    pub redirect_url: Option<String>,
    /// Whether the app's callback address is sent a `file.uploaded` notice.
    pub notify: bool,
    /// The app's own value, handed back in the redirect and the notice.
    pub state: Option<String>,
    pub on_conflict: NameClash,
    pub status: FormUploadStatus,
    /// The file made, once done.
    pub file_id: Option<ItemId>,
    pub expires_at: i64,
    pub created_at: i64,
}

/// What a form upload does when its file's name is taken in the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameClash {
    /// `name (1).ext`, `name (2).ext`, …: what a person dropping a file in a browser expects.
    #[default]
    Rename,
    Fail,
    /// A new version of the file of that name.
    Overwrite,
}

impl NameClash {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rename => "rename",
            Self::Fail => "fail",
            Self::Overwrite => "overwrite",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Rename, Self::Fail, Self::Overwrite]
            .into_iter()
            .find(|clash| clash.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormUploadStatus {
    Open,
    /// A browser is sending bytes on it.
    Receiving,
    /// Used up.
    Done,
}

/// A received part of a resumable upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPart {
    /// 1-based.
    pub number: i32,
    pub storage_key: String,
    pub size: i64,
    pub sha256: Vec<u8>,
    pub created_at: i64,
}

/// What a blob-store key is recorded for, as `openpan admin fsck` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredReference {
    /// The bytes of file versions (`content_blob`).
    Content {
        blob_id: i64,
        size: i64,
        sha256: Vec<u8>,
    },
    /// A conversion's or preview's result.
    Conversion {
        size: i64,
    },
    ProfilePicture,
    /// A part of a resumable upload, or an upload receiving bytes now: its object may not be
    /// complete yet, so it is only kept from being called an orphan.
    InFlight,
}

/// A content blob whose recorded reference count differs from the versions that use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefCountDrift {
    pub blob_id: i64,
    pub recorded: i64,
    pub actual: i64,
}

/// A blob whose last reference went, for the collector.
#[derive(Debug, Clone)]
pub struct UnreferencedBlob {
    pub blob_id: i64,
    pub storage_key: String,
}

#[async_trait]
pub trait DriveRepo: Send + Sync {
    /// The root folder of `space`, created on first use with `owner` as the owner of what the
    /// space holds (the user of a personal space).
    async fn ensure_space_root(
        &self,
        enterprise_id: EnterpriseId,
        space: Space,
        owner: UserId,
        at: i64,
    ) -> RepoResult<Item>;
    /// Any item, live or in the trash.
    async fn find_item(&self, id: ItemId) -> RepoResult<Option<Item>>;
    /// The root folder of `space`, if it was ever used.
    async fn find_space_root(&self, space: Space) -> RepoResult<Option<Item>>;
    /// These items, live or in the trash, in no particular order; missing ids are left out.
    async fn list_items_by_id(&self, ids: &[ItemId]) -> RepoResult<Vec<Item>>;
    /// The roots of every space ever used, or of those `visible_to` a user works in (their
    /// personal space and their departments'), with their generations.
    async fn list_space_roots(&self, visible_to: Option<UserId>) -> RepoResult<Vec<crate::search::SpaceRoot>>;
    /// The roots of these spaces (those ever used).
    async fn list_space_roots_of(&self, spaces: &[Space]) -> RepoResult<Vec<crate::search::SpaceRoot>>;
    /// For the search index: every live item of `space` but its root; or, `since` a
    /// generation, every item changed at or after it, trashed ones included (see migration 0016).
    async fn list_index_rows(&self, space: Space, since: Option<i64>) -> RepoResult<Vec<crate::search::IndexRow>>;
    /// How many live items `space` holds (its root aside), and their ids: what an index that
    /// may hold items purged or moved away since compares itself with.
    async fn count_live_items(&self, space: Space) -> RepoResult<i64>;
    async fn list_live_item_ids(&self, space: Space) -> RepoResult<Vec<ItemId>>;
    /// The live items below `folder` (a folder that moved: their ancestors changed).
    async fn list_index_rows_below(&self, folder: ItemId) -> RepoResult<Vec<crate::search::IndexRow>>;
    /// The folders from the space's root down to the item's parent (empty for a root).
    async fn list_ancestors(&self, id: ItemId) -> RepoResult<Vec<PathEntry>>;
    /// `list_ancestors` of each of `ids` in one read (listings whose items have their own paths).
    async fn list_ancestors_of(&self, ids: &[ItemId]) -> RepoResult<HashMap<ItemId, Vec<PathEntry>>>;
    /// The live child of `parent` with this name key.
    async fn find_live_child(&self, parent: ItemId, name_key: &str) -> RepoResult<Option<Item>>;
    /// Name keys of live children of `parent` that start with `prefix`, for picking a free name.
    async fn list_live_child_keys_with_prefix(&self, parent: ItemId, prefix: &str) -> RepoResult<Vec<String>>;
    /// The change counters a cached listing of `folder` was rendered at: its space's root with
    /// that root's generation (each space counts on its own, and folders move between spaces),
    /// and its enterprise's directory generation. Read before the listing it stamps, so what
    /// is cached under a stamp is never older than the stamp.
    async fn listing_stamp(&self, folder: ItemId) -> RepoResult<(ItemId, i64, i64)>;
    /// One page of the live children, folders first (the parent's counters place the seam):
    /// by offset, or after `marker` (whose sort is `sort`) when given.
    async fn list_children(
        &self,
        parent: &Item,
        filter: KindFilter,
        sort: Sort,
        page: Page,
        after: Option<&Marker>,
    ) -> RepoResult<Vec<Item>>;

    /// Atomic: the folder, its parent's counters and modification time.
    /// Errors: `Conflict(ItemName)`, `Conflict(TargetInTrash)`.
    async fn create_folder(&self, new: NewFolder) -> RepoResult<Item>;
    /// Errors: `Conflict(ItemName)`.
    async fn update_item(
        &self,
        id: ItemId,
        name: Option<(String, String)>,
        description: Option<String>,
        by: UserId,
        at: i64,
    ) -> RepoResult<Item>;
    /// Atomic: re-parents the item (a live one), moving its counters and size; optionally
    /// renamed on the way. O(depth), whatever the subtree's size.
    /// Errors: `Conflict(ItemName)`, `Conflict(MoveIntoDescendant)`, `Conflict(TargetInTrash)`.
    async fn move_item(
        &self,
        id: ItemId,
        target: ItemId,
        rename: Option<(String, String)>,
        by: UserId,
        at: i64,
    ) -> RepoResult<()>;
    /// Atomic: copies the live subtree under `target` with a new root name; files share their
    /// current version's blob. Charges the target space's owner.
    /// Errors: `Conflict(ItemName)`, `Conflict(UserSpace)`, `Conflict(EnterpriseSpace)`,
    /// `Conflict(TargetInTrash)`.
    async fn copy_item(
        &self,
        id: ItemId,
        target: ItemId,
        name: (String, String),
        by: UserId,
        at: i64,
    ) -> RepoResult<ItemId>;
    /// Atomic: puts the live item and its live subtree in the trash.
    async fn trash_item(&self, id: ItemId, by: UserId, at: i64) -> RepoResult<()>;
    /// Atomic: brings back what trashing `id` took, under its old parent (live), optionally
    /// renamed. Errors: `Conflict(ItemName)`, `Conflict(TargetInTrash)`.
    async fn restore_item(&self, id: ItemId, rename: Option<(String, String)>, at: i64) -> RepoResult<()>;
    /// Atomic: deletes the item and everything below it for good, releasing their versions'
    /// blobs and the owners' space. Returns how many items went.
    async fn purge_item(&self, id: ItemId, at: i64) -> RepoResult<u64>;
    /// The items the user trashed in `space` (not those taken along), with the total.
    async fn list_trash(
        &self,
        space: Space,
        filter: KindFilter,
        sort: Sort,
        page: Page,
    ) -> RepoResult<(Vec<Item>, i64)>;
    /// Every trash root in `space` of the given kinds.
    async fn list_trash_roots(&self, space: Space, filter: KindFilter) -> RepoResult<Vec<Item>>;

    /// The live items of the subtree rooted at `id` (itself first, parents before children),
    /// each file with the storage key of its current version.
    async fn list_live_subtree(&self, id: ItemId) -> RepoResult<Vec<(Item, Option<String>)>>;

    /// Newest first.
    async fn list_versions(&self, file: ItemId) -> RepoResult<Vec<FileVersion>>;
    async fn find_version(&self, id: VersionId) -> RepoResult<Option<FileVersion>>;
    /// Atomic: stores the content as a new file or version, deduplicating the blob, charging
    /// the owner and the enterprise, and (with `upload_id`) marking the URL used.
    /// Errors: `Conflict(ItemName)`, `Conflict(UserSpace)`, `Conflict(EnterpriseSpace)`,
    /// `Conflict(TargetInTrash)`, `NotFound` (file or folder gone).
    async fn commit_content(&self, content: NewContent) -> RepoResult<CommittedContent>;
    /// Atomic: a new current version with the content of `version`.
    /// Errors: `Conflict(UserSpace)`, `Conflict(EnterpriseSpace)`.
    async fn promote_version(&self, file: ItemId, version: VersionId, by: UserId, at: i64) -> RepoResult<()>;
    /// Atomic: deletes a version that is not current, releasing its blob and space.
    async fn delete_version(&self, file: ItemId, version: VersionId, at: i64) -> RepoResult<()>;

    async fn create_upload_session(&self, session: UploadSession) -> RepoResult<()>;
    async fn find_upload_session(&self, upload_id: &str) -> RepoResult<Option<UploadSession>>;
    /// Takes an open, unexpired session for receiving bytes into `storage_key`; `false` when it
    /// is used, being used or expired.
    async fn claim_upload_session(&self, upload_id: &str, storage_key: &str, now: i64) -> RepoResult<bool>;
    /// Hands a claimed session back after a failed transfer, so the client may retry.
    async fn release_upload_session(&self, upload_id: &str) -> RepoResult<()>;
    /// Deletes sessions that expired before `before`; returns the storage keys of those whose
    /// bytes never committed and of their parts, for the caller to delete.
    async fn purge_upload_sessions(&self, before: i64) -> RepoResult<Vec<String>>;
    /// Records a part while the session is open, replacing an earlier copy of it. `None` when
    /// the session is not open; else the storage key of the replaced copy, if any.
    async fn put_upload_part(&self, upload_id: &str, part: UploadPart) -> RepoResult<Option<Option<String>>>;
    /// By part number.
    async fn list_upload_parts(&self, upload_id: &str) -> RepoResult<Vec<UploadPart>>;
    /// Forgets the session's parts; returns their storage keys, for the caller to delete.
    async fn delete_upload_parts(&self, upload_id: &str) -> RepoResult<Vec<String>>;
    /// Forgets the session and its parts; returns the parts' storage keys.
    async fn delete_upload_session(&self, upload_id: &str) -> RepoResult<Vec<String>>;

    /// Records that `user` used `item` at `at` (recent and frequent items).
    async fn record_use(&self, user: UserId, item: ItemId, at: i64) -> RepoResult<()>;
    /// Pins or unpins an item on the user's frequent list.
    async fn set_pinned(&self, user: UserId, item: ItemId, pinned: bool, at: i64) -> RepoResult<()>;
    /// The user's live files, most recently used first.
    async fn list_recent(&self, user: UserId, limit: i64) -> RepoResult<Vec<Item>>;
    /// The user's live pinned files, most used first, with the total.
    async fn list_frequent(&self, user: UserId, page: Page) -> RepoResult<(Vec<Item>, i64)>;
    /// Which of `items` the user pinned.
    async fn list_pinned_among(&self, user: UserId, items: &[ItemId]) -> RepoResult<Vec<ItemId>>;

    /// Blobs without references since before `before`.
    async fn list_unreferenced_blobs(&self, before: i64, limit: i64) -> RepoResult<Vec<UnreferencedBlob>>;
    /// Forgets the blob if it is still unreferenced since before `before`; `true` if it went.
    async fn delete_unreferenced_blob(&self, blob_id: i64, before: i64) -> RepoResult<bool>;
    /// Every blob-store key the database records, with what it is for.
    async fn stored_references(&self) -> RepoResult<Vec<(String, StoredReference)>>;
    /// Whether anything records `key` now (fsck asks again before removing an orphan).
    async fn storage_key_recorded(&self, key: &str) -> RepoResult<bool>;
    /// Whether the content blob is still recorded and used by some version.
    async fn content_blob_in_use(&self, blob_id: i64) -> RepoResult<bool>;
    /// Up to `limit` files with a version on the blob.
    async fn files_of_blob(&self, blob_id: i64, limit: i64) -> RepoResult<Vec<ItemId>>;
    /// Content blobs whose `ref_count` is not the number of versions on them.
    async fn reference_count_drift(&self) -> RepoResult<Vec<RefCountDrift>>;
    /// Sets the count to `drift.actual` unless it moved from `drift.recorded` meanwhile; a blob
    /// left with none becomes the collector's, `at` counting as when its last use went.
    async fn fix_reference_count(&self, drift: &RefCountDrift, at: i64) -> RepoResult<bool>;
}

/// What a request with an `Idempotency-Key` should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyStart {
    /// First use of the key: serve the request, then record its answer.
    Fresh,
    /// The same request was answered before: send this answer again.
    Replay { status: u16, body: Vec<u8> },
    /// The key was used for a different request.
    Mismatch,
    /// The same request is being served right now.
    InFlight,
}

#[async_trait]
pub trait CollabRepo: Send + Sync {
    /// Creates all of them or none; `Conflict(CollabExists)` when one's accessor is already
    /// invited to its folder. Answers the ids in order.
    async fn create_collabs(&self, new: &[NewCollab]) -> RepoResult<Vec<CollabId>>;
    async fn find_collab(&self, id: CollabId) -> RepoResult<Option<Collab>>;
    /// A folder's collaborations, oldest first.
    async fn list_folder_collabs(&self, folder: ItemId) -> RepoResult<Vec<Collab>>;
    /// Which of `folders` have collaborations.
    async fn list_shared_among(&self, folders: &[ItemId]) -> RepoResult<Vec<ItemId>>;
    /// Sets the role and/or accepts; `NotFound` when the collaboration is gone.
    async fn update_collab(&self, id: CollabId, role: Option<Role>, accept: bool, at: i64) -> RepoResult<Collab>;
    /// Deletes all of them or none: `NotFound` when one is gone.
    async fn delete_collabs(&self, ids: &[CollabId]) -> RepoResult<()>;
    /// The accepted collaborations on `item` and the folders above it that reach `user`
    /// (directly, through a group, or through a department they work in or one above it),
    /// outermost folder first: one walk up the item's ancestors.
    async fn grants_on(&self, item: ItemId, user: UserId) -> RepoResult<Vec<Grant>>;
    /// Every accepted collaboration that reaches `user`.
    async fn grants_of(&self, user: UserId) -> RepoResult<Vec<Grant>>;
}

#[async_trait]
pub trait ShareRepo: Send + Sync {
    /// `Conflict(ShareLinkName)` if the unique name is taken (the caller draws another).
    async fn create_share_link(&self, new: &NewShareLink) -> RepoResult<ShareLink>;
    /// A link by its public name, revoked ones included.
    async fn find_share_link(&self, unique_name: &str) -> RepoResult<Option<ShareLink>>;
    async fn find_share_link_by_id(&self, id: ShareLinkId) -> RepoResult<Option<ShareLink>>;
    async fn update_share_link(&self, id: ShareLinkId, changes: &ShareLinkChanges, at: i64) -> RepoResult<ShareLink>;
    /// `NotFound` when already revoked.
    async fn revoke_share_link(&self, id: ShareLinkId, at: i64) -> RepoResult<()>;
    /// The live links of an item (of one creator when `creator` is given), newest first.
    async fn list_share_links(
        &self,
        item: ItemId,
        creator: Option<UserId>,
        page: Page,
    ) -> RepoResult<(Vec<ShareLink>, i64)>;
    /// Counts a visit or a download through the link.
    async fn count_share_use(&self, id: ShareLinkId, download: bool) -> RepoResult<()>;
    /// Counts a password attempt under each key, in one transaction, before the password is
    /// compared. More than `threshold` within `window` seconds locks the key for `lock` seconds
    /// (doubling while locks follow within a day). Answers until when attempts are refused, if
    /// one of the keys is locked.
    async fn reserve_password_attempt(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
        threshold: i64,
        lock: i64,
    ) -> RepoResult<Option<i64>>;
    /// Hands back an attempt that turned out right.
    async fn release_password_attempt(&self, keys: &[String]) -> RepoResult<()>;
}

#[async_trait]
pub trait CommentRepo: Send + Sync {
    /// Writes the comment and its mentions and counts it on the file; `NotFound` when the
    /// file is no longer live.
    async fn create_comment(&self, new: &NewComment) -> RepoResult<Comment>;
    async fn find_comment(&self, id: CommentId) -> RepoResult<Option<Comment>>;
    /// A file's comments, oldest first, and how many it has.
    async fn list_comments(&self, file: ItemId, page: Page) -> RepoResult<(Vec<Comment>, i64)>;
    /// `NotFound` when already gone.
    async fn delete_comment(&self, id: CommentId) -> RepoResult<()>;
}

/// Which tags a search by tag takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagMatch<'a> {
    /// The tag with this key.
    Exactly(&'a str),
    /// Every tag whose key holds this text.
    Containing(&'a str),
}

#[async_trait]
pub trait TagRepo: Send + Sync {
    /// Puts the tags (by name; new names become tags of the enterprise) on every item and
    /// notes them as used by `user`. Items no longer live are passed over.
    async fn tag_items(
        &self,
        enterprise: EnterpriseId,
        items: &[ItemId],
        names: &[String],
        user: UserId,
        at: i64,
    ) -> RepoResult<()>;
    /// Takes the tags (by name) off every item.
    async fn untag_items(&self, enterprise: EnterpriseId, items: &[ItemId], names: &[String]) -> RepoResult<()>;
    /// The tags on each of `items`, by name.
    async fn item_tags(&self, items: &[ItemId]) -> RepoResult<HashMap<ItemId, Vec<Tag>>>;
    /// The tags `user` put on items most recently, newest first.
    async fn recent_tags(&self, user: UserId, limit: i64) -> RepoResult<Vec<Tag>>;
    /// The user's common list, in the order added.
    async fn common_tags(&self, user: UserId) -> RepoResult<Vec<Tag>>;
    /// Puts names on (creating the tags) or takes them off the user's common list.
    async fn set_common_tags(
        &self,
        enterprise: EnterpriseId,
        user: UserId,
        names: &[String],
        common: bool,
        at: i64,
    ) -> RepoResult<()>;
    /// Live items of the enterprise in `spaces` carrying a matching tag, at most `limit`,
    /// newest tagging first.
    async fn tagged_items(
        &self,
        enterprise: EnterpriseId,
        tags: TagMatch<'_>,
        spaces: &[Space],
        limit: i64,
    ) -> RepoResult<Vec<ItemId>>;
}

#[async_trait]
pub trait ReviewRepo: Send + Sync {
    /// `NotFound` when one of the files is no longer live.
    async fn create_review(&self, new: &NewReview) -> RepoResult<ReviewId>;
    /// A review that was not deleted.
    async fn find_review(&self, id: ReviewId) -> RepoResult<Option<Review>>;
    /// `NotFound` when it was deleted meanwhile.
    async fn update_review(&self, id: ReviewId, changes: &ReviewChanges, at: i64) -> RepoResult<()>;
    /// Marks it completed; `NotFound` when deleted.
    async fn complete_review(&self, id: ReviewId, at: i64) -> RepoResult<()>;
    async fn delete_review(&self, id: ReviewId, at: i64) -> RepoResult<()>;
    /// The user's reviews (started by them, put before them, or either), newest first.
    async fn list_reviews(&self, user: UserId, role: ReviewRole, page: Page) -> RepoResult<(Vec<Review>, i64)>;
    /// The inviters of the reviews open at `now` that put `item` before `user`.
    async fn review_inviters(&self, user: UserId, item: ItemId, now: i64) -> RepoResult<Vec<UserId>>;
    async fn create_review_comment(
        &self,
        review: ReviewId,
        user: UserId,
        content: &str,
        at: i64,
    ) -> RepoResult<ReviewComment>;
    async fn find_review_comment(&self, id: ReviewCommentId) -> RepoResult<Option<ReviewComment>>;
    /// Oldest first, and how many there are.
    async fn list_review_comments(&self, review: ReviewId, page: Page) -> RepoResult<(Vec<ReviewComment>, i64)>;
    async fn delete_review_comment(&self, id: ReviewCommentId) -> RepoResult<()>;
}

#[async_trait]
pub trait IdempotencyRepo: Send + Sync {
    /// Atomic: claims the user's `key` for `fingerprint`, or reports how it was used. A claim
    /// older than `stale_before` that never got an answer (its server died) is taken over.
    async fn begin_idempotent(
        &self,
        user: UserId,
        key: &str,
        fingerprint: &[u8],
        now: i64,
        stale_before: i64,
    ) -> RepoResult<IdempotencyStart>;
    /// Records the answer of a claimed key.
    async fn finish_idempotent(&self, user: UserId, key: &str, status: u16, body: &[u8]) -> RepoResult<()>;
    /// Gives a claimed key up (the request failed), so a retry runs it again.
    async fn abandon_idempotent(&self, user: UserId, key: &str) -> RepoResult<()>;
    /// Forgets keys made before `before`.
    async fn purge_idempotency_keys(&self, before: i64) -> RepoResult<u64>;
}

/// Every storage port in one object, as the wiring passes it around.
/// The department tree and groups of each enterprise, with their memberships.
#[async_trait]
pub trait OrgRepo: Send + Sync {
    /// Fails with `NotFound` when the parent is not a department of the enterprise, and with
    /// `Conflict(DepartmentName)` when a sibling has the name.
    async fn create_department(&self, new: NewDepartment) -> RepoResult<Department>;
    async fn find_department(&self, id: DepartmentId) -> RepoResult<Option<Department>>;
    /// Moves are checked for cycles under the enterprise's directory lock
    /// (`Conflict(DepartmentCycle)`); the new parent must exist (`NotFound`).
    async fn update_department(&self, id: DepartmentId, changes: DepartmentChanges) -> RepoResult<Department>;
    /// The enterprise-wide share switch; `NotFound` for an unknown enterprise.
    async fn set_enterprise_disable_share(&self, enterprise: EnterpriseId, disabled: bool) -> RepoResult<()>;
    /// Removes a department without sub-departments (`Conflict(DepartmentHasChildren)`) and its
    /// memberships; with an heir, everything in its space goes to the heir first, in the same
    /// transaction.
    async fn delete_department(&self, id: DepartmentId, heir: Option<Heir>, at: i64) -> RepoResult<()>;
    /// Direct sub-departments (of the enterprise itself for [`crate::org::ROOT_DEPARTMENT`]), by
    /// order then id.
    async fn list_child_departments(
        &self,
        enterprise_id: EnterpriseId,
        parent: DepartmentId,
    ) -> RepoResult<Vec<Department>>;
    /// `Conflict(AlreadyInDepartment)` or `Conflict(DepartmentLimit)` when refused.
    async fn add_department_user(&self, department: DepartmentId, user: UserId, at: i64) -> RepoResult<()>;
    /// Whether the user was a member.
    async fn remove_department_user(&self, department: DepartmentId, user: UserId) -> RepoResult<bool>;
    /// Direct members whose name, email or phone contains `words`, by id.
    async fn list_department_users(
        &self,
        department: DepartmentId,
        words: Option<&str>,
        page: Page,
    ) -> RepoResult<(Vec<User>, i64)>;
    async fn list_user_departments(&self, user: UserId) -> RepoResult<Vec<Department>>;
    async fn list_file_managers(&self, department: DepartmentId) -> RepoResult<Vec<UserId>>;
    /// Departments the user directs.
    async fn count_directed_departments(&self, user: UserId) -> RepoResult<i64>;
    /// Whether the user works in the department's space: a member, its director or a file
    /// manager.
    async fn works_in_department(&self, department: DepartmentId, user: UserId) -> RepoResult<bool>;

    /// `Conflict(GroupName)` when the enterprise has a group of that name.
    async fn create_group(&self, new: NewGroup) -> RepoResult<Group>;
    async fn find_group(&self, id: GroupId) -> RepoResult<Option<Group>>;
    async fn update_group(&self, id: GroupId, changes: GroupChanges) -> RepoResult<Group>;
    async fn delete_group(&self, id: GroupId) -> RepoResult<()>;
    /// Groups whose name contains `words`, by name then id; for a `viewer`, only visible groups
    /// and the viewer's own.
    async fn list_groups(
        &self,
        enterprise_id: EnterpriseId,
        viewer: Option<UserId>,
        words: Option<&str>,
        page: Page,
    ) -> RepoResult<(Vec<Group>, i64)>;
    async fn is_group_member(&self, group: GroupId, user: UserId) -> RepoResult<bool>;
    /// `Conflict(AlreadyInGroup)` when the user is a member.
    async fn add_group_user(&self, group: GroupId, user: UserId, at: i64) -> RepoResult<()>;
    async fn remove_group_user(&self, group: GroupId, user: UserId) -> RepoResult<bool>;
    async fn list_group_users(&self, group: GroupId, words: Option<&str>, page: Page) -> RepoResult<(Vec<User>, i64)>;
}

/// One account of an integrator's bulk sync, created or updated by its custom id.
#[derive(Debug, Clone)]
pub struct SyncUser {
    pub platform_id: i64,
    pub custom_id: String,
    /// What a new account is created with (its `enterprise_id` scopes the sync).
    pub new: NewUser,
    /// Whether an existing account is activated too.
    pub activate: bool,
    /// For an existing account; `None` fields keep their values.
    pub changes: UserChanges,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    /// Joined when not already a member (a membership the limit refuses fails the account).
    pub department: Option<DepartmentId>,
    pub group: Option<GroupId>,
}

/// Integrators' ids for users, departments and groups, and bulk account sync.
#[async_trait]
pub trait PlatformRepo: Send + Sync {
    async fn set_account_sync(&self, enterprise_id: EnterpriseId, enabled: bool) -> RepoResult<()>;
    /// Whether the enterprise's apps may use the `password` grant.
    async fn set_password_grant(&self, enterprise_id: EnterpriseId, enabled: bool) -> RepoResult<()>;
    /// The custom id of a user on a platform.
    async fn user_ticket_of(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        user: UserId,
    ) -> RepoResult<Option<String>>;
    async fn find_org_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        kind: OrgKind,
        custom_id: &str,
    ) -> RepoResult<Option<i64>>;
    async fn org_ticket_of(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        kind: OrgKind,
        local_id: i64,
    ) -> RepoResult<Option<String>>;
    /// Creates or updates one account with its custom id and memberships, all or nothing;
    /// answers the account and whether it was created.
    async fn sync_user(&self, sync: SyncUser) -> RepoResult<(User, bool)>;
}

/// Which audit events to read: an enterprise's, in `[from, to)`, matching every non-empty
/// filter, a page of them.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub enterprise_id: EnterpriseId,
    pub from: i64,
    pub to: i64,
    pub actions: Vec<i32>,
    pub operators: Vec<UserId>,
    pub files: Vec<i64>,
    pub folders: Vec<i64>,
    pub reviews: Vec<i64>,
    pub departments: Vec<i64>,
    pub offset: i64,
    pub limit: i64,
}

/// The audit log.
#[async_trait]
pub trait AuditRepo: Send + Sync {
    /// Writes the announced events of a change that is not itself a write (a download, a
    /// login) in their own transaction.
    async fn flush_audit(&self) -> RepoResult<()>;
    /// One page of matching events, oldest first, and how many match.
    async fn list_audit_events(&self, query: &AuditQuery) -> RepoResult<(Vec<StoredEvent>, i64)>;
    /// Removes events older than `before` (the retention policy); answers how many.
    async fn purge_audit_events(&self, before: i64) -> RepoResult<u64>;
}

/// 免登 login tickets and the web sessions they open.
#[async_trait]
pub trait SessionRepo: Send + Sync {
    async fn create_login_ticket(&self, hash: &[u8], user: UserId, app: AppId, expires_at: i64) -> RepoResult<()>;
    /// Marks an unused, unexpired ticket of `app` used and answers its user; `None` for any other.
    async fn redeem_login_ticket(&self, hash: &[u8], app: AppId, now: i64) -> RepoResult<Option<UserId>>;
    /// Records a login: the time, and activation of an account that was waiting for it.
    async fn record_login(&self, user: UserId, at: i64) -> RepoResult<()>;
    async fn create_web_session(&self, hash: &[u8], user: UserId, created_at: i64, expires_at: i64) -> RepoResult<()>;
    /// The live, active user of an unexpired session, with when it ends.
    async fn find_web_session(&self, hash: &[u8], now: i64) -> RepoResult<Option<(UserId, i64)>>;
    async fn delete_web_session(&self, hash: &[u8]) -> RepoResult<()>;
    /// Removes expired tickets, sessions and auth codes, and user access tokens expired for
    /// more than `keep_expired_tokens` seconds; answers how many.
    async fn purge_sessions(&self, now: i64, keep_expired_tokens: i64) -> RepoResult<u64>;
    /// An undeleted user by email (case-insensitive) or phone across the installation, with
    /// the hash of its password if it has one.
    async fn find_login(&self, login: &str) -> RepoResult<Option<(User, Option<String>)>>;
    /// Stores a user access token's keyed hash; answers its id.
    async fn create_user_token(&self, hash: &[u8], user: UserId, created_at: i64, expires_at: i64) -> RepoResult<i64>;
    /// The token with this hash, expired or not, if its user is undeleted.
    async fn find_user_token(&self, hash: &[u8]) -> RepoResult<Option<UserTokenRecord>>;
    /// Revokes one token; answers whether it existed.
    async fn delete_user_token(&self, hash: &[u8]) -> RepoResult<bool>;
    /// Revokes every token of a user, and the auth codes issued on them; answers how many tokens.
    async fn delete_user_tokens(&self, user: UserId) -> RepoResult<u64>;
    async fn create_auth_code(&self, hash: &[u8], code: AuthCodeRecord) -> RepoResult<()>;
    /// The code with this hash, used or not, until the purge removes it.
    async fn find_auth_code(&self, hash: &[u8]) -> RepoResult<Option<AuthCodeRecord>>;
    /// Marks an unused, unexpired code used; `false` when another request used it first.
    async fn use_auth_code(&self, hash: &[u8], now: i64) -> RepoResult<bool>;
}

/// An app instance of an enterprise, as service discovery reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInstanceRecord {
    pub enterprise_id: EnterpriseId,
    /// `workonline`, `file` or `sms`.
    pub app: String,
    pub name: String,
    /// Where another server serves it; none when openpan does.
    pub api_url: Option<String>,
    pub created_at: i64,
}

/// The `/api/v1` account module's records: the paid-until moment, app instances, and the
/// apps' settings its authentication configuration edits.
#[async_trait]
pub trait AccountRepo: Send + Sync {
    /// Sets when the plan ends (none: no end) and bumps the revocation epoch, so cached
    /// copies of the enterprise are dropped on every node.
    async fn set_paid_until(&self, enterprise: EnterpriseId, until: Option<i64>) -> RepoResult<()>;
    async fn list_app_instances(&self, enterprise: EnterpriseId) -> RepoResult<Vec<AppInstanceRecord>>;
    /// Errors: `Conflict(AppInstance)` when the enterprise has that instance already.
    async fn create_app_instance(&self, instance: &AppInstanceRecord) -> RepoResult<()>;
    /// `false` when there was no such instance.
    async fn delete_app_instance(&self, enterprise: EnterpriseId, app: &str, name: &str) -> RepoResult<bool>;
    /// The enterprise's apps, by id.
    async fn list_apps(&self, enterprise: EnterpriseId) -> RepoResult<Vec<App>>;
    /// Sets (or with `None` clears) where the platform calls the app back.
    async fn update_app_callback_url(&self, id: AppId, url: Option<&str>) -> RepoResult<()>;
}

/// The SMS module's templates and sent messages.
#[async_trait]
pub trait SmsRepo: Send + Sync {
    /// Errors: `Conflict(SmsTemplate)` when the enterprise has a template of that name.
    async fn create_sms_template(&self, template: &SmsTemplate) -> RepoResult<()>;
    async fn list_sms_templates(&self, enterprise: EnterpriseId) -> RepoResult<Vec<SmsTemplate>>;
    async fn find_sms_template(&self, enterprise: EnterpriseId, name: &str) -> RepoResult<Option<SmsTemplate>>;
    /// `false` when there was none.
    async fn delete_sms_template(&self, enterprise: EnterpriseId, name: &str) -> RepoResult<bool>;
    /// Records a message (its `id` is ignored) and returns its id.
    async fn create_sms_message(&self, message: &SmsMessage) -> RepoResult<i64>;
    /// Records what the gateway answered.
    async fn finish_sms_message(
        &self,
        id: i64,
        status: SmsStatus,
        gateway_ref: Option<&str>,
        error: Option<&str>,
        sent_at: Option<i64>,
    ) -> RepoResult<()>;
    /// The enterprise's messages, newest first.
    async fn list_sms_messages(&self, enterprise: EnterpriseId, page: Page) -> RepoResult<(Vec<SmsMessage>, i64)>;
    async fn find_sms_message(&self, id: i64) -> RepoResult<Option<SmsMessage>>;
}

/// Browser form upload tokens.
#[async_trait]
pub trait FormUploadRepo: Send + Sync {
    async fn create_form_upload(&self, upload: &FormUpload) -> RepoResult<()>;
    async fn find_form_upload(&self, token_hash: &[u8]) -> RepoResult<Option<FormUpload>>;
    /// Open → receiving, if unexpired at `now`; `false` when it was not open (used, in use).
    async fn claim_form_upload(&self, token_hash: &[u8], now: i64) -> RepoResult<bool>;
    /// Receiving → open again, after a transfer that failed.
    async fn release_form_upload(&self, token_hash: &[u8]) -> RepoResult<()>;
    /// → done, with the file made (when known).
    async fn finish_form_upload(&self, token_hash: &[u8], file_id: Option<ItemId>) -> RepoResult<()>;
    /// Removes tokens that expired before `before`; how many.
    async fn purge_form_uploads(&self, before: i64) -> RepoResult<u64>;
}

/// Stored conversion results.
#[async_trait]
pub trait ConversionRepo: Send + Sync {
    /// The result for this source content, way of reading it and target, marked used at `now`.
    async fn use_conversion(
        &self,
        source_key: &str,
        source_kind: &str,
        target: ConversionTarget,
        now: i64,
    ) -> RepoResult<Option<Conversion>>;
    /// Records a result; `false` when one for the same source, kind and target was recorded meanwhile
    /// (then this one's bytes are the caller's to remove).
    async fn create_conversion(&self, conversion: &Conversion) -> RepoResult<bool>;
    async fn find_conversion(&self, id: i64) -> RepoResult<Option<Conversion>>;
    /// Removes results unused since `before`; their storage keys.
    async fn purge_conversions(&self, before: i64) -> RepoResult<Vec<String>>;
}

/// Notices for apps' callback addresses, and their delivery records.
#[async_trait]
pub trait NoticeRepo: Send + Sync {
    /// Records a pending notice (its `id` is ignored) and returns its id.
    async fn create_notice(&self, notice: &Notice) -> RepoResult<i64>;
    /// Up to `limit` pending notices due at `now`, each counted as one more attempt and held
    /// until `now + lease` so no other node sends it meanwhile.
    async fn claim_due_notices(&self, now: i64, lease: i64, limit: i64) -> RepoResult<Vec<Notice>>;
    /// Records an attempt's outcome: delivered, failed for good, or pending until `next_attempt_at`.
    async fn finish_notice_attempt(
        &self,
        id: i64,
        status: NoticeStatus,
        next_attempt_at: i64,
        error: Option<&str>,
        delivered_at: Option<i64>,
    ) -> RepoResult<()>;
    /// The enterprise's notices (one app's, with `app`), newest first.
    async fn list_notices(
        &self,
        enterprise: EnterpriseId,
        app: Option<AppId>,
        page: Page,
    ) -> RepoResult<(Vec<Notice>, i64)>;
    /// Removes delivered or given-up notices created before `before`; how many.
    async fn purge_notices(&self, before: i64) -> RepoResult<u64>;
}

/// The event log as readers see it, and where each app's webhook delivery stands.
#[async_trait]
pub trait EventRepo: Send + Sync {
    /// Up to `limit` events of the enterprise after `after`, in `seq` order.
    async fn events_after(&self, enterprise: EnterpriseId, after: i64, limit: i64) -> RepoResult<Vec<LoggedEvent>>;
    async fn find_event(&self, enterprise: EnterpriseId, seq: i64) -> RepoResult<Option<LoggedEvent>>;
    /// The newest event's `seq` of the enterprise (0 when it has none).
    async fn latest_event(&self, enterprise: EnterpriseId) -> RepoResult<i64>;
    async fn find_webhook(&self, app: AppId) -> RepoResult<Option<Webhook>>;
    /// Makes the app's webhook start from the enterprise's latest event, active and
    /// subscribed to everything when it is new (an existing one keeps its status, subscription
    /// and keys); for an app given a callback address.
    async fn start_webhook(&self, app: AppId, enterprise: EnterpriseId, now: i64) -> RepoResult<Webhook>;
    /// Changes the subscription and/or status (activating clears the failures and makes it
    /// due); `skip_backlog` moves the cursor to the latest event.
    async fn change_webhook(
        &self,
        app: AppId,
        subscription: Option<&Subscription>,
        status: Option<WebhookStatus>,
        skip_backlog: bool,
        now: i64,
    ) -> RepoResult<()>;
    /// Moves to the next key generation (creating the row, started, when missing); the
    /// previous key signs too until `previous_until`. Returns the new generation.
    async fn rotate_webhook_key(
        &self,
        app: AppId,
        enterprise: EnterpriseId,
        previous_until: i64,
        now: i64,
    ) -> RepoResult<i64>;
    /// Up to `limit` active webhooks due at `now` with events after their cursor, of apps that
    /// are active and have a callback address, each held until `now + lease`.
    async fn claim_due_webhooks(&self, now: i64, lease: i64, limit: i64) -> RepoResult<Vec<Webhook>>;
    /// Delivered (or passed over) up to `seq`: failures cleared, held until `hold_until`.
    async fn webhook_advanced(&self, app: AppId, seq: i64, hold_until: i64) -> RepoResult<()>;
    /// One more failure at the next event; due again at `next_attempt_at`.
    async fn webhook_failed(&self, app: AppId, now: i64, next_attempt_at: i64) -> RepoResult<()>;
    /// Disables a webhook that keeps failing and logs `event` (a `webhook.disabled` entry)
    /// with it; false when it was no longer active.
    async fn give_up_webhook(&self, app: AppId, reason: &str, event: &LoggedEvent) -> RepoResult<bool>;
    /// Lets the webhook be taken again from `next_attempt_at`.
    async fn release_webhook(&self, app: AppId, next_attempt_at: i64) -> RepoResult<()>;
    async fn record_webhook_attempt(&self, attempt: &WebhookAttempt) -> RepoResult<i64>;
    /// The app's attempts, newest first, and how many there are.
    async fn list_webhook_attempts(&self, app: AppId, page: Page) -> RepoResult<(Vec<WebhookAttempt>, i64)>;
    /// Removes attempts made before `before`, and event-log entries older than `events_before`.
    async fn purge_webhook_history(&self, before: i64, events_before: i64) -> RepoResult<u64>;
}

/// Lists filtered and ordered by checked criteria (see [`crate::criteria`]). Each answers one
/// page (`Criteria::window`) and the size of the whole selection.
#[async_trait]
pub trait ListRepo: Send + Sync {
    /// The enterprise's undeleted users. For a `viewer` who does not administer the
    /// enterprise, a phone its owner hides is treated as absent by conditions and order, and
    /// group membership is tested only for groups the viewer sees (visible ones and their own).
    async fn find_users(
        &self,
        enterprise: EnterpriseId,
        criteria: &Criteria<criteria::UserField>,
        viewer: Option<UserId>,
    ) -> RepoResult<(Vec<User>, i64)>;
    async fn find_departments(
        &self,
        enterprise: EnterpriseId,
        criteria: &Criteria<criteria::DepartmentField>,
    ) -> RepoResult<(Vec<Department>, i64)>;
    /// With a `viewer`, only the groups they see: visible ones and their own.
    async fn find_groups(
        &self,
        enterprise: EnterpriseId,
        viewer: Option<UserId>,
        criteria: &Criteria<criteria::GroupField>,
    ) -> RepoResult<(Vec<Group>, i64)>;
    /// The live children of `folder`.
    async fn find_children(
        &self,
        folder: ItemId,
        criteria: &Criteria<criteria::ItemField>,
    ) -> RepoResult<(Vec<Item>, i64)>;
    async fn find_audit_events(
        &self,
        enterprise: EnterpriseId,
        criteria: &Criteria<criteria::AuditField>,
    ) -> RepoResult<(Vec<StoredEvent>, i64)>;
}

pub trait Repo:
    EnterpriseRepo
    + UserRepo
    + AppRepo
    + TokenRepo
    + DriveRepo
    + IdempotencyRepo
    + OrgRepo
    + PlatformRepo
    + SessionRepo
    + AuditRepo
    + CollabRepo
    + ShareRepo
    + CommentRepo
    + TagRepo
    + ReviewRepo
    + ListRepo
    + AccountRepo
    + SmsRepo
    + FormUploadRepo
    + NoticeRepo
    + ConversionRepo
    + EventRepo
    + OAuthServerRepo
    + KnowledgeRepo
{
}

impl<T> Repo for T where
    T: EnterpriseRepo
        + UserRepo
        + AppRepo
        + TokenRepo
        + DriveRepo
        + IdempotencyRepo
        + OrgRepo
        + PlatformRepo
        + SessionRepo
        + AuditRepo
        + CollabRepo
        + ShareRepo
        + CommentRepo
        + TagRepo
        + ReviewRepo
        + ListRepo
        + AccountRepo
        + SmsRepo
        + FormUploadRepo
        + NoticeRepo
        + ConversionRepo
        + EventRepo
        + OAuthServerRepo
        + KnowledgeRepo
{
}

/// Knowledge bases: datasets, their training tasks and jobs, and the segments training makes.
/// Every change of a dataset's segments moves its `generation` in the same transaction.
#[async_trait]
pub trait KnowledgeRepo: Send + Sync {
    async fn create_dataset(&self, dataset: &NewDataset) -> RepoResult<DatasetId>;
    /// A dataset with its counts.
    async fn find_dataset(&self, id: DatasetId) -> RepoResult<Option<Dataset>>;
    /// `owner`'s datasets, newest first; and how many there are.
    async fn list_datasets(&self, owner: UserId, page: Page) -> RepoResult<(Vec<Dataset>, i64)>;
    /// Renames or describes a dataset.
    async fn update_dataset(&self, id: DatasetId, name: &str, description: &str, now: i64) -> RepoResult<()>;
    /// Deletes a dataset with its tasks, jobs and segments.
    async fn delete_dataset(&self, id: DatasetId) -> RepoResult<bool>;
    /// Adds a task and queues a job for each of its files.
    async fn create_task(&self, task: &NewTask, files: &[(ItemId, String)]) -> RepoResult<TaskId>;
    /// A dataset's tasks of `methods`, newest first, with how their files stand; and how many.
    async fn list_tasks(
        &self,
        dataset: DatasetId,
        methods: &[AnalysisMethod],
        page: Page,
    ) -> RepoResult<(Vec<TaskProgress>, i64)>;
    /// Deletes a task with its jobs and their segments.
    async fn delete_task(&self, dataset: DatasetId, task: TaskId, now: i64) -> RepoResult<bool>;
    /// Claims up to `limit` due jobs (queued, or running with an expired lease), holding each
    /// until `now + lease`.
    async fn claim_train_jobs(&self, now: i64, lease: i64, limit: i64) -> RepoResult<Vec<TrainJob>>;
    /// Stores what a claimed job made (replacing the file's earlier segments) and marks it
    /// done with the version trained; `false` when the job was deleted meanwhile.
    async fn finish_train_job(
        &self,
        job: TrainFileId,
        version: VersionId,
        trained: &Trained,
        embedded: Option<&crate::knowledge::Embedded>,
        now: i64,
    ) -> RepoResult<bool>;
    /// Marks a claimed job failed, dropping what the file had trained before.
    async fn fail_train_job(&self, job: TrainFileId, reason: &str, now: i64) -> RepoResult<()>;
    /// Hands a claimed job back to be tried again from `retry_at`.
    async fn release_train_job(&self, job: TrainFileId, retry_at: i64) -> RepoResult<()>;
    /// Follows the drive: jobs whose file has a new current version are queued again; jobs
    /// whose file is trashed or deleted are deleted with their segments. How many changed.
    async fn follow_trained_files(&self, now: i64) -> RepoResult<u64>;
    /// A dataset's passages (`qa`: false) or pairs (`qa`: true) in training order; and how many.
    async fn list_segments(&self, dataset: DatasetId, qa: bool, page: Page) -> RepoResult<(Vec<Segment>, i64)>;
    /// These segments, in no order.
    async fn find_segments(&self, ids: &[SegmentId]) -> RepoResult<Vec<Segment>>;
    /// A dataset's generation and the text of all its segments, read together, for the index.
    async fn segments_to_index(&self, dataset: DatasetId) -> RepoResult<Option<(i64, Vec<IndexedSegment>)>>;
    /// The generations of these datasets (missing ones left out).
    async fn dataset_generations(&self, ids: &[DatasetId]) -> RepoResult<Vec<(DatasetId, i64)>>;

    /// Stores a new GPT (its `id` is ignored) and answers its id.
    async fn create_gpt(&self, gpt: &crate::gpt::Gpt) -> RepoResult<crate::gpt::GptId>;
    async fn find_gpt(&self, id: crate::gpt::GptId) -> RepoResult<Option<crate::gpt::Gpt>>;
    /// `owner`'s GPTs, newest first.
    async fn list_gpts(&self, owner: UserId) -> RepoResult<Vec<crate::gpt::Gpt>>;
    /// The GPTs published on `enterprise`'s square, newest first.
    async fn list_square_gpts(&self, enterprise: EnterpriseId) -> RepoResult<Vec<crate::gpt::Gpt>>;
    /// Writes a GPT whole.
    async fn update_gpt(&self, gpt: &crate::gpt::Gpt) -> RepoResult<()>;
    /// Deletes a GPT with the conversations had with it.
    async fn delete_gpt(&self, id: crate::gpt::GptId) -> RepoResult<bool>;
    /// Remembers a question and its answer, keeping a conversation's latest turns only (and a
    /// person's conversations of the last 30 days).
    async fn add_chat_turn(&self, turn: &crate::gpt::NewTurn) -> RepoResult<()>;
    /// A conversation's latest `limit` turns, oldest first.
    async fn recent_chat_turns(&self, user: UserId, session: &str, limit: i64)
    -> RepoResult<Vec<crate::gpt::ChatTurn>>;
}

/// A dataset to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDataset {
    pub enterprise_id: EnterpriseId,
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    pub now: i64,
}

/// A training task to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub dataset_id: DatasetId,
    pub item_id: ItemId,
    pub is_folder: bool,
    pub name: String,
    pub method: AnalysisMethod,
    pub rules: SegmentRules,
    pub added_by: UserId,
    pub now: i64,
}

/// Whether a backend answers, for `/readyz`.
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// A short name for the log (`database`, `redis`).
    fn name(&self) -> &'static str;
    async fn is_healthy(&self) -> bool;
    /// Whether the node is unready without it (false: it serves on in a degraded way).
    fn required(&self) -> bool {
        true
    }
}

/// The authorization server's own records: codes, used refresh tokens, token families and the
/// ID-token signing keys.
#[async_trait]
pub trait OAuthServerRepo: Send + Sync {
    /// Stores an authorization code; answers its id.
    async fn create_oauth_code(&self, code: crate::oauth::NewAuthCode) -> RepoResult<i64>;
    async fn find_oauth_code(&self, id: i64) -> RepoResult<Option<crate::oauth::AuthCode>>;
    /// Atomic: marks the code used if it is unused and unexpired at `now`, stores `token` and
    /// links it to the code. `None` when the code was used or expired meanwhile; errors
    /// `Conflict(AppInactive)` when the app is not active (nothing changes then).
    async fn redeem_oauth_code(&self, id: i64, now: i64, token: NewToken) -> RepoResult<Option<TokenId>>;
    /// Stores a device authorization; answers its id. `Conflict(UserCode)` when another holds
    /// the same user code.
    async fn create_device(&self, device: crate::services::NewDevice) -> RepoResult<i64>;
    async fn find_device(&self, id: i64) -> RepoResult<Option<crate::services::DeviceRecord>>;
    async fn find_device_by_user_code(
        &self,
        user_code_hash: &[u8],
    ) -> RepoResult<Option<crate::services::DeviceRecord>>;
    /// Records the person's answer to a pending, unexpired request; false when it was not.
    async fn decide_device(
        &self,
        id: i64,
        status: crate::services::DeviceStatus,
        user: Option<UserId>,
        now: i64,
    ) -> RepoResult<bool>;
    /// Notes a poll at `now` and the interval the device must keep from now on.
    async fn poll_device(&self, id: i64, now: i64, interval_secs: i64) -> RepoResult<()>;
    /// As [`OAuthServerRepo::redeem_oauth_code`], for an approved device authorization.
    async fn redeem_device(&self, id: i64, now: i64, token: NewToken) -> RepoResult<Option<TokenId>>;
    /// Deletes the family of pair `member` — the pair its chain started with and every pair
    /// rotated from it — bumping the revocation epoch; answers how many pairs went.
    async fn revoke_token_family(&self, member: TokenId) -> RepoResult<u64>;
    /// For a pair whose refresh token was used: its app, the used refresh token's hash and the
    /// pair's family.
    async fn find_used_refresh(&self, id: TokenId) -> RepoResult<Option<(AppId, Vec<u8>, TokenId)>>;
    async fn list_signing_keys(&self) -> RepoResult<Vec<crate::oauth::SigningKeyRecord>>;
    async fn add_signing_key(&self, key: crate::oauth::SigningKeyRecord) -> RepoResult<()>;
    /// Deletes the keys created before `before`, except the newest one.
    async fn purge_signing_keys(&self, before: i64) -> RepoResult<u64>;
}

/// What `/metrics` shows of a node's stores and background work, read when it is scraped.
#[async_trait]
pub trait OpsGauges: Send + Sync {
    async fn sample(&self) -> OpsSample;
}

/// One reading of [`OpsGauges`].
#[derive(Debug, Clone, Default)]
pub struct OpsSample {
    pub pools: Vec<PoolSample>,
    /// Work waiting for any node: `(queue, items)`. Absent when the database did not answer.
    pub queues: Vec<(&'static str, i64)>,
}

/// A database connection pool of this node.
#[derive(Debug, Clone)]
pub struct PoolSample {
    /// `main` (PostgreSQL), or `reader` and `writer` (SQLite).
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

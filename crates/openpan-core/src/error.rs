//! `core::Error`, the only error services return, and `RepoError`, the only error ports return.

/// What kind of thing was not found. Each maps to its own `*_not_found` wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundKind {
    User,
    Folder,
    Enterprise,
    App,
    File,
    /// An upload or download URL that is unknown, used up, expired or no longer leads anywhere.
    Link,
    Department,
    Group,
    Collab,
    /// A share link that never existed, was revoked, or whose item is gone.
    ShareLink,
    /// A comment on a file, or in a review.
    Comment,
    /// A review that never existed, was deleted, or is not the caller's to see.
    Review,
}

/// Which uniqueness rule a write broke; chosen by the repo method that knows what it protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// Another active user already has this email or phone.
    UserLogin,
    /// The enterprise account name (`short_name`) is taken.
    EnterpriseShortName,
    /// A `jti` was already used by this client.
    JtiReplayed,
    /// The third-party id is already mapped on this platform.
    UserTicket,
    /// The enterprise already has an app instance of that name.
    AppInstance,
    /// The enterprise already has an SMS template of that name.
    SmsTemplate,
    /// The app was disabled or deleted while a token for it was being written.
    AppInactive,
    /// A device authorization waiting elsewhere has the same user code.
    UserCode,
    /// A live item with the same (case-folded) name is already in the folder.
    ItemName,
    /// The owner's space quota would be exceeded.
    UserSpace,
    /// The enterprise's space quota would be exceeded.
    EnterpriseSpace,
    /// The department's space quota would be exceeded.
    DepartmentSpace,
    /// A folder was to be moved below itself (checked again inside the move's transaction).
    MoveIntoDescendant,
    /// The target folder went to the trash while the write was under way.
    TargetInTrash,
    /// A sibling department already has this (case-folded) name.
    DepartmentName,
    /// A department was to be moved below itself.
    DepartmentCycle,
    /// The department still has sub-departments.
    DepartmentHasChildren,
    /// The user is already a member of the department.
    AlreadyInDepartment,
    /// The user is already in as many departments as one may be.
    DepartmentLimit,
    /// Another group of the enterprise has this (case-folded) name.
    GroupName,
    /// The user is already a member of the group.
    AlreadyInGroup,
    /// A space to be removed without an heir holds something after all.
    SpaceNotEmpty,
    /// A user to be deleted became a department's director meanwhile.
    DirectsDepartment,
    /// A director-to-be was deleted meanwhile.
    DirectorGone,
    /// The user, group or department is already invited to the folder.
    CollabExists,
    /// Another share link has this unique name.
    ShareLinkName,
}

/// A drive rule a request broke. Each has its own wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The enterprise's plan has ended; it may read but not change anything.
    EnterpriseIsExpired,
    FileDeleted,
    FolderDeleted,
    FileNotInTrash,
    FolderNotInTrash,
    FileNameConflict,
    FolderNameConflict,
    FolderParentDeleted,
    MoveToItself,
    MoveToSubfolder,
    CopyToItself,
    CopyToSubfolder,
    ItemNameInvalid,
    ItemNameSizeIncorrect,
    EmptyTrash,
    ExceedUserSpaceLimit,
    ExceedEnterpriseSpaceLimit,
    UserEmailOrPhoneInvalid,
    UserAlreadyDeleted,
    UserReceiveItemsNeeded,
    UserReceivedItemsNotInSameEnterprise,
    UserDeletedIsUserReceivedItems,
    UserReceiveItemsNeedActive,
    UserSpaceTotalExceedsEnterpriseLimit,
    DepartmentSpaceTotalExceedsEnterpriseLimit,
    DepartmentDirectorCanNotDelete,
    UserNotInDepartment,
    UserNotInGroup,
    UserNotInEnterprise,
    CannotProvideBothYfyIdAndCustomId,
    YfyIdAndCustomIdNotNull,
    EnterpriseNotEnableSyncAccount,
    ExceedDepartmentSpaceLimit,
    UserProfilePicNotFound,
    UserProfilePicKeyNotFound,
    UserProfilePicKeyIncorrect,
    TimestampRangeInvalid,
    CollabRoleInvalid,
    CollabUserHasBeenInvited,
    /// A preview's conversion has not finished yet.
    PreviewFileNotGenerated,
    CannotInviteItemOwner,
    CollabRelatedFolderDeleted,
    ShareLinkResourceIdNotProvided,
    ShareLinkResourceIdAmbiguous,
    ShareLinkAccessTypeInvalid,
    ShareLinkPasswordNotProvided,
    ShareLinkPasswordNotCorrect,
    ShareLinkPasswordSizeIncorrect,
    ShareLinkPasswordInvalid,
    ShareLinkExpired,
    DueTimePassed,
}

/// A rejected request field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name as the client spelled it.
    pub field: String,
    /// Why it was rejected, in the platform's default language.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why an OAuth2 token request failed; rendered as RFC 6749 §5.2 bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthFailure {
    /// Unknown client, wrong secret or disabled app (401).
    InvalidClient,
    /// The assertion or refresh token is not acceptable (400).
    InvalidGrant(String),
    /// A required parameter is missing or malformed (400).
    InvalidRequest(String),
    /// The grant type is not one this server issues tokens for (400).
    UnsupportedGrantType,
    /// A scope is unknown, or more than the app or the token kind may have (400).
    InvalidScope(String),
    /// The client may not use this grant (400).
    UnauthorizedClient(String),
    /// RFC 8628: the person has not answered yet; poll again (400).
    AuthorizationPending,
    /// RFC 8628: polling too fast; wait 5 seconds longer from now on (400).
    SlowDown,
    /// RFC 8628: the person denied the request (400).
    AccessDenied,
    /// RFC 8628: the device code expired; start again (400).
    ExpiredToken,
    /// RFC 8693: the `resource` is not one the token can be confined to (400).
    InvalidTarget(String),
}

/// Why the auth service (`/apis/rest/...`) turned a request down, in its own terms; each has
/// its own numeric code there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthServiceFailure {
    /// The Basic header names a client id no app has.
    UnknownClient,
    /// The Basic header is missing, malformed, or its secret is wrong.
    BadClientCredentials,
    /// The app is disabled, the `client_id` parameter names another client, or the user is not
    /// of the app's enterprise.
    ClientNotAllowed,
    /// The user access token has lived out its three months.
    AccessTokenExpired,
    /// No such auth code, or it was used already.
    AuthCodeUnknown,
    /// The auth code was not granted for what it is presented to.
    AuthCodeNotPermitted,
    AuthCodeExpired,
    /// The auth code was issued to another client.
    AuthCodeOtherClient,
    /// The auth code was issued for another user's token.
    AuthCodeOtherUser,
    /// No account has this login and password (or it has no password).
    WrongPassword,
    /// `t_` is not within five minutes of the server's time, or `p_` does not follow from it.
    StampInvalid,
}

/// The semantic error of every service call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{kind:?} not found")]
    NotFound { kind: NotFoundKind },
    #[error("conflict: {0:?}")]
    Conflict(ConflictKind),
    #[error("permission denied")]
    PermissionDenied,
    /// No credentials were presented.
    #[error("unauthenticated")]
    Unauthenticated,
    /// Credentials were presented but are invalid, expired or revoked.
    #[error("invalid token")]
    InvalidToken,
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("oauth: {0:?}")]
    OAuth(OAuthFailure),
    #[error("auth service: {0:?}")]
    AuthService(AuthServiceFailure),
    /// The user exists but has not activated the account.
    #[error("user not active")]
    UserNotActive,
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("rate limit exceeded")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn not_found(kind: NotFoundKind) -> Self {
        Error::NotFound { kind }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into().into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error of every port (repositories, caches, limiters).
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(ConflictKind),
    /// The backend cannot be reached right now (pool exhausted, server down, timeout).
    #[error("backend unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("backend error")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl RepoError {
    /// Turns `NotFound` into the domain's not-found of `kind`; everything else keeps its class.
    pub fn or_not_found(self, kind: NotFoundKind) -> Error {
        match self {
            RepoError::NotFound => Error::NotFound { kind },
            other => other.into(),
        }
    }
}

/// Maps a repository's `NotFound` — what the write needed went away meanwhile — to `missing`,
/// and any other repository error as usual: `.map_err(gone(comment_not_found))`.
pub(crate) fn gone(missing: impl FnOnce() -> Error) -> impl FnOnce(RepoError) -> Error {
    move |err| match err {
        RepoError::NotFound => missing(),
        other => other.into(),
    }
}

impl From<RepoError> for Error {
    fn from(err: RepoError) -> Self {
        match err {
            // A service that expects absence to be normal asks with `find_*`; reaching here
            // means a record vanished between two reads, which is not the caller's fault.
            RepoError::NotFound => Error::Internal("record vanished during the request".into()),
            RepoError::Conflict(kind) => Error::Conflict(kind),
            RepoError::Unavailable(source) => Error::Unavailable(source),
            RepoError::Other(source) => Error::Internal(source),
        }
    }
}

//! `ApiError`: the one mapping from `core::Error` to the wire, and the envelope renderer.
//!
//! Handlers and middleware return `ApiError`; its response carries only the decision (code,
//! fields, status) as an extension. [`render_envelope`], the outermost layer of `/api/v2`, turns
//! that — and any bare framework response such as a 404 or 405 — into the seed's envelope with
//! the request id and the caller's language. So there is exactly one place that writes the
//! envelope, and nothing leaves `/api/v2` without it.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use openpan_core::error::{ConflictKind, OAuthFailure};
use openpan_core::{Error, NotFoundKind, Refusal};
use openpan_types::{ErrorBody, ErrorCode, ErrorItem, Lang, OAuthErrorBody};

use crate::context::RequestContext;

/// A failed `/api/v2` request.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    /// For `request_data_invalid`: the fields at fault with their messages.
    pub fields: Vec<(String, String)>,
    pub retry_after: Option<u64>,
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            fields: Vec::new(),
            retry_after: None,
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::RequestDataInvalid,
            fields: vec![(field.into(), message.into())],
            retry_after: None,
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        // No `_` arm: a new domain error must get its own wire decision here.
        match err {
            Error::NotFound { kind } => ApiError::new(match kind {
                NotFoundKind::User => ErrorCode::UserNotFound,
                NotFoundKind::Folder => ErrorCode::FolderNotFound,
                NotFoundKind::Enterprise => ErrorCode::EnterpriseNotFound,
                NotFoundKind::App => ErrorCode::AppNotFound,
                NotFoundKind::File => ErrorCode::FileNotFound,
                NotFoundKind::Link => ErrorCode::LinkInvalidOrExpired,
                NotFoundKind::Department => ErrorCode::DepartmentNotFound,
                NotFoundKind::Group => ErrorCode::GroupNotFound,
                NotFoundKind::Collab => ErrorCode::CollabNotFound,
                NotFoundKind::ShareLink => ErrorCode::ShareLinkNotFoundOrDeleted,
                NotFoundKind::Comment => ErrorCode::CommentNotFound,
                NotFoundKind::Review => ErrorCode::ReviewNotFound,
            }),
            Error::Conflict(kind) => match kind {
                ConflictKind::UserLogin => ApiError::new(ErrorCode::UserAlreadyRegistered),
                ConflictKind::EnterpriseShortName => ApiError::field("short_name", "已被占用"),
                ConflictKind::JtiReplayed => ApiError::field("jti", "已被使用"),
                ConflictKind::UserTicket => ApiError::field("custom_id", "已被占用"),
                ConflictKind::AppInstance => ApiError::field("instance", "已存在"),
                ConflictKind::SmsTemplate => ApiError::field("template", "已存在"),
                ConflictKind::AppInactive => ApiError::new(ErrorCode::Unauthorized),
                // Services name the clashing kind; a bare conflict reaching here is a folder's.
                ConflictKind::ItemName => ApiError::new(ErrorCode::FolderNameConflict),
                ConflictKind::UserSpace => ApiError::new(ErrorCode::ExceedUserSpaceLimit),
                ConflictKind::EnterpriseSpace => ApiError::new(ErrorCode::ExceedEnterpriseSpaceLimit),
                ConflictKind::DepartmentSpace => ApiError::new(ErrorCode::ExceedDepartmentSpaceLimit),
                ConflictKind::MoveIntoDescendant => ApiError::new(ErrorCode::MoveToSubfolder),
                ConflictKind::TargetInTrash => ApiError::new(ErrorCode::FolderDeleted),
                ConflictKind::DepartmentName => ApiError::new(ErrorCode::DepartmentNameConflict),
                ConflictKind::DepartmentCycle => ApiError::field("parent_id", "不能是部门自身或其子部门"),
                ConflictKind::DepartmentHasChildren => ApiError::new(ErrorCode::DepartmentHavingChildrenCanNotDelete),
                ConflictKind::AlreadyInDepartment => ApiError::new(ErrorCode::UserAlreadyInDepartment),
                ConflictKind::DepartmentLimit => ApiError::new(ErrorCode::UserExceedDepartmentLimit),
                ConflictKind::GroupName => ApiError::new(ErrorCode::GroupNameConflict),
                ConflictKind::AlreadyInGroup => ApiError::new(ErrorCode::UserAlreadyInGroup),
                // The core retries with an heir; reaching a client means it changed twice.
                ConflictKind::SpaceNotEmpty => ApiError::new(ErrorCode::ServiceUnavailable),
                ConflictKind::DirectsDepartment => ApiError::new(ErrorCode::DepartmentDirectorCanNotDelete),
                ConflictKind::DirectorGone => ApiError::new(ErrorCode::UserNotFound),
                ConflictKind::CollabExists => ApiError::new(ErrorCode::CollabUserHasBeenInvited),
                ConflictKind::ShareLinkName => ApiError::new(ErrorCode::ServiceUnavailable),
                // Drawn again by the service; only a run of clashes gets here.
                ConflictKind::UserCode => ApiError::new(ErrorCode::ServiceUnavailable),
            },
            Error::Refused(refusal) => ApiError::new(match refusal {
                Refusal::EnterpriseIsExpired => ErrorCode::EnterpriseIsExpired,
                Refusal::FileDeleted => ErrorCode::FileDeleted,
                Refusal::FolderDeleted => ErrorCode::FolderDeleted,
                Refusal::FileNotInTrash => ErrorCode::FileInTrashNotFound,
                Refusal::FolderNotInTrash => ErrorCode::FolderInTrashNotFound,
                Refusal::FileNameConflict => ErrorCode::FileNameConflict,
                Refusal::FolderNameConflict => ErrorCode::FolderNameConflict,
                Refusal::FolderParentDeleted => ErrorCode::FolderParentDeleted,
                Refusal::MoveToItself => ErrorCode::MoveToItself,
                Refusal::MoveToSubfolder => ErrorCode::MoveToSubfolder,
                Refusal::CopyToItself => ErrorCode::CopyToItself,
                Refusal::CopyToSubfolder => ErrorCode::CopyToSubfolder,
                Refusal::ItemNameInvalid => ErrorCode::ItemNameInvalid,
                Refusal::ItemNameSizeIncorrect => ErrorCode::ItemNameSizeIncorrect,
                Refusal::EmptyTrash => ErrorCode::EmptyTrash,
                Refusal::ExceedUserSpaceLimit => ErrorCode::ExceedUserSpaceLimit,
                Refusal::ExceedEnterpriseSpaceLimit => ErrorCode::ExceedEnterpriseSpaceLimit,
                Refusal::UserEmailOrPhoneInvalid => ErrorCode::UserEmailOrPhoneInvalid,
                Refusal::UserAlreadyDeleted => ErrorCode::UserAlreadyDeleted,
                Refusal::UserReceiveItemsNeeded => ErrorCode::UserReceiveItemsNeeded,
                Refusal::UserReceivedItemsNotInSameEnterprise => ErrorCode::UserReceivedItemsNotInSameEnterprise,
                Refusal::UserDeletedIsUserReceivedItems => ErrorCode::UserDeletedIsUserReceivedItems,
                Refusal::UserReceiveItemsNeedActive => ErrorCode::UserReceiveItemsNeedActive,
                Refusal::UserSpaceTotalExceedsEnterpriseLimit => ErrorCode::UserSpaceTotalExceedsEnterpriseLimit,
                Refusal::DepartmentSpaceTotalExceedsEnterpriseLimit => {
                    ErrorCode::DepartmentSpaceTotalExceedsEnterpriseLimit
                }
                Refusal::DepartmentDirectorCanNotDelete => ErrorCode::DepartmentDirectorCanNotDelete,
                Refusal::UserNotInDepartment => ErrorCode::UserNotInDepartment,
                Refusal::UserNotInGroup => ErrorCode::UserNotInGroup,
                Refusal::UserNotInEnterprise => ErrorCode::UserNotInEnterprise,
                Refusal::CannotProvideBothYfyIdAndCustomId => ErrorCode::CannotProvideBothYfyIdAndCustomId,
                Refusal::YfyIdAndCustomIdNotNull => ErrorCode::YfyIdAndCustomIdNotNull,
                Refusal::EnterpriseNotEnableSyncAccount => ErrorCode::EnterpriseNotEnableSyncAccount,
                Refusal::ExceedDepartmentSpaceLimit => ErrorCode::ExceedDepartmentSpaceLimit,
                Refusal::UserProfilePicNotFound => ErrorCode::UserProfilePicNotFound,
                Refusal::UserProfilePicKeyNotFound => ErrorCode::UserProfilePicKeyNotFound,
                Refusal::UserProfilePicKeyIncorrect => ErrorCode::UserProfilePicKeyIncorrect,
                Refusal::TimestampRangeInvalid => ErrorCode::TimestampRangeInvalid,
                Refusal::CollabRoleInvalid => ErrorCode::CollabRoleInvalid,
                Refusal::CollabUserHasBeenInvited => ErrorCode::CollabUserHasBeenInvited,
                Refusal::PreviewFileNotGenerated => ErrorCode::PreviewFileNotGenerated,
                Refusal::CannotInviteItemOwner => ErrorCode::CannotInviteItemOwner,
                Refusal::CollabRelatedFolderDeleted => ErrorCode::CollabRelatedFolderDeleted,
                Refusal::ShareLinkResourceIdNotProvided => ErrorCode::ShareLinkResourceIdNotProvided,
                Refusal::ShareLinkResourceIdAmbiguous => ErrorCode::ShareLinkResourceIdAmbiguous,
                Refusal::ShareLinkAccessTypeInvalid => ErrorCode::ShareLinkAccessTypeInvalid,
                Refusal::ShareLinkPasswordNotProvided => ErrorCode::ShareLinkPasswordNotProvided,
                Refusal::ShareLinkPasswordNotCorrect => ErrorCode::ShareLinkPasswordNotCorrect,
                Refusal::ShareLinkPasswordSizeIncorrect => ErrorCode::ShareLinkPasswordSizeIncorrect,
                Refusal::ShareLinkPasswordInvalid => ErrorCode::ShareLinkPasswordInvalid,
                Refusal::ShareLinkExpired => ErrorCode::ShareLinkExpired,
                Refusal::DueTimePassed => ErrorCode::DueTimePassed,
            }),
            Error::PermissionDenied => ApiError::new(ErrorCode::PermissionDenied),
            Error::Unauthenticated => ApiError::new(ErrorCode::Unauthorized),
            Error::InvalidToken => ApiError::new(ErrorCode::InvalidToken),
            Error::Invalid(fields) => ApiError {
                code: ErrorCode::RequestDataInvalid,
                fields: fields.into_iter().map(|field| (field.field, field.message)).collect(),
                retry_after: None,
            },
            // OAuth failures belong to `/oauth/*`; reaching `/api/v2` with one means the
            // credentials were not acceptable.
            Error::OAuth(_) | Error::AuthService(_) => ApiError::new(ErrorCode::Unauthorized),
            Error::UserNotActive => ApiError::new(ErrorCode::UserNotActive),
            Error::RateLimited { retry_after_secs } => ApiError {
                code: ErrorCode::RateLimit,
                fields: Vec::new(),
                retry_after: Some(retry_after_secs),
            },
            Error::Unavailable(source) => {
                tracing::error!(error = %error_chain(&*source), "storage unavailable");
                ApiError {
                    code: ErrorCode::ServiceUnavailable,
                    fields: Vec::new(),
                    retry_after: Some(1),
                }
            }
            Error::Internal(source) => {
                tracing::error!(error = %error_chain(&*source), "internal error");
                ApiError::new(ErrorCode::InternalServerError)
            }
        }
    }
}

/// `a: b: c` for an error and its sources, for the log line.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Builds the envelope for `error` in the request's language.
fn envelope(error: &ApiError, context: &RequestContext) -> ErrorBody {
    ErrorBody {
        errors: error_items(error, context.lang),
        request_id: context.request_id.clone(),
    }
}

/// The `errors` of an envelope for `error`: one item, or one per field at fault.
pub fn error_items(error: &ApiError, lang: Lang) -> Vec<ErrorItem> {
    if error.fields.is_empty() {
        vec![ErrorItem {
            code: error.code.as_str().to_owned(),
            msg: error.code.message(lang).to_owned(),
            field: None,
        }]
    } else {
        error
            .fields
            .iter()
            .map(|(field, message)| ErrorItem {
                code: error.code.as_str().to_owned(),
                msg: match lang {
                    Lang::Zh => message.clone(),
                    Lang::En => format!("{}: {}", error.code.message(Lang::En), field),
                },
                field: Some(field.clone()),
            })
            .collect()
    }
}

/// The code a bare framework response stands for, by status.
fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::NOT_FOUND => ErrorCode::ApiNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::RequestBodyTooLarge,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::PermissionDenied,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimit,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::ServiceUnavailable,
        status if status.is_client_error() => ErrorCode::RequestDataInvalid,
        _ => ErrorCode::InternalServerError,
    }
}

/// Makes every non-2xx answer an envelope: `ApiError`s are rendered, bare framework answers
/// (unknown route, wrong method, body limit, caught panic) are replaced by their envelope.
pub fn render_envelope(context: &RequestContext, response: Response) -> Response {
    let status = response.status();
    if status.is_success() || status.is_redirection() || status.is_informational() {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let error = parts.extensions.remove::<ApiError>().unwrap_or_else(|| {
        if status.is_server_error() {
            tracing::error!(%status, "request failed without an ApiError");
        }
        ApiError::new(code_for_status(status))
    });
    let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(status);
    let body = serde_json::to_vec(&envelope(&error, context)).unwrap_or_default();
    parts.status = status;
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    match error.code {
        ErrorCode::Unauthorized => {
            parts.headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"openpan\""),
            );
        }
        ErrorCode::InvalidToken => {
            parts.headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"openpan\", error=\"invalid_token\""),
            );
        }
        _ => {}
    }
    if let Some(seconds) = error.retry_after {
        parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Response::from_parts(parts, Body::from(body))
}

/// Like [`render_envelope`], in the transfer-host shape `{"errors": code, "error": message,
/// "request_id"}`.
pub fn render_transfer_error(context: &RequestContext, response: Response) -> Response {
    let status = response.status();
    if status.is_success() || status.is_redirection() || status.is_informational() {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let error = parts
        .extensions
        .remove::<ApiError>()
        .unwrap_or_else(|| ApiError::new(code_for_status(status)));
    let message = match error.fields.first() {
        Some((field, message)) => format!("{field}: {message}"),
        None => error.code.message(context.lang).to_owned(),
    };
    let body = openpan_types::TransferErrorBody {
        errors: error.code.as_str().to_owned(),
        error: message,
        request_id: context.request_id.clone(),
    };
    parts.status = StatusCode::from_u16(error.code.http_status()).unwrap_or(status);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    if let Some(seconds) = error.retry_after {
        parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Response::from_parts(parts, Body::from(serde_json::to_vec(&body).unwrap_or_default()))
}

/// A failed `/oauth/*` request, rendered per RFC 6749 §5.2.
#[derive(Debug)]
pub struct OAuthError(pub Error);

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, error, description) = match self.0 {
            Error::OAuth(OAuthFailure::InvalidClient) => (
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed".to_owned(),
            ),
            Error::OAuth(OAuthFailure::InvalidGrant(description)) => {
                (StatusCode::BAD_REQUEST, "invalid_grant", description)
            }
            Error::OAuth(OAuthFailure::InvalidRequest(description)) => {
                (StatusCode::BAD_REQUEST, "invalid_request", description)
            }
            Error::OAuth(OAuthFailure::UnsupportedGrantType) => (
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type must be one of {}", crate::oauth::GRANT_TYPES.join(", ")),
            ),
            Error::OAuth(OAuthFailure::InvalidScope(description)) => {
                (StatusCode::BAD_REQUEST, "invalid_scope", description)
            }
            Error::OAuth(OAuthFailure::InvalidTarget(description)) => {
                (StatusCode::BAD_REQUEST, "invalid_target", description)
            }
            Error::OAuth(OAuthFailure::UnauthorizedClient(description)) => {
                (StatusCode::BAD_REQUEST, "unauthorized_client", description)
            }
            Error::OAuth(OAuthFailure::AuthorizationPending) => (
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                "the person has not answered yet".to_owned(),
            ),
            Error::OAuth(OAuthFailure::SlowDown) => (
                StatusCode::BAD_REQUEST,
                "slow_down",
                "polling too often: wait 5 seconds longer between polls".to_owned(),
            ),
            Error::OAuth(OAuthFailure::AccessDenied) => (
                StatusCode::BAD_REQUEST,
                "access_denied",
                "the person denied the request".to_owned(),
            ),
            Error::OAuth(OAuthFailure::ExpiredToken) => (
                StatusCode::BAD_REQUEST,
                "expired_token",
                "the device code has expired: start again".to_owned(),
            ),
            Error::Invalid(fields) => {
                let description = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                (StatusCode::BAD_REQUEST, "invalid_request", description)
            }
            Error::RateLimited { retry_after_secs } => {
                let mut response = crate::oauth::rate_limited(retry_after_secs);
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return response;
            }
            Error::Unavailable(source) => {
                tracing::error!(error = %error_chain(&*source), "token endpoint storage unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "try again later".to_owned(),
                )
            }
            other => {
                tracing::error!(error = %error_chain(&other), "token endpoint failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "internal error".to_owned(),
                )
            }
        };
        let body = OAuthErrorBody {
            error: error.to_owned(),
            error_description: description,
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"openpan\""),
            );
        }
        response
    }
}

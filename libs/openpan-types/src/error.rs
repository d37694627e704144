//! The error envelope of the `/api/v2` platform and its code catalogue.

use serde::{Deserialize, Serialize};

/// One entry of the `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorItem {
    /// Stable snake_case code from [`ErrorCode`].
    pub code: String,
    /// Human message, Chinese by default, English on `Accept-Language: en`.
    pub msg: String,
    /// The request field at fault; only for `request_data_invalid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `{"errors":[…],"request_id":"…"}`: the body of every non-2xx `/api/v2` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// One or more errors; the first is the cause.
    pub errors: Vec<ErrorItem>,
    /// Also sent as the `X-Request-Id` header; present on every error body.
    pub request_id: String,
}

/// RFC 6749 §5.2 error body, used by `/oauth/*` only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthErrorBody {
    /// Spec-defined code such as `invalid_grant` or `invalid_client`.
    pub error: String,
    /// Human-readable detail.
    pub error_description: String,
}

/// Message language, chosen per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Simplified Chinese, the platform default.
    #[default]
    Zh,
    /// English.
    En,
}

macro_rules! error_codes {
    ($( $variant:ident = $code:literal, $zh:literal, $en:literal; )*) => {
        /// Every error code a `/api/v2` client can see: the full table of the platform document,
        /// plus the transport-level codes (`unauthorized`, `invalid_token`, `rate_limit`, …).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $( #[doc = $en] $variant, )* }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )* ];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// The default message in the requested language.
            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( (ErrorCode::$variant, Lang::Zh) => $zh, (ErrorCode::$variant, Lang::En) => $en, )*
                }
            }

            /// Parses the wire spelling.
            pub fn parse(code: &str) -> Option<ErrorCode> {
                match code { $( $code => Some(ErrorCode::$variant), )* _ => None }
            }
        }
    };
}

error_codes! {
    RequestDataInvalid = "request_data_invalid", "请求参数存在错误", "Request data is invalid";
    PermissionDenied = "permission_denied", "权限不足", "Permission denied";
    FileNotFound = "file_not_found", "文件不存在", "File not found";
    FolderNotFound = "folder_not_found", "文件夹不存在", "Folder not found";
    FileDeleted = "file_deleted", "文件已删除", "File has been deleted";
    FolderDeleted = "folder_deleted", "文件夹已删除", "Folder has been deleted";
    FileInTrashNotFound = "file_in_trash_not_found", "文件不在回收站", "File is not in the trash";
    FolderInTrashNotFound = "folder_in_trash_not_found", "文件夹不在回收站", "Folder is not in the trash";
    FileNameConflict = "file_name_conflict", "文件命名冲突", "A file with this name already exists";
    FolderNameConflict = "folder_name_conflict", "文件夹命名冲突", "A folder with this name already exists";
    FolderEmptyInTrash = "folder_empty_in_trash", "回收站无文件夹", "No folder in the trash";
    FolderParentDeleted = "folder_parent_deleted", "父文件夹已被删除", "The parent folder has been deleted";
    MoveToItself = "move_to_itself", "文件夹不能移动到自身", "A folder cannot be moved into itself";
    MoveToSubfolder = "move_to_subfolder", "不能移动到子文件夹", "A folder cannot be moved into its subfolder";
    CopyToItself = "copy_to_itself", "文件夹不能拷贝到自身", "A folder cannot be copied into itself";
    CopyToSubfolder = "copy_to_subfolder", "不能拷贝到子文件夹", "A folder cannot be copied into its subfolder";
    ItemNameInvalid = "item_name_invalid", "文件或文件夹名称不合法", "The file or folder name is invalid";
    ItemNameSizeIncorrect = "item_name_size_incorrect", "文件或文件夹名称长度错误", "The file or folder name has an invalid length";
    EmptyTrash = "empty_trash", "回收站为空", "The trash is empty";
    ExceedEnterpriseSpaceLimit = "exceed_enterprise_space_limit", "超过企业空间限制", "Enterprise space limit exceeded";
    ExceedUserSpaceLimit = "exceed_user_space_limit", "超过用户空间限制", "User space limit exceeded";
    FolderIsDescendant = "folder_is_descendant", "目标文件夹是移动文件夹的子目录", "The target folder is a descendant of the moved folder";
    UserNotFound = "user_not_found", "用户不存在", "User not found";
    UserProfilePicNotFound = "user_profile_pic_not_found", "用户头像不存在", "Profile picture not found";
    UserProfilePicKeyNotFound = "user_profile_pic_key_not_found", "用户头像的key未传入", "Profile picture key not given";
    UserProfilePicKeyIncorrect = "user_profile_pic_key_incorrect", "用户头像的key与user_id不匹配", "Profile picture key does not match the user";
    ShareLinkPasswordNotProvided = "share_link_password_not_provided", "没有提供分享链接密码", "Share link password not provided";
    ShareLinkAccessTypeInvalid = "share_link_access_type_invalid", "分享链接的 access 类型无效", "Share link access type is invalid";
    DueTimePassed = "due_time_passed", "指定的截止时间已过期", "The due time has passed";
    ShareLinkNotFoundOrDeleted = "share_link_not_found_or_deleted", "分享链接找不到或已删除", "Share link not found or deleted";
    ShareLinkResourceIdNotProvided = "share_link_resource_id_not_provided", "没有提供文件或文件夹id", "No file or folder id provided";
    ShareLinkResourceIdAmbiguous = "share_link_resource_id_ambiguous", "分享链接资源不明确(同时提供了文件和文件夹id)", "Both a file id and a folder id were provided";
    ShareLinkPasswordNotCorrect = "share_link_password_not_correct", "分享链接密码不正确", "Share link password is not correct";
    ShareLinkPasswordSizeIncorrect = "share_link_password_size_incorrect", "分享链接密码长度最大33位", "Share link password is at most 33 characters";
    ShareLinkPasswordInvalid = "share_link_password_invalid", "分享链接密码只能使用数字和字母", "Share link password may only use letters and digits";
    ShareLinkExpired = "share_link_expired", "分享链接已过期", "Share link has expired";
    CollabNotFound = "collab_not_found", "协作不存在", "Collaboration not found";
    CollabRoleInvalid = "collab_role_invalid", "协作角色无效", "Collaboration role is invalid";
    CollabUserHasBeenInvited = "collab_user_has_been_invited", "用户已经被邀请", "The user has already been invited";
    CollabUserNotInSameEnterprise = "collab_user_not_in_same_enterprise", "被邀请用户不在同一企业", "The invited user is not in the same enterprise";
    CollabGroupNotSupported = "collab_group_not_supported", "不支持群组协作", "Group collaboration is not supported";
    CannotInviteItemOwner = "cannot_invite_item_owner", "无法邀请拥有者", "The owner cannot be invited";
    CommentNotFound = "comment_not_found", "评论不存在", "Comment not found";
    ReviewNotFound = "review_not_found", "审阅不存在", "Review not found";
    CollabRelatedFolderDeleted = "collab_related_folder_deleted", "协作相关的文件夹已经被删除", "The collaboration folder has been deleted";
    EnterpriseIsExpired = "enterprise_is_expired", "企业套餐已经过期", "The enterprise plan has expired";
    DepartmentNotFound = "department_not_found", "部门不存在", "Department not found";
    DepartmentNameConflict = "department_name_conflict", "部门名冲突", "A department with this name already exists";
    UserNotInEnterprise = "user_not_in_enterprise", "用户不在企业中", "The user is not in the enterprise";
    UserAlreadyInDepartment = "user_already_in_department", "用户已经在该部门中", "The user is already in the department";
    UserExceedDepartmentLimit = "user_exceed_department_limit", "用户所在的部门数超过部门限制(100)", "The user is in too many departments (100)";
    UserNotInDepartment = "user_not_in_department", "用户不在该部门中", "The user is not in the department";
    GroupNameConflict = "group_name_conflict", "群组名冲突", "A group with this name already exists";
    UserAlreadyInGroup = "user_already_in_group", "用户已经在该群组中", "The user is already in the group";
    UserNotInGroup = "user_not_in_group", "用户不在该群组中", "The user is not in the group";
    UserEmailOrPhoneInvalid = "user_email_or_phone_invalid", "用户邮箱或手机无效", "The email or phone is invalid";
    UserAlreadyDeleted = "user_already_deleted", "该用户已被删除", "The user has already been deleted";
    UserAlreadyInvited = "user_already_invited", "该用户已被邀请", "The user has already been invited";
    UserAlreadyRegistered = "user_already_registered", "该用户已被注册", "The user is already registered";
    UserReceiveItemsNeeded = "user_receive_items_needed", "需要接收文件的用户", "A user to receive the items is required";
    DepartmentSpaceTotalExceedsEnterpriseLimit = "department_space_total_exceeds_enterprise_limit", "部门分配空间超出企业总可用空间", "Department space exceeds the enterprise limit";
    DepartmentHavingChildrenCanNotDelete = "department_having_children_can_not_delete", "无法删除存在子部门的部门", "A department with sub-departments cannot be deleted";
    UserSpaceTotalExceedsEnterpriseLimit = "user_space_total_exceeds_enterprise_limit", "用户分配空间超出企业总可用空间", "User space exceeds the enterprise limit";
    UserReceivedItemsNotInSameEnterprise = "user_received_items_not_in_same_enterprise", "接收文件的用户不在同一企业中", "The receiving user is not in the same enterprise";
    InvalidEnterpriseStorage = "invalid_enterprise_storage", "无效的企业存储", "Invalid enterprise storage";
    DepartmentDirectorCanNotDelete = "department_director_can_not_delete", "无法删除部门管理员", "The department director cannot be deleted";
    UserDeletedIsUserReceivedItems = "user_deleted_is_user_received_items", "接收文件的用户不能是被删除者", "The receiving user cannot be the deleted user";
    UserNotActive = "user_not_active", "用户未激活", "The user is not active";
    PreviewFileNotGenerated = "preview_file_not_generated", "预览文件未生成", "The preview has not been generated";
    CanNotDownloadYiqixieFile = "can_not_download_yiqixie_file", "无法下载一起写文件", "Online co-editing documents cannot be downloaded";
    UserReceiveItemsNeedActive = "user_receive_items_need_active", "文件接受者尚未激活", "The receiving user is not active";
    TimestampRangeInvalid = "timestamp_range_invalid", "非法的时间戳范围", "Invalid timestamp range";
    EnterpriseNotEnableSyncAccount = "enterprise_not_enable_sync_account", "企业未开启账号同步", "Account sync is not enabled for the enterprise";
    CannotProvideBothYfyIdAndCustomId = "cannot_provide_both_yfy_id_and_custom_id", "不能同时提供亿方云id和自定义id", "Provide either the platform id or the custom id, not both";
    YfyIdAndCustomIdNotNull = "yfy_id_and_custom_id_not_null", "亿方云id和自定义id不能同时为空", "Either the platform id or the custom id is required";
    // openpan's own codes for records the platform table has no code for.
    AppNotFound = "app_not_found", "应用不存在", "App not found";
    EnterpriseNotFound = "enterprise_not_found", "企业不存在", "Enterprise not found";
    GroupNotFound = "group_not_found", "群组不存在", "Group not found";
    ExceedDepartmentSpaceLimit = "exceed_department_space_limit", "超过部门空间限制", "Department space limit exceeded";
    // Transport-level codes: not in the business table but seen by every client.
    RateLimit = "rate_limit", "Rate limit exceeded!", "Rate limit exceeded!";
    Unauthorized = "unauthorized", "未提供访问令牌", "No access token was provided";
    InvalidToken = "invalid_token", "访问令牌无效或已过期", "The access token is invalid or expired";
    ApiNotFound = "api_not_found", "接口不存在", "No such API";
    MethodNotAllowed = "method_not_allowed", "请求方法不被允许", "Method not allowed";
    RequestBodyTooLarge = "request_body_too_large", "请求体过大", "Request body too large";
    ServiceUnavailable = "service_unavailable", "服务暂时不可用", "Service temporarily unavailable";
    InternalServerError = "internal_server_error", "服务器内部错误", "Internal server error";
    // Codes of the upload and download URLs (answered in the transfer-host shape).
    LinkInvalidOrExpired = "link_invalid_or_expired", "链接无效或已过期", "The link is invalid or has expired";
    RangeNotSatisfiable = "range_not_satisfiable", "请求的范围无效", "The requested range is not satisfiable";
}

impl ErrorCode {
    /// The HTTP status every answer with this code carries. One table for all routes:
    /// validation 400, missing or bad token 401, `permission_denied` 403, anything not found 404,
    /// name conflicts 409, rate limit 429, other business rules 400.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            RequestDataInvalid | ItemNameInvalid | ItemNameSizeIncorrect | TimestampRangeInvalid => 400,
            Unauthorized | InvalidToken => 401,
            PermissionDenied => 403,
            FileNotFound
            | FolderNotFound
            | FileDeleted
            | FolderDeleted
            | FileInTrashNotFound
            | FolderInTrashNotFound
            | UserNotFound
            | UserProfilePicNotFound
            | ShareLinkNotFoundOrDeleted
            | CollabNotFound
            | CommentNotFound
            | ReviewNotFound
            | DepartmentNotFound
            | AppNotFound
            | EnterpriseNotFound
            | GroupNotFound
            | ApiNotFound
            | LinkInvalidOrExpired => 404,
            MethodNotAllowed => 405,
            FileNameConflict | FolderNameConflict | DepartmentNameConflict | GroupNameConflict => 409,
            RequestBodyTooLarge => 413,
            RangeNotSatisfiable => 416,
            RateLimit => 429,
            InternalServerError => 500,
            ServiceUnavailable => 503,
            FolderEmptyInTrash
            | FolderParentDeleted
            | MoveToItself
            | MoveToSubfolder
            | CopyToItself
            | CopyToSubfolder
            | EmptyTrash
            | ExceedEnterpriseSpaceLimit
            | ExceedUserSpaceLimit
            | ExceedDepartmentSpaceLimit
            | FolderIsDescendant
            | UserProfilePicKeyNotFound
            | UserProfilePicKeyIncorrect
            | ShareLinkPasswordNotProvided
            | ShareLinkAccessTypeInvalid
            | DueTimePassed
            | ShareLinkResourceIdNotProvided
            | ShareLinkResourceIdAmbiguous
            | ShareLinkPasswordNotCorrect
            | ShareLinkPasswordSizeIncorrect
            | ShareLinkPasswordInvalid
            | ShareLinkExpired
            | CollabRoleInvalid
            | CollabUserHasBeenInvited
            | CollabUserNotInSameEnterprise
            | CollabGroupNotSupported
            | CannotInviteItemOwner
            | CollabRelatedFolderDeleted
            | EnterpriseIsExpired
            | UserNotInEnterprise
            | UserAlreadyInDepartment
            | UserExceedDepartmentLimit
            | UserNotInDepartment
            | UserAlreadyInGroup
            | UserNotInGroup
            | UserEmailOrPhoneInvalid
            | UserAlreadyDeleted
            | UserAlreadyInvited
            | UserAlreadyRegistered
            | UserReceiveItemsNeeded
            | DepartmentSpaceTotalExceedsEnterpriseLimit
            | DepartmentHavingChildrenCanNotDelete
            | UserSpaceTotalExceedsEnterpriseLimit
            | UserReceivedItemsNotInSameEnterprise
            | InvalidEnterpriseStorage
            | DepartmentDirectorCanNotDelete
            | UserDeletedIsUserReceivedItems
            | UserNotActive
            | PreviewFileNotGenerated
            | CanNotDownloadYiqixieFile
            | UserReceiveItemsNeedActive
            | EnterpriseNotEnableSyncAccount
            | CannotProvideBothYfyIdAndCustomId
            | YfyIdAndCustomIdNotNull => 400,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!(!code.message(Lang::Zh).is_empty());
            assert!(!code.message(Lang::En).is_empty());
        }
    }

    #[test]
    fn statuses_follow_the_documented_classes() {
        for code in ErrorCode::ALL {
            let status = code.http_status();
            let name = code.as_str();
            // "key not found" means the client did not send the key: a validation failure.
            if name.ends_with("_not_found") && *code != ErrorCode::UserProfilePicKeyNotFound {
                assert_eq!(status, 404, "{name}");
            }
            if name.ends_with("_name_conflict") {
                assert_eq!(status, 409, "{name}");
            }
        }
        assert_eq!(ErrorCode::RateLimit.http_status(), 429);
        assert_eq!(ErrorCode::PermissionDenied.http_status(), 403);
    }

    #[test]
    fn rate_limit_message_is_the_documented_one_in_both_languages() {
        assert_eq!(ErrorCode::RateLimit.message(Lang::Zh), "Rate limit exceeded!");
        assert_eq!(ErrorCode::RateLimit.message(Lang::En), "Rate limit exceeded!");
    }
}

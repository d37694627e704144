//! Request and response bodies.

use serde::{Deserialize, Serialize};

use crate::ErrorItem;

/// `POST /oauth/introspect` (RFC 7662): only `active` when the token is not an active access
/// token of the caller's enterprise.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Introspection {
    /// Whether the token is an active access token.
    pub active: bool,
    /// `admin` (an enterprise token) or `all` (a user token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client id of the app the token was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// When it expires (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// The user id, or the enterprise id for an enterprise token, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `user` or `enterprise`, as `jwt_simple` names subjects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    /// The enterprise the token acts in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<i64>,
    /// The user, for a user token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
}

impl Introspection {
    /// The answer for anything that is not an active access token.
    pub fn inactive() -> Self {
        Self {
            active: false,
            scope: None,
            client_id: None,
            token_type: None,
            exp: None,
            sub: None,
            sub_type: None,
            enterprise_id: None,
            user_id: None,
        }
    }
}

/// `POST /oauth/token` success body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// Bearer token for `/api/v2`.
    pub access_token: String,
    /// Single-use token for `grant_type=refresh_token`; absent for `client_credentials`
    /// (the app asks again with its credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// `admin` for enterprise tokens, `all` for user tokens.
    pub scope: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// An OpenID Connect ID token, when the grant carried the `openid` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 8693's answer to a token exchange: what was issued
    /// (`urn:ietf:params:oauth:token-type:access_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

/// `{"success": true}`, the body of argument-less mutations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuccessBody {
    /// Always true: failures use the error envelope.
    pub success: bool,
}

/// A user as embedded in other objects (`owned_by`, `modified_by`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MiniUser {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Login (email, else phone).
    pub login: String,
    /// The user's enterprise.
    pub enterprise_id: i64,
}

/// The enterprise as embedded in a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseRef {
    /// Enterprise id.
    pub id: i64,
    /// Enterprise name.
    pub name: String,
    /// The enterprise's administrator.
    pub admin_user_id: i64,
}

/// A user (`get_user_info`, user info).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// User id.
    pub id: i64,
    /// The user's enterprise.
    pub enterprise: EnterpriseRef,
    /// Display name.
    pub name: String,
    /// Login (email, else phone).
    pub login: String,
    /// Phone, `""` when none.
    pub phone: String,
    /// Email, `""` when none.
    pub email: String,
    /// Key of the profile picture, `""` when none.
    pub profile_pic_key: String,
    /// Whether the account is activated.
    pub active: bool,
    /// Name spelled in pinyin (the name itself for non-Chinese names).
    pub full_name_pinyin: String,
    /// First letters of the pinyin spelling.
    pub pinyin_first_letters: String,
}

/// A user as an administrator sees it (`admin/user/*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetailedUser {
    /// The public part.
    #[serde(flatten)]
    pub user: User,
    /// Whether the phone is hidden from colleagues.
    pub hide_phone: bool,
    /// Whether downloads are disabled for the user.
    pub disable_download: bool,
    /// Bytes used.
    pub space_used: i64,
    /// Bytes allowed, `-1` for unlimited.
    pub space_total: i64,
    /// Epoch seconds of the last login, when asked for with `last_login_flag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_at: Option<i64>,
}

/// A paged list of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    /// This page's users.
    pub users: Vec<DetailedUser>,
    /// Users over all pages.
    pub total_count: i64,
    /// 0-based page index.
    pub page_id: i64,
    /// Page size.
    pub page_capacity: i64,
    /// Number of pages.
    pub page_count: i64,
}

/// A user in a directory list (`user/search`, department and group members): the mini user
/// with what colleagues may see of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedUser {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Login (email, else phone).
    pub login: String,
    /// The user's enterprise.
    pub enterprise_id: i64,
    /// `admin` for the enterprise's administrator, else `user`.
    pub user_group: String,
    /// Email, `""` when none.
    pub email: String,
    /// Phone, `""` when none or hidden from colleagues.
    pub phone: String,
    /// Bytes allowed, `-1` for unlimited.
    pub space_total: i64,
    /// Bytes used.
    pub space_used: i64,
    /// Key of the profile picture, `""` when none.
    pub profile_pic_key: String,
    /// Whether the account is activated.
    pub is_active: bool,
    /// Whether colleagues see the phone number.
    pub is_phone_public: bool,
    /// Name spelled in pinyin (the name itself for non-Chinese names).
    pub full_name_pinyin: String,
}

/// A paged directory list (`user/search`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedUserPage {
    /// This page's users.
    pub users: Vec<ListedUser>,
    /// Users over all pages.
    pub total_count: i64,
    /// 0-based page index.
    pub page_id: i64,
    /// Page size.
    pub page_capacity: i64,
    /// Number of pages.
    pub page_count: i64,
}

/// A department (`department/{id}/info`); department 0 is the enterprise itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    /// Department id.
    pub id: i64,
    /// Name, at most 30 characters.
    pub name: String,
    /// Direct members.
    pub user_count: i64,
    /// Parent department; 0 for a top-level one.
    pub parent_id: i64,
    /// The director, `null` when none.
    pub director: Option<MiniUser>,
    /// Epoch seconds.
    pub created_at: i64,
    /// Direct sub-departments.
    pub children_departments_count: i64,
    /// Items at the top of the department's space.
    pub direct_item_count: i64,
    /// Position among its siblings.
    pub order: i64,
}

/// A department as its administrator sees it (`admin/department/*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DetailedDepartment {
    /// The public part.
    #[serde(flatten)]
    pub department: Department,
    /// Bytes used by the department's space.
    pub space_used: i64,
    /// Bytes allowed, `-1` for unlimited.
    pub space_total: i64,
    /// `space_used` as the Java SDK spells it.
    #[serde(rename = "spaceUsed")]
    pub space_used_camel: i64,
    /// `space_total` as the Java SDK spells it.
    #[serde(rename = "spaceTotal")]
    pub space_total_camel: i64,
    /// Whether members' phones are hidden from colleagues.
    pub hide_phone: bool,
    /// Whether members may not share.
    pub disable_share: bool,
    /// Whether previews carry a watermark.
    pub enable_watermark: bool,
    /// Whether collaboration invitations to the department are accepted at once.
    pub collab_auto_accepted: bool,
    /// Users who manage the department's files.
    pub file_managers: Vec<MiniUser>,
    /// The permission scheme's name, `""` when none.
    pub permission_type: String,
}

/// A department in a list (`children`, `user/departments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MiniDepartment {
    /// Department id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Direct members.
    pub user_count: i64,
    /// Direct sub-departments.
    pub children_departments_count: i64,
    /// Items at the top of the department's space.
    pub direct_item_count: i64,
    /// Whether it has sub-departments.
    pub has_children_departments: bool,
    /// Parent department; 0 for a top-level one.
    pub parent_id: i64,
    /// The director, `null` when none.
    pub director: Option<MiniUser>,
}

/// `department/{id}/children`: the department itself with its direct sub-departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentChildren {
    /// Department id (0 for the enterprise).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Direct members.
    pub user_count: i64,
    /// Parent department.
    pub parent_id: i64,
    /// Whether it has sub-departments.
    pub has_children_departments: bool,
    /// Direct sub-departments, in order.
    pub children: Vec<MiniDepartment>,
}

/// `user/departments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentList {
    /// The caller's departments.
    pub departments: Vec<MiniDepartment>,
}

/// A group of users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    /// Group id.
    pub id: i64,
    /// Name, unique in the enterprise.
    pub name: String,
    /// Description, `""` when none.
    pub description: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Members.
    pub user_count: i64,
    /// The group's administrator, `null` when none.
    pub admin_user: Option<MiniUser>,
    /// Whether users outside the group see it.
    pub is_visible: bool,
    /// Whether collaboration invitations to the group are accepted at once.
    pub collab_auto_accepted: bool,
}

/// A paged list of groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupPage {
    /// This page's groups.
    pub groups: Vec<Group>,
    /// Groups over all pages.
    pub total_count: i64,
    /// 0-based page index.
    pub page_id: i64,
    /// Page size.
    pub page_capacity: i64,
    /// Number of pages.
    pub page_count: i64,
}

/// A user with the id an integrator's platform knows it by (`mapping_user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingUser {
    /// The integrator's id, `""` when the user has none on the platform.
    pub custom_id: String,
    /// The user.
    #[serde(flatten)]
    pub user: DetailedUser,
}

/// A department with the integrator's id (`mapping_department`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingDepartment {
    /// The integrator's id, `""` when the department has none on the platform.
    pub custom_id: String,
    /// The department.
    #[serde(flatten)]
    pub department: DetailedDepartment,
}

/// A group with the integrator's id (`mapping_group`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingGroup {
    /// The integrator's id, `""` when the group has none on the platform.
    pub custom_id: String,
    /// The group.
    #[serde(flatten)]
    pub group: Group,
}

/// What became of one record of a sync call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncItemResult {
    /// The record's custom id as sent.
    pub custom_id: String,
    /// Whether the record was synced.
    pub success: bool,
    /// Our id of the record, when synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Whether it was created (rather than updated).
    pub created: bool,
    /// Why it was refused, as in an error envelope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorItem>,
}

/// `sync_users`, `sync_departments`, `sync_groups`: how many records were synced, and what
/// became of each, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncResult {
    /// Records synced.
    pub success_items_count: i64,
    /// This request's id.
    pub request_id: String,
    /// Per record.
    pub results: Vec<SyncItemResult>,
}

/// `admin/user/get_login_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginUrl {
    /// Opens the drive for the user once; a GET on it answers a web session.
    pub login_url: String,
    /// Seconds the link stays valid.
    pub expires_in: i64,
}

/// `admin/user/get_login_params`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginParams {
    /// The single-use secret.
    pub auth_key: String,
    /// The app the ticket is bound to.
    pub client_id: String,
    /// Seconds the ticket stays valid.
    pub expires_in: i64,
}

/// `GET /console/session`: who a web session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// The signed-in user.
    pub user: User,
    /// Epoch seconds when the session ends.
    pub expires_at: i64,
}

/// `POST /console/login`: a login and its password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsoleLogin {
    /// An email or a phone number.
    pub login: String,
    /// The account's password.
    pub password: String,
}

/// `POST /console/token`: a bearer token for the console's own calls to the open API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsoleToken {
    /// Bearer token for `/api/v2` (a user token, or with `admin` the enterprise's).
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until it expires; the console then asks again.
    pub expires_in: i64,
    /// The signed-in user.
    pub user: User,
    /// Whether the user administers their enterprise (may ask for `admin`).
    pub is_admin: bool,
}

/// `admin/log/action_type_info`: action codes and their names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionTypes {
    /// Code (as a string) to name.
    pub action_types: std::collections::BTreeMap<String, String>,
}

/// An action as a log entry names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionTypeRef {
    /// The action's name.
    pub name: String,
    /// The action's code, as a string.
    pub id: String,
}

/// Who acted, in a log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogOperator {
    /// The user's name; `""` for an app acting for its enterprise.
    pub user_name: String,
    /// The user's login.
    pub login: String,
    /// The user's id, as a string; `""` for an app.
    pub id: String,
}

/// What was acted on, in a log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogTarget {
    /// The file's, folder's, user's, department's or group's name.
    pub target_file_name: String,
    /// The size as people read it (`69.88KB`), for files and folders; `""` otherwise.
    pub size: String,
    /// The target's id, as a string.
    pub id: String,
}

/// Where an action came from, in a log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogPlatform {
    /// How the caller reached openpan.
    pub service_name: String,
    /// `IP:<address>`.
    pub ip_address: String,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserActivity {
    /// Epoch seconds.
    pub created: i64,
    /// What was done.
    pub action_type: ActionTypeRef,
    /// Who did it.
    pub operator: LogOperator,
    /// To what.
    pub target: LogTarget,
    /// Details of the action (old and new names, version ids, …).
    pub additional_info: serde_json::Value,
    /// From where.
    pub platform: LogPlatform,
}

/// `admin/log/log_info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogInfo {
    /// Entries matching over all pages.
    pub total_count: i64,
    /// This page's entries, oldest first.
    pub user_activities: Vec<UserActivity>,
    /// Always true.
    pub success: bool,
}

/// `admin/log/log_list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogList {
    /// This page's entries, oldest first.
    pub user_activities: Vec<UserActivity>,
    /// Always true.
    pub success: bool,
}

/// `admin/log/log_list_by_pagination`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogPage {
    /// The page answered (1-based).
    pub pagination: i64,
    /// This page's entries, oldest first.
    pub user_activities: Vec<UserActivity>,
    /// Always true.
    pub success: bool,
}

/// `user/space_usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpaceUsage {
    /// Bytes used.
    pub space_used: i64,
    /// Bytes allowed, `-1` for unlimited.
    pub space_total: i64,
}

/// A folder in a `path` array or as a `parent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PathFolder {
    /// Always `folder`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Folder id; 0 is the root.
    pub id: i64,
    /// Folder name; the root is `全部文件`.
    pub name: String,
}

/// Which space an item lives in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Space {
    /// `personal` or `department`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Department id for department spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

/// A folder (`/folder/{id}/info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Folder {
    /// Folder id; 0 is the caller's root.
    pub id: i64,
    /// Always `folder`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Folder name.
    pub name: String,
    /// Bytes of everything below.
    pub size: i64,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub modified_at: i64,
    /// Description, `""` when none.
    pub description: String,
    /// Ancestors from the root down, excluding the folder itself.
    pub path: Vec<PathFolder>,
    /// Owner.
    pub owned_by: MiniUser,
    /// Last modifier.
    pub modified_by: MiniUser,
    /// Direct parent; absent for the root.
    pub parent: Option<PathFolder>,
    /// Change counter.
    pub sequence_id: i64,
    /// Direct children.
    pub item_count: i64,
    /// `normal` for ordinary folders.
    pub folder_type: String,
    /// Whether the folder has collaborators.
    pub shared: bool,
    /// Which space the folder lives in.
    pub space: Space,
    /// Whether the folder is in the trash.
    pub in_trash: bool,
    /// Whether the folder is deleted for good.
    pub is_deleted: bool,
    /// Whether the caller marked the folder as frequently used.
    pub is_frequently_used: bool,
    /// What the caller may do with the folder; in single-item answers (listings leave it out,
    /// as the platform's do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// Trash listings and `/trash` info: when and by whom it was trashed.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = TrashFieldsWhenTrashed))]
    pub trash: Option<TrashFields>,
}

/// When an item went to the trash, and who put it there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrashFields {
    /// Epoch seconds.
    pub deleted_at: i64,
    /// Who trashed it.
    pub deleted_by: MiniUser,
}

/// [`TrashFields`] as the schema of an item shows them: there only when the item is trashed.
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TrashFieldsWhenTrashed {
    /// Epoch seconds.
    deleted_at: Option<i64>,
    /// Who trashed it.
    deleted_by: Option<MiniUser>,
}

/// A file (`/file/{id}/info`, upload results, listings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct File {
    /// File id.
    pub id: i64,
    /// Always `file`.
    #[serde(rename = "type")]
    pub kind: String,
    /// File name with extension.
    pub name: String,
    /// Bytes of the current version.
    pub size: i64,
    /// Lower-case hex SHA-1 of the current version.
    pub sha1: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub modified_at: i64,
    /// Description, `""` when none.
    pub description: String,
    /// Folders from the root down to the parent.
    pub path: Vec<PathFolder>,
    /// Owner.
    pub owned_by: MiniUser,
    /// Last modifier.
    pub modified_by: MiniUser,
    /// Direct parent.
    pub parent: Option<PathFolder>,
    /// Change counter; grows with every version and rename.
    pub sequence_id: i64,
    /// Comments on the file.
    pub comments_count: i64,
    /// `document`, `image`, `audio`, `video`, `zip` or `others`.
    pub extension_category: String,
    /// Which space the file lives in.
    pub space: Space,
    /// Whether the file is in the trash.
    pub in_trash: bool,
    /// Whether the file is deleted for good.
    pub is_deleted: bool,
    /// Whether the caller marked the file as frequently used.
    pub is_frequently_used: bool,
    /// What the caller may do with the file; in single-item answers (listings leave it out,
    /// as the platform's do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// Trash listings and `/trash` info: when and by whom it was trashed.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = TrashFieldsWhenTrashed))]
    pub trash: Option<TrashFields>,
}

/// A page of files and folders (`children`, `personal_items`, `trash/list`, `recent_items`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemPage {
    /// This page's files.
    pub files: Vec<File>,
    /// This page's folders (listed before the files).
    pub folders: Vec<Folder>,
    /// Items over all pages.
    pub total_count: i64,
    /// 0-based page index.
    pub page_id: i64,
    /// Page size.
    pub page_capacity: i64,
    /// Number of pages.
    pub page_count: i64,
    /// Folder listings: pass as `marker` for the next page, fetched by key (its cost does not
    /// grow with the folder); absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// A file on the caller's frequent list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrequentItem {
    /// The file.
    #[serde(flatten)]
    pub file: File,
    /// Identifies the file's current version.
    pub file_version_key: String,
}

/// `frequent/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FrequentPage {
    /// This page's files.
    pub frequent_items: Vec<FrequentItem>,
    /// Files over all pages.
    pub total_count: i64,
    /// 0-based page index.
    pub page_id: i64,
    /// Page size.
    pub page_capacity: i64,
    /// Number of pages.
    pub page_count: i64,
}

/// One version of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileVersion {
    /// Version id.
    pub id: i64,
    /// The file.
    pub file_id: i64,
    /// The file's name when the version was made.
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// Lower-case hex SHA-1.
    pub sha1: String,
    /// Epoch seconds the version was made.
    pub modified_at: i64,
    /// Who made it.
    pub modified_by: MiniUser,
    /// Whether this is the version clients see.
    pub current: bool,
    /// The uploader's note.
    pub remark: String,
    /// Description, `""`.
    pub description: String,
}

/// `file/{id}/versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileVersions {
    /// Always true.
    pub success: bool,
    /// Newest first.
    pub file_versions: Vec<FileVersion>,
}

/// The answer of the upload calls: where to POST the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresignUrl {
    /// Single-use, short-lived URL taking one multipart part named `file`.
    pub presign_url: String,
}

/// The answer of `file/{id}/download`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DownloadUrl {
    /// URL that streams the bytes without further credentials until it expires.
    pub download_url: String,
}

/// The answer of `file/preview_token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewToken {
    /// Opens the viewer page `/preview/preview.html?preview_token=…` without other
    /// credentials until it expires.
    pub preview_token: String,
}

/// The answer of `file/{id}/thumbnail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThumbnailUrl {
    /// A PNG at most 256 pixels on its longer edge; works without credentials for an hour.
    pub thumbnail_url: String,
}

/// A preview of one version of a file: `file/{id}/preview`, and the viewer page's
/// `/preview/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilePreview {
    /// The file.
    pub file_id: i64,
    /// The version shown.
    pub file_version_id: i64,
    /// The file's name.
    pub name: String,
    /// The version's size in bytes.
    pub size: i64,
    /// How it is shown: `image`, `pdf`, `office` (as the PDF made of it), `text`, `markdown`,
    /// `code`, `audio`, `video`; null when the file cannot be previewed.
    #[cfg_attr(feature = "openapi", schema(nullable))]
    pub kind: Option<String>,
    /// `ready`, `pending` (being converted) or `unavailable`.
    pub status: String,
    /// Whether a thumbnail is `ready`, `pending` or `unavailable`.
    pub thumbnail_status: String,
    /// The token of the viewer page and of the URLs below.
    pub preview_token: String,
    /// The viewer page.
    pub preview_url: String,
    /// What the viewer shows, with the media type to show it as (a PDF for office documents).
    pub content_url: String,
    /// The version's thumbnail (see `thumbnail_status`).
    pub thumbnail_url: String,
    /// Text to lay over the preview when the department asks for watermarks.
    #[cfg_attr(feature = "openapi", schema(nullable))]
    pub watermark: Option<String>,
    /// Whether this is the file's current version.
    pub is_current: bool,
    /// Epoch seconds when the token and URLs stop working.
    pub expires_at: i64,
}

/// The error body of the upload and download URLs. `errors` is a string here, not the API's
/// array: the Java SDK parses transfer failures in exactly this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferErrorBody {
    /// The error code.
    pub errors: String,
    /// The message, in the caller's language.
    pub error: String,
    /// Also in the `X-Request-Id` header.
    pub request_id: String,
}

/// A received part of a resumable upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedPart {
    /// 1-based.
    pub part_number: i64,
    /// Bytes.
    pub size: i64,
    /// Lower-case hex SHA-256 of the part.
    pub sha256: String,
}

/// A resumable upload session (`file/resumable_upload`, and `GET` on its URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResumableUpload {
    /// `PUT {upload_url}/part/{n}` each part, `POST {upload_url}/commit` at the end,
    /// `GET` it to resume, `DELETE` it to give up.
    pub upload_url: String,
    /// The file's name.
    pub name: String,
    /// Bytes of the whole file.
    pub size: i64,
    /// Bytes of every part but the last.
    pub part_size: i64,
    /// Parts to send.
    pub part_count: i64,
    /// Epoch seconds after which the session is gone.
    pub expires_at: i64,
    /// Parts received so far.
    pub parts: Vec<UploadedPart>,
}

/// `admin/platform/{id}/get_file_manager_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileManagerInfoList {
    /// One entry per department the integrator named and openpan knows.
    pub department_file_manager_info_list: Vec<DepartmentFileManagerInfo>,
}

/// A department with its file managers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentFileManagerInfo {
    /// openpan's id.
    pub department_id: i64,
    /// The integrator's id on the platform (`""` when it has none).
    pub custom_department_id: String,
    /// The file managers; the platform spells this one in camel case.
    #[serde(rename = "customUser_list")]
    pub custom_user_list: Vec<CustomUser>,
}

/// A user with the integrator's ids of it and of its departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomUser {
    /// openpan's id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The integrator's id on the platform (`""` when it has none).
    pub custom_id: String,
    /// Email, `""` when none.
    pub email: String,
    /// Phone, `""` when none.
    pub phone: String,
    /// The user's departments.
    pub department_ids: Vec<CustomDepartmentRef>,
}

/// A department by both ids, with its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomDepartmentRef {
    /// openpan's id.
    pub department_id: i64,
    /// The integrator's id on the platform (`""` when it has none).
    pub custom_department_id: String,
    /// Display name.
    pub name: String,
}

/// A user, group, department or folder as a collaboration names it (`accessible_by`, `item`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MiniElement {
    /// `user`, `group`, `department` or `folder`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A collaboration (`collab/invite`, `collab/{id}/info`, an entry of `folder/{id}/collabs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collab {
    /// Collaboration id; the owner's entry of a folder's list has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The same id, as some SDKs read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collab_id: Option<i64>,
    /// The folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<MiniElement>,
    /// Who is invited.
    pub accessible_by: MiniElement,
    /// Whether the invitation counts yet (a group's or department's may wait for its
    /// administrator).
    pub accepted: bool,
    /// `owner`, `coowner`, `editor`, …, `reset`.
    pub role: String,
    /// The invited user, when a user is invited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<MiniUser>,
}

/// `folder/{id}/collabs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FolderCollabs {
    /// The caller's role on the folder: the strongest of their grants.
    pub final_role: String,
    /// The owner first, then every collaboration.
    pub collabs: Vec<Collab>,
    /// The same list, as some SDKs read it.
    pub collab_info: Vec<Collab>,
}

/// `collab/invite_batch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitedCollabs {
    /// Always true: failures use the error envelope.
    pub success: bool,
    /// The collaborations created.
    pub collabs: Vec<Collab>,
}

/// A share link (`share_link/create`, `share_link/{unique_name}/info`, item link lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLink {
    /// The link's name: the end of its URL, and the `Share-Link-Token` visitors send.
    pub unique_name: String,
    /// The link's full URL.
    pub share_link: String,
    /// `public` or `company`.
    pub access: String,
    /// Whether visitors need the password (`Share-Link-Verification-Code`).
    pub password_protected: bool,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub modified_at: i64,
    /// The last day the link works (`YYYY-MM-DD`, China time); `""` when it has no due date.
    pub due_time: String,
    /// Whether visitors may only preview.
    pub disable_download: bool,
    /// Downloads through the link.
    pub download_count_total: i64,
    /// Visits through the link.
    pub view_count: i64,
    /// The shared file or folder.
    pub item: MiniElement,
    /// Who created the link.
    pub owned_by: MiniUser,
}

/// `file/{id}/share_links`, `folder/{id}/share_links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLinkPage {
    /// Newest first.
    pub share_links: Vec<ShareLink>,
    /// Live links of the item (of the creator asked for).
    pub total_count: i64,
    /// This page, 0-based.
    pub page_id: i64,
    /// Links per page.
    pub page_capacity: i64,
    /// Pages in all.
    pub page_count: i64,
}

/// A comment on a file (`comment/create`, an entry of `file/{id}/comments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    /// Comment id.
    pub id: i64,
    /// The same id, as some SDKs read it.
    pub comment_id: i64,
    /// The text; mentions appear as `@[user_id:name]`.
    pub content: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// The author.
    pub user: MiniUser,
    /// The file's id, as some SDKs read it.
    pub file_id: i64,
    /// The file.
    pub item: MiniElement,
}

/// `file/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentPage {
    /// Always true: failures use the error envelope.
    pub success: bool,
    /// Oldest first.
    pub comments: Vec<Comment>,
    /// Comments on the file.
    pub total_count: i64,
    /// This page, 0-based.
    pub page_id: i64,
    /// Comments per page.
    pub page_capacity: i64,
    /// Pages in all.
    pub page_count: i64,
}

/// A tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tag {
    /// Tag id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// `tag/list`, `tag/common_list` and the common list changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TagList {
    /// Always true: failures use the error envelope.
    pub success: bool,
    /// The tags.
    pub tags: Vec<Tag>,
}

/// An item with its tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaggedItem {
    /// `file` or `folder`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Item id.
    pub id: i64,
    /// `file_{id}` or `folder_{id}`.
    pub typed_id: String,
    /// Item name.
    pub name: String,
    /// The tags on it now, by name.
    pub tags: Vec<Tag>,
}

/// `tag/item_add_tags`, `tag/item_remove_tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaggedItems {
    /// Always true: failures use the error envelope.
    pub success: bool,
    /// Each item of the request.
    pub items: Vec<TaggedItem>,
}

/// A review named in other objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewRef {
    /// Review id.
    pub id: i64,
    /// Its title.
    pub name: String,
}

/// A file of a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    /// The name's extension, `""` when none.
    pub extension: String,
    /// Epoch seconds; 0 once the file is deleted for good.
    pub created_at: i64,
    /// Epoch seconds; 0 once the file is deleted for good.
    pub modified_at: i64,
    /// File id.
    pub id: i64,
    /// File name.
    pub name: String,
    /// `file_{id}`.
    pub typed_id: String,
    /// The owner, for the inviter; 0 for reviewers.
    pub user_id: i64,
    /// Bytes of the current version.
    pub size: i64,
    /// The folder holding it, for the inviter; 0 for reviewers.
    pub parent_folder_id: i64,
    /// In the trash.
    pub in_trash: bool,
    /// Deleted for good.
    pub is_deleted: bool,
}

/// A review (`review/info/{id}`, `review/edit/{id}`, `review/complete/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    /// Review id.
    pub id: i64,
    /// Who started it.
    pub inviter: MiniUser,
    /// Its title.
    pub name: String,
    /// Its description, `""` when none.
    pub description: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub modified_at: i64,
    /// When it falls due (the end of the due day, epoch seconds); 0 for none.
    pub due_time: i64,
    /// The reviewers.
    pub reviewers: Vec<MiniUser>,
    /// The files.
    pub items: Vec<ReviewItem>,
    /// Whether the inviter completed it.
    pub is_complete: bool,
    /// Signed reviews are not offered: always false.
    pub need_sign: bool,
    /// Whether its due time has passed.
    pub is_expired: bool,
}

/// `review/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewPage {
    /// Newest first.
    pub reviews: Vec<Review>,
    /// The caller's reviews of this kind.
    pub total_count: i64,
    /// This page, 0-based.
    pub page_id: i64,
    /// Reviews per page.
    pub page_capacity: i64,
    /// Pages in all.
    pub page_count: i64,
}

/// A comment in a review's discussion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewComment {
    /// Comment id.
    pub id: i64,
    /// The author.
    pub user: MiniUser,
    /// The text.
    pub content: String,
    /// Epoch seconds.
    pub created_at: i64,
    /// Voice comments are not offered: always false.
    pub is_voice: bool,
    /// Always 0.
    pub voice_length: i64,
    /// Always `""`.
    pub voice_storage_path_mp3: String,
    /// Always `""`.
    pub voice_storage_path_ogg: String,
}

/// `review/comment_list/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewCommentPage {
    /// The review.
    pub review: ReviewRef,
    /// Oldest first.
    pub review_comments: Vec<ReviewComment>,
    /// Comments on this page.
    pub review_comment_count: i64,
    /// Comments in the discussion.
    pub total_count: i64,
    /// This page, 0-based.
    pub page_id: i64,
    /// Comments per page.
    pub page_capacity: i64,
    /// Pages in all.
    pub page_count: i64,
}

/// `review_comment/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedReviewComment {
    /// Always true: failures use the error envelope.
    pub success: bool,
    /// The comment.
    #[serde(flatten)]
    pub comment: ReviewComment,
    /// The review.
    pub review: ReviewRef,
    /// Always `""` (the platform's document lists it; reviews have no password).
    pub password_protected: String,
}

/// `review/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedReview {
    /// Review id.
    pub id: i64,
    /// Its title.
    pub name: String,
}

/// `admin/enterprise/info` and `admin/enterprise/update`: the enterprise with the registration
/// details the auth service reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs)]
pub struct EnterpriseProfileJson {
    pub id: i64,
    pub name: String,
    /// The account name of the `/api/v1` dialect.
    pub short_name: String,
    pub company_type: String,
    pub tax_number: String,
    pub province: String,
    pub city: String,
    pub zone: String,
    pub address: String,
    pub tel_phone: String,
    pub legal_person_phone: String,
    pub legal_person_name: String,
    /// Unix seconds.
    pub created: i64,
}

//! The `/api/v1/{module}/{api}` dialect's shapes (account, org, file and SMS modules). Success
//! answers are plain JSON objects; failures use the `/api/v2` envelope
//! (`{"errors": [{"code", "msg"}], "request_id"}`). Times are epoch seconds, as on `/api/v2`.

use serde::Serialize;

/// `account/get_api_address`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1ApiAddress {
    /// The enterprise's account (short name), as asked.
    pub account: String,
    /// `workonline`, `file` or `sms`.
    pub app: String,
    /// The instance, `default` unless another was asked.
    pub instance: String,
    /// The entry address of that instance: for `workonline` the drive's `/api/v2` base, for
    /// `file` and `sms` their `/api/v1/…` bases, or where a named instance is served.
    pub api_url: String,
}

/// `account/get_token_info`: who the bearer token speaks for.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1TokenInfo {
    /// The app's numeric id.
    pub app_id: i64,
    /// The app's client id (the OA dialect's AgentId).
    pub client_id: String,
    /// The enterprise's account (short name).
    pub account: String,
    /// The enterprise's numeric id.
    pub enterprise_id: i64,
    /// The user's id; null for an enterprise token.
    pub user_id: Option<i64>,
}

/// An app instance.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1Instance {
    /// `workonline`, `file` or `sms`.
    pub app: String,
    /// Its name; every app has `default`.
    pub instance: String,
    /// Its entry address.
    pub api_url: String,
    /// Whether openpan serves it (else `api_url` is another server's).
    pub builtin: bool,
    /// When it was created; null for the implicit `default` instances.
    pub created_at: Option<i64>,
}

/// `account/list_instances`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1InstanceList {
    /// The implicit `default` instances first, then the created ones by app and name.
    pub instances: Vec<V1Instance>,
}

/// `account/renewal`: the enterprise's plan.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1Renewal {
    /// The enterprise's account (short name).
    pub account: String,
    /// When the plan ends (epoch seconds); null for no end.
    pub paid_until: Option<i64>,
    /// Whether it has ended: from then on writes answer `enterprise_is_expired`.
    pub expired: bool,
}

/// An app of the enterprise with its OAuth settings (`account/auth_config`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1AuthApp {
    /// The app's numeric id.
    pub app_id: i64,
    /// Its client id.
    pub client_id: String,
    /// Its name.
    pub name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Where the platform calls the app back; null when none.
    pub callback_url: Option<String>,
    /// How the OA dialect's `get-token` names users: `any`, `id`, `email`, `phone` or
    /// `custom_id:<platform id>`.
    pub user_field: String,
    /// The grants the token endpoint takes from it.
    pub grant_types: Vec<String>,
    /// When it was registered.
    pub created_at: i64,
}

/// `account/auth_config`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1AuthConfig {
    /// The token endpoint every app authenticates at.
    pub token_endpoint: String,
    /// The enterprise's apps, by id.
    pub apps: Vec<V1AuthApp>,
}

/// A plain acknowledgement.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1Success {
    /// Always true.
    pub success: bool,
}

/// A text message as recorded (`sms/send`, `sms/get`, `sms/list`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1SmsMessage {
    /// The message's numeric id.
    pub message_id: i64,
    /// The number, in canonical form (11 digits for mainland mobiles, else `+` and digits).
    pub phone: String,
    /// The text sent (a template's, with its parameters filled in).
    pub text: String,
    /// The template it came from, if any.
    pub template: Option<String>,
    /// `outbox` (no gateway configured: kept for administrators), `sent` or `failed`.
    pub status: String,
    /// `outbox`, or the gateway that took it (`http`).
    pub gateway: String,
    /// The gateway's id for the message, when it gave one.
    pub gateway_ref: Option<String>,
    /// Why the gateway did not take it.
    pub error: Option<String>,
    /// The app that sent it.
    pub app_id: Option<i64>,
    /// The user whose token sent it.
    pub user_id: Option<i64>,
    /// When it was asked for.
    pub created_at: i64,
    /// When the gateway took it.
    pub sent_at: Option<i64>,
}

/// `sms/list`: the enterprise's messages, newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1SmsPage {
    /// This page's messages.
    pub messages: Vec<V1SmsMessage>,
    /// Messages in all.
    pub total_count: i64,
    /// The page, from 0.
    pub page_id: i64,
    /// Messages per page.
    pub page_capacity: i64,
    /// Pages in all.
    pub page_count: i64,
}

/// An SMS template.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1SmsTemplate {
    /// Its name, which `sms/send` takes as `template`.
    pub template: String,
    /// The text, with `{name}` placeholders filled from `params`.
    pub content: String,
    /// When it was created.
    pub created_at: i64,
}

/// `sms/list_templates`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1SmsTemplates {
    /// By name.
    pub templates: Vec<V1SmsTemplate>,
}

/// `file/upload_token`: what a browser needs to post one file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1UploadToken {
    /// The form field `token` (or the `token` query parameter of `upload_url`). Single-use.
    pub upload_token: String,
    /// Where the browser posts its `multipart/form-data` form.
    pub upload_url: String,
    /// The folder the file goes into (the personal root's own id when 0 was asked).
    pub folder_id: i64,
    /// When the token stops working.
    pub expires_at: i64,
}

/// `file/download_url`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1DownloadUrl {
    /// The file asked for.
    pub file_id: i64,
    /// Works without a token until `expires_at`, for whoever holds it.
    pub download_url: String,
    /// When the URL stops working.
    pub expires_at: i64,
}

/// `account/notice_key`: the key an app checks its notices' and redirects' signatures with.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1NoticeKey {
    /// The app asked for.
    pub app_id: i64,
    /// 64 hex characters; HMAC-SHA256 key.
    pub notice_key: String,
}

/// A notice sent (or to be sent) to an app's callback address.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1Notice {
    /// Its numeric id, also sent as the `X-Openpan-Notice-Id` header (receivers dedupe by it).
    pub notice_id: i64,
    /// The app it is for.
    pub app_id: i64,
    /// e.g. `file.uploaded`.
    pub event: String,
    /// `pending`, `delivered` or `failed` (given up).
    pub status: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// Why the last attempt failed; null when none did.
    pub last_error: Option<String>,
    /// When a pending notice is tried next.
    pub next_attempt_at: i64,
    /// When it was recorded.
    pub created_at: i64,
    /// When the callback address accepted it; null until then.
    pub delivered_at: Option<i64>,
    /// The body as sent (a JSON object).
    pub body: serde_json::Value,
}

/// `account/list_notices`: newest first.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1NoticePage {
    /// This page's notices.
    pub notices: Vec<V1Notice>,
    /// Notices in all.
    pub total_count: i64,
    /// The page, from 0.
    pub page_id: i64,
    /// Notices per page.
    pub page_capacity: i64,
    /// Pages in all.
    pub page_count: i64,
}

/// `file/convert`: the converted file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct V1Conversion {
    /// The file converted.
    pub file_id: i64,
    /// The version converted.
    pub version_id: i64,
    /// `txt`.
    pub target: String,
    /// The converted file's name (the source's with the target's extension).
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// Whether the result was cut at the converter's limit (1 MiB of text).
    pub truncated: bool,
    /// Fetches it without a token, for whoever holds it, until `expires_at`.
    pub download_url: String,
    /// When the URL stops working.
    pub expires_at: i64,
}

//! The auth service's shapes (`/apis/rest/...`): every answer is
//! `{"data": …, "code": …, "message": …}`, in JSON or as the same fields in XML under
//! `<response>`, with the service's own numeric codes.

use serde::Serialize;

/// The envelope of every auth service answer. `data` is null (an empty element in XML) on
/// failures.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthServiceBody<T> {
    /// The answer's payload.
    pub data: Option<T>,
    /// [`AuthServiceCode::code`]: 200 on success.
    pub code: i64,
    /// `ok` on success, what went wrong otherwise.
    pub message: String,
}

/// `authService/authorize`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthCodeData {
    /// 40 lowercase hex characters, single-use, bound to the client and the user.
    pub auth_code: String,
}

/// `authService/login`: a user access token.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserTokenData {
    /// The token to present as `access_token`.
    pub access_token: String,
    /// Seconds it stays valid.
    pub expires_in: i64,
    /// Whose it is.
    pub user_id: i64,
}

/// `userService/getUserInfo`. Numbers and flags are strings, as the service prints them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthUserData {
    /// The login: email, else phone.
    pub username: String,
    /// The person's name.
    pub truename: String,
    /// `1` male, `2` female, `3` not recorded.
    pub sex: String,
    /// Empty when the user has none.
    pub phone: String,
    /// `1` for the enterprise's administrator, else `0`.
    pub is_admin: String,
    /// Null for an account in service (the only kind a live token belongs to).
    pub status: Option<String>,
    /// Where the profile picture is downloaded; empty when there is none.
    pub avatar: String,
    /// `YYYY-MM-DD HH:MM:SS`, China Standard Time.
    pub created: String,
    /// The server's time, Unix seconds.
    pub nowtime: i64,
}

/// `companyService/getCompanyInfo`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[allow(missing_docs)]
pub struct AuthCompanyData {
    pub company_name: String,
    pub company_type: String,
    pub tax_number: String,
    pub province: String,
    pub city: String,
    pub zone: String,
    pub address: String,
    /// Empty for an enterprise in service.
    pub disable: String,
    pub tel_phone: String,
    pub legal_person_phone: String,
    pub legal_person_name: String,
    /// `YYYY-MM-DD HH:MM:SS`, China Standard Time.
    pub created: String,
    /// The server's time, Unix seconds.
    pub nowtime: i64,
}

/// Every code the auth service answers, from its document's two tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthServiceCode {
    /// 200 成功码.
    Ok,
    /// 400 请求无效: a required parameter is missing, or the path is unknown.
    BadRequest,
    /// 401 未授权: the access token is unknown or revoked, or the login failed.
    Unauthorized,
    /// 500 服务内部错误.
    InternalError,
    /// 501 不支持该客户端: a response format other than `json` or `xml`.
    ClientNotSupported,
    /// 601 参数非法: a malformed parameter, a wrong `p_`, a stale `t_`.
    ParameterInvalid,
    /// 602 内容为空: a parameter given empty.
    ContentEmpty,
    /// 100014 访问token已过期.
    AccessTokenExpired,
    /// 100008 该client_id 不存在.
    ClientUnknown,
    /// 100009 HTTP协议头认证非法.
    BasicAuthInvalid,
    /// 100002 client_id 访问非法.
    ClientNotAllowed,
    /// 100019 授权码不存在.
    AuthCodeUnknown,
    /// 100018 该授权码无权限访问.
    AuthCodeNotPermitted,
    /// 100020 授权码已经过期.
    AuthCodeExpired,
    /// 100021 授权客户端非法持有授权码.
    AuthCodeOtherClient,
    /// 100023 授权用户非法持有授权码.
    AuthCodeOtherUser,
}

impl AuthServiceCode {
    /// Every code, for the catalogue in the API docs.
    pub const ALL: [AuthServiceCode; 16] = [
        Self::Ok,
        Self::BadRequest,
        Self::Unauthorized,
        Self::InternalError,
        Self::ClientNotSupported,
        Self::ParameterInvalid,
        Self::ContentEmpty,
        Self::AccessTokenExpired,
        Self::ClientUnknown,
        Self::BasicAuthInvalid,
        Self::ClientNotAllowed,
        Self::AuthCodeUnknown,
        Self::AuthCodeNotPermitted,
        Self::AuthCodeExpired,
        Self::AuthCodeOtherClient,
        Self::AuthCodeOtherUser,
    ];

    /// The number in `code`.
    pub fn code(self) -> i64 {
        match self {
            Self::Ok => 200,
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::InternalError => 500,
            Self::ClientNotSupported => 501,
            Self::ParameterInvalid => 601,
            Self::ContentEmpty => 602,
            Self::AccessTokenExpired => 100014,
            Self::ClientUnknown => 100008,
            Self::BasicAuthInvalid => 100009,
            Self::ClientNotAllowed => 100002,
            Self::AuthCodeUnknown => 100019,
            Self::AuthCodeNotPermitted => 100018,
            Self::AuthCodeExpired => 100020,
            Self::AuthCodeOtherClient => 100021,
            Self::AuthCodeOtherUser => 100023,
        }
    }

    /// The document's wording (`ok` for success, as its examples print).
    pub fn message(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::BadRequest => "请求无效",
            Self::Unauthorized => "未授权",
            Self::InternalError => "服务内部错误",
            Self::ClientNotSupported => "不支持该客户端",
            Self::ParameterInvalid => "参数非法",
            Self::ContentEmpty => "内容为空",
            Self::AccessTokenExpired => "访问token已过期,过期时间一般为3个月",
            Self::ClientUnknown => "该client_id 不存在",
            Self::BasicAuthInvalid => "HTTP协议头认证非法",
            Self::ClientNotAllowed => "client_id 访问非法",
            Self::AuthCodeUnknown => "授权码不存在,请重新授权",
            Self::AuthCodeNotPermitted => "该授权码无权限访问",
            Self::AuthCodeExpired => "授权码已经过期,请重启授权",
            Self::AuthCodeOtherClient => "授权客户端非法持有授权码",
            Self::AuthCodeOtherUser => "授权用户非法持有授权码",
        }
    }

    /// The HTTP status the answer goes with; the body's `code` says the rest.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::BadRequest
            | Self::ClientNotSupported
            | Self::ParameterInvalid
            | Self::ContentEmpty
            | Self::AuthCodeUnknown
            | Self::AuthCodeExpired => 400,
            Self::Unauthorized | Self::AccessTokenExpired | Self::ClientUnknown | Self::BasicAuthInvalid => 401,
            Self::ClientNotAllowed
            | Self::AuthCodeNotPermitted
            | Self::AuthCodeOtherClient
            | Self::AuthCodeOtherUser => 403,
            Self::InternalError => 500,
        }
    }
}

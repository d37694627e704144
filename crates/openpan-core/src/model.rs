//! Domain records and the validated values that build them. Not `Serialize`: wire shapes live in
//! `openpan-types` and the server converts by hand.

use crate::error::{Error, FieldError};
use crate::ids::{AppId, EnterpriseId, TokenId, UserId};

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    pub id: EnterpriseId,
    pub name: String,
    /// Unique ASCII account name, the `account` of the `/api/v1` dialect.
    pub short_name: String,
    pub admin_user_id: UserId,
    pub created_at: i64,
    /// Bytes, -1 for unlimited.
    pub space_total: i64,
    pub space_used: i64,
    /// Whether an integrator may create and update accounts in bulk (`sync_users`).
    pub account_sync_enabled: bool,
    /// Sharing is off for the whole enterprise (set on the root of its department tree).
    pub disable_share: bool,
    /// When its plan ends (epoch seconds); none for no end. From then on, writes are refused.
    pub paid_until: Option<i64>,
    /// Whether its apps may use the SDKs' `password` grant (off unless an administrator turns
    /// it on: the app then sees its users' passwords).
    pub password_grant_enabled: bool,
}

impl Enterprise {
    /// Whether the plan has ended at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.paid_until.is_some_and(|until| until <= now)
    }
}

/// A user of one enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
    pub is_admin: bool,
    pub hide_phone: bool,
    pub disable_download: bool,
    /// Bytes, -1 for unlimited.
    pub space_total: i64,
    pub space_used: i64,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// The key of the profile picture, when there is one.
    pub profile_pic_key: Option<String>,
}

impl User {
    /// The login: the email, else the phone.
    pub fn login(&self) -> &str {
        self.email.as_deref().or(self.phone.as_deref()).unwrap_or_default()
    }

    /// The login as colleagues see it: a phone its owner hides is not shown as a login either.
    pub fn public_login(&self) -> &str {
        match (&self.email, self.hide_phone) {
            (Some(email), _) => email,
            (None, false) => self.phone.as_deref().unwrap_or_default(),
            (None, true) => "",
        }
    }
}

/// A user together with its enterprise, as every user-shaped answer needs both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWithEnterprise {
    pub user: User,
    pub enterprise: Enterprise,
}

/// Lifecycle of an app; only `Active` apps authenticate and only their tokens work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppStatus {
    Active,
    Disabled,
    Deleted,
}

impl AppStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppStatus::Active => "active",
            AppStatus::Disabled => "disabled",
            AppStatus::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(AppStatus::Active),
            "disabled" => Some(AppStatus::Disabled),
            "deleted" => Some(AppStatus::Deleted),
            _ => None,
        }
    }
}

/// An OAuth2 app (client) of one enterprise. The secret exists only as its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub id: AppId,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub client_id: String,
    pub client_secret_hash: Vec<u8>,
    pub callback_url: Option<String>,
    pub status: AppStatus,
    pub created_at: i64,
    /// How the app names users in the OA dialect's `get-token`.
    pub user_field: UserField,
    pub client_type: ClientType,
    /// Where the authorization endpoint may send codes; matched exactly.
    pub redirect_uris: Vec<String>,
    /// The scopes the app may be granted; `None`: any.
    pub allowed_scopes: Option<crate::scope::Scopes>,
    /// The secret before the last rotation, accepted until `previous_secret_until`.
    pub previous_secret_hash: Option<Vec<u8>>,
    pub previous_secret_until: Option<i64>,
    /// A PEM public key (RSA or P-256) the app signs `jwt` grant assertions with.
    pub jwt_public_key: Option<String>,
    pub jwt_key_id: Option<String>,
}

/// Whether an app can keep a secret (RFC 6749 §2.1). A public client (a browser or mobile app,
/// a CLI) authenticates with its client id alone and must use PKCE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientType {
    #[default]
    Confidential,
    Public,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Confidential => "confidential",
            ClientType::Public => "public",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "confidential" => Some(ClientType::Confidential),
            "public" => Some(ClientType::Public),
            _ => None,
        }
    }
}

/// How an app identifies the user it asks a token for (the OA dialect's "user identification
/// field", set per app).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserField {
    /// The numeric user id, the login email or the phone, whichever matches.
    #[default]
    Any,
    Id,
    Email,
    Phone,
    /// The id the third-party platform with this id knows the user by.
    CustomId(i64),
}

impl UserField {
    pub fn as_string(self) -> String {
        match self {
            UserField::Any => "any".to_owned(),
            UserField::Id => "id".to_owned(),
            UserField::Email => "email".to_owned(),
            UserField::Phone => "phone".to_owned(),
            UserField::CustomId(platform) => format!("custom_id:{platform}"),
        }
    }

    /// `any`, `id`, `email`, `phone` or `custom_id:<platform id ≥ 1>`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "any" => Some(UserField::Any),
            "id" => Some(UserField::Id),
            "email" => Some(UserField::Email),
            "phone" => Some(UserField::Phone),
            other => {
                let platform: i64 = other.strip_prefix("custom_id:")?.parse().ok()?;
                (platform >= 1).then_some(UserField::CustomId(platform))
            }
        }
    }
}

/// What a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// An enterprise token: `scope: admin`, only `/admin/` APIs.
    Enterprise(EnterpriseId),
    /// A user token: `scope: all`, only non-admin APIs.
    User(EnterpriseId, UserId),
}

impl Subject {
    pub fn enterprise_id(self) -> EnterpriseId {
        match self {
            Subject::Enterprise(enterprise_id) | Subject::User(enterprise_id, _) => enterprise_id,
        }
    }

    pub fn scope(self) -> &'static str {
        match self {
            Subject::Enterprise(_) => "admin",
            Subject::User(..) => "all",
        }
    }
}

/// A stored access/refresh token pair. The secrets exist only as keyed hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub token_id: TokenId,
    pub app_id: AppId,
    pub subject: Subject,
    pub access_hash: Vec<u8>,
    /// `None` once the refresh token has been used.
    pub refresh_hash: Option<Vec<u8>>,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    /// What the token was granted (the whole of its kind when stored without a scope).
    pub scopes: crate::scope::Scopes,
    /// An embedded component's token reaches this item and what is below it, nothing else.
    pub root: Option<crate::ids::ItemId>,
    /// The person an enterprise token acts for (the console's administrator).
    pub acting: Option<UserId>,
    /// The first pair of the refresh chain this pair belongs to (its own id for a first pair).
    pub family: TokenId,
}

/// A token pair to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub app_id: AppId,
    pub subject: Subject,
    pub secrets: TokenHashes,
    /// `None`: the whole of the subject's kind (the seed's grants).
    pub scopes: Option<crate::scope::Scopes>,
    /// The first pair of the refresh chain this one descends from; `None` starts a chain. An
    /// embedded component's token names its subject token's chain, so it ends with it.
    pub family: Option<TokenId>,
    /// Confines the token to this item and below (a token exchange's `resource`). Such
    /// tokens are never refreshable, so rotation never has to carry it.
    pub root: Option<crate::ids::ItemId>,
    /// The person an enterprise token acts for (the console's administrator); such tokens
    /// are never refreshable either.
    pub acting: Option<UserId>,
}

/// The stored half of a fresh token pair: keyed hashes of its secrets and its lifetimes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHashes {
    pub access_hash: Vec<u8>,
    pub refresh_hash: Vec<u8>,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub created_at: i64,
}

/// A display name: 1–30 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let count = trimmed.chars().count();
        if count == 0 {
            return Err(FieldError::new(field, "不能为空"));
        }
        if count > 30 {
            return Err(FieldError::new(field, "长度不能超过30个字符"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldError::new(field, "不能包含控制字符"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A lower-cased email address with one `@`, a non-empty local part and a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && email.len() <= 254
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if valid {
            Ok(Self(email))
        } else {
            Err(FieldError::new(field, "邮箱格式不正确"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A phone number: an optional leading `+` and 5–20 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let phone = raw.trim();
        let digits = phone.strip_prefix('+').unwrap_or(phone);
        if (5..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(phone.to_owned()))
        } else {
            Err(FieldError::new(field, "手机号格式不正确"))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An enterprise account name: 2–32 of `[a-z0-9_-]`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortName(String);

impl ShortName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim().to_ascii_lowercase();
        let valid = (2..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
            && name.as_bytes()[0].is_ascii_alphanumeric();
        if valid {
            Ok(Self(name))
        } else {
            Err(FieldError::new(field, "只能包含2-32位小写字母、数字、_和-"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password for interactive login: 6–32 characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let count = raw.chars().count();
        if (6..=32).contains(&count) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(field, "长度必须在6-32位之间"))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A validated 0-based page request (`page_id`, `page_capacity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Page {
    pub page_id: i64,
    pub capacity: i64,
}

impl Page {
    pub const DEFAULT_CAPACITY: i64 = 20;
    pub const MAX_CAPACITY: i64 = 1000;

    pub fn parse(page_id: Option<i64>, capacity: Option<i64>) -> Result<Self, Error> {
        let page_id = page_id.unwrap_or(0);
        let capacity = capacity.unwrap_or(Self::DEFAULT_CAPACITY);
        if page_id < 0 {
            return Err(Error::invalid("page_id", "不能小于0"));
        }
        if !(1..=Self::MAX_CAPACITY).contains(&capacity) {
            return Err(Error::invalid("page_capacity", "必须在1-1000之间"));
        }
        Ok(Self { page_id, capacity })
    }

    pub fn offset(self) -> i64 {
        self.page_id.saturating_mul(self.capacity)
    }

    /// Pages needed for `total` items (at least zero).
    pub fn page_count(self, total: i64) -> i64 {
        (total + self.capacity - 1) / self.capacity
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (uppercase hex): for URL
/// paths, `filename*`, and the values of signed redirect parameters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// An absolute `http` or `https` address the platform may call or send browsers to.
pub fn check_http_url(field: &str, url: &str) -> Result<(), FieldError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let looks_like_url = rest.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if looks_like_url {
        Ok(())
    } else {
        Err(FieldError::new(field, "必须是http或https地址"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_need_a_dotted_domain() {
        assert_eq!(Email::parse("email", " A@B.CN ").unwrap().as_str(), "a@b.cn");
        for bad in ["", "a", "a@b", "@b.cn", "a@b@c.cn", "a b@c.cn", "a@.cn", "a@cn."] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_count_unicode_characters() {
        assert!(PersonName::parse("name", &"张".repeat(30)).is_ok());
        assert!(PersonName::parse("name", &"张".repeat(31)).is_err());
        assert!(PersonName::parse("name", "  ").is_err());
    }

    #[test]
    fn pages_reject_out_of_range_values() {
        assert!(Page::parse(Some(-1), None).is_err());
        assert!(Page::parse(None, Some(0)).is_err());
        assert!(Page::parse(None, Some(1001)).is_err());
        let page = Page::parse(Some(2), Some(10)).unwrap();
        assert_eq!(page.offset(), 20);
        assert_eq!(page.page_count(21), 3);
        assert_eq!(page.page_count(0), 0);
    }
}

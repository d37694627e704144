//! An enterprise's apps (OAuth clients), as the admin API shows them.

use serde::{Deserialize, Serialize};

/// An app. Its secret appears only in the answers of `create` and `rotate_secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct App {
    /// The app's id.
    pub app_id: i64,
    /// Its display name, shown on the consent page.
    pub name: String,
    /// The OAuth client id.
    pub client_id: String,
    /// `confidential` (has a secret) or `public` (no secret; PKCE required).
    pub client_type: String,
    /// Where the authorization endpoint may send codes (matched exactly).
    pub redirect_uris: Vec<String>,
    /// The scopes the app may be granted, space-separated; null: any.
    pub scopes: Option<String>,
    /// Where its webhook events and notices go.
    pub callback_url: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// When it was registered (epoch seconds).
    pub created_at: i64,
    /// The client secret: only right after it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Until when the secret before the last rotation still works (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_valid_until: Option<i64>,
    /// The PEM public key the `jwt` and `jwt-bearer` grants are checked with; null: none.
    #[serde(default)]
    pub jwt_public_key: Option<String>,
    /// The key id assertions name in their `kid` header.
    #[serde(default)]
    pub jwt_key_id: Option<String>,
}

/// `admin/enterprise/oauth_settings`: how the enterprise's apps may sign users in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthSettings {
    /// Whether apps may use the `password` grant (they then see users' passwords).
    pub password_grant_enabled: bool,
}

/// `GET admin/app/list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppList {
    /// The enterprise's apps, oldest first.
    pub apps: Vec<App>,
}

//! The web console's credentials: a browser signed in with a web session trades it for bearer
//! tokens of its enterprise's built-in console app, so the console's pages call the same open
//! API, with the same rules and audit, as every integration. The app is made on first use,
//! never listed or managed as an integrator's app, and its secret is known to nobody.

use crate::error::{Error, Result};
use crate::ids::EnterpriseId;
use crate::model::{App, AppStatus, ClientType, Subject, UserWithEnterprise};
use crate::oauth::IssuedToken;
use crate::ports::NewApp;
use crate::secrets;
use crate::services::Core;

/// How long a console token lasts: a signed-out browser's tokens stop working soon after (the
/// page asks for a new one before this runs out).
pub const CONSOLE_TOKEN_SECS: i64 = 15 * 60;

/// The client id of an enterprise's console app is this and the enterprise's id; generated
/// client ids never take this form.
pub const CONSOLE_CLIENT_PREFIX: &str = "openpan-console-";

impl App {
    /// Whether this is an enterprise's built-in web console app.
    pub fn is_console(&self) -> bool {
        self.client_id.starts_with(CONSOLE_CLIENT_PREFIX)
    }
}

impl Core {
    /// A bearer token for the console's pages, for the user of the web session `secret`:
    /// their own (`admin` false), or their enterprise's administration token when they are an
    /// administrator. No refresh token, and a short life: the page asks again while the
    /// session lasts.
    pub async fn console_token(&self, secret: &str, admin: bool) -> Result<(IssuedToken, UserWithEnterprise)> {
        let (user, _) = self.web_session(secret).await?;
        if !user.user.active {
            return Err(Error::Unauthenticated);
        }
        if admin && !user.user.is_admin {
            return Err(Error::PermissionDenied);
        }
        let enterprise_id = user.user.enterprise_id;
        let app = self.console_app(enterprise_id).await?;
        let subject = if admin {
            Subject::Enterprise(enterprise_id)
        } else {
            Subject::User(enterprise_id, user.user.id)
        };
        // The enterprise's token names the administrator, so the audit log says who acted.
        let bounds = crate::oauth::TokenBounds {
            acting: admin.then_some(user.user.id),
            ..Default::default()
        };
        let issued = self
            .store_token_confined(app.id, subject, None, false, CONSOLE_TOKEN_SECS, bounds)
            .await?;
        Ok((issued, user))
    }

    /// The enterprise's console app, made on first use (two nodes making it at once keep the
    /// one stored first: the client id is unique).
    async fn console_app(&self, enterprise_id: EnterpriseId) -> Result<App> {
        let client_id = format!("{CONSOLE_CLIENT_PREFIX}{}", enterprise_id.0);
        if let Some(app) = self.repo.find_app_by_client_id(&client_id).await? {
            return usable(app);
        }
        let new = NewApp {
            enterprise_id,
            name: "Web console".to_owned(),
            client_id: client_id.clone(),
            client_secret_hash: self.key.hash(&secrets::random_hex(32)),
            callback_url: None,
            created_at: self.clock.now(),
            client_type: ClientType::Confidential,
            redirect_uris: Vec::new(),
            allowed_scopes: None,
        };
        match self.repo.create_app(new).await {
            Ok(app) => Ok(app),
            Err(err) => match self.repo.find_app_by_client_id(&client_id).await? {
                Some(app) => usable(app),
                None => Err(err.into()),
            },
        }
    }
}

fn usable(app: App) -> Result<App> {
    if app.status == AppStatus::Active {
        Ok(app)
    } else {
        Err(Error::Unavailable("the enterprise's console app is not active".into()))
    }
}

//! Device authorization (RFC 8628) for CLIs and TVs: the device asks for a pair of codes,
//! shows the short user code, and polls the token endpoint while a person enters the code in
//! a browser, signs in and approves. Both codes are stored only as keyed hashes.

use crate::audit::{TargetKind, action};
use crate::error::{ConflictKind, Error, NotFoundKind, OAuthFailure, RepoError, Result};
use crate::ids::{AppId, EnterpriseId, UserId};
use crate::model::{App, AppStatus, User};
use crate::oauth::{ClientAuth, IssuedToken, granted_scopes, invalid_grant, split_token};
use crate::scope::Scopes;
use crate::secrets;
use crate::services::Core;
use crate::services::audit_log::Audit;

/// How long a device's codes wait for the person.
pub const DEVICE_CODE_SECS: i64 = 600;
/// How often a device may poll at first; each `slow_down` adds [`SLOW_DOWN_STEP_SECS`].
pub const DEVICE_POLL_SECS: i64 = 5;
const SLOW_DOWN_STEP_SECS: i64 = 5;
/// User codes use consonants only (RFC 8628 §6.1): no words, no 0/O or 1/I to confuse.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;

/// Where a device authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Used,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
            DeviceStatus::Used => "used",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => DeviceStatus::Pending,
            "approved" => DeviceStatus::Approved,
            "denied" => DeviceStatus::Denied,
            "used" => DeviceStatus::Used,
            _ => return None,
        })
    }
}

/// A device authorization to store.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub device_hash: Vec<u8>,
    pub user_code_hash: Vec<u8>,
    pub app_id: AppId,
    pub scopes: Scopes,
    pub interval_secs: i64,
    pub expires_at: i64,
}

/// A stored device authorization.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub id: i64,
    pub device_hash: Vec<u8>,
    pub app_id: AppId,
    pub scopes: Scopes,
    pub status: DeviceStatus,
    pub user_id: Option<UserId>,
    pub interval_secs: i64,
    pub polled_at: Option<i64>,
    pub expires_at: i64,
}

/// What the device is told to show and how to poll.
#[derive(Debug, Clone)]
pub struct DeviceStart {
    pub device_code: String,
    /// As shown to the person: `BCDF-GHJK`.
    pub user_code: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A device's request as the approving person sees it.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    pub app_name: String,
    pub enterprise_id: EnterpriseId,
    pub scopes: Scopes,
    /// The user code, as shown.
    pub user_code: String,
}

/// A user code as typed: case, spaces and dashes do not matter.
fn normalise_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b))).then_some(code)
}

fn shown(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

fn new_user_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..USER_CODE_LEN)
        .map(|_| USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char)
        .collect()
}

fn device_failure(failure: OAuthFailure) -> Error {
    Error::OAuth(failure)
}

impl Core {
    /// `POST /oauth/device_authorization`: a device code to poll with and a user code to show.
    pub async fn start_device_authorization(&self, client: &ClientAuth, scope: Option<&str>) -> Result<DeviceStart> {
        let app = self.authenticate(client).await?;
        let scopes = granted_scopes(&app, scope, true)?.unwrap_or_else(Scopes::user_default);
        let now = self.clock.now();
        let secret = secrets::new_token();
        // A user code still waiting elsewhere is kept apart by its unique hash; draw again.
        for _ in 0..5 {
            let user_code = new_user_code();
            let device = NewDevice {
                device_hash: self.key.hash(&secret),
                user_code_hash: self.key.hash(&user_code),
                app_id: app.id,
                scopes,
                interval_secs: DEVICE_POLL_SECS,
                expires_at: now + DEVICE_CODE_SECS,
            };
            match self.repo.create_device(device).await {
                Ok(id) => {
                    return Ok(DeviceStart {
                        device_code: format!("{id}.{secret}"),
                        user_code: shown(&user_code),
                        expires_in: DEVICE_CODE_SECS,
                        interval: DEVICE_POLL_SECS,
                    });
                }
                Err(RepoError::Conflict(ConflictKind::UserCode)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::Internal("no free user code".into()))
    }

    /// The pending request a signed-in person's typed code names. Wrong codes count against
    /// the person like wrong passwords, so codes cannot be guessed from one account.
    pub async fn device_request(&self, user: &User, typed: &str) -> Result<DeviceRequest> {
        Ok(self.pending_device(user, typed).await?.0)
    }

    /// [`Core::device_request`], with the stored request it found.
    async fn pending_device(&self, user: &User, typed: &str) -> Result<(DeviceRequest, DeviceRecord)> {
        let now = self.clock.now();
        let keys = [format!("device-code:{}", user.id.0)];
        self.reserve_password_attempt(&keys, now).await?;
        let code = normalise_user_code(typed);
        let found = match &code {
            Some(code) => self.repo.find_device_by_user_code(&self.key.hash(code)).await?,
            None => None,
        };
        let record = found
            .filter(|record| record.status == DeviceStatus::Pending && record.expires_at > now)
            .ok_or_else(|| Error::not_found(NotFoundKind::App))?;
        let app = self
            .repo
            .find_app(record.app_id)
            .await?
            .filter(|app| app.status == AppStatus::Active)
            .ok_or_else(|| Error::not_found(NotFoundKind::App))?;
        self.repo.release_password_attempt(&keys).await?;
        // Only members of the app's enterprise answer for it.
        if app.enterprise_id != user.enterprise_id || !user.active {
            return Err(Error::PermissionDenied);
        }
        let request = DeviceRequest {
            app_name: app.name,
            enterprise_id: app.enterprise_id,
            scopes: record.scopes,
            user_code: shown(&code.unwrap_or_default()),
        };
        Ok((request, record))
    }

    /// The person approves or denies the device's request.
    pub async fn decide_device(&self, user: &User, typed: &str, approve: bool) -> Result<DeviceRequest> {
        let (request, record) = self.pending_device(user, typed).await?;
        let now = self.clock.now();
        let (status, decided_by) = if approve {
            (DeviceStatus::Approved, Some(user.id))
        } else {
            (DeviceStatus::Denied, None)
        };
        // A request answered meanwhile (a double submit) or expired changes nothing: an error
        // inside the write, so its audit event is dropped with it.
        let write = async {
            match self.repo.decide_device(record.id, status, decided_by, now).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(crate::RepoError::NotFound),
                Err(err) => Err(err),
            }
        };
        let gone = crate::error::gone(|| Error::not_found(NotFoundKind::App));
        if approve {
            let audit = Audit::new(
                action::AUTHORIZE_APP,
                TargetKind::App,
                record.app_id.0,
                &request.app_name,
            )
            .with("scope", request.scopes.to_string())
            .with("via", "device");
            self.audited_as(user.enterprise_id, Some(user.id), Some(record.app_id), audit, write)
                .await
                .map_err(gone)?;
        } else {
            write.await.map_err(gone)?;
        }
        Ok(request)
    }

    /// The token endpoint's `device_code` grant: pending, too fast, denied, expired, or the
    /// pair — once.
    pub(crate) async fn grant_device_code(&self, app: &App, device_code: &str) -> Result<IssuedToken> {
        let unusable = || invalid_grant("device code is invalid or already used");
        let (id, secret) = split_token(device_code).ok_or_else(unusable)?;
        let record = self.repo.find_device(id.0).await?.ok_or_else(unusable)?;
        if record.app_id != app.id || !self.key.verify(secret, &record.device_hash) {
            return Err(unusable());
        }
        let now = self.clock.now();
        if record.expires_at <= now {
            return Err(device_failure(OAuthFailure::ExpiredToken));
        }
        match record.status {
            DeviceStatus::Used => return Err(unusable()),
            DeviceStatus::Denied => return Err(device_failure(OAuthFailure::AccessDenied)),
            DeviceStatus::Pending => {
                let too_soon = record.polled_at.is_some_and(|at| now < at + record.interval_secs);
                let interval = record.interval_secs + if too_soon { SLOW_DOWN_STEP_SECS } else { 0 };
                self.repo.poll_device(record.id, now, interval).await?;
                return Err(device_failure(if too_soon {
                    OAuthFailure::SlowDown
                } else {
                    OAuthFailure::AuthorizationPending
                }));
            }
            DeviceStatus::Approved => {}
        }
        if app.allowed_scopes.is_some_and(|allowed| !record.scopes.within(allowed)) {
            return Err(invalid_grant("the app may no longer be granted that scope"));
        }
        let (_, subject, secrets, token) = self
            .approved_pair(app, record.user_id, record.scopes, now)
            .await?
            .ok_or_else(unusable)?;
        match self.repo.redeem_device(record.id, now, token).await {
            Ok(Some(token_id)) => Ok(secrets.issued(token_id, subject, Some(record.scopes))),
            Ok(None) => Err(unusable()),
            Err(RepoError::Conflict(ConflictKind::AppInactive)) => Err(Error::OAuth(OAuthFailure::InvalidClient)),
            Err(other) => Err(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_read_however_they_are_typed() {
        assert_eq!(normalise_user_code("bcdf-ghjk").as_deref(), Some("BCDFGHJK"));
        assert_eq!(normalise_user_code(" BCDF GHJK ").as_deref(), Some("BCDFGHJK"));
        assert_eq!(normalise_user_code("BCDF-GHJ"), None, "too short");
        assert_eq!(normalise_user_code("ABCD-EFGH"), None, "vowels are never in a code");
    }

    #[test]
    fn new_user_codes_are_shown_in_two_halves_of_consonants() {
        let code = new_user_code();
        assert_eq!(normalise_user_code(&code).as_deref(), Some(code.as_str()));
        let shown = shown(&code);
        assert_eq!(shown.len(), 9);
        assert_eq!(&shown[4..5], "-");
    }
}

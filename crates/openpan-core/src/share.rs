//! Share links: a file or folder opened to whoever holds the link (`public`) or to the
//! enterprise's users (`company`), optionally behind a password and until a due date.

use crate::clock::platform_zone;
use jiff::civil::Date;

use crate::drive::ItemKind;
use crate::ids::{EnterpriseId, ItemId, ShareLinkId, UserId};

/// Who a link opens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareAccess {
    /// Anyone holding the link.
    Public,
    /// Users of the link's enterprise holding it.
    Company,
}

impl ShareAccess {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "public" => Some(ShareAccess::Public),
            "company" => Some(ShareAccess::Company),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ShareAccess::Public => "public",
            ShareAccess::Company => "company",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    pub id: ShareLinkId,
    pub enterprise_id: EnterpriseId,
    pub item_id: ItemId,
    pub item_kind: ItemKind,
    /// The link's public name: the last segment of its URL and the `Share-Link-Token`.
    pub unique_name: String,
    pub access: ShareAccess,
    /// The keyed hash of the password, when there is one.
    pub password_hash: Option<Vec<u8>>,
    /// When the link stops working (the end of its due date), if ever.
    pub expires_at: Option<i64>,
    pub disable_download: bool,
    pub created_by: UserId,
    pub created_at: i64,
    pub modified_at: i64,
    pub revoked: bool,
    pub view_count: i64,
    pub download_count: i64,
}

impl ShareLink {
    pub fn password_protected(&self) -> bool {
        self.password_hash.is_some()
    }

    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// The due date clients set and read (`YYYY-MM-DD`), `None` for links without one.
    pub fn due_date(&self) -> Option<String> {
        self.expires_at.and_then(|at| {
            jiff::Timestamp::from_second(at - 1)
                .ok()
                .map(|moment| moment.to_zoned(platform_zone()).date().to_string())
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShareLink {
    pub enterprise_id: EnterpriseId,
    pub item_id: ItemId,
    pub unique_name: String,
    pub access: ShareAccess,
    pub password_hash: Option<Vec<u8>>,
    pub expires_at: Option<i64>,
    pub disable_download: bool,
    pub created_by: UserId,
    pub at: i64,
}

/// What an update changes; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareLinkChanges {
    pub access: Option<ShareAccess>,
    /// `Some(None)` removes the due date.
    pub expires_at: Option<Option<i64>>,
    pub disable_download: Option<bool>,
    /// `Some(None)` removes the password.
    pub password_hash: Option<Option<Vec<u8>>>,
}

/// Why a password cannot be a link's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    TooLong,
    NotAlphanumeric,
}

/// The longest password, in characters.
pub const MAX_PASSWORD_CHARS: usize = 33;

/// A link password: 1–33 ASCII letters and digits.
pub fn check_password(raw: &str) -> Result<(), PasswordError> {
    if raw.chars().count() > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    if raw.is_empty() || !raw.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(PasswordError::NotAlphanumeric);
    }
    Ok(())
}

/// When a link due on `raw` (`YYYY-MM-DD`) stops working: the end of that day. `None` when
/// `raw` is not a date.
pub fn due_date_end(raw: &str) -> Option<i64> {
    let date: Date = raw.trim().parse().ok()?;
    let next = date.tomorrow().ok()?;
    next.to_zoned(platform_zone())
        .ok()
        .map(|zoned| zoned.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_up_to_33_letters_and_digits() {
        assert_eq!(check_password("abc123"), Ok(()));
        assert_eq!(check_password(&"a".repeat(33)), Ok(()));
        assert_eq!(check_password(&"a".repeat(34)), Err(PasswordError::TooLong));
        assert_eq!(check_password("abc 123"), Err(PasswordError::NotAlphanumeric));
        assert_eq!(check_password("密码"), Err(PasswordError::NotAlphanumeric));
        assert_eq!(check_password(""), Err(PasswordError::NotAlphanumeric));
    }

    #[test]
    fn a_link_due_on_a_day_works_through_that_day_in_china() {
        let end = due_date_end("2026-11-23").unwrap();
        // Midnight at the start of 24 November, UTC+8.
        assert_eq!(end, 1_795_449_600);
        let link = ShareLink {
            id: ShareLinkId(1),
            enterprise_id: EnterpriseId(1),
            item_id: ItemId(1),
            item_kind: ItemKind::File,
            unique_name: "x".into(),
            access: ShareAccess::Public,
            password_hash: None,
            expires_at: Some(end),
            disable_download: false,
            created_by: UserId(1),
            created_at: 0,
            modified_at: 0,
            revoked: false,
            view_count: 0,
            download_count: 0,
        };
        assert_eq!(link.due_date().as_deref(), Some("2026-11-23"));
        assert!(!link.expired(end - 1));
        assert!(link.expired(end));
        assert_eq!(due_date_end("23/11/2026"), None);
    }
}

//! The auth service's rules (the `/apis/rest/...` dialect): the `t_`/`p_` request stamp, what an
//! auth code may be exchanged for, the records behind user access tokens and auth codes, and
//! the enterprise profile it reports.

use crate::error::{AuthServiceFailure, Error, Result};
use crate::ids::{AppId, UserId};

/// How far `t_` may be from the server's time, in milliseconds.
pub const STAMP_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// The `t_`/`p_` pair every auth service request carries: a millisecond timestamp and a value
/// derived from it, so a request copied from a log stops working within minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub t: i64,
    pub p: i64,
}

impl Stamp {
    /// `p_` for `t_`: `(t_ % 10000) * 3 + 2345`.
    pub fn expected_p(t: i64) -> i64 {
        t.rem_euclid(10_000) * 3 + 2345
    }

    /// Valid when `p_` follows from `t_` and `t_` is within five minutes of `now` (seconds);
    /// the clock has whole seconds, so a second of slack covers the truncation.
    pub fn check(&self, now: i64) -> Result<()> {
        let now_ms = now.saturating_mul(1000);
        let off_by = self.t.saturating_sub(now_ms).saturating_abs();
        if self.p != Self::expected_p(self.t) || off_by > STAMP_TOLERANCE_MS + 1000 {
            return Err(Error::AuthService(AuthServiceFailure::StampInvalid));
        }
        Ok(())
    }
}

/// What an auth code may be exchanged for. A code asked for without a scope opens both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeScope {
    pub user_info: bool,
    pub company_info: bool,
}

impl CodeScope {
    pub const ALL: CodeScope = CodeScope {
        user_info: true,
        company_info: true,
    };
    pub const USER_INFO: CodeScope = CodeScope {
        user_info: true,
        company_info: false,
    };
    pub const COMPANY_INFO: CodeScope = CodeScope {
        user_info: false,
        company_info: true,
    };

    /// `user_info`, `company_info`, or both separated by commas or spaces; empty is both.
    pub fn parse(raw: &str) -> Result<Self> {
        let mut scope = CodeScope {
            user_info: false,
            company_info: false,
        };
        for word in raw.split([',', ' ']).filter(|word| !word.is_empty()) {
            match word {
                "user_info" => scope.user_info = true,
                "company_info" => scope.company_info = true,
                _ => return Err(Error::invalid("scope", "只能是user_info或company_info")),
            }
        }
        Ok(if scope.user_info || scope.company_info {
            scope
        } else {
            Self::ALL
        })
    }

    pub fn covers(self, needed: CodeScope) -> bool {
        (self.user_info || !needed.user_info) && (self.company_info || !needed.company_info)
    }

    /// Stored as bits: 1 user info, 2 company info.
    pub fn bits(self) -> i64 {
        i64::from(self.user_info) | (i64::from(self.company_info) << 1)
    }

    pub fn from_bits(bits: i64) -> Self {
        CodeScope {
            user_info: bits & 1 != 0,
            company_info: bits & 2 != 0,
        }
    }
}

/// A user access token as stored: only its keyed hash, kept past expiry until the purge so a
/// late caller learns it expired rather than that it never was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTokenRecord {
    pub id: i64,
    pub user_id: UserId,
    pub expires_at: i64,
}

/// An auth code as stored (its keyed hash is the key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthCodeRecord {
    pub app_id: AppId,
    pub user_id: UserId,
    pub scope: CodeScope,
    pub expires_at: i64,
    pub used: bool,
}

/// The registration details of an enterprise the auth service reports and its administrator
/// keeps up to date. Empty strings are details not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnterpriseProfile {
    pub company_type: String,
    pub tax_number: String,
    pub province: String,
    pub city: String,
    pub zone: String,
    pub address: String,
    pub tel_phone: String,
    pub legal_person_phone: String,
    pub legal_person_name: String,
}

/// Changes to an [`EnterpriseProfile`]; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseProfileChanges {
    pub company_type: Option<String>,
    pub tax_number: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub zone: Option<String>,
    pub address: Option<String>,
    pub tel_phone: Option<String>,
    pub legal_person_phone: Option<String>,
    pub legal_person_name: Option<String>,
}

impl EnterpriseProfileChanges {
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, value, _)| value.is_none())
    }

    /// Each field with its name and longest length.
    fn fields(&self) -> [(&'static str, &Option<String>, usize); 9] {
        [
            ("company_type", &self.company_type, 32),
            ("tax_number", &self.tax_number, 64),
            ("province", &self.province, 64),
            ("city", &self.city, 64),
            ("zone", &self.zone, 64),
            ("address", &self.address, 255),
            ("tel_phone", &self.tel_phone, 32),
            ("legal_person_phone", &self.legal_person_phone, 32),
            ("legal_person_name", &self.legal_person_name, 64),
        ]
    }

    /// `profile` with the changes applied, each trimmed and checked for length and control
    /// characters; every bad field is reported.
    pub fn apply(&self, profile: &EnterpriseProfile) -> Result<EnterpriseProfile> {
        let mut errors = Vec::new();
        for (field, value, max) in self.fields() {
            if let Some(value) = value {
                let value = value.trim();
                if value.chars().count() > max {
                    errors.push(crate::FieldError::new(field, format!("长度不能超过{max}")));
                } else if value.chars().any(char::is_control) {
                    errors.push(crate::FieldError::new(field, "不能包含控制字符"));
                }
            }
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let pick = |change: &Option<String>, current: &String| {
            change
                .as_deref()
                .map_or_else(|| current.clone(), |value| value.trim().to_owned())
        };
        Ok(EnterpriseProfile {
            company_type: pick(&self.company_type, &profile.company_type),
            tax_number: pick(&self.tax_number, &profile.tax_number),
            province: pick(&self.province, &profile.province),
            city: pick(&self.city, &profile.city),
            zone: pick(&self.zone, &profile.zone),
            address: pick(&self.address, &profile.address),
            tel_phone: pick(&self.tel_phone, &profile.tel_phone),
            legal_person_phone: pick(&self.legal_person_phone, &profile.legal_person_phone),
            legal_person_name: pick(&self.legal_person_name, &profile.legal_person_name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_stamp_example_holds() {
        assert_eq!(Stamp::expected_p(1_422_339_152_058), 8519);
        let stamp = Stamp {
            t: 1_422_339_152_058,
            p: 8519,
        };
        assert!(stamp.check(1_422_339_152).is_ok());
    }

    #[test]
    fn stamps_off_by_more_than_five_minutes_or_with_a_wrong_p_are_refused() {
        let now = 1_700_000_000;
        let at = |t: i64| Stamp {
            t,
            p: Stamp::expected_p(t),
        };
        assert!(at(now * 1000 + 299_000).check(now).is_ok());
        assert!(at(now * 1000 - 299_000).check(now).is_ok());
        assert!(at(now * 1000 + 302_000).check(now).is_err());
        assert!(at(now * 1000 - 302_000).check(now).is_err());
        let wrong = Stamp {
            t: now * 1000,
            p: Stamp::expected_p(now * 1000) + 1,
        };
        assert!(wrong.check(now).is_err());
        assert!(at(i64::MIN).check(now).is_err(), "no overflow on absurd values");
    }

    #[test]
    fn scopes_parse_and_cover() {
        assert_eq!(CodeScope::parse("").unwrap(), CodeScope::ALL);
        assert_eq!(CodeScope::parse("user_info").unwrap(), CodeScope::USER_INFO);
        assert_eq!(CodeScope::parse("company_info, user_info").unwrap(), CodeScope::ALL);
        assert!(CodeScope::parse("files").is_err());
        assert!(!CodeScope::USER_INFO.covers(CodeScope::COMPANY_INFO));
        assert!(CodeScope::ALL.covers(CodeScope::COMPANY_INFO));
        for scope in [CodeScope::ALL, CodeScope::USER_INFO, CodeScope::COMPANY_INFO] {
            assert_eq!(CodeScope::from_bits(scope.bits()), scope);
        }
    }

    #[test]
    fn profile_changes_are_trimmed_and_bounded() {
        let changes = EnterpriseProfileChanges {
            address: Some("  乌鲁木齐市186号 ".into()),
            city: Some("x".repeat(65)),
            ..Default::default()
        };
        assert!(changes.apply(&EnterpriseProfile::default()).is_err());
        let changes = EnterpriseProfileChanges {
            address: Some("  乌鲁木齐市186号 ".into()),
            ..Default::default()
        };
        let profile = changes
            .apply(&EnterpriseProfile {
                city: "乌鲁木齐".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(profile.address, "乌鲁木齐市186号");
        assert_eq!(profile.city, "乌鲁木齐", "untouched fields stay");
    }
}

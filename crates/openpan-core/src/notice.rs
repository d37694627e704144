//! Notices: signed JSON messages the platform POSTs to an app's callback address when something
//! it asked to hear about happened (a browser form upload arrived, …). They are recorded before
//! anyone is told, delivered at least once, retried with growing delays, and signed with a key
//! only the platform and the app's administrators know, so the app can tell them from forgeries.

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids::{AppId, EnterpriseId};
use crate::model::percent_encode;

/// Attempts after which an undelivered notice is given up (about twelve hours of retries).
pub const MAX_ATTEMPTS: i64 = 12;
/// How long one delivery attempt holds a notice before another node may try it.
pub const LEASE_SECS: i64 = 60;

/// Where a notice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeStatus {
    Pending,
    Delivered,
    /// Given up after [`MAX_ATTEMPTS`].
    Failed,
}

impl NoticeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }
}

/// One notice and its delivery record.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub app_id: AppId,
    /// What happened, e.g. `file.uploaded`.
    pub event: String,
    /// The JSON body sent, exactly as signed.
    pub body: String,
    pub status: NoticeStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// Seconds to wait after the `attempts`-th failed attempt: 30 s doubling, at most 4 hours.
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    30i64.saturating_mul(1i64 << doublings).min(4 * 3600)
}

/// The signature of a notice sent at `timestamp`: HMAC-SHA256 under the app's notice key of
/// `"{timestamp}.{body}"`, hex. Binding the timestamp lets a receiver refuse replays of old
/// notices.
pub fn sign_notice(notice_key: &[u8], timestamp: i64, body: &str) -> String {
    sign(notice_key, format!("{timestamp}.{body}").as_bytes())
}

/// HMAC-SHA256 of `message` under `key`, lowercase hex.
pub fn sign(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// The query parameters of a browser redirect, signed: the pairs are sorted by name and joined
/// as `name=value` with `&`, each value percent-encoded (everything but RFC 3986's unreserved
/// characters, so a `&` or `=` inside a file name cannot shift the boundaries), and
/// HMAC-SHA256 under the notice key is added as `signature`. What a receiver recomputes from
/// the parameters it got (minus `signature`).
pub fn signed_params(notice_key: &[u8], mut params: Vec<(String, String)>) -> Vec<(String, String)> {
    params.sort();
    let canonical = params
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let signature = sign(notice_key, canonical.as_bytes());
    params.push(("signature".to_owned(), signature));
    params
}

/// What a message to a callback address is: a notice (its id is the notice's) or an event of
/// the event log (its id is the event's `seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Notice,
    Event,
}

/// A notice or event on its way out.
#[derive(Debug, Clone)]
pub struct OutgoingNotice<'a> {
    pub url: &'a str,
    pub kind: MessageKind,
    pub id: i64,
    pub event: &'a str,
    pub timestamp: i64,
    /// The signature header's value (`sha256=<hex>`, comma-separated while keys rotate).
    pub signature: &'a str,
    pub body: &'a str,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// The receiver's answer, when it answered (with something other than 2xx).
    pub status: Option<u16>,
    /// Shown to administrators, so without credentials.
    pub reason: String,
}

/// How notices and events leave: an HTTP POST in the binary, a recorder in tests.
#[async_trait]
pub trait NoticeSender: Send + Sync {
    /// The receiver's 2xx status when it took the message; otherwise why not.
    async fn send(&self, notice: &OutgoingNotice<'_>) -> Result<u16, SendFailure>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_four_hours() {
        assert_eq!(retry_delay(1), 30);
        assert_eq!(retry_delay(2), 60);
        assert_eq!(retry_delay(5), 480);
        assert_eq!(retry_delay(11), 4 * 3600);
        assert_eq!(retry_delay(i64::MAX), 4 * 3600);
        assert_eq!(retry_delay(0), 30);
    }

    #[test]
    fn redirect_parameters_are_signed_in_name_order() {
        let key = b"k";
        let signed = signed_params(key, vec![("b".into(), "2".into()), ("a".into(), "x y".into())]);
        assert_eq!(signed[0], ("a".to_owned(), "x y".to_owned()));
        assert_eq!(signed[2].0, "signature");
        assert_eq!(signed[2].1, sign(key, b"a=x%20y&b=2"));
        assert_ne!(signed[2].1, sign(b"other", b"a=x%20y&b=2"));
        // Separators inside values are encoded, so they cannot forge other parameters.
        let tricky = signed_params(key, vec![("a".into(), "1&b=2".into())]);
        let plain = signed_params(key, vec![("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_ne!(tricky.last(), plain.last());
    }
}

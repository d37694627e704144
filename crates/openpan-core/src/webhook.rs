//! Events as apps receive them: the entries of the event log, the JSON they are sent and listed
//! as, which of them an app's webhook subscribes to, where its delivery stands, and the
//! signatures that let a receiver tell them from forgeries while keys rotate.
//!
//! Nothing here does IO; delivery (`services::webhook`) and the feed (`services::events`) do.

use crate::audit::TargetKind;
use crate::drive::Space;
use crate::ids::{AppId, EnterpriseId, UserId};
use crate::notice::sign_notice;

/// Every event type the log records. Subscriptions name these, or a family (`file.*`).
pub const EVENT_TYPES: &[&str] = &[
    "file.uploaded",
    "file.created",
    "file.updated",
    "file.moved",
    "file.copied",
    "file.trashed",
    "file.restored",
    "file.deleted",
    "folder.created",
    "folder.updated",
    "folder.moved",
    "folder.copied",
    "folder.trashed",
    "folder.restored",
    "folder.deleted",
    "collab.invited",
    "collab.updated",
    "collab.accepted",
    "collab.removed",
    "share_link.created",
    "share_link.updated",
    "share_link.revoked",
    "comment.created",
    "comment.deleted",
    "review.created",
    "review.updated",
    "review.completed",
    "review.closed",
    "review.deleted",
    "review_comment.created",
    "review_comment.deleted",
    "user.created",
    "user.updated",
    "user.deleted",
    "department.created",
    "department.updated",
    "department.deleted",
    "department.member_added",
    "department.member_removed",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.member_added",
    "group.member_removed",
    "enterprise.updated",
    "app.created",
    "app.updated",
    "app.secret_rotated",
    "app.disabled",
    "app.enabled",
    "app.deleted",
    "app.authorized",
    "webhook.disabled",
];

/// Failed deliveries of one event stop being retried, and the webhook is disabled, once it has
/// been failing this long.
pub const GIVE_UP_AFTER_SECS: i64 = 24 * 3600;
/// How long a node delivering to a webhook holds it before another may take over (renewed
/// with each event delivered). Three times the sender's time-out: a node that dies mid-send
/// delays its apps' events by at most this.
pub const LEASE_SECS: i64 = 30;
/// How long the previous key keeps signing after a rotation, unless asked otherwise.
pub const DEFAULT_KEY_GRACE_SECS: i64 = 24 * 3600;
/// The longest grace a rotation may give the previous key.
pub const MAX_KEY_GRACE_SECS: i64 = 30 * 24 * 3600;

/// An entry of the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Its place in the log; the feed's cursor and the webhook's delivery id.
    pub seq: i64,
    pub enterprise_id: EnterpriseId,
    pub event: String,
    /// The collaboration, share link, comment or review it happened to, or the target itself.
    pub subject_id: i64,
    pub target_kind: Option<TargetKind>,
    pub target_id: i64,
    pub target_name: String,
    /// The space of the file or folder it concerns.
    pub space: Option<Space>,
    pub operator: Option<UserId>,
    pub app: Option<AppId>,
    /// What changed, a JSON object.
    pub payload: String,
    pub created_at: i64,
}

impl LoggedEvent {
    /// The event as webhooks send it and the feed lists it.
    pub fn to_json(&self) -> serde_json::Value {
        let data = serde_json::from_str::<serde_json::Value>(&self.payload)
            .ok()
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        serde_json::json!({
            "id": self.seq,
            "event": self.event,
            "enterprise_id": self.enterprise_id.0,
            "created_at": self.created_at,
            "subject_id": self.subject_id,
            "target": {
                "type": self.target_kind.map_or("unknown", target_type_name),
                "id": self.target_id,
                "name": self.target_name,
            },
            "operator_id": self.operator.map(|user| user.0),
            "app_id": self.app.map(|app| app.0),
            "data": data,
        })
    }
}

/// How events name what they are about.
pub fn target_type_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::File => "file",
        TargetKind::Folder => "folder",
        TargetKind::User => "user",
        TargetKind::Department => "department",
        TargetKind::Group => "group",
        TargetKind::Enterprise => "enterprise",
        TargetKind::Review => "review",
        TargetKind::App => "app",
    }
}

/// Which events a webhook receives: exact types, families (`file.*`) or everything (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription(Vec<String>);

impl Subscription {
    pub fn everything() -> Self {
        Self(vec!["*".to_owned()])
    }

    /// A comma-separated list; the error names the first pattern that matches no event type.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut patterns: Vec<String> = Vec::new();
        for pattern in raw.split(',').map(str::trim).filter(|pattern| !pattern.is_empty()) {
            let known = pattern == "*"
                || match pattern.strip_suffix(".*") {
                    Some(family) => EVENT_TYPES
                        .iter()
                        .any(|event| event.split_once('.').is_some_and(|(head, _)| head == family)),
                    None => EVENT_TYPES.contains(&pattern),
                };
            if !known {
                return Err(pattern.chars().take(64).collect());
            }
            if !patterns.iter().any(|seen| seen == pattern) {
                patterns.push(pattern.to_owned());
            }
        }
        if patterns.is_empty() {
            return Err(String::new());
        }
        Ok(Self(patterns))
    }

    pub fn matches(&self, event: &str) -> bool {
        self.0.iter().any(|pattern| {
            pattern == "*"
                || pattern == event
                || pattern
                    .strip_suffix(".*")
                    .is_some_and(|family| event.split_once('.').is_some_and(|(head, _)| head == family))
        })
    }

    pub fn as_string(&self) -> String {
        self.0.join(",")
    }

    pub fn patterns(&self) -> &[String] {
        &self.0
    }
}

/// Whether a webhook is being delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    Active,
    /// By an administrator, or after failing for [`GIVE_UP_AFTER_SECS`].
    Disabled,
}

impl WebhookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Active, Self::Disabled]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }
}

/// Where delivery to one app's callback address stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub app_id: AppId,
    pub enterprise_id: EnterpriseId,
    pub subscription: Subscription,
    pub status: WebhookStatus,
    pub disabled_reason: Option<String>,
    /// The last event delivered or passed over.
    pub cursor: i64,
    /// Failed attempts in a row at the event after `cursor`, and since when.
    pub failures: i64,
    pub failing_since: Option<i64>,
    pub next_attempt_at: i64,
    pub key_generation: i64,
    pub previous_key_until: Option<i64>,
    pub updated_at: i64,
}

/// One attempt to deliver an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub id: i64,
    pub app_id: AppId,
    pub enterprise_id: EnterpriseId,
    pub seq: i64,
    pub event: String,
    /// Asked for by an administrator, outside the ordered delivery.
    pub redelivery: bool,
    /// What the receiver answered, when it answered.
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub attempted_at: i64,
}

impl WebhookAttempt {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// The signature header of a message sent at `timestamp`: `sha256=<hex>` under each active
/// key, the current one first (during a rotation the previous key signs too, so receivers
/// that still hold it keep verifying).
pub fn signature_header(keys: &[[u8; 32]], timestamp: i64, body: &str) -> String {
    keys.iter()
        .map(|key| format!("sha256={}", sign_notice(key, timestamp, body)))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_take_types_families_and_everything() {
        let subscription = Subscription::parse(" file.* , collab.invited,file.*").unwrap();
        assert_eq!(subscription.as_string(), "file.*,collab.invited");
        assert!(subscription.matches("file.uploaded"));
        assert!(subscription.matches("collab.invited"));
        assert!(!subscription.matches("collab.removed"));
        assert!(!subscription.matches("folder.created"));
        assert!(Subscription::everything().matches("user.deleted"));
        assert_eq!(Subscription::parse("file.*,nothing.*"), Err("nothing.*".to_owned()));
        assert_eq!(Subscription::parse("fil"), Err("fil".to_owned()));
        assert!(Subscription::parse(" , ").is_err());
    }

    #[test]
    fn every_event_the_audit_log_names_is_a_known_type() {
        use crate::audit::{catalogue, feed_event};
        for (code, _) in catalogue() {
            for kind in [
                TargetKind::File,
                TargetKind::Folder,
                TargetKind::User,
                TargetKind::Department,
                TargetKind::Group,
                TargetKind::Enterprise,
                TargetKind::Review,
                TargetKind::App,
            ] {
                if let Some(event) = feed_event(*code, kind) {
                    assert!(EVENT_TYPES.contains(&event), "{event}");
                }
            }
        }
    }

    #[test]
    fn rotation_signs_with_both_keys_current_first() {
        let header = signature_header(&[[1; 32], [2; 32]], 10, "{}");
        let parts: Vec<&str> = header.split(',').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], format!("sha256={}", sign_notice(&[1; 32], 10, "{}")));
        assert_eq!(parts[1], format!("sha256={}", sign_notice(&[2; 32], 10, "{}")));
    }
}

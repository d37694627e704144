//! Text messages of the `/api/v1` SMS module: phone numbers, templates with `{name}`
//! placeholders, the records of sent messages, and the gateway port a real SMS provider is
//! reached through.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::error::{Error, FieldError, Result};
use crate::ids::{AppId, EnterpriseId, UserId};

/// Characters a message may have (long messages are split by carriers; this bounds cost).
pub const MAX_SMS_CHARS: usize = 500;

/// A phone number a message can go to: a mainland mobile number (11 digits starting 13–19,
/// optionally after `+86` or `86`), or any international number in E.164 form (`+` and 8–15
/// digits). Kept as the canonical form: the 11 digits, or `+` and digits.
pub fn sms_phone(raw: &str) -> std::result::Result<String, FieldError> {
    let bad = || FieldError::new("phone", "手机号格式不正确");
    let trimmed: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let mainland = |digits: &str| {
        digits.len() == 11
            && digits.starts_with('1')
            && matches!(digits.as_bytes()[1], b'3'..=b'9')
            && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let local = trimmed
        .strip_prefix("+86")
        .or_else(|| trimmed.strip_prefix("86").filter(|rest| rest.len() == 11))
        .unwrap_or(&trimmed);
    if mainland(local) {
        return Ok(local.to_owned());
    }
    match trimmed.strip_prefix('+') {
        Some(digits)
            if (8..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0') =>
        {
            Ok(trimmed)
        }
        _ => Err(bad()),
    }
}

/// A template's name: 1–64 of letters, digits, `_` and `-`.
pub fn template_name(raw: &str) -> std::result::Result<String, FieldError> {
    let name = raw.trim();
    let valid =
        (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(FieldError::new("template", "应为1-64位字母、数字、_或-"))
    }
}

/// Message text: 1–[`MAX_SMS_CHARS`] characters, no control characters but line breaks.
pub fn sms_text(field: &str, raw: &str) -> std::result::Result<String, FieldError> {
    let normalized = raw.replace("\r\n", "\n");
    let text = normalized.trim();
    let count = text.chars().count();
    if count == 0 || count > MAX_SMS_CHARS {
        return Err(FieldError::new(field, "长度应为1-500个字符"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(field, "不能含控制字符"));
    }
    Ok(text.to_owned())
}

/// The placeholders of a template, in order of first appearance: `{name}` with a name of
/// letters, digits and `_`. `{{` and `}}` stand for literal braces.
fn placeholders(content: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find('{') {
        if rest[start..].starts_with("{{") {
            rest = &rest[start + 2..];
            continue;
        }
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end)
                if !after[..end].is_empty() && after[..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                if !names.contains(&&after[..end]) {
                    names.push(&after[..end]);
                }
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

/// `content` with each `{name}` replaced by `params[name]`; a placeholder without a value is
/// `params.<name>`'s error. Values are plain text: braces in them are not expanded.
pub fn render_template(content: &str, params: &HashMap<String, String>) -> Result<String> {
    let missing: Vec<FieldError> = placeholders(content)
        .into_iter()
        .filter(|name| !params.contains_key(*name))
        .map(|name| FieldError::new(format!("params.{name}"), "模板参数缺失"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Invalid(missing));
    }
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find(['{', '}']) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(end) = tail.find('}')
            && let Some(value) = params.get(&tail[1..end])
        {
            out.push_str(value);
            rest = &tail[end + 1..];
            continue;
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether a template's content is acceptable: text rules, and at most 20 placeholders.
pub fn template_content(raw: &str) -> std::result::Result<String, FieldError> {
    let content = sms_text("content", raw)?;
    if placeholders(&content).len() > 20 {
        return Err(FieldError::new("content", "模板参数过多"));
    }
    Ok(content)
}

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate {
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub content: String,
    pub created_at: i64,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsStatus {
    /// Kept in the outbox: no gateway is configured.
    Outbox,
    /// Accepted by the gateway.
    Sent,
    /// The gateway refused it or could not be reached.
    Failed,
}

impl SmsStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SmsStatus::Outbox => "outbox",
            SmsStatus::Sent => "sent",
            SmsStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [SmsStatus::Outbox, SmsStatus::Sent, SmsStatus::Failed]
            .into_iter()
            .find(|status| status.as_str() == raw)
    }
}

/// A message as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub app_id: Option<AppId>,
    pub user_id: Option<UserId>,
    pub phone: String,
    pub content: String,
    pub template: Option<String>,
    pub status: SmsStatus,
    /// `outbox`, or the gateway's name.
    pub gateway: String,
    /// The gateway's id for the message.
    pub gateway_ref: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// A message on its way to a gateway.
#[derive(Debug, Clone)]
pub struct OutgoingSms {
    pub message_id: i64,
    pub enterprise_id: EnterpriseId,
    pub phone: String,
    pub text: String,
}

/// A real SMS provider. `Ok` carries the provider's id for the message, if it gives one;
/// `Err` a reason to record (never shown with secrets in it).
#[async_trait]
pub trait SmsGateway: Send + Sync {
    fn name(&self) -> &'static str;
    async fn deliver(&self, sms: &OutgoingSms) -> std::result::Result<Option<String>, String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mainland_and_international_numbers_are_accepted_in_canonical_form() {
        assert_eq!(sms_phone("13800138000").unwrap(), "13800138000");
        assert_eq!(sms_phone("+86 138-0013-8000").unwrap(), "13800138000");
        assert_eq!(sms_phone("8613800138000").unwrap(), "13800138000");
        assert_eq!(sms_phone("+14155550100").unwrap(), "+14155550100");
        for bad in [
            "12800138000",
            "1380013800",
            "138001380001",
            "+0123456789",
            "+1",
            "abc",
            "",
            "+86 1380013800x",
        ] {
            assert!(sms_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_fill_their_placeholders_and_name_the_missing_ones() {
        let params: HashMap<String, String> = [("code", "4821"), ("minutes", "5")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(
            render_template("验证码{code}，{minutes}分钟内有效 {{literal}}", &params).unwrap(),
            "验证码4821，5分钟内有效 {literal}"
        );
        // A value's own braces are not expanded again.
        let tricky: HashMap<String, String> = [("code".to_owned(), "{minutes}".to_owned())].into_iter().collect();
        match render_template("{code} {minutes}", &tricky) {
            Err(Error::Invalid(fields)) => assert_eq!(fields[0].field, "params.minutes"),
            other => panic!("{other:?}"),
        }
        let only_code: HashMap<String, String> = [("code".to_owned(), "{minutes}".to_owned())].into_iter().collect();
        assert_eq!(render_template("code: {code}", &only_code).unwrap(), "code: {minutes}");
        assert_eq!(
            render_template("{ not a placeholder }", &params).unwrap(),
            "{ not a placeholder }"
        );
    }
}

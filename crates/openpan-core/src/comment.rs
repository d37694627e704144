//! Comments on files, and the `@[user_id:name]` mentions inside them.

use crate::ids::{CommentId, EnterpriseId, ItemId, UserId};

/// The platform's limit on a comment's length, in characters.
pub const MAX_COMMENT_CHARS: usize = 1001;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub enterprise_id: EnterpriseId,
    pub file_id: ItemId,
    pub user_id: UserId,
    pub content: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewComment {
    pub enterprise_id: EnterpriseId,
    pub file_id: ItemId,
    pub user_id: UserId,
    pub content: String,
    /// Users the comment names, already checked to be of the enterprise.
    pub mentions: Vec<UserId>,
    pub at: i64,
}

/// The user ids a comment names as `@[user_id:name]`, each once, in order of appearance.
/// Anything else that looks almost like a mention (no digits, no colon, no closing bracket)
/// is plain text.
pub fn mentions(content: &str) -> Vec<UserId> {
    let mut found = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("@[") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find(']') else { break };
        let inside = &rest[..end];
        if let Some((id, _name)) = inside.split_once(':')
            && !id.is_empty()
            && id.bytes().all(|byte| byte.is_ascii_digit())
            && let Ok(id) = id.parse::<i64>()
            && !found.contains(&UserId(id))
        {
            found.push(UserId(id));
            rest = &rest[end + 1..];
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_user_ids_in_at_brackets_each_once() {
        assert_eq!(mentions("@[12032111:的]"), vec![UserId(12032111)]);
        assert_eq!(
            mentions("hi @[7:Ann] and @[9:Bo] and @[7:Ann again]"),
            vec![UserId(7), UserId(9)]
        );
        assert_eq!(mentions("@[x:y] @[:y] @[12] @[3:"), Vec::<UserId>::new());
        assert_eq!(mentions("@[@[5:a]"), vec![UserId(5)]);
        assert_eq!(
            mentions("mail me@[host] or @[99999999999999999999:big]"),
            Vec::<UserId>::new()
        );
    }
}

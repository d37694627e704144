//! Tags: names of one enterprise that its users put on files and folders, and filter by.

use crate::ids::TagId;

/// The longest tag name, in characters.
pub const MAX_TAG_CHARS: usize = 30;
/// How many tags `tag/list` recalls.
pub const RECENT_TAGS: i64 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: TagId,
    pub name: String,
}

/// A tag name as users type it: trimmed, 1–30 characters, no control characters and no
/// commas (clients join tags with them).
pub fn tag_name(raw: &str) -> Option<&str> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_TAG_CHARS || name.chars().any(|c| c.is_control() || c == ',' || c == '，') {
        return None;
    }
    Some(name)
}

/// The key names compare by: case-folded.
pub fn tag_key(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_trimmed_short_and_free_of_separators() {
        assert_eq!(tag_name("  合同 "), Some("合同"));
        assert_eq!(tag_name(&"标".repeat(30)), Some("标".repeat(30).as_str()));
        assert_eq!(tag_name(&"标".repeat(31)), None);
        for bad in ["", "   ", "a,b", "a，b", "a\nb"] {
            assert_eq!(tag_name(bad), None, "{bad:?}");
        }
        assert_eq!(tag_key("Q3 Report"), tag_key("q3 REPORT"));
    }
}

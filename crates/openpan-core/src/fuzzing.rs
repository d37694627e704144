//! Entry points for the fuzz targets in `fuzz/` and for the test that replays their corpus on
//! stable Rust. Each takes the fuzzer's bytes, runs one parser that reads untrusted input, and
//! panics when a property the rest of the code relies on does not hold; an `Err` is a fine
//! answer, a panic or a broken property is the bug. Not part of the API.

use std::collections::HashSet;

use serde_json::Value;

use crate::auth_service::CodeScope;
use crate::criteria::{self, AuditField, Criteria, Field, ListRequest, Test, UserField};
use crate::drive::{ItemKind, ItemName, MAX_NAME_CHARS, MAX_PATH_SEGMENTS, Marker, NameError, Sort, SortKey, name_key};
use crate::error::{Error, OAuthFailure, Refusal};
use crate::oauth::{JwtSimpleClaims, SubType};
use crate::scope::{Scope, Scopes, UnknownScope};

/// Arrival times the time rules are checked at: the server's own clock, never the caller's.
const NOW: [i64; 3] = [0, 1_700_000_000, 4_102_444_800];

/// The `jwt_simple` assertion (base64 JSON, every flavour the SDKs send), and the first,
/// unchecked reads of a signed assertion: its header and its issuer.
pub fn jwt_simple(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let refused_as_grant = |error: Error| {
        assert!(
            matches!(error, Error::OAuth(OAuthFailure::InvalidGrant(_))),
            "an assertion must be refused as invalid_grant, not {error:?}"
        );
    };
    match JwtSimpleClaims::parse(&text) {
        Ok(claims) => {
            assert!(!claims.jti.trim().is_empty() && claims.jti.len() <= 255);
            assert!(!claims.jti.chars().any(char::is_control));
            for now in NOW {
                if let Err(error) = claims.check_times(now, crate::oauth::ASSERTION_MAX_LIFETIME_SECS) {
                    refused_as_grant(error);
                } else {
                    let start = claims.iat.unwrap_or(now);
                    assert!(claims.exp > now);
                    assert!(claims.exp <= start.saturating_add(crate::oauth::ASSERTION_MAX_LIFETIME_SECS));
                    assert!(start <= now + crate::oauth::CLOCK_SKEW_SECS);
                }
            }
        }
        Err(error) => refused_as_grant(error),
    }
    let _ = crate::services::unverified_issuer(&text);
    let _ = jsonwebtoken::decode_header(text.as_ref());
    // RFC 7523 claims, once the signature holds, go through the same reading.
    if let Ok(Value::Object(claims)) = serde_json::from_slice::<Value>(data) {
        let named = match claims.get("yifangyun_sub_type") {
            None | Some(Value::Null) => Some(SubType::User),
            Some(Value::String(kind)) if kind == "user" => Some(SubType::User),
            Some(Value::String(kind)) if kind == "enterprise" => Some(SubType::Enterprise),
            Some(_) => None,
        };
        match JwtSimpleClaims::from_claims(&claims, Some(SubType::User)) {
            Ok(read) => assert_eq!(Some(read.sub_type), named, "the subject is what the claim names"),
            Err(error) => refused_as_grant(error),
        }
    }
}

/// The OA dialect's list criteria: `search` JSON, `order_by`, `page` and `limit`, given as the
/// fuzzer's text split at `\u{1}`.
pub fn search_dsl(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1}');
    let request = ListRequest {
        search: parts.next(),
        order_by: parts.next(),
        page: parts.next(),
        limit: parts.next(),
    };
    check_criteria::<UserField>(request);
    check_criteria::<AuditField>(request);
}

fn check_criteria<F: Field>(request: ListRequest<'_>) {
    match Criteria::<F>::parse(request) {
        Ok(parsed) => {
            assert!(parsed.conditions.len() <= criteria::MAX_CONDITIONS);
            assert!(parsed.order.len() <= criteria::MAX_ORDER_KEYS);
            if let Some(page) = parsed.page {
                assert!(page.page_id >= 0 && (1..=crate::model::Page::MAX_CAPACITY).contains(&page.capacity));
            }
            for condition in &parsed.conditions {
                check_test(&condition.test);
            }
        }
        Err(Error::Invalid(fields)) => {
            assert!(!fields.is_empty());
            for field in fields {
                assert!(
                    ["search", "order_by", "page", "limit"]
                        .iter()
                        .any(|name| field.field.starts_with(name)),
                    "an error must name the parameter it is about, not {:?}",
                    field.field
                );
            }
        }
        Err(other) => panic!("criteria must be refused as invalid fields, not {other:?}"),
    }
}

fn check_test(test: &Test) {
    match test {
        Test::Cmp(..) => {}
        Test::Any(values) => assert!(!values.is_empty() && values.len() <= criteria::MAX_LIST_VALUES),
        // Lowercasing may double a character (`İ` becomes `i̇`), never more.
        Test::Contains(text) => assert!(text.chars().count() <= 2 * criteria::MAX_TEXT_CHARS),
        Test::All(tests) | Test::Either(tests) => tests.iter().for_each(check_test),
        Test::Not(inner) => check_test(inner),
    }
}

/// File and folder names: what is accepted is a name every desktop client can write, and the
/// names derived from it (numbered on a clash, keeping an old extension) are accepted too.
pub fn item_name(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (raw, old) = text.split_once('\u{1}').unwrap_or((&text, "report.pdf"));
    let Ok(name) = ItemName::parse(raw) else {
        return;
    };
    assert_valid(name.as_str());
    // A clash is resolved by trying n = 1, 2, …: every n gives a valid name, and those that
    // differ from the original (which a name already ending in ` (n)` at the length limit may
    // come back as) differ from each other, so the trying ends.
    for kind in [ItemKind::File, ItemKind::Folder] {
        let mut seen = HashSet::new();
        for n in [1, 2, 3, 9, 10, 11, 99, 100, u32::MAX] {
            let numbered = name.numbered(n, kind);
            assert_valid(numbered.as_str());
            if numbered.key() != name.key() {
                assert!(seen.insert(numbered.key()), "{numbered:?} comes twice");
            }
        }
    }
    assert_valid(name.clone().keeping_extension_of(old).as_str());
}

/// `target_folder_path` (`folder/create_by_path`, `file/upload_by_path`, `file/{id}/copy_by_path`):
/// what is accepted is 1 to [`MAX_PATH_SEGMENTS`] valid folder names, none ending with a dot,
/// that are the path's non-empty segments in order, so no folder named `..` or holding a
/// separator is ever created. What is refused is refused for a reason the path has, with the
/// platform's name codes or an error naming the field.
pub fn folder_path(data: &[u8]) {
    const FIELD: &str = "target_folder_path";
    let text = String::from_utf8_lossy(data);
    let segments: Vec<&str> = text.split('/').filter(|segment| !segment.is_empty()).collect();
    // The code the first bad segment within the limit calls for (a trailing dot before all
    // else); no segment at all is a size error.
    let first_bad = segments.iter().take(MAX_PATH_SEGMENTS).find_map(|segment| {
        if segment.ends_with('.') {
            return Some(Refusal::ItemNameInvalid);
        }
        match ItemName::parse(segment) {
            Err(NameError::Size) => Some(Refusal::ItemNameSizeIncorrect),
            Err(NameError::Invalid) => Some(Refusal::ItemNameInvalid),
            Ok(_) => None,
        }
    });
    let bad_segment = if segments.is_empty() {
        Some(Refusal::ItemNameSizeIncorrect)
    } else {
        first_bad
    };
    match crate::services::drive::folder_path(FIELD, &text) {
        Ok(folders) => {
            for folder in &folders {
                assert_valid(folder.as_str());
                assert!(!folder.as_str().ends_with('.'), "{folder:?} ends with a dot");
            }
            let folders: Vec<&str> = folders.iter().map(ItemName::as_str).collect();
            assert_eq!(folders, segments, "the folders are the path's segments");
            assert!((1..=MAX_PATH_SEGMENTS).contains(&folders.len()));
        }
        Err(Error::Refused(refusal)) => {
            assert_eq!(Some(refusal), bad_segment, "{text:?} was refused for the wrong reason");
        }
        Err(Error::Invalid(fields)) => {
            assert!(
                bad_segment.is_none() && segments.len() > MAX_PATH_SEGMENTS,
                "{text:?} is not too deep"
            );
            assert!(
                !fields.is_empty() && fields.iter().all(|field| field.field == FIELD),
                "{fields:?} names another field"
            );
        }
        Err(other) => panic!("a folder path must be refused as a bad name or field, not {other:?}"),
    }
}

/// A listing's `marker`, `sort_by` and `sort_direction`, given as the fuzzer's text split at
/// `\u{1}`. A marker is opaque to clients, so any text may come back as one: what decodes
/// encodes, URL-safe, to a marker that decodes to the same place, so a page's next marker
/// leads where it says. A sort error names its parameter.
pub fn marker(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\u{1}');
    let (raw, by, direction) = (parts.next().unwrap_or_default(), parts.next(), parts.next());
    if let Some(marker) = Marker::decode(raw) {
        let encoded = marker.encode();
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{encoded:?} is not URL-safe"
        );
        assert_eq!(Marker::decode(&encoded), Some(marker));
    }
    match Sort::parse(by, direction) {
        Ok(sort) => {
            let by_name = match sort.by {
                SortKey::Name => "name",
                SortKey::Date => "date",
                SortKey::Size => "size",
            };
            assert_eq!(by.unwrap_or("date"), by_name);
            assert_eq!(
                direction.unwrap_or("desc"),
                if sort.descending { "desc" } else { "asc" }
            );
        }
        Err(error) => assert!(
            ["sort_by", "sort_direction"].contains(&error.field.as_str()),
            "{error:?}"
        ),
    }
}

/// Scope strings: the OAuth `scope` parameter (words split at spaces or `+`), the scopes the
/// store holds, and the auth service's `user_info`/`company_info`. A scope is granted only
/// when it is named, and a refusal names the word or the field it is about.
pub fn scopes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let words: Vec<&str> = text.split([' ', '+']).filter(|word| !word.is_empty()).collect();
    match Scopes::parse(&text) {
        Ok(scopes) => {
            for scope in scopes.iter() {
                assert!(words.contains(&scope.as_str()), "{scope:?} was granted unnamed");
            }
            for word in &words {
                assert!(
                    Scope::parse(word).is_some_and(|scope| scopes.contains(scope)),
                    "{word:?} was dropped"
                );
            }
            assert_eq!(Scopes::parse(&scopes.to_string()), Ok(scopes), "scopes round-trip");
        }
        Err(UnknownScope(word)) => {
            assert!(
                words.contains(&word.as_str()) && Scope::parse(&word).is_none(),
                "{word:?}"
            );
        }
    }
    // What the store holds can only narrow by being misread, never widen.
    for scope in Scopes::parse_stored(&text).iter() {
        assert!(
            text.split(' ').any(|word| word == scope.as_str()),
            "{scope:?} was read unnamed"
        );
    }
    let words: Vec<&str> = text.split([',', ' ']).filter(|word| !word.is_empty()).collect();
    match CodeScope::parse(&text) {
        Ok(scope) if words.is_empty() => assert_eq!(scope, CodeScope::ALL, "no scope is both"),
        Ok(scope) => {
            assert_eq!(scope.user_info, words.contains(&"user_info"));
            assert_eq!(scope.company_info, words.contains(&"company_info"));
            assert!(words.iter().all(|word| ["user_info", "company_info"].contains(word)));
        }
        Err(Error::Invalid(fields)) => {
            assert!(fields.iter().all(|field| field.field == "scope"), "{fields:?}");
            assert!(words.iter().any(|word| !["user_info", "company_info"].contains(word)));
        }
        Err(other) => panic!("a code scope must be refused as a field, not {other:?}"),
    }
}

fn assert_valid(name: &str) {
    let count = name.chars().count();
    assert!((1..=MAX_NAME_CHARS).contains(&count), "{name:?} has {count} characters");
    assert!(ItemName::parse(name).is_ok(), "{name:?} is not a valid name");
}

/// The top-level names of a zip archive: one item name per line, `/` first for a folder (lines
/// that are not valid names are left out: the drive holds none). Each entry keeps its own name
/// unless an earlier one took it, and then becomes a numbered form of it; the names stay valid
/// (no separator, no `..`), so no entry can climb out of the folder it is unpacked into, and
/// no two are the same on a case-insensitive disk.
pub fn zip_names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut taken = HashSet::new();
    let mut keys = HashSet::new();
    for line in text.split('\n').take(64) {
        let (name, kind) = match line.strip_prefix('/') {
            Some(folder) => (folder, ItemKind::Folder),
            None => (line, ItemKind::File),
        };
        let Ok(parsed) = ItemName::parse(name) else {
            continue;
        };
        let free = !keys.contains(&name_key(name));
        let unique = crate::services::pack::unique_name(name, kind, &mut taken);
        assert_valid(&unique);
        if free {
            assert_eq!(unique, name, "a name nobody took is kept");
        } else {
            assert!(
                (1..=64).any(|n| parsed.numbered(n, kind).as_str() == unique),
                "{unique:?} is not a numbered form of {name:?}"
            );
        }
        assert!(keys.insert(name_key(&unique)), "{unique:?} is in the archive twice");
    }
}

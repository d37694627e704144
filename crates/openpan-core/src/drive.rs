//! The drive's records and rules that need no storage: items (folders and files), spaces,
//! versions, listing orders, and what makes a name acceptable.

use crate::error::FieldError;
use crate::ids::{DepartmentId, EnterpriseId, ItemId, UserId, VersionId};

/// The root folder's name, as every client shows it.
pub const ROOT_FOLDER_NAME: &str = "全部文件";

/// Whose storage an item lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// A user's personal files; the user owns everything in it.
    Personal(UserId),
    /// A department's shared files (its department folder): its members, director and file
    /// managers work in it, and its bytes count against the department's space.
    Department(DepartmentId),
}

impl Space {
    /// The storage encoding: a kind number and an id.
    pub fn to_parts(self) -> (i16, i64) {
        match self {
            Space::Personal(user_id) => (1, user_id.0),
            Space::Department(department_id) => (2, department_id.0),
        }
    }

    pub fn from_parts(kind: i16, id: i64) -> Option<Self> {
        match kind {
            1 => Some(Space::Personal(UserId(id))),
            2 => Some(Space::Department(DepartmentId(id))),
            _ => None,
        }
    }
}

/// Folder or file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Folder,
    File,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Folder => "folder",
            ItemKind::File => "file",
        }
    }
}

/// Why and since when an item is in the trash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrashState {
    /// The item the user trashed, which took this one along (this item itself if it was the one).
    pub root: ItemId,
    pub at: i64,
    pub by: UserId,
}

/// A folder or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: ItemId,
    pub enterprise_id: EnterpriseId,
    pub space: Space,
    pub kind: ItemKind,
    /// `None` only for a space's root.
    pub parent_id: Option<ItemId>,
    pub name: String,
    pub description: String,
    /// Files: the current version's size. Folders: the sum over the live files below.
    pub size: i64,
    /// Folders: live direct subfolders and files.
    pub folder_count: i64,
    pub file_count: i64,
    pub owner_id: UserId,
    pub created_by: UserId,
    pub modified_by: UserId,
    pub created_at: i64,
    pub modified_at: i64,
    pub sequence_id: i64,
    /// Files: the version clients see, and its SHA-1.
    pub current_version_id: Option<VersionId>,
    pub sha1: Option<String>,
    pub trash: Option<TrashState>,
    /// Files: comments on it.
    pub comment_count: i64,
}

impl Item {
    pub fn is_root(&self) -> bool {
        self.parent_id.is_none()
    }

    pub fn is_folder(&self) -> bool {
        self.kind == ItemKind::Folder
    }

    pub fn item_count(&self) -> i64 {
        self.folder_count + self.file_count
    }

    /// Whether this item is the one the user put in the trash (not one taken along).
    pub fn is_trash_root(&self) -> bool {
        self.trash.is_some_and(|trash| trash.root == self.id)
    }
}

/// One folder on the way from a space's root to an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathEntry {
    pub id: ItemId,
    pub name: String,
    pub is_root: bool,
}

/// One version of a file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileVersion {
    pub id: VersionId,
    pub file_id: ItemId,
    pub name: String,
    pub size: i64,
    pub sha1: String,
    pub remark: String,
    pub created_by: UserId,
    pub created_at: i64,
    pub storage_key: String,
}

/// Which items a listing returns (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KindFilter {
    All,
    Folders,
    Files,
}

impl KindFilter {
    /// `item` is what the Java and PHP SDKs send for "both".
    pub fn parse(raw: Option<&str>) -> Result<Self, FieldError> {
        match raw {
            None | Some("all" | "item") => Ok(KindFilter::All),
            Some("folder") => Ok(KindFilter::Folders),
            Some("file") => Ok(KindFilter::Files),
            Some(_) => Err(FieldError::new("type", "只能是file、folder或all")),
        }
    }

    pub fn includes(self, kind: ItemKind) -> bool {
        match self {
            KindFilter::All => true,
            KindFilter::Folders => kind == ItemKind::Folder,
            KindFilter::Files => kind == ItemKind::File,
        }
    }
}

/// The order of a listing; folders always come before files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sort {
    pub by: SortKey,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Name,
    Date,
    Size,
}

impl Sort {
    /// `sort_by` defaults to `date`, `sort_direction` to `desc` (the platform document).
    pub fn parse(by: Option<&str>, direction: Option<&str>) -> Result<Self, FieldError> {
        let by = match by {
            None | Some("date") => SortKey::Date,
            Some("name") => SortKey::Name,
            Some("size") => SortKey::Size,
            Some(_) => return Err(FieldError::new("sort_by", "只能是name、date或size")),
        };
        let descending = match direction {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(FieldError::new("sort_direction", "只能是desc或asc")),
        };
        Ok(Self { by, descending })
    }
}

/// Where a listing page ended, for fetching the next page by key instead of by offset: the
/// cost of a page then does not grow with how far into a large folder it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub sort: Sort,
    pub is_folder: bool,
    pub key: MarkerKey,
    pub id: ItemId,
}

/// The sort value of the last item of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerKey {
    Text(String),
    Number(i64),
}

impl Marker {
    /// The marker after `item` in a listing sorted by `sort`.
    pub fn after(item: &Item, sort: Sort) -> Self {
        let key = match sort.by {
            SortKey::Name => MarkerKey::Text(name_key(&item.name)),
            SortKey::Date => MarkerKey::Number(item.modified_at),
            SortKey::Size => MarkerKey::Number(item.size),
        };
        Self {
            sort,
            is_folder: item.is_folder(),
            key,
            id: item.id,
        }
    }

    /// Opaque to clients: URL-safe Base64 of `sort|direction|kind|id|key`.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let by = match self.sort.by {
            SortKey::Name => 'n',
            SortKey::Date => 'd',
            SortKey::Size => 's',
        };
        let direction = if self.sort.descending { 'd' } else { 'a' };
        let kind = if self.is_folder { 'f' } else { 'i' };
        let key = match &self.key {
            MarkerKey::Text(text) => text.clone(),
            MarkerKey::Number(number) => number.to_string(),
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{by}{direction}{kind}|{}|{key}", self.id.0))
    }

    pub fn decode(raw: &str) -> Option<Self> {
        use base64::Engine;
        let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw.trim())
            .ok()?;
        let plain = String::from_utf8(plain).ok()?;
        let mut parts = plain.splitn(3, '|');
        let head = parts.next()?.as_bytes();
        let id = ItemId(parts.next()?.parse().ok()?);
        let key = parts.next()?;
        let [by, direction, kind] = head else { return None };
        let by = match by {
            b'n' => SortKey::Name,
            b'd' => SortKey::Date,
            b's' => SortKey::Size,
            _ => return None,
        };
        let key = match by {
            SortKey::Name => MarkerKey::Text(key.to_owned()),
            SortKey::Date | SortKey::Size => MarkerKey::Number(key.parse().ok()?),
        };
        Some(Self {
            sort: Sort {
                by,
                descending: *direction == b'd',
            },
            is_folder: *kind == b'f',
            key,
            id,
        })
    }
}

/// The longest name, in Unicode characters. The platform document asks clients for 1 to 222;
/// the drive takes up to 255, what the file systems it syncs to hold, so every name a client
/// written to the document sends is taken, and names made on disk fit too.
pub const MAX_NAME_CHARS: usize = 255;
/// The most folders one `target_folder_path` may name. The platform sets no number, but each
/// segment is a folder looked up or created in one request, so a path of thousands of
/// one-letter segments is work no client means to ask for.
pub const MAX_PATH_SEGMENTS: usize = 100;
/// The longest description, in Unicode characters.
pub const MAX_DESCRIPTION_CHARS: usize = 140;

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// Empty or longer than [`MAX_NAME_CHARS`] (`item_name_size_incorrect`).
    Size,
    /// A forbidden character, `.`/`..`, or leading or trailing spaces (`item_name_invalid`).
    Invalid,
}

/// A file or folder name that every operating system the desktop clients run on accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemName(String);

impl ItemName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let count = raw.chars().count();
        if count == 0 || count > MAX_NAME_CHARS {
            return Err(NameError::Size);
        }
        let forbidden = |c: char| matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control();
        if raw.chars().any(forbidden) || raw == "." || raw == ".." || raw.trim() != raw {
            return Err(NameError::Invalid);
        }
        Ok(Self(raw.to_owned()))
    }

    /// A name the store already holds: it passed the rules when it was written, so it is taken
    /// as it is rather than checked again.
    pub fn stored(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The form names are compared and sorted in: two names that differ only in case clash.
    pub fn key(&self) -> String {
        name_key(&self.0)
    }

    /// `stem (n).ext` — the n-th alternative a clash is resolved with. Folders have no extension.
    pub fn numbered(&self, n: u32, kind: ItemKind) -> ItemName {
        let suffix = format!(" ({n})");
        let (mut stem, mut extension) = split_extension(&self.0, kind);
        // Keep within the length limit by shortening the stem, never the extension, unless the
        // extension alone leaves no room for a stem: then the name is shortened as a whole.
        if suffix.chars().count() + extension.chars().count() >= MAX_NAME_CHARS {
            (stem, extension) = (&self.0, "");
        }
        let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count() + extension.chars().count());
        let stem: String = stem.chars().take(room).collect();
        let stem = stem.trim_end();
        ItemName(format!("{stem}{suffix}{extension}"))
    }

    /// A file's new name keeps the old extension when the client gives none (the SDKs rename
    /// `x.txt` to `y` and expect `y.txt`).
    pub fn keeping_extension_of(self, old: &str) -> ItemName {
        let (_, new_extension) = split_extension(&self.0, ItemKind::File);
        let (_, old_extension) = split_extension(old, ItemKind::File);
        if !new_extension.is_empty() || old_extension.is_empty() {
            return self;
        }
        ItemName::parse(&format!("{}{old_extension}", self.0)).unwrap_or(self)
    }
}

/// The case-folded form of a name.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// `("report", ".pdf")` for a file `report.pdf`; a leading dot is not an extension.
fn split_extension(name: &str, kind: ItemKind) -> (&str, &str) {
    if kind == ItemKind::Folder {
        return (name, "");
    }
    match name.rfind('.') {
        Some(index) if index > 0 && index + 1 < name.len() => name.split_at(index),
        _ => (name, ""),
    }
}

/// The lowercased extension of a file name, without the dot.
pub fn extension(name: &str) -> String {
    split_extension(name, ItemKind::File)
        .1
        .trim_start_matches('.')
        .to_lowercase()
}

/// What clients group files by (`extension_category`).
pub fn extension_category(name: &str) -> &'static str {
    match extension(name).as_str() {
        "doc" | "docx" | "xls" | "xlsx" | "ppt" | "pptx" | "pdf" | "txt" | "md" | "rtf" | "odt" | "ods" | "odp"
        | "csv" | "wps" | "et" | "dps" | "pages" | "numbers" | "key" => "document",
        "jpg" | "jpeg" | "png" | "gif" | "bmp" | "webp" | "svg" | "tif" | "tiff" | "heic" | "psd" | "ico" => "image",
        "mp3" | "wav" | "flac" | "aac" | "ogg" | "m4a" | "wma" | "amr" => "audio",
        "mp4" | "mov" | "avi" | "mkv" | "wmv" | "flv" | "webm" | "m4v" | "3gp" | "rmvb" => "video",
        "zip" | "rar" | "7z" | "tar" | "gz" | "bz2" | "xz" | "tgz" => "zip",
        _ => "others",
    }
}

/// Why a folder path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// No segment at all, or one that is not a valid folder name.
    Name(NameError),
    /// More than [`MAX_PATH_SEGMENTS`] segments.
    TooDeep,
}

/// A folder path like `a/b/c`, relative to a space's root: each segment must be a valid name;
/// empty segments (doubled or edge slashes) are ignored.
pub fn parse_folder_path(raw: &str) -> Result<Vec<ItemName>, PathError> {
    let mut segments = Vec::new();
    for segment in raw.split('/').filter(|segment| !segment.is_empty()) {
        if segments.len() == MAX_PATH_SEGMENTS {
            return Err(PathError::TooDeep);
        }
        // Windows cannot hold a folder whose name ends with a dot.
        if segment.ends_with('.') {
            return Err(PathError::Name(NameError::Invalid));
        }
        segments.push(ItemName::parse(segment).map_err(PathError::Name)?);
    }
    if segments.is_empty() {
        return Err(PathError::Name(NameError::Size));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_to_255_unicode_characters() {
        assert!(ItemName::parse(&"文".repeat(255)).is_ok());
        assert_eq!(ItemName::parse(&"文".repeat(256)), Err(NameError::Size));
        assert_eq!(ItemName::parse(""), Err(NameError::Size));
    }

    #[test]
    fn names_refuse_reserved_characters_dots_and_edge_spaces() {
        for bad in [
            "a/b", "a\\b", "a:b", "a*b", "a?b", "a\"b", "a<b", "a>b", "a|b", "a\u{7}b", ".", "..", " a", "a ",
        ] {
            assert_eq!(ItemName::parse(bad), Err(NameError::Invalid), "{bad:?}");
        }
        for good in ["报表 v1.0.pdf", ".env", "a.b.c", "...a"] {
            assert!(ItemName::parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn numbered_alternatives_keep_the_extension_and_the_length_limit() {
        let name = ItemName::parse("report.final.pdf").unwrap();
        assert_eq!(name.numbered(1, ItemKind::File).as_str(), "report.final (1).pdf");
        assert_eq!(name.numbered(2, ItemKind::Folder).as_str(), "report.final.pdf (2)");
        let long = ItemName::parse(&format!("{}.docx", "x".repeat(250))).unwrap();
        let numbered = long.numbered(12, ItemKind::File);
        assert_eq!(numbered.as_str().chars().count(), 255);
        assert!(numbered.as_str().ends_with(" (12).docx"));
        // An extension too long to keep whole (found by fuzzing): the name is cut as a whole
        // instead of becoming a 258-character name starting with a space.
        let all_extension = ItemName::parse(&format!("x.{}", "y".repeat(253))).unwrap();
        let numbered = all_extension.numbered(1, ItemKind::File);
        assert_eq!(numbered.as_str().chars().count(), 255);
        assert!(numbered.as_str().starts_with("x.yyy") && numbered.as_str().ends_with("y (1)"));
        assert!(ItemName::parse(numbered.as_str()).is_ok());
    }

    #[test]
    fn a_new_name_without_extension_keeps_the_old_one() {
        let renamed = ItemName::parse("java-sdk-test-update")
            .unwrap()
            .keeping_extension_of("x.txt");
        assert_eq!(renamed.as_str(), "java-sdk-test-update.txt");
        let renamed = ItemName::parse("y.md").unwrap().keeping_extension_of("x.txt");
        assert_eq!(renamed.as_str(), "y.md");
    }

    #[test]
    fn folder_paths_split_on_slashes_and_refuse_trailing_dots() {
        let path = parse_folder_path("/会议测试//9.25/研发/").unwrap();
        let names: Vec<&str> = path.iter().map(ItemName::as_str).collect();
        assert_eq!(names, ["会议测试", "9.25", "研发"]);
        assert_eq!(parse_folder_path("a/b."), Err(PathError::Name(NameError::Invalid)));
        assert_eq!(parse_folder_path("//"), Err(PathError::Name(NameError::Size)));
        assert_eq!(
            parse_folder_path(&"a/".repeat(MAX_PATH_SEGMENTS)).unwrap().len(),
            MAX_PATH_SEGMENTS
        );
        assert_eq!(
            parse_folder_path(&"a/".repeat(MAX_PATH_SEGMENTS + 1)),
            Err(PathError::TooDeep)
        );
    }

    #[test]
    fn markers_round_trip_and_reject_garbage() {
        let marker = Marker {
            sort: Sort {
                by: SortKey::Name,
                descending: false,
            },
            is_folder: true,
            key: MarkerKey::Text("报表|a".to_owned()),
            id: ItemId(42),
        };
        assert_eq!(Marker::decode(&marker.encode()), Some(marker));
        assert_eq!(Marker::decode("not a marker"), None);
        assert_eq!(Marker::decode(""), None);
    }

    #[test]
    fn categories_follow_the_extension() {
        assert_eq!(extension_category("a.DOCX"), "document");
        assert_eq!(extension_category("a.png"), "image");
        assert_eq!(extension_category("Makefile"), "others");
    }
}

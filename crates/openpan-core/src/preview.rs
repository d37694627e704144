//! How a file is previewed, judged by its name: shown as it is by the browser (images, PDF,
//! audio, video), rendered from its text (plain text, Markdown, source code), or converted to
//! PDF first (office documents). Media types come from a fixed table, never from the bytes, so
//! a file named `.png` is never served as HTML.

/// The way a file is previewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewKind {
    Image,
    Pdf,
    /// Word, Excel and PowerPoint files (both generations) and OpenDocument: viewed as the
    /// PDF LibreOffice makes of them.
    Office,
    Text,
    Markdown,
    Code,
    Audio,
    Video,
}

/// Extensions, the kind they are previewed as, and the media type their own bytes are served
/// with (none for office documents, whose bytes are never shown).
const TABLE: &[(&str, PreviewKind, Option<&str>)] = {
    use PreviewKind::*;
    &[
        ("png", Image, Some("image/png")),
        ("jpg", Image, Some("image/jpeg")),
        ("jpeg", Image, Some("image/jpeg")),
        ("gif", Image, Some("image/gif")),
        ("webp", Image, Some("image/webp")),
        ("bmp", Image, Some("image/bmp")),
        ("pdf", Pdf, Some("application/pdf")),
        ("doc", Office, None),
        ("docx", Office, None),
        ("docm", Office, None),
        ("dot", Office, None),
        ("dotx", Office, None),
        ("rtf", Office, None),
        ("odt", Office, None),
        ("xls", Office, None),
        ("xlsx", Office, None),
        ("xlsm", Office, None),
        ("xlt", Office, None),
        ("xltx", Office, None),
        ("ods", Office, None),
        ("ppt", Office, None),
        ("pptx", Office, None),
        ("pptm", Office, None),
        ("pps", Office, None),
        ("ppsx", Office, None),
        ("pot", Office, None),
        ("potx", Office, None),
        ("odp", Office, None),
        ("odg", Office, None),
        ("md", Markdown, Some("text/plain; charset=utf-8")),
        ("markdown", Markdown, Some("text/plain; charset=utf-8")),
        ("txt", Text, Some("text/plain; charset=utf-8")),
        ("log", Text, Some("text/plain; charset=utf-8")),
        ("csv", Text, Some("text/plain; charset=utf-8")),
        ("tsv", Text, Some("text/plain; charset=utf-8")),
        ("ini", Text, Some("text/plain; charset=utf-8")),
        ("conf", Text, Some("text/plain; charset=utf-8")),
        ("cfg", Text, Some("text/plain; charset=utf-8")),
        ("mp3", Audio, Some("audio/mpeg")),
        ("wav", Audio, Some("audio/wav")),
        ("ogg", Audio, Some("audio/ogg")),
        ("oga", Audio, Some("audio/ogg")),
        ("opus", Audio, Some("audio/ogg")),
        ("m4a", Audio, Some("audio/mp4")),
        ("aac", Audio, Some("audio/aac")),
        ("flac", Audio, Some("audio/flac")),
        ("mp4", Video, Some("video/mp4")),
        ("m4v", Video, Some("video/mp4")),
        ("webm", Video, Some("video/webm")),
        ("ogv", Video, Some("video/ogg")),
        ("mov", Video, Some("video/quicktime")),
    ]
};

/// Source files shown as text with their lines numbered.
const CODE: &[&str] = &[
    "rs",
    "py",
    "js",
    "mjs",
    "cjs",
    "ts",
    "tsx",
    "jsx",
    "java",
    "kt",
    "kts",
    "scala",
    "go",
    "c",
    "h",
    "cc",
    "cpp",
    "cxx",
    "hpp",
    "cs",
    "swift",
    "m",
    "rb",
    "php",
    "pl",
    "lua",
    "r",
    "sh",
    "bash",
    "zsh",
    "ps1",
    "bat",
    "sql",
    "json",
    "yaml",
    "yml",
    "toml",
    "xml",
    "html",
    "htm",
    "css",
    "scss",
    "less",
    "vue",
    "svelte",
    "svg",
    "gradle",
    "properties",
    "dockerfile",
    "makefile",
];

impl PreviewKind {
    /// The kind a file named `name` is previewed as, if it can be.
    pub fn of(name: &str) -> Option<Self> {
        let extension = extension(name)?;
        if let Some((_, kind, _)) = TABLE.iter().find(|(known, _, _)| *known == extension) {
            return Some(*kind);
        }
        CODE.contains(&extension.as_str()).then_some(PreviewKind::Code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PreviewKind::Image => "image",
            PreviewKind::Pdf => "pdf",
            PreviewKind::Office => "office",
            PreviewKind::Text => "text",
            PreviewKind::Markdown => "markdown",
            PreviewKind::Code => "code",
            PreviewKind::Audio => "audio",
            PreviewKind::Video => "video",
        }
    }

    /// Whether the kind is viewed through a conversion (which may still be pending).
    pub fn is_converted(self) -> bool {
        self == PreviewKind::Office
    }

    /// Whether a thumbnail can be made of the kind.
    pub fn has_thumbnail(self) -> bool {
        matches!(self, PreviewKind::Image | PreviewKind::Pdf | PreviewKind::Office)
    }
}

/// The media type the preview of a file named `name` is served with: its own bytes' for the
/// kinds a browser shows (text of every kind as UTF-8 plain text, never as markup), PDF for
/// converted office documents.
pub fn media_type(name: &str) -> &'static str {
    let Some(kind) = PreviewKind::of(name) else {
        return "application/octet-stream";
    };
    match kind {
        PreviewKind::Office => "application/pdf",
        PreviewKind::Code => "text/plain; charset=utf-8",
        _ => extension(name)
            .and_then(|extension| TABLE.iter().find(|(known, _, _)| *known == extension))
            .and_then(|(_, _, media)| *media)
            .unwrap_or("application/octet-stream"),
    }
}

fn extension(name: &str) -> Option<String> {
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty() || name.len() > 1).then(|| extension.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_extension_whatever_its_case() {
        assert_eq!(PreviewKind::of("照片.JPG"), Some(PreviewKind::Image));
        assert_eq!(PreviewKind::of("合同.docx"), Some(PreviewKind::Office));
        assert_eq!(PreviewKind::of("old.xls"), Some(PreviewKind::Office));
        assert_eq!(PreviewKind::of("README.md"), Some(PreviewKind::Markdown));
        assert_eq!(PreviewKind::of("main.rs"), Some(PreviewKind::Code));
        assert_eq!(PreviewKind::of("song.mp3"), Some(PreviewKind::Audio));
        assert_eq!(PreviewKind::of("archive.zip"), None);
        assert_eq!(PreviewKind::of("Makefile"), None);
    }

    #[test]
    fn markup_is_served_as_plain_text() {
        assert_eq!(media_type("page.html"), "text/plain; charset=utf-8");
        assert_eq!(media_type("logo.svg"), "text/plain; charset=utf-8");
        assert_eq!(media_type("slides.pptx"), "application/pdf");
        assert_eq!(media_type("clip.webm"), "video/webm");
        assert_eq!(media_type("setup.exe"), "application/octet-stream");
    }
}

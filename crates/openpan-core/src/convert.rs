//! Conversions of a file version into another form (`/api/v1/file/convert`, and the previews):
//! the targets, the cached result record, and the `Converter` port the binary implements with
//! real parsers, LibreOffice and image decoders.

use async_trait::async_trait;

/// What a file can be converted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConversionTarget {
    /// Its text as UTF-8 (documents, spreadsheets, presentations, PDF, text and source files).
    Text,
    /// A PDF (office documents), which browsers show themselves.
    Pdf,
    /// A small PNG picture of its first page or of the image.
    Thumbnail,
}

impl ConversionTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "txt",
            Self::Pdf => "pdf",
            Self::Thumbnail => "png",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Self::Text),
            "pdf" => Some(Self::Pdf),
            "png" | "thumbnail" => Some(Self::Thumbnail),
            _ => None,
        }
    }

    /// The converted file's name: the source's without its extension, plus the target's.
    pub fn name_for(self, source: &str) -> String {
        let stem = match source.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => source,
        };
        format!("{stem}.{}", self.as_str())
    }
}

/// A converter's output.
#[derive(Debug, Clone)]
pub struct Converted {
    pub bytes: Vec<u8>,
    /// The output was cut at the converter's limit.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("the content cannot be read as its kind of file")]
    Unreadable,
    #[error("the conversion took too long")]
    TimedOut,
    /// The tool that converts (LibreOffice, say) failed or is missing.
    #[error("the converter failed: {0}")]
    Failed(String),
}

/// Turns bytes into a target form.
#[async_trait]
pub trait Converter: Send + Sync {
    /// Sources larger than this are refused before any byte is read.
    fn max_source_bytes(&self, target: ConversionTarget) -> u64;
    /// How a file named `name` is read to become `target` (e.g. `pdf`, `office`, `plain`), or
    /// `None` when it cannot be. Results are shared between sources of the same content read
    /// the same way only.
    fn source_kind(&self, name: &str, target: ConversionTarget) -> Option<&'static str>;
    async fn convert(&self, name: &str, bytes: Vec<u8>, target: ConversionTarget) -> Result<Converted, ConvertError>;
}

/// A stored conversion result, shared by every version with the same content.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub id: i64,
    /// The storage key of the source content.
    pub source_key: String,
    /// How the source was read ([`Converter::source_kind`]).
    pub source_kind: String,
    pub target: ConversionTarget,
    /// Where the result's bytes are.
    pub storage_key: String,
    pub size: i64,
    pub sha1: String,
    pub truncated: bool,
    pub created_at: i64,
    /// Reuse keeps a result; results unused for a week are removed.
    pub last_used_at: i64,
}

impl Conversion {
    /// The result standing in for the version it was made of: the version's record with the
    /// result's bytes, size, digest and name.
    pub fn as_version_of(self, source: crate::drive::FileVersion) -> crate::drive::FileVersion {
        crate::drive::FileVersion {
            name: self.target.name_for(&source.name),
            size: self.size,
            sha1: self.sha1,
            storage_key: self.storage_key,
            ..source
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converted_names_swap_the_extension() {
        assert_eq!(ConversionTarget::Text.name_for("合同.docx"), "合同.txt");
        assert_eq!(ConversionTarget::Text.name_for("a.b.pdf"), "a.b.txt");
        assert_eq!(ConversionTarget::Text.name_for("README"), "README.txt");
        assert_eq!(ConversionTarget::Text.name_for(".profile"), ".profile.txt");
        assert_eq!(ConversionTarget::parse(" TXT "), Some(ConversionTarget::Text));
        assert_eq!(ConversionTarget::parse("pdf"), Some(ConversionTarget::Pdf));
        assert_eq!(ConversionTarget::Thumbnail.name_for("照片.jpeg"), "照片.png");
        assert_eq!(ConversionTarget::parse("docx"), None);
    }
}

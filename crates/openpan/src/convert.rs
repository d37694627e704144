//! The converter behind `/api/v1/file/convert`: text out of documents, spreadsheets,
//! presentations, PDF and text files, by the same bounded parsers the search index reads them
//! with.

use async_trait::async_trait;

use openpan_core::convert::{ConversionTarget, ConvertError, Converted, Converter};
use openpan_search::Format;

/// Conversions that run at once; more wait their turn, so a burst of requests cannot hold
/// every core and many 32 MiB sources in memory.
const CONCURRENT: usize = 2;

pub struct TextConverter {
    permits: tokio::sync::Semaphore,
}

impl TextConverter {
    pub fn new() -> Self {
        Self {
            permits: tokio::sync::Semaphore::new(CONCURRENT),
        }
    }
}

impl Default for TextConverter {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Converter for TextConverter {
    fn max_source_bytes(&self) -> u64 {
        openpan_search::MAX_FILE_BYTES
    }

    fn source_kind(&self, name: &str, target: ConversionTarget) -> Option<&'static str> {
        match target {
            ConversionTarget::Text => openpan_search::format_of(name).map(|format| match format {
                Format::Plain => "plain",
                Format::OfficeXml => "office",
                Format::Pdf => "pdf",
            }),
        }
    }

    async fn convert(&self, name: &str, bytes: Vec<u8>, target: ConversionTarget) -> Result<Converted, ConvertError> {
        match target {
            ConversionTarget::Text => {
                let _turn = self.permits.acquire().await.map_err(|_| ConvertError::TimedOut)?;
                let format = openpan_search::format_of(name).ok_or(ConvertError::Unreadable)?;
                let text = openpan_search::text_of(format, bytes)
                    .await
                    .map_err(|_| ConvertError::TimedOut)?
                    .ok_or(ConvertError::Unreadable)?;
                // The parsers keep at most this much text; a result that long was cut there.
                let truncated = text.len() + 4 > openpan_search::MAX_TEXT_BYTES;
                Ok(Converted {
                    bytes: text.into_bytes(),
                    truncated,
                })
            }
        }
    }
}

//! The converters behind `/api/v1/file/convert` and the previews: text out of documents,
//! spreadsheets, presentations, PDF and text files, by the same bounded parsers the search
//! index reads them with; PDFs and thumbnails by `openpan-preview`.

use async_trait::async_trait;

use openpan_core::convert::{ConversionTarget, ConvertError, Converted, Converter};
use openpan_preview::{PreviewConverter, PreviewSettings};
use openpan_search::Format;

use crate::config::PreviewConfig;

/// Conversions that run at once; more wait their turn, so a burst of requests cannot hold
/// every core and many 32 MiB sources in memory.
const CONCURRENT: usize = 2;

pub struct Converters {
    permits: tokio::sync::Semaphore,
    previews: PreviewConverter,
}

impl Converters {
    pub fn new(config: &PreviewConfig) -> Self {
        let found = PreviewSettings::from_path();
        let settings = PreviewSettings {
            soffice: config.soffice.clone().or(found.soffice),
            pdftoppm: config.pdftoppm.clone().or(found.pdftoppm),
            workers: config.workers.max(1),
            timeout: std::time::Duration::from_secs(config.timeout_secs.max(1)),
            max_office_bytes: config.max_office_mb << 20,
            ..found
        };
        if settings.soffice.is_none() {
            tracing::warn!("LibreOffice (soffice) is not installed: office documents get no preview");
        }
        if settings.pdftoppm.is_none() {
            tracing::warn!("pdftoppm (poppler-utils) is not installed: PDFs get no thumbnail");
        }
        Self {
            permits: tokio::sync::Semaphore::new(CONCURRENT),
            previews: PreviewConverter::new(settings),
        }
    }
}

#[async_trait]
impl Converter for Converters {
    fn max_source_bytes(&self, target: ConversionTarget) -> u64 {
        match target {
            ConversionTarget::Text => openpan_search::MAX_FILE_BYTES,
            _ => self.previews.max_source_bytes(target),
        }
    }

    fn source_kind(&self, name: &str, target: ConversionTarget) -> Option<&'static str> {
        match target {
            ConversionTarget::Text => openpan_search::format_of(name).map(|format| match format {
                Format::Plain => "plain",
                Format::OfficeXml => "office",
                Format::Pdf => "pdf",
            }),
            _ => self.previews.source_kind(name, target),
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
            _ => self.previews.convert(name, bytes, target).await,
        }
    }
}

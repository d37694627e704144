//! The converter behind `/api/v1/file/convert`: text out of documents, spreadsheets,
//! presentations, PDF and text files, by the same bounded parsers the search index reads them
//! with.

use async_trait::async_trait;

use openpan_core::convert::{ConversionTarget, ConvertError, Converted, Converter};

pub struct TextConverter;

#[async_trait]
impl Converter for TextConverter {
    fn max_source_bytes(&self) -> u64 {
        openpan_search::MAX_FILE_BYTES
    }

    fn can_convert(&self, name: &str, target: ConversionTarget) -> bool {
        match target {
            ConversionTarget::Text => openpan_search::format_of(name).is_some(),
        }
    }

    async fn convert(&self, name: &str, bytes: Vec<u8>, target: ConversionTarget) -> Result<Converted, ConvertError> {
        match target {
            ConversionTarget::Text => {
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

//! The text inside a file, for the kinds whose text people search for: plain text (txt, md,
//! csv, source files), Office Open XML (docx, pptx, xlsx) and PDF. Every path is bounded — how
//! many bytes are read, how large an archive member may inflate to, how much text is kept — and
//! a file that cannot be read simply has no content in the index.

use std::io::Cursor;

/// Bytes read from a file at most; larger files are searched by name only.
pub const MAX_FILE_BYTES: u64 = 32 << 20;
/// Text kept per file, in bytes; what lies beyond is not searchable.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// How large one member of a docx/pptx/xlsx may inflate to.
const MAX_MEMBER_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Plain,
    OfficeXml,
    Pdf,
}

/// What a file's name says about reading its text, or `None` for kinds without searchable text.
pub fn format_of(name: &str) -> Option<Format> {
    let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "txt" | "md" | "markdown" | "csv" | "tsv" | "log" | "json" | "xml" | "html" | "htm" | "yaml" | "yml"
        | "toml" | "ini" | "rs" | "py" | "java" | "js" | "ts" | "go" | "c" | "h" | "cpp" | "sql" | "sh" => {
            Format::Plain
        }
        "docx" | "pptx" | "xlsx" => Format::OfficeXml,
        "pdf" => Format::Pdf,
        _ => return None,
    })
}

/// How long one file's text may take to extract before the file is searched by name only.
pub const EXTRACT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Parsing a file took longer than [`EXTRACT_TIMEOUT`] (it may still be running).
#[derive(Debug)]
pub struct TimedOut;

/// The text of a file of `format`, or `None` when it cannot be read as one. Parsing runs on a
/// blocking thread: it is CPU work, and a hostile file may make a parser panic, which the thread
/// contains.
pub async fn text_of(format: Format, bytes: Vec<u8>) -> Result<Option<String>, TimedOut> {
    let runtime = tokio::runtime::Handle::current();
    let work = tokio::task::spawn_blocking(move || match format {
        Format::Plain => Some(decode_plain(&bytes)),
        Format::OfficeXml => runtime.block_on(office_text(bytes)),
        Format::Pdf => pdf_extract::extract_text_from_mem(&bytes).ok(),
    });
    let joined = tokio::time::timeout(EXTRACT_TIMEOUT, work)
        .await
        .map_err(|_| TimedOut)?;
    Ok(joined.ok().flatten().map(truncate))
}

/// UTF-8 (with or without a BOM), else GB18030, which is what Chinese Windows editors save.
pub(crate) fn decode_plain(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bytes = &bytes[..bytes.len().min(MAX_TEXT_BYTES + 4)];
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        // A cut inside the last character is still UTF-8.
        Err(err) if err.error_len().is_none() => String::from_utf8_lossy(bytes).into_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

fn truncate(mut text: String) -> String {
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// The members of an Office Open XML package that hold its text.
fn is_text_member(name: &str) -> bool {
    name == "word/document.xml"
        || name == "xl/sharedStrings.xml"
        || (name.starts_with("ppt/slides/slide") && name.ends_with(".xml"))
}

async fn office_text(bytes: Vec<u8>) -> Option<String> {
    #[allow(deprecated)] // its successor module reads the same way; the switch waits for a release
    let mut zip = async_zip::base::read::seek::ZipFileReader::new(futures_util::io::Cursor::new(bytes))
        .await
        .ok()?;
    let members: Vec<usize> = zip
        .file()
        .entries()
        .iter()
        .enumerate()
        .filter(|(_, entry)| {
            entry.filename().as_str().is_ok_and(is_text_member) && entry.uncompressed_size() <= MAX_MEMBER_BYTES
        })
        .map(|(index, _)| index)
        .collect();
    if members.is_empty() {
        return None;
    }
    let mut text = String::new();
    for index in members {
        use futures_util::AsyncReadExt;
        // The size in the archive's directory is the uploader's word: inflate no further than
        // the limit whatever it says, and give the member up if it goes past.
        let mut xml = Vec::new();
        let reader = zip.reader_with_entry(index).await.ok()?;
        reader.take(MAX_MEMBER_BYTES + 1).read_to_end(&mut xml).await.ok()?;
        if xml.len() as u64 > MAX_MEMBER_BYTES {
            return None;
        }
        xml_text(&xml, &mut text);
        if text.len() > MAX_TEXT_BYTES {
            break;
        }
    }
    Some(text)
}

/// Appends the character data of `<w:t>`, `<a:t>` and `<t>` elements, a line per paragraph.
fn xml_text(xml: &[u8], out: &mut String) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(Cursor::new(xml));
    let mut buf = Vec::new();
    let mut in_text = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(start)) => in_text = start.local_name().into_inner() == "t",
            Ok(Event::End(end)) => {
                if matches!(end.local_name().into_inner(), "p" | "si") {
                    out.push('\n');
                }
                in_text = false;
            }
            Ok(Event::Empty(empty)) if matches!(empty.local_name().into_inner(), "tab" | "br") => out.push(' '),
            // Text comes without its entity and character references, which follow as events.
            Ok(Event::Text(text)) if in_text => out.push_str(&text),
            Ok(Event::GeneralRef(reference)) if in_text => {
                if let Ok(Some(c)) = reference.resolve_char_ref() {
                    out.push(c);
                } else if let Some(resolved) = quick_xml::escape::resolve_predefined_entity(&reference) {
                    out.push_str(resolved);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension_whatever_its_case() {
        assert_eq!(format_of("笔记.MD"), Some(Format::Plain));
        assert_eq!(format_of("a.b.Docx"), Some(Format::OfficeXml));
        assert_eq!(format_of("scan.pdf"), Some(Format::Pdf));
        assert_eq!(format_of("photo.jpg"), None);
        assert_eq!(format_of("README"), None);
    }

    #[test]
    fn plain_text_in_gb18030_is_read_as_chinese() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("季度报告");
        assert_eq!(decode_plain(&bytes), "季度报告");
        assert_eq!(decode_plain("\u{feff}hello".as_bytes()), "hello");
    }

    #[test]
    fn word_xml_gives_its_runs_and_entities() {
        let mut out = String::new();
        xml_text(
            r#"<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>Budget &amp; plan</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve">2025</w:t></w:r></w:p><w:p><w:r><w:t>第二段</w:t></w:r></w:p></w:body></w:document>"#.as_bytes(),
            &mut out,
        );
        assert_eq!(out, "Budget & plan 2025\n第二段\n");
    }

    #[test]
    fn text_is_cut_at_a_character_boundary() {
        let text = "季".repeat(MAX_TEXT_BYTES);
        let cut = truncate(text);
        assert!(cut.len() <= MAX_TEXT_BYTES && cut.chars().all(|c| c == '季'));
    }
}

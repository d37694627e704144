//! Empty documents for `create_blank_file`: the smallest Office Open XML packages Word, Excel,
//! PowerPoint and LibreOffice open as a blank document, spreadsheet or presentation, and
//! empty text files.

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use futures_util::io::Cursor;

/// The kinds of blank file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlankKind {
    Docx,
    Pptx,
    Xlsx,
    Txt,
    Markdown,
}

impl BlankKind {
    /// `type` of `create_blank_file`: `"1"` document, `"2"` presentation, `"3"` spreadsheet
    /// (the platform's values); `txt` and `md` for plain files.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "1" | "doc" | "docx" => Some(BlankKind::Docx),
            "2" | "ppt" | "pptx" => Some(BlankKind::Pptx),
            "3" | "xls" | "xlsx" => Some(BlankKind::Xlsx),
            "txt" => Some(BlankKind::Txt),
            "md" => Some(BlankKind::Markdown),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            BlankKind::Docx => "docx",
            BlankKind::Pptx => "pptx",
            BlankKind::Xlsx => "xlsx",
            BlankKind::Txt => "txt",
            BlankKind::Markdown => "md",
        }
    }

    /// The file's bytes.
    pub async fn bytes(self) -> std::io::Result<Vec<u8>> {
        let parts: &[(&str, &str)] = match self {
            BlankKind::Txt | BlankKind::Markdown => return Ok(Vec::new()),
            BlankKind::Docx => DOCX,
            BlankKind::Xlsx => XLSX,
            BlankKind::Pptx => PPTX,
        };
        package(parts).await
    }
}

/// A zip of `parts`, `[Content_Types].xml` first as Office expects.
async fn package(parts: &[(&str, &str)]) -> std::io::Result<Vec<u8>> {
    let mut writer = ZipFileWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        let entry = ZipEntryBuilder::new((*name).into(), Compression::Deflate);
        writer
            .write_entry_whole(entry, format!("{XML_DECLARATION}{text}").as_bytes())
            .await
            .map_err(std::io::Error::other)?;
    }
    let cursor = writer.close().await.map_err(std::io::Error::other)?;
    Ok(cursor.into_inner())
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

macro_rules! content_types {
    ($($override:expr),* $(,)?) => {
        concat!(
            "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
            "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
            "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
            $($override,)*
            "</Types>"
        )
    };
}

macro_rules! relationships {
    ($($id:literal => $kind:literal : $target:literal),* $(,)?) => {
        concat!(
            "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
            $("<Relationship Id=\"", $id, "\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/",
              $kind, "\" Target=\"", $target, "\"/>",)*
            "</Relationships>"
        )
    };
}

const DOCX: &[(&str, &str)] = &[
    (
        "[Content_Types].xml",
        content_types!(
            "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
        ),
    ),
    (
        "_rels/.rels",
        relationships!("rId1" => "officeDocument": "word/document.xml"),
    ),
    (
        "word/document.xml",
        "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p/>\
         <w:sectPr><w:pgSz w:w=\"11906\" w:h=\"16838\"/><w:pgMar w:top=\"1440\" w:right=\"1800\" w:bottom=\"1440\" \
         w:left=\"1800\" w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>",
    ),
];

const XLSX: &[(&str, &str)] = &[
    (
        "[Content_Types].xml",
        content_types!(
            "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
            "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        ),
    ),
    (
        "_rels/.rels",
        relationships!("rId1" => "officeDocument": "xl/workbook.xml"),
    ),
    (
        "xl/workbook.xml",
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
    ),
    (
        "xl/_rels/workbook.xml.rels",
        relationships!("rId1" => "worksheet": "worksheets/sheet1.xml"),
    ),
    (
        "xl/worksheets/sheet1.xml",
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData/></worksheet>",
    ),
];

const PPTX: &[(&str, &str)] = &[
    (
        "[Content_Types].xml",
        content_types!(
            "<Override PartName=\"/ppt/presentation.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml\"/>",
            "<Override PartName=\"/ppt/slideMasters/slideMaster1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml\"/>",
            "<Override PartName=\"/ppt/slideLayouts/slideLayout1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml\"/>",
            "<Override PartName=\"/ppt/theme/theme1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.theme+xml\"/>"
        ),
    ),
    (
        "_rels/.rels",
        relationships!("rId1" => "officeDocument": "ppt/presentation.xml"),
    ),
    (
        "ppt/presentation.xml",
        concat!(
            "<p:presentation xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" ",
            "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" ",
            "xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\">",
            "<p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"rId1\"/></p:sldMasterIdLst>",
            "<p:sldSz cx=\"12192000\" cy=\"6858000\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/>",
            "</p:presentation>"
        ),
    ),
    (
        "ppt/_rels/presentation.xml.rels",
        relationships!(
            "rId1" => "slideMaster": "slideMasters/slideMaster1.xml",
            "rId2" => "theme": "theme/theme1.xml",
        ),
    ),
    (
        "ppt/slideMasters/slideMaster1.xml",
        concat!(
            "<p:sldMaster xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" ",
            "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" ",
            "xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\">",
            "<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>",
            "<p:grpSpPr/></p:spTree></p:cSld>",
            "<p:clrMap bg1=\"lt1\" tx1=\"dk1\" bg2=\"lt2\" tx2=\"dk2\" accent1=\"accent1\" accent2=\"accent2\" ",
            "accent3=\"accent3\" accent4=\"accent4\" accent5=\"accent5\" accent6=\"accent6\" hlink=\"hlink\" ",
            "folHlink=\"folHlink\"/>",
            "<p:sldLayoutIdLst><p:sldLayoutId id=\"2147483649\" r:id=\"rId1\"/></p:sldLayoutIdLst>",
            "</p:sldMaster>"
        ),
    ),
    (
        "ppt/slideMasters/_rels/slideMaster1.xml.rels",
        relationships!(
            "rId1" => "slideLayout": "../slideLayouts/slideLayout1.xml",
            "rId2" => "theme": "../theme/theme1.xml",
        ),
    ),
    (
        "ppt/slideLayouts/slideLayout1.xml",
        concat!(
            "<p:sldLayout xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" ",
            "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" ",
            "xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\" type=\"blank\">",
            "<p:cSld name=\"Blank\"><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/>",
            "</p:nvGrpSpPr><p:grpSpPr/></p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr>",
            "</p:sldLayout>"
        ),
    ),
    (
        "ppt/slideLayouts/_rels/slideLayout1.xml.rels",
        relationships!("rId1" => "slideMaster": "../slideMasters/slideMaster1.xml"),
    ),
    ("ppt/theme/theme1.xml", THEME),
];

/// A complete (if plain) DrawingML theme: PowerPoint refuses a presentation without one.
const THEME: &str = concat!(
    "<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"Office\"><a:themeElements>",
    "<a:clrScheme name=\"Office\">",
    "<a:dk1><a:sysClr val=\"windowText\" lastClr=\"000000\"/></a:dk1>",
    "<a:lt1><a:sysClr val=\"window\" lastClr=\"FFFFFF\"/></a:lt1>",
    "<a:dk2><a:srgbClr val=\"44546A\"/></a:dk2><a:lt2><a:srgbClr val=\"E7E6E6\"/></a:lt2>",
    "<a:accent1><a:srgbClr val=\"4472C4\"/></a:accent1><a:accent2><a:srgbClr val=\"ED7D31\"/></a:accent2>",
    "<a:accent3><a:srgbClr val=\"A5A5A5\"/></a:accent3><a:accent4><a:srgbClr val=\"FFC000\"/></a:accent4>",
    "<a:accent5><a:srgbClr val=\"5B9BD5\"/></a:accent5><a:accent6><a:srgbClr val=\"70AD47\"/></a:accent6>",
    "<a:hlink><a:srgbClr val=\"0563C1\"/></a:hlink><a:folHlink><a:srgbClr val=\"954F72\"/></a:folHlink>",
    "</a:clrScheme>",
    "<a:fontScheme name=\"Office\">",
    "<a:majorFont><a:latin typeface=\"Calibri Light\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:majorFont>",
    "<a:minorFont><a:latin typeface=\"Calibri\"/><a:ea typeface=\"\"/><a:cs typeface=\"\"/></a:minorFont>",
    "</a:fontScheme>",
    "<a:fmtScheme name=\"Office\">",
    "<a:fillStyleLst><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>",
    "<a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>",
    "</a:fillStyleLst>",
    "<a:lnStyleLst><a:ln w=\"6350\"><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill></a:ln>",
    "<a:ln w=\"12700\"><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill></a:ln>",
    "<a:ln w=\"19050\"><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill></a:ln></a:lnStyleLst>",
    "<a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle>",
    "<a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst>",
    "<a:bgFillStyleLst><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>",
    "<a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>",
    "</a:bgFillStyleLst>",
    "</a:fmtScheme></a:themeElements></a:theme>"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn office_packages_are_zips_that_start_with_their_content_types() {
        for kind in [BlankKind::Docx, BlankKind::Xlsx, BlankKind::Pptx] {
            let bytes = kind.bytes().await.unwrap();
            assert_eq!(&bytes[..4], b"PK\x03\x04", "{kind:?}");
            let name_at = 30;
            assert_eq!(&bytes[name_at..name_at + 19], b"[Content_Types].xml", "{kind:?}");
        }
        assert!(BlankKind::Txt.bytes().await.unwrap().is_empty());
    }

    #[test]
    fn the_platforms_type_numbers_map_to_office_formats() {
        assert_eq!(BlankKind::parse("1"), Some(BlankKind::Docx));
        assert_eq!(BlankKind::parse("2"), Some(BlankKind::Pptx));
        assert_eq!(BlankKind::parse("3"), Some(BlankKind::Xlsx));
        assert_eq!(BlankKind::parse("md"), Some(BlankKind::Markdown));
        assert_eq!(BlankKind::parse("4"), None);
    }
}

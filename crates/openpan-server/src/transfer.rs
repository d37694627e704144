//! The upload and download URLs: `POST /upload/{upload_id}/{secret}` takes one multipart part
//! named `file`; `GET /download/{ticket}/{signature}/{name}` streams the bytes, with ranges.
//! The URL is the credential, so an `Authorization` header is ignored here.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;

use openpan_core::blob::{ByteRange, ByteStream};
use openpan_core::services::Download;
use openpan_types as wire;
use openpan_types::ErrorCode;

use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};

use openpan_core::model::percent_encode;

/// Where a download URL's ticket is fetched.
pub fn download_link(state: &AppState, ticket: &openpan_core::services::DownloadTicket) -> String {
    ticket_link(state, "download", &ticket.ticket, &ticket.signature, &ticket.name)
}

/// `{public_url}/{route}/{ticket}/{signature}/{name}`.
pub fn ticket_link(state: &AppState, route: &str, ticket: &str, signature: &str, name: &str) -> String {
    format!(
        "{}/{route}/{ticket}/{signature}/{}",
        state.public_url,
        percent_encode(name)
    )
}

/// The bytes of an upload URL from `file/upload`, `upload_by_path` or `new_version`: one
/// multipart part named `file`. The URL is the credential.
#[utoipa::path(post, path = "/upload/{upload_id}/{secret}", tag = "transfers", security(()),
    params(("upload_id" = String, Path, description = "From the upload URL"), ("secret" = String, Path, description = "From the upload URL")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = wire::File), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    Path((upload_id, secret)): Path<(String, String)>,
    request: Request,
) -> Result<Json<wire::File>> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let stream = file_part(&content_type, request.into_body().into_data_stream()).await?;
    let detail = state.core.receive_upload(&upload_id, &secret, stream).await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

/// The bytes of the multipart part named `file`. Its filename and headers are ignored (the
/// SDKs send empty, constant or malformed ones): the name given when the URL was issued wins.
pub(crate) async fn file_part<S, E>(content_type: &str, body: S) -> Result<ByteStream>
where
    S: futures_util::Stream<Item = std::result::Result<bytes::Bytes, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    let boundary =
        multer::parse_boundary(content_type).map_err(|_| ApiError::field("file", "需要multipart/form-data请求体"))?;
    let mut multipart = multer::Multipart::new(body, boundary);
    let field = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => break field,
            Ok(Some(_)) => continue,
            Ok(None) => return Err(ApiError::field("file", "缺少名为file的文件")),
            Err(err) => return Err(ApiError::field("file", format!("请求体不完整: {err}"))),
        }
    };
    Ok(Box::pin(field.map_err(std::io::Error::other)))
}

/// A resumable upload's session: its parts so far.
#[utoipa::path(get, path = "/upload/{upload_id}/{secret}", tag = "transfers", security(()),
    params(("upload_id" = String, Path, description = "From the upload URL"), ("secret" = String, Path, description = "From the upload URL")), responses((status = 200, body = wire::ResumableUpload), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn resumable_status(
    State(state): State<AppState>,
    Path((upload_id, secret)): Path<(String, String)>,
) -> Result<Json<wire::ResumableUpload>> {
    let upload = state.core.resumable_status(&upload_id, &secret).await?;
    let url = format!("{}/upload/{upload_id}/{secret}", state.public_url);
    Ok(Json(convert::resumable(&upload, url)))
}

/// The raw bytes of one part of a resumable upload, optionally with `Content-SHA256` (hex)
/// to have them checked; a part sent again replaces the first.
#[utoipa::path(put, path = "/upload/{upload_id}/{secret}/part/{number}", tag = "transfers", security(()),
    params(("upload_id" = String, Path, description = "From the upload URL"), ("secret" = String, Path, description = "From the upload URL"), ("number" = i64, Path, minimum = 1, description = "1-based"),
        ("Content-SHA256" = Option<String>, Header, nullable = false, pattern = "^[0-9a-fA-F]{64}$", description = "The part's SHA-256")),
    request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 200, body = wire::UploadedPart), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn put_part(
    State(state): State<AppState>,
    Path((upload_id, secret, number)): Path<(String, String, String)>,
    request: Request,
) -> Result<Json<wire::UploadedPart>> {
    let number: i64 = number
        .parse()
        .map_err(|_| ApiError::field("part_number", "必须是整数"))?;
    let expect = match request.headers().get("content-sha256") {
        None => None,
        Some(value) => {
            let text = value.to_str().unwrap_or_default().trim().to_ascii_lowercase();
            let mut digest = [0u8; 32];
            let decoded = (text.len() == 64)
                .then(|| {
                    (0..32).try_for_each(|i| {
                        digest[i] = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| ())?;
                        Ok::<(), ()>(())
                    })
                })
                .and_then(Result::ok);
            decoded.ok_or_else(|| ApiError::field("Content-SHA256", "必须是64位十六进制"))?;
            Some(digest)
        }
    };
    let body: ByteStream = Box::pin(request.into_body().into_data_stream().map_err(std::io::Error::other));
    let part = state.core.put_part(&upload_id, &secret, number, expect, body).await?;
    Ok(Json(convert::uploaded_part(&part)))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = UploadCommit)]
pub struct CommitArgs {
    /// The whole file's SHA-1: other bytes are refused.
    #[schema(pattern = "^[0-9a-fA-F]{40}$")]
    sha1: Option<String>,
}

/// The multipart body of an upload URL.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// The bytes (the part's file name is ignored: the name given with the URL is kept).
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// Joins a resumable upload's parts into the file.
#[utoipa::path(post, path = "/upload/{upload_id}/{secret}/commit", tag = "transfers", security(()),
    params(("upload_id" = String, Path, description = "From the upload URL"), ("secret" = String, Path, description = "From the upload URL")), request_body = Option<CommitArgs>, responses((status = 200, body = wire::File), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn commit_resumable(
    State(state): State<AppState>,
    Path((upload_id, secret)): Path<(String, String)>,
    crate::extract::JsonBody(args): crate::extract::JsonBody<CommitArgs>,
) -> Result<Json<wire::File>> {
    let detail = state
        .core
        .commit_resumable(&upload_id, &secret, args.sha1.as_deref())
        .await?;
    Ok(Json(convert::file(&detail.view, &detail.users, &detail.frequent)))
}

/// Gives a resumable upload up.
#[utoipa::path(delete, path = "/upload/{upload_id}/{secret}", tag = "transfers", security(()),
    params(("upload_id" = String, Path, description = "From the upload URL"), ("secret" = String, Path, description = "From the upload URL")), responses((status = 200, body = wire::SuccessBody), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn abort_resumable(
    State(state): State<AppState>,
    Path((upload_id, secret)): Path<(String, String)>,
) -> Result<Json<wire::SuccessBody>> {
    state.core.abort_resumable(&upload_id, &secret).await?;
    Ok(Json(wire::SuccessBody { success: true }))
}

/// One `bytes=` range of a representation of `size` bytes; `None` for none or several
/// (several are answered with the whole body, which RFC 9110 allows).
fn parse_range(headers: &HeaderMap, size: u64) -> std::result::Result<Option<ByteRange>, ()> {
    match headers.get(header::RANGE).and_then(|value| value.to_str().ok()) {
        Some(value) => range_of(value, size),
        None => Ok(None),
    }
}

/// The range a `Range` header's text asks of `size` bytes; `Err` when it cannot be served (416).
pub(crate) fn range_of(value: &str, size: u64) -> std::result::Result<Option<ByteRange>, ()> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (first, last) = spec.split_once('-').ok_or(())?;
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let suffix: u64 = last.parse().map_err(|_| ())?;
        if suffix == 0 || size == 0 {
            return Err(());
        }
        ByteRange {
            first: size.saturating_sub(suffix),
            last: size - 1,
        }
    } else {
        let first: u64 = first.parse().map_err(|_| ())?;
        let last = if last.is_empty() {
            size.saturating_sub(1)
        } else {
            last.parse::<u64>().map_err(|_| ())?.min(size.saturating_sub(1))
        };
        if first >= size || last < first {
            return Err(());
        }
        ByteRange { first, last }
    };
    Ok(Some(range))
}

/// `filename` (ASCII fallback) and `filename*` (UTF-8) per RFC 6266, so Chinese names survive.
fn content_disposition(name: &str) -> HeaderValue {
    disposition("attachment", name)
}

/// `disposition; filename=…` with an ASCII fallback and the RFC 6266 UTF-8 name.
pub(crate) fn disposition(kind: &str, name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let value = format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        percent_encode(name)
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// A download URL from `file/{id}/download`: the bytes, with one `Range` at a time. The URL
/// is the credential.
#[utoipa::path(get, path = "/download/{ticket}/{signature}/{*name}", tag = "transfers", security(()),
    params(("ticket" = String, Path), ("signature" = String, Path), ("name" = String, Path, description = "The file's name (any text: the ticket decides)"), ("Range" = Option<String>, Header, nullable = false, description = "`bytes=first-last`, one range")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream"),
        (status = 416, description = "A range outside the file"), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    Path((ticket, signature, _name)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response> {
    let download = state.core.open_download(&ticket, &signature).await?;
    send(&state, &download, &method, &headers).await
}

/// A conversion's result (from `/api/v1/file/convert`), served as a download.
#[utoipa::path(get, path = "/converted/{ticket}/{signature}/{*name}", tag = "transfers", security(()),
    params(("ticket" = String, Path), ("signature" = String, Path), ("name" = String, Path, description = "The file's name (any text: the ticket decides)"), ("Range" = Option<String>, Header, nullable = false, description = "`bytes=first-last`, one range")),
    responses((status = 200, description = "The converted file", content_type = "application/octet-stream"),
        (status = 206, description = "The range asked for", content_type = "application/octet-stream"),
        (status = 416, description = "A range outside the file"), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn converted(
    State(state): State<AppState>,
    Path((ticket, signature, _name)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response> {
    let download = state.core.open_converted(&ticket, &signature).await?;
    send(&state, &download, &method, &headers).await
}

/// The bytes of a checked download, whole or the asked range.
async fn send(state: &AppState, download: &Download, method: &Method, headers: &HeaderMap) -> Result<Response> {
    send_as(state, download, None, method, headers).await
}

/// The bytes of a preview, for the browser to show (`inline`) as `media`: never sniffed as
/// another type, and text never run as a page (a sandbox with no scripts).
pub(crate) async fn send_inline(
    state: &AppState,
    download: &Download,
    media: &'static str,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response> {
    let mut response = send_as(state, download, Some(media), method, headers).await?;
    let headers = response.headers_mut();
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    if media.starts_with("text/") {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'"),
        );
    }
    Ok(response)
}

async fn send_as(
    state: &AppState,
    download: &Download,
    inline: Option<&'static str>,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response> {
    let size = u64::try_from(download.version.size).unwrap_or_default();
    let range = match parse_range(headers, size) {
        Ok(range) => range,
        Err(()) => {
            let mut response = ApiError::new(ErrorCode::RangeNotSatisfiable).into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
    };
    let (media, disposition) = match inline {
        Some(media) => (media, disposition("inline", &download.name)),
        None => ("application/octet-stream", content_disposition(&download.name)),
    };
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, media)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_DISPOSITION, disposition)
        .header(header::CACHE_CONTROL, "private, no-transform")
        .header(header::ETAG, format!("\"{}\"", download.version.sha1));
    let length = match range {
        Some(range) => {
            response = response.status(StatusCode::PARTIAL_CONTENT).header(
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", range.first, range.last),
            );
            range.len()
        }
        None => size,
    };
    response = response.header(header::CONTENT_LENGTH, length);
    let body = if *method == Method::HEAD || length == 0 {
        Body::empty()
    } else {
        Body::from_stream(state.core.download_bytes(download, range).await?)
    };
    response
        .body(body)
        .map_err(|_| ApiError::new(ErrorCode::InternalServerError))
}

/// A pack URL from `file/pack_download`: the chosen files and folders as a zip, written
/// entry by entry into the response as the bytes are read, never held whole in memory or on
/// disk. Entries are stored (office files and media are compressed already), carry UTF-8
/// names and use zip64 fields, so archives and entries past 4 GiB work.
#[utoipa::path(get, path = "/pack/{ticket}/{signature}/{*name}", tag = "transfers", security(()),
    params(("ticket" = String, Path), ("signature" = String, Path), ("name" = String, Path, description = "The file's name (any text: the ticket decides)")),
    responses((status = 200, description = "The zip", content_type = "application/zip"), (status = "4XX", description = "The transfer error shape (`errors` is the code)", body = openpan_types::TransferErrorBody)))]
pub async fn pack(
    State(state): State<AppState>,
    Path((ticket, signature, name)): Path<(String, String, String)>,
) -> Result<Response> {
    let entries = state.core.open_pack(&ticket, &signature).await?;
    let (reader, writer) = tokio::io::duplex(IO_CHUNK);
    let core = state.core.clone();
    tokio::spawn(async move {
        let open = |entry: openpan_core::services::PackEntry| {
            let core = core.clone();
            async move { core.pack_entry_bytes(&entry).await }
        };
        if let Err(err) = write_zip(entries, open, writer).await {
            // The status is sent already; the client sees a cut-off archive.
            tracing::warn!(error = %err, "pack download stopped");
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/zip")
        .header(header::CONTENT_DISPOSITION, content_disposition(&name))
        .header(header::CACHE_CONTROL, "private, no-transform")
        .body(Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
            reader, IO_CHUNK,
        )))
        .map_err(|_| ApiError::new(ErrorCode::InternalServerError))
}

/// How much of an archive is buffered between the writer and the response.
const IO_CHUNK: usize = 1 << 20;

/// Writes `entries` as a zip into `writer`, reading each file's bytes through `open`.
async fn write_zip<W, F, Fut>(
    entries: Vec<openpan_core::services::PackEntry>,
    open: F,
    writer: W,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    W: tokio::io::AsyncWrite + Unpin,
    F: Fn(openpan_core::services::PackEntry) -> Fut,
    Fut: std::future::Future<Output = openpan_core::Result<ByteStream>>,
{
    use async_zip::tokio::write::ZipFileWriter;
    use async_zip::{Compression, ZipEntryBuilder};
    use futures_util::{AsyncWriteExt, StreamExt};

    let mut zip = ZipFileWriter::with_tokio(writer);
    for entry in entries {
        let date = zip_date(entry.modified_at);
        if entry.is_folder {
            let builder = ZipEntryBuilder::new(format!("{}/", entry.path).into(), Compression::Stored)
                .last_modification_date(date)
                .unix_permissions(0o755);
            zip.write_entry_whole(builder, &[]).await?;
            continue;
        }
        let builder = ZipEntryBuilder::new(entry.path.clone().into(), Compression::Stored)
            .last_modification_date(date)
            .unix_permissions(0o644);
        let mut bytes = open(entry.clone()).await?;
        let mut file = zip.write_entry_stream(builder).await?;
        while let Some(chunk) = bytes.next().await {
            file.write_all(&chunk?).await?;
        }
        file.close().await?;
    }
    // Dropping the pipe's write half ends the response body.
    drop(zip.close().await?);
    Ok(())
}

/// Unix seconds as the zip format's local date and time (UTC; zip has no zone).
fn zip_date(unix: i64) -> async_zip::ZipDateTime {
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    async_zip::ZipDateTimeBuilder::new()
        .year(year.clamp(1980, 2107) as i32)
        .month(month as u32)
        .day(day as u32)
        .hour((seconds / 3600) as u32)
        .minute((seconds % 3600 / 60) as u32)
        .second((seconds % 60) as u32)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str, size: u64) -> std::result::Result<Option<(u64, u64)>, ()> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        parse_range(&headers, size).map(|range| range.map(|range| (range.first, range.last)))
    }

    #[test]
    fn single_ranges_are_parsed_and_clamped() {
        assert_eq!(range("bytes=0-0", 10), Ok(Some((0, 0))));
        assert_eq!(range("bytes=2-", 10), Ok(Some((2, 9))));
        assert_eq!(range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(range("bytes=5-100", 10), Ok(Some((5, 9))));
        assert_eq!(range("bytes=0-1,4-5", 10), Ok(None));
        assert_eq!(range("items=0-1", 10), Ok(None));
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(range("bytes=10-", 10), Err(()));
        assert_eq!(range("bytes=5-2", 10), Err(()));
        assert_eq!(range("bytes=-0", 10), Err(()));
        assert_eq!(range("bytes=x-1", 10), Err(()));
    }

    /// Writes zeros as holes, so a multi-gigabyte archive costs no disk.
    struct SparseFile(std::fs::File);

    impl tokio::io::AsyncWrite for SparseFile {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            use std::io::{Seek, Write};
            let result = if buf.len() >= 4096 && buf.iter().all(|b| *b == 0) {
                self.0
                    .seek(std::io::SeekFrom::Current(buf.len() as i64))
                    .map(|_| buf.len())
            } else {
                self.0.write(buf)
            };
            std::task::Poll::Ready(result)
        }

        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn archives_past_4_gib_use_zip64_and_stay_readable() {
        use openpan_core::services::PackEntry;
        const BIG: u64 = (4 << 30) + (100 << 20);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.zip");
        let file = std::fs::File::create(&path).unwrap();
        let entries = vec![
            PackEntry::new("大/".trim_end_matches('/').to_owned(), true, 0, 1_700_000_000, None),
            PackEntry::new(
                "大/zeros.bin".to_owned(),
                false,
                BIG as i64,
                1_700_000_000,
                Some("zeros".to_owned()),
            ),
            PackEntry::new(
                "after.txt".to_owned(),
                false,
                5,
                1_700_000_000,
                Some("after".to_owned()),
            ),
        ];
        let open = |entry: PackEntry| {
            let zeros = entry.path.ends_with("zeros.bin");
            async move {
                let stream: ByteStream = if zeros {
                    let chunk = bytes::Bytes::from(vec![0u8; 1 << 20]);
                    Box::pin(futures_util::stream::iter(
                        (0..BIG >> 20).map(move |_| Ok(chunk.clone())),
                    ))
                } else {
                    Box::pin(futures_util::stream::iter([Ok(bytes::Bytes::from_static(b"after"))]))
                };
                Ok(stream)
            }
        };
        write_zip(entries, open, SparseFile(file)).await.unwrap();
        let check = r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    sizes = {info.filename: (info.file_size, info.header_offset) for info in z.infolist()}
    assert sizes["大/zeros.bin"][0] == int(sys.argv[2]), sizes
    assert sizes["after.txt"][1] > 2**32, "an entry past 4 GiB is addressed: %r" % sizes
    assert z.read("after.txt") == b"after"
    with z.open("大/zeros.bin") as big:
        assert big.read(1 << 20) == bytes(1 << 20)
print("ok")
"#;
        let output = std::process::Command::new("python3")
            .args(["-c", check])
            .arg(&path)
            .arg(BIG.to_string())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn dispositions_keep_chinese_names_in_filename_star() {
        let value = content_disposition("报表 v1.0.pdf");
        let text = value.to_str().unwrap();
        assert!(
            text.contains("filename*=UTF-8''%E6%8A%A5%E8%A1%A8%20v1.0.pdf"),
            "{text}"
        );
        assert!(text.contains("filename=\"__ v1.0.pdf\""), "{text}");
    }
}

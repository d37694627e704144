//! Entry points for the fuzz targets in `fuzz/` and for the test that replays their corpus on
//! stable Rust: the HTTP-level parsers of the upload and download URLs, which read bytes and
//! headers from anyone holding a URL. A panic or a broken property is the bug. Not part of the
//! API.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};

use crate::transfer;

/// The body of an upload URL. The fuzzer's first line is the `Content-Type`; the rest is the
/// body, delivered in chunks cut where the fuzzer put `\u{0}\u{0}` so that every way a
/// boundary can straddle two reads is tried. Whatever arrives, the part's bytes are a slice of
/// the body or the request is refused as `file`.
pub fn multipart(data: &[u8]) {
    let (content_type, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (String::from_utf8_lossy(&data[..at]).into_owned(), &data[at + 1..]),
        None => (String::from_utf8_lossy(data).into_owned(), &[][..]),
    };
    let chunks: Vec<Result<Bytes, Infallible>> = split_chunks(body).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    let total: usize = chunks.iter().map(|c| c.as_ref().map_or(0, Bytes::len)).sum();
    // Everything is in memory, so the futures never wait: `now_or_never` runs them to the end.
    let part = transfer::file_part(&content_type, futures_util::stream::iter(chunks))
        .now_or_never()
        .expect("an in-memory body never waits");
    match part {
        Ok(mut stream) => {
            let mut received = 0;
            while let Some(chunk) = stream.next().now_or_never().expect("an in-memory body never waits") {
                match chunk {
                    Ok(bytes) => received += bytes.len(),
                    Err(_) => return,
                }
            }
            assert!(received <= total, "the part cannot hold more than the body");
        }
        Err(error) => assert!(
            error.code == openpan_types::ErrorCode::RequestDataInvalid
                && error.fields.iter().all(|(field, _)| field == "file"),
            "refused as {error:?}"
        ),
    }
}

fn split_chunks(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(body);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.windows(2).position(|w| w == [0, 0]) {
            Some(at) => {
                rest = Some(&current[at + 2..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// A download's `Range` header against files of several sizes (the fuzzer's first eight bytes
/// pick one more): a range that is served lies inside the file.
pub fn range(data: &[u8]) {
    let (size, header) = match data.split_first_chunk::<8>() {
        Some((size, rest)) => (u64::from_le_bytes(*size), rest),
        None => (0, data),
    };
    let header = String::from_utf8_lossy(header);
    for size in [0, 1, 2, 1000, u64::MAX, size] {
        if let Ok(Some(range)) = transfer::range_of(&header, size) {
            assert!(
                range.first <= range.last && range.last < size,
                "{header:?} on {size} bytes gave {range:?}"
            );
        }
    }
    // The file's name goes back out in `Content-Disposition`, whatever it is.
    let value = transfer::disposition("attachment", &header);
    let text = value.to_str().expect("the header is ASCII");
    assert!(text.starts_with("attachment"));
}

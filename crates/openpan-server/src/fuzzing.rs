//! Entry points for the fuzz targets in `fuzz/` and for the test that replays their corpus on
//! stable Rust: the HTTP-level parsers of the upload and download URLs, which read bytes and
//! headers from anyone holding a URL. A panic or a broken property is the bug. Not part of the
//! API.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::transfer;

/// A body that arrives in the given pieces, each after a wait, the way a socket delivers it:
/// the parser has to resume at every cut, wherever a boundary or header falls.
struct Trickle {
    pieces: VecDeque<Bytes>,
    waited: bool,
}

impl Stream for Trickle {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if !self.waited {
            self.waited = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.waited = false;
        Poll::Ready(self.pieces.pop_front().map(Ok))
    }
}

/// Runs `future` to its end on this thread. Every wait in a [`Trickle`] is over at the next
/// poll, so a future still waiting after many polls is stuck: that is a bug too.
fn finish<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("the body's parser never finishes");
}

/// The bytes of the `file` part, or the refusal.
fn received(content_type: &str, pieces: Vec<Bytes>) -> Result<Vec<u8>, crate::ApiError> {
    let body = Trickle {
        pieces: pieces.into(),
        waited: false,
    };
    finish(async {
        let mut part = transfer::file_part(content_type, body).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            match chunk {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(_) => return Err(crate::ApiError::field("file", "incomplete")),
            }
        }
        Ok(bytes)
    })
}

/// The body of an upload URL. With an even first byte, the rest is a well-formed form around
/// the fuzzer's bytes, cut into pieces of a length the second byte picks: the part must come
/// out byte for byte. With an odd one, the next line is the `Content-Type` and the rest any
/// body, cut where the fuzzer put `\0\0`: it is refused as `file` or read, never a panic.
pub fn multipart(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Some((&cut, payload)) = rest.split_first() else {
            return;
        };
        const BOUNDARY: &[u8] = b"fuzzBoundary7";
        if payload.windows(BOUNDARY.len()).any(|w| w == BOUNDARY) {
            return;
        }
        let mut body = b"--fuzzBoundary7\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{}\r\n".to_vec();
        body.extend_from_slice(b"--fuzzBoundary7\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n");
        body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(payload);
        body.extend_from_slice(b"\r\n--fuzzBoundary7--\r\n");
        let size = usize::from(cut) + 1;
        let pieces = body.chunks(size).map(Bytes::copy_from_slice).collect();
        let got = received("multipart/form-data; boundary=fuzzBoundary7", pieces);
        assert_eq!(got.as_deref().ok(), Some(payload), "cut every {size} bytes");
        return;
    }
    let (content_type, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(at) => (String::from_utf8_lossy(&rest[..at]).into_owned(), &rest[at + 1..]),
        None => (String::from_utf8_lossy(rest).into_owned(), &[][..]),
    };
    let pieces: Vec<Bytes> = split_pieces(body).map(Bytes::copy_from_slice).collect();
    match received(&content_type, pieces) {
        Ok(bytes) => assert!(bytes.len() <= body.len(), "the part cannot hold more than the body"),
        Err(error) => assert!(
            error.code == openpan_types::ErrorCode::RequestDataInvalid
                && error.fields.iter().all(|(field, _)| field == "file"),
            "refused as {error:?}"
        ),
    }
}

fn split_pieces(body: &[u8]) -> impl Iterator<Item = &[u8]> {
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

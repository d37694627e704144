//! Reads what a handler left of a request body before the answer goes out.
//!
//! A handler that refuses a request early (a bad multipart field, an expired upload URL, a
//! body over the limit) drops the body unread. The connection is then closed with bytes still
//! in its receive buffer, which the kernel answers with a reset, and a load balancer
//! streaming the body to the node (nginx with `proxy_request_buffering off`) may lose the
//! answer to that reset and tell the client 502 instead. So the rest of a refused body is
//! read and thrown away first, up to a bound: a client that keeps sending gigabytes after
//! being refused gets its connection closed as before. A body the handler never touched and
//! the client has not started sending (`Expect: 100-continue`) is left alone: reading it would
//! only invite the client to send what is refused.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http_body_util::BodyExt;

/// Bytes of a left-over body read at most before answering.
const DRAIN_BYTES: u64 = 8 << 20;
/// How long reading a left-over body may delay the answer.
const DRAIN_TIME: Duration = Duration::from_secs(2);

/// The request body, shared between the handler's view of it and this layer.
struct Shared {
    body: Option<Body>,
    finished: bool,
    /// Whether the handler read anything.
    touched: bool,
}

struct Tracked(Arc<Mutex<Shared>>);

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let Ok(mut shared) = self.0.lock() else {
            return Poll::Ready(Some(Err(axum::Error::new("the request body's lock was poisoned"))));
        };
        shared.touched = true;
        let Some(body) = shared.body.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            shared.finished = true;
        }
        polled
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0
            .lock()
            .ok()
            .and_then(|shared| shared.body.as_ref().map(http_body::Body::size_hint))
            .unwrap_or_default()
    }
}

/// The layer: bodies are tracked, and one the handler dropped unfinished is read to its end
/// (within the bounds) before the answer is returned.
pub async fn unread_body(request: Request, next: Next) -> Response {
    let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|length| length != "0");
    if !has_body {
        return next.run(request).await;
    }
    let expects_continue = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let (parts, body) = request.into_parts();
    let shared = Arc::new(Mutex::new(Shared {
        body: Some(body),
        finished: false,
        touched: false,
    }));
    let response = next
        .run(Request::from_parts(parts, Body::new(Tracked(shared.clone()))))
        .await;
    // Only once the handler let go of the body (nothing reads it after answering).
    let rest = match Arc::try_unwrap(shared) {
        Ok(shared) => shared
            .into_inner()
            .ok()
            .filter(|shared| !shared.finished && (shared.touched || !expects_continue))
            .and_then(|shared| shared.body)
            // More left than would be read: the connection closes either way.
            .filter(|rest| http_body::Body::size_hint(rest).lower() <= DRAIN_BYTES),
        Err(_) => None,
    };
    if let Some(rest) = rest {
        let _ = tokio::time::timeout(DRAIN_TIME, discard(rest)).await;
    }
    response
}

async fn discard(mut body: Body) {
    let mut read = 0u64;
    while read < DRAIN_BYTES {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |data| data.len() as u64),
            _ => return,
        }
    }
}

//! The `Idempotency-Key` layer of the create, upload and copy routes: the first answer to a
//! key is recorded and sent again to a retry of the same request; the key used for a different
//! request is refused. Only successful answers are recorded, so a retry after a failure runs
//! the request again.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use openpan_core::auth::Principal;
use openpan_core::ports::IdempotencyStart;
use openpan_types::ErrorCode;

use crate::AppState;
use crate::error::ApiError;

/// The answers these routes give are small JSON objects.
const MAX_RECORDED_BODY: usize = 1 << 20;

pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(key) = request.headers().get("idempotency-key").cloned() else {
        return next.run(request).await;
    };
    let Ok(key) = key.to_str().map(str::to_owned) else {
        return ApiError::field("Idempotency-Key", "必须是可见ASCII字符").into_response();
    };
    let Some(principal) = request.extensions().get::<Principal>().cloned() else {
        return ApiError::new(ErrorCode::Unauthorized).into_response();
    };
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(_) => return ApiError::field("body", "无法读取请求体").into_response(),
    };
    let request_line = format!(
        "{} {}",
        parts.method,
        parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or_default()
    );
    let start = state
        .core
        .begin_idempotent(&principal, &key, &request_line, &body)
        .await;
    match start {
        Err(err) => ApiError::from(err).into_response(),
        Ok(IdempotencyStart::Mismatch) => ApiError::field("Idempotency-Key", "已用于另一个请求").into_response(),
        Ok(IdempotencyStart::InFlight) => ApiError::field("Idempotency-Key", "相同的请求正在处理中").into_response(),
        Ok(IdempotencyStart::Replay { status, body }) => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        Ok(IdempotencyStart::Fresh) => {
            let response = next.run(Request::from_parts(parts, Body::from(body))).await;
            if !response.status().is_success() {
                if let Err(err) = state.core.abandon_idempotent(&principal, &key).await {
                    tracing::warn!(error = ?err, "could not release an idempotency key");
                }
                return response;
            }
            let (parts, body) = response.into_parts();
            let body = match axum::body::to_bytes(body, MAX_RECORDED_BODY).await {
                Ok(body) => body,
                Err(_) => return ApiError::new(ErrorCode::InternalServerError).into_response(),
            };
            if let Err(err) = state
                .core
                .finish_idempotent(&principal, &key, parts.status.as_u16(), &body)
                .await
            {
                // The work is done and answered; only a retry would repeat it.
                tracing::warn!(error = ?err, "could not record an idempotent answer");
            }
            Response::from_parts(parts, Body::from(body))
        }
    }
}

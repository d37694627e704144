//! Extractors that accept what the official SDKs send and reject everything else with a
//! `request_data_invalid` naming the field.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use openpan_core::auth::Principal;
use openpan_types::ErrorCode;

use crate::error::ApiError;

/// The authenticated caller, put in place by the `/api/v2` auth layer.
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Principal>().cloned().map(Caller).ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))
    }
}

/// Query parameters, parsed leniently: values need not be percent-encoded (the Java SDK sends
/// raw UTF-8 and `@`), and the literal text `null` (a Java null) means "not given".
#[derive(Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: &str) -> Self {
        let mut map = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if value != "null" {
                map.entry(key.into_owned()).or_insert_with(|| value.into_owned());
            }
        }
        Self(map)
    }

    /// A trimmed, non-empty string, if given.
    pub fn opt_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|value| value.trim()).filter(|value| !value.is_empty())
    }

    pub fn str(&self, name: &str) -> Result<&str, ApiError> {
        self.opt_str(name).ok_or_else(|| ApiError::field(name, "不能为空"))
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.opt_str(name).map(|value| parse_i64(name, value)).transpose()
    }
}

pub fn parse_i64(name: &str, value: &str) -> Result<i64, ApiError> {
    value.trim().parse::<i64>().map_err(|_| ApiError::field(name, "必须是整数"))
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Params::parse(parts.uri.query().unwrap_or_default()))
    }
}

/// A path segment that must be an int64 id.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::field("id", "必须是整数"))?;
        parse_i64("id", &raw).map(PathId)
    }
}

/// A JSON body. Absent, empty and `null` bodies mean "no arguments" (the Java SDK sends
/// `null`, the Python and PHP SDKs nothing); any Content-Type is accepted, since SDKs differ.
/// Malformed JSON and wrong types answer `request_data_invalid` naming the field.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::RequestBodyTooLarge)
            } else {
                ApiError::field("body", "无法读取请求体")
            }
        })?;
        let text = bytes.trim_ascii();
        if text.is_empty() || text == b"null" {
            return Ok(JsonBody(T::default()));
        }
        let deserializer = &mut serde_json::Deserializer::from_slice(text);
        match serde_path_to_error::deserialize(deserializer) {
            Ok(value) => Ok(JsonBody(value)),
            Err(err) => {
                let path = err.path().to_string();
                let field = if path == "." { "body".to_owned() } else { path };
                let message = if err.inner().is_syntax() || err.inner().is_eof() { "JSON格式错误" } else { "类型错误" };
                Err(ApiError::field(field, message))
            }
        }
    }
}

/// Deserializes an optional int64 given as a number or a numeric string (the SDKs and the
/// platform document send both); `null` is "not given".
pub fn lenient_i64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum NumberOrString {
        Number(i64),
        Text(String),
    }
    match Option::<NumberOrString>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrString::Number(number)) => Ok(Some(number)),
        Some(NumberOrString::Text(text)) => {
            text.trim().parse().map(Some).map_err(|_| serde::de::Error::custom("expected an integer"))
        }
    }
}

use serde::Deserialize;

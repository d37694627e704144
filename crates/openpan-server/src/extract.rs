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
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))
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
        given(&self.0, name)
    }

    pub fn str(&self, name: &str) -> Result<&str, ApiError> {
        self.opt_str(name).ok_or_else(|| ApiError::field(name, "不能为空"))
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.opt_str(name).map(|value| parse_i64(name, value)).transpose()
    }

    /// `true`/`false` (or `1`/`0`), as the SDKs put booleans in query strings.
    pub fn opt_bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.opt_str(name) {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(_) => Err(ApiError::field(name, "必须是true或false")),
        }
    }
}

pub fn parse_i64(name: &str, value: &str) -> Result<i64, ApiError> {
    value
        .trim()
        .parse::<i64>()
        .map_err(|_| ApiError::field(name, "必须是整数"))
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    /// Control characters are never meaningful in a parameter (and PostgreSQL refuses NUL).
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let params = Params::parse(parts.uri.query().unwrap_or_default());
        if let Some((name, _)) = params.0.iter().find(|(_, value)| value.chars().any(char::is_control)) {
            return Err(ApiError::field(name.clone(), "不能包含控制字符"));
        }
        Ok(params)
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

/// The client's address, as the per-client budgets count it.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(&parts.extensions)))
    }
}

/// The peer's IP address from a request's extensions (`unknown` without one).
pub fn client_addr(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
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
        // The platform document's own examples drop a comma between members or leave one
        // before `}`; integrations copied them, so such bodies are mended rather than refused.
        let mended = std::str::from_utf8(text)
            .ok()
            .filter(|text| serde_json::from_str::<serde::de::IgnoredAny>(text).is_err())
            .and_then(mend_json);
        let text = mended.as_deref().map(str::as_bytes).unwrap_or(text);
        if escapes_nul(text) {
            return Err(ApiError::field(nul_field(text), NUL_MESSAGE));
        }
        let deserializer = &mut serde_json::Deserializer::from_slice(text);
        match serde_path_to_error::deserialize(deserializer) {
            Ok(value) => Ok(JsonBody(value)),
            Err(err) => {
                let path = err.path().to_string();
                let field = if path == "." || path == "?" {
                    "body".to_owned()
                } else {
                    path
                };
                let message = if err.inner().is_syntax() || err.inner().is_eof() {
                    "JSON格式错误"
                } else {
                    "类型错误"
                };
                Err(ApiError::field(field, message))
            }
        }
    }
}

const NUL_MESSAGE: &str = "不能包含空字符";

/// Whether JSON text holds an escaped NUL (`\u0000`): no field means one, and PostgreSQL
/// cannot store it in text (SQLite can), so it is refused alike on both.
fn escapes_nul(json: &[u8]) -> bool {
    let mut bytes = json.iter().enumerate();
    while let Some((at, byte)) = bytes.next() {
        if *byte == b'\\' {
            if json[at + 1..].starts_with(b"u0000") {
                return true;
            }
            // The escaped character (a backslash among them) is not the start of an escape.
            bytes.next();
        }
    }
    false
}

/// The top-level member holding the NUL, for the error's `field`.
fn nul_field(json: &[u8]) -> String {
    fn holds(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(text) => text.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(holds),
            serde_json::Value::Object(members) => members.iter().any(|(key, value)| key.contains('\0') || holds(value)),
            _ => false,
        }
    }
    match serde_json::from_slice::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(members)) => members
            .iter()
            .find(|(key, value)| key.contains('\0') || holds(value))
            .map_or_else(|| "body".to_owned(), |(key, _)| key.clone()),
        _ => "body".to_owned(),
    }
}

/// `text` with the two slips of hand-written JSON fixed: a missing comma between members on
/// separate lines, and a trailing comma before `}` or `]`. `None` when there was nothing to fix.
pub fn mend_json(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_string = false;
    let mut escaped = false;
    let mut changed = false;
    // Whether the last significant character ended a value.
    let mut after_value = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                after_value = true;
            }
            continue;
        }
        match c {
            '"' => {
                if after_value && out.trim_end().len() < out.len() && out[out.trim_end().len()..].contains('\n') {
                    let trimmed = out.trim_end().len();
                    out.insert(trimmed, ',');
                    changed = true;
                }
                in_string = true;
                out.push(c);
            }
            ',' => {
                let rest: String = chars.clone().take_while(|c| c.is_whitespace()).collect();
                let next = chars.clone().nth(rest.chars().count());
                if matches!(next, Some('}' | ']')) {
                    changed = true;
                } else {
                    out.push(c);
                }
                after_value = false;
            }
            '}' | ']' => {
                out.push(c);
                after_value = true;
            }
            '{' | '[' | ':' => {
                out.push(c);
                after_value = false;
            }
            c if c.is_whitespace() => out.push(c),
            c => {
                out.push(c);
                after_value = true;
            }
        }
    }
    changed.then_some(out)
}

/// Deserializes an optional bool given as a bool or as `"true"`/`"false"`; `null` is "not given".
pub fn lenient_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum BoolOrString {
        Bool(bool),
        Number(i64),
        Text(String),
    }
    match Option::<BoolOrString>::deserialize(deserializer)? {
        None => Ok(None),
        Some(BoolOrString::Bool(value)) => Ok(Some(value)),
        Some(BoolOrString::Number(number)) => Ok(Some(number != 0)),
        Some(BoolOrString::Text(text)) => match text.trim() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom("expected a boolean")),
        },
    }
}

/// Deserializes an optional string given as a string or a number (integrators' ids come as
/// both); `null` is "not given".
pub fn lenient_string<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        Text(String),
        Number(i64),
    }
    Ok(
        Option::<StringOrNumber>::deserialize(deserializer)?.map(|value| match value {
            StringOrNumber::Text(text) => text,
            StringOrNumber::Number(number) => number.to_string(),
        }),
    )
}

/// Deserializes an optional int64 given as a number or a numeric string (the SDKs and the
/// platform document send both); `null` is "not given".
pub fn lenient_i64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    lenient_number(deserializer, "expected an integer")
}

/// Deserializes an optional number given as a number or a numeric string; `null` is "not
/// given".
pub fn lenient_f64<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    lenient_number(deserializer, "expected a number")
}

fn lenient_number<'de, D, T>(deserializer: D, expected: &'static str) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + std::str::FromStr,
{
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum NumberOrString<T> {
        Number(T),
        Text(String),
    }
    match Option::<NumberOrString<T>>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrString::Number(number)) => Ok(Some(number)),
        Some(NumberOrString::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(expected)),
    }
}

/// Ids given as a JSON array whose entries are numbers or numeric strings; anything else is
/// `field`'s error. Absent is empty.
pub fn id_list(field: &str, values: Option<&[serde_json::Value]>) -> Result<Vec<i64>, ApiError> {
    values
        .unwrap_or_default()
        .iter()
        .map(|value| match value {
            serde_json::Value::Number(number) => number.as_i64(),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        })
        .map(|id| id.ok_or_else(|| ApiError::field(field, "必须是整数数组")))
        .collect()
}

/// A typed id: `file_{id}` or `folder_{id}`.
pub fn typed_id(raw: &str) -> Option<(openpan_core::drive::ItemKind, i64)> {
    use openpan_core::drive::ItemKind;
    let raw = raw.trim();
    let (kind, id) = if let Some(id) = raw.strip_prefix("file_") {
        (ItemKind::File, id)
    } else {
        (ItemKind::Folder, raw.strip_prefix("folder_")?)
    };
    id.parse().ok().filter(|id| *id > 0).map(|id| (kind, id))
}

use serde::Deserialize;

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn an_escaped_nul_is_found_but_an_escaped_backslash_before_u0000_is_text() {
        assert!(escapes_nul(br#"{"content": "a\u0000b"}"#));
        assert!(escapes_nul(br#"{"a\u0000": 1}"#));
        assert!(escapes_nul(br#"["\\\u0000"]"#));
        assert!(!escapes_nul(br#"{"content": "a\\u0000b"}"#));
        assert!(!escapes_nul(br#"{"content": "\u0001"}"#));
        assert!(!escapes_nul(br#"{"content": "\\"}"#));
        assert_eq!(nul_field(br#"{"ok": "x", "content": ["y", "\u0000"]}"#), "content");
    }

    #[derive(Debug, Default, serde::Deserialize)]
    struct Args {
        name: Option<String>,
        #[serde(default, deserialize_with = "lenient_i64")]
        parent_id: Option<i64>,
    }

    async fn echo(JsonBody(args): JsonBody<Args>) -> String {
        format!("{:?}|{:?}", args.name, args.parent_id)
    }

    fn router() -> Router {
        Router::new()
            .route("/echo", post(echo))
            .layer(axum::middleware::from_fn(crate::context::with_envelope))
            .layer(axum::middleware::from_fn(crate::context::with_context))
    }

    async fn call(body: &'static str) -> (u16, String) {
        let request = Request::post("/echo")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = router().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn absent_empty_null_and_empty_object_bodies_mean_no_arguments() {
        for body in ["", "null", " null\n", "{}"] {
            assert_eq!(call(body).await, (200, "None|None".to_owned()), "{body:?}");
        }
    }

    #[tokio::test]
    async fn nulls_are_absent_and_numeric_strings_are_numbers() {
        assert_eq!(
            call(r#"{"name":null,"parent_id":"501002634212"}"#).await,
            (200, "None|Some(501002634212)".to_owned())
        );
        assert_eq!(
            call(r#"{"name":"a","parent_id":7}"#).await,
            (200, "Some(\"a\")|Some(7)".to_owned())
        );
    }

    #[tokio::test]
    async fn the_platform_documents_slips_are_mended() {
        assert_eq!(
            call("{\n\"name\": \"new folders\"\n\"parent_id\": 75000441887\n}").await,
            (200, "Some(\"new folders\")|Some(75000441887)".to_owned())
        );
        assert_eq!(
            call("{\n\"name\": \"报表v1.0.pdf\",\n\"parent_id\": \"7\",\n}").await,
            (200, "Some(\"报表v1.0.pdf\")|Some(7)".to_owned())
        );
        assert_eq!(mend_json(r#"{"a": "x,\"}"}"#), None);
    }

    #[tokio::test]
    async fn malformed_json_and_wrong_types_name_the_field() {
        for (body, field) in [
            ("{bad", "body"),
            (r#"{"parent_id":"x"}"#, "parent_id"),
            (r#"{"name":5}"#, "name"),
        ] {
            let (status, text) = call(body).await;
            assert_eq!(status, 400, "{body}");
            let envelope: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(envelope["errors"][0]["code"], "request_data_invalid");
            assert_eq!(envelope["errors"][0]["field"], field, "{body}: {text}");
            assert!(envelope["request_id"].is_string());
        }
    }

    async fn boom() -> &'static str {
        panic!("secret detail")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_a_generic_500_envelope() {
        let router = Router::new()
            .route("/boom", post(boom))
            .layer(tower_http::catch_panic::CatchPanicLayer::new())
            .layer(axum::middleware::from_fn(crate::context::with_envelope));
        let response = router
            .oneshot(Request::post("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(
            text.contains("internal_server_error") && !text.contains("secret detail"),
            "{text}"
        );
    }
}

/// The parameter `name`, trimmed, unless it is missing or blank.
pub(crate) fn given<'a>(parameters: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    parameters
        .get(name)
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

/// Query string and form body together, as the token endpoints and the older dialects take
/// them (their demos put everything in the query). The body wins when both name a parameter.
pub(crate) fn query_and_form(query: Option<&str>, body: &[u8]) -> std::collections::HashMap<String, String> {
    let mut parameters = std::collections::HashMap::new();
    for source in [query.unwrap_or_default().as_bytes(), body] {
        for (key, value) in url::form_urlencoded::parse(source) {
            parameters.insert(key.into_owned(), value.into_owned());
        }
    }
    parameters
}

/// A JSON member holding a list of strings: an array, or one string (a list of one); absent
/// or null is `None`. Anything else is the field's `request_data_invalid`.
pub(crate) fn string_list(
    field: &str,
    value: Option<serde_json::Value>,
) -> Result<Option<Vec<String>>, crate::error::ApiError> {
    use serde_json::Value;
    let wrong = || crate::error::ApiError::field(field, "类型错误");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(one)) => Ok(Some(vec![one])),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(wrong()),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(wrong()),
    }
}

/// Why an `Authorization` header is no usable Basic credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BasicError {
    /// Another scheme (a bearer token, say).
    OtherScheme,
    /// `Basic` with something that is not base64 of `id:secret`.
    Malformed,
}

/// The client credentials of an HTTP Basic header; `None` without an `Authorization` header.
pub(crate) fn basic_credentials(
    headers: &axum::http::HeaderMap,
) -> Result<Option<openpan_core::oauth::ClientCredentials>, BasicError> {
    use base64::Engine;
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| BasicError::Malformed)?.trim();
    let (scheme, encoded) = text.split_once(' ').ok_or(BasicError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(BasicError::OtherScheme);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(BasicError::Malformed)?;
    let (client_id, client_secret) = decoded.split_once(':').ok_or(BasicError::Malformed)?;
    Ok(Some(openpan_core::oauth::ClientCredentials {
        client_id: client_id.to_owned(),
        client_secret: client_secret.to_owned(),
    }))
}

/// The parameters of a request in the older dialects' style: the query string merged with a
/// form or JSON body (a JSON body's nested values kept as their JSON text, key order included;
/// `null` members dropped). Body parameters win over the query's.
pub(crate) fn dialect_params(
    query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<HashMap<String, String>, ApiError> {
    let is_json = content_type.is_some_and(|value| value.contains("json"));
    let mut params = query_and_form(query, if is_json { &[] } else { body });
    if is_json && !body.trim_ascii().is_empty() {
        let object: HashMap<String, Box<serde_json::value::RawValue>> =
            serde_json::from_slice(body).map_err(|_| ApiError::field("body", "不是JSON对象"))?;
        for (key, value) in object {
            let raw = value.get();
            let text = match serde_json::from_str::<Option<String>>(raw) {
                Ok(Some(text)) => text,
                Ok(None) => continue,
                // A nested value stays JSON text, where a NUL is still an escape.
                Err(_) if escapes_nul(raw.as_bytes()) => return Err(ApiError::field(key, NUL_MESSAGE)),
                Err(_) => raw.to_owned(),
            };
            params.insert(key, text);
        }
    }
    if let Some((name, _)) = params
        .iter()
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
    {
        return Err(ApiError::field(name.clone(), NUL_MESSAGE));
    }
    Ok(params)
}

/// Parameters from the query string and a form or JSON body, for `/api/v1`.
pub struct Args(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequest<S> for Args {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(ErrorCode::RequestBodyTooLarge)
                } else {
                    ApiError::field("body", "无法读取请求体")
                }
            })?;
        let content_type = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        Ok(Args(dialect_params(parts.uri.query(), content_type, &bytes)?))
    }
}

impl Args {
    /// A trimmed, non-empty value, if given.
    pub fn opt(&self, name: &str) -> Option<&str> {
        given(&self.0, name)
    }

    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.opt(name).ok_or_else(|| ApiError::field(name, "不能为空"))
    }

    pub fn i64(&self, name: &str) -> Result<i64, ApiError> {
        parse_i64(name, self.required(name)?)
    }

    /// The parameters as a `/api/v2` JSON body of type `T`: values that look like JSON
    /// arrays or objects are taken as such, the rest as strings (the bodies' fields accept
    /// numbers and flags as strings).
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let object: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(key, value)| {
                let trimmed = value.trim();
                let parsed = if trimmed.starts_with(['[', '{']) {
                    serde_json::from_str(trimmed).unwrap_or_else(|_| serde_json::Value::String(value.clone()))
                } else {
                    serde_json::Value::String(value.clone())
                };
                (key.clone(), parsed)
            })
            .collect();
        serde_path_to_error::deserialize(serde_json::Value::Object(object)).map_err(|err| {
            let path = err.path().to_string();
            ApiError::field(if path == "." { "body".to_owned() } else { path }, "类型错误")
        })
    }

    /// The parameters as `/api/v2` query parameters.
    pub fn params(&self) -> Params {
        Params(
            self.0
                .iter()
                .filter(|(_, value)| value.as_str() != "null")
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        )
    }

    /// Whether `name` was given at all, even empty (an empty value clears a setting).
    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

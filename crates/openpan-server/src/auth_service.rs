//! The auth service dialect (`/apis/rest/...`): password login and logout for user access
//! tokens, `authService/authorize` for single-use auth codes, and the user and company
//! information an auth code opens. Each path ends in `/json` or `/xml`, the answer's format.
//!
//! A facade: it reads parameters (query string and form body), turns the service's failures
//! into its numeric codes and renders `{"data", "code", "message"}`; the rules are the core's.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use openpan_core::Error;
use openpan_core::auth_service::{CodeScope, Stamp};
use openpan_core::error::AuthServiceFailure;
use openpan_core::services::{AuthServiceCall, CompanyInfo};
use openpan_types::{AuthCodeData, AuthCompanyData, AuthServiceBody, AuthServiceCode, AuthUserData, UserTokenData};

use crate::AppState;
use crate::error::error_chain;
use crate::extract::{basic_credentials, given, query_and_form};

/// The service takes small forms only.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The service's operations under `/apis/rest`, described (see `openapi`) and served from the
/// same list.
pub(crate) fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authorize))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(user_info))
        .routes(routes!(company_info))
}

/// `{format}`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum AnswerFormat {
    Json,
    Xml,
}

/// A password login.
#[derive(utoipa::ToSchema)]
#[schema(as = AuthServiceLogin)]
#[allow(dead_code)]
struct Login {
    /// An email or a phone number.
    username: String,
    password: String,
}

/// A user token to end.
#[derive(utoipa::ToSchema)]
#[schema(as = AuthServiceLogout)]
#[allow(dead_code)]
struct Logout {
    access_token: String,
}

/// An answer without data: `logout`'s, or a refusal.
#[derive(utoipa::ToSchema)]
#[schema(as = AuthServiceEmpty)]
#[allow(dead_code)]
struct Empty {
    /// Always null (an empty element in XML).
    #[schema(value_type = Option<Object>)]
    data: Option<()>,
    /// 200 on success, the service's code otherwise.
    code: i64,
    message: String,
}

pub fn routes() -> Router<AppState> {
    let (service, _) = documented().split_for_parts();
    let service = service.fallback(unknown_api).method_not_allowed_fallback(unknown_api);
    Router::new().nest("/apis/rest", service)
}

/// The answer's format, from the path's last segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// A refusal in the service's terms.
#[derive(Debug)]
struct Failure {
    code: AuthServiceCode,
    /// Which parameter, or what else, to add to the code's message.
    detail: Option<String>,
    retry_after: Option<u64>,
}

impl Failure {
    fn new(code: AuthServiceCode) -> Self {
        Self {
            code,
            detail: None,
            retry_after: None,
        }
    }

    fn about(code: AuthServiceCode, detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..Self::new(code)
        }
    }
}

impl From<Error> for Failure {
    fn from(err: Error) -> Self {
        use AuthServiceCode as Code;
        match err {
            Error::AuthService(failure) => Failure::new(match failure {
                AuthServiceFailure::UnknownClient => Code::ClientUnknown,
                AuthServiceFailure::BadClientCredentials => Code::BasicAuthInvalid,
                AuthServiceFailure::ClientNotAllowed => Code::ClientNotAllowed,
                AuthServiceFailure::AccessTokenExpired => Code::AccessTokenExpired,
                AuthServiceFailure::AuthCodeUnknown => Code::AuthCodeUnknown,
                AuthServiceFailure::AuthCodeNotPermitted => Code::AuthCodeNotPermitted,
                AuthServiceFailure::AuthCodeExpired => Code::AuthCodeExpired,
                AuthServiceFailure::AuthCodeOtherClient => Code::AuthCodeOtherClient,
                AuthServiceFailure::AuthCodeOtherUser => Code::AuthCodeOtherUser,
                AuthServiceFailure::WrongPassword => {
                    return Failure::about(Code::Unauthorized, "用户名或密码错误");
                }
                AuthServiceFailure::StampInvalid => return Failure::about(Code::ParameterInvalid, "t_/p_"),
            }),
            Error::InvalidToken | Error::Unauthenticated | Error::UserNotActive => Failure::new(Code::Unauthorized),
            Error::Invalid(fields) => {
                let names: Vec<String> = fields.into_iter().map(|field| field.field).collect();
                Failure::about(Code::ParameterInvalid, names.join(","))
            }
            Error::RateLimited { retry_after_secs } => Failure {
                retry_after: Some(retry_after_secs),
                ..Failure::about(Code::BadRequest, "尝试次数过多，请稍后再试")
            },
            Error::NotFound { .. } => Failure::new(Code::Unauthorized),
            Error::Unavailable(source) => {
                tracing::error!(error = %error_chain(&*source), "auth service storage unavailable");
                Failure {
                    retry_after: Some(1),
                    ..Failure::new(Code::InternalError)
                }
            }
            Error::Internal(source) => {
                tracing::error!(error = %error_chain(&*source), "auth service internal error");
                Failure::new(Code::InternalError)
            }
            Error::Conflict(_) | Error::PermissionDenied | Error::OAuth(_) | Error::Refused(_) => {
                Failure::new(Code::BadRequest)
            }
        }
    }
}

/// A request's parameters, headers and peer.
struct Input {
    params: HashMap<String, String>,
    headers: HeaderMap,
    peer: Option<SocketAddr>,
}

impl Input {
    /// A parameter that must be there and not be blank: 400 when missing, 602 when empty.
    fn required(&self, name: &str) -> Result<&str, Failure> {
        let value = self
            .params
            .get(name)
            .ok_or_else(|| Failure::about(AuthServiceCode::BadRequest, name))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(Failure::about(AuthServiceCode::ContentEmpty, name));
        }
        Ok(value)
    }

    fn optional(&self, name: &str) -> Option<&str> {
        given(&self.params, name)
    }

    fn number(&self, name: &str) -> Result<i64, Failure> {
        self.required(name)?
            .parse()
            .map_err(|_| Failure::about(AuthServiceCode::ParameterInvalid, name))
    }

    /// The app's Basic credentials, the token and the stamp every app-facing call carries.
    fn service_call(&self) -> Result<AuthServiceCall, Failure> {
        let credentials = match basic_credentials(&self.headers) {
            Ok(Some(credentials)) => credentials,
            _ => return Err(Failure::new(AuthServiceCode::BasicAuthInvalid)),
        };
        Ok(AuthServiceCall {
            credentials,
            client_id: self.optional("client_id").map(str::to_owned),
            access_token: self.required("access_token")?.to_owned(),
            stamp: Stamp {
                t: self.number("t_")?,
                p: self.number("p_")?,
            },
        })
    }
}

fn format_of(raw: &str) -> Option<Format> {
    match raw {
        "json" => Some(Format::Json),
        "xml" => Some(Format::Xml),
        _ => None,
    }
}

/// Charges the per-address budget of the credential endpoints, reads the request and runs
/// `work`, rendering whatever comes out in the asked format.
async fn answer<T, F, Fut>(state: AppState, format: &str, request: Request, work: F) -> Response
where
    T: Serialize,
    F: FnOnce(AppState, Input) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let Some(format) = format_of(format) else {
        return render::<()>(
            Format::Json,
            Err(Failure::about(AuthServiceCode::ClientNotSupported, "json|xml")),
        );
    };
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let decision = state.charge_token_endpoint(peer).await;
    let mut response = if decision.allowed {
        let (parts, body) = request.into_parts();
        match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(body) => {
                let input = Input {
                    params: query_and_form(parts.uri.query(), &body),
                    headers: parts.headers,
                    peer,
                };
                render(format, work(state, input).await)
            }
            Err(_) => render::<()>(format, Err(Failure::about(AuthServiceCode::BadRequest, "body"))),
        }
    } else {
        let failure = Failure {
            retry_after: Some(decision.retry_after_secs),
            ..Failure::about(AuthServiceCode::BadRequest, "请求过于频繁")
        };
        let mut response = render::<()>(format, Err(failure));
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        response
    };
    crate::ratelimit::stamp(response.headers_mut(), &decision);
    response
}

fn render<T: Serialize>(format: Format, outcome: Result<T, Failure>) -> Response {
    let (status, body, retry_after) = match outcome {
        Ok(data) => (
            StatusCode::OK,
            AuthServiceBody {
                data: Some(data),
                code: AuthServiceCode::Ok.code(),
                message: AuthServiceCode::Ok.message().to_owned(),
            },
            None,
        ),
        Err(failure) => {
            let status = StatusCode::from_u16(failure.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let status = match failure.retry_after {
                Some(_) if failure.code != AuthServiceCode::InternalError => StatusCode::TOO_MANY_REQUESTS,
                Some(_) => StatusCode::SERVICE_UNAVAILABLE,
                None => status,
            };
            let message = match failure.detail {
                Some(detail) => format!("{}: {detail}", failure.code.message()),
                None => failure.code.message().to_owned(),
            };
            let body = AuthServiceBody {
                data: None,
                code: failure.code.code(),
                message,
            };
            (status, body, failure.retry_after)
        }
    };
    let mut response = match format {
        Format::Json => (status, Json(&body)).into_response(),
        Format::Xml => match quick_xml::se::to_string_with_root("response", &body) {
            Ok(xml) => (
                status,
                [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>{xml}"),
            )
                .into_response(),
            Err(err) => {
                tracing::error!(error = %err, "auth service answer does not serialize as XML");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
    response
}

async fn unknown_api(request: Request) -> Response {
    let format = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .and_then(format_of)
        .unwrap_or(Format::Json);
    let mut response = render::<()>(format, Err(Failure::about(AuthServiceCode::BadRequest, "unknown API")));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// `authService/login`: `username` (email or phone) and `password` → a user access token.
#[utoipa::path(post, path = "/authService/login/{format}", tag = "auth service", security(()),
    params(("format" = inline(AnswerFormat), Path, description = "The answer's format")),
    request_body(content = Login, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, content((AuthServiceBody<UserTokenData> = "application/json"), (AuthServiceBody<UserTokenData> = "application/xml"))), (status = "4XX", description = "A refusal: `data` is null, `code` the service's", content((Empty = "application/json"), (Empty = "application/xml")))))]
async fn login(State(state): State<AppState>, Path(format): Path<String>, request: Request) -> Response {
    // URLs end up in access logs and browser histories; a password belongs in the body.
    let password_in_url = request
        .uri()
        .query()
        .is_some_and(|query| url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "password"));
    answer(state, &format, request, |state, input| async move {
        if password_in_url {
            return Err(Failure::about(AuthServiceCode::BadRequest, "password须放在请求体中"));
        }
        let username = input.required("username")?;
        // Spaces may be part of a password: only a missing or empty one is refused here.
        let password = input
            .params
            .get("password")
            .ok_or_else(|| Failure::about(AuthServiceCode::BadRequest, "password"))?;
        if password.is_empty() {
            return Err(Failure::about(AuthServiceCode::ContentEmpty, "password"));
        }
        let client = input
            .peer
            .map_or_else(|| "unknown".to_owned(), |peer| peer.ip().to_string());
        let token = state.core.password_login(username, password, &client).await?;
        Ok(UserTokenData {
            access_token: token.access_token,
            expires_in: token.expires_in,
            user_id: token.user.user.id.0,
        })
    })
    .await
}

/// `authService/logout`: the `access_token` stops working.
#[utoipa::path(post, path = "/authService/logout/{format}", tag = "auth service", security(()),
    params(("format" = inline(AnswerFormat), Path, description = "The answer's format")),
    request_body(content = Logout, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, content((Empty = "application/json"), (Empty = "application/xml"))), (status = "4XX", description = "A refusal: `data` is null, `code` the service's", content((Empty = "application/json"), (Empty = "application/xml")))))]
async fn logout(State(state): State<AppState>, Path(format): Path<String>, request: Request) -> Response {
    answer(state, &format, request, |state, input| async move {
        let access_token = input.required("access_token")?;
        state.core.revoke_user_token(access_token).await?;
        Ok(None::<()>)
    })
    .await
}

/// `authService/authorize`: an auth code for the app and the token's user. `scope`
/// (`user_info`, `company_info`; both when absent) limits what it opens.
#[utoipa::path(method(get, post), path = "/authService/authorize/{format}", tag = "auth service", security(("client" = [])),
    params(("format" = inline(AnswerFormat), Path, description = "The answer's format"), ("client_id" = Option<String>, Query, description = "The app's client id (also in the Basic header)"), ("access_token" = String, Query, description = "The user's access token"), ("t_" = i64, Query, description = "The call's time, epoch milliseconds"), ("p_" = i64, Query, description = "The call's stamp, as the document computes it"), ("scope" = Option<String>, Query, description = "`user_info`, `company_info` or both, comma-separated (default both)")),
    responses((status = 200, content((AuthServiceBody<AuthCodeData> = "application/json"), (AuthServiceBody<AuthCodeData> = "application/xml"))), (status = "4XX", description = "A refusal: `data` is null, `code` the service's", content((Empty = "application/json"), (Empty = "application/xml")))))]
async fn authorize(State(state): State<AppState>, Path(format): Path<String>, request: Request) -> Response {
    answer(state, &format, request, |state, input| async move {
        let call = input.service_call()?;
        let scope = CodeScope::parse(input.optional("scope").unwrap_or_default())?;
        let auth_code = state.core.issue_auth_code(&call, scope).await?;
        Ok(AuthCodeData { auth_code })
    })
    .await
}

/// `userService/getUserInfo`.
#[utoipa::path(method(get, post), path = "/userService/getUserInfo/{format}", tag = "auth service", security(("client" = [])),
    params(("format" = inline(AnswerFormat), Path, description = "The answer's format"), ("client_id" = Option<String>, Query, description = "The app's client id (also in the Basic header)"), ("access_token" = String, Query, description = "The user's access token"), ("t_" = i64, Query, description = "The call's time, epoch milliseconds"), ("p_" = i64, Query, description = "The call's stamp, as the document computes it"), ("auth_code" = String, Query)),
    responses((status = 200, content((AuthServiceBody<AuthUserData> = "application/json"), (AuthServiceBody<AuthUserData> = "application/xml"))), (status = "4XX", description = "A refusal: `data` is null, `code` the service's", content((Empty = "application/json"), (Empty = "application/xml")))))]
async fn user_info(State(state): State<AppState>, Path(format): Path<String>, request: Request) -> Response {
    answer(state, &format, request, |state, input| async move {
        let call = input.service_call()?;
        let found = state.core.auth_code_user(&call, input.required("auth_code")?).await?;
        let user = found.user;
        let avatar = match &user.profile_pic_key {
            Some(key) => format!(
                "{}/api/v2/user/{}/profile_pic_download?profile_pic_key={key}",
                state.public_url, user.id
            ),
            None => String::new(),
        };
        Ok(AuthUserData {
            username: user.login().to_owned(),
            truename: user.name.clone(),
            sex: "3".to_owned(),
            phone: user.phone.clone().unwrap_or_default(),
            is_admin: if user.is_admin { "1" } else { "0" }.to_owned(),
            status: None,
            avatar,
            created: openpan_core::clock::platform_datetime(user.created_at),
            nowtime: state.core.now(),
        })
    })
    .await
}

/// `companyService/getCompanyInfo`.
#[utoipa::path(method(get, post), path = "/companyService/getCompanyInfo/{format}", tag = "auth service", security(("client" = [])),
    params(("format" = inline(AnswerFormat), Path, description = "The answer's format"), ("client_id" = Option<String>, Query, description = "The app's client id (also in the Basic header)"), ("access_token" = String, Query, description = "The user's access token"), ("t_" = i64, Query, description = "The call's time, epoch milliseconds"), ("p_" = i64, Query, description = "The call's stamp, as the document computes it"), ("auth_code" = String, Query)),
    responses((status = 200, content((AuthServiceBody<AuthCompanyData> = "application/json"), (AuthServiceBody<AuthCompanyData> = "application/xml"))), (status = "4XX", description = "A refusal: `data` is null, `code` the service's", content((Empty = "application/json"), (Empty = "application/xml")))))]
async fn company_info(State(state): State<AppState>, Path(format): Path<String>, request: Request) -> Response {
    answer(state, &format, request, |state, input| async move {
        let call = input.service_call()?;
        let info = state
            .core
            .auth_code_company(&call, input.required("auth_code")?)
            .await?;
        Ok(company_data(info, state.core.now()))
    })
    .await
}

fn company_data(info: CompanyInfo, now: i64) -> AuthCompanyData {
    let CompanyInfo { enterprise, profile } = info;
    let expired = enterprise.is_expired(now);
    AuthCompanyData {
        company_name: enterprise.name,
        company_type: profile.company_type,
        tax_number: profile.tax_number,
        province: profile.province,
        city: profile.city,
        zone: profile.zone,
        address: profile.address,
        // The document shows an empty string for an enterprise in service; one whose plan has
        // ended is disabled.
        disable: if expired { "1" } else { "" }.to_owned(),
        tel_phone: profile.tel_phone,
        legal_person_phone: profile.legal_person_phone,
        legal_person_name: profile.legal_person_name,
        created: openpan_core::clock::platform_datetime(enterprise.created_at),
        nowtime: now,
    }
}

//! The OA dialect: tokens for an app's users (`open-api/get-token`, `open-api/refresh-token`,
//! `auth/login-info/refresh`) and lists with search conditions (users, departments, groups, a
//! folder's items, the audit log), served at `/api/…` and under the document's full-path
//! prefix `/eoffice/server/public/api/…`, with CORS preflight on every path.
//!
//! A facade: its tokens are the platform's OAuth2 token pairs (so they work on `/api/v2` too),
//! its errors the platform's codes in `{"status": 0, "errors": […]}`.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use openpan_core::Error;
use openpan_core::audit::StoredEvent;
use openpan_core::auth::Principal;
use openpan_core::clock::platform_datetime;
use openpan_core::criteria::{
    AuditField, Criteria, DepartmentField, Field, GroupField, ItemField, ListRequest, UserField,
};
use openpan_core::drive::Item;
use openpan_core::ids::ItemId;
use openpan_core::model::User;
use openpan_core::oauth::{ClientCredentials, IssuedToken, REFRESH_TOKEN_TTL_SECS};
use openpan_core::org::{Department, Group};
use openpan_types::{
    ErrorCode, Lang, OaAuditLog, OaCurrentUser, OaDepartment, OaError, OaFailure, OaGroup, OaItem, OaList, OaLoginInfo,
    OaSuccess, OaToken, OaUser,
};

use crate::AppState;
use crate::context::RequestContext;
use crate::error::{ApiError, error_items};
use crate::extract::{dialect_params, given};
use crate::ratelimit::ApiClass;

/// The dialect takes small forms and JSON bodies only.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The dialect's paths also answer under this prefix, as the document prints them in full.
const LONG_PREFIX: &str = "/eoffice/server/public";

/// The dialect's operations, described (see `openapi`) and served from the same list.
fn endpoints() -> [UtoipaMethodRouter<AppState>; 8] {
    [
        routes!(get_token),
        routes!(refresh_token),
        routes!(login_info),
        routes!(list_users),
        routes!(list_departments),
        routes!(list_groups),
        routes!(list_folder_items),
        routes!(list_audit_logs),
    ]
}

/// The operations at their short paths; `twins` names the long ones.
pub(crate) fn documented() -> OpenApiRouter<AppState> {
    endpoints()
        .into_iter()
        .fold(OpenApiRouter::new(), OpenApiRouter::routes)
}

/// Each long path and the short one it serves like.
pub(crate) fn twins() -> Vec<(String, String)> {
    let (_, document) = documented().split_for_parts();
    document
        .paths
        .paths
        .into_keys()
        .map(|path| (format!("{LONG_PREFIX}{path}"), path))
        .collect()
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for (_, paths, method_router) in endpoints() {
        // Each path takes OPTIONS, so the preflight reaches the CORS layer instead of the
        // router's wrong-method answer.
        let method_router = method_router.options(preflight).fallback(wrong_method);
        for path in paths.paths.keys() {
            for prefix in ["", LONG_PREFIX] {
                router = router.route(&format!("{prefix}{path}"), method_router.clone());
            }
        }
    }
    // Browsers call the dialect from the OA system's pages: any origin may, with the headers
    // the document names (the bearer token and the `search` conditions).
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT_LANGUAGE,
            header::HeaderName::from_static("search"),
            header::HeaderName::from_static("api_token"),
        ])
        .max_age(std::time::Duration::from_secs(3600));
    router.layer(cors)
}

/// An OPTIONS request that is not a CORS preflight: nothing to say beyond the headers.
async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// A request's parameters (query, form or JSON body), headers, peer and language.
struct Input {
    params: HashMap<String, String>,
    headers: HeaderMap,
    peer: Option<SocketAddr>,
    lang: Lang,
}

/// The caller's language, as the context layer read it.
fn request_lang(request: &Request) -> Lang {
    request
        .extensions()
        .get::<RequestContext>()
        .map(|context| context.lang)
        .unwrap_or_default()
}

/// A method the path does not take, in the dialect's envelope.
async fn wrong_method(request: Request) -> Response {
    render::<()>(request_lang(&request), Err(ApiError::new(ErrorCode::MethodNotAllowed)))
}

impl Input {
    async fn read(request: Request) -> Result<Self, ApiError> {
        let lang = request_lang(&request);
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::new(ErrorCode::RequestBodyTooLarge))?;
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let params = dialect_params(parts.uri.query(), content_type, &body)?;
        Ok(Self {
            params,
            headers: parts.headers,
            peer,
            lang,
        })
    }

    fn optional(&self, name: &str) -> Option<&str> {
        given(&self.params, name)
    }

    fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.optional(name).ok_or_else(|| ApiError::field(name, "不能为空"))
    }

    fn criteria<F: Field>(&self) -> Result<Criteria<F>, ApiError> {
        list_criteria(&self.params, &self.headers)
    }

    /// The token: `Authorization: Bearer …`, else the `api_token` parameter.
    fn api_token(&self) -> Option<&str> {
        let bearer = self
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        bearer.or_else(|| self.optional("api_token"))
    }
}

/// A list's criteria: `search` from the parameters or the `search` header, `order_by`,
/// `page` and `limit`. `/api/v1`'s lists take them the same way.
pub(crate) fn list_criteria<F: Field>(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Criteria<F>, ApiError> {
    let header = match headers.get("search") {
        None => None,
        Some(value) => Some(search_header(value.as_bytes())?),
    };
    let request = ListRequest {
        search: given(params, "search").or(header.as_deref()),
        order_by: given(params, "order_by"),
        page: given(params, "page"),
        limit: given(params, "limit"),
    };
    Ok(Criteria::parse(request)?)
}

/// A `search` header's JSON: as sent, or percent-decoded when it does not start as JSON.
fn search_header(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, ApiError> {
    let not_text = || ApiError::field("search", "不是UTF-8文本");
    let trimmed = bytes.trim_ascii();
    if trimmed.starts_with(b"{") {
        return std::str::from_utf8(trimmed)
            .map(std::borrow::Cow::Borrowed)
            .map_err(|_| not_text());
    }
    percent_encoding::percent_decode(trimmed)
        .decode_utf8()
        .map_err(|_| not_text())
}

/// Renders `outcome` in the dialect's envelope; tokens are in it, so nothing is cached.
fn render<T: Serialize>(lang: Lang, outcome: Result<T, ApiError>) -> Response {
    let mut response = rendered(lang, outcome);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

fn rendered<T: Serialize>(lang: Lang, outcome: Result<T, ApiError>) -> Response {
    match outcome {
        Ok(data) => Json(OaSuccess { status: 1, data }).into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let errors = error_items(&error, lang)
                .into_iter()
                .map(|item| OaError {
                    code: item.code,
                    message: item.msg,
                })
                .collect();
            let mut response = (status, Json(OaFailure { status: 0, errors })).into_response();
            if let Some(seconds) = error.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds.max(1)));
            }
            response
        }
    }
}

/// Runs `work` on the request's input, charging `budget` first, and renders the outcome.
async fn answer<T, F, Fut>(state: AppState, request: Request, budget: Budget, work: F) -> Response
where
    T: Serialize,
    F: FnOnce(AppState, Input, Option<Principal>) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let lang = request_lang(&request);
    let input = match Input::read(request).await {
        Ok(input) => input,
        Err(error) => return render::<()>(lang, Err(error)),
    };
    let lang = input.lang;
    let principal = match budget {
        Budget::Credentials => None,
        Budget::Token(name) => {
            let token = match name {
                Some(name) => input.optional(name).or_else(|| input.api_token()),
                None => input.api_token(),
            };
            let authenticated = match token {
                Some(token) => state.core.authenticate_bearer(token).await,
                None => Err(Error::Unauthenticated),
            };
            // The OA dialect mixes reads, writes and account details: only the seed's whole
            // scopes reach it.
            let whole = |principal: &openpan_core::auth::Principal| {
                let scopes = principal.scopes();
                scopes.contains(openpan_core::scope::Scope::All) || scopes.contains(openpan_core::scope::Scope::Admin)
            };
            if let Ok(principal) = &authenticated
                && !whole(principal)
            {
                return render::<()>(lang, Err(ApiError::from(Error::PermissionDenied)));
            }
            match authenticated {
                Ok(principal) => Some(principal),
                Err(err) => {
                    // Like `/api/v2`, failed tokens are counted against the client's address.
                    let decision = state.charge(ApiClass::Default, None, input.peer).await;
                    let error = if decision.allowed {
                        err.into()
                    } else {
                        ApiError::from(Error::RateLimited {
                            retry_after_secs: decision.retry_after_secs,
                        })
                    };
                    let mut response = render::<()>(lang, Err(error));
                    crate::ratelimit::stamp(response.headers_mut(), &decision);
                    return response;
                }
            }
        }
    };
    let decision = match &principal {
        Some(principal) => state.charge(ApiClass::Default, Some(principal), input.peer).await,
        None => state.charge_token_endpoint(input.peer).await,
    };
    let mut response = if decision.allowed {
        render(lang, work(state, input, principal).await)
    } else {
        let error = ApiError::from(Error::RateLimited {
            retry_after_secs: decision.retry_after_secs,
        });
        render::<()>(lang, Err(error))
    };
    crate::ratelimit::stamp(response.headers_mut(), &decision);
    response
}

/// What a call is charged to: the per-address budget of the credential endpoints, or the
/// token's (read from the named parameter before the usual places).
#[derive(Clone, Copy)]
enum Budget {
    Credentials,
    Token(Option<&'static str>),
}

/// An app asking a token for one of its users. Credentials travel in the body, never the URL.
#[derive(utoipa::ToSchema)]
#[schema(as = OaGetToken)]
#[allow(dead_code)]
struct GetTokenRequest {
    /// The app's client id.
    agent_id: String,
    /// The app's client secret.
    secret: String,
    /// The user, named as the app names users.
    user: String,
}

/// A token pair to renew.
#[derive(utoipa::ToSchema)]
#[schema(as = OaRefreshToken)]
#[allow(dead_code)]
struct RefreshTokenRequest {
    /// The access token.
    token: String,
    refresh_token: String,
}

fn token_data(issued: IssuedToken, user: Option<&User>) -> OaToken {
    OaToken {
        user: user.map(|user| user.id.0.to_string()),
        token: issued.access_token,
        refresh_token: issued.refresh_token,
        expired_in: issued.expires_in.to_string(),
        refresh_token_expired_in: REFRESH_TOKEN_TTL_SECS.to_string(),
    }
}

/// `POST open-api/get-token`: `agent_id` (the app's client id), `secret` (its client secret)
/// and `user` (named as the app is configured to name users) → a token pair for the user.
#[utoipa::path(post, path = "/api/open-api/get-token", tag = "oa", security(()),
    request_body(content((GetTokenRequest = "application/json"), (GetTokenRequest = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = OaSuccess<OaToken>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn get_token(State(state): State<AppState>, request: Request) -> Response {
    answer(state, request, Budget::Credentials, |state, input, _| async move {
        let credentials = ClientCredentials {
            client_id: input.required("agent_id")?.to_owned(),
            client_secret: input.required("secret")?.to_owned(),
        };
        let user = input.required("user")?;
        let (issued, user) = state.core.issue_app_user_token(&credentials, user).await?;
        Ok(token_data(issued, Some(&user)))
    })
    .await
}

/// `POST open-api/refresh-token`: `token` and `refresh_token` → a new pair (the refresh token
/// is used up, so the new one comes back too).
#[utoipa::path(post, path = "/api/open-api/refresh-token", tag = "oa", security(()),
    request_body(content((RefreshTokenRequest = "application/json"), (RefreshTokenRequest = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = OaSuccess<OaToken>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn refresh_token(State(state): State<AppState>, request: Request) -> Response {
    answer(state, request, Budget::Credentials, |state, input, _| async move {
        let token = input.required("token")?;
        let refresh = input.required("refresh_token")?;
        let issued = state.core.refresh_app_token(token, refresh).await?;
        Ok(token_data(issued, None))
    })
    .await
}

/// `GET api/auth/login-info/refresh`: the user behind `token` and that token, or a new one
/// with `refresh_new_token=true`.
#[utoipa::path(method(get, post), path = "/api/auth/login-info/refresh", tag = "oa",
    params(("token" = Option<String>, Query, description = "The access token; read before the `Authorization: Bearer` header and `api_token`"),
        ("api_token" = Option<String>, Query, description = "The token, when neither `token` nor the header carries it"),
        ("refresh_new_token" = Option<bool>, Query, description = "`true`: a new token pair in place of this one")),
    responses((status = 200, body = OaSuccess<OaLoginInfo>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn login_info(State(state): State<AppState>, request: Request) -> Response {
    answer(
        state,
        request,
        Budget::Token(Some("token")),
        |state, input, principal| async move {
            let principal = principal.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
            let me = state.core.fresh_self(&principal).await?;
            let presented = input
                .optional("token")
                .or_else(|| input.api_token())
                .unwrap_or_default()
                .to_owned();
            let (token, refresh_token) = if input.optional("refresh_new_token") == Some("true") {
                let issued = state.core.reissue_token(&principal, &presented).await?;
                (issued.access_token, Some(issued.refresh_token))
            } else {
                (presented, None)
            };
            Ok(OaLoginInfo {
                current_user: OaCurrentUser {
                    user_id: me.id.0.to_string(),
                    user_name: me.name.clone(),
                    user_accounts: me.login().to_owned(),
                    email: me.email.clone().unwrap_or_default(),
                    phone: me.phone.clone().unwrap_or_default(),
                    enterprise_id: me.enterprise_id.0.to_string(),
                    is_admin: if me.is_admin { "1" } else { "0" }.to_owned(),
                },
                token,
                refresh_token,
            })
        },
    )
    .await
}

/// Answers a list API: the caller's token, the list's criteria, then `find`.
async fn list<F, T, Fut>(
    state: AppState,
    request: Request,
    find: impl FnOnce(AppState, Principal, Criteria<F>) -> Fut,
) -> Response
where
    F: Field,
    T: Serialize,
    Fut: Future<Output = Result<OaList<T>, ApiError>>,
{
    answer(
        state,
        request,
        Budget::Token(None),
        |state, input, principal| async move {
            let principal = principal.ok_or_else(|| ApiError::new(ErrorCode::Unauthorized))?;
            let criteria = input.criteria::<F>()?;
            find(state, principal, criteria).await
        },
    )
    .await
}

fn id_text(id: Option<i64>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

fn flag(on: bool) -> String {
    if on { "1" } else { "0" }.to_owned()
}

/// The users list's page, in the rows both older dialects answer (`/api/v1` too).
pub(crate) async fn users_page(
    state: &AppState,
    principal: &Principal,
    criteria: &Criteria<UserField>,
) -> Result<OaList<OaUser>, ApiError> {
    let (found, sees_hidden_phones) = state.core.find_users(principal, criteria).await?;
    let me = principal.user_id();
    let list = found
        .rows
        .into_iter()
        .map(|user| {
            let phone_shown = !user.hide_phone || sees_hidden_phones || Some(user.id) == me;
            OaUser {
                user_id: user.id.0.to_string(),
                user_accounts: if phone_shown { user.login() } else { user.public_login() }.to_owned(),
                user_name: user.name,
                email: user.email.unwrap_or_default(),
                phone: if phone_shown {
                    user.phone.unwrap_or_default()
                } else {
                    String::new()
                },
                is_admin: flag(user.is_admin),
                active: flag(user.active),
                created_at: platform_datetime(user.created_at),
                last_login_at: user.last_login_at.map(platform_datetime).unwrap_or_default(),
            }
        })
        .collect();
    Ok(OaList {
        total: found.total,
        list,
    })
}

fn oa_department(department: Department) -> OaDepartment {
    OaDepartment {
        department_id: department.id.0.to_string(),
        department_name: department.name,
        parent_id: department.parent_id.0.to_string(),
        director_id: id_text(department.director_id.map(|id| id.0)),
        user_count: department.user_count,
        children_count: department.children_count,
        created_at: platform_datetime(department.created_at),
    }
}

/// The departments list's page (the whole tree, flat).
pub(crate) async fn departments_page(
    state: &AppState,
    principal: &Principal,
    criteria: &Criteria<DepartmentField>,
) -> Result<OaList<OaDepartment>, ApiError> {
    let found = state.core.find_departments(principal, criteria).await?;
    Ok(OaList {
        total: found.total,
        list: found.rows.into_iter().map(oa_department).collect(),
    })
}

fn oa_group(group: Group) -> OaGroup {
    OaGroup {
        group_id: group.id.0.to_string(),
        group_name: group.name,
        description: group.description,
        admin_user_id: id_text(group.admin_user_id.map(|id| id.0)),
        user_count: group.user_count,
        is_visible: flag(group.is_visible),
        created_at: platform_datetime(group.created_at),
    }
}

/// The groups list's page: the groups the caller sees.
pub(crate) async fn groups_page(
    state: &AppState,
    principal: &Principal,
    criteria: &Criteria<GroupField>,
) -> Result<OaList<OaGroup>, ApiError> {
    let found = state.core.find_groups(principal, criteria).await?;
    Ok(OaList {
        total: found.total,
        list: found.rows.into_iter().map(oa_group).collect(),
    })
}

fn oa_item(item: Item) -> OaItem {
    OaItem {
        item_id: item.id.0.to_string(),
        kind: if item.is_folder() { "folder" } else { "file" }.to_owned(),
        name: item.name,
        size: item.size,
        description: item.description,
        sha1: item.sha1.unwrap_or_default(),
        owner_id: item.owner_id.0.to_string(),
        modified_by: item.modified_by.0.to_string(),
        created_at: platform_datetime(item.created_at),
        modified_at: platform_datetime(item.modified_at),
    }
}

fn oa_audit_log(stored: StoredEvent) -> OaAuditLog {
    let event = stored.event;
    OaAuditLog {
        log_id: stored.id.to_string(),
        action_type: event.action,
        operator_id: id_text(event.operator.map(|id| id.0)),
        app_id: id_text(event.app.map(|id| id.0)),
        target_id: event.target_id.to_string(),
        target_name: event.target_name,
        department_id: id_text(event.department_id),
        detail: event.detail,
        ip: event.origin.ip,
        created_at: platform_datetime(event.created_at),
    }
}

/// `GET open-api/users`: the enterprise directory.
#[utoipa::path(method(get, post), path = "/api/open-api/users", tag = "oa",
    params(crate::openapi::CriteriaQuery, ("search" = Option<String>, Header, description = "The `search` conditions as JSON (or percent-encoded JSON), instead of the parameter"), ("api_token" = Option<String>, Query, description = "The token, when there is no `Authorization: Bearer` header")),
    responses((status = 200, body = OaSuccess<OaList<OaUser>>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn list_users(State(state): State<AppState>, request: Request) -> Response {
    list(state, request, |state, principal, criteria| async move {
        users_page(&state, &principal, &criteria).await
    })
    .await
}

/// `GET open-api/departments`: the department tree, flat.
#[utoipa::path(method(get, post), path = "/api/open-api/departments", tag = "oa",
    params(crate::openapi::CriteriaQuery, ("search" = Option<String>, Header, description = "The `search` conditions as JSON (or percent-encoded JSON), instead of the parameter"), ("api_token" = Option<String>, Query, description = "The token, when there is no `Authorization: Bearer` header")),
    responses((status = 200, body = OaSuccess<OaList<OaDepartment>>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn list_departments(State(state): State<AppState>, request: Request) -> Response {
    list(state, request, |state, principal, criteria| async move {
        departments_page(&state, &principal, &criteria).await
    })
    .await
}

/// `GET open-api/groups`: the groups the caller sees.
#[utoipa::path(method(get, post), path = "/api/open-api/groups", tag = "oa",
    params(crate::openapi::CriteriaQuery, ("search" = Option<String>, Header, description = "The `search` conditions as JSON (or percent-encoded JSON), instead of the parameter"), ("api_token" = Option<String>, Query, description = "The token, when there is no `Authorization: Bearer` header")),
    responses((status = 200, body = OaSuccess<OaList<OaGroup>>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn list_groups(State(state): State<AppState>, request: Request) -> Response {
    list(state, request, |state, principal, criteria| async move {
        groups_page(&state, &principal, &criteria).await
    })
    .await
}

/// `GET open-api/folders/{id}/items`: the live items of a folder (0: the caller's root).
#[utoipa::path(method(get, post), path = "/api/open-api/folders/{id}/items", tag = "oa",
    params(("id" = i64, Path, description = "0: the caller's root"), crate::openapi::CriteriaQuery, ("search" = Option<String>, Header, description = "The `search` conditions as JSON (or percent-encoded JSON), instead of the parameter"), ("api_token" = Option<String>, Query, description = "The token, when there is no `Authorization: Bearer` header")),
    responses((status = 200, body = OaSuccess<OaList<OaItem>>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn list_folder_items(State(state): State<AppState>, Path(id): Path<String>, request: Request) -> Response {
    list(
        state,
        request,
        |state, principal, criteria: Criteria<ItemField>| async move {
            let id: i64 = id.trim().parse().map_err(|_| ApiError::field("id", "必须是整数"))?;
            let found = state.core.find_folder_items(&principal, ItemId(id), &criteria).await?;
            Ok(OaList {
                total: found.total,
                list: found.rows.into_iter().map(oa_item).collect(),
            })
        },
    )
    .await
}

/// `GET open-api/audit-logs`: the enterprise's audit log, for administrators.
#[utoipa::path(method(get, post), path = "/api/open-api/audit-logs", tag = "oa",
    params(crate::openapi::CriteriaQuery, ("search" = Option<String>, Header, description = "The `search` conditions as JSON (or percent-encoded JSON), instead of the parameter"), ("api_token" = Option<String>, Query, description = "The token, when there is no `Authorization: Bearer` header")),
    responses((status = 200, body = OaSuccess<OaList<OaAuditLog>>), (status = "4XX", description = "The dialect's failure", body = OaFailure)))]
async fn list_audit_logs(State(state): State<AppState>, request: Request) -> Response {
    list(
        state,
        request,
        |state, principal, criteria: Criteria<AuditField>| async move {
            let found = state.core.find_audit_events(&principal, &criteria).await?;
            Ok(OaList {
                total: found.total,
                list: found.rows.into_iter().map(oa_audit_log).collect(),
            })
        },
    )
    .await
}

//! The OpenAPI 3.1 document, built from the handlers' `#[utoipa::path]` annotations by the same
//! router that serves them (so a documented route cannot drift from the served one), served
//! at `/openapi.json` with an interactive page at `/docs` whose assets are compiled in.
//! `docs/openapi.json` is the committed copy; a test fails when the two differ.

use std::sync::OnceLock;

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "openpan open platform",
        description = "The `/api/v2` platform of seed 002 (files, folders, users and more), the OAuth 2 \
            and OpenID Connect endpoints that issue its tokens, the upload and download URLs, and the older \
            dialects served by the same core (`/api/v1`, the OA dialect, the auth service). \
            `/api/v2` requests carry `Authorization: Bearer <access_token>` from `POST /oauth/token` \
            and fail with `{\"errors\": [{\"code\", \"msg\", \"field\"}], \"request_id\"}`.",
        license(name = "Proprietary")
    ),
    modifiers(&BearerAuth),
    components(schemas(ItemType, SortBy, SortDirection, ReviewRole, openpan_types::ErrorBody)),
    tags(
        (name = "users", description = "The signed-in user and colleagues (user token)"),
        (name = "folders", description = "Folders of the drive (user token)"),
        (name = "files", description = "Files, their versions and downloads (user token)"),
        (name = "trash", description = "The trash (user token)"),
        (name = "share links", description = "Links that open a file or folder (user token)"),
        (name = "collaboration", description = "Folders shared with colleagues (user token)"),
        (name = "comments", description = "Comments on files (user token)"),
        (name = "tags", description = "Tags on items (user token)"),
        (name = "reviews", description = "Reviews of files (user token)"),
        (name = "knowledge", description = "AI knowledge bases: datasets trained from drive files, their passages and \
            question/answer pairs, and match tests (user token; their own, lower rate limit)"),
        (name = "departments", description = "The department tree (user token)"),
        (name = "groups", description = "Groups of colleagues (user token)"),
        (name = "events", description = "The event feed: what changed, in order (user or enterprise token)"),
        (name = "admin", description = "The enterprise's administration (enterprise token, paths with /admin/)"),
        (name = "oauth", description = "OAuth 2 and OpenID Connect: tokens, revocation, introspection, the device flow, sign-in pages and discovery"),
        (name = "transfers", description = "Upload and download URLs, which are their own credentials"),
        (name = "console", description = "The web console's session (a cookie)"),
        (name = "operations", description = "Liveness, readiness and metrics"),
        (name = "v1 account", description = "`/api/v1/account`: service discovery, app instances, the plan, apps' authentication settings and notices"),
        (name = "v1 file", description = "`/api/v1/file`: browser form uploads, download URLs and conversions"),
        (name = "v1 org", description = "`/api/v1/org`: users, departments and groups, with ids as parameters"),
        (name = "v1 sms", description = "`/api/v1/sms`: text messages and their templates"),
        (name = "oa", description = "The OA dialect: token pairs for an app's users and lists with search conditions; \
            also under `/eoffice/server/public`. Answers `{\"status\": 1, \"data\"}` or `{\"status\": 0, \"errors\"}`"),
        (name = "auth service", description = "The auth service: password sign-in, auth codes and what they open (Basic client \
            authentication); answers `{\"data\", \"code\", \"message\"}` in JSON or XML"),
    )
)]
struct ApiDoc;

/// What a listing shows (`type`); `item` is the SDKs' word for `all`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum ItemType {
    All,
    Item,
    File,
    Folder,
}

/// What a listing is sorted by (`sort_by`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum SortBy {
    Name,
    Date,
    Size,
}

/// `sort_direction`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum SortDirection {
    Asc,
    Desc,
}

/// Which reviews `review/list` shows.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum ReviewRole {
    All,
    Initiated,
    Invited,
}

/// Every operation takes the platform's bearer token.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An access token from POST /oauth/token"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "client",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("An app's client_id and client_secret"))
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// `page_id` and `page_capacity`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct PageQuery {
    /// 0-based page.
    #[param(minimum = 0)]
    page_id: Option<i64>,
    /// Entries per page, 1 to 1000.
    #[param(minimum = 1, maximum = 1000)]
    page_capacity: Option<i64>,
}

/// What a listing shows.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct KindQuery {
    /// What to list (default all).
    #[param(rename = "type", inline)]
    kind: Option<ItemType>,
}

/// A listing's order.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct SortQuery {
    /// Default date.
    #[param(inline)]
    sort_by: Option<SortBy>,
    /// Default desc.
    #[param(inline)]
    sort_direction: Option<SortDirection>,
}

/// A folder listing's keyset position.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct MarkerQuery {
    /// The previous page's `next_marker`: the page after it, fetched by key (with the same
    /// `sort_by` and `sort_direction`).
    marker: Option<String>,
}

/// The list criteria of the OA dialect and `/api/v1`'s lists.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct CriteriaQuery {
    /// Conditions as JSON, `{"field": [value, "op"], …}` (ops `=`, `!=`, `>`, `>=`, `<`, `<=`,
    /// `like`, `in`, `not_in`, `between`); also taken from a `search` header.
    #[param(pattern = "^[^\\u0000]*$")]
    search: Option<String>,
    /// `{"field": "desc", …}`, `[["field", "desc"], "field"]` or `field desc, field`.
    #[param(pattern = "^[^\\u0000]*$")]
    order_by: Option<String>,
    /// 1-based page; 0 or absent: the whole list (at most 10,000 rows).
    #[param(minimum = 0)]
    page: Option<i64>,
    /// Rows per page, 1 to 1000 (default 20).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// The whole document.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, mut paths) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
            .nest("/api/v2", crate::api::documented().merge(crate::api::idempotent()))
            .nest("/api/v1", crate::v1::documented())
            .merge(crate::form_upload_routes())
            .merge(crate::oa::documented())
            .nest("/apis/rest", crate::auth_service::documented())
            .merge(crate::outside_api())
            .split_for_parts();
        let twins = crate::api::twins()
            .into_iter()
            .map(|(twin, first, _, _)| (format!("/api/v2{twin}"), format!("/api/v2{first}")))
            .chain(
                crate::outside_twins()
                    .into_iter()
                    .map(|(twin, first, _)| (twin.to_owned(), first.to_owned())),
            )
            .chain(crate::oa::twins());
        for (twin, first) in twins {
            let Some(mut copy) = paths.paths.paths.get(&first).cloned() else {
                panic!("the twin {twin} copies {first}, which is not documented");
            };
            // `/admin/` paths take enterprise tokens: they belong with the administration.
            if twin.starts_with("/api/v2/admin/") {
                for operation in [&mut copy.get, &mut copy.post, &mut copy.delete].into_iter().flatten() {
                    operation.tags = Some(vec!["admin".to_owned()]);
                }
            }
            paths.paths.paths.insert(twin, copy);
        }
        complete(&mut paths);
        paths
    })
}

/// What every operation shares, filled in once here instead of in each annotation: the path
/// parameters the template names (int64 ids; a share link's `unique_name` is text), the
/// error envelope for 4XX answers, and an operation id made from the method and path (handler
/// names repeat across modules).
fn complete(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};

    // A router's catch-all segment (`{*name}`) is an ordinary parameter to a client.
    let wildcards: Vec<String> = document
        .paths
        .paths
        .keys()
        .filter(|path| path.contains("{*"))
        .cloned()
        .collect();
    for path in wildcards {
        if let Some(item) = document.paths.paths.remove(&path) {
            document.paths.paths.insert(path.replace("{*", "{"), item);
        }
    }
    for (path, item) in document.paths.paths.iter_mut() {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let methods: [(&str, &mut Option<Operation>); 4] = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("delete", &mut item.delete),
        ];
        for (method, operation) in methods {
            let Some(operation) = operation else { continue };
            let parameters = operation.parameters.get_or_insert_with(Vec::new);
            for name in &names {
                let declared = parameters.iter().any(|parameter| {
                    matches!(parameter, RefOr::T(p) if p.name == *name && p.parameter_in == ParameterIn::Path)
                });
                if declared {
                    continue;
                }
                let schema = if *name == "unique_name" {
                    ObjectBuilder::new().schema_type(Type::String).min_length(Some(1))
                } else {
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                };
                parameters.insert(
                    0,
                    RefOr::T(
                        ParameterBuilder::new()
                            .name(*name)
                            .parameter_in(ParameterIn::Path)
                            .required(Required::True)
                            .schema(Some(schema))
                            .build(),
                    ),
                );
            }
            // OpenAPI requires a description of every response.
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    response.description = "Success".to_owned();
                }
            }
            operation
                .responses
                .responses
                .entry("4XX".to_owned())
                .or_insert_with(|| {
                    RefOr::T(
                        ResponseBuilder::new()
                            .description("The platform's error envelope")
                            .content(
                                "application/json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                                    .build(),
                            )
                            .build(),
                    )
                });
            let id: String = path
                .trim_start_matches("/api/v2/")
                .trim_start_matches('/')
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let id = id.trim_matches('_').replace("__", "_");
            let id = if id.is_empty() { "root".to_owned() } else { id };
            operation.operation_id = Some(format!("{method}_{id}"));
        }
    }
}

/// `/docs` (the interactive page) and `/openapi.json`.
pub(crate) fn routes() -> axum::Router<AppState> {
    // No validator badge: it would send the document to validator.swagger.io.
    let config = utoipa_swagger_ui::Config::new(["/openapi.json"]).validator_url("none");
    utoipa_swagger_ui::SwaggerUi::new("/docs")
        .url("/openapi.json", document().clone())
        .config(config)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `OPENPAN_BLESS=1 cargo nextest run -p openpan-server openapi` rewrites the copy.
    #[test]
    fn the_committed_document_is_the_one_the_code_serves() {
        let current = serde_json::to_string_pretty(document()).unwrap() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        if std::env::var_os("OPENPAN_BLESS").is_some() {
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == current,
            "docs/openapi.json differs from the routes' document: run OPENPAN_BLESS=1 cargo nextest run -p \
             openpan-server openapi, and review the diff"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_bearer_auth() {
        let json = serde_json::to_value(document()).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        assert_eq!(json["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert!(json["paths"]["/api/v2/folder/{id}/info"]["get"].is_object());
    }
}

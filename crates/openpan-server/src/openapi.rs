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
        description = "The `/api/v2` platform of seed 002: files, folders, users and more. \
            Every request carries `Authorization: Bearer <access_token>` from `POST /oauth/token`; \
            errors answer `{\"errors\": [{\"code\", \"msg\", \"field\"}], \"request_id\"}`.",
        license(name = "Proprietary")
    ),
    modifiers(&BearerAuth),
    components(schemas(ItemType, SortBy, SortDirection)),
    tags(
        (name = "users", description = "The signed-in user and colleagues (user token)"),
        (name = "folders", description = "Folders of the drive (user token)"),
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
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The whole document.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, paths) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
            .nest("/api/v2", crate::api::documented())
            .split_for_parts();
        paths
    })
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

//! The API's OpenAPI 3.1 document, generated from the handlers' annotations by `utoipa` and
//! served at `/api/v1/openapi.json` (no credentials needed: it describes, it holds nothing).

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{Reply, audit_log, json, projects, robots, users};

/// Every error: what was wrong.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "drydock registry admin API",
        description = "Users, projects, members, robot accounts, the audit log and tag history of a \
                       drydock registry. Every call is authorized by the permission table (docs/permissions.md)."
    ),
    paths(
        document,
        users::list, users::create, users::show, users::update, users::remove,
        projects::list, projects::create, projects::show, projects::update, projects::remove,
        projects::members, projects::set_member, projects::remove_member,
        robots::list, robots::create, robots::update, robots::remove,
        audit_log::query, audit_log::history,
    ),
    modifiers(&Credentials),
    tags(
        (name = "users", description = "Local accounts (system administrators)"),
        (name = "projects", description = "Projects and their policy"),
        (name = "members", description = "Who holds which role in a project"),
        (name = "robots", description = "Robot accounts: scoped, expiring, secret shown once"),
        (name = "audit", description = "The hash-chained audit trail and tag history"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate: basic credentials, or a token from `/auth/token`.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "audit",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub(crate) async fn document() -> Reply {
    Ok(json(StatusCode::OK, &ApiDoc::openapi()))
}

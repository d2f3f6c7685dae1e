//! `/api/v1/audit` (the audit log, filtered) and `/api/v1/history` (tag history).
//!
//! The whole log needs `read-system-audit-log`; with `read-audit-log` in a project a caller
//! reads that project's entries only (its own and its repositories'), so such a query must
//! name the project or a repository in it.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::ErrorBody;
use super::{ApiState, Caller, Failure, Reply, json};
use crate::audit::{Entry, Query};
use crate::auth::Permission;
use crate::auth::service::project_of;
use crate::history::TagChange;

/// The most entries one call returns.
pub const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub time: i64,
    pub actor: String,
    pub action: String,
    /// A repository, a project (for member, robot and policy changes) or empty.
    pub repository: String,
    pub digest: String,
    pub tag: String,
    pub detail: String,
    pub client: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

impl From<Entry> for AuditEntryView {
    fn from(entry: Entry) -> Self {
        let f = entry.fields;
        AuditEntryView {
            seq: entry.seq,
            time: entry.time,
            actor: f.actor,
            action: f.action,
            repository: f.repository,
            digest: f.digest,
            tag: f.tag,
            detail: f.detail,
            client: f.client,
            outcome: f.outcome,
            prev_hash: entry.prev_hash,
            hash: entry.hash,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TagChangeView {
    pub seq: i64,
    pub time: i64,
    pub tag: String,
    /// The digest the tag points to from then on; empty when it was removed.
    pub digest: String,
    /// The digest it pointed to before; empty when the tag was new.
    pub previous: String,
    /// `pushed`, `deleted` or `manifest-deleted`.
    pub change: String,
    pub actor: String,
    pub client: String,
}

impl From<TagChange> for TagChangeView {
    fn from(change: TagChange) -> Self {
        TagChangeView {
            seq: change.seq,
            time: change.time,
            tag: change.tag,
            digest: change.digest,
            previous: change.previous,
            change: change.change,
            actor: change.actor,
            client: change.client,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(
        ("repository" = Option<String>, Query, description = "Entries about this repository"),
        ("project" = Option<String>, Query, description = "Entries about this project and its repositories"),
        ("actor" = Option<String>, Query), ("action" = Option<String>, Query),
        ("since" = Option<i64>, Query, description = "From this time, milliseconds since the epoch"),
        ("until" = Option<i64>, Query, description = "Before this time, milliseconds since the epoch"),
        ("after" = Option<i64>, Query, description = "Entries after this sequence number (paging)"),
        ("limit" = Option<i64>, Query, description = "At most this many entries (default and maximum 1000)"),
    ),
    responses((status = 200, description = "Entries, oldest first", body = [AuditEntryView]),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn query(State(state): State<ApiState>, caller: Caller, uri: Uri) -> Reply {
    let params = Params::parse(&uri)?;
    let mut query = Query {
        repository: params.text("repository"),
        project: params.text("project"),
        actor: params.text("actor"),
        action: params.text("action"),
        since: params.number("since")?,
        until: params.number("until")?,
        after: params.number("after")?.unwrap_or(0),
        limit: params.number("limit")?.unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT),
    };
    let whole = state
        .accounts
        .system_permissions(Some(&caller.identity))
        .contains(&Permission::ReadSystemAuditLog);
    if !whole {
        let project = match (&query.project, &query.repository) {
            (Some(project), _) => project.clone(),
            (None, Some(repository)) => project_of(repository).to_string(),
            (None, None) => {
                return Err(Failure::new(
                    StatusCode::FORBIDDEN,
                    "reading the whole audit log needs `read-system-audit-log`: name a project or repository",
                ));
            }
        };
        state
            .require_project(&caller, &project, Permission::ReadAuditLog, "audit-read")
            .await?;
        query.project = Some(project);
    }
    let entries: Vec<AuditEntryView> = state
        .audit
        .query(&query)
        .await?
        .into_iter()
        .map(AuditEntryView::from)
        .collect();
    Ok(json(StatusCode::OK, &entries))
}

#[utoipa::path(get, path = "/api/v1/history", tag = "audit",
    params(
        ("repository" = String, Query, description = "PROJECT/repo"),
        ("tag" = Option<String>, Query, description = "Only this tag's changes"),
    ),
    responses((status = 200, description = "Tag changes, oldest first", body = [TagChangeView]),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn history(State(state): State<ApiState>, caller: Caller, uri: Uri) -> Reply {
    let params = Params::parse(&uri)?;
    let repository = params
        .text("repository")
        .ok_or_else(|| Failure::bad_request("`repository` is required (PROJECT/repo)"))?;
    crate::names::RepositoryName::parse(&repository).map_err(|_| {
        Failure::bad_request(format!(
            "invalid repository name `{}`",
            crate::names::printable(&repository)
        ))
    })?;
    state
        .require_project(
            &caller,
            project_of(&repository),
            Permission::ReadTagHistory,
            "history-read",
        )
        .await?;
    let tag = params.text("tag");
    let changes: Vec<TagChangeView> = state
        .audit
        .tag_history(&repository, tag.as_deref())
        .await?
        .into_iter()
        .map(TagChangeView::from)
        .collect();
    Ok(json(StatusCode::OK, &changes))
}

/// Query parameters; text ever compared with stored text has no control characters.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(uri: &Uri) -> Result<Params, Failure> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
        if let Some((key, _)) = pairs.iter().find(|(_, value)| value.chars().any(char::is_control)) {
            return Err(Failure::bad_request(format!(
                "`{}` must not contain control characters",
                crate::names::printable(key)
            )));
        }
        Ok(Params(pairs))
    }

    fn text(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
    }

    fn number(&self, key: &str) -> Result<Option<i64>, Failure> {
        self.text(key)
            .map(|text| {
                text.parse::<i64>().map_err(|_| {
                    Failure::bad_request(format!(
                        "`{key}` must be an integer, not `{}`",
                        crate::names::printable(&text)
                    ))
                })
            })
            .transpose()
    }
}

//! `/api/v1/projects`: projects, their visibility (the project policy) and their members.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::ErrorBody;
use super::{ApiState, Caller, Failure, Outcome, Reply, body, json, no_content};
use crate::auth::accounts::{Member, Project};
use crate::auth::{Permission, Role};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectView {
    pub name: String,
    /// Whether anyone, anonymous included, may pull.
    pub public: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

impl From<Project> for ProjectView {
    fn from(project: Project) -> Self {
        ProjectView {
            name: project.name,
            public: project.public,
            created_at: project.created_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub name: String,
    #[serde(default)]
    pub public: bool,
}

/// The project policy; absent fields stay as they are.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub username: String,
    /// `project-admin`, `maintainer`, `developer`, `guest` or `limited-guest`.
    pub role: String,
}

impl From<Member> for MemberView {
    fn from(member: Member) -> Self {
        MemberView {
            username: member.username,
            role: member.role.as_str().to_string(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRole {
    pub role: String,
}

#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    responses((status = 200, description = "The projects the caller may pull from", body = [ProjectView])),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn list(State(state): State<ApiState>, caller: Caller) -> Reply {
    let mut visible = Vec::new();
    for project in state.accounts.projects().await? {
        if state.holds(&caller, &project.name, Permission::Pull).await? {
            visible.push(ProjectView::from(project));
        }
    }
    Ok(json(StatusCode::OK, &visible))
}

#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = NewProject,
    responses((status = 201, body = ProjectView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn create(State(state): State<ApiState>, caller: Caller, bytes: Bytes) -> Reply {
    let new: NewProject = body(&bytes)?;
    state.require_system(&caller, Permission::CreateProject, "project-create", &new.name)?;
    if state.accounts.project(&new.name).await?.is_some() {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            format!("project `{}` already exists", new.name),
        ));
    }
    state.accounts.create_project(&new.name, new.public).await?;
    let detail = format!("public={}", new.public);
    state.record(&caller, "project-create", &new.name, detail, Outcome::Success);
    let project = existing(&state, &new.name).await?;
    Ok(json(StatusCode::CREATED, &ProjectView::from(project)))
}

#[utoipa::path(get, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)),
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn show(State(state): State<ApiState>, caller: Caller, Path(project): Path<String>) -> Reply {
    state
        .require_project(&caller, &project, Permission::ReadProjectPolicy, "project-show")
        .await?;
    Ok(json(
        StatusCode::OK,
        &ProjectView::from(existing(&state, &project).await?),
    ))
}

#[utoipa::path(patch, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)),
    request_body = ProjectChange,
    responses((status = 200, body = ProjectView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(project): Path<String>,
    bytes: Bytes,
) -> Reply {
    state
        .require_project(&caller, &project, Permission::SetProjectPolicy, "project-policy")
        .await?;
    let change: ProjectChange = body(&bytes)?;
    existing(&state, &project).await?;
    if let Some(public) = change.public {
        state.accounts.set_project_public(&project, public).await?;
        state.record(
            &caller,
            "project-policy",
            &project,
            format!("public={public}"),
            Outcome::Success,
        );
    }
    Ok(json(
        StatusCode::OK,
        &ProjectView::from(existing(&state, &project).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/projects/{project}", tag = "projects", params(("project" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 400, description = "Still holds repositories", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn remove(State(state): State<ApiState>, caller: Caller, Path(project): Path<String>) -> Reply {
    state.require_system(&caller, Permission::DeleteProject, "project-delete", &project)?;
    existing(&state, &project).await?;
    state.accounts.delete_project(&project).await?;
    state.record(&caller, "project-delete", &project, String::new(), Outcome::Success);
    Ok(no_content())
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/members", tag = "members", params(("project" = String, Path)),
    responses((status = 200, body = [MemberView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn members(State(state): State<ApiState>, caller: Caller, Path(project): Path<String>) -> Reply {
    state
        .require_project(&caller, &project, Permission::ReadMembers, "member-list")
        .await?;
    existing(&state, &project).await?;
    let members: Vec<MemberView> = state
        .accounts
        .members(&project)
        .await?
        .into_iter()
        .map(MemberView::from)
        .collect();
    Ok(json(StatusCode::OK, &members))
}

#[utoipa::path(put, path = "/api/v1/projects/{project}/members/{username}", tag = "members",
    params(("project" = String, Path), ("username" = String, Path)), request_body = MemberRole,
    responses((status = 200, body = MemberView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn set_member(
    State(state): State<ApiState>,
    caller: Caller,
    Path((project, username)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    state
        .require_project(&caller, &project, Permission::ManageMembers, "member-set")
        .await?;
    let asked: MemberRole = body(&bytes)?;
    let role = Role::parse(&asked.role)
        .filter(|role| *role != Role::SystemAdmin)
        .ok_or_else(|| {
            let names: Vec<&str> = Role::PROJECT.iter().map(|role| role.as_str()).collect();
            Failure::bad_request(format!(
                "unknown role `{}`: use one of {}",
                crate::names::printable(&asked.role),
                names.join(", ")
            ))
        })?;
    existing(&state, &project).await?;
    if state.accounts.user(&username).await?.is_none() {
        return Err(Failure::not_found(format!(
            "no user `{}`",
            crate::names::printable(&username)
        )));
    }
    let previous = state.accounts.role_of(&username, &project).await?;
    state.accounts.set_member(&project, &username, role).await?;
    let detail = match previous {
        Some(previous) => format!("{username}: {} -> {}", previous.as_str(), role.as_str()),
        None => format!("{username}: {}", role.as_str()),
    };
    state.record(&caller, "member-set", &project, detail, Outcome::Success);
    Ok(json(
        StatusCode::OK,
        &MemberView {
            username,
            role: role.as_str().to_string(),
        },
    ))
}

#[utoipa::path(delete, path = "/api/v1/projects/{project}/members/{username}", tag = "members",
    params(("project" = String, Path), ("username" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn remove_member(
    State(state): State<ApiState>,
    caller: Caller,
    Path((project, username)): Path<(String, String)>,
) -> Reply {
    state
        .require_project(&caller, &project, Permission::ManageMembers, "member-remove")
        .await?;
    let Some(role) = state.accounts.role_of(&username, &project).await? else {
        return Err(Failure::not_found(format!(
            "`{}` is not a member of `{}`",
            crate::names::printable(&username),
            crate::names::printable(&project)
        )));
    };
    state.accounts.remove_member(&project, &username).await?;
    let detail = format!("{username} (was {})", role.as_str());
    state.record(&caller, "member-remove", &project, detail, Outcome::Success);
    Ok(no_content())
}

/// The project, or a 404.
pub(crate) async fn existing(state: &ApiState, project: &str) -> Result<Project, Failure> {
    state
        .accounts
        .project(project)
        .await?
        .ok_or_else(|| Failure::not_found(format!("no project `{}`", crate::names::printable(project))))
}

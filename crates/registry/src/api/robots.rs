//! `/api/v1/projects/{project}/robots`: robot accounts of a project. Creating one answers
//! with its secret, the only time it is ever shown.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::ErrorBody;
use super::projects::existing;
use super::{ApiState, Caller, Failure, Outcome, Reply, body, json, no_content};
use crate::auth::Permission;
use crate::auth::accounts::{ROBOT_PREFIX, Robot};
use crate::auth::permissions::robot_may_hold;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RobotView {
    /// `robot$...`
    pub name: String,
    /// Milliseconds since the epoch; none: never.
    pub expires_at: Option<i64>,
    pub disabled: bool,
    pub created_by: String,
    pub created_at: i64,
    pub permissions: Vec<RobotGrant>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RobotGrant {
    pub project: String,
    pub permission: String,
}

impl From<Robot> for RobotView {
    fn from(robot: Robot) -> Self {
        RobotView {
            name: robot.name,
            expires_at: robot.expires_at,
            disabled: robot.disabled,
            created_by: robot.created_by,
            created_at: robot.created_at,
            permissions: robot
                .grants
                .into_iter()
                .map(|(project, permission)| RobotGrant {
                    project,
                    permission: permission.as_str().to_string(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRobot {
    /// The name, with or without the `robot$` prefix.
    pub name: String,
    /// Permission names from the table's robot column (`pull`, `push`, ...), in this project.
    pub permissions: Vec<String>,
    /// Milliseconds since the epoch; none: never expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// A new robot and its secret: shown here once, stored only as a hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedRobot {
    pub robot: RobotView,
    pub secret: String,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RobotChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/projects/{project}/robots", tag = "robots", params(("project" = String, Path)),
    responses((status = 200, body = [RobotView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn list(State(state): State<ApiState>, caller: Caller, Path(project): Path<String>) -> Reply {
    state
        .require_project(&caller, &project, Permission::ReadRobots, "robot-list")
        .await?;
    existing(&state, &project).await?;
    let robots: Vec<RobotView> = state
        .accounts
        .robots_in(&project)
        .await?
        .into_iter()
        .map(RobotView::from)
        .collect();
    Ok(json(StatusCode::OK, &robots))
}

#[utoipa::path(post, path = "/api/v1/projects/{project}/robots", tag = "robots", params(("project" = String, Path)),
    request_body = NewRobot,
    responses((status = 201, description = "Created; the secret is never shown again", body = CreatedRobot),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Path(project): Path<String>,
    bytes: Bytes,
) -> Reply {
    state
        .require_project(&caller, &project, Permission::ManageRobots, "robot-create")
        .await?;
    let new: NewRobot = body(&bytes)?;
    existing(&state, &project).await?;
    let name = if new.name.starts_with(ROBOT_PREFIX) {
        new.name
    } else {
        format!("{ROBOT_PREFIX}{}", new.name)
    };
    let mut grants = Vec::new();
    for asked in &new.permissions {
        let permission = Permission::parse(asked)
            .filter(|permission| robot_may_hold(*permission))
            .ok_or_else(|| {
                Failure::bad_request(format!(
                    "`{}` is not a permission a robot account can hold",
                    crate::names::printable(asked)
                ))
            })?;
        grants.push((project.clone(), permission));
    }
    if state.accounts.robot(&name).await?.is_some() {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            format!("robot `{name}` already exists"),
        ));
    }
    let secret = state
        .accounts
        .create_robot(&name, &grants, new.expires_at, caller.name())
        .await?;
    let detail = format!(
        "{name}: {}; expires {}",
        new.permissions.join(","),
        new.expires_at.map_or("never".to_string(), |at| at.to_string())
    );
    state.record(&caller, "robot-create", &project, detail, Outcome::Success);
    let robot = state
        .accounts
        .robot(&name)
        .await?
        .ok_or_else(|| Failure::not_found(format!("no robot `{name}`")))?;
    let created = CreatedRobot {
        robot: RobotView::from(robot),
        secret: secret.expose().to_string(),
    };
    Ok(json(StatusCode::CREATED, &created))
}

#[utoipa::path(patch, path = "/api/v1/projects/{project}/robots/{robot}", tag = "robots",
    params(("project" = String, Path), ("robot" = String, Path)), request_body = RobotChange,
    responses((status = 200, body = RobotView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path((project, robot)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    let found = manageable(&state, &caller, &project, &robot, "robot-update").await?;
    let change: RobotChange = body(&bytes)?;
    if let Some(disabled) = change.disabled {
        state.accounts.set_robot_disabled(&found.name, disabled).await?;
        let detail = format!("{}: disabled={disabled}", found.name);
        state.record(&caller, "robot-update", &project, detail, Outcome::Success);
    }
    let robot = state
        .accounts
        .robot(&found.name)
        .await?
        .ok_or_else(|| Failure::not_found(format!("no robot `{}`", found.name)))?;
    Ok(json(StatusCode::OK, &RobotView::from(robot)))
}

#[utoipa::path(delete, path = "/api/v1/projects/{project}/robots/{robot}", tag = "robots",
    params(("project" = String, Path), ("robot" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn remove(
    State(state): State<ApiState>,
    caller: Caller,
    Path((project, robot)): Path<(String, String)>,
) -> Reply {
    let found = manageable(&state, &caller, &project, &robot, "robot-delete").await?;
    state.accounts.delete_robot(&found.name).await?;
    state.record(&caller, "robot-delete", &project, found.name, Outcome::Success);
    Ok(no_content())
}

/// The robot `name` of `project`, when the caller may manage robots in every project it
/// holds permissions in (a robot spanning projects is not one project admin's alone).
async fn manageable(
    state: &ApiState,
    caller: &Caller,
    project: &str,
    name: &str,
    action: &str,
) -> Result<Robot, Failure> {
    state
        .require_project(caller, project, Permission::ManageRobots, action)
        .await?;
    let name = if name.starts_with(ROBOT_PREFIX) {
        name.to_string()
    } else {
        format!("{ROBOT_PREFIX}{name}")
    };
    let robot = state
        .accounts
        .robot(&name)
        .await?
        .filter(|robot| robot.grants.iter().any(|(granted_in, _)| granted_in == project))
        .ok_or_else(|| {
            Failure::not_found(format!(
                "no robot `{}` in project `{}`",
                crate::names::printable(&name),
                crate::names::printable(project)
            ))
        })?;
    let projects: BTreeSet<&str> = robot.grants.iter().map(|(granted_in, _)| granted_in.as_str()).collect();
    for other in projects {
        state
            .require_project(caller, other, Permission::ManageRobots, action)
            .await?;
    }
    Ok(robot)
}

//! `/api/v1/users`: local accounts; `manage-users` (system administrators) only.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiState, Caller, Failure, Outcome, Reply, body, json, no_content};
use crate::auth::Permission;
use crate::auth::accounts::User;
use crate::s3::Secret;

/// A user as the API shows it (never the password or its hash).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub name: String,
    pub system_admin: bool,
    pub disabled: bool,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            name: user.name,
            system_admin: user.system_admin,
            disabled: user.disabled,
            created_at: user.created_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    /// At least 12 characters.
    pub password: String,
    #[serde(default)]
    pub system_admin: bool,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_admin: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "Every user", body = [UserView]), (status = 403, body = super::openapi::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn list(State(state): State<ApiState>, caller: Caller) -> Reply {
    state.require_system(&caller, Permission::ManageUsers, "user-list", "")?;
    let users: Vec<UserView> = state.accounts.users().await?.into_iter().map(UserView::from).collect();
    Ok(json(StatusCode::OK, &users))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, description = "Created", body = UserView), (status = 400, body = super::openapi::ErrorBody),
        (status = 403, body = super::openapi::ErrorBody), (status = 409, body = super::openapi::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn create(State(state): State<ApiState>, caller: Caller, bytes: Bytes) -> Reply {
    state.require_system(&caller, Permission::ManageUsers, "user-create", "")?;
    let new: NewUser = body(&bytes)?;
    if state.accounts.user(&new.name).await?.is_some() {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            format!("user `{}` already exists", new.name),
        ));
    }
    state
        .accounts
        .create_user(&new.name, &Secret::new(new.password), new.system_admin)
        .await?;
    let detail = format!(
        "user {}{}",
        new.name,
        if new.system_admin { " (system admin)" } else { "" }
    );
    state.record(&caller, "user-create", "", detail, Outcome::Success);
    let user = state
        .accounts
        .user(&new.name)
        .await?
        .ok_or_else(|| missing(&new.name))?;
    Ok(json(StatusCode::CREATED, &UserView::from(user)))
}

#[utoipa::path(get, path = "/api/v1/users/{name}", tag = "users", params(("name" = String, Path)),
    responses((status = 200, body = UserView), (status = 403, body = super::openapi::ErrorBody), (status = 404, body = super::openapi::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn show(State(state): State<ApiState>, caller: Caller, Path(name): Path<String>) -> Reply {
    state.require_system(&caller, Permission::ManageUsers, "user-show", "")?;
    let user = state.accounts.user(&name).await?.ok_or_else(|| missing(&name))?;
    Ok(json(StatusCode::OK, &UserView::from(user)))
}

#[utoipa::path(patch, path = "/api/v1/users/{name}", tag = "users", params(("name" = String, Path)), request_body = UserChange,
    responses((status = 200, body = UserView), (status = 400, body = super::openapi::ErrorBody),
        (status = 403, body = super::openapi::ErrorBody), (status = 404, body = super::openapi::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Reply {
    state.require_system(&caller, Permission::ManageUsers, "user-update", "")?;
    let change: UserChange = body(&bytes)?;
    if state.accounts.user(&name).await?.is_none() {
        return Err(missing(&name));
    }
    let demotes_self = change.disabled == Some(true) || change.system_admin == Some(false);
    if name == caller.name() && demotes_self {
        return Err(Failure::bad_request(
            "you cannot disable yourself or drop your own administrator role: ask another administrator",
        ));
    }
    let mut changed = Vec::new();
    if let Some(password) = change.password {
        state.accounts.set_password(&name, &Secret::new(password)).await?;
        changed.push("password changed".to_string());
    }
    if let Some(disabled) = change.disabled {
        state.accounts.set_user_disabled(&name, disabled).await?;
        changed.push(format!("disabled={disabled}"));
    }
    if let Some(admin) = change.system_admin {
        state.accounts.set_system_admin(&name, admin).await?;
        changed.push(format!("system-admin={admin}"));
    }
    let detail = format!("user {name}: {}", changed.join(", "));
    state.record(&caller, "user-update", "", detail, Outcome::Success);
    let user = state.accounts.user(&name).await?.ok_or_else(|| missing(&name))?;
    Ok(json(StatusCode::OK, &UserView::from(user)))
}

#[utoipa::path(delete, path = "/api/v1/users/{name}", tag = "users", params(("name" = String, Path)),
    responses((status = 204, description = "Deleted with their memberships"), (status = 403, body = super::openapi::ErrorBody),
        (status = 404, body = super::openapi::ErrorBody)),
    security(("basic" = []), ("bearer" = [])))]
pub(crate) async fn remove(State(state): State<ApiState>, caller: Caller, Path(name): Path<String>) -> Reply {
    state.require_system(&caller, Permission::ManageUsers, "user-delete", "")?;
    if name == caller.name() {
        return Err(Failure::bad_request(
            "you cannot delete yourself: ask another administrator",
        ));
    }
    if state.accounts.user(&name).await?.is_none() {
        return Err(missing(&name));
    }
    state.accounts.delete_user(&name).await?;
    state.record(&caller, "user-delete", "", format!("user {name}"), Outcome::Success);
    Ok(no_content())
}

fn missing(name: &str) -> Failure {
    Failure::not_found(format!("no user `{}`", crate::names::printable(name)))
}

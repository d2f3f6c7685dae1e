//! Who is calling the API, and what the permission table lets them do.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::{ApiState, Failure, Outcome};
use crate::audit::NewEntry;
use crate::auth::Permission;
use crate::auth::accounts::{Identity, ROBOT_PREFIX};
use crate::auth::service::{LogLogins, LoginEvent, LoginSink, basic_credentials, bearer};
use crate::meta::now_millis;

/// An authenticated caller and the address they called from.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    pub client: String,
}

impl Caller {
    pub fn name(&self) -> &str {
        self.identity.name()
    }
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Failure> {
        let client = state.proxies.client(&parts.extensions, &parts.headers);
        let identity = match bearer(&parts.headers) {
            Some(token) => from_token(state, token).await?,
            None => from_basic(state, parts, &client).await?,
        };
        Ok(Caller { identity, client })
    }
}

async fn from_basic(state: &ApiState, parts: &Parts, client: &str) -> Result<Identity, Failure> {
    let credentials = basic_credentials(&parts.headers)
        .map_err(|()| Failure::unauthenticated("malformed basic credentials"))?
        .ok_or_else(|| Failure::unauthenticated("the API needs credentials: basic or a bearer token"))?;
    let (account, secret) = credentials;
    let outcome = state.accounts.authenticate(&account, &secret, now_millis()).await?;
    let refusal = outcome.as_ref().err().copied();
    LogLogins.login(LoginEvent {
        account: account.clone(),
        refusal,
        client: client.to_string(),
    });
    state.sink.record_entry(NewEntry {
        actor: account,
        action: "login".into(),
        detail: match refusal {
            None => "admin API".into(),
            Some(refusal) => format!("admin API: {}", refusal.as_str()),
        },
        client: client.to_string(),
        outcome: if refusal.is_none() { "success" } else { "failure" }.into(),
        ..NewEntry::default()
    });
    outcome.map_err(|_| Failure::unauthenticated("invalid username or password"))
}

/// The account a bearer token was issued to, as it stands now: a token outlives neither a
/// disabled account nor an expired robot.
async fn from_token(state: &ApiState, token: &str) -> Result<Identity, Failure> {
    let invalid = || Failure::unauthenticated("invalid or expired bearer token");
    let tokens = state.tokens.as_ref().ok_or_else(invalid)?;
    let subject = tokens.token_subject(token).ok_or_else(invalid)?;
    if subject.starts_with(ROBOT_PREFIX) {
        let robot = state.accounts.robot(&subject).await?.ok_or_else(invalid)?;
        let expired = robot.expires_at.is_some_and(|at| at <= now_millis());
        if robot.disabled || expired {
            return Err(invalid());
        }
        return Ok(Identity::Robot { name: subject });
    }
    let user = state.accounts.user(&subject).await?.ok_or_else(invalid)?;
    if user.disabled {
        return Err(invalid());
    }
    Ok(Identity::User {
        name: user.name,
        system_admin: user.system_admin,
    })
}

impl ApiState {
    /// Allows the call when the table gives `caller` the system permission `permission`;
    /// a refusal is audited as `action` on `resource`.
    pub(crate) fn require_system(
        &self,
        caller: &Caller,
        permission: Permission,
        action: &str,
        resource: &str,
    ) -> Result<(), Failure> {
        if self
            .accounts
            .system_permissions(Some(&caller.identity))
            .contains(&permission)
        {
            return Ok(());
        }
        Err(self.refuse(caller, permission, action, resource))
    }

    /// Allows the call when the table gives `caller` `permission` in `project`.
    pub(crate) async fn require_project(
        &self,
        caller: &Caller,
        project: &str,
        permission: Permission,
        action: &str,
    ) -> Result<(), Failure> {
        if self.holds(caller, project, permission).await? {
            return Ok(());
        }
        Err(self.refuse(caller, permission, action, project))
    }

    pub(crate) async fn holds(&self, caller: &Caller, project: &str, permission: Permission) -> Result<bool, Failure> {
        let held = self
            .accounts
            .project_permissions(Some(&caller.identity), project)
            .await?;
        Ok(held.contains(&permission))
    }

    fn refuse(&self, caller: &Caller, permission: Permission, action: &str, resource: &str) -> Failure {
        let needed = permission.as_str();
        self.record(caller, action, resource, format!("lacks {needed}"), Outcome::Denied);
        Failure::new(
            StatusCode::FORBIDDEN,
            format!("`{}` does not hold `{needed}` here", caller.name()),
        )
    }
}

//! Accounts in the metadata database: users, projects, members and robot accounts, and what
//! each principal may do in a project (the permission table applied to them).
//!
//! Passwords are stored as argon2id PHC strings (salted, verified in constant time by the
//! `argon2` crate). Robot secrets are 256 random bits, shown once at creation and stored as
//! their SHA-256 (a secret that long needs no slow hash), compared with `subtle`. An unknown
//! account name costs the same argon2 verification as a known one, so the time a login takes
//! does not tell which names exist. Failed logins are counted per account name; too many in
//! the window lock the name out for a while, whatever the credentials.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest as _, Sha256};
use sqlx::{AnyPool, Row};
use subtle::ConstantTimeEq;

use super::permissions::{Permission, Role, Scope, TABLE, public_allows, robot_may_hold, role_allows};
use crate::error::{Error, Result};
use crate::meta::{Backend, Metadata, now_millis};
use crate::s3::Secret;

/// The accounts tables (migration 2 of the metadata schema). Flags are 0 or 1; times are
/// milliseconds since the epoch.
pub(crate) const SCHEMA: &str = "
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    system_admin BIGINT NOT NULL,
    disabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE projects (
    name TEXT {collate} PRIMARY KEY,
    public BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE members (
    project TEXT NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project, username)
);
CREATE INDEX members_by_user ON members (username);
CREATE TABLE robots (
    name TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    expires_at BIGINT,
    disabled BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE robot_permissions (
    robot TEXT NOT NULL,
    project TEXT NOT NULL,
    permission TEXT NOT NULL,
    PRIMARY KEY (robot, project, permission)
);
CREATE TABLE login_failures (
    account TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
)
";

/// Robot account names start with this, which user names cannot contain.
pub const ROBOT_PREFIX: &str = "robot$";

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

/// When repeated failures lock an account name out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Failures within `window_ms` that lock the name.
    pub max_failures: i64,
    pub window_ms: i64,
    /// How long the lock lasts.
    pub lock_ms: i64,
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout {
            max_failures: 5,
            window_ms: 15 * 60 * 1000,
            lock_ms: 15 * 60 * 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub system_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub name: String,
    pub public: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub username: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Robot {
    pub name: String,
    pub expires_at: Option<i64>,
    pub disabled: bool,
    pub created_by: String,
    pub created_at: i64,
    /// (project, permission) pairs.
    pub grants: Vec<(String, Permission)>,
}

/// Who a login proved to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    User { name: String, system_admin: bool },
    Robot { name: String },
}

impl Identity {
    pub fn name(&self) -> &str {
        match self {
            Identity::User { name, .. } | Identity::Robot { name } => name,
        }
    }
}

/// Why a login failed. Clients are told only that it failed; the audit log keeps the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadCredentials,
    Disabled,
    Expired,
    LockedOut { until: i64 },
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::BadCredentials => "bad credentials",
            Refusal::Disabled => "account disabled",
            Refusal::Expired => "robot account expired",
            Refusal::LockedOut { .. } => "locked out after repeated failures",
        }
    }
}

/// The accounts store, on the metadata database.
#[derive(Debug, Clone)]
pub struct Accounts {
    pool: AnyPool,
    backend: Backend,
    lockout: Lockout,
}

impl Accounts {
    pub fn new(meta: &Metadata) -> Self {
        Accounts {
            pool: meta.pool().clone(),
            backend: meta.backend(),
            lockout: Lockout::default(),
        }
    }

    pub fn with_lockout(mut self, lockout: Lockout) -> Self {
        self.lockout = lockout;
        self
    }

    // Users.

    pub async fn create_user(&self, name: &str, password: &Secret, system_admin: bool) -> Result<()> {
        check_user_name(name)?;
        check_password(name, password)?;
        let hash = hash_password(password).await?;
        let inserted = sqlx::query(
            "INSERT INTO users (name, password_hash, system_admin, disabled, created_at) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(hash)
        .bind(flag(system_admin))
        .bind(now_millis())
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(Error::Account(format!("user `{name}` already exists")));
        }
        Ok(())
    }

    pub async fn user(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT name, system_admin, disabled, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT name, system_admin, disabled, created_at FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from).collect()
    }

    pub async fn set_password(&self, name: &str, password: &Secret) -> Result<()> {
        check_password(name, password)?;
        let hash = hash_password(password).await?;
        let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(hash)
            .bind(name)
            .execute(&self.pool)
            .await?;
        exactly_one(updated.rows_affected(), || format!("no user `{name}`"))
    }

    pub async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let updated = sqlx::query("UPDATE users SET disabled = $1 WHERE name = $2")
            .bind(flag(disabled))
            .bind(name)
            .execute(&self.pool)
            .await?;
        exactly_one(updated.rows_affected(), || format!("no user `{name}`"))
    }

    pub async fn set_system_admin(&self, name: &str, system_admin: bool) -> Result<()> {
        let updated = sqlx::query("UPDATE users SET system_admin = $1 WHERE name = $2")
            .bind(flag(system_admin))
            .bind(name)
            .execute(&self.pool)
            .await?;
        exactly_one(updated.rows_affected(), || format!("no user `{name}`"))
    }

    /// Deletes a user and their memberships.
    pub async fn delete_user(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        sqlx::query("DELETE FROM members WHERE username = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        exactly_one(deleted.rows_affected(), || format!("no user `{name}`"))?;
        tx.commit().await?;
        Ok(())
    }

    // Projects and members.

    pub async fn create_project(&self, name: &str, public: bool) -> Result<()> {
        check_project_name(name)?;
        let inserted = sqlx::query(
            "INSERT INTO projects (name, public, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(flag(public))
        .bind(now_millis())
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(Error::Account(format!("project `{name}` already exists")));
        }
        Ok(())
    }

    pub async fn project(&self, name: &str) -> Result<Option<Project>> {
        let row = sqlx::query("SELECT name, public, created_at FROM projects WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(project_from).transpose()
    }

    pub async fn projects(&self) -> Result<Vec<Project>> {
        let rows = sqlx::query("SELECT name, public, created_at FROM projects ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(project_from).collect()
    }

    pub async fn set_project_public(&self, name: &str, public: bool) -> Result<()> {
        let updated = sqlx::query("UPDATE projects SET public = $1 WHERE name = $2")
            .bind(flag(public))
            .bind(name)
            .execute(&self.pool)
            .await?;
        exactly_one(updated.rows_affected(), || format!("no project `{name}`"))
    }

    /// Deletes an empty project with its members and the robots' grants in it.
    pub async fn delete_project(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        // Names under `name/` sort between `name/` and `name0` (`0` follows `/`), bytewise.
        let repositories: i64 = sqlx::query("SELECT COUNT(*) FROM repositories WHERE name >= $1 AND name < $2")
            .bind(format!("{name}/"))
            .bind(format!("{name}0"))
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if repositories > 0 {
            return Err(Error::Account(format!(
                "project `{name}` still holds {repositories} repositories: delete them first"
            )));
        }
        for statement in [
            "DELETE FROM members WHERE project = $1",
            "DELETE FROM robot_permissions WHERE project = $1",
        ] {
            sqlx::query(statement).bind(name).execute(&mut *tx).await?;
        }
        let deleted = sqlx::query("DELETE FROM projects WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        exactly_one(deleted.rows_affected(), || format!("no project `{name}`"))?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes `username` a member of `project` with `role`, or changes their role.
    pub async fn set_member(&self, project: &str, username: &str, role: Role) -> Result<()> {
        if role == Role::SystemAdmin {
            return Err(Error::Account(
                "system-admin is not a project role: make the user an administrator instead".into(),
            ));
        }
        if self.project(project).await?.is_none() {
            return Err(Error::Account(format!("no project `{project}`")));
        }
        if self.user(username).await?.is_none() {
            return Err(Error::Account(format!("no user `{username}`")));
        }
        sqlx::query(
            "INSERT INTO members (project, username, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project, username) DO UPDATE SET role = excluded.role",
        )
        .bind(project)
        .bind(username)
        .bind(role.as_str())
        .bind(now_millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn remove_member(&self, project: &str, username: &str) -> Result<()> {
        let deleted = sqlx::query("DELETE FROM members WHERE project = $1 AND username = $2")
            .bind(project)
            .bind(username)
            .execute(&self.pool)
            .await?;
        exactly_one(deleted.rows_affected(), || {
            format!("`{username}` is not a member of `{project}`")
        })
    }

    pub async fn members(&self, project: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query("SELECT username, role FROM members WHERE project = $1 ORDER BY username")
            .bind(project)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Member {
                    username: row.try_get(0)?,
                    role: role_from(&row.try_get::<String, _>(1)?)?,
                })
            })
            .collect()
    }

    pub async fn role_of(&self, username: &str, project: &str) -> Result<Option<Role>> {
        let row = sqlx::query("SELECT role FROM members WHERE project = $1 AND username = $2")
            .bind(project)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| role_from(&row.try_get::<String, _>(0)?)).transpose()
    }

    // Robots.

    /// Creates a robot account holding `grants` ((project, permission) pairs) until
    /// `expires_at` (milliseconds since the epoch; never when none). Returns its secret,
    /// which is not stored and cannot be shown again.
    pub async fn create_robot(
        &self,
        name: &str,
        grants: &[(String, Permission)],
        expires_at: Option<i64>,
        created_by: &str,
    ) -> Result<Secret> {
        check_robot_name(name)?;
        if grants.is_empty() {
            return Err(Error::Account(format!("robot `{name}` needs at least one permission")));
        }
        for (project, permission) in grants {
            if !robot_may_hold(*permission) {
                return Err(Error::Account(format!(
                    "a robot account cannot hold `{}`",
                    permission.as_str()
                )));
            }
            if self.project(project).await?.is_none() {
                return Err(Error::Account(format!("no project `{project}`")));
            }
        }
        let secret = new_robot_secret()?;
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        let inserted = sqlx::query(
            "INSERT INTO robots (name, secret_sha256, expires_at, disabled, created_by, created_at) \
             VALUES ($1, $2, $3, 0, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(hex::encode(Sha256::digest(secret.expose().as_bytes())))
        .bind(expires_at)
        .bind(created_by)
        .bind(now_millis())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(Error::Account(format!("robot `{name}` already exists")));
        }
        for (project, permission) in grants {
            sqlx::query(
                "INSERT INTO robot_permissions (robot, project, permission) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(name)
            .bind(project)
            .bind(permission.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(secret)
    }

    pub async fn robot(&self, name: &str) -> Result<Option<Robot>> {
        let row = sqlx::query("SELECT name, expires_at, disabled, created_by, created_at FROM robots WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let grants = sqlx::query(
            "SELECT project, permission FROM robot_permissions WHERE robot = $1 ORDER BY project, permission",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|grant| {
            let permission: String = grant.try_get(1)?;
            let permission = Permission::parse(&permission)
                .ok_or_else(|| Error::Corrupt(format!("robot permission `{permission}`")))?;
            Ok((grant.try_get(0)?, permission))
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Some(Robot {
            name: row.try_get(0)?,
            expires_at: row.try_get(1)?,
            disabled: row.try_get::<i64, _>(2)? != 0,
            created_by: row.try_get(3)?,
            created_at: row.try_get(4)?,
            grants,
        }))
    }

    /// The robot accounts holding a permission in `project`.
    pub async fn robots_in(&self, project: &str) -> Result<Vec<Robot>> {
        let names = sqlx::query("SELECT DISTINCT robot FROM robot_permissions WHERE project = $1 ORDER BY robot")
            .bind(project)
            .fetch_all(&self.pool)
            .await?;
        let mut robots = Vec::new();
        for row in &names {
            if let Some(robot) = self.robot(&row.try_get::<String, _>(0)?).await? {
                robots.push(robot);
            }
        }
        Ok(robots)
    }

    pub async fn set_robot_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let updated = sqlx::query("UPDATE robots SET disabled = $1 WHERE name = $2")
            .bind(flag(disabled))
            .bind(name)
            .execute(&self.pool)
            .await?;
        exactly_one(updated.rows_affected(), || format!("no robot `{name}`"))
    }

    pub async fn delete_robot(&self, name: &str) -> Result<()> {
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        sqlx::query("DELETE FROM robot_permissions WHERE robot = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM robots WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        exactly_one(deleted.rows_affected(), || format!("no robot `{name}`"))?;
        tx.commit().await?;
        Ok(())
    }

    // Logins.

    /// Checks a user's password or a robot's secret at `now` (milliseconds since the epoch),
    /// counting failures towards the lockout. The outer error is the database failing.
    pub async fn authenticate(&self, name: &str, secret: &Secret, now: i64) -> Result<Result<Identity, Refusal>> {
        if let Some(until) = self.locked_until(name, now).await? {
            return Ok(Err(Refusal::LockedOut { until }));
        }
        let outcome = if name.starts_with(ROBOT_PREFIX) {
            self.check_robot(name, secret, now).await?
        } else {
            self.check_user(name, secret).await?
        };
        match outcome {
            Err(Refusal::BadCredentials) => self.count_failure(name, now).await?,
            Ok(_) => self.clear_failures(name).await?,
            Err(_) => {}
        }
        Ok(outcome)
    }

    async fn check_user(&self, name: &str, password: &Secret) -> Result<Result<Identity, Refusal>> {
        let row = sqlx::query("SELECT password_hash, system_admin, disabled FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let (hash, system_admin, disabled) = match &row {
            Some(row) => (
                row.try_get::<String, _>(0)?,
                row.try_get::<i64, _>(1)? != 0,
                row.try_get::<i64, _>(2)? != 0,
            ),
            None => (dummy_hash()?.to_string(), false, false),
        };
        let matches = verify_password(password, hash).await?;
        Ok(match (row.is_some() && matches, disabled) {
            (false, _) => Err(Refusal::BadCredentials),
            (true, true) => Err(Refusal::Disabled),
            (true, false) => Ok(Identity::User {
                name: name.to_string(),
                system_admin,
            }),
        })
    }

    async fn check_robot(&self, name: &str, secret: &Secret, now: i64) -> Result<Result<Identity, Refusal>> {
        let row = sqlx::query("SELECT secret_sha256, expires_at, disabled FROM robots WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let presented = Sha256::digest(secret.expose().as_bytes());
        let Some(row) = row else {
            return Ok(Err(Refusal::BadCredentials));
        };
        let stored = hex::decode(row.try_get::<String, _>(0)?)
            .map_err(|e| Error::Corrupt(format!("robot `{name}` secret hash: {e}")))?;
        if !bool::from(stored.as_slice().ct_eq(presented.as_slice())) {
            return Ok(Err(Refusal::BadCredentials));
        }
        if row.try_get::<i64, _>(2)? != 0 {
            return Ok(Err(Refusal::Disabled));
        }
        if row.try_get::<Option<i64>, _>(1)?.is_some_and(|expires| expires <= now) {
            return Ok(Err(Refusal::Expired));
        }
        Ok(Ok(Identity::Robot { name: name.to_string() }))
    }

    async fn locked_until(&self, name: &str, now: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT locked_until FROM login_failures WHERE account = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let until = row.map(|row| row.try_get::<i64, _>(0)).transpose()?;
        Ok(until.filter(|until| *until > now))
    }

    async fn count_failure(&self, name: &str, now: i64) -> Result<()> {
        let Lockout {
            max_failures,
            window_ms,
            lock_ms,
        } = self.lockout;
        let mut tx = self.pool.begin_with(self.backend.begin_write()).await?;
        let previous = sqlx::query("SELECT failures, last_failure FROM login_failures WHERE account = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let failures = match previous {
            Some(row) if now - row.try_get::<i64, _>(1)? < window_ms => row.try_get::<i64, _>(0)? + 1,
            _ => 1,
        };
        let locked_until = if failures >= max_failures { now + lock_ms } else { 0 };
        // A lock starts the count again once it has passed.
        let stored_failures = if locked_until > 0 { 0 } else { failures };
        sqlx::query(
            "INSERT INTO login_failures (account, failures, last_failure, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, \
             last_failure = excluded.last_failure, locked_until = excluded.locked_until",
        )
        .bind(name)
        .bind(stored_failures)
        .bind(now)
        .bind(locked_until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clear_failures(&self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE account = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // Decisions.

    pub async fn repository_exists(&self, name: &str) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) FROM repositories WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }

    /// Everything `who` (none: anonymous) may do in `project`, from the permission table.
    /// A project that does not exist grants nothing but to a system administrator.
    pub async fn project_permissions(&self, who: Option<&Identity>, project: &str) -> Result<BTreeSet<Permission>> {
        let project_scoped = TABLE.iter().filter(|grant| grant.scope == Scope::Project);
        if let Some(Identity::User { system_admin: true, .. }) = who {
            return Ok(project_scoped.map(|grant| grant.permission).collect());
        }
        let Some(found) = self.project(project).await? else {
            return Ok(BTreeSet::new());
        };
        let mut held: BTreeSet<Permission> = project_scoped
            .clone()
            .filter(|grant| found.public && public_allows(grant.permission))
            .map(|grant| grant.permission)
            .collect();
        match who {
            None => {}
            Some(Identity::User { name, .. }) => {
                if let Some(role) = self.role_of(name, project).await? {
                    held.extend(
                        project_scoped
                            .filter(|grant| role_allows(role, grant.permission))
                            .map(|grant| grant.permission),
                    );
                }
            }
            Some(Identity::Robot { name }) => {
                if let Some(robot) = self.robot(name).await? {
                    held.extend(
                        robot
                            .grants
                            .iter()
                            .filter(|(granted_in, permission)| granted_in == project && robot_may_hold(*permission))
                            .map(|(_, permission)| *permission),
                    );
                }
            }
        }
        Ok(held)
    }

    /// The registry-wide permissions of `who`: all of them for a system administrator.
    pub fn system_permissions(&self, who: Option<&Identity>) -> BTreeSet<Permission> {
        match who {
            Some(Identity::User { system_admin: true, .. }) => TABLE
                .iter()
                .filter(|grant| grant.scope == Scope::System && role_allows(Role::SystemAdmin, grant.permission))
                .map(|grant| grant.permission)
                .collect(),
            _ => BTreeSet::new(),
        }
    }
}

fn flag(value: bool) -> i64 {
    i64::from(value)
}

fn exactly_one(rows: u64, missing: impl FnOnce() -> String) -> Result<()> {
    if rows == 0 {
        return Err(Error::Account(missing()));
    }
    Ok(())
}

fn user_from(row: &sqlx::any::AnyRow) -> Result<User> {
    Ok(User {
        name: row.try_get(0)?,
        system_admin: row.try_get::<i64, _>(1)? != 0,
        disabled: row.try_get::<i64, _>(2)? != 0,
        created_at: row.try_get(3)?,
    })
}

fn project_from(row: &sqlx::any::AnyRow) -> Result<Project> {
    Ok(Project {
        name: row.try_get(0)?,
        public: row.try_get::<i64, _>(1)? != 0,
        created_at: row.try_get(2)?,
    })
}

fn role_from(name: &str) -> Result<Role> {
    Role::parse(name).ok_or_else(|| Error::Corrupt(format!("member role `{name}`")))
}

/// User names: a lowercase letter or digit, then up to 63 of those or `.`, `_`, `-`.
pub fn check_user_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(Error::Account(format!(
            "invalid name `{}`: use 1 to 64 lowercase letters, digits, `.`, `_` or `-`, starting with a letter or digit",
            crate::names::printable(name)
        )))
    }
}

/// Robot names: `robot$` and a user name.
pub fn check_robot_name(name: &str) -> Result<()> {
    match name.strip_prefix(ROBOT_PREFIX) {
        Some(rest) => check_user_name(rest),
        None => Err(Error::Account(format!(
            "invalid robot name `{}`: robot names start with `{ROBOT_PREFIX}`",
            crate::names::printable(name)
        ))),
    }
}

/// Project names are a repository name's first path component: lowercase letters and digits
/// in runs joined by `.`, `_`, `__` or dashes, at most 64 characters.
pub fn check_project_name(name: &str) -> Result<()> {
    if name.len() <= 64 && is_path_component(name) {
        return Ok(());
    }
    Err(Error::Account(format!(
        "invalid project name `{}`: use lowercase letters and digits joined by `.`, `_`, `__` or `-` \
         (the first component of a repository name), at most 64 characters",
        crate::names::printable(name)
    )))
}

/// The distribution specification's path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn is_path_component(name: &str) -> bool {
    let mut rest = name;
    loop {
        let run = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
            .unwrap_or(rest.len());
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        if rest.is_empty() {
            return true;
        }
        let separator = if rest.starts_with("__") {
            2
        } else if rest.starts_with(['.', '_']) {
            1
        } else if rest.starts_with('-') {
            rest.len() - rest.trim_start_matches('-').len()
        } else {
            return false;
        };
        rest = &rest[separator..];
    }
}

fn check_password(name: &str, password: &Secret) -> Result<()> {
    let password = password.expose();
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::Account(format!(
            "the password is too short: use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if password.eq_ignore_ascii_case(name) {
        return Err(Error::Account("the password must not be the user name".into()));
    }
    Ok(())
}

async fn hash_password(password: &Secret) -> Result<String> {
    let password = password.expose().as_bytes().to_vec();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(&password)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Crypto(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| Error::Crypto(format!("hashing a password: {e}")))?
}

/// Whether `password` matches the PHC string `hash`. A hash that does not parse is corrupt
/// data, not a mismatch.
async fn verify_password(password: &Secret, hash: String) -> Result<bool> {
    let password = password.expose().as_bytes().to_vec();
    tokio::task::spawn_blocking(
        move || match Argon2::default().verify_password(&password, hash.as_str()) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(Error::Corrupt(format!("a stored password hash: {e}"))),
        },
    )
    .await
    .map_err(|e| Error::Crypto(format!("verifying a password: {e}")))?
}

/// A hash of a random password, verified against for names that do not exist.
fn dummy_hash() -> Result<&'static str> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return Ok(hash);
    }
    let hash = Argon2::default()
        .hash_password(crate::random_id().as_bytes())
        .map_err(|e| Error::Crypto(format!("hashing a password: {e}")))?
        .to_string();
    Ok(HASH.get_or_init(|| hash))
}

fn new_robot_secret() -> Result<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Crypto(format!("generating a robot secret: {e}")))?;
    Ok(Secret::new(hex::encode(bytes)))
}

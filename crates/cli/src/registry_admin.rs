//! `drydock registry user|project|member|robot|history`: a drydock registry's admin API
//! (`/api/v1`, docs/access-control.md) from the command line.
//!
//! Credentials: `--username` with `--password-stdin`, else DRYDOCK_REGISTRY_USERNAME and
//! DRYDOCK_REGISTRY_PASSWORD, else what `drydock login` (or `docker login`) stored in the
//! Docker config. They go to the API as basic credentials; nothing secret is printed but a
//! new robot's secret, once.

use std::io::Read as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine as _;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

/// How to reach the registry's API and as whom; shared by every admin command.
#[derive(Args, Debug, Clone)]
pub struct ApiArgs {
    /// The registry: HOST[:PORT], or an http(s):// URL.
    #[arg(long, env = "DRYDOCK_REGISTRY", value_name = "HOST[:PORT]", global = true)]
    pub registry: Option<String>,
    /// Account name (or DRYDOCK_REGISTRY_USERNAME, or the Docker config's login).
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// Read the account's password or robot secret from standard input.
    #[arg(long, global = true)]
    pub password_stdin: bool,
    /// Allow plain HTTP (always used for localhost and 127.0.0.0/8).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Print the API's JSON answer.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct UserCommand {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub action: UserAction,
}

#[derive(Subcommand, Debug)]
pub enum UserAction {
    /// List users.
    List,
    /// Create a user; the password is read from standard input.
    Create {
        name: String,
        /// Make the user a system administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Change a user: disable or enable, grant or revoke administration, set the password
    /// (read from standard input with --new-password).
    Update {
        name: String,
        #[arg(long, value_name = "BOOL")]
        disabled: Option<bool>,
        #[arg(long, value_name = "BOOL")]
        admin: Option<bool>,
        /// Read a new password from standard input.
        #[arg(long)]
        new_password: bool,
    },
    /// Delete a user and their memberships.
    Delete { name: String },
}

#[derive(Args, Debug)]
pub struct ProjectCommand {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub action: ProjectAction,
}

#[derive(Subcommand, Debug)]
pub enum ProjectAction {
    /// List the projects you may pull from.
    List,
    /// Create a project (private unless --public).
    Create {
        name: String,
        #[arg(long)]
        public: bool,
    },
    /// Show a project's policy.
    Show { name: String },
    /// Change a project's policy.
    Set {
        name: String,
        #[arg(long, value_name = "BOOL")]
        public: bool,
    },
    /// Delete an empty project.
    Delete { name: String },
}

#[derive(Args, Debug)]
pub struct MemberCommand {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub action: MemberAction,
}

#[derive(Subcommand, Debug)]
pub enum MemberAction {
    /// List a project's members and roles.
    List { project: String },
    /// Add a member or change their role (project-admin, maintainer, developer, guest,
    /// limited-guest).
    Set {
        project: String,
        #[arg(value_name = "USERNAME")]
        member: String,
        role: String,
    },
    /// Remove a member.
    Remove {
        project: String,
        #[arg(value_name = "USERNAME")]
        member: String,
    },
}

#[derive(Args, Debug)]
pub struct RobotCommand {
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(subcommand)]
    pub action: RobotAction,
}

#[derive(Subcommand, Debug)]
pub enum RobotAction {
    /// List a project's robot accounts.
    List { project: String },
    /// Create a robot account; its secret is printed once and never again.
    Create {
        project: String,
        name: String,
        /// A permission it holds in the project (pull, push, delete-tag, ...); repeat.
        #[arg(long = "permission", value_name = "NAME", required = true)]
        permissions: Vec<String>,
        /// Expire after this many days [default: never].
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// Disable a robot account.
    Disable { project: String, name: String },
    /// Enable a disabled robot account.
    Enable { project: String, name: String },
    /// Delete a robot account.
    Delete { project: String, name: String },
}

#[derive(Args, Debug)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// PROJECT/repo, or PROJECT/repo:tag for one tag.
    pub reference: String,
}

/// A client of one registry's admin API.
struct Api {
    base: String,
    authorization: String,
    agent: ureq::Agent,
    json: bool,
}

impl Api {
    fn connect(args: &ApiArgs) -> anyhow::Result<Api> {
        let Some(registry) = args.registry.as_deref().filter(|r| !r.is_empty()) else {
            bail!("name the registry with --registry HOST[:PORT] (or DRYDOCK_REGISTRY)");
        };
        let base = base_url(registry, args.insecure)?;
        let (username, password) = credentials(args, config_key(registry))?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build();
        Ok(Api {
            base,
            authorization: format!("Basic {basic}"),
            agent: ureq::Agent::new_with_config(config),
            json: args.json,
        })
    }

    /// Calls the API; a refusal becomes an error carrying the API's message.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let url = format!("{}/api/v1{path}", self.base);
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Authorization", &self.authorization)
            .header("Content-Type", "application/json")
            .body(body.map(|b| b.to_string().into_bytes()).unwrap_or_default())
            .with_context(|| format!("building the request {method} {url}"))?;
        let response = self.agent.run(request).with_context(|| format!("{method} {url}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .with_context(|| format!("reading the answer to {method} {url}"))?;
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).with_context(|| format!("{method} {url} did not answer JSON"))?
        };
        if !status.is_success() {
            let message = value["error"].as_str().unwrap_or("no message");
            bail!("{method} {url}: {status}: {message}");
        }
        Ok(value)
    }

    /// Prints `value` as JSON with --json, else each line `describe` makes of it.
    fn show(&self, value: &Value, describe: impl Fn(&Value) -> String) -> anyhow::Result<ExitCode> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else if let Some(items) = value.as_array() {
            for item in items {
                println!("{}", describe(item));
            }
        } else if !value.is_null() {
            println!("{}", describe(value));
        }
        Ok(ExitCode::SUCCESS)
    }

    fn done(&self, message: String) -> anyhow::Result<ExitCode> {
        if !self.json {
            println!("{message}");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `https://HOST`, or `http://` for loopback hosts and with --insecure; a URL as given.
pub fn base_url(registry: &str, insecure: bool) -> anyhow::Result<String> {
    if registry.starts_with("http://") || registry.starts_with("https://") {
        return Ok(registry.trim_end_matches('/').to_string());
    }
    if registry.contains(['/', '?', '#', '@']) || registry.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("`{registry}` is not HOST[:PORT] or an http(s) URL");
    }
    let host = host_without_port(registry);
    let loopback =
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let scheme = if insecure || loopback { "http" } else { "https" };
    Ok(format!("{scheme}://{registry}"))
}

/// The key credentials are stored under: `host:port` as given, the authority of a URL.
pub fn config_key(registry: &str) -> &str {
    let rest = registry
        .strip_prefix("https://")
        .or_else(|| registry.strip_prefix("http://"))
        .unwrap_or(registry);
    rest.split('/').next().unwrap_or(rest)
}

/// `host:port` → `host`; `[::1]:5000` → `::1`.
fn host_without_port(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    }
}

fn credentials(args: &ApiArgs, key: &str) -> anyhow::Result<(String, String)> {
    if args.password_stdin {
        let Some(username) = &args.username else {
            bail!("--password-stdin needs --username");
        };
        return Ok((username.clone(), read_secret_line("the password")?));
    }
    if args.username.is_some() {
        bail!("--username needs --password-stdin (a password is never taken on the command line)");
    }
    let found =
        drydock_oci::source::registry::stored_credentials(key).context("looking up stored registry credentials")?;
    match found {
        Some(credentials) => Ok((credentials.username, credentials.password)),
        None => bail!(
            "no credentials for {key}: run `drydock login {key}`, set DRYDOCK_REGISTRY_USERNAME and \
             DRYDOCK_REGISTRY_PASSWORD, or pass --username with --password-stdin"
        ),
    }
}

/// One line from standard input, without its line ending; empty is refused.
pub fn read_secret_line(what: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {what} from standard input"))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r').to_string();
    if line.is_empty() {
        bail!("{what} on standard input is empty");
    }
    Ok(line)
}

fn segment(text: &str) -> String {
    percent_encode(text)
}

pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn user(command: &UserCommand) -> anyhow::Result<ExitCode> {
    let new_password = matches!(
        &command.action,
        UserAction::Create { .. } | UserAction::Update { new_password: true, .. }
    );
    if new_password && command.api.password_stdin {
        bail!(
            "the new password is read from standard input: give your own credentials through the environment \
             or `drydock login` instead of --password-stdin"
        );
    }
    let api = Api::connect(&command.api)?;
    match &command.action {
        UserAction::List => {
            let users = api.call("GET", "/users", None)?;
            api.show(&users, |u| {
                let mut flags = Vec::new();
                if u["system_admin"] == true {
                    flags.push("admin");
                }
                if u["disabled"] == true {
                    flags.push("disabled");
                }
                format!("{}\t{}", text(&u["name"]), flags.join(","))
            })
        }
        UserAction::Create { name, admin } => {
            let password = read_secret_line("the new user's password")?;
            let body = json!({"name": name, "password": password, "system_admin": admin});
            let created = api.call("POST", "/users", Some(body))?;
            api.show(&created, |u| format!("created user {}", text(&u["name"])))
        }
        UserAction::Update {
            name,
            disabled,
            admin,
            new_password,
        } => {
            let mut body = serde_json::Map::new();
            if let Some(disabled) = disabled {
                body.insert("disabled".into(), json!(disabled));
            }
            if let Some(admin) = admin {
                body.insert("system_admin".into(), json!(admin));
            }
            if *new_password {
                body.insert("password".into(), json!(read_secret_line("the new password")?));
            }
            if body.is_empty() {
                bail!("nothing to change: give --disabled, --admin or --new-password");
            }
            let updated = api.call("PATCH", &format!("/users/{}", segment(name)), Some(Value::Object(body)))?;
            api.show(&updated, |u| format!("updated user {}", text(&u["name"])))
        }
        UserAction::Delete { name } => {
            api.call("DELETE", &format!("/users/{}", segment(name)), None)?;
            api.done(format!("deleted user {name}"))
        }
    }
}

pub fn project(command: &ProjectCommand) -> anyhow::Result<ExitCode> {
    let api = Api::connect(&command.api)?;
    let describe = |p: &Value| {
        let visibility = if p["public"] == true { "public" } else { "private" };
        format!("{}\t{visibility}", text(&p["name"]))
    };
    match &command.action {
        ProjectAction::List => api.show(&api.call("GET", "/projects", None)?, describe),
        ProjectAction::Create { name, public } => {
            let created = api.call("POST", "/projects", Some(json!({"name": name, "public": public})))?;
            api.show(&created, describe)
        }
        ProjectAction::Show { name } => api.show(
            &api.call("GET", &format!("/projects/{}", segment(name)), None)?,
            describe,
        ),
        ProjectAction::Set { name, public } => {
            let path = format!("/projects/{}", segment(name));
            api.show(&api.call("PATCH", &path, Some(json!({"public": public})))?, describe)
        }
        ProjectAction::Delete { name } => {
            api.call("DELETE", &format!("/projects/{}", segment(name)), None)?;
            api.done(format!("deleted project {name}"))
        }
    }
}

pub fn member(command: &MemberCommand) -> anyhow::Result<ExitCode> {
    let api = Api::connect(&command.api)?;
    let describe = |m: &Value| format!("{}\t{}", text(&m["username"]), text(&m["role"]));
    match &command.action {
        MemberAction::List { project } => {
            let path = format!("/projects/{}/members", segment(project));
            api.show(&api.call("GET", &path, None)?, describe)
        }
        MemberAction::Set { project, member, role } => {
            let path = format!("/projects/{}/members/{}", segment(project), segment(member));
            api.show(&api.call("PUT", &path, Some(json!({"role": role})))?, describe)
        }
        MemberAction::Remove { project, member } => {
            let path = format!("/projects/{}/members/{}", segment(project), segment(member));
            api.call("DELETE", &path, None)?;
            api.done(format!("removed {member} from {project}"))
        }
    }
}

pub fn robot(command: &RobotCommand) -> anyhow::Result<ExitCode> {
    let api = Api::connect(&command.api)?;
    let describe = |r: &Value| {
        let permissions: Vec<String> = r["permissions"]
            .as_array()
            .map(|grants| grants.iter().map(|g| text(&g["permission"])).collect())
            .unwrap_or_default();
        let state = if r["disabled"] == true { "disabled" } else { "enabled" };
        format!("{}\t{state}\t{}", text(&r["name"]), permissions.join(","))
    };
    let path = |project: &str, name: Option<&str>| match name {
        Some(name) => format!("/projects/{}/robots/{}", segment(project), segment(name)),
        None => format!("/projects/{}/robots", segment(project)),
    };
    match &command.action {
        RobotAction::List { project } => api.show(&api.call("GET", &path(project, None), None)?, describe),
        RobotAction::Create {
            project,
            name,
            permissions,
            expires_in_days,
        } => {
            let expires_at = expires_in_days.map(|days| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                now + i64::from(days) * 86_400_000
            });
            let body = json!({"name": name, "permissions": permissions, "expires_at": expires_at});
            let created = api.call("POST", &path(project, None), Some(body))?;
            if api.json {
                println!("{}", serde_json::to_string_pretty(&created)?);
            } else {
                println!("created {}", describe(&created["robot"]));
                println!("secret (shown once, store it now): {}", text(&created["secret"]));
            }
            Ok(ExitCode::SUCCESS)
        }
        RobotAction::Disable { project, name } => {
            let changed = api.call("PATCH", &path(project, Some(name)), Some(json!({"disabled": true})))?;
            api.show(&changed, describe)
        }
        RobotAction::Enable { project, name } => {
            let changed = api.call("PATCH", &path(project, Some(name)), Some(json!({"disabled": false})))?;
            api.show(&changed, describe)
        }
        RobotAction::Delete { project, name } => {
            api.call("DELETE", &path(project, Some(name)), None)?;
            api.done(format!("deleted robot {name}"))
        }
    }
}

pub fn history(args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let (repository, tag) = split_reference(&args.reference)?;
    let api = Api::connect(&args.api)?;
    let mut query = format!("/history?repository={}", percent_encode(repository));
    if let Some(tag) = tag {
        query.push_str(&format!("&tag={}", percent_encode(tag)));
    }
    let changes = api.call("GET", &query, None)?;
    api.show(&changes, |c| {
        let time = c["time"].as_i64().unwrap_or(0);
        let what = match c["change"].as_str() {
            Some("pushed") if c["previous"] == "" => format!("-> {}", text(&c["digest"])),
            Some("pushed") => format!("{} -> {}", text(&c["previous"]), text(&c["digest"])),
            Some(other) => format!("{other} (was {})", text(&c["previous"])),
            None => String::new(),
        };
        format!(
            "{}\t{}\t{what}\tby {} from {}",
            utc_time(time),
            text(&c["tag"]),
            text(&c["actor"]),
            if c["client"] == "" {
                "-".to_string()
            } else {
                text(&c["client"])
            }
        )
    })
}

/// `team/app:v1` → (`team/app`, `v1`); a `:` before the last `/` is a port, not a tag.
pub fn split_reference(reference: &str) -> anyhow::Result<(&str, Option<&str>)> {
    let last_slash = reference.rfind('/');
    let (repository, tag) = match reference.rfind(':') {
        Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
            (&reference[..colon], Some(&reference[colon + 1..]))
        }
        _ => (reference, None),
    };
    if !repository.contains('/') || repository.is_empty() || tag.is_some_and(str::is_empty) {
        bail!("`{reference}` is not PROJECT/repo or PROJECT/repo:tag");
    }
    Ok((repository, tag))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => crate::render::printable(s).to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Milliseconds since the epoch as RFC 3339 UTC (times before 1970 show as the epoch).
fn utc_time(millis: i64) -> String {
    drydock_model::time::rfc3339(u64::try_from(millis.div_euclid(1000)).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_at_the_tag() {
        assert_eq!(split_reference("team/app").unwrap(), ("team/app", None));
        assert_eq!(split_reference("team/app:v1").unwrap(), ("team/app", Some("v1")));
        assert!(split_reference("app").is_err());
        assert!(split_reference("team/app:").is_err());
    }

    #[test]
    fn registries_become_urls() {
        assert_eq!(base_url("127.0.0.1:5000", false).unwrap(), "http://127.0.0.1:5000");
        assert_eq!(base_url("registry.example", false).unwrap(), "https://registry.example");
        assert_eq!(base_url("registry.example", true).unwrap(), "http://registry.example");
        assert_eq!(base_url("https://r.example/", false).unwrap(), "https://r.example");
        assert!(base_url("r.example/x", false).is_err());
        assert_eq!(base_url("[::1]:5000", false).unwrap(), "http://[::1]:5000");
        assert_eq!(config_key("https://r.example:443/x"), "r.example:443");
        assert_eq!(config_key("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(utc_time(1_700_000_000_000), "2023-11-14T22:13:20Z");
    }
}

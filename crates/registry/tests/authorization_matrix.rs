//! The authorization matrix: every role, anonymous, a robot with and without the scope, an
//! expired robot, a disabled user and a member of another project, against every registry
//! action on a public and a private project, through real HTTP with tokens from the token
//! endpoint. Each cell's expectation is computed from the permission table alone (not from
//! the code that authorizes), and checked on SQLite and PostgreSQL.

mod auth_common;

use std::collections::BTreeSet;

use auth_common::{AuthServer, Db};
use base64::Engine as _;
use drydock_registry::access::Action;
use drydock_registry::auth::Permission;
use drydock_registry::auth::permissions::{Role, TABLE, needed_for, public_allows, role_allows};
use drydock_registry::s3::Secret;
use sha2::Digest as _;

const PASSWORD: &str = "a long enough passphrase";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const PROJECTS: [(&str, bool); 2] = [("pub", true), ("priv", false)];

#[derive(Debug, Clone)]
enum Kind {
    Anonymous,
    SystemAdmin,
    Member(Role),
    /// A developer in another project only.
    OtherProjectMember,
    DisabledUser,
    /// A robot holding these permissions in both projects.
    Robot(Vec<Permission>),
    /// A robot holding pull and push in another project only.
    RobotWithoutScope,
    ExpiredRobot,
}

struct Who {
    label: String,
    kind: Kind,
    credentials: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    PullManifest,
    ListTags,
    PushBlob,
    PushToNewRepository,
    DeleteTag,
    DeleteManifest,
    DeleteBlob,
    Catalog,
}

const REQUESTS: [Request; 8] = [
    Request::PullManifest,
    Request::ListTags,
    Request::PushBlob,
    Request::PushToNewRepository,
    Request::DeleteTag,
    Request::DeleteManifest,
    Request::DeleteBlob,
    Request::Catalog,
];

impl Request {
    fn action(self) -> Action {
        match self {
            Request::PullManifest | Request::ListTags => Action::Pull,
            Request::PushBlob | Request::PushToNewRepository => Action::Push,
            Request::DeleteTag | Request::DeleteManifest | Request::DeleteBlob => Action::Delete,
            Request::Catalog => Action::Catalog,
        }
    }
}

/// What the table says `kind` holds in a project, computed from the table alone.
fn expected_permissions(kind: &Kind, public: bool) -> BTreeSet<Permission> {
    let project_permissions = TABLE
        .iter()
        .filter(|grant| grant.scope == drydock_registry::auth::Scope::Project)
        .map(|grant| grant.permission);
    let public_ones: BTreeSet<Permission> = project_permissions
        .clone()
        .filter(|permission| public && public_allows(*permission))
        .collect();
    let mut held = match kind {
        // A login that fails yields no token at all: not even public access.
        Kind::DisabledUser | Kind::ExpiredRobot => return BTreeSet::new(),
        Kind::Anonymous | Kind::OtherProjectMember | Kind::RobotWithoutScope => BTreeSet::new(),
        Kind::SystemAdmin => project_permissions.clone().collect(),
        Kind::Member(role) => project_permissions.clone().filter(|p| role_allows(*role, *p)).collect(),
        Kind::Robot(grants) => grants.iter().copied().collect(),
    };
    held.extend(public_ones);
    held
}

fn expected_allowed(who: &Who, request: Request, public: bool) -> bool {
    if request == Request::Catalog {
        return matches!(who.kind, Kind::SystemAdmin);
    }
    let held = expected_permissions(&who.kind, public);
    let mut needed: Vec<Permission> = needed_for(request.action()).to_vec();
    if request == Request::PushToNewRepository {
        needed.push(Permission::CreateRepository);
    }
    needed.iter().all(|permission| held.contains(permission))
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A token from the token endpoint for `scopes`, or none when the endpoint refuses.
fn token(server: &AuthServer, credentials: Option<&(String, String)>, scopes: &[String]) -> Option<String> {
    let mut url = server.url("/auth/token?service=drydock-registry");
    for scope in scopes {
        url.push_str("&scope=");
        url.push_str(
            &scope
                .replace('/', "%2F")
                .replace(':', "%3A")
                .replace(',', "%2C")
                .replace('*', "%2A"),
        );
    }
    let mut request = server.agent.get(&url);
    if let Some((name, secret)) = credentials {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{name}:{secret}"));
        request = request.header("Authorization", &format!("Basic {basic}"));
    }
    let response = request.call().unwrap();
    if response.status() != 200 {
        assert_eq!(response.status(), 401, "the token endpoint refuses with 401");
        return None;
    }
    let body: serde_json::Value = serde_json::from_slice(&response.into_body().read_to_vec().unwrap()).unwrap();
    Some(body["token"].as_str().unwrap().to_string())
}

fn send(
    server: &AuthServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
    content_type: &str,
) -> ureq::http::Response<ureq::Body> {
    let mut builder = ureq::http::Request::builder().method(method).uri(server.url(path));
    if let Some(token) = token {
        builder = builder.header("Authorization", format!("Bearer {token}"));
    }
    builder = builder.header("Content-Type", content_type);
    let request = builder.body(body.map(<[u8]>::to_vec).unwrap_or_default()).unwrap();
    server.agent.run(request).unwrap()
}

/// Pushes a blob with the admin token (single POST with `?digest=`).
fn admin_push_blob(server: &AuthServer, token: &str, repository: &str, content: &[u8]) -> String {
    let digest = sha256(content);
    let path = format!("/v2/{repository}/blobs/uploads/?digest={digest}");
    let response = send(
        server,
        "POST",
        &path,
        Some(token),
        Some(content),
        "application/octet-stream",
    );
    assert_eq!(response.status(), 201, "admin push of a blob to {repository}");
    digest
}

/// Pushes a one-layer image tagged `tag`; returns the manifest digest.
fn admin_push_image(server: &AuthServer, token: &str, repository: &str, tag: &str, seed: &str) -> String {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","seed":"{seed}"}}"#);
    let config_digest = admin_push_blob(server, token, repository, config.as_bytes());
    let layer = format!("layer {seed}");
    let layer_digest = admin_push_blob(server, token, repository, layer.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let path = format!("/v2/{repository}/manifests/{tag}");
    let response = send(
        server,
        "PUT",
        &path,
        Some(token),
        Some(manifest.as_bytes()),
        OCI_MANIFEST,
    );
    assert_eq!(response.status(), 201, "admin push of {repository}:{tag}");
    sha256(manifest.as_bytes())
}

fn principals() -> Vec<Who> {
    let user = |label: &str, kind: Kind| Who {
        label: label.to_string(),
        kind,
        credentials: Some((label.to_string(), PASSWORD.to_string())),
    };
    let mut all = vec![
        Who {
            label: "anonymous".into(),
            kind: Kind::Anonymous,
            credentials: None,
        },
        user("admin", Kind::SystemAdmin),
        user("outsider", Kind::OtherProjectMember),
        user("disabled", Kind::DisabledUser),
    ];
    for role in Role::PROJECT {
        all.push(user(role.as_str(), Kind::Member(role)));
    }
    // Robot secrets are filled in when the robots are created.
    for (label, kind) in [
        ("robot$ci", Kind::Robot(vec![Permission::Pull, Permission::Push])),
        (
            "robot$cleaner",
            Kind::Robot(vec![
                Permission::Pull,
                Permission::DeleteTag,
                Permission::DeleteManifest,
                Permission::DeleteBlob,
            ]),
        ),
        (
            "robot$builder",
            Kind::Robot(vec![Permission::Pull, Permission::Push, Permission::CreateRepository]),
        ),
        ("robot$elsewhere", Kind::RobotWithoutScope),
        ("robot$expired", Kind::ExpiredRobot),
    ] {
        all.push(Who {
            label: label.into(),
            kind,
            credentials: None,
        });
    }
    all
}

fn set_up(server: &AuthServer, principals: &mut [Who]) {
    let accounts = &server.accounts;
    server.block_on(async {
        for (project, public) in PROJECTS {
            accounts.create_project(project, public).await.unwrap();
        }
        accounts.create_project("other", false).await.unwrap();
        for who in principals.iter_mut() {
            let name = who.label.clone();
            match &who.kind {
                Kind::Anonymous => {}
                Kind::SystemAdmin => accounts.create_user(&name, &Secret::new(PASSWORD), true).await.unwrap(),
                Kind::Member(role) => {
                    accounts
                        .create_user(&name, &Secret::new(PASSWORD), false)
                        .await
                        .unwrap();
                    for (project, _) in PROJECTS {
                        accounts.set_member(project, &name, *role).await.unwrap();
                    }
                }
                Kind::OtherProjectMember => {
                    accounts
                        .create_user(&name, &Secret::new(PASSWORD), false)
                        .await
                        .unwrap();
                    accounts.set_member("other", &name, Role::Developer).await.unwrap();
                }
                Kind::DisabledUser => {
                    accounts
                        .create_user(&name, &Secret::new(PASSWORD), false)
                        .await
                        .unwrap();
                    for (project, _) in PROJECTS {
                        accounts.set_member(project, &name, Role::ProjectAdmin).await.unwrap();
                    }
                    accounts.set_user_disabled(&name, true).await.unwrap();
                }
                Kind::Robot(grants) => {
                    let pairs: Vec<(String, Permission)> = PROJECTS
                        .iter()
                        .flat_map(|(project, _)| grants.iter().map(|g| (project.to_string(), *g)))
                        .collect();
                    let secret = accounts.create_robot(&name, &pairs, None, "admin").await.unwrap();
                    who.credentials = Some((name, secret.expose().to_string()));
                }
                Kind::RobotWithoutScope => {
                    let pairs = vec![
                        ("other".to_string(), Permission::Pull),
                        ("other".to_string(), Permission::Push),
                    ];
                    let secret = accounts.create_robot(&name, &pairs, None, "admin").await.unwrap();
                    who.credentials = Some((name, secret.expose().to_string()));
                }
                Kind::ExpiredRobot => {
                    let pairs: Vec<(String, Permission)> = PROJECTS
                        .iter()
                        .flat_map(|(project, _)| [Permission::Pull, Permission::Push].map(|g| (project.to_string(), g)))
                        .collect();
                    let secret = accounts
                        .create_robot(&name, &pairs, Some(i64::MAX), "admin")
                        .await
                        .unwrap();
                    who.credentials = Some((name, secret.expose().to_string()));
                }
            }
        }
    });
    // Expire the robot directly in the database: its expiry has passed.
    server.block_on(
        server
            .db()
            .execute("UPDATE robots SET expires_at = 1000 WHERE name = 'robot$expired'"),
    );
}

/// Per project and principal, the objects its delete requests remove (pushed by the admin).
struct Targets {
    tag: String,
    manifest: String,
    blob: String,
}

fn push_targets(server: &AuthServer, admin_token: &str, project: &str, label: &str) -> Targets {
    let repository = format!("{project}/app");
    let safe = label.replace('$', "-");
    admin_push_image(
        server,
        admin_token,
        &repository,
        &format!("t-{safe}"),
        &format!("{project} tag {label}"),
    );
    let manifest = admin_push_image(
        server,
        admin_token,
        &repository,
        &format!("m-{safe}"),
        &format!("{project} manifest {label}"),
    );
    let blob = admin_push_blob(
        server,
        admin_token,
        &repository,
        format!("{project} loose blob {label}").as_bytes(),
    );
    Targets {
        tag: format!("t-{safe}"),
        manifest,
        blob,
    }
}

fn authorization_matrix(db: Db) {
    let server = AuthServer::start(db);
    let mut principals = principals();
    set_up(&server, &mut principals);
    let admin = principals.iter().find(|who| who.label == "admin").unwrap();
    let all_scopes = |project: &str| {
        vec![
            format!("repository:{project}/app:pull,push,delete"),
            format!("repository:{project}/new:push"),
        ]
    };

    // A request without a token is challenged with the realm, the service and the scope.
    let bare = send(&server, "GET", "/v2/priv/app/tags/list", None, None, "text/plain");
    assert_eq!(bare.status(), 401);
    let challenge = bare.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(
        challenge.starts_with(&format!("Bearer realm=\"{}/auth/token\"", server.base)),
        "{challenge}"
    );
    assert!(challenge.contains("service=\"drydock-registry\""), "{challenge}");
    assert!(challenge.contains("scope=\"repository:priv/app:pull\""), "{challenge}");

    let mut cells = 0;
    let mut failures = Vec::new();
    for (project, public) in PROJECTS {
        let admin_token = token(&server, admin.credentials.as_ref(), &all_scopes(project)).unwrap();
        admin_push_image(&server, &admin_token, &format!("{project}/app"), "v1", project);
        for who in &principals {
            let targets = push_targets(&server, &admin_token, project, &who.label);
            let new_repository = format!("{project}/new-{}", who.label.replace('$', "-"));
            let mut scopes = all_scopes(project);
            scopes.push(format!("repository:{new_repository}:push"));
            scopes.push("registry:catalog:*".to_string());
            let token = token(&server, who.credentials.as_ref(), &scopes);
            for request in REQUESTS {
                let content = format!("pushed by {} to {project} for {request:?}", who.label);
                let digest = sha256(content.as_bytes());
                let (method, path, body) = match request {
                    Request::PullManifest => ("GET", format!("/v2/{project}/app/manifests/v1"), None),
                    Request::ListTags => ("GET", format!("/v2/{project}/app/tags/list"), None),
                    Request::PushBlob => (
                        "POST",
                        format!("/v2/{project}/app/blobs/uploads/?digest={digest}"),
                        Some(content.as_bytes()),
                    ),
                    Request::PushToNewRepository => (
                        "POST",
                        format!("/v2/{new_repository}/blobs/uploads/?digest={digest}"),
                        Some(content.as_bytes()),
                    ),
                    Request::DeleteTag => ("DELETE", format!("/v2/{project}/app/manifests/{}", targets.tag), None),
                    Request::DeleteManifest => (
                        "DELETE",
                        format!("/v2/{project}/app/manifests/{}", targets.manifest),
                        None,
                    ),
                    Request::DeleteBlob => ("DELETE", format!("/v2/{project}/app/blobs/{}", targets.blob), None),
                    Request::Catalog => ("GET", "/v2/_catalog".to_string(), None),
                };
                let response = send(
                    &server,
                    method,
                    &path,
                    token.as_deref(),
                    body,
                    "application/octet-stream",
                );
                let status = response.status().as_u16();
                let expected = expected_allowed(who, request, public);
                let allowed = (200..300).contains(&status);
                let denied = status == 401 || status == 403;
                if (expected && !allowed) || (!expected && !denied) {
                    failures.push(format!(
                        "{} {request:?} on {project} ({}): status {status}, expected {}",
                        who.label,
                        if public { "public" } else { "private" },
                        if expected { "allowed" } else { "denied" }
                    ));
                }
                cells += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cells, PROJECTS.len() * principals.len() * REQUESTS.len());
}

/// Sanity of the expectations themselves: the matrix does exercise both outcomes for
/// every request, so it cannot pass by allowing or denying everything.
#[test]
fn the_expectations_have_both_outcomes_for_every_request() {
    let principals = principals();
    for request in REQUESTS {
        let outcomes: BTreeSet<bool> = PROJECTS
            .iter()
            .flat_map(|(_, public)| {
                principals
                    .iter()
                    .map(move |who| expected_allowed(who, request, *public))
            })
            .collect();
        assert_eq!(outcomes.len(), 2, "{request:?}");
    }
}

mod sqlite {
    #[test]
    fn authorization_matrix() {
        super::authorization_matrix(super::Db::Sqlite)
    }
}

mod postgres {
    #[test]
    fn authorization_matrix() {
        super::authorization_matrix(super::Db::Postgres)
    }
}

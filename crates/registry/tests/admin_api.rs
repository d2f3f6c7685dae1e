//! The admin API (`/api/v1`) through real HTTP on SQLite and PostgreSQL: account management
//! with every change audited (actor and client address), authorization from the permission
//! table for every role, tag history, and the OpenAPI document against the router.

mod auth_common;

use std::collections::BTreeSet;

use auth_common::{AuthServer, Db};
use base64::Engine as _;
use drydock_registry::auth::Permission;
use drydock_registry::auth::permissions::{Role, role_allows};
use drydock_registry::s3::Secret;
use serde_json::{Value, json};
use sha2::Digest as _;

const PASSWORD: &str = "a long enough passphrase";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

struct Reply {
    status: u16,
    body: Value,
}

fn call(server: &AuthServer, method: &str, path: &str, auth: Auth<'_>, body: Option<Value>) -> Reply {
    call_with(server, method, path, auth, body, &[])
}

fn call_with(
    server: &AuthServer,
    method: &str,
    path: &str,
    auth: Auth<'_>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut builder = ureq::http::Request::builder().method(method).uri(server.url(path));
    match auth {
        Auth::None => {}
        Auth::Basic(user, password) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            builder = builder.header("Authorization", format!("Basic {encoded}"));
        }
        Auth::Bearer(token) => builder = builder.header("Authorization", format!("Bearer {token}")),
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    let request = builder.header("Content-Type", "application/json").body(bytes).unwrap();
    let response = server.agent.run(request).unwrap();
    let status = response.status().as_u16();
    let raw = response.into_body().read_to_vec().unwrap();
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Reply { status, body }
}

/// A token from the token endpoint for `scopes`.
fn token(server: &AuthServer, user: &str, password: &str, scopes: &[&str]) -> String {
    let mut path = "/auth/token?service=drydock-registry".to_string();
    for scope in scopes {
        path.push_str("&scope=");
        path.push_str(&scope.replace('/', "%2F").replace(':', "%3A").replace(',', "%2C"));
    }
    let reply = call(server, "GET", &path, Auth::Basic(user, password), None);
    assert_eq!(reply.status, 200, "token for {user}");
    reply.body["token"].as_str().unwrap().to_string()
}

fn add_user(server: &AuthServer, name: &str, admin: bool) {
    server.block_on(async {
        server
            .accounts
            .create_user(name, &Secret::new(PASSWORD), admin)
            .await
            .unwrap()
    });
}

fn audit_entries(server: &AuthServer, query: &str) -> Vec<Value> {
    server.block_on(server.audit_sink.flush());
    let reply = call(
        server,
        "GET",
        &format!("/api/v1/audit?{query}"),
        Auth::Basic("root", PASSWORD),
        None,
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body.as_array().unwrap().clone()
}

fn accounts_are_managed_and_every_change_is_audited(db: Db) {
    let server = AuthServer::start(db);
    add_user(&server, "root", true);
    let root = || Auth::Basic("root", PASSWORD);

    let created = call(
        &server,
        "POST",
        "/api/v1/users",
        root(),
        Some(json!({"name": "alice", "password": PASSWORD})),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "alice");
    assert!(created.body.get("password").is_none());
    let again = call(
        &server,
        "POST",
        "/api/v1/users",
        root(),
        Some(json!({"name": "alice", "password": PASSWORD})),
    );
    assert_eq!(again.status, 409);
    let short = call(
        &server,
        "POST",
        "/api/v1/users",
        root(),
        Some(json!({"name": "bob", "password": "short"})),
    );
    assert_eq!(short.status, 400);
    assert!(short.body["error"].as_str().unwrap().contains("too short"));
    let unknown_field = call(
        &server,
        "POST",
        "/api/v1/users",
        root(),
        Some(json!({"name": "bob", "pw": "x"})),
    );
    assert_eq!(unknown_field.status, 400);
    assert!(
        unknown_field.body["error"]
            .as_str()
            .unwrap()
            .contains("invalid request body")
    );
    let bob = call(
        &server,
        "POST",
        "/api/v1/users",
        root(),
        Some(json!({"name": "bob", "password": PASSWORD})),
    );
    assert_eq!(bob.status, 201);
    let huge = json!({"name": "carol", "password": "x".repeat(100 * 1024)});
    let too_big = call(&server, "POST", "/api/v1/users", root(), Some(huge));
    assert_eq!(too_big.status, 413, "bodies over 64 KiB are refused");

    // Credentials: none, wrong, a non-administrator.
    assert_eq!(call(&server, "GET", "/api/v1/users", Auth::None, None).status, 401);
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/v1/users",
            Auth::Basic("root", "wrong password!"),
            None
        )
        .status,
        401
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/users", Auth::Basic("alice", PASSWORD), None).status,
        403
    );
    let listed = call(&server, "GET", "/api/v1/users", root(), None);
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "root"]);

    // A project, its admin, members and robots; the project admin acts from behind a
    // trusted proxy, so the audit trail names the address the proxy reports.
    let project = call(
        &server,
        "POST",
        "/api/v1/projects",
        root(),
        Some(json!({"name": "team"})),
    );
    assert_eq!(project.status, 201, "{:?}", project.body);
    assert_eq!(project.body["public"], false);
    let made_admin = call(
        &server,
        "PUT",
        "/api/v1/projects/team/members/alice",
        root(),
        Some(json!({"role": "project-admin"})),
    );
    assert_eq!(made_admin.status, 200, "{:?}", made_admin.body);
    let proxied = [("X-Forwarded-For", "198.51.100.7")];
    let alice = || Auth::Basic("alice", PASSWORD);
    let bob_in = call_with(
        &server,
        "PUT",
        "/api/v1/projects/team/members/bob",
        alice(),
        Some(json!({"role": "developer"})),
        &proxied,
    );
    assert_eq!(bob_in.status, 200, "{:?}", bob_in.body);
    let bad_role = call(
        &server,
        "PUT",
        "/api/v1/projects/team/members/bob",
        alice(),
        Some(json!({"role": "system-admin"})),
    );
    assert_eq!(bad_role.status, 400);
    let no_user = call(
        &server,
        "PUT",
        "/api/v1/projects/team/members/zed",
        alice(),
        Some(json!({"role": "guest"})),
    );
    assert_eq!(no_user.status, 404);
    let bob_tries = call(
        &server,
        "PUT",
        "/api/v1/projects/team/members/bob",
        Auth::Basic("bob", PASSWORD),
        Some(json!({"role": "project-admin"})),
    );
    assert_eq!(bob_tries.status, 403);
    let members = call(&server, "GET", "/api/v1/projects/team/members", alice(), None);
    assert_eq!(
        members.body,
        json!([{"username": "alice", "role": "project-admin"}, {"username": "bob", "role": "developer"}])
    );

    let robot = call_with(
        &server,
        "POST",
        "/api/v1/projects/team/robots",
        alice(),
        Some(json!({"name": "ci", "permissions": ["pull", "push"]})),
        &proxied,
    );
    assert_eq!(robot.status, 201, "{:?}", robot.body);
    assert_eq!(robot.body["robot"]["name"], "robot$ci");
    let secret = robot.body["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    let robots = call(&server, "GET", "/api/v1/projects/team/robots", alice(), None);
    assert_eq!(robots.body[0]["name"], "robot$ci");
    assert!(robots.body[0].get("secret").is_none(), "the secret is shown only once");
    token(&server, "robot$ci", &secret, &["repository:team/app:pull,push"]);
    let too_much = call(
        &server,
        "POST",
        "/api/v1/projects/team/robots",
        alice(),
        Some(json!({"name": "boss", "permissions": ["manage-members"]})),
    );
    assert_eq!(too_much.status, 400);
    assert!(too_much.body["error"].as_str().unwrap().contains("manage-members"));
    let disabled = call(
        &server,
        "PATCH",
        "/api/v1/projects/team/robots/robot$ci",
        alice(),
        Some(json!({"disabled": true})),
    );
    assert_eq!(disabled.body["disabled"], true);
    let refused = call(
        &server,
        "GET",
        "/auth/token?service=drydock-registry",
        Auth::Basic("robot$ci", &secret),
        None,
    );
    assert_eq!(refused.status, 401, "a disabled robot cannot log in");
    assert_eq!(
        call(&server, "DELETE", "/api/v1/projects/team/robots/ci", alice(), None).status,
        204
    );
    assert_eq!(
        call(&server, "DELETE", "/api/v1/projects/team/robots/ci", alice(), None).status,
        404
    );

    // The project policy: its admin may change it, a developer may not; nobody but a
    // system administrator creates or deletes projects.
    let public = call(
        &server,
        "PATCH",
        "/api/v1/projects/team",
        alice(),
        Some(json!({"public": true})),
    );
    assert_eq!((public.status, &public.body["public"]), (200, &json!(true)));
    assert_eq!(
        call(
            &server,
            "PATCH",
            "/api/v1/projects/team",
            Auth::Basic("bob", PASSWORD),
            Some(json!({"public": false}))
        )
        .status,
        403
    );
    assert_eq!(
        call(
            &server,
            "POST",
            "/api/v1/projects",
            alice(),
            Some(json!({"name": "mine"}))
        )
        .status,
        403
    );
    assert_eq!(
        call(&server, "DELETE", "/api/v1/projects/team", alice(), None).status,
        403
    );
    let listed = call(&server, "GET", "/api/v1/projects", Auth::Basic("bob", PASSWORD), None);
    assert_eq!(listed.body[0]["name"], "team");

    // Users: an administrator cannot lock themselves out; a disabled user's credentials stop
    // working, and a bearer token works like basic credentials.
    assert_eq!(call(&server, "DELETE", "/api/v1/users/root", root(), None).status, 400);
    assert_eq!(
        call(
            &server,
            "PATCH",
            "/api/v1/users/root",
            root(),
            Some(json!({"system_admin": false}))
        )
        .status,
        400
    );
    let bob_token = token(&server, "bob", PASSWORD, &[]);
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/v1/projects/team/members",
            Auth::Bearer(&bob_token),
            None
        )
        .status,
        200
    );
    let off = call(
        &server,
        "PATCH",
        "/api/v1/users/bob",
        root(),
        Some(json!({"disabled": true})),
    );
    assert_eq!((off.status, &off.body["disabled"]), (200, &json!(true)));
    assert_eq!(
        call(&server, "GET", "/api/v1/projects", Auth::Basic("bob", PASSWORD), None).status,
        401
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/projects", Auth::Bearer(&bob_token), None).status,
        401
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/projects", Auth::Bearer("not.a.token"), None).status,
        401
    );
    assert_eq!(call(&server, "DELETE", "/api/v1/users/bob", root(), None).status, 204);
    assert_eq!(call(&server, "GET", "/api/v1/users/bob", root(), None).status, 404);

    // The audit trail: the project admin reads their project's entries only.
    assert_eq!(call(&server, "GET", "/api/v1/audit", alice(), None).status, 403);
    server.block_on(server.audit_sink.flush());
    let project_log = call(&server, "GET", "/api/v1/audit?project=team", alice(), None);
    assert_eq!(project_log.status, 200);
    let entries = project_log.body.as_array().unwrap();
    assert!(entries.iter().all(|e| e["repository"] == "team"), "{entries:?}");
    let actions: Vec<(&str, &str, &str)> = entries
        .iter()
        .filter(|e| e["outcome"] == "success")
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["client"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("root", "project-create", "127.0.0.1"),
            ("root", "member-set", "127.0.0.1"),
            ("alice", "member-set", "198.51.100.7"),
            ("alice", "robot-create", "198.51.100.7"),
            ("alice", "robot-update", "127.0.0.1"),
            ("alice", "robot-delete", "127.0.0.1"),
            ("alice", "project-policy", "127.0.0.1"),
        ]
    );
    let denied: Vec<&str> = entries
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert!(denied.contains(&"bob"), "refusals are audited too: {entries:?}");
    assert!(
        !format!("{entries:?}").contains(&secret),
        "no secret in the audit trail"
    );

    let user_changes = audit_entries(&server, "actor=root&action=user-update");
    assert_eq!(user_changes.len(), 1, "{user_changes:?}");
    assert_eq!(user_changes[0]["detail"], "user bob: disabled=true");
    let failed_logins = audit_entries(&server, "action=login&actor=root");
    assert!(failed_logins.iter().any(|e| e["outcome"] == "failure"));
    let none_later = audit_entries(&server, &format!("since={}", i64::MAX - 1));
    assert!(none_later.is_empty());
    let limited = audit_entries(&server, "limit=2");
    assert_eq!(limited.len(), 2);
    let bad = call(&server, "GET", "/api/v1/audit?since=yesterday", root(), None);
    assert_eq!(bad.status, 400);
    assert!(bad.body["error"].as_str().unwrap().contains("since"));
    let verified = server.block_on(server.audit.verify()).unwrap();
    assert!(verified.is_intact(), "{verified:?}");
}

#[derive(Debug, Clone, Copy)]
enum Op {
    ShowProject,
    SetPolicy,
    ListMembers,
    SetMember,
    ListRobots,
    CreateRobot,
    ProjectAudit,
    History,
    ListUsers,
    CreateProject,
    DeleteProject,
    WholeAudit,
}

impl Op {
    const ALL: [Op; 12] = [
        Op::ShowProject,
        Op::SetPolicy,
        Op::ListMembers,
        Op::SetMember,
        Op::ListRobots,
        Op::CreateRobot,
        Op::ProjectAudit,
        Op::History,
        Op::ListUsers,
        Op::CreateProject,
        Op::DeleteProject,
        Op::WholeAudit,
    ];

    fn needs(self) -> Permission {
        match self {
            Op::ShowProject => Permission::ReadProjectPolicy,
            Op::SetPolicy => Permission::SetProjectPolicy,
            Op::ListMembers => Permission::ReadMembers,
            Op::SetMember => Permission::ManageMembers,
            Op::ListRobots => Permission::ReadRobots,
            Op::CreateRobot => Permission::ManageRobots,
            Op::ProjectAudit => Permission::ReadAuditLog,
            Op::History => Permission::ReadTagHistory,
            Op::ListUsers => Permission::ManageUsers,
            Op::CreateProject => Permission::CreateProject,
            Op::DeleteProject => Permission::DeleteProject,
            Op::WholeAudit => Permission::ReadSystemAuditLog,
        }
    }

    /// The request, made unique by `n` where it creates something.
    fn request(self, n: usize) -> (&'static str, String, Option<Value>) {
        match self {
            Op::ShowProject => ("GET", "/api/v1/projects/team".into(), None),
            Op::SetPolicy => ("PATCH", "/api/v1/projects/team".into(), Some(json!({"public": false}))),
            Op::ListMembers => ("GET", "/api/v1/projects/team/members".into(), None),
            Op::SetMember => (
                "PUT",
                "/api/v1/projects/team/members/spare".into(),
                Some(json!({"role": "guest"})),
            ),
            Op::ListRobots => ("GET", "/api/v1/projects/team/robots".into(), None),
            Op::CreateRobot => (
                "POST",
                "/api/v1/projects/team/robots".into(),
                Some(json!({"name": format!("r{n}"), "permissions": ["pull"]})),
            ),
            Op::ProjectAudit => ("GET", "/api/v1/audit?project=team".into(), None),
            Op::History => ("GET", "/api/v1/history?repository=team/app".into(), None),
            Op::ListUsers => ("GET", "/api/v1/users".into(), None),
            Op::CreateProject => (
                "POST",
                "/api/v1/projects".into(),
                Some(json!({"name": format!("p{n}")})),
            ),
            Op::DeleteProject => ("DELETE", format!("/api/v1/projects/empty{n}"), None),
            Op::WholeAudit => ("GET", "/api/v1/audit".into(), None),
        }
    }
}

/// Every role against every API operation, each cell's expectation from the table alone.
fn every_role_is_held_to_the_permission_table(db: Db) {
    let server = AuthServer::start(db);
    add_user(&server, "root", true);
    add_user(&server, "spare", false);
    add_user(&server, "outsider", false);
    let mut principals: Vec<(String, Option<Role>)> =
        vec![("root".into(), Some(Role::SystemAdmin)), ("outsider".into(), None)];
    server.block_on(async {
        let accounts = &server.accounts;
        accounts.create_project("team", false).await.unwrap();
        accounts.create_project("elsewhere", false).await.unwrap();
        accounts
            .set_member("elsewhere", "outsider", Role::ProjectAdmin)
            .await
            .unwrap();
        for role in Role::PROJECT {
            accounts
                .create_user(role.as_str(), &Secret::new(PASSWORD), false)
                .await
                .unwrap();
            accounts.set_member("team", role.as_str(), role).await.unwrap();
        }
    });
    principals.extend(
        Role::PROJECT
            .iter()
            .map(|role| (role.as_str().to_string(), Some(*role))),
    );
    let mut cells = 0;
    for (n, (name, role)) in principals.iter().enumerate() {
        server.block_on(async {
            server
                .accounts
                .create_project(&format!("empty{n}"), false)
                .await
                .unwrap()
        });
        let bearer = token(&server, name, PASSWORD, &[]);
        for op in Op::ALL {
            let expected = role.is_some_and(|role| role_allows(role, op.needs()));
            let (method, path, body) = op.request(n);
            let reply = call(&server, method, &path, Auth::Bearer(&bearer), body);
            let allowed = (200..300).contains(&reply.status);
            assert!(
                allowed || reply.status == 403,
                "{name} {op:?}: {} {:?}",
                reply.status,
                reply.body
            );
            assert_eq!(allowed, expected, "{name} {op:?}: {} {:?}", reply.status, reply.body);
            cells += 1;
        }
    }
    assert_eq!(cells, (2 + Role::PROJECT.len()) * Op::ALL.len());
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

fn push(server: &AuthServer, token: &str, method: &str, path: &str, body: &[u8], content_type: &str) -> u16 {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(server.url(path))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", content_type)
        .body(body.to_vec())
        .unwrap();
    server.agent.run(request).unwrap().status().as_u16()
}

/// Pushes a one-layer image as `repository:tag`; returns its digest.
fn push_image(server: &AuthServer, token: &str, repository: &str, tag: &str, seed: &str) -> String {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","seed":"{seed}"}}"#);
    let layer = format!("layer {seed}");
    for blob in [config.as_bytes(), layer.as_bytes()] {
        let path = format!("/v2/{repository}/blobs/uploads/?digest={}", sha256(blob));
        assert_eq!(
            push(server, token, "POST", &path, blob, "application/octet-stream"),
            201
        );
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
        sha256(config.as_bytes()),
        config.len(),
        sha256(layer.as_bytes()),
        layer.len()
    );
    let path = format!("/v2/{repository}/manifests/{tag}");
    assert_eq!(
        push(server, token, "PUT", &path, manifest.as_bytes(), OCI_MANIFEST),
        201
    );
    sha256(manifest.as_bytes())
}

/// Which digest each tag pointed to, who moved it and when, through the API.
fn tag_history_follows_every_move(db: Db) {
    let server = AuthServer::start(db);
    add_user(&server, "root", true);
    add_user(&server, "dev", false);
    server.block_on(async {
        server.accounts.create_project("team", false).await.unwrap();
        server
            .accounts
            .set_member("team", "dev", Role::Developer)
            .await
            .unwrap();
    });
    let scope = ["repository:team/app:pull,push,delete"];
    let root = token(&server, "root", PASSWORD, &scope);
    let dev = token(&server, "dev", PASSWORD, &scope);
    let first = push_image(&server, &root, "team/app", "v1", "one");
    push_image(&server, &root, "team/app", "latest", "one");
    let second = push_image(&server, &dev, "team/app", "v1", "two");
    assert_eq!(
        push(
            &server,
            &root,
            "DELETE",
            "/v2/team/app/manifests/latest",
            b"",
            OCI_MANIFEST
        ),
        202
    );
    assert_eq!(
        push(
            &server,
            &root,
            "DELETE",
            &format!("/v2/team/app/manifests/{second}"),
            b"",
            OCI_MANIFEST
        ),
        202
    );
    server.block_on(server.audit_sink.flush());

    let all = call(
        &server,
        "GET",
        "/api/v1/history?repository=team/app",
        Auth::Basic("dev", PASSWORD),
        None,
    );
    assert_eq!(all.status, 200, "{:?}", all.body);
    let changes: Vec<(String, String, String, String, String)> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap().to_string();
            (
                text("tag"),
                text("change"),
                text("digest"),
                text("previous"),
                text("actor"),
            )
        })
        .collect();
    let s = |text: &str| text.to_string();
    assert_eq!(
        changes,
        [
            (s("v1"), s("pushed"), first.clone(), s(""), s("root")),
            (s("latest"), s("pushed"), first.clone(), s(""), s("root")),
            (s("v1"), s("pushed"), second.clone(), first.clone(), s("dev")),
            (s("latest"), s("deleted"), s(""), first.clone(), s("root")),
            (s("v1"), s("manifest-deleted"), s(""), second.clone(), s("root")),
        ]
    );
    let v1 = call(
        &server,
        "GET",
        "/api/v1/history?repository=team/app&tag=v1",
        Auth::Basic("dev", PASSWORD),
        None,
    );
    assert_eq!(v1.body.as_array().unwrap().len(), 3);
    assert!(v1.body.as_array().unwrap().iter().all(|c| c["client"] == "127.0.0.1"));
    add_user(&server, "stranger", false);
    let refused = call(
        &server,
        "GET",
        "/api/v1/history?repository=team/app",
        Auth::Basic("stranger", PASSWORD),
        None,
    );
    assert_eq!(refused.status, 403);
    let bad = call(
        &server,
        "GET",
        "/api/v1/history?repository=Team//x",
        Auth::Basic("dev", PASSWORD),
        None,
    );
    assert_eq!(bad.status, 400);
}

/// Pulls (manifest GETs and HEADs) are audited, and every entry carries the client address.
fn pulls_and_every_entry_carry_the_client_address(db: Db) {
    let server = AuthServer::start(db);
    add_user(&server, "root", true);
    server.block_on(async { server.accounts.create_project("team", false).await.unwrap() });
    let root = token(&server, "root", PASSWORD, &["repository:team/app:pull,push"]);
    let digest = push_image(&server, &root, "team/app", "v1", "one");
    let accept = "application/vnd.oci.image.manifest.v1+json";
    assert_eq!(
        push(&server, &root, "HEAD", "/v2/team/app/manifests/v1", b"", accept),
        200
    );
    assert_eq!(
        push(&server, &root, "GET", "/v2/team/app/manifests/v1", b"", accept),
        200
    );
    assert_eq!(
        push(
            &server,
            &root,
            "GET",
            &format!("/v2/team/app/manifests/{digest}"),
            b"",
            accept
        ),
        200
    );
    let pulls = audit_entries(&server, "action=pull");
    let seen: Vec<(&str, &str, &str, &str, bool)> = pulls
        .iter()
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap();
            let head_only = text("detail").starts_with("HEAD;");
            (
                text("actor"),
                text("repository"),
                text("tag"),
                text("digest"),
                head_only,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("root", "team/app", "v1", digest.as_str(), true),
            ("root", "team/app", "v1", digest.as_str(), false),
            ("root", "team/app", "", digest.as_str(), false),
        ]
    );
    let all = audit_entries(&server, "");
    assert!(all.len() >= 6, "{all:?}");
    for entry in &all {
        assert_eq!(entry["client"], "127.0.0.1", "{entry:?}");
    }
}

/// The OpenAPI document lists exactly the router's routes, and every route is served.
fn the_openapi_document_matches_the_router(db: Db) {
    let server = AuthServer::start(db);
    let reply = call(&server, "GET", "/api/v1/openapi.json", Auth::None, None);
    assert_eq!(reply.status, 200);
    assert!(reply.body["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in reply.body["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch", "head", "options", "trace"] {
            if item.get(method).is_some() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routed: BTreeSet<(String, String)> = drydock_registry::api::route_table()
        .into_iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(documented, routed);
    let schemes = reply.body["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("basic") && schemes.contains_key("bearer"));
    for (method, path) in routed {
        let concrete = path
            .replace("{name}", "x")
            .replace("{project}", "x")
            .replace("{username}", "x")
            .replace("{robot}", "x");
        let status = call(&server, &method, &concrete, Auth::None, None).status;
        let expected = if path.ends_with("openapi.json") { 200 } else { 401 };
        assert_eq!(status, expected, "{method} {path}");
    }
}

macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $test() { super::$test(super::Db::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $test() { super::$test(super::Db::Postgres) } )*
        }
    };
}

on_both_databases!(
    accounts_are_managed_and_every_change_is_audited,
    every_role_is_held_to_the_permission_table,
    tag_history_follows_every_move,
    pulls_and_every_entry_carry_the_client_address,
    the_openapi_document_matches_the_router,
);

//! Users, projects, members and robot accounts in the metadata database, logins with
//! lockout, and the permissions each principal ends up with; on SQLite and PostgreSQL.

mod auth_common;

use auth_common::{Db, TestDb};
use drydock_registry::auth::accounts::{Accounts, Identity, Lockout, Refusal};
use drydock_registry::auth::{Permission, Role};
use drydock_registry::s3::Secret;

const PASSWORD: &str = "correct horse battery";
const NOW: i64 = 1_800_000_000_000;

fn secret(text: &str) -> Secret {
    Secret::new(text)
}

async fn users_log_in_with_argon2id_passwords(db: Db) {
    let test = TestDb::open(db).await;
    let accounts = Accounts::new(&test.meta);
    accounts.create_user("alice", &secret(PASSWORD), false).await.unwrap();
    let duplicate = accounts
        .create_user("alice", &secret(PASSWORD), false)
        .await
        .unwrap_err();
    assert!(duplicate.to_string().contains("already exists"), "{duplicate}");
    let short = accounts.create_user("bob", &secret("short"), false).await.unwrap_err();
    assert!(short.to_string().contains("too short"), "{short}");
    for bad in ["", "Alice", "robot$x", "-a", "a/b", &"a".repeat(65)] {
        let error = accounts.create_user(bad, &secret(PASSWORD), false).await.unwrap_err();
        assert!(error.to_string().contains("invalid name"), "{bad}: {error}");
    }

    let identity = accounts.authenticate("alice", &secret(PASSWORD), NOW).await.unwrap();
    assert_eq!(
        identity,
        Ok(Identity::User {
            name: "alice".into(),
            system_admin: false
        })
    );
    let wrong = accounts
        .authenticate("alice", &secret("correct horse battery!"), NOW)
        .await
        .unwrap();
    assert_eq!(wrong, Err(Refusal::BadCredentials));
    let unknown = accounts.authenticate("nobody", &secret(PASSWORD), NOW).await.unwrap();
    assert_eq!(unknown, Err(Refusal::BadCredentials));

    accounts.set_user_disabled("alice", true).await.unwrap();
    let disabled = accounts.authenticate("alice", &secret(PASSWORD), NOW).await.unwrap();
    assert_eq!(disabled, Err(Refusal::Disabled));
    accounts.set_user_disabled("alice", false).await.unwrap();

    accounts
        .set_password("alice", &secret("another long passphrase"))
        .await
        .unwrap();
    let old = accounts.authenticate("alice", &secret(PASSWORD), NOW).await.unwrap();
    assert_eq!(old, Err(Refusal::BadCredentials));
    let new = accounts
        .authenticate("alice", &secret("another long passphrase"), NOW)
        .await
        .unwrap();
    assert!(new.is_ok());

    let users = accounts.users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(!users[0].disabled && !users[0].system_admin);
    accounts.delete_user("alice").await.unwrap();
    assert!(accounts.user("alice").await.unwrap().is_none());
    assert!(accounts.delete_user("alice").await.is_err());
    test.close().await;
}

/// The database holds a salted argon2id PHC string, never the password.
async fn passwords_are_stored_as_argon2id_hashes(db: Db) {
    let test = TestDb::open(db).await;
    let accounts = Accounts::new(&test.meta);
    accounts.create_user("alice", &secret(PASSWORD), false).await.unwrap();
    accounts.create_user("carol", &secret(PASSWORD), false).await.unwrap();
    let pool = sqlx::AnyPool::connect(&test.url).await.unwrap();
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM users ORDER BY name")
        .fetch_all(&pool)
        .await
        .unwrap();
    for hash in &hashes {
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
    }
    assert_ne!(hashes[0], hashes[1], "the same password hashes differently (salt)");
    pool.close().await;
    test.close().await;
}

async fn repeated_failures_lock_the_name_out(db: Db) {
    let test = TestDb::open(db).await;
    let lockout = Lockout {
        max_failures: 3,
        window_ms: 60_000,
        lock_ms: 300_000,
    };
    let accounts = Accounts::new(&test.meta).with_lockout(lockout);
    accounts.create_user("alice", &secret(PASSWORD), false).await.unwrap();

    // Two failures, then a success, clear the count.
    for _ in 0..2 {
        let outcome = accounts
            .authenticate("alice", &secret("wrong password!!"), NOW)
            .await
            .unwrap();
        assert_eq!(outcome, Err(Refusal::BadCredentials));
    }
    assert!(
        accounts
            .authenticate("alice", &secret(PASSWORD), NOW)
            .await
            .unwrap()
            .is_ok()
    );
    for _ in 0..2 {
        let outcome = accounts
            .authenticate("alice", &secret("wrong password!!"), NOW)
            .await
            .unwrap();
        assert_eq!(outcome, Err(Refusal::BadCredentials));
    }
    assert!(
        accounts
            .authenticate("alice", &secret(PASSWORD), NOW)
            .await
            .unwrap()
            .is_ok()
    );

    // Failures spread over more than the window do not lock.
    for minute in 0..3 {
        let at = NOW + minute * 61_000;
        let outcome = accounts
            .authenticate("alice", &secret("wrong password!!"), at)
            .await
            .unwrap();
        assert_eq!(outcome, Err(Refusal::BadCredentials));
    }
    assert!(
        accounts
            .authenticate("alice", &secret(PASSWORD), NOW + 3 * 61_000)
            .await
            .unwrap()
            .is_ok()
    );

    // Three within the window lock the name, even against the right password.
    for _ in 0..3 {
        accounts
            .authenticate("alice", &secret("wrong password!!"), NOW)
            .await
            .unwrap()
            .unwrap_err();
    }
    let locked = accounts
        .authenticate("alice", &secret(PASSWORD), NOW + 1_000)
        .await
        .unwrap();
    assert_eq!(locked, Err(Refusal::LockedOut { until: NOW + 300_000 }));
    let after = accounts
        .authenticate("alice", &secret(PASSWORD), NOW + 300_000)
        .await
        .unwrap();
    assert!(after.is_ok(), "{after:?}");

    // Names that do not exist lock the same way (no telling which names exist).
    for _ in 0..3 {
        accounts
            .authenticate("ghost", &secret(PASSWORD), NOW)
            .await
            .unwrap()
            .unwrap_err();
    }
    let ghost = accounts.authenticate("ghost", &secret(PASSWORD), NOW).await.unwrap();
    assert!(matches!(ghost, Err(Refusal::LockedOut { .. })));
    test.close().await;
}

async fn robots_hold_scoped_permissions_until_they_expire(db: Db) {
    let test = TestDb::open(db).await;
    let accounts = Accounts::new(&test.meta);
    accounts.create_project("team", false).await.unwrap();
    accounts.create_project("other", false).await.unwrap();
    let grants = vec![
        ("team".to_string(), Permission::Pull),
        ("team".to_string(), Permission::Push),
    ];
    let robot_secret = accounts
        .create_robot("robot$ci", &grants, Some(NOW + 60_000), "admin")
        .await
        .unwrap();
    let clear = robot_secret.expose().to_string();
    assert_eq!(clear.len(), 64);
    assert!(clear.bytes().all(|b| b.is_ascii_hexdigit()));
    let robot = accounts.robot("robot$ci").await.unwrap().unwrap();
    assert_eq!(robot.grants, grants);
    assert_eq!(robot.expires_at, Some(NOW + 60_000));

    let pool = sqlx::AnyPool::connect(&test.url).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT secret_sha256 FROM robots")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!stored.contains(&clear), "the secret is stored hashed");
    pool.close().await;

    let ok = accounts.authenticate("robot$ci", &robot_secret, NOW).await.unwrap();
    assert_eq!(
        ok,
        Ok(Identity::Robot {
            name: "robot$ci".into()
        })
    );
    let mut wrong = clear.clone();
    wrong.replace_range(0..1, if clear.starts_with('0') { "1" } else { "0" });
    let refused = accounts.authenticate("robot$ci", &secret(&wrong), NOW).await.unwrap();
    assert_eq!(refused, Err(Refusal::BadCredentials));
    let expired = accounts
        .authenticate("robot$ci", &robot_secret, NOW + 60_000)
        .await
        .unwrap();
    assert_eq!(expired, Err(Refusal::Expired));
    accounts.set_robot_disabled("robot$ci", true).await.unwrap();
    let disabled = accounts.authenticate("robot$ci", &robot_secret, NOW).await.unwrap();
    assert_eq!(disabled, Err(Refusal::Disabled));

    let robot = Identity::Robot {
        name: "robot$ci".into(),
    };
    let held = accounts.project_permissions(Some(&robot), "team").await.unwrap();
    assert_eq!(
        held.into_iter().collect::<Vec<_>>(),
        vec![Permission::Pull, Permission::Push]
    );
    assert!(
        accounts
            .project_permissions(Some(&robot), "other")
            .await
            .unwrap()
            .is_empty()
    );

    let manage = vec![("team".to_string(), Permission::ManageMembers)];
    let error = accounts
        .create_robot("robot$bad", &manage, None, "admin")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("cannot hold `manage-members`"), "{error}");
    let nowhere = vec![("missing".to_string(), Permission::Pull)];
    let error = accounts
        .create_robot("robot$bad", &nowhere, None, "admin")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no project `missing`"), "{error}");
    let error = accounts.create_robot("ci", &grants, None, "admin").await.unwrap_err();
    assert!(error.to_string().contains("start with `robot$`"), "{error}");
    assert!(accounts.create_robot("robot$ci", &grants, None, "admin").await.is_err());

    accounts.delete_robot("robot$ci").await.unwrap();
    assert!(accounts.robot("robot$ci").await.unwrap().is_none());
    let gone = accounts.authenticate("robot$ci", &robot_secret, NOW).await.unwrap();
    assert_eq!(gone, Err(Refusal::BadCredentials));
    test.close().await;
}

async fn permissions_come_from_roles_visibility_and_the_table(db: Db) {
    let test = TestDb::open(db).await;
    let accounts = Accounts::new(&test.meta);
    accounts.create_project("open", true).await.unwrap();
    accounts.create_project("closed", false).await.unwrap();
    for name in ["admin", "dev", "guest", "outsider"] {
        accounts
            .create_user(name, &secret(PASSWORD), name == "admin")
            .await
            .unwrap();
    }
    accounts.set_member("closed", "dev", Role::Developer).await.unwrap();
    accounts.set_member("closed", "guest", Role::Guest).await.unwrap();
    accounts
        .set_member("open", "outsider", Role::LimitedGuest)
        .await
        .unwrap();
    let user = |name: &str| Identity::User {
        name: name.into(),
        system_admin: name == "admin",
    };

    let anonymous_open = accounts.project_permissions(None, "open").await.unwrap();
    assert!(anonymous_open.contains(&Permission::Pull));
    assert!(!anonymous_open.contains(&Permission::Push));
    assert!(accounts.project_permissions(None, "closed").await.unwrap().is_empty());

    let dev = accounts
        .project_permissions(Some(&user("dev")), "closed")
        .await
        .unwrap();
    for permission in Permission::all() {
        assert_eq!(
            dev.contains(&permission),
            drydock_registry::auth::permissions::role_allows(Role::Developer, permission)
                && permission.scope() == drydock_registry::auth::Scope::Project,
            "{}",
            permission.as_str()
        );
    }
    let guest = accounts
        .project_permissions(Some(&user("guest")), "closed")
        .await
        .unwrap();
    assert!(guest.contains(&Permission::Pull) && !guest.contains(&Permission::Push));
    let outsider = accounts
        .project_permissions(Some(&user("outsider")), "closed")
        .await
        .unwrap();
    assert!(outsider.is_empty(), "a member of another project holds nothing here");
    let admin = accounts
        .project_permissions(Some(&user("admin")), "closed")
        .await
        .unwrap();
    assert!(admin.contains(&Permission::ManageMembers) && admin.contains(&Permission::DeleteManifest));
    assert!(
        accounts
            .system_permissions(Some(&user("admin")))
            .contains(&Permission::Catalog)
    );
    assert!(accounts.system_permissions(Some(&user("dev"))).is_empty());
    assert!(
        accounts
            .project_permissions(Some(&user("dev")), "missing")
            .await
            .unwrap()
            .is_empty()
    );

    // A role change takes effect; removing the member removes everything.
    accounts.set_member("closed", "dev", Role::Maintainer).await.unwrap();
    let maintainer = accounts
        .project_permissions(Some(&user("dev")), "closed")
        .await
        .unwrap();
    assert!(maintainer.contains(&Permission::DeleteManifest));
    accounts.remove_member("closed", "dev").await.unwrap();
    assert!(
        accounts
            .project_permissions(Some(&user("dev")), "closed")
            .await
            .unwrap()
            .is_empty()
    );

    // Making a private project public opens it for reading only.
    accounts.set_project_public("closed", true).await.unwrap();
    let anonymous = accounts.project_permissions(None, "closed").await.unwrap();
    assert!(anonymous.contains(&Permission::Pull) && !anonymous.contains(&Permission::Push));
    test.close().await;
}

async fn projects_and_members_refuse_what_cannot_be(db: Db) {
    let test = TestDb::open(db).await;
    let accounts = Accounts::new(&test.meta);
    accounts.create_project("team", false).await.unwrap();
    accounts.create_user("alice", &secret(PASSWORD), false).await.unwrap();
    for bad in ["Team", "a..b", "-a", "a-", "a/b", "", "a___b"] {
        let error = accounts.create_project(bad, false).await.unwrap_err();
        assert!(error.to_string().contains("invalid project name"), "{bad}: {error}");
    }
    for good in ["a", "a.b", "a__b", "a--b", "x9_y"] {
        accounts.create_project(good, true).await.unwrap();
    }
    assert!(
        accounts
            .create_project("team", true)
            .await
            .unwrap_err()
            .to_string()
            .contains("already exists")
    );
    let error = accounts
        .set_member("team", "alice", Role::SystemAdmin)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not a project role"), "{error}");
    assert!(accounts.set_member("missing", "alice", Role::Guest).await.is_err());
    assert!(accounts.set_member("team", "nobody", Role::Guest).await.is_err());
    accounts.set_member("team", "alice", Role::Guest).await.unwrap();
    assert_eq!(accounts.members("team").await.unwrap()[0].role, Role::Guest);

    // A project with repositories is not deleted; an empty one is, with its members.
    test.execute("INSERT INTO repositories (name, created_at) VALUES ('team/app', 0)")
        .await;
    let error = accounts.delete_project("team").await.unwrap_err();
    assert!(error.to_string().contains("still holds 1 repositories"), "{error}");
    test.execute("DELETE FROM repositories WHERE name = 'team/app'").await;
    test.execute("INSERT INTO repositories (name, created_at) VALUES ('teamx/app', 0)")
        .await;
    accounts.delete_project("team").await.unwrap();
    assert!(accounts.project("team").await.unwrap().is_none());
    assert!(accounts.role_of("alice", "team").await.unwrap().is_none());
    test.close().await;
}

on_both_databases_async!(
    users_log_in_with_argon2id_passwords,
    passwords_are_stored_as_argon2id_hashes,
    repeated_failures_lock_the_name_out,
    robots_hold_scoped_permissions_until_they_expire,
    permissions_come_from_roles_visibility_and_the_table,
    projects_and_members_refuse_what_cannot_be,
);

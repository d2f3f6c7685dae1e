//! The permission table: which role may do what. It is the only source of authorization
//! decisions; `docs/permissions.md` is rendered from it ([`super::docs`]).
//!
//! Roles carry Harbor's meanings: a system administrator may do everything everywhere; in a
//! project, a project admin manages members, robots and policy, a maintainer also deletes and
//! scans, a developer pushes, a guest reads, and a limited guest pulls without seeing the
//! project's members or logs. On a public project anyone, anonymous included, may read.
//! Robot accounts hold an explicit subset of the permissions marked robot-grantable.

use crate::access::Action;

/// A role: system-wide (system administrator) or held in one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    SystemAdmin,
    ProjectAdmin,
    Maintainer,
    Developer,
    Guest,
    LimitedGuest,
}

impl Role {
    /// Every role, most privileged first: the order of the table's columns.
    pub const ALL: [Role; 6] = [
        Role::SystemAdmin,
        Role::ProjectAdmin,
        Role::Maintainer,
        Role::Developer,
        Role::Guest,
        Role::LimitedGuest,
    ];

    /// The roles a project member can hold (the system administrator is not one).
    pub const PROJECT: [Role; 5] = [
        Role::ProjectAdmin,
        Role::Maintainer,
        Role::Developer,
        Role::Guest,
        Role::LimitedGuest,
    ];

    /// The name stored in the database and accepted by the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system-admin",
            Role::ProjectAdmin => "project-admin",
            Role::Maintainer => "maintainer",
            Role::Developer => "developer",
            Role::Guest => "guest",
            Role::LimitedGuest => "limited-guest",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Role::SystemAdmin => "System admin",
            Role::ProjectAdmin => "Project admin",
            Role::Maintainer => "Maintainer",
            Role::Developer => "Developer",
            Role::Guest => "Guest",
            Role::LimitedGuest => "Limited guest",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    fn column(self) -> usize {
        Role::ALL.iter().position(|role| *role == self).unwrap_or(0)
    }
}

/// Where a permission applies: inside one project, or to the whole registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Project,
    System,
}

/// Something a principal may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    Pull,
    ListRepositories,
    ReadScanResults,
    ReadTagHistory,
    ReadProjectPolicy,
    Push,
    CreateRepository,
    DeleteTag,
    DeleteManifest,
    DeleteBlob,
    Scan,
    ReadMembers,
    ManageMembers,
    ReadRobots,
    ManageRobots,
    SetProjectPolicy,
    ReadAuditLog,
    Catalog,
    CreateProject,
    DeleteProject,
    ManageUsers,
    ManageConfiguration,
    ReadSystemAuditLog,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    pub permission: Permission,
    /// The name used in robot scopes, the API and the audit log.
    pub name: &'static str,
    pub description: &'static str,
    pub scope: Scope,
    /// Which roles hold it, in the order of [`Role::ALL`].
    pub roles: [bool; 6],
    /// Whether anyone, anonymous included, holds it on a public project.
    pub public: bool,
    /// Whether a robot account may be given it.
    pub robot: bool,
}

const Y: bool = true;
const N: bool = false;

const fn grant(
    permission: Permission,
    name: &'static str,
    description: &'static str,
    scope: Scope,
    roles: [bool; 6],
    public: bool,
    robot: bool,
) -> Grant {
    Grant {
        permission,
        name,
        description,
        scope,
        roles,
        public,
        robot,
    }
}

use Permission as P;
use Scope::{Project, System};

/// The table. Columns: system admin, project admin, maintainer, developer, guest, limited guest;
/// then anyone on a public project, and robot-grantable.
#[rustfmt::skip]
pub const TABLE: &[Grant] = &[
    grant(P::Pull, "pull", "Pull images: manifests, blobs, tags, referrers", Project, [Y, Y, Y, Y, Y, Y], Y, Y),
    grant(P::ListRepositories, "list-repositories", "List the project's repositories and tags", Project, [Y, Y, Y, Y, Y, Y], Y, Y),
    grant(P::ReadScanResults, "read-scan-results", "See the vulnerabilities found in images", Project, [Y, Y, Y, Y, Y, Y], Y, Y),
    grant(P::ReadTagHistory, "read-tag-history", "See which digest each tag pointed to over time", Project, [Y, Y, Y, Y, Y, Y], Y, N),
    grant(P::ReadProjectPolicy, "read-project-policy", "See the project's configuration and policies", Project, [Y, Y, Y, Y, Y, Y], N, N),
    grant(P::Push, "push", "Push blobs and manifests, move tags", Project, [Y, Y, Y, Y, N, N], N, Y),
    grant(P::CreateRepository, "create-repository", "Create a repository by pushing to a new name", Project, [Y, Y, Y, Y, N, N], N, Y),
    grant(P::DeleteTag, "delete-tag", "Delete a tag", Project, [Y, Y, Y, N, N, N], N, Y),
    grant(P::DeleteManifest, "delete-manifest", "Delete a manifest (an image) and its tags", Project, [Y, Y, Y, N, N, N], N, Y),
    grant(P::DeleteBlob, "delete-blob", "Unlink a blob from a repository", Project, [Y, Y, Y, N, N, N], N, Y),
    grant(P::Scan, "scan", "Start a vulnerability scan", Project, [Y, Y, Y, N, N, N], N, Y),
    grant(P::ReadMembers, "read-members", "See the project's members and their roles", Project, [Y, Y, Y, Y, Y, N], N, N),
    grant(P::ManageMembers, "manage-members", "Add and remove members, change their roles", Project, [Y, Y, N, N, N, N], N, N),
    grant(P::ReadRobots, "read-robots", "See the project's robot accounts", Project, [Y, Y, Y, N, N, N], N, N),
    grant(P::ManageRobots, "manage-robots", "Create, disable and delete robot accounts", Project, [Y, Y, N, N, N, N], N, N),
    grant(P::SetProjectPolicy, "set-project-policy", "Change visibility and policies (scan on push, gates)", Project, [Y, Y, N, N, N, N], N, N),
    grant(P::ReadAuditLog, "read-audit-log", "Read the project's audit log", Project, [Y, Y, Y, Y, Y, N], N, N),
    grant(P::Catalog, "catalog", "List every repository of the registry (`/v2/_catalog`)", System, [Y, N, N, N, N, N], N, N),
    grant(P::CreateProject, "create-project", "Create a project", System, [Y, N, N, N, N, N], N, N),
    grant(P::DeleteProject, "delete-project", "Delete an empty project with its members and robot grants", System, [Y, N, N, N, N, N], N, N),
    grant(P::ManageUsers, "manage-users", "Create, disable and delete users; make administrators", System, [Y, N, N, N, N, N], N, N),
    grant(P::ManageConfiguration, "manage-configuration", "Change the registry's configuration", System, [Y, N, N, N, N, N], N, N),
    grant(P::ReadSystemAuditLog, "read-system-audit-log", "Read and verify the whole audit log", System, [Y, N, N, N, N, N], N, N),
];

impl Permission {
    /// Every permission, in the table's order.
    pub fn all() -> impl Iterator<Item = Permission> {
        TABLE.iter().map(|grant| grant.permission)
    }

    /// Its row of the table.
    pub fn grant(self) -> &'static Grant {
        TABLE.iter().find(|grant| grant.permission == self).unwrap_or(&TABLE[0])
    }

    pub fn as_str(self) -> &'static str {
        self.grant().name
    }

    pub fn parse(name: &str) -> Option<Permission> {
        TABLE
            .iter()
            .find(|grant| grant.name == name)
            .map(|grant| grant.permission)
    }

    pub fn scope(self) -> Scope {
        self.grant().scope
    }
}

/// Whether `role` holds `permission`.
pub fn role_allows(role: Role, permission: Permission) -> bool {
    permission.grant().roles[role.column()]
}

/// Whether anyone, anonymous included, holds `permission` on a public project.
pub fn public_allows(permission: Permission) -> bool {
    permission.grant().public
}

/// Whether a robot account may be given `permission`.
pub fn robot_may_hold(permission: Permission) -> bool {
    permission.grant().robot
}

/// What a registry request needs, every one of them: a delete may remove a tag or a
/// manifest (the route decides after authorization), so it needs both.
pub fn needed_for(action: Action) -> &'static [Permission] {
    match action {
        Action::Pull => &[P::Pull],
        Action::Push => &[P::Push],
        Action::Delete => &[P::DeleteTag, P::DeleteManifest, P::DeleteBlob],
        Action::Catalog => &[P::Catalog],
    }
}

/// The registry actions, for the documentation and the matrix test.
pub const REGISTRY_ACTIONS: [Action; 4] = [Action::Pull, Action::Push, Action::Delete, Action::Catalog];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_has_exactly_one_row_and_a_unique_name() {
        for (index, grant) in TABLE.iter().enumerate() {
            assert_eq!(grant.permission.grant().name, grant.name);
            assert_eq!(Permission::parse(grant.name), Some(grant.permission));
            for other in &TABLE[index + 1..] {
                assert_ne!(grant.permission, other.permission);
                assert_ne!(grant.name, other.name);
            }
        }
    }

    #[test]
    fn the_system_admin_holds_everything_and_system_permissions_are_only_theirs() {
        for grant in TABLE {
            assert!(role_allows(Role::SystemAdmin, grant.permission), "{}", grant.name);
            if grant.scope == System {
                for role in Role::PROJECT {
                    assert!(!role_allows(role, grant.permission), "{} {}", role.as_str(), grant.name);
                }
                assert!(!grant.public && !grant.robot, "{}", grant.name);
            }
        }
    }

    #[test]
    fn roles_are_nested_from_limited_guest_up() {
        for grant in TABLE {
            for pair in grant.roles.windows(2) {
                assert!(
                    pair[0] || !pair[1],
                    "{}: a lower role holds what a higher one lacks",
                    grant.name
                );
            }
        }
    }

    #[test]
    fn public_projects_give_only_read_permissions_that_every_member_has() {
        for grant in TABLE.iter().filter(|grant| grant.public) {
            assert!(grant.roles.iter().all(|held| *held), "{}", grant.name);
        }
        assert!(public_allows(P::Pull));
        assert!(!public_allows(P::Push));
    }

    #[test]
    fn harbor_meanings() {
        assert!(role_allows(Role::Developer, P::Push));
        assert!(!role_allows(Role::Developer, P::DeleteManifest));
        assert!(role_allows(Role::Maintainer, P::Scan));
        assert!(!role_allows(Role::Maintainer, P::ManageMembers));
        assert!(role_allows(Role::Guest, P::ReadAuditLog));
        assert!(!role_allows(Role::LimitedGuest, P::ReadAuditLog));
        assert!(!role_allows(Role::LimitedGuest, P::ReadMembers));
        assert!(role_allows(Role::LimitedGuest, P::Pull));
        assert!(!role_allows(Role::Guest, P::Push));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}

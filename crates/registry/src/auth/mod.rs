//! Access control for the registry: who may do what ([`permissions`], the one table every
//! decision comes from) and its documentation ([`docs`], rendered into `docs/permissions.md`);
//! [`accounts`] (users, projects, members, robots, logins) in the metadata database; Docker
//! Registry v2 token authentication ([`token`]: scopes and ES256 JWTs; [`service`]: the token
//! endpoint and the [`crate::access::Authorizer`] that checks tokens on every request).

pub mod accounts;
pub mod docs;
pub mod permissions;
pub mod service;
pub mod setup;
pub mod token;

pub use permissions::{Permission, Role, Scope};

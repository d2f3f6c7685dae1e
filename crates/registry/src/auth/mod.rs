//! Access control for the registry: who may do what ([`permissions`], the one table every
//! decision comes from) and its documentation ([`docs`], rendered into `docs/permissions.md`).

pub mod accounts;
pub mod docs;
pub mod permissions;

pub use permissions::{Permission, Role, Scope};

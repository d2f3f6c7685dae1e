//! `drydock-runtime`: least privilege at run time.
//!
//! - [`container`]: `drydock audit containers`. Each container's Docker Engine inspect
//!   document is judged by the `DD-RUN` rules (CIS Docker Benchmark v1.6.0 section 5:
//!   privileged, capabilities, seccomp/AppArmor/SELinux, no-new-privileges, root, read-only
//!   root filesystem, limits, host namespaces, sensitive mounts, propagation, ports, restart
//!   policy, health, image digest). The checks are pure functions over the document;
//!   [`engine`] fetches the documents from a live engine over its unix socket.
//! - [`host`]: `drydock audit host`. The daemon's configuration (daemon.json and the running
//!   dockerd's command line), the ownership and permissions of its files and sockets, audit
//!   rules, the container partition, and kernel hardening, each a pass/fail/warn/info/n-a
//!   result (`DD-HOST` ids), read from `/` or from an unpacked host filesystem.
//! - [`probe`]: `drydock probe`. Run inside a container, it reads what the container can
//!   reach (capabilities, seccomp, LSM, user namespace, runtime sockets, writable host
//!   paths, release_agent, /proc/sys, host PID namespace, devices) and reports its escape
//!   surface (`DD-PRB` ids). Only reads and access(2): nothing is exploited or changed.
//! - [`kernel`]: kernel versions against known container escapes, for both.

pub mod container;
pub mod engine;
mod error;
pub mod host;
pub mod kernel;
pub mod probe;

pub use engine::EngineContext;
pub use error::{Result, RuntimeError};

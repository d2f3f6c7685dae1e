//! The `DD-RUN-NNN` rules. They live in `drydock_checks::workload::rules`, one table shared
//! with the manifest audit, so a setting judged in a live container, a Kubernetes manifest,
//! a compose file or an OCI runtime spec has the same id, title and remediation
//! (docs/runtime.md).

pub use drydock_checks::workload::rules::*;

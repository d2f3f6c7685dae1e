//! Authentic images: keys, cosign-compatible signatures, in-toto attestations and the
//! trust policy.
//!
//! [`keys`] reads and writes ECDSA P-256 key pairs in cosign's formats (the scrypt +
//! secretbox encrypted private key, the PEM public key). [`payload`] is cosign's
//! simple-signing payload, [`dsse`] the DSSE envelope and [`intoto`] the in-toto
//! statements and predicates attestations carry. [`cosign`] stores them where cosign does
//! (the `sha256-<hex>.sig`/`.att` tags, OCI 1.1 referrers) through any
//! [`drydock_oci::write::Repository`], registry or OCI layout; [`sign`] builds and stores
//! them. [`verify`] finds them by both schemes for a digest resolved once and judges each
//! one with a reason. [`policy`] decides, per repository pattern, which keys must have
//! signed, which attestations must exist and which base images are trusted;
//! [`evidence`] gathers what it needs.

pub mod cosign;
pub mod dsse;
pub mod error;
pub mod evidence;
pub mod intoto;
pub mod keys;
pub mod payload;
pub mod pem;
pub mod policy;
pub mod sign;
pub mod verify;

pub use error::{Result, TrustError};
pub use keys::{PrivateKey, PublicKey};

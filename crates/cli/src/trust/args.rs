//! The command-line grammar of the trust commands (`key`, `sign`, `verify`, `attest`,
//! `verify-attestation`, `attach`, `policy check`).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::args::OutputFormat;

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create an ECDSA P-256 key pair in cosign's format: PREFIX.key (encrypted with a
    /// password from DRYDOCK_PASSWORD or a prompt; empty is allowed) and PREFIX.pub.
    Generate(KeyGenerateArgs),
}

#[derive(Args, Debug)]
pub struct KeyGenerateArgs {
    /// Write PREFIX.key and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub output_key_prefix: PathBuf,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

/// Registry access for the trust commands.
#[derive(Args, Debug)]
pub struct RegistryArgs {
    /// Allow plain HTTP to the registry (always allowed for localhost and 127.0.0.0/8).
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (or DRYDOCK_REGISTRY_USERNAME).
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password or token from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
}

/// Where a signature or attestation goes.
#[derive(Args, Debug)]
pub struct StorageArgs {
    /// Also store it as an OCI 1.1 referrer (`subject`), beside cosign's tag.
    #[arg(long)]
    pub referrers: bool,
    /// Do not store it under cosign's `sha256-<hex>.sig`/`.att` tag (with --referrers).
    #[arg(long, requires = "referrers")]
    pub no_tag: bool,
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The image: oci:DIR:TAG, oci:DIR@DIGEST or a registry reference. It is resolved to
    /// its manifest digest once; the digest is what is signed.
    pub image: String,
    /// The private key (cosign's encrypted PEM).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Signer annotation put in the signed payload's `optional` section (repeatable).
    #[arg(short = 'a', long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,
    /// The identity to sign for (`docker-reference`) [default: the image's repository].
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    pub image: String,
    /// The public key (PEM) signatures must verify with.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The identity signatures must name [default: the image's repository].
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestType {
    /// A CycloneDX or SPDX JSON SBOM.
    Sbom,
    /// A drydock scan report (`scan --format json`) as cosign's vulnerability-scan record.
    Vuln,
    /// A SLSA provenance v1 predicate.
    Provenance,
    /// Any file: JSON under --predicate-type, else cosign's generic predicate.
    Custom,
}

#[derive(Args, Debug)]
pub struct AttestArgs {
    pub image: String,
    #[arg(long = "type", value_enum)]
    pub kind: AttestType,
    /// The predicate file.
    #[arg(long, value_name = "FILE")]
    pub predicate: PathBuf,
    /// The predicate type URI for --type custom.
    #[arg(long, value_name = "URI")]
    pub predicate_type: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Args, Debug)]
pub struct VerifyAttestationArgs {
    pub image: String,
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Only attestations of this predicate type (a URI, or a short name:
    /// cyclonedx, spdx, vuln, provenance, custom).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub identity: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Subcommand, Debug)]
pub enum AttachCommand {
    /// Store an SBOM (CycloneDX or SPDX JSON) with the image, unsigned: cosign's `.sbom`
    /// tag and, with --referrers, an OCI 1.1 referrer.
    Sbom(AttachArgs),
    /// Store a drydock scan report with the image, unsigned, as an OCI 1.1 referrer.
    Scan(AttachArgs),
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    pub image: String,
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Also (for sbom) store it as an OCI 1.1 referrer.
    #[arg(long)]
    pub referrers: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Args, Debug)]
pub struct PolicyCheckArgs {
    pub image: String,
    /// The trust policy (TOML, or YAML/JSON by extension; docs/trust-policy.md).
    #[arg(long, value_name = "FILE", default_value = "trust-policy.toml")]
    pub policy: PathBuf,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "drydock",
    version,
    about = "Container security from build to run",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct GlobalArgs {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); DRYDOCK_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Where per-layer results are cached [default: $XDG_CACHE_HOME/drydock].
    #[arg(long, global = true, env = "DRYDOCK_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Read every layer again instead of using cached results.
    #[arg(long, global = true)]
    pub no_cache: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Look at images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Manage the per-layer result cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Write a software bill of materials of an image, a project directory or a root filesystem.
    Sbom(SbomArgs),
    /// Find known vulnerabilities in an image, a project directory, a root filesystem or an SBOM.
    Scan(ScanArgs),
    /// Manage the vulnerability database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Check Dockerfiles against the DD-DF rules (hadolint ids and ignore comments work too).
    Lint(LintArgs),
    /// Audit this host's container setup or its live containers (CIS Docker Benchmark v1.6.0).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run inside a container: report its escape surface. Only reads; exploits nothing.
    Probe(ProbeArgs),
    /// Custom Rego rules: the input document they see, and the rules a directory defines.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the OCI registry (Distribution Specification v1.1) until SIGTERM or SIGINT.
    Serve(ServeArgs),
    /// Administer a `drydock serve` registry: its stores directly, or accounts and history
    /// through its admin API.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Check credentials with a registry and store them as Docker clients do.
    Login(crate::login::LoginArgs),
    /// Remove a registry's stored credentials.
    Logout(crate::login::LogoutArgs),
    /// Key pairs in cosign's format.
    #[command(subcommand)]
    Key(crate::trust::args::KeyCommand),
    /// Sign an image's digest as cosign does (tag `sha256-<hex>.sig`, or an OCI referrer).
    Sign(crate::trust::args::SignArgs),
    /// Verify an image's cosign signatures with a public key; exits 1 when none is valid.
    Verify(crate::trust::args::VerifyArgs),
    /// Attach a signed in-toto attestation (SBOM, vulnerability scan, provenance, custom).
    Attest(crate::trust::args::AttestArgs),
    /// Verify an image's attestations with a public key; exits 1 when none is valid.
    VerifyAttestation(crate::trust::args::VerifyAttestationArgs),
    /// Store an SBOM or a scan report with an image, unsigned (information only).
    #[command(subcommand)]
    Attach(crate::trust::args::AttachCommand),
}

#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Show an image's digests, platform, layers and config, and optionally its files.
    Inspect(InspectArgs),
    /// Copy an image to a registry or an OCI layout, keeping its digest; prints the digest.
    Copy(CopyArgs),
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// The image to copy: anything `image inspect` takes except dir:.
    pub source: String,
    /// Where to: a registry reference (host:port/repo:tag) or oci:DIR[:TAG].
    pub destination: String,
    /// Copy an image index with every platform's image instead of only --platform's.
    #[arg(long)]
    pub all_platforms: bool,
    /// Registry settings and credentials apply to both ends.
    #[command(flatten)]
    pub options: SourceArgs,
}

#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Delete every cached layer result.
    Clean,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The image: oci:DIR[:TAG|@DIGEST], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG],
    /// docker:NAME, dir:PATH, or a registry reference such as registry.example/team/app:1.0.
    pub image: String,
    #[command(flatten)]
    pub source: SourceArgs,
    /// List the merged filesystem: path, mode, owner, size and the layer that last wrote it.
    #[arg(long)]
    pub files: bool,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// drydock's own inventory JSON: the OS, every package and the catalogers' warnings.
    Json,
}

#[derive(Args, Debug)]
pub struct SbomArgs {
    /// What to describe: any image `image inspect` takes (all catalogers), `fs:PATH` (a
    /// project directory: lockfiles and manifests) or `rootfs:PATH` (an installed system:
    /// package databases and installed metadata).
    pub target: String,
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,
    /// Write the SBOM to FILE (replaced atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanFormat {
    /// Findings per target with a summary by severity.
    Table,
    /// drydock's scan report (versioned schema, docs/scan-report.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// CycloneDX 1.6 SBOM with a `vulnerabilities` section.
    Cyclonedx,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// What to scan: any image `image inspect` takes, `fs:PATH` (a project directory),
    /// `rootfs:PATH` (an installed system) or `sbom:FILE` (a CycloneDX or SPDX JSON SBOM).
    pub target: String,
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Write the report to FILE (replaced atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report only these severities (comma-separated: critical,high,medium,low,unknown).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub severity: Vec<SeverityArg>,
    /// Leave out vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit with this code when any reported (unsuppressed) finding remains [default: 0].
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub exit_code: u8,
    /// Suppress findings listed in FILE (`ID [exp:YYYY-MM-DD] [pkg=PURL] [# reason]` per line)
    /// [default: .drydockignore when present].
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Apply a VEX document (OpenVEX or CycloneDX); `not_affected` and `fixed` statements
    /// suppress. Repeat for several.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Show suppressed findings too, marked with who suppressed them and why.
    #[arg(long)]
    pub show_suppressed: bool,
    /// What to look for (comma-separated): known vulnerabilities, secrets in every layer,
    /// image misconfiguration.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST", default_values_t = [Scanner::Vuln, Scanner::Secret, Scanner::Misconfig])]
    pub scanners: Vec<Scanner>,
    /// Secret-scanning allow-list (TOML or YAML: paths, rules, value patterns to accept).
    #[arg(long, value_name = "FILE")]
    pub secret_allow_list: Option<PathBuf>,
    /// Also run the custom Rego image rules of every `*.rego` file under DIR (docs/policy.md).
    /// Repeat for several directories.
    /// Needs the misconfig scanner and an image target.
    #[arg(long = "policy", value_name = "DIR")]
    pub policy: Vec<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scanner {
    /// Known vulnerabilities and malicious packages (needs the database).
    Vuln,
    /// Credentials and keys in file contents, in every layer.
    Secret,
    /// Image configuration, history and file checks.
    Misconfig,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LintFormat {
    /// One row per finding: file:line:column, rule, severity, message.
    Table,
    /// `{"findings": [...], "errors": [...]}` with drydock's check findings.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// The Dockerfiles to check (`-` reads standard input).
    #[arg(required = true, value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = LintFormat::Table)]
    pub format: LintFormat,
    /// Do not run RULE: a drydock id (DD-DF-070), a hadolint id (DL3008) or a BuildKit check
    /// name (JSONArgsRecommended). Repeat or separate with commas.
    #[arg(long, env = "DRYDOCK_LINT_IGNORE", value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Report only these severities (comma-separated: critical,high,medium,low).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub severity: Vec<SeverityArg>,
    /// The least severe finding that makes the run fail.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low, value_name = "SEVERITY")]
    pub failure_threshold: SeverityArg,
    /// Exit with this code when a reported finding is at or above --failure-threshold
    /// (0: never fail on findings). Unreadable or invalid Dockerfiles exit with 2.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Also run the custom Rego dockerfile rules of every `*.rego` file under DIR (docs/policy.md).
    /// Repeat for several directories.
    #[arg(long = "policy", value_name = "DIR")]
    pub policy: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// The Docker daemon's configuration, files and sockets, audit rules and kernel hardening.
    Host(AuditHostArgs),
    /// Every running container's settings, through the Docker Engine API (DD-RUN rules).
    Containers(AuditContainersArgs),
    /// Kubernetes manifests, docker-compose files and OCI runtime config.json (DD-RUN rules).
    Manifest(AuditManifestArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFormat {
    /// One table per container (or of every host check), with a summary.
    Table,
    /// The audit as JSON (docs/runtime.md).
    Json,
    /// SARIF 2.1.0 of the findings (host: failures and warnings).
    Sarif,
}

#[derive(Args, Debug)]
pub struct AuditHostArgs {
    /// Audit the host filesystem unpacked or mounted at DIR (its proc/ and sys/ files too)
    /// instead of this machine.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Exit with this code when any check fails or warns [default: 0].
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub exit_code: u8,
}

#[derive(Args, Debug)]
pub struct AuditContainersArgs {
    /// Only these containers (names or id prefixes) [default: every one].
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
    /// Stopped and created containers too, not only running ones.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// The Docker Engine socket [default: $DOCKER_HOST or /var/run/docker.sock].
    #[arg(long, value_name = "unix:///PATH")]
    pub docker_host: Option<String>,
    /// Exit with this code when any container (or, with --scan, its image) has a finding [default: 0].
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub exit_code: u8,
    /// Also scan each container's image for known vulnerabilities and secrets, once per image.
    #[arg(long)]
    pub scan: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Args, Debug)]
pub struct AuditManifestArgs {
    /// Kubernetes YAML (any number of documents), compose files or OCI config.json files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Exit with this code when any file has a finding [default: 0]. Unreadable or invalid
    /// files exit with 2.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub exit_code: u8,
    /// Also run the custom Rego manifest rules of every `*.rego` file under DIR (docs/policy.md).
    /// Repeat for several directories.
    #[arg(long = "policy", value_name = "DIR")]
    pub policy: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Remove manifests no tag or kept referrer reaches, blobs no manifest uses, and
    /// abandoned uploads. Safe while the registry serves pushes.
    Gc(RegistryGcArgs),
    /// Verify or export the audit trail (docs/access-control.md).
    #[command(subcommand)]
    Audit(RegistryAuditCommand),
    /// Users, through the admin API (system administrators).
    User(crate::registry_admin::UserCommand),
    /// Projects and their policy, through the admin API.
    Project(crate::registry_admin::ProjectCommand),
    /// Project members and roles, through the admin API.
    Member(crate::registry_admin::MemberCommand),
    /// Robot accounts, through the admin API (a new robot's secret is printed once).
    Robot(crate::registry_admin::RobotCommand),
    /// Which digest each tag pointed to over time, who moved it and when.
    History(crate::registry_admin::HistoryArgs),
    /// Create the first system administrator in the stores (refused once one exists).
    BootstrapAdmin(crate::registry_bootstrap::BootstrapArgs),
}

#[derive(Subcommand, Debug)]
pub enum RegistryAuditCommand {
    /// Check the hash chain and the signed checkpoints; exit 1 naming each entry where the
    /// log was edited, deleted from, inserted into or reordered.
    Verify(RegistryAuditVerifyArgs),
    /// Write entries as JSON lines, oldest first.
    Export(RegistryAuditExportArgs),
}

#[derive(Args, Debug)]
pub struct RegistryAuditVerifyArgs {
    #[command(flatten)]
    pub stores: RegistryStoreArgs,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RegistryAuditExportArgs {
    #[command(flatten)]
    pub stores: RegistryStoreArgs,
    /// Only entries about this repository.
    #[arg(long, value_name = "NAME")]
    pub repository: Option<String>,
    /// Only entries by this account.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Only this action (push-manifest, delete-tag, login, ...).
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,
    /// Only entries about this project and its repositories.
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Only entries from this time on: 2026-11-22 or 2026-11-22T13:00:00Z (UTC).
    #[arg(long, value_name = "TIME", value_parser = crate::registry_audit::parse_time)]
    pub since: Option<i64>,
    /// Only entries before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = crate::registry_audit::parse_time)]
    pub until: Option<i64>,
}

/// Where a registry's stores are: the same settings `drydock serve` takes (S3 blob storage
/// from the configuration file or DRYDOCK_REGISTRY_S3_* variables).
#[derive(Args, Debug)]
pub struct RegistryStoreArgs {
    /// The registry's TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The registry's data directory [default: $XDG_DATA_HOME/drydock/registry].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The registry's PostgreSQL metadata: postgres://USER@HOST/DB.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct RegistryGcArgs {
    #[command(flatten)]
    pub stores: RegistryStoreArgs,
    /// Report what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Keep anything created or linked more recently than this (30s, 15m, 1h, 2d).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::registry_gc::parse_duration)]
    pub grace: std::time::Duration,
    /// Abandon upload sessions idle for longer than this.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = crate::registry_gc::parse_duration)]
    pub upload_max_age: std::time::Duration,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// A TOML configuration file; DRYDOCK_REGISTRY_* variables and flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:5000].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Data directory: SQLite metadata and blobs [default: $XDG_DATA_HOME/drydock/registry].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Metadata in PostgreSQL instead of SQLite: postgres://USER@HOST/DB.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// PEM certificate chain: serve HTTPS (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The largest blob accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_blob_size: Option<u64>,
    /// Blobs in this S3-compatible endpoint (https://HOST[:PORT]) instead of the data
    /// directory; the secret key comes from DRYDOCK_REGISTRY_S3_SECRET_ACCESS_KEY or a file.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// The S3 bucket.
    #[arg(long, value_name = "NAME")]
    pub s3_bucket: Option<String>,
    /// The S3 region [default: us-east-1].
    #[arg(long, value_name = "NAME")]
    pub s3_region: Option<String>,
    /// The S3 access key id.
    #[arg(long, value_name = "ID")]
    pub s3_access_key_id: Option<String>,
    /// A file holding the S3 secret access key.
    #[arg(long, value_name = "FILE")]
    pub s3_secret_access_key_file: Option<PathBuf>,
    /// Allow a plain-HTTP S3 endpoint.
    #[arg(long)]
    pub s3_allow_http: bool,
    /// Serve without authentication on an address other than loopback: anyone who reaches
    /// it may push and delete. Without this, such a server is refused unless `[auth]` is on.
    #[arg(long, env = "DRYDOCK_REGISTRY_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
}

#[derive(Args, Debug)]
pub struct ProbeArgs {
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Exit with this code when any finding is reported [default: 0].
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub exit_code: u8,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeverityArg {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

/// Where the vulnerability database is.
#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// The vulnerability database file [default: <cache dir>/db/advisories.ddb].
    #[arg(long, env = "DRYDOCK_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Warn when the database was built longer ago than this (`7d`, `36h`, `0` for never).
    #[arg(long, env = "DRYDOCK_DB_MAX_AGE", value_name = "AGE", default_value = "7d", value_parser = parse_age)]
    pub db_max_age: u64,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Download osv.dev's advisory exports and rebuild the database (unchanged ones are not fetched again).
    Update(DbUpdateArgs),
    /// Build the database offline from OSV zips, folders of OSV JSON files or single files.
    Import(DbImportArgs),
    /// Show the database's sources, dates and record counts.
    Status(DbStatusArgs),
}

#[derive(Args, Debug)]
pub struct DbUpdateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Ecosystems to fetch, comma-separated, as osv.dev names them (`Debian,PyPI,npm`)
    /// [default: every ecosystem drydock can match].
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub ecosystems: Vec<String>,
    /// Fetch `<URL>/<ECOSYSTEM>/all.zip` from this mirror instead of osv.dev's bucket.
    #[arg(long, env = "DRYDOCK_DB_MIRROR", value_name = "URL")]
    pub mirror: Option<String>,
}

#[derive(Args, Debug)]
pub struct DbImportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// OSV `all.zip` files, folders of `*.json` OSV records, or single records.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DbStatusArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `7d`, `36h`, `90m`, `3600` (seconds), `0` (never warn).
fn parse_age(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, 'd')) => (&text[..i], 86_400u64),
        Some((i, 'h')) => (&text[..i], 3_600),
        Some((i, 'm')) => (&text[..i], 60),
        Some((i, 's')) => (&text[..i], 1),
        _ => (text, 1),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("`{text}` is not an age such as 7d, 36h or 90m"))
}

/// How to reach and read an image; shared by every command that takes one.
#[derive(Args, Debug, Clone, Default)]
pub struct SourceArgs {
    /// The platform to pick from a multi-platform image [default: the host's].
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Allow plain HTTP to the registry (always allowed for localhost and 127.0.0.0/8).
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (or DRYDOCK_REGISTRY_USERNAME).
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password or token from standard input.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// The Docker Engine socket for docker: images [default: $DOCKER_HOST or /var/run/docker.sock].
    #[arg(long, value_name = "unix:///PATH")]
    pub docker_host: Option<String>,
    /// Most bytes one layer may expand to before it is refused as a decompression bomb.
    #[arg(long, env = "DRYDOCK_MAX_LAYER_SIZE", value_name = "BYTES", value_parser = parse_size)]
    pub max_layer_size: Option<u64>,
    /// Layers read at once [default: the number of CPUs].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// `1048576`, `512K`, `64M`, `2G` (binary units).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, multiplier) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&text[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&text[..i], 1 << 30),
        Some((i, 'T' | 't')) => (&text[..i], 1 << 40),
        _ => (text, 1),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a size such as 1048576, 512K, 64M or 2G"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("x").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("7d"), Ok(7 * 86_400));
        assert_eq!(parse_age("36h"), Ok(36 * 3_600));
        assert_eq!(parse_age("0"), Ok(0));
        assert!(parse_age("soon").is_err());
    }

    #[test]
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Print the input document a policy sees for an image, a Dockerfile or a manifest.
    Input(PolicyInputArgs),
    /// Load policy directories and list their rules (a policy error exits non-zero).
    Rules(PolicyRulesArgs),
    /// Judge an image by a trust policy (signatures, attestations, base image) and explain
    /// each decision; exits 1 on deny.
    Check(crate::trust::args::PolicyCheckArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyInputKind {
    /// A file named Dockerfile, Containerfile or *.Dockerfile is a Dockerfile, another
    /// existing file a manifest, anything else an image reference.
    Auto,
    Image,
    Dockerfile,
    Manifest,
}

#[derive(Args, Debug)]
pub struct PolicyInputArgs {
    /// An image reference (as for `scan`), a Dockerfile, or a Kubernetes, compose or OCI
    /// config.json file.
    pub target: String,
    #[arg(long, value_enum, default_value_t = PolicyInputKind::Auto)]
    pub kind: PolicyInputKind,
    /// For a manifest: print only the input of YAML document N (1-based) instead of an
    /// array of every document's.
    #[arg(long, value_name = "N")]
    pub document: Option<usize>,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Args, Debug)]
pub struct PolicyRulesArgs {
    /// A directory of `*.rego` files (searched recursively). Repeat for several.
    #[arg(long = "policy", value_name = "DIR", required = true)]
    pub policy: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

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
}

#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Show an image's digests, platform, layers and config, and optionally its files.
    Inspect(InspectArgs),
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

/// How to reach and read an image; shared by every command that takes one.
#[derive(Args, Debug, Clone)]
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
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

//! Parsing what users type to name an image, with the transport prefixes they know from
//! skopeo, syft and Trivy: `oci:`, `oci-archive:`, `docker-archive:`, `docker:`, `dir:`, and
//! bare registry references normalized the way the Docker CLI does (`debian:12` means
//! `docker.io/library/debian:12`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use drydock_model::Digest;

use crate::error::OciError;

/// Docker Hub's canonical name, as it appears in references and `~/.docker/config.json`.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's registry API.
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";

/// Where an image is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageRef {
    /// An OCI image layout directory.
    OciLayout { path: PathBuf, selector: Selector },
    /// A tar of an OCI image layout.
    OciArchive { path: PathBuf, selector: Selector },
    /// The output of `docker save`, optionally naming one image of a multi-image archive.
    DockerArchive { path: PathBuf, name: Option<String> },
    /// An image in the local Docker Engine, by name or id.
    Docker { name: String },
    /// A plain root filesystem.
    Dir { path: PathBuf },
    /// An image in a registry.
    Registry(RegistryRef),
}

/// Which manifest of an OCI layout's index to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// The only manifest (or the only one for the platform).
    Default,
    /// The manifest whose `org.opencontainers.image.ref.name` is this.
    Tag(String),
    Digest(Digest),
}

/// `registry/repository[:tag][@digest]`, normalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    /// `docker.io`, `localhost:5000`, `ghcr.io`, ...
    pub registry: String,
    /// `library/debian`, `team/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl ImageRef {
    /// A short name of the kind of source, as reports show it.
    pub fn kind(&self) -> &'static str {
        match self {
            ImageRef::OciLayout { .. } => "oci",
            ImageRef::OciArchive { .. } => "oci-archive",
            ImageRef::DockerArchive { .. } => "docker-archive",
            ImageRef::Docker { .. } => "docker",
            ImageRef::Dir { .. } => "dir",
            ImageRef::Registry(_) => "registry",
        }
    }
}

impl FromStr for ImageRef {
    type Err = OciError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| OciError::Reference {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if input.trim().is_empty() {
            return Err(bad("it is empty"));
        }
        if let Some(plain) = input.strip_prefix("docker://") {
            return RegistryRef::parse(plain).map(ImageRef::Registry);
        }
        if let Some((transport, rest)) = input.split_once(':') {
            let nonempty = |rest: &str| {
                if rest.is_empty() {
                    Err(bad("nothing follows the transport prefix"))
                } else {
                    Ok(())
                }
            };
            match transport {
                "oci" | "oci-dir" => {
                    nonempty(rest)?;
                    let (path, selector) = split_layout_selector(rest).map_err(|r| bad(&r))?;
                    return Ok(ImageRef::OciLayout { path, selector });
                }
                "oci-archive" => {
                    nonempty(rest)?;
                    let (path, selector) = split_layout_selector(rest).map_err(|r| bad(&r))?;
                    return Ok(ImageRef::OciArchive { path, selector });
                }
                "docker-archive" => {
                    nonempty(rest)?;
                    let (path, name) = match rest.split_once(':') {
                        Some((path, name)) if !name.is_empty() => (path, Some(name.to_string())),
                        Some((path, _)) => (path, None),
                        None => (rest, None),
                    };
                    return Ok(ImageRef::DockerArchive {
                        path: PathBuf::from(path),
                        name,
                    });
                }
                "docker" | "docker-daemon" => {
                    nonempty(rest)?;
                    return Ok(ImageRef::Docker { name: rest.to_string() });
                }
                "dir" => {
                    nonempty(rest)?;
                    return Ok(ImageRef::Dir {
                        path: PathBuf::from(rest),
                    });
                }
                "registry" => {
                    nonempty(rest)?;
                    return RegistryRef::parse(rest).map(ImageRef::Registry);
                }
                _ => {}
            }
        }
        RegistryRef::parse(input).map(ImageRef::Registry)
    }
}

/// Splits `PATH[:TAG|@DIGEST]`. A colon only starts a tag after the last `/`, so
/// `oci:./a:b/c` is the directory `./a:b/c`.
fn split_layout_selector(rest: &str) -> Result<(PathBuf, Selector), String> {
    if let Some((path, digest)) = rest.rsplit_once('@') {
        let digest: Digest = digest.parse().map_err(|e| format!("{e}"))?;
        return Ok((PathBuf::from(path), Selector::Digest(digest)));
    }
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match rest[last_slash..].rfind(':') {
        Some(colon) => {
            let split = last_slash + colon;
            let (path, tag) = (&rest[..split], &rest[split + 1..]);
            if path.is_empty() {
                return Err("the layout path is empty".into());
            }
            if tag.is_empty() {
                Ok((PathBuf::from(path), Selector::Default))
            } else {
                Ok((PathBuf::from(path), Selector::Tag(tag.to_string())))
            }
        }
        None => Ok((PathBuf::from(rest), Selector::Default)),
    }
}

impl RegistryRef {
    /// Parses a Docker-style reference, applying Docker Hub's defaults.
    pub fn parse(input: &str) -> Result<Self, OciError> {
        let bad = |reason: String| OciError::Reference {
            input: input.to_string(),
            reason,
        };
        let (name_and_tag, digest) = match input.split_once('@') {
            Some((name, digest)) => (name, Some(digest.parse::<Digest>().map_err(|e| bad(e.to_string()))?)),
            None => (input, None),
        };
        let last_slash = name_and_tag.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match name_and_tag[last_slash..].rfind(':') {
            Some(colon) => {
                let split = last_slash + colon;
                (&name_and_tag[..split], Some(name_and_tag[split + 1..].to_string()))
            }
            None => (name_and_tag, None),
        };
        if let Some(tag) = &tag {
            validate_tag(tag).map_err(&bad)?;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = match registry.as_str() {
            "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
            _ => registry,
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        validate_repository(&repository).map_err(&bad)?;
        validate_registry(&registry).map_err(&bad)?;
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(RegistryRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host (and port) to connect to for the registry API.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API_HOST
        } else {
            &self.registry
        }
    }

    /// What to ask the manifests endpoint for: the digest when there is one, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_string(),
        }
    }
}

impl fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

pub(crate) fn validate_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag `{tag}` must be 1-128 of [A-Za-z0-9_.-], not starting with . or -"
        ))
    }
}

/// Repository components per the distribution spec: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn validate_repository(repository: &str) -> Result<(), String> {
    let component_ok = |c: &str| {
        let bytes = c.as_bytes();
        if bytes.is_empty() || !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
            return false;
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_lowercase() || b.is_ascii_digit() {
                i += 1;
                continue;
            }
            match b {
                b'.' => i += 1,
                b'_' if bytes.get(i + 1) == Some(&b'_') => i += 2,
                b'_' => i += 1,
                b'-' => {
                    while bytes.get(i) == Some(&b'-') {
                        i += 1;
                    }
                }
                _ => return false,
            }
            if !bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return false;
            }
        }
        true
    };
    if repository.len() > 255 || !repository.split('/').all(component_ok) {
        return Err(format!(
            "repository `{repository}` must be lowercase components of [a-z0-9] joined by . _ __ or -, separated by /"
        ));
    }
    Ok(())
}

fn validate_registry(registry: &str) -> Result<(), String> {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || registry.starts_with('[') => (host, Some(port)),
        _ => (registry, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'[' || b == b']' || b == b':');
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok());
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(format!(
            "registry host `{registry}` is not a host name with an optional port"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(input: &str) -> RegistryRef {
        match input.parse::<ImageRef>().unwrap() {
            ImageRef::Registry(r) => r,
            other => panic!("{input} parsed as {other:?}"),
        }
    }

    #[test]
    fn docker_hub_short_names() {
        let r = registry("debian:12");
        assert_eq!(r.registry, "docker.io");
        assert_eq!(r.repository, "library/debian");
        assert_eq!(r.tag.as_deref(), Some("12"));
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = registry("bitnami/redis");
        assert_eq!(r.repository, "bitnami/redis");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(registry("docker://alpine").repository, "library/alpine");
    }

    #[test]
    fn hosts_ports_and_digests() {
        let digest = format!("sha256:{}", "0".repeat(64));
        let r = registry(&format!("localhost:5000/team/app@{digest}"));
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_reference(), digest);
        let r = registry("127.0.0.1:5000/app:v1.2");
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", Some("v1.2"))
        );
        assert_eq!(r.to_string(), "127.0.0.1:5000/app:v1.2");
    }

    #[test]
    fn rejects_bad_registry_references() {
        for input in [
            "Debian:12",
            "debian:",
            "debian:-x",
            "a//b",
            "debian@sha256:12",
            "host:99999/x",
        ] {
            assert!(input.parse::<ImageRef>().is_err(), "{input} should be rejected");
        }
    }

    #[test]
    fn transports() {
        assert_eq!(
            "oci:fixtures/oci:debian-min".parse::<ImageRef>().unwrap(),
            ImageRef::OciLayout {
                path: "fixtures/oci".into(),
                selector: Selector::Tag("debian-min".into())
            }
        );
        assert_eq!(
            "oci:./a:b/c".parse::<ImageRef>().unwrap(),
            ImageRef::OciLayout {
                path: "./a:b/c".into(),
                selector: Selector::Default
            }
        );
        assert_eq!(
            "docker-archive:x.tar:app:v1".parse::<ImageRef>().unwrap(),
            ImageRef::DockerArchive {
                path: "x.tar".into(),
                name: Some("app:v1".into())
            }
        );
        assert_eq!(
            "docker:debian:12".parse::<ImageRef>().unwrap(),
            ImageRef::Docker {
                name: "debian:12".into()
            }
        );
        assert_eq!("dir:/".parse::<ImageRef>().unwrap(), ImageRef::Dir { path: "/".into() });
        assert!("oci:".parse::<ImageRef>().is_err());
        assert!("".parse::<ImageRef>().is_err());
    }
}

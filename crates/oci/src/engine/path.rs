//! Normalizing entry paths so that nothing in an image can name a place outside its root.

/// Why an entry path was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum PathProblem {
    /// `..` would climb above the image root.
    EscapesRoot,
    /// A NUL byte, which no filesystem path may hold.
    Nul,
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathProblem::EscapesRoot => f.write_str("its `..` components climb above the image root"),
            PathProblem::Nul => f.write_str("it contains a NUL byte"),
        }
    }
}

/// Turns a tar entry name (`./etc/passwd`, `/etc/passwd`, `etc//x/../passwd`) into an
/// absolute normalized path (`/etc/passwd`). The root itself is `/`. Absolute names are
/// taken as relative to the image root, as every container runtime does; `..` that would
/// leave the root is an error rather than being clamped, because no honest layer has it.
pub fn normalize_entry_path(raw: &str) -> Result<String, PathProblem> {
    if raw.contains('\0') {
        return Err(PathProblem::Nul);
    }
    let mut parts: Vec<&str> = Vec::new();
    for component in raw.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathProblem::EscapesRoot);
                }
            }
            other => parts.push(other),
        }
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for part in &parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// The parent directory of a normalized path (`/a/b` → `/a`, `/a` → `/`).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// The last component of a normalized path.
pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `dir` joined with a name (`/` + `etc` → `/etc`).
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_relative_absolute_and_dotted_names() {
        assert_eq!(normalize_entry_path("./etc/passwd").unwrap(), "/etc/passwd");
        assert_eq!(normalize_entry_path("/etc/passwd").unwrap(), "/etc/passwd");
        assert_eq!(normalize_entry_path("etc//x/../passwd").unwrap(), "/etc/passwd");
        assert_eq!(normalize_entry_path("./").unwrap(), "/");
        assert_eq!(normalize_entry_path("usr/bin/").unwrap(), "/usr/bin");
    }

    #[test]
    fn refuses_escapes() {
        assert_eq!(normalize_entry_path("../etc/passwd"), Err(PathProblem::EscapesRoot));
        assert_eq!(normalize_entry_path("a/../../b"), Err(PathProblem::EscapesRoot));
        assert_eq!(normalize_entry_path("/../x"), Err(PathProblem::EscapesRoot));
        assert_eq!(normalize_entry_path("a\0b"), Err(PathProblem::Nul));
    }

    #[test]
    fn parents_and_names() {
        assert_eq!(parent("/a/b"), "/a");
        assert_eq!(parent("/a"), "/");
        assert_eq!(basename("/a/.wh.b"), ".wh.b");
        assert_eq!(join("/", "etc"), "/etc");
        assert_eq!(join("/etc", "x"), "/etc/x");
    }
}

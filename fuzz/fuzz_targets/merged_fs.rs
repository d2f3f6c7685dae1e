//! The merged filesystem: layers of entries, whiteouts and opaque directories (as a walk
//! or the cache would produce them) merged with `MergedFs::build`, then paths resolved
//! through symlinks. Paths come from a small vocabulary so that layers collide, links
//! point at each other and loops form. Checked: no panic, and resolution stays in the
//! image (it returns an entry of the merged view, never a symlink).
#![no_main]

use arbitrary::Arbitrary;
use drydock_model::FileKind;
use drydock_oci::engine::facts::{LayerEntry, LayerFacts};
use drydock_oci::engine::merge::MergedFs;
use drydock_oci::engine::path::normalize_entry_path;
use libfuzzer_sys::fuzz_target;

const COMPONENTS: [&str; 10] = ["a", "b", "etc", "usr", "lib", "os-release", "..", ".", "", "c"];

/// A path of up to four components from [`COMPONENTS`].
#[derive(Arbitrary, Debug)]
struct FuzzPath(Vec<u8>);

impl FuzzPath {
    fn raw(&self, absolute: bool) -> String {
        let parts: Vec<&str> = self
            .0
            .iter()
            .take(4)
            .map(|&c| COMPONENTS[c as usize % COMPONENTS.len()])
            .collect();
        let joined = parts.join("/");
        if absolute { format!("/{joined}") } else { joined }
    }

    /// As the walk records entry paths: normalized, or refused (`None`).
    fn normalized(&self) -> Option<String> {
        normalize_entry_path(&self.raw(true)).ok().filter(|p| p != "/")
    }
}

#[derive(Arbitrary, Debug)]
struct FuzzEntry {
    path: FuzzPath,
    kind: u8,
    /// Symlink targets are kept raw (relative or absolute); hardlink targets normalized.
    target: FuzzPath,
    absolute_target: bool,
    size: u8,
}

#[derive(Arbitrary, Debug)]
struct FuzzLayer {
    entries: Vec<FuzzEntry>,
    whiteouts: Vec<FuzzPath>,
    opaque_dirs: Vec<FuzzPath>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    layers: Vec<FuzzLayer>,
    lookups: Vec<FuzzPath>,
}

fn kind(byte: u8) -> FileKind {
    match byte % 5 {
        0 => FileKind::File,
        1 => FileKind::Dir,
        2 => FileKind::Symlink,
        3 => FileKind::Hardlink,
        _ => FileKind::Fifo,
    }
}

fn layer_facts(layer: &FuzzLayer) -> LayerFacts {
    let entries = layer
        .entries
        .iter()
        .filter_map(|e| {
            let path = e.path.normalized()?;
            let kind = kind(e.kind);
            let link_target = match kind {
                FileKind::Symlink => Some(e.target.raw(e.absolute_target)).filter(|t| !t.is_empty()),
                FileKind::Hardlink => Some(e.target.normalized()?),
                _ => None,
            };
            if kind == FileKind::Symlink && link_target.is_none() {
                return None;
            }
            Some(LayerEntry {
                path,
                kind,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: if kind == FileKind::File { u64::from(e.size) } else { 0 },
                link_target,
            })
        })
        .collect();
    LayerFacts {
        entries,
        whiteouts: layer.whiteouts.iter().filter_map(FuzzPath::normalized).collect(),
        opaque_dirs: layer
            .opaque_dirs
            .iter()
            .map(|p| normalize_entry_path(&p.raw(true)).unwrap_or_else(|_| "/".to_string()))
            .collect(),
        ..LayerFacts::default()
    }
}

fuzz_target!(|input: Input| {
    let layers: Vec<LayerFacts> = input.layers.iter().take(8).map(layer_facts).collect();
    let Ok(merged) = MergedFs::build(layers.iter().enumerate()) else {
        return;
    };
    let _ = merged.records();
    let entry_paths: Vec<String> = merged.iter().map(|e| e.entry.path.clone()).collect();
    let lookups = input.lookups.iter().take(16).map(|p| p.raw(true));
    for path in entry_paths.into_iter().chain(lookups) {
        if let Ok(Some((resolved, entry))) = merged.resolve(&path) {
            assert!(resolved.starts_with('/'), "`{path}` resolved to `{resolved}`");
            assert_ne!(entry.entry.kind, FileKind::Symlink, "`{path}` resolved to a symlink");
            assert_eq!(
                merged.get(&resolved),
                Some(entry),
                "`{path}`: `{resolved}` is not in the merged view"
            );
        }
    }
});

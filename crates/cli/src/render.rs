//! Human-readable output.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use drydock_model::{ImageDescription, LayerDescription};

/// Text from an image (paths, names, error details) with control characters escaped, so
/// nothing in an image can move the cursor, retitle the terminal or fake extra lines.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `image inspect` as tables; the file list as `ls -l`-like lines, fast for huge images.
pub fn inspect_table(out: &mut impl Write, image: &ImageDescription) -> io::Result<()> {
    writeln!(out, "{}", summary_table(image))?;
    writeln!(out, "{}", layers_table(&image.layers))?;
    writeln!(out, "{}", config_table(image))?;
    if let Some(files) = &image.files {
        writeln!(out, "Files ({}):", files.len())?;
        for file in files {
            write!(
                out,
                "{} {:>6}:{:<6} {:>12}  L{:<3} {}",
                file.mode_string(),
                file.uid,
                file.gid,
                file.size,
                file.layer,
                printable(&file.path)
            )?;
            match (&file.kind, &file.link_target) {
                (drydock_model::FileKind::Symlink, Some(target)) => writeln!(out, " -> {}", printable(target))?,
                (drydock_model::FileKind::Hardlink, Some(target)) => writeln!(out, " link to {}", printable(target))?,
                _ => writeln!(out)?,
            }
        }
    }
    Ok(())
}

pub fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

fn summary_table(image: &ImageDescription) -> Table {
    let mut table = new_table();
    table.set_header(vec!["Image", &image.reference]);
    table.add_row(vec!["Source".to_string(), image.source.clone()]);
    table.add_row(vec![
        "Manifest digest".to_string(),
        or_dash(image.manifest_digest.as_ref().map(|d| d.to_string())),
    ]);
    if let Some(index) = &image.index_digest {
        table.add_row(vec!["Index digest".to_string(), index.to_string()]);
    }
    table.add_row(vec![
        "Config digest".to_string(),
        or_dash(image.config_digest.as_ref().map(|d| d.to_string())),
    ]);
    table.add_row(vec!["Platform".to_string(), image.platform.to_string()]);
    table.add_row(vec!["Created".to_string(), or_dash(image.created.clone())]);
    table
}

fn layers_table(layers: &[LayerDescription]) -> Table {
    let mut table = new_table();
    table.set_header(vec!["#", "Digest", "DiffID", "Size", "Media type", "Created by"]);
    for layer in layers {
        table.add_row(vec![
            layer.index.to_string(),
            or_dash(layer.digest.as_ref().map(|d| d.to_string())),
            or_dash(layer.diff_id.as_ref().map(|d| d.to_string())),
            or_dash(layer.size.map(|s| s.to_string())),
            layer.media_type.clone(),
            or_dash(layer.created_by.clone()),
        ]);
    }
    table
}

fn config_table(image: &ImageDescription) -> Table {
    let config = &image.config;
    let mut table = new_table();
    table.set_header(vec!["Config", ""]);
    let list = |items: &[String]| {
        if items.is_empty() {
            "-".to_string()
        } else {
            items.join("\n")
        }
    };
    let argv = |items: &Option<Vec<String>>| {
        items
            .as_ref()
            .map(|v| format!("{v:?}"))
            .unwrap_or_else(|| "-".to_string())
    };
    table.add_row(vec!["User".to_string(), or_dash(config.user.clone())]);
    table.add_row(vec!["Env".to_string(), list(&config.env)]);
    table.add_row(vec!["Entrypoint".to_string(), argv(&config.entrypoint)]);
    table.add_row(vec!["Cmd".to_string(), argv(&config.cmd)]);
    table.add_row(vec!["WorkingDir".to_string(), or_dash(config.working_dir.clone())]);
    table.add_row(vec!["ExposedPorts".to_string(), list(&config.exposed_ports)]);
    table.add_row(vec!["Volumes".to_string(), list(&config.volumes)]);
    let labels: Vec<String> = config.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    table.add_row(vec!["Labels".to_string(), list(&labels)]);
    let health = config.healthcheck.as_ref().map(|h| {
        let mut text = format!("{:?}", h.test);
        if let Some(interval) = h.interval {
            text.push_str(&format!(" interval={}s", interval / 1_000_000_000));
        }
        if let Some(retries) = h.retries {
            text.push_str(&format!(" retries={retries}"));
        }
        text
    });
    table.add_row(vec!["Healthcheck".to_string(), or_dash(health)]);
    table.add_row(vec!["StopSignal".to_string(), or_dash(config.stop_signal.clone())]);
    table
}

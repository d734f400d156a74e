//! `manifest.csv`: the version of the bundle and how each file is to be applied.

use crate::bundle::Bundle;
use crate::error::Collector;
use crate::files::{KNOWN_FILES, MANIFEST, MANIFEST_COLUMNS};
use crate::model::{FileMode, OneRosterVersion};
use crate::table::Table;
use std::collections::BTreeMap;

/// What the manifest says.
#[derive(Debug)]
pub(crate) struct Manifest {
    /// The declared version (1.1 when the declaration is wrong, so reading can go on).
    pub(crate) version: OneRosterVersion,
    /// File name (`users.csv`) → mode and the manifest line that set it.
    pub(crate) files: BTreeMap<String, (FileMode, u64)>,
}

impl Manifest {
    /// How `file` is to be applied; `Absent` when the manifest does not list it.
    pub(crate) fn mode(&self, file: &str) -> FileMode {
        self.files
            .get(file)
            .map_or(FileMode::Absent, |(mode, _)| *mode)
    }

    /// The manifest line listing `file`, if it does.
    pub(crate) fn line(&self, file: &str) -> Option<u64> {
        self.files.get(file).map(|(_, line)| *line)
    }
}

/// Reads the manifest; `None` when there is none worth going on with (errors recorded).
pub(crate) fn read(bundle: &Bundle, errors: &mut Collector) -> Option<Manifest> {
    let Some(bytes) = bundle.file(MANIFEST) else {
        errors.push(
            MANIFEST,
            None,
            None,
            "missing: every OneRoster bundle starts with it",
        );
        return None;
    };
    let table = Table::parse(MANIFEST, bytes, MANIFEST_COLUMNS, errors)?;
    let mut version = None;
    let mut files = BTreeMap::new();
    for row in table.rows() {
        let property = table.get(row, "propertyName");
        let value = table.get(row, "value");
        let line = Some(row.line);
        if property == "oneroster.version" {
            match value {
                "1.1" => version = Some(OneRosterVersion::V1_1),
                "1.2" => version = Some(OneRosterVersion::V1_2),
                other => {
                    let message = format!("oneroster.version is \"{other}\"; 1.1 and 1.2 are read");
                    errors.push(MANIFEST, line, Some("value"), message);
                    version = Some(OneRosterVersion::V1_1);
                }
            }
        } else if property == "manifest.version" {
            if value != "1.0" {
                let message = format!("manifest.version is \"{value}\"; 1.0 is expected");
                errors.push(MANIFEST, line, Some("value"), message);
            }
        } else if let Some(name) = property.strip_prefix("file.") {
            if !KNOWN_FILES.contains(&name) {
                // A file OneRoster does not define; nothing reads it, so nothing to check.
                continue;
            }
            let mode = match value.to_ascii_lowercase().as_str() {
                "bulk" => FileMode::Bulk,
                "delta" => FileMode::Delta,
                "absent" => FileMode::Absent,
                _ => {
                    let message = format!("\"{value}\" for {property}; bulk, delta or absent");
                    errors.push(MANIFEST, line, Some("value"), message);
                    continue;
                }
            };
            files.insert(format!("{name}.csv"), (mode, row.line));
        }
    }
    let version = version.unwrap_or_else(|| {
        errors.push(
            MANIFEST,
            None,
            Some("propertyName"),
            "no oneroster.version property",
        );
        OneRosterVersion::V1_1
    });
    Some(Manifest { version, files })
}

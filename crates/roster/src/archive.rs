//! Unpacking a zip into a [`Bundle`], safely.
//!
//! The zip is uploaded by an administrator, but a zip bomb is a few kilobytes that inflate to
//! gigabytes. Sizes declared in zip headers are written by whoever made the file, so they are
//! never trusted: every entry is inflated through a reader that stops one byte past the
//! remaining budget, and the entry count is capped before anything is read.

use crate::bundle::Bundle;
use crate::error::{Collector, RosterErrors};
use std::io::{Cursor, Read};

/// How much a zip may hold; the defaults fit a large district with room to spare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleLimits {
    /// Most entries (files and folders) in the archive.
    pub max_entries: usize,
    /// Most uncompressed bytes in one file.
    pub max_file_bytes: u64,
    /// Most uncompressed bytes in all files together.
    pub max_total_bytes: u64,
}

impl Default for BundleLimits {
    /// 64 entries (OneRoster 1.2 defines fewer than 30 files), 64 MiB a file (about 600,000
    /// enrolments) and 256 MiB in all.
    fn default() -> Self {
        Self {
            max_entries: 64,
            max_file_bytes: 64 << 20,
            max_total_bytes: 256 << 20,
        }
    }
}

/// The name errors use for the archive itself, which has no file name inside the bundle.
pub(crate) const ARCHIVE: &str = "(zip archive)";

impl Bundle {
    /// Reads a zip upload. Files may sit at the root or under one top folder (what
    /// "compress folder" makes); folder entries and macOS `__MACOSX/` metadata are ignored.
    ///
    /// # Errors
    /// Not a zip, too many entries, a file or the whole over `limits` once inflated (the
    /// error names the file, with no line), or one file name twice.
    pub fn from_zip(bytes: &[u8], limits: &BundleLimits) -> Result<Bundle, RosterErrors> {
        let mut errors = Collector::default();
        let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(archive) => archive,
            Err(error) => {
                errors.push(
                    ARCHIVE,
                    None,
                    None,
                    format!("not a readable zip file: {error}"),
                );
                return Err(errors.into_errors());
            }
        };
        if archive.len() > limits.max_entries {
            let message = format!(
                "{} entries; at most {} are accepted",
                archive.len(),
                limits.max_entries
            );
            errors.push(ARCHIVE, None, None, message);
            return Err(errors.into_errors());
        }
        if declared_entries(bytes).is_some_and(|declared| declared != archive.len()) {
            // The reader keeps one entry per name, so a count that differs means a name
            // appears twice: tools disagree on which copy wins, so neither is taken.
            let message = "a file name appears twice in the zip; which copy is meant?";
            errors.push(ARCHIVE, None, None, message);
            return Err(errors.into_errors());
        }
        let mut files = Vec::new();
        let mut budget = limits.max_total_bytes;
        for index in 0..archive.len() {
            let mut entry = match archive.by_index(index) {
                Ok(entry) => entry,
                Err(error) => {
                    errors.push(
                        ARCHIVE,
                        None,
                        None,
                        format!("entry {index} unreadable: {error}"),
                    );
                    continue;
                }
            };
            let name = entry.name().to_owned();
            if entry.is_dir() || name.ends_with('/') || name.starts_with("__MACOSX/") {
                continue;
            }
            let allowed = limits.max_file_bytes.min(budget);
            let mut content = Vec::new();
            // One byte past the allowance tells "exactly at the limit" from "over it".
            let read = (&mut entry)
                .take(allowed.saturating_add(1))
                .read_to_end(&mut content);
            if let Err(error) = read {
                errors.push(&name, None, None, format!("cannot be unpacked: {error}"));
                continue;
            }
            let size = content.len() as u64;
            if size > limits.max_file_bytes {
                let message = format!(
                    "larger than {} bytes uncompressed; refused (zip bomb or wrong file)",
                    limits.max_file_bytes
                );
                errors.push(&name, None, None, message);
                return Err(errors.into_errors());
            }
            if size > budget {
                let message = format!(
                    "the files together exceed {} bytes uncompressed; refused",
                    limits.max_total_bytes
                );
                errors.push(&name, None, None, message);
                return Err(errors.into_errors());
            }
            budget -= size;
            files.push((name, content));
        }
        errors.finish(())?;
        Ok(Bundle::from_files(strip_top_folder(files)))
    }
}

/// The entry count the end-of-central-directory record declares; `None` when the record
/// is not found or defers to ZIP64 (then the duplicate check is skipped).
fn declared_entries(bytes: &[u8]) -> Option<usize> {
    const SIGNATURE: &[u8] = b"PK\x05\x06";
    // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
    let earliest = bytes.len().saturating_sub(22 + 65_535);
    let start = (earliest..=bytes.len().checked_sub(22)?)
        .rev()
        .find(|&at| bytes[at..].starts_with(SIGNATURE))?;
    let count = u16::from_le_bytes([bytes[start + 10], bytes[start + 11]]);
    (count != u16::MAX).then_some(usize::from(count))
}

/// Keeps the files of the bundle's folder with bare names: the root when `manifest.csv` is
/// there, otherwise the one top folder holding it. Files elsewhere are not part of it.
fn strip_top_folder(files: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let root_has_manifest = files.iter().any(|(name, _)| name == "manifest.csv");
    let folder = if root_has_manifest {
        String::new()
    } else {
        let mut folders = files.iter().filter_map(|(name, _)| {
            let (folder, file) = name.split_once('/')?;
            (file == "manifest.csv").then(|| format!("{folder}/"))
        });
        match (folders.next(), folders.next()) {
            (Some(folder), None) => folder,
            _ => String::new(),
        }
    };
    files
        .into_iter()
        .filter_map(|(name, bytes)| {
            let rest = name.strip_prefix(&folder)?;
            (!rest.contains('/')).then(|| (rest.to_owned(), bytes))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(files: &[(&str, &str)]) -> Vec<String> {
        let owned = files
            .iter()
            .map(|(n, b)| (n.to_string(), b.as_bytes().to_vec()))
            .collect();
        strip_top_folder(owned)
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn files_under_one_top_folder_lose_the_folder() {
        let found = names(&[
            ("export/manifest.csv", ""),
            ("export/users.csv", ""),
            ("x/y.csv", ""),
        ]);
        assert_eq!(found, ["manifest.csv", "users.csv"]);
    }

    #[test]
    fn root_files_win_and_nested_files_are_ignored() {
        let found = names(&[
            ("manifest.csv", ""),
            ("orgs.csv", ""),
            ("old/manifest.csv", ""),
        ]);
        assert_eq!(found, ["manifest.csv", "orgs.csv"]);
    }

    #[test]
    fn garbage_is_not_a_zip() {
        let error = Bundle::from_zip(b"hello", &BundleLimits::default()).unwrap_err();
        assert_eq!(error.errors()[0].file, ARCHIVE);
    }
}

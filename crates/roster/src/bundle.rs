//! A bundle: the files of one OneRoster export, by name, before anything is parsed.
//!
//! Reading a folder is the caller's I/O; reading a zip is [`crate::archive`]'s. Both end
//! here, so parsing never cares where the bytes came from.

use std::collections::BTreeMap;

/// The files of one export, keyed by file name (`users.csv`), folders already stripped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    /// File name → raw bytes; sorted so iteration (and a zip written from it) is stable.
    files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// A bundle from files the caller has read, such as the `*.csv` of a folder. Names are
    /// taken as given; a later file with the same name replaces an earlier one.
    pub fn from_files<I, N, B>(files: I) -> Self
    where
        I: IntoIterator<Item = (N, B)>,
        N: Into<String>,
        B: Into<Vec<u8>>,
    {
        Self {
            files: files
                .into_iter()
                .map(|(name, bytes)| (name.into(), bytes.into()))
                .collect(),
        }
    }

    /// The bytes of `name`, if the bundle has it.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// The file names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The files and their bytes, sorted by name.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
    }

    /// Adds or replaces a file: how a test, or a tool, derives one bundle from another.
    pub fn insert(&mut self, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(name.into(), bytes.into());
    }

    /// Removes a file and returns its bytes.
    pub fn remove(&mut self, name: &str) -> Option<Vec<u8>> {
        self.files.remove(name)
    }
}

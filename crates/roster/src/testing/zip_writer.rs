//! Writing a bundle as a zip, as an administrator would upload it.

use crate::bundle::Bundle;
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

/// The bundle as a deflated zip, files at the root, in name order.
pub fn to_zip(bundle: &Bundle) -> Vec<u8> {
    match write(bundle.files()) {
        Ok(bytes) => bytes,
        // Writing into memory has no I/O to fail; only a bug in `zip` could get here.
        Err(error) => panic!("writing a zip into memory failed: {error}"),
    }
}

/// Writes `files` into a zip in memory.
pub(crate) fn write<'a>(
    files: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        writer.start_file(name, options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

//! Writing CSV text: quoting only where RFC 4180 requires it, as exporters do.

/// A CSV file under construction.
#[derive(Debug, Default)]
pub(crate) struct CsvText {
    /// The text so far.
    text: String,
}

impl CsvText {
    /// A file starting with `header` (already CSV).
    pub(crate) fn new(header: &str) -> Self {
        Self {
            text: format!("{header}\n"),
        }
    }

    /// Appends one record.
    pub(crate) fn row(&mut self, fields: &[&str]) {
        for (index, field) in fields.iter().enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            if field.contains([',', '"', '\n', '\r']) {
                self.text.push('"');
                self.text.push_str(&field.replace('"', "\"\""));
                self.text.push('"');
            } else {
                self.text.push_str(field);
            }
        }
        self.text.push('\n');
    }

    /// The finished file's bytes.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.text.into_bytes()
    }
}

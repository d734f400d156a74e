//! One CSV file as a header and text rows, with every line number kept.
//!
//! Decoding is strict where the `csv` crate is lenient: invalid UTF-8 is refused field by
//! field (so the error names the column), a row with the wrong number of fields is refused,
//! and an unterminated quote — which `csv` silently reads to the end of the file — is found
//! by a scan of its own first.

use crate::error::Collector;
use std::collections::HashMap;

/// The UTF-8 byte order mark some spreadsheet programs write first.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A decoded CSV file.
#[derive(Debug)]
pub(crate) struct Table {
    /// The file's name in the bundle, for errors.
    pub(crate) file: String,
    /// Header name → field index.
    columns: HashMap<String, usize>,
    /// The data rows, in file order (broken ones included).
    rows: Vec<Row>,
}

/// One data row.
#[derive(Debug)]
pub(crate) struct Row {
    /// The line the record starts on (the header is line 1).
    pub(crate) line: u64,
    /// The fields, one per header column.
    fields: Vec<String>,
    /// Whether a field failed to decode (already recorded): parsers skip the row, but its
    /// `sourcedId` still counts as defined, so references to it do not cascade into errors.
    broken: bool,
}

impl Table {
    /// Decodes `bytes`, checking the header has every `required` column. `None` when the
    /// file cannot be read as a table at all (errors already recorded); rows with a problem
    /// are recorded and left out.
    pub(crate) fn parse(
        file: &str,
        bytes: &[u8],
        required: &[&str],
        errors: &mut Collector,
    ) -> Option<Table> {
        let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        let lines = match record_lines(bytes) {
            Ok(lines) => lines,
            Err(line) => {
                let message = "a quoted field starts here and is never closed";
                errors.push(file, Some(line), None, message);
                return None;
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut records = reader.byte_records();
        let header = match records.next() {
            Some(Ok(header)) => header,
            Some(Err(error)) => {
                errors.push(file, Some(1), None, format!("unreadable header: {error}"));
                return None;
            }
            None => {
                errors.push(
                    file,
                    Some(1),
                    None,
                    "the file is empty; a header line is required",
                );
                return None;
            }
        };
        let mut names = Vec::with_capacity(header.len());
        for (index, raw) in header.iter().enumerate() {
            match std::str::from_utf8(raw) {
                Ok(name) => names.push(name.trim().to_owned()),
                Err(_) => {
                    let message = format!("header field {} is not valid UTF-8", index + 1);
                    errors.push(file, Some(1), None, message);
                    return None;
                }
            }
        }
        let mut columns = HashMap::new();
        for (index, name) in names.iter().enumerate() {
            if columns.insert(name.clone(), index).is_some() {
                errors.push(
                    file,
                    Some(1),
                    Some(name),
                    "this column appears twice in the header",
                );
            }
        }
        let mut complete = true;
        for column in required {
            if !columns.contains_key(*column) {
                errors.push(
                    file,
                    Some(1),
                    Some(column),
                    "required column missing from the header",
                );
                complete = false;
            }
        }
        if !complete {
            return None;
        }
        let mut rows = Vec::new();
        for (index, record) in records.enumerate() {
            // Record 0 was the header.
            let line = lines.get(index + 1).copied().unwrap_or(0);
            if errors.is_full() {
                break;
            }
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    errors.push(file, Some(line), None, format!("unreadable CSV: {error}"));
                    continue;
                }
            };
            if record.len() != names.len() {
                let column = names.get(record.len()).map(String::as_str);
                let message = format!(
                    "{} fields, but the header has {}",
                    record.len(),
                    names.len()
                );
                errors.push(file, Some(line), column, message);
                // Kept as broken, so its sourcedId still counts as defined.
                let mut fields: Vec<String> = record
                    .iter()
                    .map(|raw| String::from_utf8_lossy(raw).trim().to_owned())
                    .collect();
                fields.resize(names.len(), String::new());
                rows.push(Row {
                    line,
                    fields,
                    broken: true,
                });
                continue;
            }
            let mut fields = Vec::with_capacity(record.len());
            let mut broken = false;
            for (raw, name) in record.iter().zip(&names) {
                match std::str::from_utf8(raw) {
                    Ok(text) => fields.push(text.trim().to_owned()),
                    Err(error) => {
                        let at = error.valid_up_to() + 1;
                        let message = format!("not valid UTF-8 (byte {at} of the field)");
                        errors.push(file, Some(line), Some(name), message);
                        fields.push(String::from_utf8_lossy(raw).trim().to_owned());
                        broken = true;
                    }
                }
            }
            rows.push(Row {
                line,
                fields,
                broken,
            });
        }
        Some(Table {
            file: file.to_owned(),
            columns,
            rows,
        })
    }

    /// The field of `row` in `column`; empty when the file has no such column (optional
    /// columns are simply left out by some exporters).
    pub(crate) fn get<'a>(&self, row: &'a Row, column: &str) -> &'a str {
        self.columns
            .get(column)
            .and_then(|index| row.fields.get(*index))
            .map_or("", String::as_str)
    }

    /// The rows whose every field decoded: what parsers read.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|row| !row.broken)
    }

    /// Every non-blank `sourcedId` with its line, broken rows included: what is defined,
    /// for reference and duplicate checks.
    pub(crate) fn ids(&self) -> impl Iterator<Item = (&str, u64)> {
        self.rows
            .iter()
            .map(|row| (self.get(row, "sourcedId"), row.line))
            .filter(|(id, _)| !id.is_empty())
    }

    /// How many rows there are, for sizing.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }
}

/// The line each record starts on, skipping blank lines as the `csv` reader does; or, as
/// the error, the line of a quoted field that is never closed. Follows RFC 4180: a quote
/// opens a field only at its start; inside, `""` is a literal quote. (`csv` reports a
/// record's position at the end of the previous one, which is off by the blank lines and
/// terminators in between, so lines are counted here.)
fn record_lines(bytes: &[u8]) -> Result<Vec<u64>, u64> {
    let mut starts = Vec::new();
    let mut line = 1u64;
    let mut opened_at = 0u64;
    let mut in_quotes = false;
    let mut field_start = true;
    let mut record_start = true;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let newline = byte == b'\n' || (byte == b'\r' && bytes.get(index + 1) != Some(&b'\n'));
        if in_quotes {
            if byte == b'"' {
                if bytes.get(index + 1) == Some(&b'"') {
                    index += 1;
                } else {
                    in_quotes = false;
                }
            } else if newline {
                line += 1;
            }
        } else if byte == b'\r' || byte == b'\n' {
            if newline {
                line += 1;
            }
            field_start = true;
            record_start = true;
        } else {
            if record_start {
                starts.push(line);
                record_start = false;
            }
            if byte == b',' {
                field_start = true;
                index += 1;
                continue;
            }
            if byte == b'"' && field_start {
                in_quotes = true;
                opened_at = line;
            }
            field_start = false;
        }
        index += 1;
    }
    if in_quotes {
        Err(opened_at)
    } else {
        Ok(starts)
    }
}

/// Splits a OneRoster list field (`"org1,org2"` once unquoted) into its non-empty items.
pub(crate) fn split_list(field: &str) -> Vec<String> {
    field
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8], required: &[&str]) -> (Option<Table>, String) {
        let mut errors = Collector::default();
        let table = Table::parse("t.csv", text, required, &mut errors);
        let shown = errors
            .finish(())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        (table, shown)
    }

    #[test]
    fn bom_quoted_lists_and_line_numbers() {
        let (table, errors) = parse(
            b"\xEF\xBB\xBFid,orgs\r\na,\"o1,o2\"\n\nb,\"multi\nline\"\nc,o3\n",
            &["id"],
        );
        assert_eq!(errors, "");
        let table = table.unwrap();
        let lines: Vec<u64> = table.rows().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 6]);
        assert_eq!(split_list(table.get(&table.rows[0], "orgs")), ["o1", "o2"]);
        assert_eq!(table.get(&table.rows[0], "absent"), "");
    }

    #[test]
    fn problems_name_line_and_column() {
        let (_, errors) = parse(b"id,name\na,b\n", &["id", "other"]);
        assert_eq!(
            errors,
            "t.csv line 1, column other: required column missing from the header"
        );
        let (_, errors) = parse(b"id,name\na,\xFF\nb\nc,d,e\n", &["id"]);
        assert_eq!(
            errors,
            "t.csv line 2, column name: not valid UTF-8 (byte 1 of the field)\n\
             t.csv line 3, column name: 1 fields, but the header has 2\n\
             t.csv line 4: 3 fields, but the header has 2"
        );
        let (_, errors) = parse(b"id,name\na,b\"c\nc,\"open\nd,e\n", &["id"]);
        assert_eq!(
            errors,
            "t.csv line 3: a quoted field starts here and is never closed"
        );
    }
}

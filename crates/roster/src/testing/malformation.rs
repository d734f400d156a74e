//! Ways a bundle goes wrong, each applied to a generated bundle, each with the file and
//! line the refusal must name. Edits target fixed lines of the generated layout (see
//! [`super::generate`]), which every spec with at least two teachers, two classes and one
//! student per class has.

use super::csv_text::CsvText;
use super::zip_writer::{to_zip, write};
use crate::archive::{ARCHIVE, BundleLimits};
use crate::bundle::Bundle;

/// One kind of breakage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformation {
    /// `users.csv` left out although the manifest says bulk.
    MissingUsersFile,
    /// No `manifest.csv`.
    MissingManifest,
    /// `users.csv` has no `username` column.
    MissingRequiredHeader,
    /// A user's role is not a OneRoster role.
    UnknownRole,
    /// `enabledUser` is neither true nor false.
    BadEnabledUser,
    /// A `username` that cannot be a userId.
    InvalidUsername,
    /// Two users with one `username`.
    DuplicateUsername,
    /// Two classes with one `sourcedId`.
    DuplicateSourcedId,
    /// An enrolment in a class that does not exist.
    EnrollmentUnknownClass,
    /// An enrolment of a user who does not exist.
    EnrollmentUnknownUser,
    /// A class in a school that does not exist.
    ClassUnknownOrg,
    /// A class in a term that does not exist.
    ClassUnknownTerm,
    /// A class of a course that does not exist (`courses.csv` is present).
    ClassUnknownCourse,
    /// A user in an org that does not exist.
    UserUnknownOrg,
    /// A user whose agent does not exist.
    AgentUnknownUser,
    /// An impossible `beginDate`.
    BadDate,
    /// An `endDate` before the `beginDate`.
    EndBeforeBegin,
    /// Invalid UTF-8 in a name.
    InvalidUtf8,
    /// A quoted field that never closes.
    UnterminatedQuote,
    /// A row with a field missing.
    WrongColumnCount,
    /// `oneroster.version` neither 1.1 nor 1.2.
    BadManifestVersion,
    /// A manifest file mode that is not bulk, delta or absent.
    BadFileMode,
    /// `academicSessions.csv` marked bulk but left out.
    FileMarkedBulkButMissing,
    /// `demographics.csv` supplied although the manifest marks it absent.
    FileMarkedAbsentButPresent,
    /// `tobedeleted` in a bulk file.
    ToBeDeletedInBulk,
    /// A blank required value (a class title).
    BlankRequiredValue,
    /// An org type OneRoster does not define.
    UnknownOrgType,
    /// A file that inflates past the size limit.
    ZipBomb,
    /// More zip entries than the limit.
    TooManyEntries,
    /// `users.csv` replaced by binary garbage.
    NotCsv,
}

/// Where the refusal must point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// The file named.
    pub file: &'static str,
    /// The line named; `None` for a whole-file problem.
    pub line: Option<u64>,
}

impl Malformation {
    /// Every kind, for tests that go through them all.
    pub const ALL: [Malformation; 30] = [
        Self::MissingUsersFile,
        Self::MissingManifest,
        Self::MissingRequiredHeader,
        Self::UnknownRole,
        Self::BadEnabledUser,
        Self::InvalidUsername,
        Self::DuplicateUsername,
        Self::DuplicateSourcedId,
        Self::EnrollmentUnknownClass,
        Self::EnrollmentUnknownUser,
        Self::ClassUnknownOrg,
        Self::ClassUnknownTerm,
        Self::ClassUnknownCourse,
        Self::UserUnknownOrg,
        Self::AgentUnknownUser,
        Self::BadDate,
        Self::EndBeforeBegin,
        Self::InvalidUtf8,
        Self::UnterminatedQuote,
        Self::WrongColumnCount,
        Self::BadManifestVersion,
        Self::BadFileMode,
        Self::FileMarkedBulkButMissing,
        Self::FileMarkedAbsentButPresent,
        Self::ToBeDeletedInBulk,
        Self::BlankRequiredValue,
        Self::UnknownOrgType,
        Self::ZipBomb,
        Self::TooManyEntries,
        Self::NotCsv,
    ];

    /// The file and line an error must name for this breakage.
    pub fn expected(self) -> Expected {
        let (file, line) = match self {
            Self::MissingUsersFile => ("users.csv", None),
            Self::MissingManifest => ("manifest.csv", None),
            Self::MissingRequiredHeader | Self::NotCsv => ("users.csv", Some(1)),
            Self::AgentUnknownUser => ("users.csv", Some(2)),
            Self::UnknownRole
            | Self::BadEnabledUser
            | Self::InvalidUsername
            | Self::UserUnknownOrg
            | Self::InvalidUtf8
            | Self::ToBeDeletedInBulk => ("users.csv", Some(3)),
            Self::DuplicateUsername => ("users.csv", Some(4)),
            Self::DuplicateSourcedId => ("classes.csv", Some(3)),
            Self::ClassUnknownOrg
            | Self::ClassUnknownTerm
            | Self::ClassUnknownCourse
            | Self::WrongColumnCount
            | Self::BlankRequiredValue => ("classes.csv", Some(2)),
            Self::EnrollmentUnknownClass | Self::BadDate => ("enrollments.csv", Some(2)),
            Self::EnrollmentUnknownUser | Self::EndBeforeBegin => ("enrollments.csv", Some(3)),
            Self::UnterminatedQuote | Self::UnknownOrgType => ("orgs.csv", Some(3)),
            Self::BadManifestVersion => ("manifest.csv", Some(3)),
            Self::BadFileMode => ("manifest.csv", Some(16)),
            Self::FileMarkedAbsentButPresent => ("manifest.csv", Some(10)),
            Self::FileMarkedBulkButMissing => ("academicSessions.csv", None),
            Self::ZipBomb => ("users.csv", None),
            Self::TooManyEntries => (ARCHIVE, None),
        };
        Expected { file, line }
    }

    /// Breaks `bundle` (a generated one) and returns it as the zip an administrator would
    /// upload; read it with [`Bundle::from_zip`] and [`BundleLimits::default`].
    pub fn apply(self, bundle: &Bundle) -> Vec<u8> {
        let mut bundle = bundle.clone();
        let b = &mut bundle;
        match self {
            Self::MissingUsersFile => drop(b.remove("users.csv")),
            Self::MissingManifest => drop(b.remove("manifest.csv")),
            Self::MissingRequiredHeader => set(b, "users.csv", 1, "username", "login"),
            Self::UnknownRole => set(b, "users.csv", 3, "role", "wizard"),
            Self::BadEnabledUser => set(b, "users.csv", 3, "enabledUser", "yes"),
            Self::InvalidUsername => set(b, "users.csv", 3, "username", "terry teacher"),
            Self::DuplicateUsername => {
                let taken = get(b, "users.csv", 3, "username");
                set(b, "users.csv", 4, "username", &taken);
            }
            Self::DuplicateSourcedId => {
                let taken = get(b, "classes.csv", 2, "sourcedId");
                set(b, "classes.csv", 3, "sourcedId", &taken);
            }
            Self::EnrollmentUnknownClass => {
                set(b, "enrollments.csv", 2, "classSourcedId", "class-none")
            }
            Self::EnrollmentUnknownUser => set(b, "enrollments.csv", 3, "userSourcedId", "nobody"),
            Self::ClassUnknownOrg => set(b, "classes.csv", 2, "schoolSourcedId", "school-99"),
            Self::ClassUnknownTerm => set(b, "classes.csv", 2, "termSourcedIds", "term-none"),
            Self::ClassUnknownCourse => set(b, "classes.csv", 2, "courseSourcedId", "course-none"),
            Self::UserUnknownOrg => {
                let orgs = get(b, "users.csv", 3, "orgSourcedIds");
                set(
                    b,
                    "users.csv",
                    3,
                    "orgSourcedIds",
                    &format!("{orgs},school-77"),
                );
            }
            Self::AgentUnknownUser => set(b, "users.csv", 2, "agentSourcedIds", "family-none"),
            Self::BadDate => set(b, "enrollments.csv", 2, "beginDate", "2026-02-30"),
            Self::EndBeforeBegin => set(b, "enrollments.csv", 3, "endDate", "2026-01-01"),
            Self::InvalidUtf8 => raw(b, "users.csv", 3, |line| {
                line.replacen(",Terry", ",T\u{1}", 1)
            }),
            Self::UnterminatedQuote => raw(b, "orgs.csv", 3, |line| {
                line.replacen(",School", ",\"School", 1)
            }),
            Self::WrongColumnCount => raw(b, "classes.csv", 2, |line| {
                line.rsplit_once(',')
                    .map_or_else(|| line.to_owned(), |(rest, _)| rest.to_owned())
            }),
            Self::BadManifestVersion => set(b, "manifest.csv", 3, "value", "1.0.9"),
            Self::BadFileMode => set(b, "manifest.csv", 16, "value", "sometimes"),
            Self::FileMarkedBulkButMissing => drop(b.remove("academicSessions.csv")),
            Self::FileMarkedAbsentButPresent => b.insert(
                "demographics.csv",
                "sourcedId,status,dateLastModified,birthDate\n",
            ),
            Self::ToBeDeletedInBulk => set(b, "users.csv", 3, "status", "tobedeleted"),
            Self::BlankRequiredValue => set(b, "classes.csv", 2, "title", ""),
            Self::UnknownOrgType => set(b, "orgs.csv", 3, "type", "campus"),
            Self::NotCsv => b.insert(
                "users.csv",
                b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe".to_vec(),
            ),
            Self::ZipBomb => {
                let size = BundleLimits::default().max_file_bytes + 1;
                b.insert(
                    "users.csv",
                    vec![b'\n'; usize::try_from(size).unwrap_or(usize::MAX)],
                );
            }
            Self::TooManyEntries => {
                let limit = BundleLimits::default().max_entries;
                let extra: Vec<(String, Vec<u8>)> = (0..=limit)
                    .map(|n| (format!("notes/{n}.txt"), Vec::new()))
                    .collect();
                let files = b
                    .files()
                    .chain(extra.iter().map(|(n, c)| (n.as_str(), c.as_slice())));
                return match write(files) {
                    Ok(bytes) => bytes,
                    Err(error) => panic!("writing a zip into memory failed: {error}"),
                };
            }
        }
        if self == Self::InvalidUtf8 {
            // `raw` works on text; put the invalid byte in place of its marker.
            if let Some(bytes) = b.remove("users.csv") {
                let bytes = bytes
                    .into_iter()
                    .map(|byte| if byte == 1 { 0xFF } else { byte });
                b.insert("users.csv", bytes.collect::<Vec<u8>>());
            }
        }
        to_zip(&bundle)
    }
}

/// The records of a generated file (one record per line there).
fn records(bundle: &Bundle, file: &str) -> Vec<Vec<String>> {
    let bytes = bundle.file(file).unwrap_or_default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    reader
        .records()
        .filter_map(Result::ok)
        .map(|record| record.iter().map(str::to_owned).collect())
        .collect()
}

/// The index of `column` in the header of `file`.
fn column_index(records: &[Vec<String>], column: &str) -> Option<usize> {
    records.first()?.iter().position(|name| name == column)
}

/// The field in `column` on `line` of `file`; empty when there is none.
fn get(bundle: &Bundle, file: &str, line: usize, column: &str) -> String {
    let records = records(bundle, file);
    let index = column_index(&records, column);
    index
        .and_then(|index| records.get(line - 1)?.get(index).cloned())
        .unwrap_or_default()
}

/// Sets the field in `column` on `line` (line 1 renames the column).
fn set(bundle: &mut Bundle, file: &str, line: usize, column: &str, value: &str) {
    let mut records = records(bundle, file);
    let Some(index) = column_index(&records, column) else {
        return;
    };
    if let Some(field) = records
        .get_mut(line - 1)
        .and_then(|record| record.get_mut(index))
    {
        *field = value.to_owned();
    }
    let mut rows = records.iter();
    let header = rows
        .next()
        .map(|header| header.join(","))
        .unwrap_or_default();
    let mut text = CsvText::new(&header);
    for record in rows {
        text.row(&record.iter().map(String::as_str).collect::<Vec<_>>());
    }
    bundle.insert(file, text.into_bytes());
}

/// Rewrites `line` of `file` as text.
fn raw(bundle: &mut Bundle, file: &str, line: usize, edit: impl Fn(&str) -> String) {
    let text = String::from_utf8_lossy(bundle.file(file).unwrap_or_default()).into_owned();
    let lines: Vec<String> = text
        .split('\n')
        .enumerate()
        .map(|(index, text)| {
            if index + 1 == line {
                edit(text)
            } else {
                text.to_owned()
            }
        })
        .collect();
    bundle.insert(file, lines.join("\n"));
}

//! The schemas of safeguarding's inputs: reports, pauses, the moderation queue and the
//! school's edit window and flag rules, from the core's constants.

use super::{ULID_PATTERN, string};
use classchat_core::moderation::flags::{MAX_FLAG_PATTERN_CHARS, MAX_FLAG_WORD_CHARS};
use classchat_core::moderation::{
    MAX_EDIT_WINDOW_MINUTES, MAX_PAUSE_REASON_CHARS, MAX_REPORT_DETAILS_CHARS, ReportReason,
    ReportState,
};
use classchat_core::text::MESSAGE_BODY_PATTERN;
use std::sync::LazyLock;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// The most messages either side of a reported one an admin may ask for.
pub(crate) const MAX_CONTEXT: u32 = classchat_core::service::MAX_CONTEXT as u32;

/// Control characters (`char::is_control`: C0, DEL, C1), as code point ranges.
const CONTROL: [(u32, u32); 2] = [(0x00, 0x1f), (0x7f, 0x9f)];

/// Whitespace that is not a control character (`char::is_whitespace`, what `str::trim`
/// removes, minus [`CONTROL`]), as code point ranges.
const BLANK: [(u32, u32); 8] = [
    (0x20, 0x20),
    (0xa0, 0xa0),
    (0x1680, 0x1680),
    (0x2000, 0x200a),
    (0x2028, 0x2029),
    (0x202f, 0x202f),
    (0x205f, 0x205f),
    (0x3000, 0x3000),
];

/// An ECMA-262 character class body for these ranges (`\uXXXX`, `\uXXXX-\uXXXX`).
fn class(ranges: &[(u32, u32)]) -> String {
    ranges
        .iter()
        .map(|&(low, high)| match low == high {
            true => format!("\\u{low:04x}"),
            false => format!("\\u{low:04x}-\\u{high:04x}"),
        })
        .collect()
}

/// A flag word as the core's rule takes it: no control character at all (tab and line
/// breaks included, unlike a message body), and at least one that is not whitespace.
/// Its length is the schema's `minLength`/`maxLength`.
pub(crate) static FLAG_WORD_PATTERN: LazyLock<String> = LazyLock::new(|| {
    let control = class(&CONTROL);
    let blank = class(&BLANK);
    format!("^[^{control}]*[^{control}{blank}][^{control}]*$")
});

/// A string schema whose values are one of `values`.
fn one_of(description: &str, values: Vec<&'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

/// An integer schema from `minimum` to `maximum`.
fn integer(description: &str, minimum: u32, maximum: u32) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .description(Some(description))
        .minimum(Some(minimum))
        .maximum(Some(maximum))
        .into()
}

schema! {
    /// The id of a report.
    ReportId => string(
        "A report's id: a ULID, 26 characters of Crockford's base32.",
        ULID_PATTERN,
        (26, 26),
        "01JDQ1Z8X4V9P3K2M5N7R8T6W0",
    )
}

schema! {
    /// Why a person reports a message.
    ReportReasonChosen => one_of(
        "What is wrong with the message (`flagged` is the school's word list's, never a \
         person's).",
        ReportReason::CHOSEN.iter().map(|reason| reason.as_str()).collect(),
    )
}

schema! {
    /// Where a report stands, as a filter of the queue.
    ReportStateFilter => one_of(
        "Only reports in this state.",
        ReportState::ALL.iter().map(|state| state.as_str()).collect(),
    )
}

schema! {
    /// Where an admin moves a report: forward only.
    ReportStepState => one_of(
        "`reviewed` (being dealt with), `actioned` or `dismissed` (both close it).",
        ReportState::ALL
            .iter()
            .filter(|state| **state != ReportState::Open)
            .map(|state| state.as_str())
            .collect(),
    )
}

schema! {
    /// A reporter's own words.
    ReportDetails => string(
        "1–1000 characters, not all whitespace, with no control character but tab, line \
         feed and carriage return; stored trimmed.",
        MESSAGE_BODY_PATTERN,
        (1, MAX_REPORT_DETAILS_CHARS),
        "they keep calling me names",
    )
}

schema! {
    /// An admin's note on a step of a report.
    ReportNote => string(
        "1–1000 characters, not all whitespace, with no control character but tab, line \
         feed and carriage return; stored trimmed.",
        MESSAGE_BODY_PATTERN,
        (1, MAX_REPORT_DETAILS_CHARS),
        "spoke to both students",
    )
}

schema! {
    /// What both sides of a paused conversation are told.
    PauseReason => string(
        "1–500 characters, not all whitespace, with no control character but tab, line \
         feed and carriage return; stored trimmed.",
        MESSAGE_BODY_PATTERN,
        (1, MAX_PAUSE_REASON_CHARS),
        "let us talk about this in person tomorrow",
    )
}

schema! {
    /// How many messages either side of a reported one.
    Context => integer(
        "Messages shown before and after the reported one (default 5).",
        0,
        MAX_CONTEXT,
    )
}

schema! {
    /// The school's edit window.
    EditWindowMinutes => integer(
        "Minutes after sending that an author may edit a message (0: never; default 15).",
        0,
        MAX_EDIT_WINDOW_MINUTES,
    )
}

schema! {
    /// A word that flags a message.
    FlagWord => string(
        "1–64 characters, not all whitespace, with no control character; matched as a \
         whole word, ignoring case.",
        &FLAG_WORD_PATTERN,
        (1, MAX_FLAG_WORD_CHARS),
        "idiot",
    )
}

schema! {
    /// A pattern that flags a message.
    FlagPattern => ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(
            "1–200 characters of the `regex` crate's syntax (no look-around or \
             back-references), matched ignoring case; it must compile within the server's \
             size limit, or the change is refused (`422 invalid_request`, naming it).",
        ))
        .min_length(Some(1))
        .max_length(Some(MAX_FLAG_PATTERN_CHARS))
        .examples([serde_json::json!(r"\b\d{3}[- ]?\d{4}\b")])
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn within(ranges: &[(u32, u32)], c: char) -> bool {
        ranges
            .iter()
            .any(|&(low, high)| (low..=high).contains(&u32::from(c)))
    }

    /// The pattern is `^[^C]*[^C∪B][^C]*$`: it says "no control character, and one that
    /// is not whitespace" exactly when its classes are those sets, checked here for every
    /// code point.
    #[test]
    fn the_flag_word_classes_are_the_rules_sets() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            assert_eq!(within(&CONTROL, c), c.is_control(), "{c:?}");
            assert_eq!(
                within(&CONTROL, c) || within(&BLANK, c),
                c.is_control() || c.is_whitespace(),
                "{c:?}"
            );
        }
        assert_eq!(
            FLAG_WORD_PATTERN.as_str(),
            "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u001f\\u007f-\\u009f\\u0020\\u00a0\
             \\u1680\\u2000-\\u200a\\u2028-\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\
             \\u007f-\\u009f]*$"
        );
    }

    #[test]
    fn the_flag_word_rule_is_the_cores() {
        use classchat_core::moderation::FlagRules;
        let accepted = |word: &str| FlagRules::compile(&[word.to_owned()], &[]).is_ok();
        for (word, ok) in [
            ("idiot", true),
            (" idiot ", true),
            ("kill myself", true),
            ("\u{a0}x", true),
            (" ", false),
            ("\u{3000}", false),
            ("a\tb", false),
            ("a\u{85}b", false),
            ("", false),
        ] {
            assert_eq!(accepted(word), ok, "{word:?}");
        }
        assert!(accepted(&"x".repeat(MAX_FLAG_WORD_CHARS)));
        assert!(!accepted(&"x".repeat(MAX_FLAG_WORD_CHARS + 1)));
    }
}

//! Which characters people's text may contain: display names and message bodies.
//!
//! A name is shown next to other text everywhere (lists, headers, the audit log), so it may
//! hold no control character and nothing invisible that reorders or hides text: a bidi
//! control (an RLO turns `Ms Smith` into a spoof) or a zero-width character (two names
//! that look identical). A message body is shown on its own, bidi-isolated by the client,
//! so bidi and zero-width characters stay (they have real uses in right-to-left scripts
//! and emoji sequences); only control characters other than tab and line breaks go.
//!
//! Each rule has an ECMA-262 pattern beside it, for the OpenAPI document; the tests check
//! that rule and pattern agree.

use crate::error::{ChatError, ErrorCode};

/// Invisible characters that reorder or hide text: the Arabic letter mark (U+061C), zero
/// width space, non-joiner and joiner (U+200B–U+200D), the left-to-right and right-to-left
/// marks (U+200E, U+200F), the line and paragraph separators (U+2028, U+2029: a name is one
/// line), the bidi embeddings and overrides (U+202A–U+202E), the word joiner (U+2060), the
/// bidi isolates (U+2066–U+2069) and the zero width no-break space (U+FEFF).
const INVISIBLE: [(char, char); 6] = [
    ('\u{061C}', '\u{061C}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{2028}', '\u{202E}'),
    ('\u{2060}', '\u{2060}'),
    ('\u{2066}', '\u{2069}'),
    ('\u{FEFF}', '\u{FEFF}'),
];

/// Whether a display name may not contain `c`: any control character (C0, DEL, C1) or an
/// [`INVISIBLE`] one.
pub(crate) fn forbidden_in_name(c: char) -> bool {
    c.is_control()
        || INVISIBLE
            .iter()
            .any(|&(low, high)| (low..=high).contains(&c))
}

/// Whether a message body as sent may not contain `c`: a control character other than tab,
/// line feed and carriage return (line breaks are normalised to `\n` afterwards).
pub(crate) fn forbidden_in_body(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Free text written for others to read beside a message (a report's details, a pause's
/// reason): the message body's rule with its own length limit, `field` naming it in the
/// error. Trimmed, line breaks normalised; the schema states it as
/// [`MESSAGE_BODY_PATTERN`] with `maxLength`.
pub(crate) fn bounded_text(raw: &str, max_chars: usize, field: &str) -> Result<String, ChatError> {
    let invalid = |message: String| ChatError::validation(ErrorCode::InvalidRequest, message);
    if raw.trim().is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    let length = raw.chars().count();
    if length > max_chars {
        return Err(invalid(format!(
            "{field} is {length} characters; the limit is {max_chars}"
        )));
    }
    if raw.chars().any(forbidden_in_body) {
        return Err(invalid(format!(
            "{field} must not contain control characters other than tab and line breaks"
        )));
    }
    let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
    Ok(normalised.trim().to_owned())
}

/// Display names as ECMA-262: no forbidden character, and at least one that is not
/// whitespace (Unicode `White_Space`, what `str::trim` removes). The length (1–100
/// characters) is the schema's `minLength`/`maxLength`.
pub const DISPLAY_NAME_PATTERN: &str = concat!(
    "^[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060\\u2066-\\u2069\\ufeff]*",
    "[^\\x00-\\x20\\x7f-\\xa0\\u061c\\u1680\\u2000-\\u200f\\u2028-\\u202f\\u205f\\u2060\\u2066-\\u2069\\u3000\\ufeff]",
    "[^\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200b-\\u200f\\u2028-\\u202e\\u2060\\u2066-\\u2069\\ufeff]*$",
);

/// Message bodies as ECMA-262: no control character but tab, line feed and carriage
/// return, and at least one character that is not whitespace. The length (1–4000
/// characters) is the schema's `minLength`/`maxLength`.
pub const MESSAGE_BODY_PATTERN: &str = concat!(
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*",
    "[^\\x00-\\x20\\x7f-\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
    "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$",
);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Characters worth checking a rule and its pattern against: every control and
    /// whitespace character, every invisible one and its neighbours, and ordinary text.
    pub(crate) fn interesting_chars() -> Vec<char> {
        let mut chars: Vec<char> = ('\u{0}'..='\u{ff}').collect();
        chars.extend(
            [
                '\u{034F}',
                '\u{061B}',
                '\u{061C}',
                '\u{061D}',
                '\u{1680}',
                '\u{180E}',
                '\u{2000}',
                '\u{200A}',
                '\u{200B}',
                '\u{200C}',
                '\u{200D}',
                '\u{200E}',
                '\u{200F}',
                '\u{2010}',
                '\u{2027}',
                '\u{2028}',
                '\u{2029}',
                '\u{202A}',
                '\u{202E}',
                '\u{202F}',
                '\u{205F}',
                '\u{2060}',
                '\u{2061}',
                '\u{2065}',
                '\u{2066}',
                '\u{2069}',
                '\u{206A}',
                '\u{3000}',
                '\u{FEFE}',
                '\u{FEFF}',
                '\u{FFFD}',
                'é',
                'ß',
                'א',
                'ع',
                '中',
                '😀',
                '\u{1F3FB}',
                '\u{E0041}',
            ]
            .iter()
            .copied(),
        );
        chars
    }

    /// Strings of one to three interesting characters, with and without text around them.
    pub(crate) fn samples() -> Vec<String> {
        let chars = interesting_chars();
        let mut samples = vec![String::new()];
        for &a in &chars {
            for pattern in ["{}", "a{}", "{}a", "a{}b", "{}{}", " {} "] {
                samples.push(pattern.replace("{}", &a.to_string()));
            }
        }
        for &a in chars.iter().step_by(7) {
            for &b in chars.iter().step_by(5) {
                samples.push(format!("{a}{b}"));
                samples.push(format!("{a}x{b}"));
            }
        }
        samples
    }

    fn matches(pattern: &str, text: &str) -> bool {
        regex_lite::Regex::new(pattern)
            .expect("the pattern compiles")
            .is_match(text)
    }

    #[test]
    fn the_name_pattern_says_what_the_name_rule_says() {
        for text in samples() {
            let rule = !text.chars().any(forbidden_in_name) && !text.trim().is_empty();
            assert_eq!(matches(DISPLAY_NAME_PATTERN, &text), rule, "{text:?}");
        }
    }

    #[test]
    fn the_body_pattern_says_what_the_body_rule_says() {
        for text in samples() {
            let rule = !text.chars().any(forbidden_in_body) && !text.trim().is_empty();
            assert_eq!(matches(MESSAGE_BODY_PATTERN, &text), rule, "{text:?}");
        }
    }

    #[test]
    fn names_refuse_controls_bidi_and_zero_width_characters() {
        for c in [
            '\u{0}', '\u{7}', '\n', '\u{7F}', '\u{85}', '\u{9F}', '\u{061C}', '\u{200B}',
            '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}',
            '\u{202D}', '\u{202E}', '\u{2060}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{FEFF}',
        ] {
            assert!(forbidden_in_name(c), "{c:?}");
        }
        for c in ['a', ' ', 'é', 'א', '😀', '\u{2010}', '\u{202F}'] {
            assert!(!forbidden_in_name(c), "{c:?}");
        }
    }

    #[test]
    fn bodies_keep_line_breaks_tabs_bidi_and_zero_width_characters() {
        for c in [
            '\t', '\n', '\r', '\u{202E}', '\u{200D}', '\u{FEFF}', '\u{2028}',
        ] {
            assert!(!forbidden_in_body(c), "{c:?}");
        }
        for c in [
            '\u{0}', '\u{8}', '\u{B}', '\u{C}', '\u{1B}', '\u{7F}', '\u{85}',
        ] {
            assert!(forbidden_in_body(c), "{c:?}");
        }
    }
}

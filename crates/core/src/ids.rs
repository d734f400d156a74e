//! Validated identifiers. A value of these types is always well-formed, so code holding one
//! never re-checks it.

use crate::error::{ChatError, ErrorCode};
use std::fmt;

/// Longest accepted userId, in characters.
pub const MAX_USER_ID_LEN: usize = 128;
/// Longest accepted clientMessageId, in characters.
pub const MAX_CLIENT_MESSAGE_ID_LEN: usize = 64;

/// A userId as ECMA-262, for the OpenAPI document.
pub const USER_ID_PATTERN: &str = "^[A-Za-z0-9._@-]{1,128}$";

/// A clientMessageId as ECMA-262 (no control character); the length (1–64 characters) is
/// the schema's `minLength`/`maxLength`.
pub const CLIENT_MESSAGE_ID_PATTERN: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";

/// A user's id: 1–128 characters of `[A-Za-z0-9._@-]`. UUIDs, e-mail addresses and short
/// school ids all fit; `+` and spaces never do, which is what lets a conversationId join two
/// of them with `+` (or a space, when a query string decoded the `+`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(String);

impl UserId {
    /// Validates `raw` as a userId.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
        if raw.is_empty() || raw.len() > MAX_USER_ID_LEN || !raw.chars().all(valid_char) {
            return Err(ChatError::invalid(
                ErrorCode::InvalidUserId,
                format!(
                    "a userId is 1–{MAX_USER_ID_LEN} characters of letters, digits, '.', '_', '@' or '-'"
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The server-assigned id of a message: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(ulid::Ulid);

impl MessageId {
    /// A fresh id.
    pub fn generate() -> Self {
        Self(ulid::Ulid::new())
    }

    /// Parses the 26-character Crockford base32 form, as stored.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        ulid::Ulid::from_string(raw)
            .map(Self)
            .map_err(|_| ChatError::invalid(ErrorCode::InvalidRequest, "a messageId is a ULID"))
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An id the client picks for a message so that a retry after a lost reply returns the
/// stored message instead of storing it twice. Unique per author; 1–64 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientMessageId(String);

impl ClientMessageId {
    /// Validates `raw` as a clientMessageId.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let length = raw.chars().count();
        if length == 0 || length > MAX_CLIENT_MESSAGE_ID_LEN || raw.chars().any(char::is_control) {
            return Err(ChatError::invalid(
                ErrorCode::InvalidClientMessageId,
                format!(
                    "a clientMessageId is 1–{MAX_CLIENT_MESSAGE_ID_LEN} characters without control characters"
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_accept_uuids_emails_and_short_ids() {
        for raw in [
            "abc",
            "123",
            "a.b_c-d@school.example",
            "0b9c6f1e-3a4d-4c1e-9f7a-2b8e5d6c7a10",
        ] {
            assert_eq!(
                UserId::parse(raw).map(|id| id.to_string()),
                Ok(raw.to_owned())
            );
        }
        assert!(UserId::parse(&"x".repeat(MAX_USER_ID_LEN)).is_ok());
    }

    #[test]
    fn user_ids_reject_empty_long_and_foreign_characters() {
        for raw in ["", "a+b", "a b", "é", "a/b", "a\n", "<script>"] {
            let err = UserId::parse(raw).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidUserId, "{raw:?}");
        }
        assert!(UserId::parse(&"x".repeat(MAX_USER_ID_LEN + 1)).is_err());
    }

    #[test]
    fn user_ids_are_ascii_so_no_control_bidi_or_zero_width_character_gets_in() {
        for c in crate::text::tests::interesting_chars() {
            let raw = format!("ab{c}cd");
            let allowed = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
            assert_eq!(UserId::parse(&raw).is_ok(), allowed, "{raw:?}");
            assert_eq!(matches(USER_ID_PATTERN, &raw), allowed, "{raw:?}");
        }
        for raw in [
            "\u{0}",
            "s1\u{0}",
            "\u{202E}s1",
            "s\u{200B}1",
            "s1\u{FEFF}",
            "s1\u{2066}",
        ] {
            assert_eq!(
                UserId::parse(raw).unwrap_err().code(),
                ErrorCode::InvalidUserId,
                "{raw:?}"
            );
        }
        assert!(matches(USER_ID_PATTERN, &"x".repeat(MAX_USER_ID_LEN)));
        assert!(!matches(USER_ID_PATTERN, &"x".repeat(MAX_USER_ID_LEN + 1)));
        assert!(!matches(USER_ID_PATTERN, ""));
    }

    #[test]
    fn the_client_message_id_pattern_says_what_the_rule_says() {
        for text in crate::text::tests::samples() {
            let length = text.chars().count();
            let rule = ClientMessageId::parse(&text).is_ok();
            let pattern = matches(CLIENT_MESSAGE_ID_PATTERN, &text)
                && (1..=MAX_CLIENT_MESSAGE_ID_LEN).contains(&length);
            assert_eq!(pattern, rule, "{text:?}");
        }
    }

    fn matches(pattern: &str, text: &str) -> bool {
        regex_lite::Regex::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn message_ids_round_trip_and_sort_by_time() {
        let first = MessageId::generate();
        let parsed = MessageId::parse(&first.to_string()).unwrap();
        assert_eq!(first, parsed);
        assert_eq!(first.to_string().len(), 26);
        assert!(MessageId::parse("not-a-ulid").is_err());
        // Ids made a millisecond apart sort by time, as numbers and as text.
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = MessageId::generate();
        assert!(first < later);
        assert!(first.to_string() < later.to_string());
    }

    #[test]
    fn client_message_ids_are_bounded_and_printable() {
        assert!(ClientMessageId::parse("c-1").is_ok());
        assert!(ClientMessageId::parse(&"é".repeat(64)).is_ok());
        assert!(ClientMessageId::parse(&"é".repeat(65)).is_err());
        assert!(ClientMessageId::parse("").is_err());
        assert!(ClientMessageId::parse("a\u{0}b").is_err());
    }
}

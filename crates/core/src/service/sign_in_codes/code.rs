//! What a sign-in code is: its symbols, how it is printed and typed back, and how it is
//! stored in place of a password hash.

use crate::error::ChatError;
use crate::time::Timestamp;
use rand::RngCore;

/// The symbols of a code: capital letters and digits without the ones that are misread
/// for each other (0 and O, 1 and I; no lower case, so no l). 32 symbols, so a random
/// byte's low five bits pick one without bias.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Symbols per code: 12 × 5 bits = 60 bits, far beyond what the sign-in limits let
/// anyone guess within a code's life.
const CODE_SYMBOLS: usize = 12;
/// Symbols between dashes in the printed form (`ABCD-EFGH-JKMN`), to read aloud.
const GROUP: usize = 4;
/// The longest way of typing a code accepted, in bytes (spaces and dashes included):
/// more is not a code, and not worth scanning.
pub const MAX_TYPED_CODE_LEN: usize = 48;
/// What a typed code may look like, as the OpenAPI document states it (with
/// [`MAX_TYPED_CODE_LEN`]): the twelve symbols in either case, spaces and dashes anywhere.
/// A lower-case `l` is an `L` (an `I` and an `O` are never in a code).
pub const SIGN_IN_CODE_PATTERN: &str = "^[ -]*(?:[A-HJ-NP-Za-hj-np-z2-9][ -]*){12}$";
/// The marker that opens a stored code.
const CODE_PREFIX: &str = "code$";

/// A code as stored in `UserRecord::password_hash`, in place of a password's hash:
///
/// ```text
/// code$<expiresAtMicros>$<PHC string of the argon2id hash of the code>
/// ```
///
/// e.g. `code$1773046800000000$$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
/// `expiresAtMicros` is the expiry in microseconds since the Unix epoch, in decimal (what
/// [`Timestamp::as_micros`] gives); the code hashed is its twelve symbols, upper case,
/// without dashes. A PHC string starts with `$` and an account without a password has
/// the empty string, so the marker can never be mistaken for either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StoredCode<'a> {
    /// The first instant the code no longer works.
    pub(super) expires_at: Timestamp,
    /// The PHC hash of the code.
    pub(super) hash: &'a str,
}

impl<'a> StoredCode<'a> {
    /// The code in `stored`, if it holds one (and not a password's hash, or nothing).
    pub(super) fn parse(stored: &'a str) -> Option<Self> {
        let (expires_at, hash) = stored.strip_prefix(CODE_PREFIX)?.split_once('$')?;
        let expires_at = Timestamp::from_micros(expires_at.parse().ok()?)?;
        Some(Self { expires_at, hash })
    }

    /// The stored form.
    pub(super) fn format(&self) -> String {
        format!("{CODE_PREFIX}{}${}", self.expires_at.as_micros(), self.hash)
    }
}

/// Whether `stored` is a password's hash a sign-in may be checked against: not the empty
/// string of an account that never had a password, nor a sign-in code.
pub(in crate::service) fn is_password_hash(stored: &str) -> bool {
    !stored.is_empty() && !stored.starts_with(CODE_PREFIX)
}

/// Whether an account with this stored hash still waits for its user to choose a
/// password and holds no code that could let them: no password, or only a code that has
/// expired by `now`.
pub(super) fn awaits_password(stored: &str, now: Timestamp) -> bool {
    stored.is_empty() || StoredCode::parse(stored).is_some_and(|code| code.expires_at <= now)
}

/// A fresh code's twelve symbols, from the operating system's generator.
pub(super) fn new_code() -> Result<String, ChatError> {
    let mut bytes = [0u8; CODE_SYMBOLS];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|error| {
            ChatError::Internal(format!("no randomness for a sign-in code: {error}"))
        })?;
    Ok(bytes
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(byte & 31)]))
        .collect())
}

/// `ABCDEFGHJKMN` as `ABCD-EFGH-JKMN`.
pub(super) fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(GROUP)
        .map(|group| String::from_utf8_lossy(group))
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed code as it was hashed: its symbols, upper case, without spaces or dashes;
/// `None` unless it is twelve symbols of [`ALPHABET`] in either case with spaces and
/// dashes anywhere, in at most [`MAX_TYPED_CODE_LEN`] bytes (exactly what
/// [`SIGN_IN_CODE_PATTERN`] matches within that length).
pub(super) fn canonical(typed: &str) -> Option<String> {
    if typed.len() > MAX_TYPED_CODE_LEN {
        return None;
    }
    let symbols: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (symbols.len() == CODE_SYMBOLS && symbols.bytes().all(|b| ALPHABET.contains(&b)))
        .then_some(symbols)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_unambiguous_symbols_in_groups_of_four() {
        let code = grouped(&new_code().unwrap());
        assert_eq!(code.len(), 14, "{code}");
        let groups: Vec<_> = code.split('-').collect();
        assert_eq!(groups.len(), 3, "{code}");
        for symbol in code.chars().filter(|c| *c != '-') {
            assert!(ALPHABET.contains(&(symbol as u8)), "{code}");
            assert!(!"0O1lI".contains(symbol), "{code}");
        }
        assert_ne!(new_code().unwrap(), new_code().unwrap());
    }

    #[test]
    fn a_typed_code_ignores_case_spaces_and_dashes_and_nothing_else() {
        assert_eq!(canonical("ABCD-EFGH-JKMN").as_deref(), Some("ABCDEFGHJKMN"));
        assert_eq!(
            canonical(" abcd efgh-jkmn ").as_deref(),
            Some("ABCDEFGHJKMN")
        );
        assert_eq!(canonical("llll-2222-zzzz").as_deref(), Some("LLLL2222ZZZZ"));
        for wrong in [
            "",
            "ABCD-EFGH-JKM",
            "ABCD-EFGH-JKMNP",
            "ABCD-EFGH-JKM0",
            "ABCD-EFGH-JKMO",
            "ABCD-EFGH-JKMi",
            "ABCD-EFGH-JKMÑ",
            "ABCD\tEFGH-JKMN",
        ] {
            assert_eq!(canonical(wrong), None, "{wrong}");
        }
        assert_eq!(canonical(&"A".repeat(1000)), None);
    }

    #[test]
    fn the_stated_pattern_accepts_exactly_the_codes_the_rule_does() {
        let pattern = regex_lite::Regex::new(SIGN_IN_CODE_PATTERN).unwrap();
        let code = grouped(&new_code().unwrap());
        let mut typed = vec![
            code.clone(),
            code.to_lowercase(),
            code.replace('-', ""),
            code.replace('-', " "),
            format!("  {code} - "),
            format!("{code}A"),
            code[1..].to_owned(),
            format!("{}\t", code),
            String::new(),
            " ".repeat(12),
            format!("{}{code}", " ".repeat(MAX_TYPED_CODE_LEN - code.len())),
            format!("{}{code}", " ".repeat(MAX_TYPED_CODE_LEN - code.len() + 1)),
        ];
        for symbol in (0u8..=127).map(char::from) {
            typed.push(format!("{symbol}{}", &code[1..]));
        }
        for text in typed {
            let by_pattern = text.len() <= MAX_TYPED_CODE_LEN && pattern.is_match(&text);
            assert_eq!(canonical(&text).is_some(), by_pattern, "{text:?}");
        }
    }

    #[test]
    fn a_stored_code_round_trips_and_is_never_a_password_hash() {
        let expires_at = Timestamp::from_micros(1_773_046_800_000_000).unwrap();
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
        let stored = StoredCode {
            expires_at,
            hash: phc,
        }
        .format();
        assert_eq!(stored, format!("code$1773046800000000${phc}"));
        assert_eq!(
            StoredCode::parse(&stored),
            Some(StoredCode {
                expires_at,
                hash: phc
            })
        );
        assert!(!is_password_hash(&stored));
        assert!(!is_password_hash(""));
        assert!(is_password_hash(phc));
        for other in [phc, "", "code$", "code$soon$x", "code$1"] {
            assert_eq!(StoredCode::parse(other), None, "{other}");
        }
    }

    #[test]
    fn an_account_awaits_a_password_while_it_has_none_or_only_an_expired_code() {
        let now = Timestamp::from_micros(1_000).unwrap();
        let code = |micros| {
            StoredCode {
                expires_at: Timestamp::from_micros(micros).unwrap(),
                hash: "$h",
            }
            .format()
        };
        assert!(awaits_password("", now));
        assert!(awaits_password(&code(1_000), now));
        assert!(!awaits_password(&code(1_001), now));
        assert!(!awaits_password(
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            now
        ));
    }
}

//! People: roles, profiles, and the password rules.

use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use crate::text;
use std::fmt;
use std::str::FromStr;

/// Longest accepted display name, in characters.
pub const MAX_DISPLAY_NAME_LEN: usize = 100;
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted new password, in characters (a count, not bytes, so that the OpenAPI
/// document can state it as `maxLength`).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Longest password a login attempt may carry, in bytes: bounds the hashing work one
/// request can cause, and is the most [`MAX_PASSWORD_LEN`] characters take in UTF-8, so
/// every password ever accepted can be typed at login.
pub const MAX_PASSWORD_ATTEMPT_BYTES: usize = 4 * MAX_PASSWORD_LEN;

/// What a user is in the school, which decides everything they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Chats with the teachers they are linked to.
    Student,
    /// Chats with the students they are linked to, and with those students' guardians.
    Teacher,
    /// A parent or carer, linked to one or more students: chats with their children's
    /// teachers, and reads their children's conversations only when the school allows it.
    Guardian,
    /// Manages users and links; reads any conversation (audited), never sends.
    Admin,
}

impl Role {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Student => "student",
            Self::Teacher => "teacher",
            Self::Guardian => "guardian",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = ChatError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "student" => Ok(Self::Student),
            "teacher" => Ok(Self::Teacher),
            "guardian" => Ok(Self::Guardian),
            "admin" => Ok(Self::Admin),
            _ => Err(ChatError::invalid(
                ErrorCode::InvalidRole,
                "a role is one of student, teacher, guardian, admin",
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name shown to other people: 1–100 characters as given, not all whitespace, with no
/// control, bidi or zero-width character (see [`crate::text`]); kept trimmed.
///
/// The length is counted before trimming, so the rule is one a JSON Schema can state
/// ([`crate::text::DISPLAY_NAME_PATTERN`] with `maxLength`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    /// Validates and trims a display name.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let length = raw.chars().count();
        let trimmed = raw.trim();
        if trimmed.is_empty()
            || length > MAX_DISPLAY_NAME_LEN
            || raw.chars().any(text::forbidden_in_name)
        {
            return Err(ChatError::validation(
                ErrorCode::InvalidDisplayName,
                format!(
                    "a display name is 1–{MAX_DISPLAY_NAME_LEN} characters, not only spaces, \
                     without control, bidi or zero-width characters"
                ),
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user as everyone but the login code sees them: no password material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Their id.
    pub id: UserId,
    /// Their name as shown to others.
    pub display_name: DisplayName,
    /// Their role.
    pub role: Role,
    /// A disabled user can neither log in nor use a token issued earlier.
    pub disabled: bool,
}

/// A user as stored: the profile plus the argon2id hash of their password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The public profile.
    pub user: User,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// The generation of the user's tokens: a token carries the version it was issued at
    /// and is void once this moves past it (disable, role change, password change,
    /// sign-out).
    pub token_version: u64,
}

/// A plaintext password on its way to being hashed or verified. Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks a new password against the length rules.
    pub fn new(raw: &str) -> Result<Self, ChatError> {
        let length = raw.chars().count();
        if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&length) {
            return Err(ChatError::validation(
                ErrorCode::InvalidPassword,
                format!("a password is {MIN_PASSWORD_LEN}–{MAX_PASSWORD_LEN} characters"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Wraps a login attempt without checking the rules (old passwords may predate them),
    /// but still bounded so a huge input cannot make hashing expensive.
    pub fn attempt(raw: &str) -> Result<Self, ChatError> {
        if raw.len() > MAX_PASSWORD_ATTEMPT_BYTES {
            return Err(ChatError::Unauthorized {
                code: ErrorCode::InvalidCredentials,
                message: "wrong userId or password".into(),
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password's bytes, for the hashing threads.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A user with the display name of their id, for the unit tests of every module.
#[cfg(test)]
pub(crate) fn test_user(id: &str, role: Role) -> User {
    User {
        id: UserId::parse(id).expect("a valid test id"),
        display_name: DisplayName::parse(id).expect("a valid test name"),
        role,
        disabled: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_reject_unknown() {
        for role in [Role::Student, Role::Teacher, Role::Guardian, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert_eq!(
            "Teacher".parse::<Role>().unwrap_err().code(),
            ErrorCode::InvalidRole
        );
        assert!("".parse::<Role>().is_err());
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Ms Smith ").unwrap().as_str(),
            "Ms Smith"
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"é".repeat(MAX_DISPLAY_NAME_LEN)).is_ok());
        assert!(DisplayName::parse(&"é".repeat(MAX_DISPLAY_NAME_LEN + 1)).is_err());
        assert!(DisplayName::parse("a\u{7}b").is_err());
        // The length counts what was sent, surrounding spaces included.
        let padded = format!(" {} ", "é".repeat(MAX_DISPLAY_NAME_LEN - 2));
        assert_eq!(
            DisplayName::parse(&padded)
                .unwrap()
                .as_str()
                .chars()
                .count(),
            98
        );
        assert!(
            DisplayName::parse(&format!(" {} ", "é".repeat(MAX_DISPLAY_NAME_LEN - 1))).is_err()
        );
    }

    #[test]
    fn display_names_refuse_nul_controls_bidi_and_zero_width_characters() {
        for spoof in [
            "Ms\u{0}Smith",
            "Ms\u{1B}Smith",
            "Ms\u{7F}Smith",
            "Ms\u{85}Smith",
            "\u{202E}htimS sM",
            "Ms \u{2066}Smith\u{2069}",
            "Ms\u{200B}Smith",
            "Ms\u{200D}Smith",
            "Ms\u{2060}Smith",
            "\u{FEFF}Ms Smith",
            "Ms\u{061C}Smith",
            "Ms\u{200E}Smith",
        ] {
            assert_eq!(
                DisplayName::parse(spoof).unwrap_err().code(),
                ErrorCode::InvalidDisplayName,
                "{spoof:?}"
            );
        }
        for fine in ["Zoë Ångström", "מרים כהן", "Ms O'Brien-Smith", "李老师"] {
            assert_eq!(DisplayName::parse(fine).unwrap().as_str(), fine);
        }
    }

    #[test]
    fn passwords_never_print() {
        let password = Password::new("correct horse").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn password_rules_bound_length() {
        assert_eq!(
            Password::new("short").unwrap_err().code(),
            ErrorCode::InvalidPassword
        );
        assert!(Password::new(&"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
        // Characters are counted, not bytes, and a login can always carry a valid password.
        let longest = "😀".repeat(MAX_PASSWORD_LEN);
        assert!(Password::new(&longest).is_ok());
        assert!(Password::attempt(&longest).is_ok());
        assert!(Password::attempt(&"x".repeat(MAX_PASSWORD_ATTEMPT_BYTES + 1)).is_err());
    }
}

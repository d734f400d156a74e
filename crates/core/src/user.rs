//! People: roles, profiles, and the password rules.

use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use std::fmt;
use std::str::FromStr;

/// Longest accepted display name, in characters.
pub const MAX_DISPLAY_NAME_LEN: usize = 100;
/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted password, in bytes; bounds the hashing work one request can cause.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// What a user is in the school, which decides everything they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Chats with the teachers they are linked to.
    Student,
    /// Chats with the students they are linked to.
    Teacher,
    /// Manages users and links; reads any conversation (audited), never sends.
    Admin,
}

impl Role {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Student => "student",
            Self::Teacher => "teacher",
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
            "admin" => Ok(Self::Admin),
            _ => Err(ChatError::invalid(
                ErrorCode::InvalidRole,
                "a role is one of student, teacher, admin",
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name shown to other people: 1–100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and validates a display name.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let trimmed = raw.trim();
        let length = trimmed.chars().count();
        if length == 0 || length > MAX_DISPLAY_NAME_LEN || trimmed.chars().any(char::is_control) {
            return Err(ChatError::validation(
                ErrorCode::InvalidDisplayName,
                format!(
                    "a display name is 1–{MAX_DISPLAY_NAME_LEN} characters without control characters"
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
        if raw.chars().count() < MIN_PASSWORD_LEN || raw.len() > MAX_PASSWORD_BYTES {
            return Err(ChatError::validation(
                ErrorCode::InvalidPassword,
                format!(
                    "a password is at least {MIN_PASSWORD_LEN} characters and at most {MAX_PASSWORD_BYTES} bytes"
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Wraps a login attempt without checking the rules (old passwords may predate them),
    /// but still bounded so a huge input cannot make hashing expensive.
    pub fn attempt(raw: &str) -> Result<Self, ChatError> {
        if raw.len() > MAX_PASSWORD_BYTES {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_reject_unknown() {
        for role in [Role::Student, Role::Teacher, Role::Admin] {
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
        assert!(Password::new(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(Password::attempt(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }
}

//! Email addresses, for digests: checked for shape only (the mail server decides the
//! rest), and the signed token of an unsubscribe link that works without signing in.

use crate::error::{ChatError, ErrorCode};
use crate::ids::UserId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// The longest address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// What the OpenAPI document states: one `@` between a local part and a domain with a
/// dot, no whitespace, control characters or angle brackets.
pub const EMAIL_PATTERN: &str =
    "^[^@\\x00-\\x20\\x7f<>,;]+@[^@\\x00-\\x20\\x7f<>,;]+\\.[^@\\x00-\\x20\\x7f<>,;.]+$";

/// A validated email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks the shape: exactly [`EMAIL_PATTERN`], at most [`MAX_EMAIL_LEN`] characters.
    pub fn parse(raw: &str) -> Result<Self, ChatError> {
        let invalid = || {
            ChatError::validation(
                ErrorCode::InvalidRequest,
                format!(
                    "an email address is name@domain.example, at most {MAX_EMAIL_LEN} characters"
                ),
            )
        };
        let forbidden = |c: char| c <= ' ' || c == '\x7f' || "<>,;@".contains(c);
        let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
        let (host, top) = domain.rsplit_once('.').ok_or_else(invalid)?;
        let fine = |part: &str| !part.is_empty() && !part.chars().any(forbidden);
        if raw.chars().count() > MAX_EMAIL_LEN || !fine(local) || !fine(host) || !fine(top) {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The token of `user`'s unsubscribe link: their id and an HMAC-SHA256 of it under the
/// server's secret, so the link works without signing in and cannot be made for anyone
/// else. It does not expire: an old digest's link must still work.
pub fn unsubscribe_token(secret: &[u8], user: &UserId) -> String {
    let id = URL_SAFE_NO_PAD.encode(user.as_str());
    format!(
        "{id}.{}",
        URL_SAFE_NO_PAD.encode(tag(secret, user.as_str()))
    )
}

/// The user an unsubscribe token was made for, if it is genuine.
pub fn verify_unsubscribe_token(secret: &[u8], token: &str) -> Option<UserId> {
    let (id, signature) = token.split_once('.')?;
    let id = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(b"classchat-unsubscribe:");
    mac.update(id.as_bytes());
    mac.verify_slice(&signature).ok()?;
    UserId::parse(&id).ok()
}

fn tag(secret: &[u8], id: &str) -> Vec<u8> {
    // A key of any length is accepted by HMAC; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return Vec::new();
    };
    mac.update(b"classchat-unsubscribe:");
    mac.update(id.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_the_pattern_agree() {
        let pattern = regex_lite::Regex::new(EMAIL_PATTERN).unwrap();
        for raw in [
            "ms.rivera@school.example",
            "a+b@x.io",
            "no-at.example",
            "two@@x.io",
            "a@b",
            "a@b.",
            "@b.io",
            "a b@c.io",
            "a@b.c.d",
            "<a@b.io>",
            "a@b..io",
            "é@école.fr",
        ] {
            assert_eq!(
                pattern.is_match(raw),
                EmailAddress::parse(raw).is_ok(),
                "{raw}"
            );
        }
        assert!(EmailAddress::parse(&format!("{}@x.io", "a".repeat(250))).is_err());
    }

    #[test]
    fn an_unsubscribe_token_names_its_user_and_only_under_its_secret() {
        let user = UserId::parse("alice").unwrap();
        let token = unsubscribe_token(b"secret one", &user);
        assert_eq!(verify_unsubscribe_token(b"secret one", &token), Some(user));
        assert_eq!(verify_unsubscribe_token(b"secret two", &token), None);
        let forged = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode("bob"),
            token.split_once('.').unwrap().1
        );
        assert_eq!(verify_unsubscribe_token(b"secret one", &forged), None);
        assert_eq!(verify_unsubscribe_token(b"secret one", "garbage"), None);
    }
}

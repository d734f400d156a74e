//! The token signing secret, read from AWS Secrets Manager.
//!
//! The functions' environment holds only the secret's ARN (`CLASSCHAT_JWT_SECRET_ARN`):
//! an environment value is shown to anyone who may read the function's configuration,
//! while reading the secret needs `secretsmanager:GetSecretValue` on exactly this secret,
//! which only the two function roles have. It is read once, at cold start
//! ([`crate::Deployment::connect`]), and kept for the life of the process: one request per
//! execution environment, none on the path of an invocation.

use crate::error::LambdaError;
use aws_sdk_secretsmanager::error::DisplayErrorContext;

/// The fewest bytes a signing secret may have: HS256 signs with a 256-bit key, and a
/// shorter secret is guessable offline from any one token. `classchat serve` holds its
/// secrets to the same bound.
pub const MIN_SECRET_BYTES: usize = 32;

/// An HS256 signing secret of at least [`MIN_SECRET_BYTES`] bytes. Its `Debug` never
/// shows it.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

impl JwtSecret {
    /// `bytes` as a secret, unless too short to be one.
    pub fn new(bytes: Vec<u8>) -> Result<Self, LambdaError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(LambdaError::Secret(format!(
                "the token signing secret is {} bytes; at least {MIN_SECRET_BYTES} are required",
                bytes.len()
            )));
        }
        Ok(Self(bytes))
    }

    /// Reads the secret `arn` with `client`: its string value without a trailing newline
    /// (as `aws secretsmanager put-secret-value --secret-string file://…` leaves one), or
    /// its binary value as it is.
    pub async fn fetch(
        client: &aws_sdk_secretsmanager::Client,
        arn: &str,
    ) -> Result<Self, LambdaError> {
        let output = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|error| {
                LambdaError::Secret(format!(
                    "cannot read {arn}: {}",
                    DisplayErrorContext(&error)
                ))
            })?;
        let bytes = match (output.secret_string(), output.secret_binary()) {
            (Some(text), _) => trim_newline(text).as_bytes().to_vec(),
            (None, Some(binary)) => binary.as_ref().to_vec(),
            (None, None) => {
                return Err(LambdaError::Secret(format!("{arn} has no value")));
            }
        };
        Self::new(bytes).map_err(|error| LambdaError::Secret(format!("{arn}: {error}")))
    }

    /// The secret's bytes, to sign and verify tokens with.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(***)")
    }
}

/// `text` without one trailing line ending.
fn trim_newline(text: &str) -> &str {
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.strip_suffix('\r').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_has_at_least_32_bytes_and_never_shows() {
        assert!(JwtSecret::new(vec![b'x'; 31]).is_err());
        let secret = JwtSecret::new(vec![b'x'; 32]).unwrap();
        assert_eq!(secret.bytes().len(), 32);
        assert!(!format!("{secret:?}").contains('x'));
    }

    #[test]
    fn one_trailing_line_ending_is_not_part_of_the_secret() {
        assert_eq!(trim_newline("abc\n"), "abc");
        assert_eq!(trim_newline("abc\r\n"), "abc");
        assert_eq!(trim_newline("abc"), "abc");
        assert_eq!(trim_newline("abc \n\n"), "abc \n");
    }
}

//! Secrets: access tokens, their digests, constant-time comparison, random session ids.

use std::fmt;

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// An access token from the configuration. Its `Debug` output never shows the value, so
/// logging a [`PortalConfig`](crate::PortalConfig) leaks no credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    /// Wraps a token value.
    pub fn new(value: impl Into<String>) -> Self {
        Token(value.into())
    }

    /// The token value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(<{} chars>)", self.0.chars().count())
    }
}

/// SHA-256 of a secret. Secrets are compared by digest, in constant time, so the time a
/// comparison takes reveals neither a matching prefix nor the configured token's length.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Digest([u8; 32]);

impl Digest {
    /// The digest of `secret`.
    pub(crate) fn of(secret: &str) -> Self {
        let d = digest(&SHA256, secret.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Digest(out)
    }

    /// Constant-time equality.
    pub(crate) fn matches(&self, other: &Digest) -> bool {
        same_bytes(&self.0, &other.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Digest(..)")
    }
}

/// Compares two byte strings without an early exit on the first difference.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The system random generator failed (no entropy source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

/// 32 random bytes from the operating system's CSPRNG, as 64 hex digits: session ids and
/// CSRF tokens.
pub(crate) fn random_id(rng: &SystemRandom) -> Result<String, RandomError> {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes).map_err(|_| RandomError)?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_compare_by_value() {
        let a = Digest::of("correct horse battery staple");
        assert!(a.matches(&Digest::of("correct horse battery staple")));
        assert!(!a.matches(&Digest::of("correct horse battery stapl")));
        assert!(!a.matches(&Digest::of("")));
    }

    #[test]
    fn same_bytes_needs_equal_length_and_content() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"abcd"));
        assert!(same_bytes(b"", b""));
    }

    #[test]
    fn random_ids_are_64_hex_digits_and_differ() {
        let rng = SystemRandom::new();
        let a = random_id(&rng).unwrap_or_default();
        let b = random_id(&rng).unwrap_or_default();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn token_debug_hides_the_value() {
        let t = Token::new("s3cret-s3cret-s3cret");
        let shown = format!("{t:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert_eq!(t.expose(), "s3cret-s3cret-s3cret");
    }
}

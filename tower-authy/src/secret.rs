//! Values that must never be printed: they redact themselves in `Debug` and compare in constant
//! time.

use subtle::ConstantTimeEq;

/// A provider's API key (Authy's application key, Twilio's auth token).
#[derive(Clone)]
// Read only by the providers that call a service.
#[cfg_attr(not(any(feature = "authy", feature = "verify")), allow(dead_code))]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    #[cfg_attr(not(any(feature = "authy", feature = "verify")), allow(dead_code))]
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// A password as typed, for [`UserStore::verify_password`](crate::UserStore::verify_password).
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(p: impl Into<String>) -> Self {
        Password(p.into())
    }

    /// The password's text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// Why a token was refused before reaching Authy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Fewer than 6 or more than 12 characters.
    #[error("a code has 6 to 12 digits")]
    Length,
    /// Something other than the ASCII digits 0-9.
    #[error("a code has only the digits 0-9")]
    NotDigits,
}

/// A one-time code: 6 to 12 ASCII digits, kept as text so leading zeros survive.
///
/// ```
/// use tower_authy::secret::Token;
/// assert!(Token::parse("0012345").is_ok());
/// assert!(Token::parse("12 34 56").is_ok()); // spaces people type are dropped
/// assert!(Token::parse("../sms").is_err());
/// assert!(Token::parse("١٢٣٤٥٦").is_err()); // non-ASCII digits
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Parses what a person typed: surrounding white space and inner spaces are dropped,
    /// everything else must be an ASCII digit.
    ///
    /// # Errors
    /// [`TokenError`] when what remains is not 6 to 12 ASCII digits.
    pub fn parse(input: &str) -> Result<Token, TokenError> {
        if input.len() > 64 {
            return Err(TokenError::Length);
        }
        let compact: String = input.chars().filter(|c| *c != ' ').collect();
        let compact = compact.trim();
        if !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TokenError::NotDigits);
        }
        if !(6..=12).contains(&compact.len()) {
            return Err(TokenError::Length);
        }
        Ok(Token(compact.to_owned()))
    }

    #[cfg_attr(not(any(feature = "authy", feature = "verify")), allow(dead_code))]
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Constant-time equality of two byte strings (length may leak, content does not).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_digit_strings_of_six_to_twelve() {
        assert_eq!(Token::parse(" 000123 ").unwrap().expose(), "000123");
        assert_eq!(Token::parse("123 4567").unwrap().expose(), "1234567");
        assert_eq!(Token::parse("12345"), Err(TokenError::Length));
        assert_eq!(Token::parse("1234567890123"), Err(TokenError::Length));
        for bad in [
            "12345a",
            "123456\u{0}",
            "%31%32%33%34%35%36",
            "１２３４５６",
            "+123456",
            "-123456",
            "12\t3456",
        ] {
            assert_eq!(Token::parse(bad), Err(TokenError::NotDigits), "{bad:?}");
        }
        assert_eq!(Token::parse(&"1".repeat(100)), Err(TokenError::Length));
    }

    #[test]
    fn nothing_secret_in_debug() {
        let shown = format!(
            "{:?} {:?} {:?}",
            ApiKey::new("k3y"),
            Password::new("hunter2"),
            Token::parse("987654").unwrap()
        );
        assert!(
            !shown.contains("k3y") && !shown.contains("hunter2") && !shown.contains("987654"),
            "{shown}"
        );
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}

//! RFC 6238 codes, as the Authy app shows them, and the base32 of their secrets.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Digits in an Authy app token (Authy's own app shows 7).
pub(crate) const TOKEN_DIGITS: u32 = 7;
/// TOTP time step in seconds.
pub(crate) const TOTP_STEP: i64 = 30;

/// RFC 6238 (HMAC-SHA1) code for a time step.
pub(crate) fn totp(secret: &[u8], step: i64) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(TOKEN_DIGITS),
        width = TOKEN_DIGITS as usize
    )
}

/// RFC 4648 base32 without padding, for `otpauth://` URIs.
pub(crate) fn base32(data: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn rfc6238_sha1_vectors_truncated_to_seven_digits() {
        // RFC 6238 appendix B gives 8-digit codes; the low 7 digits are the 7-digit code.
        let secret = b"12345678901234567890";
        assert_eq!(totp(secret, 59 / 30), "4287082");
        assert_eq!(totp(secret, 1_111_111_109 / 30), "7081804");
        assert_eq!(totp(secret, 2_000_000_000 / 30), "9279037");
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }
}

//! RFC 6238 codes, as the Authy app shows them, and the base32 of their secrets.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Digits in an Authy app token (Authy's own app shows 7).
pub(crate) const TOKEN_DIGITS: u32 = 7;
/// Digits in a generic authenticator app's code (Google Authenticator and the like assume 6
/// and ignore the URI's `digits`), from the same secret.
pub(crate) const GENERIC_DIGITS: u32 = 6;
/// TOTP time step in seconds.
pub(crate) const TOTP_STEP: i64 = 30;

/// RFC 6238 (HMAC-SHA1) code for a time step, as the Authy app shows it.
pub(crate) fn totp(secret: &[u8], step: i64) -> String {
    totp_digits(secret, step, TOKEN_DIGITS)
}

/// RFC 6238 (HMAC-SHA1) code for a time step, `digits` long.
pub(crate) fn totp_digits(secret: &[u8], step: i64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(h[19] & 0x0f);
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

/// The `otpauth://` URI a generic authenticator app scans for `secret`: the account is
/// `label`, or `email` when it is empty; 6 digits every 30 s, which such apps assume.
pub(crate) fn otpauth_uri(secret: &[u8], email: &str, label: &str, issuer: &str) -> String {
    let account = if label.is_empty() { email } else { label };
    let mut account_enc = String::new();
    crate::signature::form_encode(account, &mut account_enc);
    let mut issuer_enc = String::new();
    crate::signature::form_encode(issuer, &mut issuer_enc);
    format!(
        "otpauth://totp/{}?secret={}&issuer={issuer_enc}&digits={GENERIC_DIGITS}&period={TOTP_STEP}",
        account_enc.replace('+', "%20"),
        base32(secret),
    )
}

/// `text` as a QR code in a grayscale PNG: 6 pixels a module, a 4-module quiet zone.
pub(crate) fn qr_png(text: &str) -> Vec<u8> {
    const SCALE: usize = 6;
    const QUIET: usize = 4;
    let code = qrcode::QrCode::new(text.as_bytes()).expect("an otpauth URI fits in a QR code");
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (x, y) = ((i % modules + QUIET) * SCALE, (i / modules + QUIET) * SCALE);
            for row in y..y + SCALE {
                pixels[row * side + x..row * side + x + SCALE].fill(0);
            }
        }
    }
    let mut png = Vec::new();
    let side = u32::try_from(side).expect("a QR code is small");
    let mut encoder = png::Encoder::new(&mut png, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("PNG header into memory");
    writer
        .write_image_data(&pixels)
        .expect("PNG data into memory");
    writer.finish().expect("PNG end into memory");
    png
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
    fn rfc6238_sha1_vectors_as_generic_apps_show_them() {
        let secret = b"12345678901234567890";
        let generic = |t: i64| totp_digits(secret, t / 30, GENERIC_DIGITS);
        assert_eq!(generic(59), "287082");
        assert_eq!(generic(1_111_111_109), "081804");
        assert_eq!(generic(2_000_000_000), "279037");
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
    }
}

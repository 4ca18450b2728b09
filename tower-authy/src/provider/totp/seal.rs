//! Sealing TOTP secrets at rest: XChaCha20-Poly1305 under a key from configuration, with the
//! subject as associated data, so a sealed secret moved to another subject does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const NONCE_LEN: usize = 24;

/// The key TOTP secrets are sealed under: 32 bytes from configuration, the same on every
/// instance. Never shown by `Debug`.
#[derive(Clone)]
pub struct TotpKey([u8; 32]);

impl std::fmt::Debug for TotpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpKey([redacted])")
    }
}

impl TotpKey {
    /// A key from 32 bytes (from a secret manager, or 64 hex digits in configuration).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TotpKey(bytes)
    }

    /// A key from 64 hexadecimal digits; `None` for anything else.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(hex.trim().as_bytes())
            .ok()?;
        Some(TotpKey(bytes.try_into().ok()?))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }

    fn aad(subject: u64) -> [u8; 24] {
        let mut aad = *b"tower-authy totp\0\0\0\0\0\0\0\0";
        aad[16..].copy_from_slice(&subject.to_be_bytes());
        aad
    }

    /// A random nonce, then the ciphertext and tag.
    pub(super) fn seal(&self, subject: u64, plain: &[u8]) -> Vec<u8> {
        let nonce = crate::random::bytes::<NONCE_LEN>();
        let aad = Self::aad(subject);
        let sealed = self
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 seals any message this size");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// The plaintext, if `sealed` was sealed for `subject` under this key and is unchanged.
    pub(super) fn open(&self, subject: u64, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let aad = Self::aad(subject);
        self.cipher()
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::TotpKey;

    #[test]
    fn sealed_secrets_open_only_for_their_subject_and_key() {
        let key = TotpKey::from_bytes([1; 32]);
        let sealed = key.seal(7, b"secret");
        assert_eq!(key.open(7, &sealed).as_deref(), Some(&b"secret"[..]));
        assert!(key.open(8, &sealed).is_none(), "moved to another subject");
        assert!(
            TotpKey::from_bytes([2; 32]).open(7, &sealed).is_none(),
            "another key"
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(7, &tampered).is_none(), "tampered");
        assert!(
            !sealed.windows(6).any(|w| w == b"secret"),
            "stored in the clear"
        );
        assert_ne!(key.seal(7, b"secret"), sealed, "nonces repeat");
    }

    #[test]
    fn keys_read_from_hex_and_never_show() {
        assert!(TotpKey::from_hex(&"ab".repeat(32)).is_some());
        assert!(TotpKey::from_hex("abcd").is_none());
        assert!(TotpKey::from_hex(&"zz".repeat(32)).is_none());
        assert_eq!(
            format!("{:?}", TotpKey::from_bytes([9; 32])),
            "TotpKey([redacted])"
        );
    }
}

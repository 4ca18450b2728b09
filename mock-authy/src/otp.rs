//! Randomness, the virtual clock and RFC 6238 codes.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// SplitMix64: tiny, fast and, with a seed, reproducible. The mock's codes need to be
/// unpredictable to a casual reader, not to an adversary.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        use std::hash::{BuildHasher, Hasher};
        // Without a seed, the standard library's per-process random hasher keys supply entropy.
        Rng(seed.unwrap_or_else(|| {
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        }))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `n` decimal digits, leading zeros kept.
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next_u64() % 10) as u8))
            .collect()
    }

    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        out
    }

    /// A v1-looking uuid, shaped like Authy's (`dda2c400-bc43-0135-d7be-1285ca17e122`).
    pub(crate) fn uuid(&mut self) -> String {
        let b: [u8; 16] = self.bytes();
        let h = |s: &[u8]| s.iter().map(|x| format!("{x:02x}")).collect::<String>();
        format!(
            "{}-{}-0135-{}-{}",
            h(&b[0..4]),
            h(&b[4..6]),
            h(&b[8..10]),
            h(&b[10..16])
        )
    }
}

/// Wall-clock time plus an offset that tests move forward, so expiry is tested without sleeping.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_secs: AtomicI64,
    /// When set, time stands still at `frozen + offset`.
    frozen: Option<i64>,
}

impl Clock {
    pub(crate) fn new(frozen: Option<i64>) -> Self {
        Clock {
            offset_secs: AtomicI64::new(0),
            frozen,
        }
    }

    /// Current Unix time in seconds.
    pub(crate) fn now(&self) -> i64 {
        let base = self.frozen.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        base + self.offset_secs.load(Ordering::SeqCst)
    }

    pub(crate) fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }

    pub(crate) fn reset(&self) {
        self.offset_secs.store(0, Ordering::SeqCst);
    }
}

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
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
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

    #[test]
    fn seeded_rng_is_reproducible_and_codes_keep_leading_zeros() {
        let (mut a, mut b) = (Rng::new(Some(7)), Rng::new(Some(7)));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.digits(7), b.digits(7));
        let codes: Vec<String> = (0..200).map(|_| a.digits(7)).collect();
        assert!(codes.iter().all(|c| c.len() == 7));
        assert!(codes.iter().any(|c| c.starts_with('0')));
    }

    #[test]
    fn clock_advances_only_when_told_while_frozen() {
        let c = Clock::new(Some(1_000));
        assert_eq!(c.now(), 1_000);
        c.advance(61);
        assert_eq!(c.now(), 1_061);
        c.reset();
        assert_eq!(c.now(), 1_000);
    }
}

//! RFC 6238 codes (RFC 4226 truncation over HMAC of the time step).
//!
//! Written on `hmac`, which the tree already relies on: the TOTP crates bring a second base32
//! and constant-time crate (or a second `hmac` generation) for these fifteen lines. The RFC's
//! own test vectors hold it to the standard (`tests` below).

use hmac::{Hmac, Mac};

/// The HMAC behind the codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TotpAlgorithm {
    /// HMAC-SHA1: what every authenticator app supports. The default.
    #[default]
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl TotpAlgorithm {
    /// The name the `otpauth://` URI uses.
    pub(crate) fn uri_name(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA1",
            TotpAlgorithm::Sha256 => "SHA256",
            TotpAlgorithm::Sha512 => "SHA512",
        }
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(secret: &[u8], counter: u64) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(secret)
        .expect("HMAC takes keys of any length");
    m.update(&counter.to_be_bytes());
    m.finalize().into_bytes().to_vec()
}

/// The code of time step `step`, `digits` long (6 to 8).
pub(crate) fn code(alg: TotpAlgorithm, secret: &[u8], step: u64, digits: u32) -> String {
    let h = match alg {
        TotpAlgorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(secret, step),
        TotpAlgorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(secret, step),
        TotpAlgorithm::Sha512 => mac::<Hmac<sha2::Sha512>>(secret, step),
    };
    let off = usize::from(h[h.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the seeds are the ASCII digits repeated to the hash's size.
    fn seed(alg: TotpAlgorithm) -> Vec<u8> {
        let len = match alg {
            TotpAlgorithm::Sha1 => 20,
            TotpAlgorithm::Sha256 => 32,
            TotpAlgorithm::Sha512 => 64,
        };
        b"1234567890".iter().copied().cycle().take(len).collect()
    }

    #[test]
    fn rfc_6238_appendix_b_vectors() {
        use TotpAlgorithm::{Sha1, Sha256, Sha512};
        let vectors: [(u64, &str, TotpAlgorithm); 18] = [
            (59, "94287082", Sha1),
            (59, "46119246", Sha256),
            (59, "90693936", Sha512),
            (1_111_111_109, "07081804", Sha1),
            (1_111_111_109, "68084774", Sha256),
            (1_111_111_109, "25091201", Sha512),
            (1_111_111_111, "14050471", Sha1),
            (1_111_111_111, "67062674", Sha256),
            (1_111_111_111, "99943326", Sha512),
            (1_234_567_890, "89005924", Sha1),
            (1_234_567_890, "91819424", Sha256),
            (1_234_567_890, "93441116", Sha512),
            (2_000_000_000, "69279037", Sha1),
            (2_000_000_000, "90698825", Sha256),
            (2_000_000_000, "38618901", Sha512),
            (20_000_000_000, "65353130", Sha1),
            (20_000_000_000, "77737706", Sha256),
            (20_000_000_000, "47863826", Sha512),
        ];
        for (time, expected, alg) in vectors {
            assert_eq!(
                code(alg, &seed(alg), time / 30, 8),
                expected,
                "{alg:?} at {time}"
            );
        }
    }

    #[test]
    fn rfc_4226_appendix_d_six_digit_codes() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, want) in (0u64..).zip(expected) {
            assert_eq!(
                code(TotpAlgorithm::Sha1, b"12345678901234567890", counter, 6),
                want
            );
        }
    }
}

//! Randomness for ids, uuids and codes: reproducible with a seed.

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
        let h = |s: &[u8]| data_encoding::HEXLOWER.encode(s);
        format!(
            "{}-{}-0135-{}-{}",
            h(&b[0..4]),
            h(&b[4..6]),
            h(&b[8..10]),
            h(&b[10..16])
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn seeded_rng_is_reproducible_and_codes_keep_leading_zeros() {
        let (mut a, mut b) = (Rng::new(Some(7)), Rng::new(Some(7)));
        assert_eq!(a.uuid(), b.uuid());
        assert_eq!(a.digits(7), b.digits(7));
        let codes: Vec<String> = (0..200).map(|_| a.digits(7)).collect();
        assert!(codes.iter().all(|c| c.len() == 7));
        assert!(codes.iter().any(|c| c.starts_with('0')));
    }
}

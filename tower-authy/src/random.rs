//! Unpredictable values from the operating system.

/// `N` random bytes. Panics only if the OS has no randomness, where nothing secure can run.
pub(crate) fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).expect("the operating system provides randomness");
    out
}

/// 128 random bits as URL-safe base64 (22 characters).
pub(crate) fn id() -> String {
    data_encoding::BASE64URL_NOPAD.encode(&bytes::<16>())
}

/// A code of `n` decimal digits, uniformly drawn.
pub(crate) fn digits(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        // Rejection sampling: 250 is the largest multiple of 10 that fits in a byte.
        let [b] = bytes::<1>();
        if b < 250 {
            out.push(char::from(b'0' + b % 10));
        }
    }
    out
}

#[cfg(feature = "webauthn")]
/// A random subject for a factor tower-authy keeps itself (a passkey): nonzero, below 2^53 so
/// JSON clients read it exactly.
pub(crate) fn subject() -> u64 {
    (u64::from_le_bytes(bytes::<8>()) >> 11).max(1)
}

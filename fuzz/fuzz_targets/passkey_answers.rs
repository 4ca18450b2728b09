//! Passkey answers as the routes read them: no unsigned answer is accepted.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::passkey_answers(data));

//! The callback canonicaliser and verifier, on JSON bodies and GET query strings.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::callback_verify(data));

//! Twilio's signature canonicaliser and verifier on arbitrary URLs and form bodies.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::twilio_signature(data));

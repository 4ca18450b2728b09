//! Reading the challenge, entity and answer out of Verify webhook bodies.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::verify_webhook(data));

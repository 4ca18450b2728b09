//! Token validation: whatever is accepted is 6 to 12 ASCII digits.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::token_parse(data));

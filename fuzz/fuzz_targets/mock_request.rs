//! mock-authy's request reading: paths, query strings, form (Rails brackets) and JSON bodies.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::mock_request(data));

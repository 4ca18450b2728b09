//! Recovery codes, remembered-device and device cookies: only well-formed codes and genuine
//! cookies pass.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::second_factor_inputs(data));

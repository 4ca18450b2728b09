//! The return_to validator: whatever it accepts stays on this origin.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::return_to(data));

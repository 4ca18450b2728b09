//! The client's decoding of Authy answers: any status, any bytes.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::authy_response(data));

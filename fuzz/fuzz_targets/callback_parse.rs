//! Reading the uuid, authy_id and status out of callback bodies and query strings.
#![no_main]
mod checks;
libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::callback_parse(data));

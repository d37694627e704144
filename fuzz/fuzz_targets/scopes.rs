#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| openpan_core::fuzzing::scopes(data));

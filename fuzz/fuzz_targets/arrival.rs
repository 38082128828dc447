#![no_main]
// The property is otelgrep::fuzzing::arrival's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::arrival(data));

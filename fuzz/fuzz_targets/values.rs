#![no_main]
// The property is otelgrep::fuzzing::values's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::values(data));

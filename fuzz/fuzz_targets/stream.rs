#![no_main]
// The property is otelgrep::fuzzing::stream's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::stream(data));

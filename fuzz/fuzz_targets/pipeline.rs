#![no_main]
// The property is otelgrep::fuzzing::pipeline's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::pipeline(data));

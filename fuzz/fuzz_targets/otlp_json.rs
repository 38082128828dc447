#![no_main]
// The property is otelgrep::fuzzing::otlp_json's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::otlp_json(data));

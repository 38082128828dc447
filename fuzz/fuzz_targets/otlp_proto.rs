#![no_main]
// The property is otelgrep::fuzzing::otlp_proto's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::otlp_proto(data));

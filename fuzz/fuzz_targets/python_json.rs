#![no_main]
// The property is otelgrep::fuzzing::python_json's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::python_json(data));

#![no_main]
// The property is otelgrep::fuzzing::parquet's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::parquet(data));

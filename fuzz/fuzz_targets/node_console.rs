#![no_main]
// The property is otelgrep::fuzzing::node_console's: see there.
libfuzzer_sys::fuzz_target!(|data: &[u8]| otelgrep::fuzzing::node_console(data));

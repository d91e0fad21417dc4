//! Fuzz target: bundle::fuzz_manifest (must never panic on any input).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bundle::fuzz_manifest(data);
});

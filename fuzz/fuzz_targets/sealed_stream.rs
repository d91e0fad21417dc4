//! Fuzz target: bundle::fuzz_sealed, sealed streams built from the fuzzer's description (valid
//! CRCs and chain unless it asks for damage) and scanned without a key; the scan's answer must
//! match what was built.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bundle::fuzz_sealed(data);
});

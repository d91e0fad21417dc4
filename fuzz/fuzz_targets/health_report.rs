//! Fuzz target: bundle::health::fuzz (the health report and the uplink's facts; must never
//! panic on any input).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    bundle::health::fuzz(data);
});

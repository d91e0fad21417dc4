//! Fuzz target: station::lockdown::net::fuzz_report, the forward proxy's report lines (must
//! never panic; only host events are accepted).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    station::lockdown::net::fuzz_report(data);
});

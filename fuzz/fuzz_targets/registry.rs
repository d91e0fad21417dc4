//! Fuzz target: uplink::registry::fuzz_registry, the institution's registry of stations and
//! their pinned keys (must never panic).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    uplink::registry::fuzz_registry(data);
});

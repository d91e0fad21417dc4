//! Arbitrary bytes into the uplink's persisted upload state parser: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uplink::state::fuzz_state(data);
});

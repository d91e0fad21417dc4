//! Fuzz target: uplink::profile::fuzz, the site's roster (CSV), the subjects' index entries
//! read from the bucket and decrypted profiles (must never panic).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    uplink::profile::fuzz(data);
});

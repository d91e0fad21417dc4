//! Arbitrary bytes into the review's readers (flags.json, review.json, timeline.json, the
//! --serve request head): they must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    review::fuzz_files(data);
});

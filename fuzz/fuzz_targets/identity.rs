//! Fuzz target: a stick's identity partition as the station reads it: the GPT that locates it
//! (bundle::stick::partitions, on the bytes as a disk's start) and the identity text
//! (board_config::fuzz_identity). Must never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = bundle::stick::partitions(data);
    board_config::fuzz_identity(data);
});

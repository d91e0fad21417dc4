//! Arbitrary bytes into the board and site parsers: they must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    board_config::fuzz_parse(data);
});

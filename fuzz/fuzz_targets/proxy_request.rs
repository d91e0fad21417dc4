//! Fuzz target: exam_proxy::request::fuzz_head, the request heads the exam shell's browser
//! sends the forward proxy (must never panic).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    exam_proxy::request::fuzz_head(data);
});

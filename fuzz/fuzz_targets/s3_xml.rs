//! Arbitrary bytes into the S3 XML readers (error codes, lifecycle rules): never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uplink::fuzz_xml(data);
});

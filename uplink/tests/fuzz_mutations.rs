//! The fuzz entry points over deterministic mutations of valid inputs (the same functions the
//! cargo-fuzz targets `uplink_state` and `s3_xml` call).

use uplink::state::{BundleState, FileState, Part};

fn mutations(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec(), Vec::new()];
    let mut x: u64 = 0x1234_5678_9abc_def1;
    for i in 0..2000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut m = seed.to_vec();
        let pos = (x as usize) % m.len().max(1);
        match i % 4 {
            0 => m[pos] = (x >> 32) as u8,
            1 => m.truncate(pos),
            2 => {
                m.insert(pos, b"{}[]<>\"\\0-9"[(x >> 40) as usize % 11]);
            }
            _ => {
                let end = (pos + (x >> 48) as usize % 64).min(m.len());
                m.drain(pos..end);
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn state_parser_survives_mutations() {
    let mut s = BundleState {
        format: uplink::state::FORMAT,
        exam: "20261125-100000-abcdef".into(),
        ..Default::default()
    };
    s.files.insert(
        "camera-00001.mkv.age".into(),
        FileState {
            key: "recordings/2026-11-25/s/e/camera-00001.mkv.age".into(),
            size: 11 << 20,
            part_size: 5 << 20,
            upload_id: Some("abc".into()),
            parts: vec![Part {
                number: 1,
                size: 5 << 20,
                md5: "00".repeat(16),
                sha256: "11".repeat(32),
            }],
            completed: false,
            verified: false,
        },
    );
    let seed = serde_json::to_vec(&s).unwrap();
    assert_eq!(BundleState::parse(&seed).unwrap(), s);
    for m in mutations(&seed) {
        uplink::state::fuzz_state(&m);
    }
}

#[test]
fn xml_readers_survive_mutations() {
    let seed = uplink::retention::to_xml(&uplink::retention::wanted("stations/a"));
    for m in mutations(seed.as_bytes()) {
        uplink::xml::fuzz_xml(&m);
    }
    for m in mutations(b"<Error><Code>NoSuchUpload</Code><Message>x</Message></Error>") {
        uplink::xml::fuzz_xml(&m);
    }
}

//! The fuzz entry points over deterministic mutations of valid inputs (the same functions the
//! cargo-fuzz targets `uplink_state`, `s3_xml` and `profile` call).

use uplink::state::{BundleState, FileState, Part};

fn mutations(seed: &[u8]) -> Vec<Vec<u8>> {
    bundle::mutate::mutations(seed, 2000)
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
            etag: None,
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
    let seed = uplink::retention::to_xml(&uplink::retention::wanted("stations/a", true));
    for m in mutations(seed.as_bytes()) {
        uplink::fuzz_xml(&m);
    }
    for m in mutations(b"<Error><Code>NoSuchUpload</Code><Message>x</Message></Error>") {
        uplink::fuzz_xml(&m);
    }
}

#[test]
fn profile_parsers_survive_mutations() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/profile");
    for name in ["roster.csv", "entry.json", "profile.json"] {
        let seed = std::fs::read(dir.join(name)).unwrap();
        for m in mutations(&seed) {
            uplink::profile::fuzz(&m);
        }
    }
}

//! The fuzz entry points over deterministic mutations of real inputs: no panic, ever.

use std::path::Path;
use std::time::Instant;

use bundle::event::Event;
use bundle::keys::{Identity, StationKey};
use bundle::manifest::{FileEntry, Manifest};

use bundle::mutate::mutations;

#[test]
fn journal_decoder_survives_mutations() {
    let d = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let mut j = bundle::journal::Writer::open(d.path(), &id.recipient(), Instant::now()).unwrap();
    for _ in 0..5 {
        j.append(Event::Tamper).unwrap();
    }
    j.finish().unwrap();
    let seed = std::fs::read(d.path().join(bundle::journal::segment_name(0))).unwrap();
    for m in mutations(&seed, 600) {
        bundle::fuzz_journal(&m);
    }
}

#[test]
fn manifest_parser_survives_mutations() {
    let d = tempfile::tempdir().unwrap();
    let key = StationKey::load_or_create(&d.path().join("k")).unwrap();
    let mut m = Manifest {
        format: 1,
        station: "s".into(),
        exam: "e".into(),
        exam_date: "2026-11-25".into(),
        started_at: "2026-11-25T00:00:00Z".into(),
        ended_at: "2026-11-25T01:00:00Z".into(),
        interrupted: false,
        journal_head: "00".repeat(32),
        files: vec![FileEntry {
            name: "camera-00000.mkv.sealed".into(),
            size: 3,
            sha256: "ab".repeat(32),
        }],
        image: String::new(),
        machine: String::new(),
        station_key: String::new(),
        signature: String::new(),
    };
    m.sign(&key);
    assert!(m.verify_signature().is_ok());
    let seed = m.to_json();
    for x in mutations(&seed, 2000) {
        bundle::fuzz_manifest(&x);
    }
}

#[test]
fn sealed_stream_scan_matches_what_was_built_over_mutations() {
    // Header, three data frames of 20 to 40 payload bytes and an end frame; the mutations flip
    // control bits (damage, kinds, torn frames) and lengths.
    let mut seed = vec![2u8];
    for (ctl, len) in [(0u8, 4u8), (0, 20), (0, 12), (1, 0)] {
        seed.extend([ctl, len]);
        seed.extend((0..u32::from(len) + 16).map(|i| i as u8));
    }
    for m in mutations(&seed, 3000) {
        bundle::fuzz_sealed(&m);
    }
}

#[test]
fn health_report_and_uplink_facts_parsers_never_panic_over_mutations() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/health_report");
    for name in ["report.json", "uplink-facts.json"] {
        let seed = std::fs::read(corpus.join(name)).unwrap();
        for x in mutations(&seed, 1500) {
            bundle::health::fuzz(&x);
        }
    }
    // The seed report is a real one: it parses, and its signature holds.
    let r = bundle::health::Report::parse(
        &std::fs::read(corpus.join("report.json")).unwrap(),
        "report.json",
    )
    .unwrap();
    r.verify_signature().unwrap();
}

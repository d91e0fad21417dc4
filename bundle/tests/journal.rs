//! Journal: round trip, torn tail, flipped byte, segments chained across a crash.

use std::fs::OpenOptions;
use std::io::Write;
use std::time::Instant;

use bundle::event::{text, Event, State};
use bundle::journal::{self, Verdict};
use bundle::keys::Identity;
use bundle::seal;

fn write_journal(dir: &std::path::Path, id: &Identity, n: u32) -> bundle::seal::Hash {
    let mut j = journal::Writer::open(dir, &id.recipient(), Instant::now()).unwrap();
    for i in 0..n {
        j.append(Event::KeyBlocked {
            combo: text(&format!("Ctrl+Alt+F{i}")),
        })
        .unwrap();
    }
    j.finish().unwrap()
}

#[test]
fn round_trip_and_head() {
    let d = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let head = write_journal(d.path(), &id, 50);
    let (recs, read_head) = journal::read_all(d.path(), &id).unwrap();
    assert_eq!(recs.len(), 50);
    assert_eq!(recs[7].seq, 7);
    assert_eq!(
        recs[7].event,
        Event::KeyBlocked {
            combo: text("Ctrl+Alt+F7")
        }
    );
    assert_eq!(head, read_head);
    let p = d.path().join(journal::segment_name(0));
    assert_eq!(
        journal::verify(&p).unwrap(),
        Verdict::Intact { records: 50 }
    );
}

#[test]
fn other_identity_cannot_read() {
    let d = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    write_journal(d.path(), &id, 3);
    let err = journal::read_all(d.path(), &Identity::generate()).unwrap_err();
    assert!(
        err.to_string().contains("not sealed to this identity"),
        "{err}"
    );
}

#[test]
fn torn_tail_is_cut_and_records_kept() {
    let d = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let mut j = journal::Writer::open(d.path(), &id.recipient(), Instant::now()).unwrap();
    for _ in 0..10 {
        j.append(Event::Tamper).unwrap();
    }
    j.sync().unwrap();
    drop(j); // crash: no end frame
    let p = d.path().join(journal::segment_name(0));
    let full = std::fs::metadata(&p).unwrap().len();
    // A torn write: half of an eleventh frame.
    let mut f = OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(&[40, 0, 0, 0, 0, 1, 2, 3]).unwrap();
    drop(f);
    assert_eq!(
        journal::verify(&p).unwrap(),
        Verdict::TornTail { good_records: 10 }
    );
    let s = seal::cut_torn_tail(&p).unwrap();
    assert_eq!(s.good_len, full);
    assert_eq!(std::fs::metadata(&p).unwrap().len(), full);
    assert_eq!(
        journal::verify(&p).unwrap(),
        Verdict::Intact { records: 10 }
    );
    // After the crash a new segment continues the chain and the numbering.
    let mut j = journal::Writer::open(d.path(), &id.recipient(), Instant::now()).unwrap();
    j.append(Event::Recovered { lost_segments: 0 }).unwrap();
    j.finish().unwrap();
    let (recs, _) = journal::read_all(d.path(), &id).unwrap();
    assert_eq!(recs.len(), 11);
    assert_eq!(recs[10].seq, 10);
    assert_eq!(recs[10].event, Event::Recovered { lost_segments: 0 });
}

#[test]
fn a_zeroed_tail_after_a_power_cut_is_torn_not_corrupt() {
    let d = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    let mut j = journal::Writer::open(d.path(), &id.recipient(), Instant::now()).unwrap();
    for _ in 0..5 {
        j.append(Event::Tamper).unwrap();
    }
    j.sync().unwrap();
    drop(j);
    let p = d.path().join(journal::segment_name(0));
    let full = std::fs::metadata(&p).unwrap().len();
    // Blocks the file had been given but never written: zeros to the end.
    let mut f = OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(&[0; 6000]).unwrap();
    drop(f);
    assert_eq!(seal::scan(&p).unwrap().tail, seal::Tail::Torn);
    assert_eq!(seal::cut_torn_tail(&p).unwrap().good_len, full);
    assert_eq!(journal::verify(&p).unwrap(), Verdict::Intact { records: 5 });
    // Zeros followed by anything else stay damage: evidence, left as it is.
    let mut f = OpenOptions::new().append(true).open(&p).unwrap();
    f.write_all(&[0; 100]).unwrap();
    f.write_all(&[7]).unwrap();
    drop(f);
    assert!(matches!(
        seal::scan(&p).unwrap().tail,
        seal::Tail::Corrupt { index: 5, .. }
    ));
}

#[test]
fn flipped_byte_names_the_record() {
    let d = tempfile::tempdir().unwrap();
    let id = Identity::generate();
    write_journal(d.path(), &id, 20);
    let p = d.path().join(journal::segment_name(0));
    let mut bytes = std::fs::read(&p).unwrap();
    assert_eq!(seal::scan(&p).unwrap().tail, seal::Tail::Closed);
    // All 20 records encode to the same size; the end frame has an empty payload.
    let header_len = 12 + u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize + 32 + 4;
    let frame_len = (bytes.len() - header_len - (4 + 1 + 32 + 16 + 4)) / 20;
    let off = header_len + 12 * frame_len + 40;
    bytes[off] ^= 0x01;
    std::fs::write(&p, &bytes).unwrap();
    match journal::verify(&p).unwrap() {
        Verdict::Corrupt { index, .. } => assert_eq!(index, 12),
        v => panic!("expected corrupt, got {v:?}"),
    }
    assert_eq!(journal::verify(&p).unwrap().exit_code(), 2);
}

#[test]
fn records_fit_the_fixed_bound() {
    let long = "x".repeat(500);
    let ev = Event::StillCaptured {
        kind: bundle::event::Still::PhotoId,
        file: text(&long),
        width: u32::MAX,
        height: u32::MAX,
    };
    let rec = bundle::event::Record {
        seq: u32::MAX,
        wall_ms: u64::MAX,
        mono_ms: u64::MAX,
        event: ev,
    };
    let mut buf = [0u8; bundle::event::RECORD_MAX];
    let n = bundle::event::encode(&rec, &mut buf).unwrap().len();
    assert!(n < bundle::event::RECORD_MAX);
    assert_eq!(bundle::event::decode(&buf[..n]).unwrap(), rec);
    let _ = State::Ready;
}

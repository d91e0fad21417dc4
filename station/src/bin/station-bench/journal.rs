//! Journal append (records/s through postcard + ChaCha20-Poly1305 + hash chain + CRC + one write
//! per record, against plain `write` calls of the same sizes) and the key-less recovery scan
//! (CRC + chain, against a plain sequential read).

use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use bundle::event::{text, Event};
use bundle::journal;
use bundle::keys::Identity;

use crate::report;

const RECORDS: u32 = 200_000;

/// Runs both journal benchmarks in `dir`.
pub fn bench(dir: &Path) -> anyhow::Result<()> {
    let id = Identity::generate();
    let jdir = dir.join("journal");
    std::fs::create_dir_all(&jdir)?;
    let t = Instant::now();
    let mut j = journal::Writer::open(&jdir, &id.recipient(), Instant::now())?;
    for i in 0..RECORDS {
        j.append(Event::KeyBlocked {
            combo: text(if i % 2 == 0 { "Ctrl+Alt+F2" } else { "Alt+Tab" }),
        })?;
    }
    j.sync()?;
    j.finish()?;
    let journal_time = t.elapsed();
    let path = jdir.join(journal::segment_name(0));
    let size = std::fs::metadata(&path)?.len();
    let per = (size / RECORDS as u64) as usize;
    let t = Instant::now();
    let mut f = std::fs::File::create(jdir.join("baseline.bin"))?;
    let rec = vec![0x5au8; per];
    for _ in 0..RECORDS {
        f.write_all(&rec)?;
    }
    f.sync_all()?;
    let base_time = t.elapsed();
    let rate = RECORDS as f64 / journal_time.as_secs_f64();
    report(
        "journal append",
        format!("{rate:.0} records/s"),
        base_time,
        journal_time,
    );

    // Just written: both reads come from the page cache, so the ratio compares CPU work.
    let t = Instant::now();
    let s = bundle::seal::scan(&path)?;
    let scan_time = t.elapsed();
    anyhow::ensure!(
        s.frames == RECORDS as u64 + 1,
        "scan found {} frames",
        s.frames
    );
    let t = Instant::now();
    let mut buf = vec![0u8; 1 << 20];
    let mut r = std::fs::File::open(&path)?;
    while r.read(&mut buf)? > 0 {}
    let read_time = t.elapsed();
    let mbs = size as f64 / 1e6 / scan_time.as_secs_f64();
    report(
        "recovery scan",
        format!("{mbs:.0} MB/s"),
        read_time,
        scan_time,
    );
    Ok(())
}

//! `cargo xtask bench`: station benchmarks. Each prints its rate and a ratio against a baseline
//! measured in the same process on the same disk, so the numbers compare across machines.
//!
//! - journal append: records/s through the journal (postcard + ChaCha20-Poly1305 + hash chain +
//!   CRC + one write per record) vs plain `write` calls of the same sizes;
//! - recovery scan: MB/s of the key-less scan (CRC + chain) vs a plain sequential read.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bundle::event::{text, Event};
use bundle::journal;
use bundle::keys::Identity;

const RECORDS: u32 = 200_000;

fn main() -> anyhow::Result<()> {
    let dir =
        tempfile::tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| "target".into()))?;
    let id = Identity::generate();

    // Journal append.
    let t = Instant::now();
    let mut j = journal::Writer::open(dir.path(), &id.recipient(), Instant::now())?;
    for i in 0..RECORDS {
        j.append(Event::KeyBlocked {
            combo: text(if i % 2 == 0 { "Ctrl+Alt+F2" } else { "Alt+Tab" }),
        })?;
    }
    j.sync()?;
    j.finish()?;
    let journal_time = t.elapsed();
    let path = dir.path().join(journal::segment_name(0));
    let size = std::fs::metadata(&path)?.len();
    let per = (size / RECORDS as u64) as usize;
    let base_path = dir.path().join("baseline.bin");
    let t = Instant::now();
    let mut f = std::fs::File::create(&base_path)?;
    let rec = vec![0x5au8; per];
    for _ in 0..RECORDS {
        f.write_all(&rec)?;
    }
    f.sync_all()?;
    let base_time = t.elapsed();
    report(
        "journal append",
        RECORDS as f64 / journal_time.as_secs_f64(),
        "records/s",
        base_time,
        journal_time,
    );

    // Recovery scan.
    // Just written: both reads come from the page cache, so the ratio compares CPU work.
    let t = Instant::now();
    let s = bundle::seal::scan(&path)?;
    let scan_time = t.elapsed();
    assert_eq!(s.frames, RECORDS as u64 + 1);
    let t = Instant::now();
    let mut buf = vec![0u8; 1 << 20];
    let mut r = std::fs::File::open(&path)?;
    while r.read(&mut buf)? > 0 {}
    let read_time = t.elapsed();
    report(
        "recovery scan",
        size as f64 / 1e6 / scan_time.as_secs_f64(),
        "MB/s",
        read_time,
        scan_time,
    );
    Ok(())
}

fn report(name: &str, rate: f64, unit: &str, baseline: Duration, measured: Duration) {
    println!(
        "{name:<16} {rate:>12.0} {unit:<10} time ratio vs baseline {:.2} (baseline {:.3} s, measured {:.3} s)",
        measured.as_secs_f64() / baseline.as_secs_f64(),
        baseline.as_secs_f64(),
        measured.as_secs_f64()
    );
}

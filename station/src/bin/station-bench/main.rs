//! `cargo xtask bench`: station benchmarks. Each prints its figure and a ratio against a baseline
//! measured in the same run on the same machine, so the numbers compare across machines.
//!
//! - journal append: records/s through the journal (postcard + ChaCha20-Poly1305 + hash chain +
//!   CRC + one write per record) vs plain `write` calls of the same sizes;
//! - recovery scan: MB/s of the key-less scan (CRC + chain) vs a plain sequential read;
//! - recorder: CPU time of the station recorder (camera 640x480@30 x264 ultrafast, opus
//!   microphone, screen 1 fps, all sealed in-line) vs `gst-launch-1.0` running the same pipelines
//!   into plain files; plus frames that never reached the muxer (dropped).
//!
//! Usage: `station-bench [--secs N]` (recorder length, default 60).

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bundle::event::{text, Event, Stream};
use bundle::journal;
use bundle::keys::Identity;
use station::session::Session;

const RECORDS: u32 = 200_000;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let secs: u64 = match args.iter().position(|a| a == "--secs") {
        Some(i) => args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("--secs takes a number"))?,
        None => 60,
    };
    let dir =
        tempfile::tempdir_in(std::env::var_os("BENCH_DIR").unwrap_or_else(|| "target".into()))?;
    journal_bench(dir.path())?;
    recorder_bench(dir.path(), secs)?;
    Ok(())
}

fn report(name: &str, figure: String, baseline: Duration, measured: Duration) {
    println!(
        "{name:<16} {figure:<28} ratio vs baseline {:.3} (baseline {:.3} s, measured {:.3} s)",
        measured.as_secs_f64() / baseline.as_secs_f64(),
        baseline.as_secs_f64(),
        measured.as_secs_f64()
    );
}

fn journal_bench(dir: &Path) -> anyhow::Result<()> {
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

/// CPU time (user + system) of this process or of its waited-for children.
fn cpu(who: i32) -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a properly sized out-parameter.
    unsafe { libc::getrusage(who, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

const BASELINE: &str = "videotestsrc is-live=true pattern=smpte ! video/x-raw,width=640,height=480,framerate=30/1 \
 ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 key-int-max=60 \
 ! h264parse ! matroskamux streamable=true ! filesink location=camera.mkv \
 audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audio/x-raw,rate=48000,channels=1 ! audioconvert ! audioresample \
 ! queue ! opusenc bitrate=32000 ! matroskamux streamable=true ! filesink location=microphone.mka \
 videotestsrc is-live=true pattern=black ! video/x-raw,format=RGB,width=1024,height=768,framerate=1/1 ! videoconvert \
 ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 key-int-max=2 ! h264parse \
 ! matroskamux streamable=true ! filesink location=screen.mkv";

fn recorder_bench(dir: &Path, secs: u64) -> anyhow::Result<()> {
    // Baseline: gst-launch-1.0 with the same three pipelines into plain files; -e turns the
    // SIGINT sent by `timeout` into EOS, so the files are finished as ours are.
    let base_dir = dir.join("gst-launch");
    std::fs::create_dir_all(&base_dir)?;
    let before = cpu(libc::RUSAGE_CHILDREN);
    let st = Command::new("timeout")
        .args(["-s", "INT", &secs.to_string(), "gst-launch-1.0", "-q", "-e"])
        .args(BASELINE.split_whitespace())
        .current_dir(&base_dir)
        .status()?;
    anyhow::ensure!(
        st.success() || st.code() == Some(124),
        "gst-launch-1.0 failed: {st}"
    );
    let baseline = cpu(libc::RUSAGE_CHILDREN) - before;

    // The station recorder on the simulated board, same sources, sealed in-line.
    let id = Identity::generate();
    let site = dir.join("site.toml");
    std::fs::write(
        &site,
        format!(
            "[station]\nid = \"bench\"\nlocation = \"bench\"\n[institution]\nname = \"Bench\"\nrecipient = \"{}\"\n\
             [exam]\nallowlist = [\"exam.example.ca\"]\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nfolder = \"{}\"\n",
            id.recipient(),
            dir.join("central").display()
        ),
    )?;
    let board = Path::new(env!("CARGO_MANIFEST_DIR")).join("../board-config/boards/sim.toml");
    let station = Arc::new(station::station::Station::load(
        &board,
        &site,
        &dir.join("data"),
    )?);
    let mut devices = station::devices::open(&station.board)?;
    let s = Session::boot(station).self_test().ready();
    let s = s
        .check_in("bench")
        .map_err(|r| anyhow::anyhow!("{}", r.error))?
        .identity()?;
    let s = s
        .start_exam(secs as u32)
        .map_err(|r| anyhow::anyhow!("{}", r.error))?;
    let before = cpu(libc::RUSAGE_SELF);
    let mut rec = station::record::Recorder::start(s.capture(), &mut devices)?;
    let until = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
        rec.tick(&mut devices)?;
    }
    let frames = rec.stop()?;
    let ours = cpu(libc::RUSAGE_SELF) - before;
    s.end(bundle::event::EndReason::TimeUp)?.seal()?;

    let count = |st: Stream| {
        frames
            .iter()
            .find(|(s, _)| *s == st)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let dropped_cam = (secs * 30).saturating_sub(count(Stream::Camera) + 2);
    let dropped_screen = secs.saturating_sub(count(Stream::Screen) + 1);
    report(
        "recorder CPU",
        format!(
            "{:.1}% of one core",
            ours.as_secs_f64() * 100.0 / secs as f64
        ),
        baseline,
        ours,
    );
    println!(
        "recorder frames  camera {} of {} expected ({} dropped), screen {} of {} ({} dropped), audio packets {}",
        count(Stream::Camera),
        secs * 30,
        dropped_cam,
        count(Stream::Screen),
        secs,
        dropped_screen,
        count(Stream::Microphone)
    );
    Ok(())
}

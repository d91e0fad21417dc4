//! `cargo xtask bench` (uplink part), all on the same S3 server in one run:
//!
//! - goodput of `uplinkd` against `rclone copy` for a bundle of 1 GiB (an hour of one-minute
//!   segments) and one of 75 MB (two long files), with the same part size and at most the same
//!   number of parts in flight; client CPU seconds per GB for both (see [`goodput`]);
//! - bytes sent again after uplinkd is killed half-way through a bundle (see [`cut`]);
//! - exam end to central copy verified: a simulated exam sealed by `stationctl` and sent by a
//!   running `uplinkd`, from ExamEnded to the local copy deleted (see [`exam_end`]).
//!
//! Needs the S3 server that `cargo xtask bench` starts (EXAM_S3_* variables; without them a
//! `weed mini` is started here), `rclone` (installed by the bench task) and, for the exam end,
//! `EXAM_STATIONCTL` (the release `stationctl` the bench task builds).

#[path = "../../tests/support/mod.rs"]
mod support;

mod cut;
mod exam_end;
mod goodput;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MIB: usize = 1 << 20;
/// The site's default part size and parts in flight, used by both clients.
const PART_MIB: usize = 8;
const IN_FLIGHT: usize = 4;

/// `uplinkd --once` on `site` and `data`.
fn uplinkd(site: &Path, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_uplinkd"));
    c.arg("--site")
        .arg(site)
        .arg("--data-dir")
        .arg(data)
        .arg("--once");
    c.env("RUST_LOG", "warn");
    c
}

/// A site file `dir/name` for the bench's store with the default part size and parts in flight.
fn site(
    server: &support::Server,
    endpoint: &str,
    bucket: &str,
    (dir, name): (&Path, &str),
    extra: &str,
) -> std::path::PathBuf {
    let creds = server.creds_file(dir);
    let text = support::site_toml(endpoint, "ca-central-1", bucket, &creds, extra).replace(
        "part_size_mib = 5",
        &format!("part_size_mib = {PART_MIB}\nparts_in_flight = {IN_FLIGHT}"),
    );
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// CPU time (user + system) of this process's waited-for children.
fn children_cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a properly sized out-parameter.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Runs `cmd` to its end: wall time and CPU time; panics naming `what` when it fails.
fn timed(what: &str, cmd: &mut Command) -> (Duration, Duration) {
    let cpu = children_cpu();
    let t = Instant::now();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let wall = t.elapsed();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (wall, children_cpu() - cpu)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` builds this file too and runs
    // it without, where it must not measure anything (nor need rclone, which only
    // `cargo xtask bench` installs).
    if !std::env::args().any(|a| a == "--bench") || std::env::args().any(|a| a == "--list") {
        eprintln!("uplink bench: measured only under `cargo bench` (`cargo xtask bench`)");
        return;
    }
    let server = support::server();
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bucket = support::bucket("bench");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    store.create_bucket().unwrap();
    let link = goodput::run(&server, &bucket, tmp.path());
    cut::run(&server, &bucket, tmp.path());
    exam_end::run(&server, &store, &bucket, tmp.path(), link);
}

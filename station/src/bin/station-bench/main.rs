//! `cargo xtask bench`: station benchmarks. Each prints its figure and a ratio against a baseline
//! measured in the same run on the same machine, so the numbers compare across machines.
//!
//! - journal append and recovery scan (see [`journal`]);
//! - recorder: CPU time and resident memory of the station recorder against `gst-launch-1.0`
//!   running the same pipelines, the whole exam flow's resident memory while recording, and the
//!   frames dropped (see [`recorder`]).
//!
//! Usage: `station-bench [--secs N]` (recorder length, default 60);
//! `station-bench soak --duration D [--report FILE]` (see [`soak`]);
//! `station-bench record --secs N --dir D` (the recorder alone) and `station-bench flow --secs N
//! --dir D` (a whole exam through the exam flow), run by the bench as children.

mod journal;
mod recorder;
mod soak;
mod usage;

use std::time::Duration;

/// The value after `name` in `args`, parsed.
fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> anyhow::Result<Option<T>> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("{name} takes a value")),
    }
}

/// A scratch folder under `BENCH_DIR` (default `target`), removed when dropped.
fn work_dir() -> anyhow::Result<tempfile::TempDir> {
    let base = std::env::var_os("BENCH_DIR").unwrap_or_else(|| "target".into());
    std::fs::create_dir_all(&base)?;
    Ok(tempfile::tempdir_in(base)?)
}

/// Prints one benchmark line: its figure and the ratio measured / baseline.
fn report(name: &str, figure: String, baseline: Duration, measured: Duration) {
    println!(
        "{name:<16} {figure:<28} ratio vs baseline {:.3} (baseline {:.3} s, measured {:.3} s)",
        measured.as_secs_f64() / baseline.as_secs_f64(),
        baseline.as_secs_f64(),
        measured.as_secs_f64()
    );
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("soak") => soak::run(&args[1..]),
        Some("record") => recorder::child(&args[1..]),
        Some("flow") => recorder::flow_child(&args[1..]),
        _ => {
            let secs = arg(&args, "--secs")?.unwrap_or(60);
            let dir = work_dir()?;
            journal::bench(dir.path())?;
            recorder::bench(dir.path(), secs)
        }
    }
}

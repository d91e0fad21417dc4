//! `cargo xtask bench`: benchmarks that print ratios against a baseline run in the same process
//! or script: station (journal, recovery scan, recorder CPU and memory vs gst-launch-1.0, frames
//! dropped), uplink (goodput and CPU per GB vs rclone on the same S3 server for a 1 GiB and a
//! 75 MB bundle, bytes re-sent after a cut at 50%, exam end to central copy verified), fleet (`examctl fleet status`
//! over 1,000 stations' reports vs a bare list and read of them) and review (seconds of exam
//! analysed per CPU second vs decoding the camera alone, and the flag card's rates).
//! `cargo xtask flag-card` writes the flag card to docs/FLAG-CARD.md.

use crate::{deps, run, s3};

/// Packages only the benchmarks need (espeak-ng speaks the flag card's speech).
const BENCH: &[&str] = &["rclone", "espeak-ng"];

/// `cargo bench -p review --bench review` with the test pictures and scenes, `args` after `--`.
fn review(args: &[&str]) -> Result<(), String> {
    let pictures = crate::pictures::ensure()?;
    crate::scenes::ensure()?;
    run::status(
        run::cargo()
            .env(crate::pictures::ENV, &pictures)
            .args([
                "bench", "--locked", "-p", "review", "--bench", "review", "--",
            ])
            .args(args),
    )
}

/// `cargo xtask flag-card`: measures the review's detectors on the labelled set and writes
/// docs/FLAG-CARD.md.
pub fn flag_card(_args: &[String]) -> Result<(), String> {
    deps::ensure(&[deps::BUILD, BENCH])?;
    let card = run::root().join("docs/FLAG-CARD.md");
    review(&["--card", &card.to_string_lossy()])
}

/// `station-bench` in release mode with `args`.
fn station_bench(args: &[String]) -> Result<(), String> {
    run::status(
        run::cargo()
            .args([
                "run",
                "--locked",
                "--release",
                "-p",
                "station",
                "--bin",
                "station-bench",
                "--",
            ])
            .args(args),
    )
}

/// `cargo xtask soak --duration D [--report FILE]`: a simulated exam of D recorded with the
/// real pipelines, sampled every minute; the report goes to `target/soak/soak-<D>.md`.
pub fn soak(args: &[String]) -> Result<(), String> {
    deps::ensure(&[deps::BUILD])?;
    let mut all = vec!["soak".to_string()];
    all.extend(args.iter().cloned());
    station_bench(&all)
}

/// Runs every benchmark in release mode; arguments (e.g. `--secs 10`) go to the station bench.
pub fn run(args: &[String]) -> Result<(), String> {
    deps::ensure(&[deps::BUILD, BENCH])?;
    station_bench(args)?;
    run::status(run::cargo().args([
        "build",
        "--locked",
        "--release",
        "-p",
        "station",
        "--bin",
        "stationctl",
    ]))?;
    let stationctl = run::root().join("target/release/stationctl");
    let server = s3::start()?;
    run::status(
        run::cargo()
            .envs(server.env())
            .env("EXAM_STATIONCTL", &stationctl)
            .args(["bench", "--locked", "-p", "uplink", "--bench", "uplink"]),
    )?;
    run::status(
        run::cargo()
            .envs(server.env())
            .args(["bench", "--locked", "-p", "uplink", "--bench", "fleet"]),
    )?;
    review(&[])
}

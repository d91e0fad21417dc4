//! `cargo xtask bench`: benchmarks that print ratios against a baseline run in the same process
//! or script: station (journal, recovery scan, recorder vs gst-launch-1.0) and uplink (goodput vs
//! rclone on the same S3 server, bytes re-sent after a cut at 50%).

use crate::{deps, run, s3};

/// Packages only the benchmarks need.
const BENCH: &[&str] = &["rclone"];

/// Runs every benchmark in release mode; arguments (e.g. `--secs 10`) go to the station bench.
pub fn run(args: &[String]) -> Result<(), String> {
    deps::ensure(&[deps::BUILD, BENCH])?;
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
    )?;
    let server = s3::start()?;
    run::status(
        run::cargo()
            .envs(server.env())
            .args(["bench", "--locked", "-p", "uplink", "--bench", "uplink"]),
    )
}

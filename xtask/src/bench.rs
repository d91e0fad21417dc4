//! `cargo xtask bench`: benchmarks that print ratios against a baseline run in the same process.

use crate::{deps, run};

/// Runs every benchmark binary of the workspace in release mode.
pub fn run(_args: &[String]) -> Result<(), String> {
    deps::ensure(&[deps::BUILD])?;
    run::status(run::cargo().args([
        "run",
        "--locked",
        "--release",
        "-p",
        "station",
        "--bin",
        "station-bench",
    ]))
}

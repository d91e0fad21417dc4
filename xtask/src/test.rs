//! `cargo xtask test`: installs what the tests need, then runs every test in the workspace.

use crate::{deps, run};

/// Runs the whole test suite; extra arguments go to `cargo test`.
pub fn run(extra: &[String]) -> Result<(), String> {
    deps::ensure(&[deps::BUILD])?;
    eprintln!("xtask: cargo test --workspace");
    run::status(
        run::cargo()
            .args(["test", "--workspace", "--all-targets", "--locked"])
            .args(extra),
    )?;
    run::status(run::cargo().args(["test", "--workspace", "--doc", "--locked"]))
}

//! `cargo xtask test`: installs what the tests need, then runs every test in the workspace.
//! The uplink tests need a real S3 server: SeaweedFS is installed and started for the run (see
//! [`crate::s3`]). Then the hw-tests in the QEMU guest and the USB image's boot test
//! ([`crate::imagetest`]).

use crate::{deps, run, s3};

/// Runs the whole test suite; extra arguments go to `cargo test`.
pub fn run(extra: &[String]) -> Result<(), String> {
    deps::ensure(&[deps::BUILD])?;
    crate::units::check()?;
    let server = s3::start()?;
    eprintln!("xtask: cargo test --workspace");
    run::status(
        run::cargo()
            .envs(server.env())
            .args(["test", "--workspace", "--all-targets", "--locked"])
            .args(extra),
    )?;
    run::status(run::cargo().args(["test", "--workspace", "--doc", "--locked"]))?;
    // Device tests on real kernel drivers in the QEMU guest (`XTASK_SKIP_HW=1` skips them).
    if std::env::var_os("XTASK_SKIP_HW").is_some() {
        eprintln!("xtask: XTASK_SKIP_HW set: hw-tests skipped");
    } else {
        crate::hwtest::run(&[])?;
    }
    // The USB image, built and booted under OVMF (`XTASK_SKIP_IMAGE=1` skips it).
    if std::env::var_os("XTASK_SKIP_IMAGE").is_some() {
        eprintln!("xtask: XTASK_SKIP_IMAGE set: image-test skipped");
        return Ok(());
    }
    crate::imagetest::run(&[])
}

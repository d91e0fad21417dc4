//! `cargo xtask hw-test`: the device tests on real kernel drivers inside a QEMU guest.
//!
//! Builds the `hw-tests` and `stationctl` binaries on the host (the guest is bookworm, same
//! glibc), makes sure the cached guest exists (see [`crate::vm`]), boots it with a share folder
//! holding the binaries, the qemu board file and `run.sh`, and brings back each test's
//! `PASS`/`FAIL` line, the closing `N passed, M failed` and the exit code.
//!
//! Arguments after `hw-test` are test name filters passed to the `hw-tests` binary.
//! `HW_ACCEL=kvm` uses KVM where it works (TCG otherwise).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::{deps, run, vm};

/// Longest a guest run may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(600);

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
}

/// Fills the 9p share: binaries, board and site files, the guest's run script, the filters.
fn prepare_share(share: &Path, filters: &[String]) -> Result<(), String> {
    let root = run::root();
    let _ = std::fs::remove_dir_all(share);
    std::fs::create_dir_all(share.join("bin")).map_err(|e| format!("{}: {e}", share.display()))?;
    for bin in ["hw-tests", "stationctl"] {
        copy(
            &root.join("target/debug").join(bin),
            &share.join("bin").join(bin),
        )?;
    }
    copy(
        &root.join("board-config/boards/qemu-x86_64.toml"),
        &share.join("board.toml"),
    )?;
    copy(
        &root.join("board-config/sites/example.toml"),
        &share.join("site.toml"),
    )?;
    copy(&root.join("images/hw-guest/run.sh"), &share.join("run.sh"))?;
    std::fs::write(share.join("args"), filters.join(" ")).map_err(|e| e.to_string())
}

/// Whether a console line is part of the test report (printed live).
fn is_report(line: &str) -> bool {
    line.starts_with("PASS ")
        || line.starts_with("FAIL ")
        || line.starts_with("hw-guest:")
        || line.starts_with("HW-GUEST-RESULT")
        || line.contains(" passed, ")
}

/// Runs the hw-tests in the guest.
pub fn run(filters: &[String]) -> Result<(), String> {
    let started = Instant::now();
    deps::ensure(&[deps::BUILD])?;
    vm::ensure_host()?;
    eprintln!("xtask: cargo build -p hw-tests -p station (debug binaries for the guest)");
    run::status(run::cargo().args([
        "build",
        "--locked",
        "-p",
        "hw-tests",
        "-p",
        "station",
        "--bin",
        "hw-tests",
        "--bin",
        "stationctl",
    ]))?;
    let built = started.elapsed();
    let guest = vm::ensure_guest()?;
    let ready = started.elapsed();
    let share = run::root().join("target/hw-guest-share");
    prepare_share(&share, filters)?;
    eprintln!("xtask: booting the guest (QEMU TCG, about a minute)");
    let boot = vm::boot(&guest, &share, TIMEOUT, is_report)?;
    let log = share.join("console.log");
    let _ = std::fs::write(&log, boot.console.join("\n"));
    let total = started.elapsed();
    eprintln!(
        "xtask: hw-test took {:.0} s (host build {:.0} s, guest ready {:.0} s, guest run {:.0} s); console: {}",
        total.as_secs_f64(),
        built.as_secs_f64(),
        (ready - built).as_secs_f64(),
        (total - ready).as_secs_f64(),
        log.display()
    );
    let rc_file = std::fs::read_to_string(share.join("rc"))
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok());
    match (boot.guest_rc, rc_file) {
        (Some(0), _) | (None, Some(0)) => Ok(()),
        (Some(rc), _) | (None, Some(rc)) => {
            Err(format!("hw-tests failed in the guest (exit {rc})"))
        }
        (None, None) => Err(format!(
            "the guest reported no result; last console lines:\n{}",
            vm::tail(&boot.console, 30)
        )),
    }
}

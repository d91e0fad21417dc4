//! `cargo xtask units`: the exposure of the station's services, as `systemd-analyze security
//! --offline=yes` scores the unit files of `systemd/` (0 = locked down, 10 = fully exposed).
//! Prints each service's score and fails if one is above [`MAX_EXPOSURE`]. Part of
//! `cargo xtask test`.

use std::path::Path;
use std::process::Command;

use crate::run;

/// The highest exposure a service of the station may have.
pub const MAX_EXPOSURE: f64 = 2.5;

/// The services that are scored (files of `systemd/usr/lib/systemd/system/`), each with its
/// highest allowed exposure.
const SERVICES: &[(&str, f64)] = &[
    ("stationd.service", MAX_EXPOSURE),
    ("uplinkd.service", MAX_EXPOSURE),
    ("exam-proxy.service", MAX_EXPOSURE),
    ("exam-network.service", MAX_EXPOSURE),
    ("exam-vt-lock.service", MAX_EXPOSURE),
    ("station-identity.service", MAX_EXPOSURE),
    // Chromium's own sandbox needs user namespaces, chroot and seccomp, and its JIT writable
    // executable memory: no namespace or system-call allowlist for the kiosk.
    ("exam-kiosk.service", KIOSK_MAX_EXPOSURE),
];

/// The kiosk browser's limit (see [`SERVICES`]).
pub const KIOSK_MAX_EXPOSURE: f64 = 3.0;

/// Scores one unit file; returns its overall exposure.
fn exposure(file: &Path) -> Result<f64, String> {
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(file)
        .output()
        .map_err(|e| format!("could not start systemd-analyze: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.split("Overall exposure level for ").nth(1))
        .and_then(|rest| rest.split(": ").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or(format!(
            "systemd-analyze security {}: no overall exposure in its output ({}):\n{}{}",
            file.display(),
            out.status,
            text,
            String::from_utf8_lossy(&out.stderr)
        ))
}

/// Prints every service's exposure; an error names those above [`MAX_EXPOSURE`].
pub fn check() -> Result<(), String> {
    let dir = run::root().join("systemd/usr/lib/systemd/system");
    let mut over = Vec::new();
    for &(s, max) in SERVICES {
        let e = exposure(&dir.join(s))?;
        println!("systemd-analyze security: {s} exposure {e:.1} (max {max})");
        if e > max {
            over.push(format!("{s} {e:.1} (max {max})"));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "exposure above the limit: {} (see `systemd-analyze security --offline=yes {}/FILE`)",
            over.join(", "),
            dir.display()
        ))
    }
}

/// `cargo xtask units`.
pub fn run(_args: &[String]) -> Result<(), String> {
    check()
}

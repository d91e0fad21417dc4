//! QEMU on the host: the packages it needs (from the same suite as an installed qemu-utils),
//! the mmdebstrap options every image recipe shares, and console helpers.

use std::process::{Command, Stdio};

use crate::{deps, run};

/// Host packages for booting images: QEMU, the UEFI firmware and a software TPM.
pub const HOST: &[&str] = &["qemu-system-x86", "ovmf", "swtpm"];

/// Build options that are part of the recipe (changing them changes the cache key).
pub const BUILD_OPTIONS: &[&str] = &[
    "--variant=apt",
    "--aptopt=APT::Install-Recommends \"false\"",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    // Debian's copyright files stay: every image handed out carries its packages' licences.
    "--dpkgopt=path-include=/usr/share/doc/*/copyright",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
];

/// Installs the host packages for booting PC images.
pub fn ensure_host() -> Result<(), String> {
    ensure_system("qemu-system-x86", "qemu-system-x86_64", HOST)
}

/// Installs QEMU's system emulator package `pkg` (whose program is `program`) and the packages
/// `others`. QEMU comes from the same suite as an already installed `qemu-utils`
/// (bookworm-backports), because bookworm's QEMU would remove a newer qemu-utils.
pub fn ensure_system(pkg: &str, program: &str, others: &[&str]) -> Result<(), String> {
    let utils = run::output(Command::new("dpkg-query").args(["-W", "-f=${Version}", "qemu-utils"]))
        .unwrap_or_default();
    let have_qemu = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if utils.contains("bpo12") && !have_qemu {
        eprintln!("xtask: {pkg} from bookworm-backports (qemu-utils {utils} came from there)");
        deps::add_backports()?;
        run::status(
            Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(["-t", "bookworm-backports", pkg]),
        )?;
    }
    deps::ensure(&[others])
}

/// The last `n` lines of `lines`.
pub fn tail(lines: &[String], n: usize) -> String {
    lines[lines.len().saturating_sub(n)..].join("\n")
}

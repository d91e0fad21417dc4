//! System packages the project needs, installed with apt when missing.
//!
//! Every task calls [`ensure`] first with the package sets it needs. On Debian 12 as root the
//! missing packages are installed (saying which); otherwise the exact command is printed and the
//! task stops, so a new user is never left with an obscure build error.

use std::process::Command;

/// Packages needed to build and run the workspace (GStreamer, ALSA, clang for bindgen).
pub const BUILD: &[&str] = &[
    "pkg-config",
    "clang",
    "libclang-dev",
    "libasound2-dev",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    "gstreamer1.0-tools",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-base-apps",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-plugins-ugly",
    "gstreamer1.0-libav",
    "gstreamer1.0-alsa",
    // Throw-away CA and certificate for the test store's TLS port.
    "openssl",
    // The station screens' typeface (the image has it too): DejaVu Sans.
    "fonts-dejavu-core",
    // The kiosk compositor, headless with the image's configuration: the screen recording's
    // screencopy and the recording badge are tested against it (station/tests/kiosk.rs).
    "sway",
];

/// Browsers the reviewer's page is tested in (review/tests/browser.rs drives them over their
/// own remote protocols: no driver package needed).
pub const BROWSERS: &[&str] = &["chromium", "firefox-esr"];

/// Whether a Debian package is installed (dpkg says "install ok installed").
fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Installs the packages of `sets` that are missing, or explains how to.
pub fn ensure(sets: &[&[&str]]) -> Result<(), String> {
    let missing: Vec<&str> = sets
        .iter()
        .flat_map(|s| s.iter().copied())
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!(
        "apt-get install -y --no-install-recommends {}",
        missing.join(" ")
    );
    if !is_root() {
        return Err(format!(
            "missing system packages: {}\nrun as root:\n  apt-get update && {line}",
            missing.join(", ")
        ));
    }
    eprintln!(
        "xtask: installing {} missing package(s): {}",
        missing.len(),
        missing.join(" ")
    );
    crate::run::status(Command::new("apt-get").args(["update", "-q"]))?;
    crate::run::status(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing),
    )
    .map_err(|e| format!("{e}\n(the command was: {line})"))
}

/// Where Debian's bookworm-backports is listed (added when a package must come from there).
const BACKPORTS_LIST: &str = "/etc/apt/sources.list.d/bookworm-backports.sources";

/// Adds bookworm-backports to apt's sources if no source lists it yet.
pub fn add_backports() -> Result<(), String> {
    let listed = std::fs::read_dir("/etc/apt/sources.list.d")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .chain([std::path::PathBuf::from("/etc/apt/sources.list")])
        .any(|p| {
            std::fs::read_to_string(p)
                .map(|t| {
                    t.lines().any(|l| {
                        !l.trim_start().starts_with('#') && l.contains("bookworm-backports")
                    })
                })
                .unwrap_or(false)
        });
    if listed {
        return Ok(());
    }
    eprintln!("xtask: adding bookworm-backports to apt's sources");
    std::fs::write(
        BACKPORTS_LIST,
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\n\
         Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
    )
    .map_err(|e| format!("{BACKPORTS_LIST}: {e} (run as root)"))?;
    crate::run::status(Command::new("apt-get").args(["update", "-q"]))
}

/// Installs the packages of `pkgs` that are missing from bookworm-backports (added to apt's
/// sources if needed), or explains how to.
pub fn ensure_backports(pkgs: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = pkgs.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "missing system packages from bookworm-backports: {}\nrun as root:\n  apt-get install -y -t bookworm-backports {}",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    add_backports()?;
    eprintln!(
        "xtask: installing from bookworm-backports: {}",
        missing.join(" ")
    );
    crate::run::status(
        Command::new("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "-t",
                "bookworm-backports",
            ])
            .args(&missing),
    )
}

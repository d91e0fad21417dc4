//! The hw-tests guest: a small Debian bookworm VM, built once and cached, booted under QEMU.
//!
//! The recipe is `images/hw-guest/` (package list and the guest's PID 1) plus the build options
//! below; the cache folder `target/hw-guest/<hash>/` is keyed on a hash of all of it, so editing
//! the recipe rebuilds the guest and nothing else does. The guest is booted with a throw-away
//! overlay (`snapshot=on`), the host's share folder over 9p, and `isa-debug-exit` so that QEMU's
//! exit code carries the guest's result.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::recipe::{self, MIRRORS};
use crate::{deps, qemu, run};

/// Host packages the guest build and boot need.
pub const HOST: &[&str] = &["mmdebstrap", "qemu-system-x86", "e2fsprogs"];

/// Build options that are part of the recipe (changing them changes the cache key).
pub const BUILD_OPTIONS: &[&str] = &[
    "--variant=apt",
    "--aptopt=APT::Install-Recommends \"false\"",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
];

/// Hooks run after the guest's init was uploaded (part of the recipe too).
const HOOKS: &[&str] = &[
    "--customize-hook=chmod 755 \"$1/sbin/hw-init\"",
    // A GStreamer registry built now saves a slow first scan under TCG.
    "--customize-hook=chroot \"$1\" env HOME=/root gst-inspect-1.0 >/dev/null",
];

/// Size of the guest's disk image.
const DISK_SIZE: &str = "1536M";

/// A built guest: kernel, initramfs and root disk image.
pub struct Guest {
    /// Kernel image.
    pub kernel: PathBuf,
    /// Initramfs.
    pub initrd: PathBuf,
    /// ext4 root file system image (booted read-only through a snapshot).
    pub disk: PathBuf,
}

/// The recipe folder.
fn recipe_dir() -> PathBuf {
    run::root().join("images/hw-guest")
}

/// The cache key: a hash of the recipe files, mirrors, options and disk size.
pub fn recipe_hash() -> Result<String, String> {
    let extra: Vec<&str> = MIRRORS
        .iter()
        .chain(BUILD_OPTIONS)
        .chain(HOOKS)
        .chain([&DISK_SIZE])
        .copied()
        .collect();
    recipe::hash(&recipe_dir(), &["packages", "init"], &extra)
}

/// The package list (comments and blank lines dropped).
fn packages() -> Result<Vec<String>, String> {
    recipe::read_list(&recipe_dir().join("packages"))
}

/// Installs the host packages. QEMU comes from the same suite as an already installed
/// `qemu-utils` (bookworm-backports), because bookworm's QEMU would remove a newer qemu-utils.
pub fn ensure_host() -> Result<(), String> {
    let utils = run::output(Command::new("dpkg-query").args(["-W", "-f=${Version}", "qemu-utils"]))
        .unwrap_or_default();
    let have_qemu = Command::new("qemu-system-x86_64")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if utils.contains("bpo12") && !have_qemu {
        let list = Path::new("/etc/apt/sources.list.d/bookworm-backports.sources");
        if !list.exists() {
            eprintln!("xtask: adding bookworm-backports (qemu-utils {utils} came from there)");
            std::fs::write(
                list,
                "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\n\
                 Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
            )
            .map_err(|e| format!("{}: {e} (run as root)", list.display()))?;
            run::status(Command::new("apt-get").args(["update", "-q"]))?;
        }
        run::status(
            Command::new("apt-get")
                .env("DEBIAN_FRONTEND", "noninteractive")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(["-t", "bookworm-backports", "qemu-system-x86"]),
        )?;
    }
    deps::ensure(&[HOST])
}

/// Returns the cached guest, building it first when the recipe changed or none exists.
pub fn ensure_guest() -> Result<Guest, String> {
    let base = run::root().join("target/hw-guest");
    let dir = base.join(recipe_hash()?);
    let guest = Guest {
        kernel: dir.join("vmlinuz"),
        initrd: dir.join("initrd.img"),
        disk: dir.join("disk.img"),
    };
    if dir.join("ready").exists() {
        eprintln!("xtask: guest cached at {}", dir.display());
        return Ok(guest);
    }
    let started = Instant::now();
    let tmp = base.join("building");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let rootfs = tmp.join("rootfs");
    eprintln!("xtask: building the hw-tests guest (mmdebstrap, a few minutes)");
    let init = recipe_dir().join("init");
    run::status(
        Command::new("mmdebstrap")
            .args(BUILD_OPTIONS)
            .arg(format!("--include={}", packages()?.join(",")))
            .arg(format!(
                "--customize-hook=upload {} /sbin/hw-init",
                init.display()
            ))
            .args(HOOKS)
            .arg("--quiet")
            .arg("bookworm")
            .arg(&rootfs)
            .args(MIRRORS),
    )?;
    for (link, out) in [("vmlinuz", "vmlinuz"), ("initrd.img", "initrd.img")] {
        let from = rootfs.join(link);
        std::fs::copy(&from, tmp.join(out)).map_err(|e| format!("{}: {e}", from.display()))?;
    }
    run::status(
        Command::new("mke2fs")
            .args(["-q", "-t", "ext4", "-d"])
            .arg(&rootfs)
            .arg(tmp.join("disk.img"))
            .arg(DISK_SIZE),
    )?;
    std::fs::remove_dir_all(&rootfs).map_err(|e| format!("{}: {e}", rootfs.display()))?;
    crate::recipe::commit_entry(&base, &tmp, &dir)?;
    eprintln!(
        "xtask: guest built in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(guest)
}

/// What a boot brought back.
pub struct Boot {
    /// The guest's result code (from isa-debug-exit), if it reported one.
    pub guest_rc: Option<i32>,
    /// Every console line.
    pub console: Vec<String>,
}

/// Boots `guest` with `share` as the 9p share `hostshare`; `show` decides which console lines
/// are printed as they come. Kills QEMU after `timeout`.
pub fn boot(
    guest: &Guest,
    share: &Path,
    timeout: Duration,
    show: impl Fn(&str) -> bool,
) -> Result<Boot, String> {
    let accel = std::env::var("HW_ACCEL").unwrap_or_else(|_| "tcg".into());
    let cpu = if accel == "kvm" { "host" } else { "max" };
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-accel", &accel, "-cpu", cpu, "-smp", "1", "-m", "1024"])
        .arg("-kernel")
        .arg(&guest.kernel)
        .arg("-initrd")
        .arg(&guest.initrd)
        .args([
            "-append",
            "console=ttyS0 root=/dev/vda rw init=/sbin/hw-init panic=-1 quiet mitigations=off",
        ])
        .arg("-drive")
        .arg(format!(
            "file={},format=raw,if=virtio,snapshot=on",
            guest.disk.display()
        ))
        .args(["-device", "virtio-gpu-pci"])
        .arg("-fsdev")
        .arg(format!(
            "local,id=fs0,path={},security_model=none",
            share.display()
        ))
        .args(["-device", "virtio-9p-pci,fsdev=fs0,mount_tag=hostshare"])
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        .args([
            "-nographic",
            "-nodefaults",
            "-no-reboot",
            "-serial",
            "stdio",
        ])
        .args(["-monitor", "none"])
        .stdin(Stdio::null());
    let w = qemu::watch(cmd, timeout, show)?;
    let Some(st) = w.status else {
        return Err(format!(
            "the guest did not finish within {} s; last console lines:\n{}",
            timeout.as_secs(),
            tail(&w.console, 20)
        ));
    };
    let console = w.console;
    // isa-debug-exit: the guest writes 32+rc, QEMU exits with (v << 1) | 1.
    let guest_rc = st
        .code()
        .filter(|c| (65..=255).contains(c) && c % 2 == 1)
        .map(|c| ((c - 1) >> 1) - 32);
    Ok(Boot { guest_rc, console })
}

/// The last `n` lines of `lines`.
pub fn tail(lines: &[String], n: usize) -> String {
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `cargo xtask hw-guest`: installs the host packages and builds (or finds) the cached guest.
pub fn run_build(_args: &[String]) -> Result<(), String> {
    ensure_host()?;
    let g = ensure_guest()?;
    println!("{}", g.disk.parent().unwrap_or(Path::new(".")).display());
    Ok(())
}

//! The Debian root file system of an image, built with mmdebstrap and cached under
//! `target/image-rootfs/<root recipe>/<hash>/`, keyed on the recipe's `packages` and
//! `dracut.conf`, its Debian sources and the build options.
//!
//! A root of another architecture (arm64 on this amd64 machine) is built the same way: its
//! maintainer scripts (dracut above all) run under qemu-user, registered with the kernel's
//! binfmt_misc here. Only the root's own packages run emulated: the product's binaries are
//! cross-compiled ([`crate::cross`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::boards::{Arch, Board};
use crate::recipe;
use crate::run::{self, step};
use crate::vm;

/// Recipe files that make up the root file system's cache key.
const FILES: &[&str] = &["packages", "dracut.conf"];

/// Where the dracut configuration goes (before the kernel is installed, so its initrd uses it).
const DRACUT_CONF: &str = "/etc/dracut.conf.d/50-exam-station.conf";

/// Host packages for a foreign-architecture root: qemu-user (registered through binfmt_misc)
/// and arch-test, with which mmdebstrap checks that the architecture runs.
pub const FOREIGN: &[&str] = &["qemu-user-static", "arch-test"];

/// The cache key of the board's root file system.
fn hash(board: &Board) -> Result<String, String> {
    let extra: Vec<&str> = board
        .root
        .mirrors
        .iter()
        .chain(vm::BUILD_OPTIONS)
        .chain([&DRACUT_CONF, &board.root.arch.debian()])
        .copied()
        .collect();
    recipe::hash(&board.root_dir(), FILES, &extra)
}

/// Registers qemu-aarch64 with binfmt_misc (mounting it first if needed), so that arm64
/// programs run here, also inside a chroot (the `F` flag: the interpreter is opened now).
fn binfmt_arm64() -> Result<(), String> {
    let misc = Path::new("/proc/sys/fs/binfmt_misc");
    if !misc.join("register").exists() {
        run::status(
            Command::new("mount")
                .args(["-t", "binfmt_misc", "binfmt_misc"])
                .arg(misc),
        )
        .map_err(|e| format!("binfmt_misc (needed to run arm64 programs): {e}"))?;
    }
    if misc.join("qemu-aarch64").exists() {
        return Ok(());
    }
    let conf = "/usr/lib/binfmt.d/qemu-aarch64.conf";
    let line = std::fs::read_to_string(conf).map_err(|e| format!("{conf}: {e}"))?;
    std::fs::write(misc.join("register"), line.trim())
        .map_err(|e| format!("registering {conf} with binfmt_misc: {e} (run as root)"))
}

/// Returns the cached Debian root file system of `board`, building it when missing.
pub fn ensure(board: &Board, t0: Instant) -> Result<PathBuf, String> {
    let root = board.root;
    if root.arch == Arch::Arm64 {
        crate::deps::ensure(&[FOREIGN])?;
        binfmt_arm64()?;
    }
    let base = run::root().join("target/image-rootfs").join(root.folder);
    let dir = base.join(hash(board)?);
    if dir.join("ready").exists() {
        step(t0, &format!("rootfs: cached at {}", dir.display()));
        return Ok(dir.join("rootfs"));
    }
    let started = Instant::now();
    let tmp = base.join("building");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let rootfs = tmp.join("rootfs");
    step(
        t0,
        &format!(
            "rootfs: mmdebstrap {} {} ({})",
            root.suite,
            root.arch.debian(),
            if root.arch == Arch::Amd64 {
                "a few minutes"
            } else {
                "emulated: half an hour or more"
            }
        ),
    );
    let packages = recipe::read_list(&board.root_dir().join("packages"))?;
    let dracut = board.root_dir().join("dracut.conf");
    run::status(
        Command::new("mmdebstrap")
            .args(vm::BUILD_OPTIONS)
            .arg(format!("--architectures={}", root.arch.debian()))
            .arg("--essential-hook=mkdir -p \"$1/etc/dracut.conf.d\"")
            .arg(format!(
                "--essential-hook=upload {} {DRACUT_CONF}",
                dracut.display()
            ))
            .arg(format!("--include={}", packages.join(",")))
            .arg("--quiet")
            .arg(root.suite)
            .arg(&rootfs)
            .args(root.mirrors),
    )
    .map_err(|e| format!("rootfs of {}: {e}", board.name))?;
    recipe::commit_entry(&base, &tmp, &dir)?;
    step(
        t0,
        &format!("rootfs: built in {:.0} s", started.elapsed().as_secs_f64()),
    );
    Ok(dir.join("rootfs"))
}

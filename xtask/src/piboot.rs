//! The boot partition of the arm64 images: what the Raspberry Pi firmware needs on it, where
//! each file comes from, and the check that finds them in a built image.
//!
//! Every arm64 image's boot partition is an EFI system partition with systemd-boot
//! (`EFI/BOOT/BOOTAA64.EFI`) and the unified kernel image, so it boots on any arm64 UEFI
//! machine (QEMU's virt machine in the tests) and, through U-Boot, on a Pi 4. The Pi files
//! sit beside them:
//! - **Pi 5**: `config.txt`, `cmdline.txt` (the root hash), the kernel and initrd as the
//!   firmware loads them, and the bcm2712 device trees of Debian's kernel;
//! - **Pi 4**: `config.txt`, `start4.elf` and `fixup4.dat` (raspi-firmware), `u-boot.bin`
//!   (u-boot-rpi, rpi_arm64) and the bcm2711 device trees.
//!
//! The firmware packages are listed in `images/arm64/boot-packages`, downloaded from trixie
//! (main and non-free-firmware) and unpacked under `target/tools/pi-boot/<hash>/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::boards::{self, Board, Pi, TRIXIE};
use crate::run::{self, step};
use crate::{apt, recipe};

/// Host packages: ukify's PE library (ukify itself comes from trixie's package).
pub const HOST: &[&str] = &["python3-pefile"];

/// The unpacked boot packages.
pub struct Kit {
    /// Where they are unpacked (`usr/lib/...`).
    pub dir: PathBuf,
}

/// Trixie's sources with the non-free-firmware component (raspi-firmware).
fn mirrors() -> Vec<String> {
    TRIXIE
        .iter()
        .map(|m| format!("{m} non-free-firmware"))
        .collect()
}

/// Downloads and unpacks the boot packages, or returns the cached ones.
pub fn kit(t0: Instant) -> Result<Kit, String> {
    crate::deps::ensure(&[HOST])?;
    let recipe_dir = boards::folder("arm64");
    let sources = mirrors();
    let extra: Vec<&str> = sources.iter().map(String::as_str).collect();
    let base = run::root().join("target/tools/pi-boot");
    let dir = base.join(recipe::hash(&recipe_dir, &["boot-packages"], &extra)?);
    let kit = Kit {
        dir: dir.join("files"),
    };
    if dir.join("ready").exists() {
        return Ok(kit);
    }
    let tmp = base.join("building");
    let _ = std::fs::remove_dir_all(&tmp);
    let conf = apt::config(&tmp.join("apt"), &extra, &["arm64"])?;
    run::quiet(apt::get(&conf).arg("update"))?;
    let debs = tmp.join("debs");
    std::fs::create_dir_all(&debs).map_err(|e| format!("{}: {e}", debs.display()))?;
    let list = recipe::read_list(&recipe_dir.join("boot-packages"))?;
    run::quiet(
        apt::get(&conf)
            .current_dir(&debs)
            .arg("download")
            .args(&list),
    )?;
    let n = apt::unpack(&debs, &tmp.join("files"))?;
    step(t0, &format!("boot packages: {n} unpacked"));
    let _ = std::fs::remove_dir_all(tmp.join("apt"));
    let _ = std::fs::remove_dir_all(&debs);
    recipe::commit_entry(&base, &tmp, &dir)?;
    Ok(kit)
}

impl Kit {
    /// systemd-boot for arm64.
    pub fn systemd_boot(&self) -> PathBuf {
        self.dir
            .join("usr/lib/systemd/boot/efi/systemd-bootaa64.efi")
    }

    /// Builds the unified kernel image `out` with trixie's ukify and arm64 stub.
    pub fn uki(
        &self,
        kernel: &Path,
        initrd: &Path,
        cmdline: &Path,
        osrel: &Path,
        out: &Path,
    ) -> Result<(), String> {
        let at = |p: &Path| format!("@{}", p.display());
        run::status(
            // Debian's interpreter, which sees python3-pefile (not a python3 earlier in PATH).
            Command::new("/usr/bin/python3")
                .arg(self.dir.join("usr/lib/systemd/ukify"))
                .arg("build")
                .arg(format!("--linux={}", kernel.display()))
                .arg(format!("--initrd={}", initrd.display()))
                .arg(format!("--cmdline={}", at(cmdline)))
                .arg(format!("--os-release={}", at(osrel)))
                .arg(format!(
                    "--stub={}",
                    self.dir
                        .join("usr/lib/systemd/boot/efi/linuxaa64.efi.stub")
                        .display()
                ))
                .arg(format!("--output={}", out.display())),
        )
        .map_err(|e| format!("unified kernel image (ukify): {e}"))
    }
}

/// What the disk assembly knows when the boot partition is filled.
pub struct Parts<'a> {
    /// The staged root (its kernel's device trees).
    pub staging: &'a Path,
    /// Kernel and initrd.
    pub kernel: &'a Path,
    /// The initrd.
    pub initrd: &'a Path,
    /// The kernel command line file (with the root hash).
    pub cmdline: &'a Path,
}

/// A device tree folder of the kernel in the staged root (`usr/lib/linux-image-*/broadcom`).
fn dtb_dir(staging: &Path) -> Result<PathBuf, String> {
    let lib = staging.join("usr/lib");
    std::fs::read_dir(&lib)
        .map_err(|e| format!("{}: {e}", lib.display()))?
        .flatten()
        .map(|e| e.path().join("broadcom"))
        .find(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .is_some_and(|n| n.to_string_lossy().starts_with("linux-image-"))
                && p.is_dir()
        })
        .ok_or(format!(
            "no usr/lib/linux-image-*/broadcom in {} (the kernel's device trees)",
            staging.display()
        ))
}

/// The device trees of `prefix` (`bcm2712`, `bcm2711`) in the kernel's folder.
fn dtbs(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".dtb"))
        })
        .collect();
    v.sort();
    if v.is_empty() {
        return Err(format!("no {prefix}*.dtb in {}", dir.display()));
    }
    Ok(v)
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Device trees the firmware looks for under a name Debian's kernel does not use: (kernel's,
/// firmware's). The Pi 5's D0 stepping (2 GB, 16 GB and later boards), and the CM4 (whose
/// mainline tree is its IO board's).
const FIRMWARE_NAMES: &[(&str, &str)] = &[
    ("bcm2712-d-rpi-5-b.dtb", "bcm2712d0-rpi-5-b.dtb"),
    ("bcm2711-rpi-cm4-io.dtb", "bcm2711-rpi-cm4.dtb"),
];

/// Adds the kernel's `prefix` device trees to `v`, each also under the firmware's own name
/// where that differs.
fn trees(v: &mut Vec<(PathBuf, String)>, dir: &Path, prefix: &str) -> Result<(), String> {
    for d in dtbs(dir, prefix)? {
        let n = name(&d);
        if let Some((_, theirs)) = FIRMWARE_NAMES.iter().find(|(ours, _)| *ours == n) {
            v.push((d.clone(), theirs.to_string()));
        }
        v.push((d, n));
    }
    Ok(())
}

/// The Pi files of `board`'s boot partition: `(source, name on the partition)`.
pub fn files(board: &Board, kit: &Kit, parts: &Parts) -> Result<Vec<(PathBuf, String)>, String> {
    let Some(pi) = board.pi else {
        return Ok(Vec::new());
    };
    let mut v = vec![(board.dir().join("config.txt"), "config.txt".to_string())];
    let dtb = dtb_dir(parts.staging)?;
    match pi {
        Pi::Five => {
            v.push((parts.cmdline.to_path_buf(), "cmdline.txt".into()));
            v.push((parts.kernel.to_path_buf(), "vmlinuz".into()));
            v.push((parts.initrd.to_path_buf(), "initrd.img".into()));
            trees(&mut v, &dtb, "bcm2712")?;
        }
        Pi::Four => {
            let fw = kit.dir.join("usr/lib/raspi-firmware");
            for f in ["start4.elf", "fixup4.dat"] {
                v.push((fw.join(f), f.into()));
            }
            v.push((
                kit.dir.join("usr/lib/u-boot/rpi_arm64/u-boot.bin"),
                "u-boot.bin".into(),
            ));
            trees(&mut v, &dtb, "bcm2711")?;
        }
    }
    for (from, _) in &v {
        if !from.is_file() {
            return Err(format!(
                "{}: missing (a file of {}'s boot partition)",
                from.display(),
                board.name
            ));
        }
    }
    Ok(v)
}

//! The check of a Raspberry Pi image's boot partition, run at the end of `cargo xtask image
//! --board rpi5|rpi4`: the partition is copied out of the built image (mtools, no mount) and
//! every file the Pi firmware needs is looked for and read: `config.txt` names a kernel (and
//! initramfs) that are there, the device trees are device trees, the kernel an arm64 Image,
//! the command line carries the root hash that the image's own root and verity partitions
//! make. Prints one line per file; any missing or wrong one fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::boards::{Board, Pi};
use crate::disk;
use crate::run;

/// One file the firmware needs: its name on the partition and why.
struct Need {
    name: String,
    why: &'static str,
}

fn need(name: &str, why: &'static str) -> Need {
    Need {
        name: name.to_string(),
        why,
    }
}

/// What the board's firmware reads, beyond what `config.txt` names.
fn needs(pi: Pi) -> Vec<Need> {
    let mut v = vec![need("config.txt", "the firmware's configuration")];
    match pi {
        Pi::Five => {
            v.push(need("cmdline.txt", "the kernel command line (root hash)"));
            v.push(need(
                "bcm2712-rpi-5-b.dtb",
                "device tree, Pi 5 (C1 stepping)",
            ));
            v.push(need(
                "bcm2712d0-rpi-5-b.dtb",
                "device tree, Pi 5 (D0 stepping), the firmware's name",
            ));
        }
        Pi::Four => {
            v.push(need("start4.elf", "the Pi 4's GPU firmware"));
            v.push(need("fixup4.dat", "its memory split"));
            v.push(need("bcm2711-rpi-4-b.dtb", "device tree, Pi 4 B"));
            v.push(need("bcm2711-rpi-400.dtb", "device tree, Pi 400"));
            v.push(need("bcm2711-rpi-cm4.dtb", "device tree, CM4"));
            v.push(need(
                "EFI/Linux/exam-station.efi",
                "the UKI U-Boot's UEFI starts",
            ));
        }
    }
    v.push(need(
        "EFI/BOOT/BOOTAA64.EFI",
        match pi {
            Pi::Four => "systemd-boot, started by U-Boot's UEFI",
            Pi::Five => "systemd-boot for an arm64 UEFI machine (the tests' QEMU)",
        },
    ));
    v
}

/// The partition UUID of the partition labelled `label`, as 32 hex digits.
fn uuid_hex(dump: &str, label: &str) -> Option<String> {
    let line = disk::partition_line(dump, label)?;
    let uuid = line.split("uuid=").nth(1)?.split(',').next()?.trim();
    Some(uuid.replace('-', "").to_lowercase())
}

/// The `key=value` of `config.txt` (first one, comments dropped).
fn config_value<'a>(config: &'a str, key: &str) -> Option<&'a str> {
    config
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::trim)
}

/// The initramfs file `config.txt` names (`initramfs FILE followkernel`).
fn config_initramfs(config: &str) -> Option<&str> {
    config
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find_map(|l| l.strip_prefix("initramfs "))
        .and_then(|r| r.split_whitespace().next())
}

/// A file size for the report: kB under a megabyte.
fn human(bytes: usize) -> String {
    if bytes < 1_000_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else {
        disk::mb(bytes as u64)
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_default()
}

/// What a file's first bytes say it is, when its kind matters.
fn kind_ok(name: &str, data: &[u8]) -> Result<(), String> {
    if name.ends_with(".dtb") && !data.starts_with(&[0xd0, 0x0d, 0xfe, 0xed]) {
        return Err("not a flattened device tree".into());
    }
    if name.to_lowercase().ends_with(".efi") && !data.starts_with(b"MZ") {
        return Err("not a PE/EFI executable".into());
    }
    Ok(())
}

/// Checks the boot partition of `img` for `board`; returns the report, or every problem.
pub fn check(board: &Board, img: &Path, work: &Path) -> Result<String, String> {
    let Some(pi) = board.pi else {
        return Ok(String::new());
    };
    let dir = work.join("boot-partition");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let esp = disk::partition_offset(img, "ESP")?;
    run::status(
        Command::new("mcopy")
            .args(["-s", "-n", "-i"])
            .arg(format!("{}@@{esp}", img.display()))
            .arg("::")
            .arg(&dir),
    )
    .map_err(|e| format!("the boot partition of {}: {e}", img.display()))?;
    let at = |name: &str| -> PathBuf { dir.join(name) };
    let config = String::from_utf8_lossy(&read(&at("config.txt"))).into_owned();
    let mut list = needs(pi);
    let mut problems = Vec::new();
    match config_value(&config, "kernel") {
        Some(k) => list.push(Need {
            name: k.to_string(),
            why: "the kernel config.txt names",
        }),
        None => problems.push("config.txt names no kernel=".to_string()),
    }
    if config_value(&config, "arm_64bit") != Some("1") {
        problems.push("config.txt lacks arm_64bit=1".into());
    }
    if pi == Pi::Five {
        match config_initramfs(&config) {
            Some(i) => list.push(Need {
                name: i.to_string(),
                why: "the initramfs config.txt names",
            }),
            None => problems.push("config.txt names no initramfs".into()),
        }
    }
    let mut lines = vec![format!(
        "boot files of the {} image ({}):",
        board.name,
        img.display()
    )];
    for n in &list {
        let data = read(&at(&n.name));
        let verdict = if data.is_empty() {
            problems.push(format!("{}: missing ({})", n.name, n.why));
            "MISSING".to_string()
        } else if let Err(e) = kind_ok(&n.name, &data) {
            problems.push(format!("{}: {e}", n.name));
            format!("WRONG ({e})")
        } else {
            format!("found, {}", human(data.len()))
        };
        lines.push(format!("  {:<28} {verdict:<16} {}", n.name, n.why));
    }
    if pi == Pi::Five {
        let kernel = config_value(&config, "kernel").unwrap_or("vmlinuz");
        let image = read(&at(kernel));
        // An arm64 Image carries "ARM\x64" at byte 56.
        if image.get(56..60) != Some(b"ARM\x64".as_slice()) {
            problems.push(format!("{kernel}: not an arm64 kernel Image"));
        }
    }
    // The root hash the kernel is given must be the image's own.
    let dump = run::output(Command::new("sfdisk").arg("--dump").arg(img))?;
    let Some(want) = uuid_hex(&dump, "root")
        .zip(uuid_hex(&dump, "root-verity"))
        .map(|(a, b)| format!("roothash={a}{b}"))
    else {
        return Err(format!(
            "{}: no root or root-verity partition",
            img.display()
        ));
    };
    let mut cmdlines = vec![(
        "the UKI's command line",
        disk::uki_of(img, &work.join("check-uki.efi"))?,
    )];
    if pi == Pi::Five {
        let text = String::from_utf8_lossy(&read(&at("cmdline.txt"))).into_owned();
        cmdlines.push(("cmdline.txt", text));
    }
    for (what, line) in cmdlines {
        if line.split_whitespace().any(|t| t == want) {
            lines.push(format!(
                "  {what} carries the root hash of the image's root and verity partitions"
            ));
        } else {
            problems.push(format!("{what} lacks {want}: {}", line.trim()));
        }
    }
    if problems.is_empty() {
        Ok(lines.join("\n"))
    } else {
        Err(format!(
            "{}\nthe {} boot partition is not what the Pi firmware needs:\n  {}",
            lines.join("\n"),
            board.name,
            problems.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_txt_is_read_as_the_firmware_reads_it() {
        let c = "# comment\narm_64bit=1\nkernel=vmlinuz # the kernel\ninitramfs initrd.img followkernel\n";
        assert_eq!(config_value(c, "kernel"), Some("vmlinuz"));
        assert_eq!(config_value(c, "arm_64bit"), Some("1"));
        assert_eq!(config_value(c, "os_check"), None);
        assert_eq!(config_initramfs(c), Some("initrd.img"));
    }

    #[test]
    fn partition_uuids_come_from_sfdisk_dump() {
        let dump = "img2 : start=2048, size=10, type=B921B045-1DF0-41C3-AF44-4C6F280D3FAE, uuid=0A1B2C3D-0000-1111-2222-333344445555, name=\"root\"\n";
        assert_eq!(
            uuid_hex(dump, "root").as_deref(),
            Some("0a1b2c3d000011112222333344445555")
        );
        assert_eq!(uuid_hex(dump, "root-verity"), None);
    }

    #[test]
    fn a_device_tree_must_look_like_one() {
        assert!(kind_ok("x.dtb", &[0xd0, 0x0d, 0xfe, 0xed, 0]).is_ok());
        assert!(kind_ok("x.dtb", b"<html>").is_err());
        assert!(kind_ok("BOOTAA64.EFI", b"MZ..").is_ok());
    }
}

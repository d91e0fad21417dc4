//! The boot medium is the only disk a station uses. At boot (exam-station-usb-lock.service, as
//! root) and again for every disk that appears later (a udev rule), every other disk is cut off
//! from its driver: a USB stick present before boot, an SD card, an optical drive, an internal
//! drive holding someone's files (promise P2). A USB mass-storage interface is deauthorized
//! (it stays so until unplugged); anything else is unbound from its driver. No block device is
//! left to read or mount.
//!
//! Which disks to keep is read from the mount table: every disk that backs a mounted file system
//! (through device-mapper and partitions), which on a booted station is the boot medium alone
//! (nothing else is ever mounted). If the table names no disk at all, nothing is cut.
//!
//! Everything goes through a sysfs root and a mount table given by the caller, so the rules
//! are tested on a tree of plain files.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What was done to one disk that is not the boot medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The disk, e.g. `sdb`, `mmcblk0`.
    pub disk: String,
    /// How: `deauthorized USB interface 1-2:1.0` or `unbound 0:0:0:0 from sd`.
    pub how: String,
}

/// The disks (names under `/sys/block`) that back a mounted file system, through
/// device-mapper slaves and partitions. `mountinfo` is `/proc/self/mountinfo`'s text.
pub fn mounted_disks(sys: &Path, mountinfo: &str) -> BTreeSet<String> {
    let mut disks = BTreeSet::new();
    for line in mountinfo.lines() {
        let Some(dev) = line.split_whitespace().nth(2) else {
            continue;
        };
        if let Ok(path) = fs::canonicalize(sys.join("dev/block").join(dev)) {
            backing_disks(sys, &path, &mut disks, 0);
        }
    }
    disks
}

/// Adds the disks under the block device at sysfs `path` to `disks`.
fn backing_disks(sys: &Path, path: &Path, disks: &mut BTreeSet<String>, depth: u8) {
    if depth > 8 {
        return;
    }
    let slaves: Vec<PathBuf> = fs::read_dir(path.join("slaves"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| fs::canonicalize(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    if !slaves.is_empty() {
        for s in slaves {
            backing_disks(sys, &s, disks, depth + 1);
        }
        return;
    }
    let disk = if path.join("partition").exists() {
        path.parent()
    } else {
        Some(path)
    };
    if let Some(name) = disk.and_then(|d| d.file_name()) {
        if sys.join("block").join(name).exists() {
            disks.insert(name.to_string_lossy().into_owned());
        }
    }
}

/// Disks with hardware behind them (`/sys/block/X/device`): not loop, RAM, zram or
/// device-mapper devices.
fn hardware_disks(sys: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(sys.join("block"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().join("device").exists())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Cuts `disk` off: the USB mass-storage interface above it is deauthorized, else its nearest
/// device with a driver is unbound from that driver.
fn cut(sys: &Path, disk: &str) -> io::Result<Cut> {
    let device = fs::canonicalize(sys.join("block").join(disk).join("device"))?;
    let above = || device.ancestors().take_while(|a| a.starts_with(sys));
    let name = |p: &Path| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    if let Some(usb) = above()
        .find(|a| fs::read_to_string(a.join("bInterfaceClass")).is_ok_and(|c| c.trim() == "08"))
    {
        fs::write(usb.join("authorized"), "0")?;
        return Ok(Cut {
            disk: disk.into(),
            how: format!("deauthorized USB interface {}", name(usb)),
        });
    }
    let bound = above()
        .find(|a| a.join("driver").exists())
        .ok_or_else(|| io::Error::other("no device with a driver above it"))?;
    let driver = fs::canonicalize(bound.join("driver"))?;
    fs::write(driver.join("unbind"), name(bound))?;
    Ok(Cut {
        disk: disk.into(),
        how: format!("unbound {} from {}", name(bound), name(&driver)),
    })
}

/// Cuts off every hardware disk that backs no mounted file system. Errors name the disk;
/// one disk failing does not stop the others. Refuses to cut anything when the mount table
/// names no disk (the boot medium would not be known).
pub fn lock(sys: &Path, mountinfo: &str) -> Result<Vec<io::Result<Cut>>, String> {
    let sys = &fs::canonicalize(sys).map_err(|e| format!("{}: {e}", sys.display()))?;
    let keep = mounted_disks(sys, mountinfo);
    if keep.is_empty() {
        return Err(
            "no mounted file system is on a disk: the boot medium is unknown, nothing was cut"
                .into(),
        );
    }
    Ok(hardware_disks(sys)
        .into_iter()
        .filter(|d| !keep.contains(d))
        .map(|d| cut(sys, &d).map_err(|e| io::Error::new(e.kind(), format!("{d}: {e}"))))
        .collect())
}

#[cfg(test)]
#[path = "storage_tests.rs"]
mod tests;

//! Removable storage present from power-on: the host boots the image with a second USB stick
//! and an SD card (in a PCI SD host controller) beside the boot stick. The boot medium must be
//! the only disk left: the stick's mass-storage interface deauthorized, the SD card unbound
//! from its driver, no block device for either, nothing mounted from them, and no disk the
//! station user can read.

use std::path::Path;
use std::process::Command;

use station::lockdown::storage::mounted_disks;

use crate::ctx::{dir_names, ensure, Ctx};
use crate::Test;

/// The storage test (before the exam).
pub const TESTS: &[(&str, Test)] = &[("removable_storage_present_at_boot_unusable", at_boot)];

fn at_boot(_ctx: &Ctx) -> Result<String, String> {
    let sys = Path::new("/sys");
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
    let boot: Vec<String> = mounted_disks(sys, &mountinfo).into_iter().collect();
    let disks: Vec<String> = dir_names("/sys/block")
        .into_iter()
        .filter(|d| sys.join("block").join(d).join("device").exists())
        .collect();
    let lock_log = crate::network::journal("exam-station-usb-lock.service");
    ensure(disks.len() == 1 && boot.contains(&disks[0]), || {
        format!("disks {disks:?}, want only the boot medium (mounted: {boot:?}); lock service:\n{lock_log}")
    })?;
    // USB mass-storage interfaces: the boot stick's, authorized; the other's, not.
    let usb = crate::exam::storage_interfaces();
    let states: Vec<&str> = usb.iter().map(|(_, a)| a.as_str()).collect();
    ensure(
        usb.len() == 2 && states.contains(&"1") && states.contains(&"0"),
        || {
            format!("USB mass-storage interfaces {usb:?}, want the boot stick's authorized and the other not; lock service:\n{lock_log}")
        },
    )?;
    // The SD card: found on its bus, bound to no driver.
    let cards = dir_names("/sys/bus/mmc/devices");
    let bound: Vec<&String> = cards
        .iter()
        .filter(|c| {
            Path::new("/sys/bus/mmc/devices")
                .join(c)
                .join("driver")
                .exists()
        })
        .collect();
    ensure(!cards.is_empty() && bound.is_empty(), || {
        format!("SD cards {cards:?}, bound to a driver: {bound:?}, want one card and none bound; lock service:\n{lock_log}")
    })?;
    let mmcblk: Vec<String> = dir_names("/dev")
        .into_iter()
        .filter(|n| n.starts_with("mmcblk"))
        .collect();
    ensure(mmcblk.is_empty(), || format!("SD card nodes {mmcblk:?}"))?;
    // Nothing mounted from a disk but the boot medium.
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let strays: Vec<&str> = mounts
        .lines()
        .filter(|l| l.starts_with("/dev/sd") || l.starts_with("/dev/mmc"))
        .filter(|l| !boot.iter().any(|b| l.starts_with(&format!("/dev/{b}"))))
        .collect();
    ensure(strays.is_empty(), || {
        format!("mounted from other disks: {strays:?}")
    })?;
    // The station user reads no disk at all, the boot medium included.
    let nodes: Vec<String> = dir_names("/dev")
        .into_iter()
        .filter(|n| n.starts_with("sd") || n.starts_with("mmcblk") || n.starts_with("vd"))
        .map(|n| format!("/dev/{n}"))
        .collect();
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new("setpriv")
        .args(["--reuid=station", "--regid=station", "--init-groups", "--"])
        .arg(me)
        .arg("--try-read")
        .args(&nodes)
        .output()
        .map_err(|e| format!("setpriv: {e}"))?;
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let readable: Vec<&str> = said.lines().filter(|l| !l.contains("error")).collect();
    ensure(!nodes.is_empty() && readable.is_empty(), || {
        format!("as the station user: {said}")
    })?;
    let cut: Vec<&str> = lock_log
        .lines()
        .filter(|l| l.contains("deauthorized") || l.contains("unbound"))
        .filter_map(|l| l.split("]: ").nth(1))
        .collect();
    Ok(format!(
        "boot medium {} the only disk; cut at boot: {}; SD card {cards:?} unbound; the station user reads none of {}",
        disks[0],
        cut.join(", "),
        nodes.join(" ")
    ))
}

//! No VT switching while the exam runs: `VT_LOCKSWITCH` on the console.
//!
//! The kernel switches virtual terminals by itself when a key of its console keymap asks for it,
//! and its keyboard handler reads every input device, the station's filtered virtual device
//! included. The input filter drops Ctrl+Alt+Fn and Alt+Fn, but the default keymap also switches
//! on Alt+Left and Alt+Right (`Decr_Console`, `Incr_Console`), keys the filter must let through:
//! browsers use them for back and forward. `VT_LOCKSWITCH` makes the kernel refuse every switch,
//! by key or by `VT_ACTIVATE`, until `VT_UNLOCKSWITCH`.
//!
//! Locking needs CAP_SYS_TTY_CONFIG, which stationd does not have: `exam-vt-lock.service` runs
//! `stationctl vt lock` as root with that one capability, started and stopped with the exam's
//! ruleset, like the kiosk.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The console device: the kernel's current virtual terminal.
pub const CONSOLE: &str = "/dev/tty0";

// linux/vt.h
const VT_GETSTATE: libc::c_ulong = 0x5603;
const VT_ACTIVATE: libc::c_ulong = 0x5606;
const VT_LOCKSWITCH: libc::c_ulong = 0x560B;
const VT_UNLOCKSWITCH: libc::c_ulong = 0x560C;

/// `struct vt_stat`.
#[repr(C)]
#[derive(Default)]
struct VtStat {
    v_active: u16,
    v_signal: u16,
    v_state: u16,
}

/// A console operation that failed: which device, which operation, why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {op}: {source}{}", device.display(), hint(source))]
pub struct VtError {
    /// The console device.
    pub device: PathBuf,
    /// The operation, e.g. `VT_LOCKSWITCH`.
    pub op: &'static str,
    /// What the kernel said.
    #[source]
    pub source: std::io::Error,
}

fn hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            " (locking VT switching needs CAP_SYS_TTY_CONFIG: run as root)"
        }
        std::io::ErrorKind::NotFound => " (no virtual terminals on this machine?)",
        _ => "",
    }
}

/// The console, opened for ioctls without becoming anyone's controlling terminal.
fn open(console: &Path) -> Result<File, VtError> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(console)
        .map_err(|source| VtError {
            device: console.into(),
            op: "open",
            source,
        })
}

/// One ioctl on the console.
fn ioctl(
    console: &Path,
    op: &'static str,
    request: libc::c_ulong,
    arg: libc::c_ulong,
) -> Result<(), VtError> {
    let f = open(console)?;
    // SAFETY: a VT ioctl on an open console; `arg` is a number or points to a live VtStat.
    if unsafe { libc::ioctl(f.as_raw_fd(), request, arg) } < 0 {
        return Err(VtError {
            device: console.into(),
            op,
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// The active VT's number (1 for tty1).
pub fn active(console: &Path) -> Result<u16, VtError> {
    let mut st = VtStat::default();
    ioctl(
        console,
        "VT_GETSTATE",
        VT_GETSTATE,
        &mut st as *mut VtStat as libc::c_ulong,
    )?;
    Ok(st.v_active)
}

/// Locks (or unlocks) VT switching for the whole machine; returns the active VT.
pub fn set_locked(console: &Path, locked: bool) -> Result<u16, VtError> {
    if locked {
        ioctl(console, "VT_LOCKSWITCH", VT_LOCKSWITCH, 0)?;
    } else {
        ioctl(console, "VT_UNLOCKSWITCH", VT_UNLOCKSWITCH, 0)?;
    }
    active(console)
}

/// Asks the kernel to switch to VT `n` (ignored while switching is locked).
pub fn activate(console: &Path, n: u16) -> Result<(), VtError> {
    ioctl(console, "VT_ACTIVATE", VT_ACTIVATE, n.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_device_and_the_operation() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("tty0");
        let e = set_locked(&missing, true).unwrap_err();
        assert_eq!(e.op, "open");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{}: open: ", missing.display())),
            "{msg}"
        );
        assert!(msg.contains("no virtual terminals"), "{msg}");

        // Not a terminal: the kernel refuses the VT ioctl itself.
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"").unwrap();
        let e = set_locked(&plain, true).unwrap_err();
        assert_eq!(e.op, "VT_LOCKSWITCH");
        assert_eq!(e.source.raw_os_error(), Some(libc::ENOTTY), "{e}");
        let e = active(&plain).unwrap_err();
        assert_eq!(e.op, "VT_GETSTATE");
    }
}

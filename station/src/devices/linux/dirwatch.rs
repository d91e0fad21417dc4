//! Notices nodes appearing, disappearing or changing permissions in a folder (inotify), so
//! hotplugged input devices are rescanned at once instead of on a timer.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// An inotify watch on one folder (non-blocking).
pub struct DirWatch {
    fd: OwnedFd,
}

impl DirWatch {
    /// Watches `dir` for created, deleted and re-permissioned entries.
    pub fn new(dir: &Path) -> std::io::Result<DirWatch> {
        // SAFETY: plain syscall; the returned descriptor is owned below.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut path = dir.as_os_str().as_bytes().to_vec();
        path.push(0);
        let mask = libc::IN_CREATE | libc::IN_DELETE | libc::IN_ATTRIB;
        // SAFETY: `path` is NUL-terminated and outlives the call.
        let wd = unsafe { libc::inotify_add_watch(raw, path.as_ptr().cast(), mask) };
        if wd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(DirWatch { fd })
    }

    /// Consumes pending notifications; whether there were any.
    pub fn changed(&self) -> bool {
        let mut buf = [0u8; 4096];
        let mut any = false;
        loop {
            // SAFETY: `buf` is valid for writes of its length.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return any;
            }
            any = true;
        }
    }
}

impl AsRawFd for DirWatch {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

//! Wakes uplinkd as soon as an exam is sealed, instead of on its next poll: inotify on the
//! spool and on each exam folder in it (the station renames `manifest.json` into place as the
//! last step of sealing). The poll stays, as the longest wait, for retries after a failure.

use std::collections::BTreeSet;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What changes in a folder wake the uplink: entries made, renamed in or removed.
const MASK: u32 = libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_DELETE;

/// An inotify watch on the spool and its exam folders.
pub struct SpoolWatch {
    fd: OwnedFd,
    spool: PathBuf,
    watched: BTreeSet<PathBuf>,
}

impl SpoolWatch {
    /// Watches `spool` (which must exist) and every exam folder in it.
    pub fn new(spool: &Path) -> std::io::Result<SpoolWatch> {
        // SAFETY: plain syscall; the returned descriptor is owned below.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut w = SpoolWatch {
            fd,
            spool: spool.to_owned(),
            watched: BTreeSet::new(),
        };
        w.add(spool)?;
        w.rescan();
        Ok(w)
    }

    fn add(&mut self, dir: &Path) -> std::io::Result<()> {
        let mut path = dir.as_os_str().as_bytes().to_vec();
        path.push(0);
        // SAFETY: `path` is NUL-terminated and outlives the call.
        let wd =
            unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), path.as_ptr().cast(), MASK) };
        if wd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        self.watched.insert(dir.to_owned());
        Ok(())
    }

    /// Watches `dir` too (e.g. the station's `health/`, whose new report is to be pushed).
    pub fn also(&mut self, dir: &Path) -> std::io::Result<()> {
        self.add(dir)
    }

    /// Watches exam folders made since the last look (the kernel drops the watches of removed
    /// ones itself).
    fn rescan(&mut self) {
        self.watched.retain(|d| d.is_dir());
        let exams = bundle::spool::exams(&self.spool, |_| true).unwrap_or_default();
        for dir in exams {
            if !self.watched.contains(&dir) {
                if let Err(e) = self.add(&dir) {
                    tracing::warn!("{}: not watched: {e}", dir.display());
                }
            }
        }
    }

    /// Waits up to `timeout` for a change in the spool; whether there was one.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd for the duration of the call.
            let n = unsafe { libc::poll(&mut pfd, 1, ms) };
            if n > 0 {
                self.drain();
                self.rescan();
                return true;
            }
            let interrupted =
                n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
            if !interrupted || left.is_zero() {
                return false;
            }
        }
    }

    fn drain(&self) {
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: `buf` is valid for writes of its length.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_renamed_into_an_exam_folder_wakes_it() {
        let t = tempfile::tempdir().unwrap();
        let spool = t.path().join("spool");
        let exam = spool.join("20261201-080000-aaaaaa");
        std::fs::create_dir_all(&exam).unwrap();
        let mut w = SpoolWatch::new(&spool).unwrap();
        assert!(!w.wait(Duration::from_millis(50)), "nothing changed yet");
        std::fs::write(exam.join("manifest.json.tmp"), "{}").unwrap();
        assert!(w.wait(Duration::from_secs(5)));
        w.wait(Duration::from_millis(50));
        std::fs::rename(exam.join("manifest.json.tmp"), exam.join("manifest.json")).unwrap();
        assert!(w.wait(Duration::from_secs(5)), "the rename woke it");
        // A folder made after the watch started is watched too.
        let later = spool.join("20261201-090000-bbbbbb");
        std::fs::create_dir(&later).unwrap();
        assert!(w.wait(Duration::from_secs(5)));
        std::fs::write(later.join("manifest.json"), "{}").unwrap();
        assert!(w.wait(Duration::from_secs(5)));
    }
}

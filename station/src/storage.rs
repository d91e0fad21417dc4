//! Disk room for recordings: an exam does not start without room for all of it.

use std::path::Path;

use crate::station::Station;

/// Free bytes on the file system holding `path`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    usage(path).map(|(free, _)| free)
}

/// Free bytes (for an unprivileged writer) and size of the file system holding `path`.
pub fn usage(path: &Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized out-parameter.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let unit = st.f_frsize as u64;
    Ok((st.f_bavail as u64 * unit, st.f_blocks as u64 * unit))
}

/// Estimated bytes of a recording of `secs` seconds on this board: (video + audio + screen
/// bitrates) x duration x 1.2.
pub fn estimate(station: &Station, secs: u32) -> u64 {
    let e = &station.board.encoders;
    let screen_kbps = 200u64;
    let kbps = e.video_bitrate_kbps as u64 + e.audio_bitrate_kbps as u64 + screen_kbps;
    kbps * 1000 / 8 * secs as u64 * 12 / 10
}

/// Why there is no room for a recording (`crate::exam::ExamError` says it to the user).
#[derive(Debug)]
pub enum NoRoom {
    /// The spool's free space could not be read.
    Io(bundle::Error),
    /// Less room than the estimate and the site's reserve.
    Short {
        /// Free MiB.
        free_mib: u64,
        /// Needed MiB (estimate + reserve).
        need_mib: u64,
    },
}

/// Refuses when free space minus the site's reserve is below the estimate.
pub fn check_room(station: &Station, secs: u32) -> Result<(), NoRoom> {
    let spool = station.spool();
    let free = free_bytes(&spool).map_err(|e| NoRoom::Io(bundle::Error::io(&spool, e)))?;
    let reserve = station.site.storage.min_free_mib * (1 << 20);
    let need = estimate(station, secs);
    if free < need + reserve {
        return Err(NoRoom::Short {
            free_mib: free >> 20,
            need_mib: (need + reserve) >> 20,
        });
    }
    Ok(())
}

//! Shared memory for pixel buffers: memfds handed to a compositor, and read-only mappings of
//! buffers (a DRM dumb buffer, a memfd) converted while mapped.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// A memfd of `len` bytes (close-on-exec), to share with another process.
pub fn memfd(name: &std::ffi::CStr, len: usize) -> std::io::Result<OwnedFd> {
    // SAFETY: a NUL-terminated name; the fd is owned from here on.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just created and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    std::fs::File::from(fd.try_clone()?).set_len(len as u64)?;
    Ok(fd)
}

/// A memfd holding `data` (a buffer to hand to a compositor).
pub fn memfd_with(name: &std::ffi::CStr, data: &[u8]) -> std::io::Result<OwnedFd> {
    let fd = memfd(name, data.len())?;
    std::io::Write::write_all(&mut std::fs::File::from(fd.try_clone()?), data)?;
    Ok(fd)
}

/// Maps `len` bytes of `fd` at `offset` read-only and gives them to `read`; unmapped after.
pub fn read<T>(
    fd: BorrowedFd<'_>,
    offset: u64,
    len: usize,
    read: impl FnOnce(&[u8]) -> T,
) -> std::io::Result<T> {
    // SAFETY: a fresh read-only shared mapping of `len` bytes; the slice given to `read` does
    // not outlive it (munmap after `read` returns).
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            offset as libc::off_t,
        );
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let out = read(std::slice::from_raw_parts(p as *const u8, len));
        libc::munmap(p, len);
        Ok(out)
    }
}

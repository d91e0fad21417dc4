//! Small durable-file helpers: private files, atomic replace, directory fsync.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::Error;

/// Creates `path` with mode 0600 holding `bytes`, fsync'd; fails if it exists.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))?;
    sync_dir(path)
}

/// Replaces `path` atomically with `bytes` (temp file, fsync, rename, fsync of the folder).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    replace(path, bytes, true)
}

/// Replaces `path` with `bytes` through a temp file and a rename, fsyncing both when `durable`.
/// Without: another process (or this one after a crash) sees the old file or the new one,
/// never a mix; a power cut may leave the old one, or on some file systems an empty one.
pub fn replace(path: &Path, bytes: &[u8], durable: bool) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        if durable {
            f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        }
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    if durable {
        sync_dir(path)?;
    }
    Ok(())
}

/// Fsyncs the folder holding `path`, so a create or rename survives a power cut.
pub fn sync_dir(path: &Path) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

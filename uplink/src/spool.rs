//! Which bundles are pending: sealed folders of the spool (`DATA_DIR/spool/<exam>/` holding
//! `manifest.json`). A folder without a manifest is an exam still running (or awaiting
//! recovery by the station) and is never touched. The station writes the manifest atomically
//! as the very last step of sealing, so its presence means the bundle is complete.

use std::path::{Path, PathBuf};

use crate::error::UplinkError;

pub use bundle::spool::dir as spool_dir;

/// Sealed bundles waiting in the spool, oldest exam id first.
pub fn pending(data_dir: &Path) -> Result<Vec<PathBuf>, UplinkError> {
    let spool = spool_dir(data_dir);
    bundle::spool::exams(&spool, bundle::spool::is_sealed).map_err(|e| UplinkError::io(&spool, e))
}

/// Where verified bundles go to be deleted: `spool/.trash/`, on the spool's own file system
/// (uplinkd.service sees the spool and its own state as separate mounts, so a rename between
/// them would fail), and a dot folder, which neither the uplink nor the station's recovery
/// takes for an exam.
fn trash_dir(data_dir: &Path) -> PathBuf {
    spool_dir(data_dir).join(".trash")
}

/// Deletes a verified bundle: first moved out of the spool's exams in one rename (so a crash
/// never leaves a half-deleted folder that looks like an unsealed exam), then removed.
pub fn delete_bundle(data_dir: &Path, dir: &Path, exam: &str) -> Result<(), UplinkError> {
    let trash = trash_dir(data_dir);
    std::fs::create_dir_all(&trash).map_err(|e| UplinkError::io(&trash, e))?;
    let to = trash.join(exam);
    if to.exists() {
        std::fs::remove_dir_all(&to).map_err(|e| UplinkError::io(&to, e))?;
    }
    std::fs::rename(dir, &to).map_err(|e| UplinkError::io(dir, e))?;
    bundle::fsutil::sync_dir(dir)?;
    bundle::fsutil::sync_dir(&to)?;
    std::fs::remove_dir_all(&to).map_err(|e| UplinkError::io(&to, e))?;
    // The trash folder goes too once empty (another deletion may still be using it).
    let _ = std::fs::remove_dir(&trash);
    Ok(())
}

/// Finishes deletions cut short by a crash.
pub fn empty_trash(data_dir: &Path) -> Result<(), UplinkError> {
    let trash = trash_dir(data_dir);
    if trash.is_dir() {
        std::fs::remove_dir_all(&trash).map_err(|e| UplinkError::io(&trash, e))?;
    }
    Ok(())
}

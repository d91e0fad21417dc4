//! The uplink log: `DATA_DIR/uplink/log`, append-only JSON lines, one per step.
//!
//! A bundle's own journal is sealed and closed when the bundle is sealed, so the uplink keeps its
//! own log: every step (bundle start, upload created, part sent, resumed, completed, verified,
//! local copy deleted, error) is one line `{"t": RFC 3339, "event": ..., "exam": ..., ...}`,
//! also emitted through `tracing`. Lines that mark a decision (verified, deleted) are fsync'd.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::error::UplinkError;

/// An open uplink log.
#[derive(Debug)]
pub struct Log {
    path: PathBuf,
    file: Mutex<File>,
}

impl Log {
    /// Opens (creating) `path` for appending.
    pub fn open(path: &Path) -> Result<Self, UplinkError> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| UplinkError::io(d, e))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| UplinkError::io(path, e))?;
        Ok(Log {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event; `durable` fsyncs it. Logging failures are reported through tracing
    /// only: a full log must not stop an upload.
    pub fn event(&self, event: &str, exam: &str, fields: Value, durable: bool) {
        let mut m = Map::new();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        m.insert("t".into(), bundle::rfc3339(now).into());
        m.insert("event".into(), event.into());
        m.insert("exam".into(), exam.into());
        if let Value::Object(extra) = fields {
            m.extend(extra);
        }
        let line = Value::Object(m).to_string();
        tracing::info!(target: "uplink", "{line}");
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let r = f.write_all(format!("{line}\n").as_bytes()).and_then(|()| {
            if durable {
                f.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = r {
            tracing::error!("{}: {e}", self.path.display());
        }
    }
}

/// Reads a log back as JSON values (skipping a torn last line).
pub fn read(path: &Path) -> Result<Vec<Value>, UplinkError> {
    let text = std::fs::read_to_string(path).map_err(|e| UplinkError::io(path, e))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

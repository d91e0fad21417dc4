//! Persisted upload state of one bundle: `DATA_DIR/uplink/state/<exam>.json`.
//!
//! For each file: the object key, the multipart UploadId, every finished part with its size,
//! MD5 (what the server checks via `Content-MD5` and returns as the part's ETag) and SHA-256 (our
//! own bookkeeping), and whether the object was completed and verified. Written atomically
//! (`bundle::fsutil::write_atomic`) after every part, so a SIGKILL loses at most the part in flight;
//! on restart the state is reconciled with the server's ListParts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::UplinkError;

/// Format version of the state file.
pub const FORMAT: u32 = 1;

/// One finished part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Part number, from 1.
    pub number: u32,
    /// Bytes in the part.
    pub size: u64,
    /// MD5 of the part, hex (the server's ETag for it).
    pub md5: String,
    /// SHA-256 of the part, hex.
    pub sha256: String,
}

/// Progress of one file of the bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileState {
    /// Object key in the central store.
    pub key: String,
    /// Size of the local file.
    pub size: u64,
    /// Part size used for this file (fixed once an upload is created).
    pub part_size: u64,
    /// The multipart UploadId, if a multipart upload was created.
    #[serde(default)]
    pub upload_id: Option<String>,
    /// Parts the server acknowledged, ordered by number.
    #[serde(default)]
    pub parts: Vec<Part>,
    /// The object exists centrally (single PUT done, or multipart completed).
    #[serde(default)]
    pub completed: bool,
    /// The ETag the server returned for the whole object (PutObject or
    /// CompleteMultipartUpload), checked against the part MD5s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The central object's size and checksum were checked.
    #[serde(default)]
    pub verified: bool,
}

impl FileState {
    /// Bytes acknowledged by the server so far.
    pub fn done_bytes(&self) -> u64 {
        if self.completed {
            self.size
        } else {
            self.parts.iter().map(|p| p.size).sum()
        }
    }

    /// The object's expected ETag: MD5 for a single PUT, `md5(md5s)-N` for multipart.
    pub fn expected_etag(&self) -> Option<String> {
        use md5::{Digest, Md5};
        if self.upload_id.is_none() {
            return self.parts.first().map(|p| p.md5.clone());
        }
        let mut h = Md5::new();
        for p in &self.parts {
            h.update(hex::decode(&p.md5).ok()?);
        }
        Some(format!(
            "{}-{}",
            hex::encode(h.finalize()),
            self.parts.len()
        ))
    }
}

/// Upload state of one bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleState {
    /// [`FORMAT`].
    pub format: u32,
    /// Exam id.
    pub exam: String,
    /// Files by bundle-relative name.
    pub files: BTreeMap<String, FileState>,
}

impl BundleState {
    /// Parses a state file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let s: BundleState = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if s.format != FORMAT {
            return Err(format!("format {} is not {FORMAT}", s.format));
        }
        for (name, f) in &s.files {
            if !bundle::manifest::safe_name(name) {
                return Err(format!("unsafe file name {name:?}"));
            }
            if f.parts
                .iter()
                .enumerate()
                .any(|(i, p)| p.number as usize != i + 1)
            {
                return Err(format!("{name}: parts are not numbered 1..n"));
            }
        }
        Ok(s)
    }
}

/// Where bundle states live.
#[derive(Debug, Clone)]
pub struct StateDir(PathBuf);

impl StateDir {
    /// `dir` is `DATA_DIR/uplink/state`.
    pub fn new(dir: PathBuf) -> Self {
        StateDir(dir)
    }

    /// The state file of `exam`.
    pub fn path(&self, exam: &str) -> PathBuf {
        self.0.join(format!("{exam}.json"))
    }

    /// Loads the state of `exam`, or a fresh one. A state that cannot be parsed is set aside as
    /// `<exam>.json.bad` and a fresh one returned: reconciliation with the server redoes the rest.
    pub fn load(&self, exam: &str) -> Result<BundleState, UplinkError> {
        let p = self.path(exam);
        let fresh = BundleState {
            format: FORMAT,
            exam: exam.into(),
            files: BTreeMap::new(),
        };
        match std::fs::read(&p) {
            Ok(bytes) => match BundleState::parse(&bytes) {
                Ok(s) if s.exam == exam => Ok(s),
                Ok(_) | Err(_) => {
                    let bad = p.with_extension("json.bad");
                    tracing::warn!("{}: unreadable upload state, set aside", p.display());
                    std::fs::rename(&p, &bad).map_err(|e| UplinkError::io(&p, e))?;
                    Ok(fresh)
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(fresh),
            Err(e) => Err(UplinkError::io(&p, e)),
        }
    }

    /// Saves atomically.
    pub fn save(&self, s: &BundleState) -> Result<(), UplinkError> {
        std::fs::create_dir_all(&self.0).map_err(|e| UplinkError::io(&self.0, e))?;
        let p = self.path(&s.exam);
        let bytes = serde_json::to_vec_pretty(s).expect("state serializes");
        bundle::fsutil::write_atomic(&p, &bytes).map_err(|e| UplinkError::State {
            path: p.clone(),
            why: e.to_string(),
        })
    }

    /// Removes the state of `exam` (after its local copy is deleted).
    pub fn remove(&self, exam: &str) -> Result<(), UplinkError> {
        let p = self.path(exam);
        match std::fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(UplinkError::io(&p, e)),
        }
    }
}

/// Fuzz entry point: arbitrary bytes into the state parser must never panic.
pub fn fuzz_state(data: &[u8]) {
    if let Ok(s) = BundleState::parse(data) {
        for f in s.files.values() {
            let _ = f.expected_etag();
            let _ = f.done_bytes();
        }
    }
}

//! Persisted upload state of one bundle: `DATA_DIR/uplink/state/<exam>.json`.
//!
//! For each file: the object key, the multipart UploadId, every finished part with its size,
//! MD5 (what the server checks via `Content-MD5` and returns as the part's ETag) and SHA-256 (our
//! own bookkeeping), and whether the object was completed and verified. Parts finish out of
//! order (several are in flight), so the list may have holes: it is kept sorted by number.
//!
//! Written through a temp file and a rename after every step, so a SIGKILL loses at most the
//! parts in flight. Only the steps that are costly to lose are fsynced: a multipart upload
//! created (its id; lost, the upload would be orphaned and every part sent again) and
//! completed. A part, a small file's single PUT and a file's verification are not: a power cut
//! may take back their entries, and then the part or the small file is sent again (under the
//! same upload id, which replaces the part on the server) or verified again from the state. On
//! a file system that does not order the rename after the data, a power cut may leave a state
//! that does not parse: it is set aside and the bundle sent again from its start. Either way
//! every part still carries its checksum and the object's ETag is checked against the parts
//! recorded, so a lost entry costs bytes, never correctness.

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

    /// The part size in force and the number of parts of this file (at least one).
    pub fn part_count(&self) -> usize {
        if self.part_size == 0 {
            return 1;
        }
        self.size.div_ceil(self.part_size).max(1) as usize
    }

    /// Part numbers not yet acknowledged, ascending.
    pub fn missing_parts(&self) -> Vec<u32> {
        let mut have = self.parts.iter().map(|p| p.number).peekable();
        (1..=self.part_count() as u32)
            .filter(|n| {
                while have.next_if(|h| h < n).is_some() {}
                have.peek() != Some(n)
            })
            .collect()
    }

    /// Records an acknowledged part, keeping the list sorted (a part sent again replaces it).
    pub fn add_part(&mut self, part: Part) {
        match self.parts.binary_search_by_key(&part.number, |p| p.number) {
            Ok(i) => self.parts[i] = part,
            Err(i) => self.parts.insert(i, part),
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
            if f.parts.first().is_some_and(|p| p.number == 0)
                || f.parts.windows(2).any(|w| w[0].number >= w[1].number)
            {
                return Err(format!("{name}: part numbers are not increasing from 1"));
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

    /// Saves atomically and durably (fsynced).
    pub fn save(&self, s: &BundleState) -> Result<(), UplinkError> {
        self.save_with(s, true)
    }

    /// Saves atomically; fsynced only when `durable` (see the module's note on power cuts).
    pub fn save_with(&self, s: &BundleState, durable: bool) -> Result<(), UplinkError> {
        std::fs::create_dir_all(&self.0).map_err(|e| UplinkError::io(&self.0, e))?;
        let p = self.path(&s.exam);
        let bytes = serde_json::to_vec(s).expect("state serializes");
        bundle::fsutil::replace(&p, &bytes, durable).map_err(|e| UplinkError::State {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: u32) -> Part {
        Part {
            number,
            size: 5,
            md5: "00".repeat(16),
            sha256: String::new(),
        }
    }

    #[test]
    fn parts_out_of_order_leave_holes_that_are_sent() {
        let mut f = FileState {
            size: 23,
            part_size: 5,
            ..Default::default()
        };
        assert_eq!(f.missing_parts(), [1, 2, 3, 4, 5]);
        for n in [3, 1, 5] {
            f.add_part(part(n));
        }
        assert_eq!(
            f.parts.iter().map(|p| p.number).collect::<Vec<_>>(),
            [1, 3, 5]
        );
        assert_eq!(f.missing_parts(), [2, 4]);
        f.add_part(part(3));
        assert_eq!(f.parts.len(), 3);
        let state = BundleState {
            format: FORMAT,
            exam: "e".into(),
            files: [("camera-00000.mkv.age".to_string(), f)].into(),
        };
        let bytes = serde_json::to_vec(&state).unwrap();
        assert_eq!(BundleState::parse(&bytes).unwrap(), state);
        let unsorted =
            String::from_utf8(bytes)
                .unwrap()
                .replacen("\"number\":1", "\"number\":4", 1);
        assert!(BundleState::parse(unsorted.as_bytes())
            .unwrap_err()
            .contains("not increasing"));
    }
}

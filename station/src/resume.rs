//! Resuming an exam cut short by a power cut or crash: the station keeps, in clear, only what it
//! needs to offer the resume (the journal is encrypted to the institution, the station cannot
//! read it back). `resume.json` in the data folder names the running part, its exam code, how
//! long it was to record and when it started; no student number. Recovery at boot adds when the
//! part was cut (its files' last write). The readiness card then offers the resume; the
//! proctor's PIN starts the next part (`<first id>-p<n>`) for the time that was left, and the
//! downtime is journaled as time lost. Any other ending of a part, or the next check-in,
//! removes the record.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exam::ExamError;

/// File name of the record in the data folder.
pub const FILE: &str = "resume.json";

/// What the station keeps of the running part of an exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The first part's exam id (every part's id starts with it).
    pub first: String,
    /// This part's exam id.
    pub exam: String,
    /// This part's number, 1 for the first.
    pub part: u16,
    /// The exam's code in the site file.
    pub code: String,
    /// Its title.
    pub title: String,
    /// How long this part was to record, in seconds.
    pub planned_secs: u32,
    /// When this part began recording, ms since the epoch.
    pub started_ms: u64,
    /// When the part was cut (its files' last write), set by recovery; `None` while it runs.
    #[serde(default)]
    pub cut_ms: Option<u64>,
    /// The sealed part's journal head (hex, as in its manifest), set by recovery: the next
    /// part names it, so the parts are chained.
    #[serde(default)]
    pub head: Option<String>,
}

/// An interrupted exam that may be resumed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumable {
    /// The record of the interrupted part.
    pub record: Record,
    /// Seconds of recording left.
    pub left_secs: u32,
    /// Seconds between the cut and now.
    pub lost_secs: u32,
}

impl Record {
    /// The record's path in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE)
    }

    /// Loads the record, if there is one. A record that does not parse is reported (file and
    /// why) and left for a person to look at.
    pub fn load(data_dir: &Path) -> Result<Option<Record>, ExamError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(bundle::Error::io(&path, e).into()),
        };
        serde_json::from_slice(&text).map(Some).map_err(|e| {
            ExamError::Recorder(format!(
                "{}: line {} column {}: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })
    }

    /// Writes the record durably (a power cut leaves the old one or the new one).
    pub fn save(&self, data_dir: &Path) -> Result<(), ExamError> {
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| ExamError::Recorder(format!("resume record: {e}")))?;
        bundle::fsutil::write_atomic(&Self::path(data_dir), &json)?;
        Ok(())
    }

    /// Removes the record (no exam to resume).
    pub fn clear(data_dir: &Path) -> Result<(), ExamError> {
        let path = Self::path(data_dir);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(bundle::fsutil::sync_dir(&path)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(bundle::Error::io(&path, e).into()),
        }
    }

    /// Whether, and for how long, the part may be resumed at `now_ms`: only once recovery has
    /// sealed it (`cut_ms` set) and while recording time is left.
    pub fn resumable(&self, now_ms: u64) -> Option<Resumable> {
        let cut = self.cut_ms.filter(|_| self.head.is_some())?;
        let recorded = cut.saturating_sub(self.started_ms) / 1000;
        let left = u64::from(self.planned_secs).saturating_sub(recorded);
        (left > 0).then(|| Resumable {
            record: self.clone(),
            left_secs: left as u32,
            lost_secs: (now_ms.saturating_sub(cut) / 1000).min(u32::MAX.into()) as u32,
        })
    }

    /// The record of the part after this one, starting at `now_ms` for `planned_secs`.
    pub fn next(&self, exam: &str, now_ms: u64, planned_secs: u32) -> Record {
        Record {
            first: self.first.clone(),
            exam: exam.to_owned(),
            part: self.part + 1,
            code: self.code.clone(),
            title: self.title.clone(),
            planned_secs,
            started_ms: now_ms,
            cut_ms: None,
            head: None,
        }
    }
}

/// The id of part `part` of the exam whose first part is `first`.
pub fn part_id(first: &str, part: u16) -> String {
    format!("{first}-p{part}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            first: "20261130-170249-0c69f6".into(),
            exam: "20261130-170249-0c69f6".into(),
            part: 1,
            code: "MATH101".into(),
            title: "Calculus".into(),
            planned_secs: 3600,
            started_ms: 1_000_000,
            cut_ms: None,
            head: None,
        }
    }

    #[test]
    fn a_running_part_is_not_resumable_until_recovery_marks_the_cut() {
        let mut r = record();
        assert_eq!(r.resumable(9_000_000), None);
        r.cut_ms = Some(1_000_000 + 600_000);
        assert_eq!(r.resumable(9_000_000), None, "not sealed yet: no head");
        r.head = Some("ab".repeat(32));
        let ok = r.resumable(1_000_000 + 900_000).unwrap();
        assert_eq!((ok.left_secs, ok.lost_secs), (3000, 300));
        r.cut_ms = Some(1_000_000 + 3_600_000);
        assert_eq!(r.resumable(9_000_000), None, "time was up at the cut");
        let n = record().next(&part_id(&r.first, 2), 5_000_000, 3000);
        assert_eq!(
            (n.part, n.exam.as_str(), n.cut_ms),
            (2, "20261130-170249-0c69f6-p2", None)
        );
    }

    #[test]
    fn saved_loaded_cleared_and_bad_files_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Record::load(dir.path()).unwrap(), None);
        record().save(dir.path()).unwrap();
        assert_eq!(Record::load(dir.path()).unwrap(), Some(record()));
        Record::clear(dir.path()).unwrap();
        Record::clear(dir.path()).unwrap();
        assert_eq!(Record::load(dir.path()).unwrap(), None);
        std::fs::write(dir.path().join(FILE), "{\n \"first\": 3\n}").unwrap();
        let e = Record::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("resume.json: line 2"), "{e}");
    }
}

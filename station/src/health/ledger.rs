//! The station's own health facts, kept in `DATA_DIR/health/` between reports: the exams it
//! sealed (`exams.json`), the last self-test (`selftest.json`) and the count of unclean
//! shutdowns (`unclean`). Writing them never fails an exam: a fact that cannot be kept is
//! logged and the report says less.

use std::path::Path;

use bundle::event::EndReason;
use bundle::health::{DeviceCheck, ExamRecord, MAX_EXAMS};
use bundle::manifest::Manifest;
use serde::{Deserialize, Serialize};

use bundle::health::dir;

const EXAMS: &str = "exams.json";
const SELFTEST: &str = "selftest.json";
const UNCLEAN: &str = "unclean";

/// The last self-test as kept on disk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SelfTest {
    /// When it ran, RFC 3339.
    pub at: String,
    /// Its result per device.
    pub checks: Vec<DeviceCheck>,
}

fn read_json<T: serde::de::DeserializeOwned + Default>(path: &Path) -> T {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_else(|e| {
            tracing::warn!("{}: unreadable, started afresh: {e}", path.display());
            T::default()
        }),
        Err(_) => T::default(),
    }
}

fn write_json<T: Serialize>(data_dir: &Path, name: &str, v: &T) {
    let d = dir(data_dir);
    let path = d.join(name);
    let r = std::fs::create_dir_all(&d)
        .map_err(|e| bundle::Error::io(&d, e))
        .and_then(|_| {
            bundle::fsutil::write_atomic(&path, &serde_json::to_vec_pretty(v).unwrap_or_default())
        });
    if let Err(e) = r {
        tracing::warn!("health: {e}");
    }
}

/// The exams sealed on this station, oldest first.
pub fn exams(data_dir: &Path) -> Vec<ExamRecord> {
    read_json(&dir(data_dir).join(EXAMS))
}

/// Adds a just-sealed bundle to the exams list (its id, end reason, times and sealed size).
pub fn sealed(data_dir: &Path, m: &Manifest, reason: &EndReason) {
    let manifest_bytes = m.to_json().len() as u64;
    let mut list = exams(data_dir);
    list.retain(|e| e.exam != m.exam);
    list.push(ExamRecord {
        exam: m.exam.clone(),
        exam_date: m.exam_date.clone(),
        end_reason: format!("{reason:?}"),
        ended_at: m.ended_at.clone(),
        sealed_at: bundle::rfc3339(bundle::journal::now_ms()),
        bytes: m.files.iter().map(|f| f.size).sum::<u64>() + manifest_bytes,
        ..Default::default()
    });
    let excess = list.len().saturating_sub(MAX_EXAMS);
    list.drain(..excess);
    write_json(data_dir, EXAMS, &list);
}

/// The last self-test kept.
pub fn selftest(data_dir: &Path) -> SelfTest {
    read_json(&dir(data_dir).join(SELFTEST))
}

/// Keeps the result of a self-test run now (`crate::selftest::Check::record` of each check).
pub fn save_selftest(data_dir: &Path, checks: impl IntoIterator<Item = DeviceCheck>) {
    let kept = SelfTest {
        at: bundle::rfc3339(bundle::journal::now_ms()),
        checks: checks.into_iter().collect(),
    };
    write_json(data_dir, SELFTEST, &kept);
}

/// Unclean shutdowns counted so far.
pub fn unclean(data_dir: &Path) -> u64 {
    std::fs::read_to_string(dir(data_dir).join(UNCLEAN))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Counts `n` more unclean shutdowns (exams found cut short and sealed on recovery).
pub fn add_unclean(data_dir: &Path, n: u64) {
    if n > 0 {
        write_json(data_dir, UNCLEAN, &(unclean(data_dir) + n));
    }
}

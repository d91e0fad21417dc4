//! The station's health report: what IT needs to know about a station without walking to it,
//! signed with the station key and free of anything personal.
//!
//! `stationd` writes it (`DATA_DIR/health/report.json` and `report.prom`) at boot, after the
//! self-test, after each exam and after each upload attempt it hears of; `uplinkd` pushes it to
//! `[<prefix>/]health/<station>.json` in the central bucket (never during an exam), and the
//! institution's `examctl fleet` reads every station's. Schema: [`SCHEMA`]; the fields are
//! documented below and in docs/FLEET.md.
//!
//! Two facts come from `uplinkd`, which holds no signing key: its attempts and errors
//! ([`UplinkFacts`], `DATA_DIR/uplink/health.json`). The station reads them into the next
//! report it signs.
//!
//! What the report never holds: a student number, a name, an exam's title or anything a student
//! typed or was recorded doing. Exams are named by their id (time-based, random suffix).

mod prom;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::keys::{verify_signature, StationKey};

pub use prom::to_prometheus;

/// Schema name and version of [`Report`].
pub const SCHEMA: &str = "exam-station/health/1";
/// The report's file name in the station's `health/` folder.
pub const FILE: &str = "report.json";
/// The same figures in Prometheus text format.
pub const PROM_FILE: &str = "report.prom";
/// How many exams a report lists (newest kept).
pub const MAX_EXAMS: usize = 100;

/// The station's health folder in its data folder, `DATA_DIR/health/`: the station writes it,
/// the uplink reads and pushes the report in it.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("health")
}

/// The signed report: `DATA_DIR/health/report.json`.
pub fn report_path(data_dir: &Path) -> PathBuf {
    dir(data_dir).join(FILE)
}

/// Where the uplink keeps its part of the report: `DATA_DIR/uplink/health.json`.
pub fn uplink_facts_path(data_dir: &Path) -> PathBuf {
    data_dir.join("uplink").join("health.json")
}

/// One station's signed health report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: String,
    /// Station id (site file or enrolled identity).
    pub station: String,
    /// Where it stands (e.g. "Hall B, seat 7").
    pub location: String,
    /// Board name (`board.name`).
    pub board: String,
    /// The station software's version.
    pub software: String,
    /// The image it runs (os-release `IMAGE_VERSION`: version and build hash); empty off an
    /// image.
    pub image: String,
    /// When the report was written, RFC 3339 UTC (the station's clock).
    pub written_at: String,
    /// The same, ms since the epoch.
    pub written_ms: u64,
    /// Why it was written: `boot`, `selftest`, `exam`, `upload` or `manual`.
    pub reason: String,
    /// How the station booted.
    pub boot: Boot,
    /// The last self-test, one entry per device family.
    pub selftest: Vec<DeviceCheck>,
    /// When that self-test ran, RFC 3339 (empty: none yet).
    pub selftest_at: String,
    /// The data partition.
    pub disk: Disk,
    /// Sealed bundles waiting to be uploaded.
    pub pending: Pending,
    /// The exams this station sealed, newest last (at most [`MAX_EXAMS`]), with their chain of
    /// custody.
    pub exams: Vec<ExamRecord>,
    /// What the uplink did.
    pub uploads: Uploads,
    /// Exams found cut short at start (crash or power cut) and sealed as interrupted, in all.
    pub unclean_shutdowns: u64,
    /// Central store's clock minus the station's, ms, measured by the uplink at its last
    /// request (absent until then).
    pub clock_offset_ms: Option<i64>,
    /// The station's ed25519 public key, hex.
    pub station_key: String,
    /// ed25519 signature over the report serialized with `signature` empty, hex.
    pub signature: String,
}

/// `boot`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boot {
    /// Secure Boot as the firmware reports it: `on`, `off`, `setup mode` or `unknown`.
    pub secure_boot: String,
    /// A TPM 2.0 was found.
    pub tpm: bool,
    /// The station runs with an enrolled identity from its stick.
    pub enrolled: bool,
}

/// One device's self-test.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCheck {
    /// Device family (`camera`, `microphone`, ...).
    pub device: String,
    /// Passed?
    pub passed: bool,
    /// What was measured, or why it failed.
    pub detail: String,
}

/// `disk`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disk {
    /// Free bytes on the data partition (for an unprivileged writer).
    pub free_bytes: u64,
    /// Its size.
    pub total_bytes: u64,
}

/// `pending`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// Sealed bundles in the spool.
    pub count: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The oldest one's exam id.
    pub oldest_exam: Option<String>,
    /// When it was sealed (its manifest's end), RFC 3339.
    pub oldest_sealed_at: Option<String>,
    /// Its age when the report was written, seconds.
    pub oldest_age_secs: Option<u64>,
}

/// One sealed exam and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamRecord {
    /// Exam id (one part's id for an exam in several parts).
    pub exam: String,
    /// Its manifest's `exam_date` (the central folder it goes to).
    pub exam_date: String,
    /// `TimeUp`, `Submitted`, `Proctor`, `Interrupted` or `CheckInCancelled`.
    pub end_reason: String,
    /// Its end, RFC 3339.
    pub ended_at: String,
    /// When it was sealed, RFC 3339.
    pub sealed_at: String,
    /// Sealed size, bytes.
    pub bytes: u64,
    /// The uplink's first attempt at it, RFC 3339.
    pub first_attempt_at: Option<String>,
    /// When its central copy was verified (and the local one deleted), RFC 3339.
    pub verified_at: Option<String>,
    /// The kind of the last upload error, while not verified.
    pub last_error: Option<String>,
}

/// `uploads`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Uploads {
    /// Bundle upload attempts.
    pub attempts: u64,
    /// Failed attempts by kind (`network`, `server`, `denied`, `mismatch`, `bundle`, `local`,
    /// `config`).
    pub errors: BTreeMap<String, u64>,
    /// The last attempt, RFC 3339.
    pub last_attempt_at: Option<String>,
    /// The last bundle verified centrally, RFC 3339.
    pub last_verified_at: Option<String>,
}

/// What `uplinkd` records for the station's next report (`DATA_DIR/uplink/health.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UplinkFacts {
    /// Attempts and errors.
    pub uploads: Uploads,
    /// Per exam id: first attempt, verified, last error kind.
    pub exams: BTreeMap<String, Custody>,
    /// See [`Report::clock_offset_ms`].
    pub clock_offset_ms: Option<i64>,
}

/// The uplink's part of one exam's chain of custody.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Custody {
    /// First attempt, RFC 3339.
    pub first_attempt_at: Option<String>,
    /// Verified centrally, RFC 3339.
    pub verified_at: Option<String>,
    /// Kind of the last error while not verified.
    pub last_error: Option<String>,
}

impl UplinkFacts {
    /// Parses the uplink's facts file; `what` names it in errors.
    pub fn parse(text: &[u8], what: &str) -> Result<Self, String> {
        parse_json(text, what)
    }

    /// The uplink's facts of the station whose data folder is `data_dir` (none recorded yet:
    /// empty); the error names the file.
    pub fn load(data_dir: &Path) -> Result<Self, String> {
        let path = uplink_facts_path(data_dir);
        match std::fs::read(&path) {
            Ok(b) => Self::parse(&b, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

impl Report {
    fn signed_bytes(&self) -> Vec<u8> {
        let mut r = self.clone();
        r.signature.clear();
        serde_json::to_vec(&r).expect("report serializes")
    }

    /// Fills `station_key` and `signature`.
    pub fn sign(&mut self, key: &StationKey) {
        self.station_key = key.public_hex();
        self.signature = hex::encode(key.sign(&self.signed_bytes()));
    }

    /// Checks the signature against the embedded station key.
    pub fn verify_signature(&self) -> Result<(), String> {
        verify_signature(&self.station_key, &self.signed_bytes(), &self.signature)
    }

    /// Parses a report; errors name `what`, the field and the position. Refuses another schema.
    pub fn parse(text: &[u8], what: &str) -> Result<Self, String> {
        let r: Report = parse_json(text, what)?;
        if r.schema != SCHEMA {
            return Err(format!("{what}: schema {:?} is not {SCHEMA:?}", r.schema));
        }
        Ok(r)
    }

    /// Pretty JSON, as written to disk and pushed.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("report serializes");
        v.push(b'\n');
        v
    }

    /// The last exam sealed, if any.
    pub fn last_exam(&self) -> Option<&ExamRecord> {
        self.exams.last()
    }

    /// Devices whose self-test failed.
    pub fn failed_devices(&self) -> Vec<&str> {
        self.selftest
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.device.as_str())
            .collect()
    }

    /// One short line for a QR code on the readiness card: station, image, self-test, free
    /// space, pending uploads, unclean shutdowns, time.
    pub fn summary(&self) -> String {
        let tests: Vec<String> = self
            .selftest
            .iter()
            .map(|c| format!("{}={}", c.device, if c.passed { "ok" } else { "FAIL" }))
            .collect();
        format!(
            "exam-station health {} image={} {} free={}MiB pending={}/{}MiB unclean={} at={}",
            self.station,
            if self.image.is_empty() {
                "-"
            } else {
                &self.image
            },
            tests.join(" "),
            self.disk.free_bytes >> 20,
            self.pending.count,
            self.pending.bytes >> 20,
            self.unclean_shutdowns,
            self.written_at
        )
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &[u8], what: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        format!(
            "{what}:{}:{}: {}{inner}",
            inner.line(),
            inner.column(),
            if path == "." {
                String::new()
            } else {
                format!("field {path}: ")
            }
        )
    })
}

/// Fuzz entry: arbitrary bytes into the report and uplink-facts parsers, then the signature
/// check, the Prometheus text and the summary. Must never panic.
pub fn fuzz(data: &[u8]) {
    if let Ok(r) = Report::parse(data, "fuzz") {
        let _ = r.verify_signature();
        let _ = to_prometheus(&r);
        let _ = r.summary();
    }
    let _ = UplinkFacts::parse(data, "fuzz");
}

#[cfg(test)]
mod tests;

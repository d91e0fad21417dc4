//! The station's health report, uplink side. `uplinkd` holds no signing key: it records its
//! attempts, errors by kind, each exam's chain of custody and the store's clock in
//! `DATA_DIR/uplink/health.json` ([`Facts`]), which the station reads into the next report it
//! signs; and it pushes the station's signed report (`DATA_DIR/health/report.json`) to
//! `[<prefix>/]health/<station>.json` (and `.prom`) with the station's own write-only
//! credentials, at the start of every pass, never during an exam, only when it changed.

use std::path::{Path, PathBuf};

use bundle::health::{self, Report, UplinkFacts};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::UplinkError;
use crate::log::Log;
use crate::store::CentralStore;

/// `[<prefix>/]health/<station>` (add `.json` or `.prom`).
pub fn report_key(prefix: &str, station: &str) -> String {
    crate::store::key_under(prefix, &format!("health/{station}"))
}

/// The kind of an upload error, as the report counts them: `network` (transport, timeouts),
/// `server` (5xx, throttling), `denied` (403), `refused` (other 4xx), `mismatch` (the central
/// copy differs), `bundle` (the local bundle does not verify), `local` (disk, state) or
/// `config`.
pub fn error_kind(e: &UplinkError) -> &'static str {
    match e {
        UplinkError::Residency { .. } | UplinkError::Config { .. } => "config",
        UplinkError::Io { .. } | UplinkError::State { .. } => "local",
        UplinkError::Bundle { .. } => "bundle",
        UplinkError::Mismatch { .. } => "mismatch",
        UplinkError::Store { why, retryable, .. } => {
            let http = why.split("HTTP ").nth(1).and_then(|s| s.get(..3));
            match (http, retryable) {
                (Some("403"), _) => "denied",
                (Some(_), true) => "server",
                (Some(_), false) => "refused",
                (None, _) => "network",
            }
        }
    }
}

/// The uplink's facts, loaded, changed by a pass and saved.
#[derive(Debug)]
pub struct Facts {
    path: PathBuf,
    /// What is recorded.
    pub facts: UplinkFacts,
    changed: bool,
}

fn now() -> String {
    bundle::rfc3339(bundle::journal::now_ms())
}

impl Facts {
    /// Loads the facts of `data_dir` (an unreadable file starts afresh, logged).
    pub fn load(data_dir: &Path) -> Facts {
        let path = health::uplink_facts_path(data_dir);
        let facts = UplinkFacts::load(data_dir).unwrap_or_else(|e| {
            tracing::warn!("{e}: started afresh");
            UplinkFacts::default()
        });
        Facts {
            path,
            facts,
            changed: false,
        }
    }

    /// An attempt at `exam` starts.
    pub fn attempt(&mut self, exam: &str) {
        let at = now();
        let u = &mut self.facts.uploads;
        u.attempts += 1;
        u.last_attempt_at = Some(at.clone());
        let c = self.facts.exams.entry(exam.to_owned()).or_default();
        c.first_attempt_at.get_or_insert(at);
        self.changed = true;
    }

    /// `exam` was verified centrally (and deleted locally).
    pub fn verified(&mut self, exam: &str) {
        let at = now();
        self.facts.uploads.last_verified_at = Some(at.clone());
        let c = self.facts.exams.entry(exam.to_owned()).or_default();
        c.verified_at = Some(at);
        c.last_error = None;
        self.changed = true;
    }

    /// The attempt at `exam` failed with `e`.
    pub fn failed(&mut self, exam: &str, e: &UplinkError) {
        let kind = error_kind(e);
        *self.facts.uploads.errors.entry(kind.into()).or_default() += 1;
        self.facts
            .exams
            .entry(exam.to_owned())
            .or_default()
            .last_error = Some(kind.into());
        self.changed = true;
    }

    /// The store's clock was `server_ms` when the station's was `local_ms`.
    pub fn clock(&mut self, server_ms: u64, local_ms: u64) {
        self.facts.clock_offset_ms = Some(server_ms as i64 - local_ms as i64);
    }

    /// Writes the facts if an attempt changed them (the station then signs a new report).
    /// Exams verified more than [`health::MAX_EXAMS`] entries ago are forgotten.
    pub fn save(&mut self) -> Result<(), UplinkError> {
        if !self.changed {
            return Ok(());
        }
        let excess = self.facts.exams.len().saturating_sub(health::MAX_EXAMS);
        let old: Vec<String> = self
            .facts
            .exams
            .iter()
            .filter(|(_, c)| c.verified_at.is_some())
            .map(|(k, _)| k.clone())
            .take(excess)
            .collect();
        old.iter().for_each(|k| {
            self.facts.exams.remove(k);
        });
        if let Some(d) = self.path.parent() {
            std::fs::create_dir_all(d).map_err(|e| UplinkError::io(d, e))?;
        }
        let text = serde_json::to_vec_pretty(&self.facts).unwrap_or_default();
        bundle::fsutil::write_atomic(&self.path, &text)?;
        self.changed = false;
        Ok(())
    }
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The station writes its report right after a bundle's manifest, which wakes the uplink: when
/// a sealed bundle is newer than the report, waits (at most 3 s) for the report that names it,
/// so that report goes before the bundle.
fn wait_for_report(data_dir: &Path, report: &Path) {
    let Some(mut written) = modified(report) else {
        return;
    };
    let newest = crate::spool::pending(data_dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| modified(&d.join(bundle::manifest::FILE)))
        .max();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while newest.is_some_and(|n| n > written) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        written = modified(report).unwrap_or(written);
    }
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// No report on the station yet.
    NoReport,
    /// The report was pushed before as it is.
    Unchanged,
    /// Pushed to this key (`.json`; the `.prom` beside it).
    To(String),
}

/// Pushes the station's report if it changed since the last push. A report that does not
/// parse, or names another station than `station`, is refused (logged), never pushed.
pub fn push(
    store: &dyn CentralStore,
    data_dir: &Path,
    prefix: &str,
    station: &str,
    facts: &mut Facts,
    log: &Log,
) -> Result<Pushed, UplinkError> {
    let path = health::report_path(data_dir);
    wait_for_report(data_dir, &path);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Pushed::NoReport),
        Err(e) => return Err(UplinkError::io(&path, e)),
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    let marker = crate::upload::uplink_dir(data_dir).join("health-pushed");
    if std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == sha) {
        return Ok(Pushed::Unchanged);
    }
    let bad = |why: String| UplinkError::Config {
        field: path.display().to_string(),
        why,
    };
    let report = Report::parse(&bytes, &path.display().to_string()).map_err(bad)?;
    if report.station != station {
        return Err(bad(format!(
            "the report is station {:?}'s, this is {station:?}",
            report.station
        )));
    }
    let key = report_key(prefix, station);
    let sent_at = bundle::journal::now_ms();
    let server = store.put(&format!("{key}.json"), &bytes)?;
    store.put(
        &format!("{key}.prom"),
        health::to_prometheus(&report).as_bytes(),
    )?;
    if let Some(ms) = server {
        facts.clock(ms, sent_at);
    }
    bundle::fsutil::write_atomic(&marker, sha.as_bytes())?;
    log.event(
        "health_pushed",
        "",
        json!({"key": format!("{key}.json"), "written_at": report.written_at, "reason": report.reason}),
        false,
    );
    Ok(Pushed::To(format!("{key}.json")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_follow_the_http_answer() {
        let store = |why: &str, retryable| UplinkError::Store {
            key: "k".into(),
            why: why.into(),
            retryable,
        };
        assert_eq!(
            error_kind(&store("PUT part 3: connection reset", true)),
            "network"
        );
        assert_eq!(
            error_kind(&store("PutObject: HTTP 503 SlowDown", true)),
            "server"
        );
        assert_eq!(
            error_kind(&store("PutObject: HTTP 403 AccessDenied", false)),
            "denied"
        );
        assert_eq!(
            error_kind(&store("PutObject: HTTP 400 BadDigest", false)),
            "refused"
        );
        assert_eq!(report_key("", "hall-b-07"), "health/hall-b-07");
        assert_eq!(
            report_key("/stations/hall-b-07/", "hall-b-07"),
            "stations/hall-b-07/health/hall-b-07"
        );
    }
}

//! The station's health report ([`bundle::health::Report`]): composed from the station's own
//! facts ([`ledger`]), its spool and data partition, and what `uplinkd` recorded of its
//! attempts (`DATA_DIR/uplink/health.json`); signed with the station key and written to
//! `DATA_DIR/health/report.json` and `report.prom` (the data partition is on the stick, so the
//! last report travels with it). `uplinkd` pushes it; it holds nothing personal.

pub mod ledger;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bundle::health::{self, Boot, Disk, Pending, Report, UplinkFacts};
use bundle::manifest::Manifest;

use crate::station::Station;

/// Sealed bundles in the spool: count, bytes, the oldest's id, seal time and age.
fn pending(spool: &Path, now_ms: u64) -> Pending {
    let mut p = Pending::default();
    let dirs = bundle::spool::exams(spool, bundle::spool::is_sealed).unwrap_or_default();
    let mut oldest: Option<(u64, Manifest)> = None;
    for d in dirs {
        let Ok(m) = Manifest::load(&d) else { continue };
        p.count += 1;
        p.bytes += m.files.iter().map(|f| f.size).sum::<u64>();
        let at = bundle::rfc3339_ms(&m.ended_at).unwrap_or(now_ms);
        if oldest.as_ref().is_none_or(|(t, _)| at < *t) {
            oldest = Some((at, m));
        }
    }
    if let Some((at, m)) = oldest {
        p.oldest_exam = Some(m.exam);
        p.oldest_sealed_at = Some(m.ended_at);
        p.oldest_age_secs = Some(now_ms.saturating_sub(at) / 1000);
    }
    p
}

/// The report as of now, unsigned. `reason`: `boot`, `selftest`, `exam`, `upload`, `manual`.
pub fn compose(station: &Station, reason: &str) -> Report {
    let now = bundle::journal::now_ms();
    let data = &station.data_dir;
    let facts = UplinkFacts::load(data).unwrap_or_else(|e| {
        tracing::warn!("health: {e}");
        UplinkFacts::default()
    });
    let test = ledger::selftest(data);
    let mut exams = ledger::exams(data);
    for e in &mut exams {
        if let Some(c) = facts.exams.get(&e.exam) {
            e.first_attempt_at = c.first_attempt_at.clone();
            e.verified_at = c.verified_at.clone();
            e.last_error = c.last_error.clone().filter(|_| c.verified_at.is_none());
        }
    }
    let (free_bytes, total_bytes) = crate::storage::usage(data).unwrap_or((0, 0));
    let sys = Path::new("/sys");
    Report {
        schema: health::SCHEMA.into(),
        station: station.site.station.id.clone(),
        location: station.site.station.location.clone(),
        board: station.board.board.name.clone(),
        software: env!("CARGO_PKG_VERSION").into(),
        image: station.image.clone(),
        written_at: bundle::rfc3339(now),
        written_ms: now,
        reason: reason.into(),
        boot: Boot {
            secure_boot: crate::platform::secure_boot(sys).into(),
            tpm: crate::platform::has_tpm(sys),
            enrolled: station.enrolled,
        },
        selftest: test.checks,
        selftest_at: test.at,
        disk: Disk {
            free_bytes,
            total_bytes,
        },
        pending: pending(&station.spool(), now),
        exams,
        uploads: facts.uploads,
        unclean_shutdowns: ledger::unclean(data),
        clock_offset_ms: facts.clock_offset_ms,
        station_key: String::new(),
        signature: String::new(),
    }
}

/// Composes, signs and writes the report (`report.json`, then `report.prom`).
pub fn write(station: &Station, reason: &str) -> Result<Report, bundle::Error> {
    let mut r = compose(station, reason);
    r.sign(&station.key);
    let dir = health::dir(&station.data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| bundle::Error::io(&dir, e))?;
    bundle::fsutil::write_atomic(&dir.join(health::FILE), &r.to_json())?;
    bundle::fsutil::write_atomic(
        &dir.join(health::PROM_FILE),
        health::to_prometheus(&r).as_bytes(),
    )?;
    Ok(r)
}

/// Writes the report, logging (never returning) a failure: a report that cannot be written
/// must not stop the station.
pub fn write_logged(station: &Station, reason: &str) -> Option<Report> {
    match write(station, reason) {
        Ok(r) => {
            tracing::info!("health report written ({reason})");
            Some(r)
        }
        Err(e) => {
            tracing::warn!("health report not written: {e}");
            None
        }
    }
}

/// Rewrites the report when `uplinkd` has recorded an upload attempt since the last one
/// (checked at most every [`Refresher::EVERY`]).
pub struct Refresher {
    station: Arc<Station>,
    seen: Option<SystemTime>,
    checked: Instant,
}

impl Refresher {
    /// How often the uplink's facts are looked at.
    pub const EVERY: Duration = Duration::from_secs(2);

    /// A refresher for `station`, taking the uplink's current facts as already reported.
    pub fn new(station: Arc<Station>) -> Self {
        let seen = Self::stamp(&station);
        Refresher {
            station,
            seen,
            checked: Instant::now(),
        }
    }

    fn stamp(station: &Station) -> Option<SystemTime> {
        std::fs::metadata(health::uplink_facts_path(&station.data_dir))
            .and_then(|m| m.modified())
            .ok()
    }

    /// Called often; writes a report (reason `upload`) when the uplink's facts changed.
    pub fn poll(&mut self) -> Option<Report> {
        if self.checked.elapsed() < Self::EVERY {
            return None;
        }
        self.checked = Instant::now();
        let now = Self::stamp(&self.station);
        if now == self.seen {
            return None;
        }
        self.seen = now;
        write_logged(&self.station, "upload")
    }
}

#[cfg(test)]
mod tests;

//! Which stations need attention, and why; which sealed exams never arrived (reconciliation:
//! every exam a station's report lists as sealed and not yet verified is looked for in the
//! bucket, and one missing for longer than `late_after` is named with its age).

use std::collections::BTreeMap;
use std::time::Duration;

use bundle::health::ExamRecord;

use super::{Collected, Seen};
use crate::store::CentralStore;

/// The thresholds of a judgement.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Now, ms since the epoch.
    pub now_ms: u64,
    /// A report older than this is stale.
    pub stale_after: Duration,
    /// An exam sealed this long ago and not arrived centrally is missing.
    pub late_after: Duration,
    /// Less free space on a station's data partition than this needs attention.
    pub min_free_bytes: u64,
}

impl Rules {
    /// Now, a report stale after 2 days, an exam late after 6 hours, 1 GiB free at least.
    pub fn new() -> Rules {
        Rules {
            now_ms: bundle::journal::now_ms(),
            stale_after: Duration::from_secs(48 * 3600),
            late_after: Duration::from_secs(6 * 3600),
            min_free_bytes: 1 << 30,
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new()
    }
}

/// An exam a station sealed that is not verified centrally yet.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The exam as the station reported it.
    pub exam: ExamRecord,
    /// Seconds since it was sealed.
    pub age_secs: u64,
    /// Whether its bundle (with its manifest, so complete) is in the bucket; `None`: not
    /// looked for (no bucket).
    pub arrived: Option<bool>,
}

impl Waiting {
    /// Sealed, not arrived, and older than the rules allow.
    pub fn missing(&self, rules: &Rules) -> bool {
        self.arrived == Some(false) && self.age_secs >= rules.late_after.as_secs()
    }
}

/// One station judged.
#[derive(Debug, Clone)]
pub struct Station {
    /// Its newest report.
    pub seen: Seen,
    /// Seconds since that report was written.
    pub age_secs: u64,
    /// Exams sealed and not verified yet.
    pub waiting: Vec<Waiting>,
    /// Why it needs attention (empty: healthy).
    pub reasons: Vec<String>,
}

/// The whole fleet judged.
#[derive(Debug, Default)]
pub struct Fleet {
    /// One per station that reported, by id.
    pub stations: Vec<Station>,
    /// Registered stations that never reported.
    pub silent: Vec<String>,
    /// Reports that could not be read.
    pub unreadable: Vec<String>,
}

impl Fleet {
    /// Whether anything needs a person: a station with reasons, a silent station, an
    /// unreadable report.
    pub fn attention(&self) -> bool {
        self.stations.iter().any(|s| !s.reasons.is_empty())
            || !self.silent.is_empty()
            || !self.unreadable.is_empty()
    }
}

/// A duration in seconds, short: `45s`, `12m`, `3h 5m`, `2d 4h`.
pub fn age(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s => format!("{}d {}h", s / 86400, s % 86400 / 3600),
    }
}

/// Whether exam `e` of the station seen in `s` arrived: its folder under
/// `<root>/recordings/<date>/<station>/<exam>/` holds `manifest.json` (the uplink sends it
/// last, after every other file was verified).
fn arrived(store: &dyn CentralStore, s: &Seen, e: &ExamRecord) -> Option<bool> {
    let root = s.root.as_deref()?;
    let prefix = crate::store::key_under(
        root,
        &format!(
            "recordings/{}/{}/{}/",
            e.exam_date, s.report.station, e.exam
        ),
    );
    let listed = store.list(&prefix).ok()?;
    Some(
        listed
            .iter()
            .any(|o| o.key == format!("{prefix}{}", bundle::manifest::FILE)),
    )
}

/// Judges every station of `c` by `rules`; with a store, looks for every exam not verified.
pub fn judge(c: Collected, rules: &Rules, store: Option<&dyn CentralStore>) -> Fleet {
    // Every exam not verified yet, looked for in the bucket at once.
    let open: Vec<(usize, &ExamRecord)> = c
        .seen
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.report
                .exams
                .iter()
                .filter(|e| e.verified_at.is_none())
                .map(move |e| (i, e))
        })
        .collect();
    let found = super::par_map(&open, |(i, e)| {
        store.and_then(|st| arrived(st, &c.seen[*i], e))
    });
    let mut found = found.into_iter();
    let mut stations = Vec::new();
    for seen in c.seen {
        let r = &seen.report;
        let age_secs = rules.now_ms.saturating_sub(r.written_ms) / 1000;
        let waiting: Vec<Waiting> = r
            .exams
            .iter()
            .filter(|e| e.verified_at.is_none())
            .map(|e| Waiting {
                exam: e.clone(),
                // Its age now: the report's clock for the seal, ours for now.
                age_secs: rules
                    .now_ms
                    .saturating_sub(bundle::rfc3339_ms(&e.sealed_at).unwrap_or(r.written_ms))
                    / 1000,
                arrived: found.next().flatten(),
            })
            .collect();
        let mut reasons = Vec::new();
        if let Some(why) = &seen.untrusted {
            reasons.push(format!("report not trusted: {why}"));
        }
        if age_secs > rules.stale_after.as_secs() {
            reasons.push(format!("last report {} ago", age(age_secs)));
        }
        let failed = r.failed_devices();
        if !failed.is_empty() {
            reasons.push(format!("self-test failed: {}", failed.join(", ")));
        }
        let missing: Vec<&Waiting> = waiting.iter().filter(|w| w.missing(rules)).collect();
        if !missing.is_empty() {
            reasons.push(format!(
                "{} exam(s) sealed but not arrived: {}",
                missing.len(),
                missing
                    .iter()
                    .map(|w| format!("{} ({} ago)", w.exam.exam, age(w.age_secs)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut errors: BTreeMap<&str, u32> = BTreeMap::new();
        // Errors of exams that have not arrived after all.
        let failing = waiting.iter().filter(|w| w.arrived != Some(true));
        for e in failing.filter_map(|w| w.exam.last_error.as_deref()) {
            *errors.entry(e).or_default() += 1;
        }
        if !errors.is_empty() {
            let kinds: Vec<String> = errors.iter().map(|(k, n)| format!("{k} x{n}")).collect();
            reasons.push(format!("uploads failing: {}", kinds.join(", ")));
        }
        if r.disk.total_bytes > 0 && r.disk.free_bytes < rules.min_free_bytes {
            reasons.push(format!("{} MiB free", r.disk.free_bytes >> 20));
        }
        stations.push(Station {
            seen,
            age_secs,
            waiting,
            reasons,
        });
    }
    Fleet {
        stations,
        silent: c.silent,
        unreadable: c.unreadable,
    }
}

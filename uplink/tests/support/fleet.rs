//! Generated health reports for the fleet's tests and bench: stations that are healthy, whose
//! camera failed, whose exam was sealed hours ago and never arrived, or that went silent.

use bundle::health::{Boot, DeviceCheck, Disk, ExamRecord, Pending, Report, Uploads, SCHEMA};
use bundle::keys::StationKey;

/// What a generated station is like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// All passed, every exam verified.
    Healthy,
    /// The camera failed its self-test.
    CameraFailed,
    /// An exam sealed three hours ago, upload failing, not in the bucket.
    Stuck,
    /// Last report three days ago.
    Stale,
}

/// The exam id of station number `n`'s exam `k`.
pub fn exam_id(n: usize, k: usize) -> String {
    format!("20261130-{:02}{:02}00-{n:06x}", 8 + k, n % 60)
}

/// A signed report of station `id` (number `n`) of kind `kind`, written at `now_ms` (or three
/// days before, for [`Kind::Stale`]).
pub fn report(id: &str, n: usize, key: &StationKey, now_ms: u64, kind: Kind) -> Report {
    let at = match kind {
        Kind::Stale => now_ms - 3 * 86_400_000,
        _ => now_ms,
    };
    let t = bundle::rfc3339;
    let selftest = [
        "camera",
        "microphone",
        "display",
        "input",
        "recorder",
        "indicator",
    ]
    .iter()
    .map(|d| DeviceCheck {
        device: d.to_string(),
        passed: !(kind == Kind::CameraFailed && *d == "camera"),
        detail: format!("{d}: checked"),
    })
    .collect();
    let exam = |k: usize, verified: bool| ExamRecord {
        exam: exam_id(n, k),
        exam_date: "2026-11-30".into(),
        end_reason: "TimeUp".into(),
        ended_at: t(at - 8 * 3_600_000),
        sealed_at: t(at - 8 * 3_600_000),
        bytes: 250_000_000,
        first_attempt_at: Some(t(at - 8 * 3_600_000 + 5_000)),
        verified_at: verified.then(|| t(at - 8 * 3_600_000 + 60_000)),
        last_error: (!verified).then(|| "network".into()),
    };
    let stuck = kind == Kind::Stuck;
    let mut r = Report {
        schema: SCHEMA.into(),
        station: id.into(),
        location: format!("Hall {}, seat {}", n / 40, n % 40),
        board: "x86_64-uefi".into(),
        software: "0.1.0".into(),
        image: if n.is_multiple_of(10) {
            "0.1.0+0ld".into()
        } else {
            "0.1.0+3f2a9c1e".into()
        },
        written_at: t(at),
        written_ms: at,
        reason: "upload".into(),
        boot: Boot {
            secure_boot: "on".into(),
            tpm: true,
            enrolled: true,
        },
        selftest,
        selftest_at: t(at - 600_000),
        disk: Disk {
            free_bytes: 40 << 30,
            total_bytes: 60 << 30,
        },
        pending: Pending {
            count: u64::from(stuck),
            bytes: if stuck { 250_000_000 } else { 0 },
            oldest_exam: stuck.then(|| exam_id(n, 1)),
            oldest_sealed_at: stuck.then(|| t(at - 8 * 3_600_000)),
            oldest_age_secs: stuck.then_some(8 * 3600),
        },
        exams: vec![exam(0, true), exam(1, !stuck)],
        uploads: Uploads {
            attempts: 2 + u64::from(stuck) * 5,
            errors: if stuck {
                [("network".to_string(), 5)].into()
            } else {
                Default::default()
            },
            last_attempt_at: Some(t(at - 60_000)),
            last_verified_at: Some(t(at - 8 * 3_600_000 + 60_000)),
        },
        unclean_shutdowns: 0,
        clock_offset_ms: Some(120),
        station_key: String::new(),
        signature: String::new(),
    };
    r.sign(key);
    r
}

//! The lines `examctl fleet` prints: one per station for `status`, `stale` and `pending`,
//! one per image for `versions`, and everything about one station for `show`.

use std::fmt::Write;

use super::judge::{age, Fleet, Rules, Station};

/// When a report was written, short: `2026-12-01 05:36 (12m ago)`.
fn seen_at(s: &Station) -> String {
    let w = &s.seen.report.written_at;
    format!(
        "{} ({} ago)",
        w.get(..16).unwrap_or(w).replace('T', " "),
        age(s.age_secs)
    )
}

fn image(s: &Station) -> &str {
    let r = &s.seen.report;
    if r.image.is_empty() {
        &r.software
    } else {
        &r.image
    }
}

fn last_exam(s: &Station) -> String {
    match s.seen.report.last_exam() {
        Some(e) => format!(
            "{} {} {}",
            e.exam,
            e.end_reason,
            e.ended_at
                .get(..16)
                .unwrap_or(&e.ended_at)
                .replace('T', " ")
        ),
        None => "none".into(),
    }
}

/// `status`: one line per station, then the silent and unreadable.
pub fn status(f: &Fleet) -> String {
    let mut out = String::new();
    for s in &f.stations {
        let health = if s.reasons.is_empty() {
            "OK".to_string()
        } else {
            format!("ATTENTION: {}", s.reasons.join("; "))
        };
        let r = &s.seen.report;
        let tests: Vec<String> = r
            .selftest
            .iter()
            .map(|c| format!("{} {}", c.device, if c.passed { "PASS" } else { "FAIL" }))
            .collect();
        let _ = writeln!(
            out,
            "{}  seen {}  image {}  self-test: {}  pending {}  last exam {}  {health}",
            r.station,
            seen_at(s),
            image(s),
            if tests.is_empty() {
                "not run".into()
            } else {
                tests.join(", ")
            },
            r.pending.count,
            last_exam(s),
        );
    }
    for id in &f.silent {
        let _ = writeln!(out, "{id}  ATTENTION: registered, never reported");
    }
    for e in &f.unreadable {
        let _ = writeln!(out, "unreadable report: {e}");
    }
    let n = f.stations.iter().filter(|s| !s.reasons.is_empty()).count();
    let _ = writeln!(
        out,
        "{} station(s): {} need attention ({} never reported){}",
        f.stations.len() + f.silent.len(),
        n + f.silent.len(),
        f.silent.len(),
        if f.unreadable.is_empty() {
            String::new()
        } else {
            format!(", {} report(s) unreadable", f.unreadable.len())
        }
    );
    out
}

/// `stale`: stations whose last report is older than the rule, oldest first.
pub fn stale(f: &Fleet, rules: &Rules) -> (String, usize) {
    let mut v: Vec<&Station> = f
        .stations
        .iter()
        .filter(|s| s.age_secs > rules.stale_after.as_secs())
        .collect();
    v.sort_by_key(|s| std::cmp::Reverse(s.age_secs));
    let mut out = String::new();
    for s in &v {
        let _ = writeln!(out, "{}  last report {}", s.seen.report.station, seen_at(s));
    }
    for id in &f.silent {
        let _ = writeln!(out, "{id}  never reported");
    }
    (out, v.len() + f.silent.len())
}

/// `pending`: every exam sealed and not verified yet, per station, with its age and whether it
/// arrived; the missing ones (reconciliation) marked.
pub fn pending(f: &Fleet, rules: &Rules) -> (String, usize) {
    let mut out = String::new();
    let mut n = 0;
    for s in &f.stations {
        for w in &s.waiting {
            n += 1;
            let e = &w.exam;
            let _ = writeln!(
                out,
                "{}  {}  sealed {}  age {}  {:.1} MB  {}{}{}",
                s.seen.report.station,
                e.exam,
                e.sealed_at
                    .get(..16)
                    .unwrap_or(&e.sealed_at)
                    .replace('T', " "),
                age(w.age_secs),
                e.bytes as f64 / 1e6,
                match &e.first_attempt_at {
                    Some(_) => "upload tried",
                    None => "not tried yet",
                },
                e.last_error
                    .as_deref()
                    .map(|k| format!(", last error {k}"))
                    .unwrap_or_default(),
                match (w.arrived, w.missing(rules)) {
                    (_, true) => "  SEALED BUT NOT ARRIVED",
                    (Some(true), _) => "  arrived (the station does not know yet)",
                    (Some(false), _) => "  not arrived yet",
                    (None, _) => "",
                }
            );
        }
    }
    (out, n)
}

/// `versions`: stations per image, most common first.
pub fn versions(f: &Fleet) -> String {
    let mut by: Vec<(String, Vec<&str>)> = Vec::new();
    for s in &f.stations {
        let v = image(s).to_string();
        match by.iter_mut().find(|(k, _)| *k == v) {
            Some((_, ids)) => ids.push(&s.seen.report.station),
            None => by.push((v, vec![&s.seen.report.station])),
        }
    }
    by.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    for (v, ids) in by {
        let _ = writeln!(out, "{v}  {} station(s): {}", ids.len(), ids.join(", "));
    }
    out
}

/// `show`: everything one station's report says, and the custody of each exam.
pub fn show(s: &Station) -> String {
    let r = &s.seen.report;
    let mut out = String::new();
    let mut line = |k: &str, v: String| {
        let _ = writeln!(out, "{k:<18}{v}");
    };
    line("station", format!("{} ({})", r.station, r.location));
    line(
        "health",
        match s.reasons.is_empty() {
            true => "OK".into(),
            false => format!("ATTENTION: {}", s.reasons.join("; ")),
        },
    );
    line(
        "report",
        format!("{} ({}), from {}", seen_at(s), r.reason, s.seen.from),
    );
    line(
        "signature",
        s.seen
            .untrusted
            .clone()
            .unwrap_or_else(|| format!("valid, key {}", r.station_key)),
    );
    line("board", r.board.clone());
    line("software", r.software.clone());
    line(
        "image",
        if r.image.is_empty() {
            "-".into()
        } else {
            r.image.clone()
        },
    );
    line(
        "boot",
        format!(
            "Secure Boot {}, TPM {}, {}",
            r.boot.secure_boot,
            if r.boot.tpm { "present" } else { "none" },
            if r.boot.enrolled {
                "enrolled"
            } else {
                "site-file identity"
            }
        ),
    );
    line("self-test at", r.selftest_at.clone());
    for c in &r.selftest {
        line(
            &format!("  {}", c.device),
            format!("{} {}", if c.passed { "PASS" } else { "FAIL" }, c.detail),
        );
    }
    line(
        "data partition",
        format!(
            "{} MiB free of {} MiB",
            r.disk.free_bytes >> 20,
            r.disk.total_bytes >> 20
        ),
    );
    line(
        "pending",
        format!(
            "{} bundle(s), {:.1} MB",
            r.pending.count,
            r.pending.bytes as f64 / 1e6
        ),
    );
    let errors: Vec<String> = r
        .uploads
        .errors
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    line(
        "uploads",
        format!(
            "{} attempt(s), errors: {}; last verified {}",
            r.uploads.attempts,
            if errors.is_empty() {
                "none".into()
            } else {
                errors.join(", ")
            },
            r.uploads.last_verified_at.as_deref().unwrap_or("never")
        ),
    );
    line("unclean shutdowns", r.unclean_shutdowns.to_string());
    line(
        "clock offset",
        r.clock_offset_ms
            .map(|ms| format!("{:+.1} s (store minus station)", ms as f64 / 1000.0))
            .unwrap_or_else(|| "unknown".into()),
    );
    let _ = writeln!(out, "exams (chain of custody):");
    for e in &r.exams {
        let _ = writeln!(
            out,
            "  {}  {}  ended {}  sealed {}  {:.1} MB  first attempt {}  verified {}{}",
            e.exam,
            e.end_reason,
            e.ended_at,
            e.sealed_at,
            e.bytes as f64 / 1e6,
            e.first_attempt_at.as_deref().unwrap_or("-"),
            e.verified_at.as_deref().unwrap_or("-"),
            e.last_error
                .as_deref()
                .map(|k| format!("  last error {k}"))
                .unwrap_or_default()
        );
    }
    out
}

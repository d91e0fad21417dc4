//! A report's figures in Prometheus' text exposition format, for a node_exporter textfile
//! collector. The textfile collector refuses samples with client-side timestamps, so the
//! report's time is an explicit figure of its own, `exam_station_report_timestamp_seconds`:
//! an old report is never mistaken for a fresh reading (alert on `time() - that`).

use std::fmt::Write;

use super::Report;

/// Escapes a label value (backslash, double quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The report as Prometheus text: one family per figure, labelled with the station.
pub fn to_prometheus(r: &Report) -> String {
    let st = format!("station=\"{}\"", label(&r.station));
    let mut out = String::new();
    let mut family = |name: &str, help: &str, kind: &str, samples: Vec<(String, f64)>| {
        let _ = writeln!(out, "# HELP exam_station_{name} {help}");
        let _ = writeln!(out, "# TYPE exam_station_{name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "exam_station_{name}{{{st}{labels}}} {v}");
        }
    };
    family(
        "info",
        "The station's board, software and image (always 1).",
        "gauge",
        vec![(
            format!(
                ",board=\"{}\",software=\"{}\",image=\"{}\",secure_boot=\"{}\"",
                label(&r.board),
                label(&r.software),
                label(&r.image),
                label(&r.boot.secure_boot)
            ),
            1.0,
        )],
    );
    family(
        "report_timestamp_seconds",
        "When the station wrote this report (its clock).",
        "gauge",
        vec![(String::new(), r.written_ms as f64 / 1000.0)],
    );
    family(
        "selftest_passed",
        "1 if the device passed the last self-test, 0 if it failed.",
        "gauge",
        r.selftest
            .iter()
            .map(|c| {
                (
                    format!(",device=\"{}\"", label(&c.device)),
                    if c.passed { 1.0 } else { 0.0 },
                )
            })
            .collect(),
    );
    family(
        "data_free_bytes",
        "Free bytes on the data partition.",
        "gauge",
        vec![(String::new(), r.disk.free_bytes as f64)],
    );
    family(
        "pending_bundles",
        "Sealed bundles waiting to be uploaded.",
        "gauge",
        vec![(String::new(), r.pending.count as f64)],
    );
    family(
        "pending_bytes",
        "Bytes of the sealed bundles waiting to be uploaded.",
        "gauge",
        vec![(String::new(), r.pending.bytes as f64)],
    );
    family(
        "pending_oldest_age_seconds",
        "Age of the oldest bundle waiting to be uploaded (0: none).",
        "gauge",
        vec![(String::new(), r.pending.oldest_age_secs.unwrap_or(0) as f64)],
    );
    family(
        "upload_attempts_total",
        "Bundle upload attempts.",
        "counter",
        vec![(String::new(), r.uploads.attempts as f64)],
    );
    family(
        "upload_errors_total",
        "Failed upload attempts by kind.",
        "counter",
        r.uploads
            .errors
            .iter()
            .map(|(k, n)| (format!(",kind=\"{}\"", label(k)), *n as f64))
            .collect(),
    );
    family(
        "unclean_shutdowns_total",
        "Exams found cut short at start (crash or power cut).",
        "counter",
        vec![(String::new(), r.unclean_shutdowns as f64)],
    );
    family(
        "exams_sealed",
        "Exams the report lists as sealed.",
        "gauge",
        vec![(String::new(), r.exams.len() as f64)],
    );
    if let Some(e) = r.last_exam() {
        family(
            "last_exam_sealed_bytes",
            "Sealed size of the last exam.",
            "gauge",
            vec![(String::new(), e.bytes as f64)],
        );
    }
    if let Some(ms) = r.clock_offset_ms {
        family(
            "clock_offset_seconds",
            "Central store's clock minus the station's.",
            "gauge",
            vec![(String::new(), ms as f64 / 1000.0)],
        );
    }
    out
}

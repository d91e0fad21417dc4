//! `examctl fleet prom --out DIR`: a folder for node_exporter's textfile collector: each
//! station's report as `<station>.prom` (with its explicit report time), and `fleet.prom` with
//! what only the institution knows: attention per station, exams sealed but not arrived,
//! stations that never reported.

use std::fmt::Write;
use std::path::Path;

use super::judge::{Fleet, Rules};
use crate::error::UplinkError;

/// A file name for station `id` (anything but `[A-Za-z0-9._-]` becomes `_`).
fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || "._-".contains(c) {
            true => c,
            false => '_',
        })
        .collect();
    format!("station-{}.prom", safe.trim_start_matches('.'))
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The fleet-wide figures.
pub fn fleet_text(f: &Fleet, rules: &Rules) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP exam_station_attention 1 if the station needs attention (see examctl fleet status).\n# TYPE exam_station_attention gauge"
    );
    for s in &f.stations {
        let _ = writeln!(
            out,
            "exam_station_attention{{station=\"{}\"}} {}",
            label(&s.seen.report.station),
            u8::from(!s.reasons.is_empty())
        );
    }
    for id in &f.silent {
        let _ = writeln!(out, "exam_station_attention{{station=\"{}\"}} 1", label(id));
    }
    let _ = writeln!(
        out,
        "# HELP exam_station_sealed_not_arrived Exams the station sealed that are not in the bucket after the late limit.\n# TYPE exam_station_sealed_not_arrived gauge"
    );
    for s in &f.stations {
        let n = s.waiting.iter().filter(|w| w.missing(rules)).count();
        let _ = writeln!(
            out,
            "exam_station_sealed_not_arrived{{station=\"{}\"}} {n}",
            label(&s.seen.report.station)
        );
    }
    let _ = writeln!(
        out,
        "# HELP exam_station_fleet_stations Stations known: reporting, or registered and silent.\n# TYPE exam_station_fleet_stations gauge\nexam_station_fleet_stations{{state=\"reporting\"}} {}\nexam_station_fleet_stations{{state=\"silent\"}} {}",
        f.stations.len(),
        f.silent.len()
    );
    out
}

/// Writes the folder: one file per station and `fleet.prom` (each atomically, so the collector
/// never reads half a file). Returns how many files.
pub fn write(f: &Fleet, rules: &Rules, dir: &Path) -> Result<usize, UplinkError> {
    std::fs::create_dir_all(dir).map_err(|e| UplinkError::io(dir, e))?;
    for s in &f.stations {
        let text = bundle::health::to_prometheus(&s.seen.report);
        bundle::fsutil::write_atomic(
            &dir.join(file_name(&s.seen.report.station)),
            text.as_bytes(),
        )?;
    }
    bundle::fsutil::write_atomic(&dir.join("fleet.prom"), fleet_text(f, rules).as_bytes())?;
    Ok(f.stations.len() + 1)
}

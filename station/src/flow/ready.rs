//! The readiness card's facts: who the station is, its software, each device's self-test, free
//! space and uploads still pending; and why it must not be used, if so.

use board_config::Site;

use super::Readiness;
use crate::selftest::Check;
use crate::station::Station;

/// What the readiness card shows for `station` after the self-test `checks`.
pub fn readiness(station: &Station, checks: &[Check]) -> Readiness {
    let site = &station.site;
    let mut lines = vec![
        format!("{}  {}", site.station.id, site.station.location),
        match station.image.as_str() {
            "" => format!("Software {}", env!("CARGO_PKG_VERSION")),
            image => format!("Software {}, image {image}", env!("CARGO_PKG_VERSION")),
        },
        if station.enrolled {
            let kept = std::fs::read_to_string(
                bundle::spool::identity_dir().join(crate::enrolment::SEALING_FILE),
            )
            .unwrap_or_default();
            match kept.trim() {
                "tpm" => "Identity: enrolled, sealed to this machine's TPM".to_string(),
                "clear" => "Identity: enrolled, in clear on the stick (no TPM)".to_string(),
                _ => "Identity: enrolled".to_string(),
            }
        } else {
            "Identity: the site file's (stick not enrolled)".to_string()
        },
        crate::platform::secure_boot_line(std::path::Path::new("/sys")),
        crate::platform::tpm_line(std::path::Path::new("/sys")),
    ];
    for c in checks {
        let verdict = if c.passed { "PASS" } else { "FAIL" };
        lines.push(format!("{verdict} {}: {}", c.device, c.detail));
    }
    let spool = station.spool();
    match crate::storage::free_bytes(&spool) {
        Ok(free) => lines.push(format!("Free space: {} MiB", free >> 20)),
        Err(e) => lines.push(format!("Free space: unknown ({e})")),
    }
    lines.push(format!("Uploads pending: {}", pending(&spool)));
    let report = std::fs::read(bundle::health::report_path(&station.data_dir))
        .ok()
        .and_then(|b| bundle::health::Report::parse(&b, "report.json").ok());
    if let Some(r) = &report {
        lines.push(format!(
            "Health report: {} (F3: as a QR code)",
            r.written_at
                .get(..19)
                .unwrap_or(&r.written_at)
                .replace('T', " ")
        ));
    }
    let identity = crate::enrolment::install_error(&bundle::spool::identity_dir())
        .map(|e| format!("the stick's identity could not be installed: {e}"));
    Readiness {
        lines,
        blocked: identity.or_else(|| blocked(site, checks)),
        qr: report.map(|r| r.summary()),
    }
}

/// Why no exam may start, if so: a failed device, or what the site file lacks.
fn blocked(site: &Site, checks: &[Check]) -> Option<String> {
    if let Some(c) = checks.iter().find(|c| !c.passed) {
        return Some(format!("{} failed its self-test", c.device));
    }
    if site.proctor.is_none() {
        return Some("the site file has no [proctor] pin_hash".into());
    }
    if site.exams.is_empty() {
        return Some("the site file lists no [[exams]]".into());
    }
    None
}

/// Sealed bundles in the spool (uplinkd deletes each once its central copy is verified).
fn pending(spool: &std::path::Path) -> usize {
    bundle::spool::exams(spool, bundle::spool::is_sealed)
        .map(|v| v.len())
        .unwrap_or(0)
}

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
            "Identity: enrolled on this stick".to_string()
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
    Readiness {
        lines,
        blocked: blocked(site, checks),
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

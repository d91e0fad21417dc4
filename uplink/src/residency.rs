//! Residency and transport rules, re-checked when a store is opened (privacy promise P4).
//!
//! `board_config::load_site` already validates the site file; this module checks again at
//! connect time so that a config that bypassed validation (built in code, edited after the
//! check) still cannot send a byte outside Canada or over plain http to a remote host.

use board_config::{is_loopback_url, Uplink, UplinkBackend, CANADIAN_REGIONS};

use crate::error::UplinkError;

fn refuse(field: &'static str, why: String) -> UplinkError {
    UplinkError::Residency { field, why }
}

/// Checks `[uplink]` before anything is sent; the error names the field and why.
pub fn check(u: &Uplink) -> Result<(), UplinkError> {
    if u.residency != "CA" {
        return Err(refuse(
            "uplink.residency",
            format!(
                "{:?} is not \"CA\": recordings are stored in Canada only",
                u.residency
            ),
        ));
    }
    if u.backend == UplinkBackend::Folder {
        return Ok(());
    }
    let region = u.region.as_deref().unwrap_or_default();
    if !u.on_premises && !CANADIAN_REGIONS.contains(&region) {
        return Err(refuse(
            "uplink.region",
            format!(
                "{region:?} is not a known Canadian region (accepted: {}); an institution's own \
                 store in Canada needs on_premises = true",
                CANADIAN_REGIONS.join(", ")
            ),
        ));
    }
    let endpoint = u.endpoint.as_deref().unwrap_or_default();
    let scheme = endpoint
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("https") => {}
        Some("http") if is_loopback_url(endpoint) => {}
        Some("http") => {
            return Err(refuse(
                "uplink.endpoint",
                format!("{endpoint:?}: plain http is accepted only to a loopback host; use https"),
            ))
        }
        _ => {
            return Err(refuse(
                "uplink.endpoint",
                format!("{endpoint:?} is not an https:// URL"),
            ))
        }
    }
    if u.on_premises && endpoint.to_ascii_lowercase().contains("amazonaws.com") {
        return Err(refuse(
            "uplink.on_premises",
            format!(
                "{endpoint:?} is AWS, not an on-premises store: set on_premises = false and a \
                 Canadian region"
            ),
        ));
    }
    Ok(())
}

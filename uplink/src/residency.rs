//! Residency and transport rules, re-checked when a store is opened (privacy promise P4).
//!
//! `board_config::load_site` already validates the site file; this module checks again at
//! connect time so that a config that bypassed validation (built in code, edited after the
//! check) still cannot send a byte outside Canada or over plain http to a remote host.

use board_config::{check_endpoint, Uplink, UplinkBackend};

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
    let endpoint = u.endpoint.as_deref().unwrap_or_default();
    // The same rules as site validation, with the same parsers as the HTTP stack.
    check_endpoint(endpoint, region, u.on_premises).map_err(|r| refuse(r.field, r.why))?;
    Ok(())
}

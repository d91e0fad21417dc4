//! TLS trust for the S3 store: the public web roots, or only the CA named by `uplink.ca_file`
//! (an on-premises store under the institution's own CA).

use std::sync::Arc;

use board_config::Uplink;
use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};

use crate::error::UplinkError;

/// The TLS configuration for `[uplink]`; names `uplink.ca_file` and the file on any problem.
pub fn config(u: &Uplink) -> Result<TlsConfig, UplinkError> {
    let Some(path) = u.ca_file.as_deref() else {
        return Ok(TlsConfig::default());
    };
    let bad = |why: String| UplinkError::Config {
        field: "uplink.ca_file".into(),
        why: format!("{path}: {why}"),
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let mut certs = Vec::new();
    for (i, item) in parse_pem(&pem).enumerate() {
        match item.map_err(|e| bad(format!("PEM item {}: {e}", i + 1)))? {
            PemItem::Certificate(c) => certs.push(c),
            _ => return Err(bad(format!("PEM item {} is not a certificate", i + 1))),
        }
    }
    if certs.is_empty() {
        return Err(bad("no PEM certificate in the file".into()));
    }
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::Specific(Arc::new(certs)))
        .build())
}

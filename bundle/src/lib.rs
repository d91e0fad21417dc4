//! The exam bundle: the contract between the station, the uplink and the institution's reviewers.
//!
//! - [`seal`]: the encrypted, framed, hash-chained file format every recorded file uses;
//! - [`event`] and [`journal`]: the exam's event log on top of it;
//! - [`manifest`]: the signed list of a bundle's files;
//! - [`keys`]: the institution's age keys and the station's signing key;
//! - [`health`]: the station's signed health report (what IT sees of the fleet).
//!
//! This crate touches no device and no network: the station writes bundles with it, the uplink
//! and `examctl` read and verify them.

pub mod event;
pub mod fsutil;
pub mod health;
pub mod journal;
pub mod keys;
pub mod manifest;
pub mod mutate;
pub mod seal;
pub mod spool;
pub mod stick;

use std::path::{Path, PathBuf};

/// Errors of bundle I/O and formats; each names the file concerned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on `path`.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// I/O without a known path.
    #[error(transparent)]
    RawIo(#[from] std::io::Error),
    /// Malformed data.
    #[error("{0}")]
    Format(String),
    /// A key could not be parsed or used.
    #[error("{0}")]
    Key(String),
    /// A bundle file failed verification.
    #[error("{file}: {why}")]
    Bad {
        /// The file (relative to the bundle).
        file: String,
        /// What is wrong.
        why: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Fuzz entry: the key-less stream scan, the record decoder and a decrypting reader (with a
/// fixed identity) over arbitrary bytes. Must never panic.
pub fn fuzz_journal(data: &[u8]) {
    let path = Path::new("fuzz.bin");
    let _ = seal::scan_from(data, path);
    let _ = event::decode(data);
    static ID: std::sync::OnceLock<keys::Identity> = std::sync::OnceLock::new();
    let id = ID.get_or_init(keys::Identity::generate);
    if let Ok(mut r) = seal::Reader::new(data, path, id) {
        while let Ok(Some(_)) = r.next_frame() {}
    }
}

/// Fuzz entry: a sealed stream's framing, described by the fuzzer and scanned without a key
/// (see [`seal::fuzz`]). Must never panic.
pub fn fuzz_sealed(data: &[u8]) {
    seal::fuzz::fuzz_sealed(data);
}

/// Fuzz entry: the manifest parser over arbitrary bytes. Must never panic.
pub fn fuzz_manifest(data: &[u8]) {
    if let Ok(m) = manifest::Manifest::parse(data) {
        let _ = m.verify_signature();
        let _ = m.to_json();
    }
}

/// Formats milliseconds since the epoch as RFC 3339 UTC (millisecond precision).
pub fn rfc3339(ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_millis(t).to_string()
}

/// Parses RFC 3339 (as [`rfc3339`] writes it) into milliseconds since the epoch.
pub fn rfc3339_ms(text: &str) -> Option<u64> {
    humantime::parse_rfc3339(text)
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as u64)
}

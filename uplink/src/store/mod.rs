//! Central stores behind one trait: S3 multipart ([`s3::S3Store`]) and a local folder
//! ([`folder::FolderStore`], the embedded default the demo uses).

pub mod folder;
pub(crate) mod multipart;
pub mod s3;
mod s3_central;
mod sender;
pub mod tls;

use std::path::{Path, PathBuf};

use board_config::{Site, UplinkBackend};

use crate::creds::Credentials;
use crate::error::UplinkError;
use crate::state::FileState;
use crate::throttle::Throttle;

/// `tail` under the key prefix `prefix` (`[<prefix>/]<tail>`; slashes around the prefix and an
/// empty prefix are allowed).
pub fn key_under(prefix: &str, tail: &str) -> String {
    match prefix.trim_matches('/') {
        "" => tail.into(),
        p => format!("{p}/{tail}"),
    }
}

/// One file to send: the local file, its persisted state, and the callbacks of the run.
pub struct FileJob<'a> {
    /// Exam id, for errors and the log.
    pub exam: &'a str,
    /// Bundle-relative file name.
    pub name: &'a str,
    /// The local file.
    pub local: &'a Path,
    /// Persisted progress (key, size and part size filled in by the caller).
    pub state: &'a mut FileState,
    /// The shared bandwidth limit.
    pub throttle: &'a Throttle,
    /// Called with every chunk of bytes sent.
    pub on_bytes: &'a mut dyn FnMut(u64),
    /// Called after every durable step, to persist `state` and log `event`.
    pub on_step: &'a mut dyn FnMut(&FileState, &str, serde_json::Value) -> Result<(), UplinkError>,
}

/// What the central copy of a file must be.
#[derive(Debug, Clone)]
pub struct Expect<'a> {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 from the manifest, hex.
    pub sha256: &'a str,
}

/// One object listed in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Full object key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// A central store.
pub trait CentralStore: Send + Sync {
    /// Where the store is (endpoint and bucket, or folder), for messages.
    fn describe(&self) -> String;
    /// Where `key` is, for messages and the demo (URL or path).
    fn locate(&self, key: &str) -> String;
    /// Sends one file, resuming from `job.state`; retryable errors leave a resumable state.
    /// Called from several threads at once, one file each (see [`in_flight`](Self::in_flight)).
    fn upload(&self, job: &mut FileJob<'_>) -> Result<(), UplinkError>;
    /// How many requests carrying data the store keeps in flight; the bundle sends up to this
    /// many files at once (the store bounds the requests across them). Default 1.
    fn in_flight(&self) -> usize {
        1
    }
    /// Checks the central object's size and checksum against `state` and `expect`.
    fn verify(&self, state: &FileState, expect: &Expect<'_>) -> Result<(), UplinkError>;
    /// Lists objects below `prefix`.
    fn list(&self, prefix: &str) -> Result<Vec<Listed>, UplinkError>;
    /// Downloads `key` into the file `out`; returns its size.
    fn get(&self, key: &str, out: &Path) -> Result<u64, UplinkError>;
    /// Writes a small object whole (a health report), checked by its MD5 where the store
    /// answers one; returns the store's clock at the answer (ms since the epoch) if it said.
    fn put(&self, key: &str, body: &[u8]) -> Result<Option<u64>, UplinkError>;
    /// Reads a small object whole (at most 16 MiB, text).
    fn read(&self, key: &str) -> Result<Vec<u8>, UplinkError>;
    /// Deletes `key` (absent already is fine). On a versioned bucket this leaves a delete
    /// marker: the versions themselves stay until their retention ends.
    fn delete(&self, key: &str) -> Result<(), UplinkError>;
}

/// Request timeouts and retry pacing.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Timeout of connect, and of any stall in sending or receiving.
    pub io_timeout: std::time::Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            io_timeout: std::time::Duration::from_secs(60),
        }
    }
}

/// Opens the store of `site` after re-checking residency. `credentials` overrides the site's
/// `credentials_file` (examctl uses the institution's own).
pub fn open(
    site: &Site,
    credentials: Option<&Path>,
    tuning: &Tuning,
) -> Result<Box<dyn CentralStore>, UplinkError> {
    let u = &site.uplink;
    match u.backend {
        UplinkBackend::Folder => {
            crate::residency::check(u)?;
            let dir = u.folder.as_deref().ok_or_else(|| UplinkError::Config {
                field: "uplink.folder".into(),
                why: "backend \"folder\" needs folder = \"/path\"".into(),
            })?;
            Ok(Box::new(folder::FolderStore::new(PathBuf::from(dir))))
        }
        UplinkBackend::S3 => Ok(Box::new(open_s3(site, credentials, tuning)?)),
    }
}

/// Opens the S3 store of `site` (its backend must be S3; residency is checked by
/// [`open`]) with `credentials` or the site's `credentials_file`.
pub fn open_s3(
    site: &Site,
    credentials: Option<&Path>,
    tuning: &Tuning,
) -> Result<s3::S3Store, UplinkError> {
    crate::residency::check(&site.uplink)?;
    let u = &site.uplink;
    let path: PathBuf = match credentials {
        Some(p) => p.to_owned(),
        None => u
            .credentials_file
            .as_deref()
            .map(PathBuf::from)
            .ok_or_else(|| UplinkError::Config {
                field: "uplink.credentials_file".into(),
                why: "backend \"s3\" needs credentials_file".into(),
            })?,
    };
    let creds = Credentials::load(&path)?;
    s3::S3Store::connect(u, &creds, tuning)
}

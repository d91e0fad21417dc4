//! The uplink's error type: every variant names the bundle, file, object key or config field.

use std::path::{Path, PathBuf};

/// Errors of the uplink and of `examctl`'s storage commands.
#[derive(Debug, thiserror::Error)]
pub enum UplinkError {
    /// The site config breaks a residency or transport rule (names the field and why).
    #[error("refusing to connect: {field}: {why}")]
    Residency {
        /// The `[uplink]` field, e.g. `uplink.region`.
        field: &'static str,
        /// Why it is refused and what would be accepted.
        why: String,
    },
    /// A config value is missing or unusable.
    #[error("{field}: {why}")]
    Config {
        /// The field or file concerned.
        field: String,
        /// What is wrong.
        why: String,
    },
    /// Local I/O failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A bundle failed to load or verify.
    #[error("bundle {exam}: {source}")]
    Bundle {
        /// The exam id (bundle folder name).
        exam: String,
        /// The cause.
        source: bundle::Error,
    },
    /// The central store answered with an error or could not be reached.
    #[error("{key}: {why}")]
    Store {
        /// The object key (or bucket) concerned.
        key: String,
        /// What happened (HTTP status and S3 error code, or transport error).
        why: String,
        /// Whether trying again later may succeed (network faults, 5xx, throttling).
        retryable: bool,
    },
    /// The central copy does not match the local one.
    #[error("{key}: central copy differs: {why}")]
    Mismatch {
        /// The object key.
        key: String,
        /// Which property differs.
        why: String,
    },
    /// Persisted upload state is unreadable.
    #[error("{path}: upload state: {why}")]
    State {
        /// The state file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
}

impl UplinkError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        UplinkError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Whether retrying the operation later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            UplinkError::Store {
                retryable: true,
                ..
            }
        )
    }
}

impl From<bundle::Error> for UplinkError {
    fn from(e: bundle::Error) -> Self {
        UplinkError::Bundle {
            exam: String::new(),
            source: e,
        }
    }
}

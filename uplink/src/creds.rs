//! S3 credentials file: TOML with `access_key` and `secret_key` (and an optional
//! `session_token`), mode 0600 on the station's data partition.
//!
//! ```toml
//! access_key = "AKIA..."
//! secret_key = "..."
//! ```

use std::path::Path;

use serde::Deserialize;

use crate::error::UplinkError;

/// Access key pair for S3 SigV4.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The access key id.
    pub access_key: String,
    /// The secret access key.
    pub secret_key: String,
    /// Temporary session token (STS), if any.
    #[serde(default)]
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials {{ access_key: {:?}, .. }}", self.access_key)
    }
}

impl Credentials {
    /// Reads a credentials file; errors name the file and field, never the secret.
    pub fn load(path: &Path) -> Result<Self, UplinkError> {
        let text = std::fs::read_to_string(path).map_err(|e| UplinkError::io(path, e))?;
        toml::from_str(&text).map_err(|e| UplinkError::Config {
            field: path.display().to_string(),
            why: format!(
                "credentials file: {} (expected access_key = \"...\" and secret_key = \"...\")",
                e.message()
            ),
        })
    }

    /// The rusty-s3 form.
    pub fn to_s3(&self) -> rusty_s3::Credentials {
        match &self.session_token {
            Some(t) => rusty_s3::Credentials::new_with_token(
                self.access_key.clone(),
                self.secret_key.clone(),
                t.clone(),
            ),
            None => rusty_s3::Credentials::new(self.access_key.clone(), self.secret_key.clone()),
        }
    }
}

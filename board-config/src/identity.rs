//! `identity.toml`: one station's identity, written by `examctl enroll` onto the identity
//! partition of its stick. Forty sticks flashed from one image get forty identities: the
//! image's site file is shared, the identity takes precedence over its `[station]` and over
//! the uplink's `prefix` and credentials.
//!
//! ```toml
//! [station]
//! id = "hall-b-07"
//! location = "Hall B, seat 7"
//!
//! [signing]
//! # The station's ed25519 signing key (32-byte seed, hex); its public half is in the
//! # institution's registry of stations.
//! seed = "9f...64 hex digits"
//!
//! [uplink]
//! prefix = "stations/hall-b-07"
//! access_key = "..."
//! secret_key = "..."
//! ```

use serde::{Deserialize, Serialize};

use crate::site::{Site, StationId};

/// The name of the identity file in the folder the station reads it from.
pub const IDENTITY_FILE: &str = "identity.toml";

/// The name of the upload credentials file written beside it (the uplink's format:
/// `access_key`, `secret_key`).
pub const CREDENTIALS_FILE: &str = "uplink.toml";

/// One station's identity.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// The station's id and where it stands (replace the site's `[station]`).
    pub station: StationId,
    /// The station's signing key.
    pub signing: Signing,
    /// Where and as whom the station uploads.
    pub uplink: IdentityUplink,
}

/// `[signing]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// The ed25519 seed, 64 lowercase hex digits.
    pub seed: String,
}

/// `[uplink]` of an identity.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityUplink {
    /// This station's key prefix in the bucket (replaces the site's `uplink.prefix`).
    pub prefix: String,
    /// The station's own upload access key (write only, this prefix only).
    pub access_key: String,
    /// Its secret.
    pub secret_key: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Identity {{ station: {:?}, prefix: {:?}, access_key: {:?}, .. }}",
            self.station.id, self.uplink.prefix, self.uplink.access_key
        )
    }
}

impl Identity {
    /// The identity as TOML, with a heading comment (what `examctl enroll` writes).
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# Exam station identity, written by `examctl enroll`. Secret: the signing key and the\n\
             # upload credentials of station {}.\n{body}",
            self.station.id
        )
    }

    /// The upload credentials in the uplink's credentials-file format.
    pub fn credentials_toml(&self) -> String {
        format!(
            "access_key = {}\nsecret_key = {}\n",
            toml::Value::String(self.uplink.access_key.clone()),
            toml::Value::String(self.uplink.secret_key.clone())
        )
    }
}

impl Site {
    /// This site as the enrolled station `id` sees it: its id and location, its key prefix, and
    /// its credentials from `credentials_file`.
    pub fn enrolled(mut self, id: &Identity, credentials_file: &std::path::Path) -> Site {
        self.station = id.station.clone();
        self.uplink.prefix = id.uplink.prefix.clone();
        self.uplink.credentials_file = Some(credentials_file.display().to_string());
        self
    }
}

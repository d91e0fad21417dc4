//! `examctl enroll`: gives one flashed stick its station identity. A new signing key is made
//! for the station; the identity (id, location, the key, the key prefix and the station's own
//! upload credentials) is written onto the stick's identity partition (see
//! [`bundle::stick`]), and the key's public half is added to the institution's registry of
//! stations, so that `examctl open` and `fetch --registry` accept this station's bundles and no
//! one else's under its name.

use std::io::Write;
use std::path::Path;

use board_config::{Identity, IdentityUplink, Signing, StationId};
use bundle::keys::StationKey;

use crate::creds::Credentials;
use crate::registry::Registry;

/// What to enrol.
pub struct Request<'a> {
    /// The stick: a whole disk (`/dev/sdX`) or image file with an identity partition.
    pub stick: &'a Path,
    /// The station id (as a site file's `station.id`).
    pub id: &'a str,
    /// Where it stands.
    pub location: &'a str,
    /// Its key prefix in the bucket (default `stations/ID`).
    pub prefix: Option<&'a str>,
    /// The station's own upload credentials (write only, its prefix only).
    pub credentials: &'a Path,
    /// The institution's registry of stations (created if missing).
    pub registry: &'a Path,
    /// Overwrite an identity already on the stick.
    pub force: bool,
}

/// What was enrolled.
#[derive(Debug)]
pub struct Enrolled {
    /// The identity written (its Debug leaves the secrets out).
    pub identity: Identity,
    /// The station key's public half, as registered.
    pub public_key: String,
}

/// Enrols `req.stick` as station `req.id`. Refuses a stick that already carries an identity
/// (unless `force`) and an id the registry already has: a second stick under one id would
/// look like a copied stick.
pub fn enroll(req: &Request) -> Result<Enrolled, String> {
    let creds = Credentials::load(req.credentials).map_err(|e| e.to_string())?;
    let registry = match req.registry.exists() {
        true => Some(Registry::load(req.registry)?),
        false => None,
    };
    if let Some(key) = registry.as_ref().and_then(|r| r.key_of(req.id)) {
        return Err(format!(
            "station {:?} is already in the registry {} (key {key}): a second stick under one id would look like a copied stick; pick another id, or remove its entry first",
            req.id,
            req.registry.display()
        ));
    }
    let part = bundle::stick::locate(req.stick).map_err(|e| e.to_string())?;
    if part.offset == 0 {
        return Err(format!(
            "{}: no partition table: give the whole stick (e.g. /dev/sdb) or the image file, not a partition",
            req.stick.display()
        ));
    }
    if let Some(old) = bundle::stick::read_identity(req.stick, part).map_err(|e| e.to_string())? {
        let was = board_config::parse_identity(&old, Path::new("identity"))
            .map(|i| format!("station {:?}", i.station.id))
            .unwrap_or_else(|_| "something unreadable".into());
        if !req.force {
            return Err(format!(
                "{}: already enrolled as {was}; --force replaces that identity (its registry entry stays: remove it by hand)",
                req.stick.display()
            ));
        }
    }
    let key = StationKey::generate();
    let identity = Identity {
        station: StationId {
            id: req.id.to_string(),
            location: req.location.to_string(),
        },
        signing: Signing {
            seed: key.seed_hex(),
        },
        uplink: IdentityUplink {
            prefix: req
                .prefix
                .map_or_else(|| format!("stations/{}", req.id), str::to_string),
            access_key: creds.access_key.clone(),
            secret_key: creds.secret_key.clone(),
        },
    };
    // Checked as the station will read it (errors name the field).
    let text = identity.to_toml();
    board_config::parse_identity(&text, Path::new("--id/--location/--prefix/--credentials"))
        .map_err(|e| e.to_string())?;
    bundle::stick::write_identity(req.stick, part, &text).map_err(|e| e.to_string())?;
    let public_key = key.public_hex();
    append_registry(req.registry, &identity, &public_key, req.stick)?;
    Ok(Enrolled {
        identity,
        public_key,
    })
}

/// Adds the station to the registry file (created if missing), then reads it back.
fn append_registry(path: &Path, id: &Identity, key: &str, stick: &Path) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let entry = format!(
        "\n[[station]]\n# {} ({}), enrolled on {}\nid = {}\nkey = \"{key}\"\nprefix = {}\n",
        id.station.id,
        id.station.location.replace('\n', " "),
        stick.display(),
        toml::Value::String(id.station.id.clone()),
        toml::Value::String(id.uplink.prefix.clone()),
    );
    f.write_all(entry.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Registry::load(path).map(|_| ())
}

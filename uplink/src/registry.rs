//! The institution's registry of stations: each station's id and the public half of its
//! signing key, recorded when the station is enrolled. A manifest's signature only proves that
//! whoever wrote it held the key named inside it; the registry is what makes that key the
//! station's. `examctl open` and `examctl fetch` with `--registry` accept a bundle only if its
//! station is registered with exactly the key that signed it.
//!
//! ```toml
//! # stations.toml
//! [[station]]
//! id = "hall-b-07"
//! key = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
//! ```

use std::path::{Path, PathBuf};

use bundle::manifest::Manifest;
use serde::Deserialize;

/// One registered station.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// The station id (the site file's `station.id`).
    pub id: String,
    /// Its ed25519 public key, hex (as a manifest's `station_key`).
    pub key: String,
    /// Its key prefix in the bucket (written by `examctl enroll`; older entries lack it).
    #[serde(default)]
    pub prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    station: Vec<Station>,
}

/// The registry, loaded from its file.
#[derive(Debug, Clone)]
pub struct Registry {
    path: PathBuf,
    stations: Vec<Station>,
}

impl Registry {
    /// Parses registry text; `path` names it in errors. Each station id appears once, with a key
    /// of 64 hex digits.
    pub fn parse(text: &str, path: &Path) -> Result<Registry, String> {
        let file: File =
            toml::from_str(text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
        for (i, s) in file.station.iter().enumerate() {
            let at = format!("{}: station[{i}] ({:?})", path.display(), s.id);
            if s.id.is_empty() {
                return Err(format!("{at}: empty id"));
            }
            if s.key.len() != 64 || !s.key.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "{at}: key {:?} is not an ed25519 public key (64 hex digits, as `stationctl` prints it)",
                    s.key
                ));
            }
            if file.station[..i].iter().any(|o| o.id == s.id) {
                return Err(format!("{at}: the id is registered twice"));
            }
        }
        Ok(Registry {
            path: path.to_owned(),
            stations: file.station,
        })
    }

    /// Loads the registry at `path`.
    pub fn load(path: &Path) -> Result<Registry, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Registry::parse(&text, path)
    }

    /// The key registered for station `id`, if any.
    pub fn key_of(&self, id: &str) -> Option<&str> {
        self.stations
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.key.as_str())
    }

    /// Every registered station.
    pub fn stations(&self) -> &[Station] {
        &self.stations
    }

    /// Whether `key` is the key registered for `station`; the error says why not.
    pub fn check_key(&self, station: &str, key: &str) -> Result<(), String> {
        match self.key_of(station) {
            None => Err(format!(
                "station {station:?} is not in the registry {}",
                self.path.display()
            )),
            Some(k) if !k.eq_ignore_ascii_case(key) => Err(format!(
                "signed by key {key}, but the registry {} has key {k} for station {station:?}",
                self.path.display()
            )),
            Some(_) => Ok(()),
        }
    }

    /// Where it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `m` was signed by the key registered for its station; the error says why not.
    pub fn check(&self, m: &Manifest) -> Result<(), String> {
        self.check_key(&m.station, &m.station_key)
            .map_err(|why| format!("exam {}: {why}", m.exam))
    }
}

/// Checks every bundle in `dir` (a bundle, or a folder of an exam's parts) against `registry`:
/// each is verified first, then its signing key must be its station's. Returns their manifests.
pub fn check_bundles(registry: &Registry, dir: &Path) -> Result<Vec<Manifest>, String> {
    let dirs = crate::parts::bundles_in(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut manifests = Vec::new();
    for d in dirs {
        let m = bundle::manifest::verify_bundle(&d).map_err(|e| e.to_string())?;
        registry.check(&m)?;
        manifests.push(m);
    }
    Ok(manifests)
}

/// Notes each of `manifests` in the registry's ledger of machines (see
/// [`crate::sightings`]); returns the warnings of station keys seen on two machines.
pub fn note_machines(registry: &Registry, manifests: &[Manifest]) -> Result<Vec<String>, String> {
    let ledger = crate::sightings::ledger_of(&registry.path);
    let mut warnings = Vec::new();
    for m in manifests {
        warnings.extend(crate::sightings::note(&ledger, m)?);
    }
    Ok(warnings)
}

/// Fuzz entry (cargo-fuzz target `registry`): any bytes, never a panic.
pub fn fuzz_registry(data: &[u8]) {
    let _ = Registry::parse(&String::from_utf8_lossy(data), Path::new("fuzz.toml"));
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
    const KEY_B: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn manifest(station: &str, key: &str) -> Manifest {
        Manifest {
            format: 1,
            station: station.into(),
            exam: "20261125-100000-abcdef".into(),
            exam_date: "2026-11-25".into(),
            station_key: key.into(),
            ..Manifest::default()
        }
    }

    #[test]
    fn accepts_only_the_registered_key_of_the_station() {
        let r = Registry::parse(
            &format!("[[station]]\nid = \"a\"\nkey = \"{KEY_A}\"\n[[station]]\nid = \"b\"\nkey = \"{KEY_B}\"\n"),
            Path::new("stations.toml"),
        )
        .unwrap();
        assert_eq!(r.check(&manifest("a", KEY_A)), Ok(()));
        assert_eq!(r.check(&manifest("a", &KEY_A.to_uppercase())), Ok(()));
        let e = r.check(&manifest("a", KEY_B)).unwrap_err();
        assert!(
            e.contains("signed by key d75a") && e.contains("has key 3b6a"),
            "{e}"
        );
        let e = r.check(&manifest("c", KEY_A)).unwrap_err();
        assert!(
            e.contains("\"c\" is not in the registry stations.toml"),
            "{e}"
        );
    }

    #[test]
    fn bad_registry_files_are_refused_naming_the_entry() {
        for (text, says) in [
            ("[[station]]\nid = \"a\"\nkey = \"abc\"\n", "station[0] (\"a\"): key \"abc\""),
            (
                &format!("[[station]]\nid = \"a\"\nkey = \"{KEY_A}\"\n[[station]]\nid = \"a\"\nkey = \"{KEY_B}\"\n"),
                "station[1] (\"a\"): the id is registered twice",
            ),
            ("[[station]]\nid = \"\"\nkey = \"x\"\n", "empty id"),
            ("[[station]]\nid = \"a\"\n", "missing field `key`"),
            ("[[stations]]\n", "unknown field `stations`"),
        ] {
            let e = Registry::parse(text, Path::new("stations.toml")).unwrap_err();
            assert!(e.starts_with("stations.toml: ") && e.contains(says), "{text}: {e}");
        }
    }
}

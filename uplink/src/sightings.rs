//! Which machines each station key has signed on: a copied stick shows up as one station key
//! in bundles from two machines. Every bundle `examctl open` or `fetch` accepts with a registry
//! is noted in a ledger beside it (`stations.seen.toml` for `stations.toml`); a bundle whose key
//! was already seen on another machine gets a warning naming both machines and exams. (A stick
//! moved to another PC on purpose looks the same: the warning says so.)
//!
//! ```toml
//! [[seen]]
//! station = "hall-b-07"
//! key = "3b6a...a29"
//! machine = "9f2c4e1a7b3d5c60"
//! exam = "20261125-100000-a1b2c3"
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use bundle::manifest::Manifest;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Seen {
    station: String,
    key: String,
    machine: String,
    exam: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ledger {
    #[serde(default)]
    seen: Vec<Seen>,
}

/// The ledger file of registry `registry`.
pub fn ledger_of(registry: &Path) -> PathBuf {
    registry.with_extension("seen.toml")
}

/// Notes that `m` was signed on its machine, in `ledger` (created if missing); returns the
/// warning when its station key was seen on another machine before. Manifests without a
/// machine (made off an image, or before it was recorded) are not noted.
pub fn note(ledger: &Path, m: &Manifest) -> Result<Option<String>, String> {
    if m.machine.is_empty() {
        return Ok(None);
    }
    let text = match std::fs::read_to_string(ledger) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", ledger.display())),
    };
    let seen: Ledger =
        toml::from_str(&text).map_err(|e| format!("{}: {}", ledger.display(), e.message()))?;
    let same_key = |s: &&Seen| s.station == m.station && s.key.eq_ignore_ascii_case(&m.station_key);
    let other = seen
        .seen
        .iter()
        .filter(same_key)
        .find(|s| s.machine != m.machine);
    let warning = other.map(|o| {
        format!(
            "station {:?}: its key signed exam {} on machine {} and exam {} on machine {}: a copied stick, or the stick was moved to another PC",
            m.station, o.exam, o.machine, m.exam, m.machine
        )
    });
    let known = seen
        .seen
        .iter()
        .filter(same_key)
        .any(|s| s.machine == m.machine);
    if !known {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(ledger)
            .map_err(|e| format!("{}: {e}", ledger.display()))?;
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        writeln!(
            f,
            "\n[[seen]]\nstation = {}\nkey = {}\nmachine = {}\nexam = {}",
            q(&m.station),
            q(&m.station_key),
            q(&m.machine),
            q(&m.exam)
        )
        .map_err(|e| format!("{}: {e}", ledger.display()))?;
    }
    Ok(warning)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(exam: &str, key: &str, machine: &str) -> Manifest {
        Manifest {
            station: "hall-b-07".into(),
            exam: exam.into(),
            machine: machine.into(),
            station_key: key.into(),
            ..Manifest::default()
        }
    }

    #[test]
    fn one_key_on_two_machines_is_a_warning_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = ledger_of(&dir.path().join("stations.toml"));
        assert!(ledger.ends_with("stations.seen.toml"));
        let key = "ab".repeat(32);
        assert_eq!(note(&ledger, &manifest("e1", &key, "m1")).unwrap(), None);
        assert_eq!(
            note(&ledger, &manifest("e2", &key, "m1")).unwrap(),
            None,
            "same machine"
        );
        let w = note(&ledger, &manifest("e3", &key, "m2")).unwrap().unwrap();
        assert!(
            w.contains("e1") && w.contains("m1") && w.contains("e3") && w.contains("m2"),
            "{w}"
        );
        // Another station's key on m2 is no copy.
        assert_eq!(
            note(&ledger, &manifest("e4", &"cd".repeat(32), "m2")).unwrap(),
            None
        );
        // Without a machine nothing is noted.
        assert_eq!(note(&ledger, &manifest("e5", &key, "")).unwrap(), None);
        let text = std::fs::read_to_string(&ledger).unwrap();
        assert_eq!(text.matches("[[seen]]").count(), 3, "{text}");
    }
}

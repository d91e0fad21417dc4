//! The spool: the contract between the station, which writes exams there, and the uplink,
//! which sends them away. One folder of a data folder, `DATA_DIR/spool/`, with one folder per
//! exam (`<exam-id>`); an exam folder holding `manifest.json` is sealed (the station writes the
//! manifest atomically as the very last step), one without is an exam running or awaiting
//! recovery. Dot folders (`.trash`) are never exams. While an exam records, the station keeps
//! the marker [`EXAM_MARKER`] in its runtime folder: the exam's ruleset and kiosk follow it,
//! and the uplink waits.

use std::path::{Path, PathBuf};

/// The spool folder of a data folder.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("spool")
}

/// Whether `dir` (a folder of the spool) is a sealed bundle.
pub fn is_sealed(dir: &Path) -> bool {
    dir.join(crate::manifest::FILE).is_file()
}

/// Whether `path` names an exam folder of the spool: a folder that is not a dot folder.
pub fn is_exam(path: &Path) -> bool {
    path.is_dir()
        && !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// The exam folders of `spool` that `keep` accepts (e.g. [`is_sealed`]), oldest exam id
/// first; a missing spool has none.
pub fn exams(spool: &Path, keep: impl Fn(&Path) -> bool) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(spool) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut v: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_exam(p) && keep(p))
        .collect();
    v.sort();
    Ok(v)
}

/// The station's runtime folder when none is configured.
pub const DEFAULT_RUNTIME_DIR: &str = "/run/station";

/// The marker file, in the runtime folder, that exists while an exam records.
pub const EXAM_MARKER: &str = "exam-running";

/// The runtime folder: `STATION_RUNTIME_DIR`, else [`DEFAULT_RUNTIME_DIR`].
pub fn runtime_dir() -> PathBuf {
    std::env::var_os("STATION_RUNTIME_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_RUNTIME_DIR))
}

/// The folder the station's enrolled identity is installed in at boot (by `stationctl
/// identity install`, from the stick's identity partition): `STATION_IDENTITY_DIR`, else
/// `identity/` in the [`runtime_dir`]. Without an identity there the station is the site
/// file's `[station]`.
pub fn identity_dir() -> PathBuf {
    std::env::var_os("STATION_IDENTITY_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| runtime_dir().join("identity"))
}

/// Whether an exam records now on this station (its marker exists in `runtime_dir`).
pub fn exam_running(runtime_dir: &Path) -> bool {
    runtime_dir.join(EXAM_MARKER).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_exams_oldest_first_dot_folders_never() {
        let t = tempfile::tempdir().unwrap();
        let spool = dir(t.path());
        for name in [
            "20261201-0900-b",
            "20261201-0800-a",
            ".trash",
            "20261201-1000-c",
        ] {
            std::fs::create_dir_all(spool.join(name)).unwrap();
        }
        for name in ["20261201-0900-b", "20261201-0800-a", ".trash"] {
            std::fs::write(spool.join(name).join(crate::manifest::FILE), "{}").unwrap();
        }
        std::fs::write(spool.join("stray-file"), "").unwrap();
        let names = |v: Vec<PathBuf>| -> Vec<String> {
            v.iter()
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names(exams(&spool, is_sealed).unwrap()),
            ["20261201-0800-a", "20261201-0900-b"]
        );
        assert_eq!(
            names(exams(&spool, |p| !is_sealed(p)).unwrap()),
            ["20261201-1000-c"]
        );
        assert!(exams(&t.path().join("none"), is_sealed).unwrap().is_empty());
        assert!(!exam_running(t.path()));
        std::fs::write(t.path().join(EXAM_MARKER), "").unwrap();
        assert!(exam_running(t.path()));
    }
}

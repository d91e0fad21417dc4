//! Pinned station keys and object paths, on a central folder store laid out as the uplink
//! writes it (`recordings/<date>/<station>/<exam>/`): `fetch` with the registry accepts the
//! station's own bundles and refuses one signed by another key, one copied under another exam's
//! path, and an exam found under two paths; `examctl open --registry` refuses the foreign key.

mod support;

use std::path::{Path, PathBuf};

use bundle::keys::StationKey;
use uplink::registry::Registry;
use uplink::store::CentralStore;

/// A central folder store with one bundle of `test-station-01`, and that station's key.
struct Central {
    tmp: tempfile::TempDir,
    store: Box<dyn CentralStore>,
    key: String,
}

const EXAM: &str = "20261125-100000-a1b2c3";

fn exam_dir(root: &Path, station: &str, exam: &str) -> PathBuf {
    root.join("central/recordings/2026-11-25")
        .join(station)
        .join(exam)
}

fn central() -> Central {
    let tmp = tempfile::tempdir().unwrap();
    let made = support::make_bundle(&tmp.path().join("station/spool"), EXAM, &[2_000, 5_000], 5);
    support::copy_dir(&made, &exam_dir(tmp.path(), "test-station-01", EXAM));
    let key = StationKey::load_or_create(&tmp.path().join("station/station.key"))
        .unwrap()
        .public_hex();
    let text = format!(
        "[station]\nid = \"s1\"\nlocation = \"x\"\n[institution]\nname = \"U\"\nrecipient = \"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\"\n[exam]\nallowlist = [\"exam.example.ca\"]\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nfolder = \"{}\"\n",
        tmp.path().join("central").display()
    );
    let site = board_config::parse_site(&text, Path::new("site.toml")).unwrap();
    let store = uplink::store::open(&site, None, &Default::default()).unwrap();
    Central { tmp, store, key }
}

fn registry(station: &str, key: &str) -> Registry {
    Registry::parse(
        &format!("[[station]]\nid = \"{station}\"\nkey = \"{key}\"\n"),
        Path::new("stations.toml"),
    )
    .unwrap()
}

/// `fetch` of `exam` into a fresh folder: the error's text when it is refused.
fn fetch(c: &Central, exam: &str, r: &Registry) -> Result<(), String> {
    let out = c.tmp.path().join(format!("out-{}", rand_suffix()));
    uplink::fetch::fetch(c.store.as_ref(), "", exam, &out, Some(r))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn fetch_accepts_the_station_s_own_key_and_refuses_another() {
    let c = central();
    fetch(&c, EXAM, &registry("test-station-01", &c.key)).unwrap();
    let other = StationKey::load_or_create(&c.tmp.path().join("other.key"))
        .unwrap()
        .public_hex();
    let e = fetch(&c, EXAM, &registry("test-station-01", &other)).unwrap_err();
    assert!(e.contains("signed by key") && e.contains(&other), "{e}");
    let e = fetch(&c, EXAM, &registry("hall-b-07", &c.key)).unwrap_err();
    assert!(
        e.contains("\"test-station-01\" is not in the registry"),
        "{e}"
    );
}

#[test]
fn a_bundle_under_another_exam_s_path_is_refused() {
    let c = central();
    let r = registry("test-station-01", &c.key);
    let other = "20261125-120000-d4e5f6";
    support::copy_dir(
        &exam_dir(c.tmp.path(), "test-station-01", EXAM),
        &exam_dir(c.tmp.path(), "test-station-01", other),
    );
    let e = fetch(&c, other, &r).unwrap_err();
    assert!(
        e.contains("exam is \"20261125-100000-a1b2c3\" but the bundle is stored under \"20261125-120000-d4e5f6\""),
        "{e}"
    );
    // Under another station's folder.
    let moved = "20261125-130000-0f0f0f";
    let made = support::make_bundle(&c.tmp.path().join("station/spool"), moved, &[100], 9);
    support::copy_dir(&made, &exam_dir(c.tmp.path(), "hall-b-07", moved));
    let e = fetch(&c, moved, &r).unwrap_err();
    assert!(
        e.contains("station is \"test-station-01\" but the bundle is stored under \"hall-b-07\""),
        "{e}"
    );
}

#[test]
fn an_exam_found_under_two_paths_is_refused() {
    let c = central();
    support::copy_dir(
        &exam_dir(c.tmp.path(), "test-station-01", EXAM),
        &exam_dir(c.tmp.path(), "hall-b-07", EXAM),
    );
    let e = fetch(&c, EXAM, &registry("test-station-01", &c.key)).unwrap_err();
    assert!(e.contains("found under two paths"), "{e}");
}

#[test]
fn examctl_open_with_a_registry_refuses_a_foreign_key() {
    let c = central();
    let dir = exam_dir(c.tmp.path(), "test-station-01", EXAM);
    let reg = c.tmp.path().join("stations.toml");
    let other = StationKey::load_or_create(&c.tmp.path().join("other.key"))
        .unwrap()
        .public_hex();
    std::fs::write(
        &reg,
        format!("[[station]]\nid = \"test-station-01\"\nkey = \"{other}\"\n"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_examctl"))
        .arg("open")
        .arg(&dir)
        .arg("--identity")
        .arg(c.tmp.path().join("no-identity-needed-before-the-check"))
        .arg("--out")
        .arg(c.tmp.path().join("opened"))
        .arg("--registry")
        .arg(&reg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("signed by key") && err.contains("stations.toml"),
        "{err}"
    );
}

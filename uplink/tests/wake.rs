//! uplinkd sends a bundle as soon as it is sealed, not on its next poll, and starts no upload
//! while the station records an exam. Folder backend: no S3 server needed. The poll is an hour,
//! so only the spool watch can explain an upload within the test's bounds.

mod support;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Path, runtime: &Path) -> Daemon {
    let site = dir.join("site.toml");
    let recipient = bundle::keys::Identity::generate().recipient();
    std::fs::write(
        &site,
        format!(
            "[station]\nid = \"wake-test\"\nlocation = \"lab\"\n[institution]\nname = \"U\"\nrecipient = \"{recipient}\"\n\
             [exam]\nallowlist = [\"exam.example.ca\"]\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nfolder = \"{}\"\n\
             start_jitter_seconds = 0\n",
            dir.join("central").display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("data/spool")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_uplinkd"))
        .arg("--site")
        .arg(&site)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--poll-seconds", "3600"])
        .env("STATION_RUNTIME_DIR", runtime)
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    Daemon(child)
}

/// Seals a bundle the way the station does: made aside, then renamed into the spool at once.
fn seal(dir: &Path, exam: &str) -> std::path::PathBuf {
    let aside = dir.join("aside");
    std::fs::create_dir_all(&aside).unwrap();
    let made = support::make_bundle(&aside, exam, &[1000, 2000], 7);
    let into = dir.join("data/spool").join(exam);
    std::fs::rename(made, &into).unwrap();
    into
}

fn gone_within(p: &Path, secs: u64) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(secs) {
        if !p.exists() {
            return Some(t0.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("data/uplink/log")).unwrap_or_default()
}

#[test]
fn a_sealed_bundle_is_sent_at_once_and_none_while_an_exam_records() {
    let t = tempfile::tempdir().unwrap();
    let runtime = t.path().join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    let _d = start(t.path(), &runtime);
    // The daemon's first pass finds an empty spool; give it time to get there.
    let t0 = Instant::now();
    while !log(t.path()).contains("\"start\"") && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let first = seal(t.path(), "20261201-080000-aaaaaa");
    let took = gone_within(&first, 60).unwrap_or_else(|| {
        panic!(
            "not sent within 60 s (poll 3600 s); log:\n{}",
            log(t.path())
        )
    });
    eprintln!("sent {:.2} s after it was sealed", took.as_secs_f64());
    assert!(t
        .path()
        .join("central")
        .read_dir()
        .unwrap()
        .next()
        .is_some());

    // An exam records: a bundle sealed meanwhile (the one before) waits for its end.
    std::fs::write(runtime.join(bundle::spool::EXAM_MARKER), "").unwrap();
    let second = seal(t.path(), "20261201-090000-bbbbbb");
    assert!(gone_within(&second, 3).is_none(), "sent during an exam");
    assert!(
        log(t.path()).contains("an exam is recording"),
        "{}",
        log(t.path())
    );
    std::fs::remove_file(runtime.join(bundle::spool::EXAM_MARKER)).unwrap();
    assert!(
        gone_within(&second, 60).is_some(),
        "not sent after the exam; log:\n{}",
        log(t.path())
    );
}

//! Shared set-up: a temporary station on the simulated board with a fresh institution key.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bundle::keys::Identity;
use station::station::Station;

/// A station in a temp folder.
pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub identity: Identity,
    pub board: PathBuf,
    pub site: PathBuf,
    pub data: PathBuf,
}

impl Fixture {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let identity = Identity::generate();
        let site = tmp.path().join("site.toml");
        std::fs::write(
            &site,
            format!(
                "[station]\nid = \"test-station\"\nlocation = \"lab\"\n[institution]\nname = \"Test U\"\nrecipient = \"{}\"\n\
                 [exam]\nallowlist = [\"exam.example.ca\"]\nsegment_seconds = 10\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nfolder = \"{}\"\n\
                 [storage]\nmin_free_mib = 16\n[checkin]\nstudent_pattern = \"[a-z0-9-]{{1,40}}\"\nstudent_example = \"s-1\"\n",
                identity.recipient(),
                tmp.path().join("central").display()
            ),
        )
        .unwrap();
        let board = Path::new(env!("CARGO_MANIFEST_DIR")).join("../board-config/boards/sim.toml");
        let data = tmp.path().join("data");
        Fixture {
            tmp,
            identity,
            board,
            site,
            data,
        }
    }

    pub fn station(&self) -> Arc<Station> {
        Arc::new(Station::load(&self.board, &self.site, &self.data).unwrap())
    }

    pub fn stationctl(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_stationctl"));
        c.arg("--board")
            .arg(&self.board)
            .arg("--site")
            .arg(&self.site)
            .arg("--data-dir")
            .arg(&self.data);
        c.env("RUST_LOG", "warn");
        c
    }

    pub fn open(&self, bundle: &Path) -> (uplink::open::Opened, PathBuf) {
        let out = self
            .tmp
            .path()
            .join("opened")
            .join(bundle.file_name().unwrap());
        let o = uplink::open::open(bundle, &self.identity, &out).unwrap();
        (o, out)
    }
}

/// Duration of a media file in seconds, as gst-discoverer-1.0 reports it.
pub fn duration_secs(file: &Path) -> f64 {
    let out = Command::new("gst-discoverer-1.0")
        .arg(file)
        .output()
        .expect("gst-discoverer-1.0 runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Duration:"))
        .unwrap_or_else(|| panic!("no duration for {}: {text}", file.display()));
    let v = line.trim_start().trim_start_matches("Duration:").trim();
    let parts: Vec<f64> = v.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

/// The time (seconds) of every buffer of the first stream in a Matroska file.
pub fn buffer_times(file: &Path) -> Vec<f64> {
    review::media::buffer_times(file).unwrap()
}

/// The stream kinds gst-discoverer-1.0 finds in a file (`video`, `audio`).
pub fn stream_kinds(file: &Path) -> String {
    let out = Command::new("gst-discoverer-1.0")
        .arg(file)
        .output()
        .expect("gst-discoverer-1.0 runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Seconds between the timeline's ExamStarted and ExamEnded (or `end_ms` if given).
pub fn event_ms(o: &uplink::open::Opened, kind: &str) -> Option<u64> {
    o.timeline.events.iter().find(|e| e.kind == kind).map(|e| {
        humantime::parse_rfc3339(&e.time)
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    })
}

/// Every regular file below `dir`.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

//! A simulated station uploading to the real S3 server (SeaweedFS): shared by the tests that
//! follow exams from the station into the institution's bucket.

#![allow(dead_code)]

#[path = "../../../uplink/tests/support/mod.rs"]
pub mod s3;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A station in a temp folder.
pub struct Station {
    pub id: &'static str,
    pub tmp: tempfile::TempDir,
    pub board: PathBuf,
    pub site: PathBuf,
    pub data: PathBuf,
}

impl Station {
    /// A station of the simulated board whose camera section gets `camera`, uploading to
    /// `bucket` at `endpoint` (prefix `fleet`), its exams sealed to a throw-away institution.
    pub fn new(
        id: &'static str,
        endpoint: &str,
        bucket: &str,
        creds: &Path,
        camera: &str,
    ) -> Station {
        let recipient = bundle::keys::Identity::generate().recipient().to_string();
        Station::sealed_to(id, endpoint, bucket, creds, camera, &recipient)
    }

    /// [`Station::new`], its exams sealed to `recipient`.
    pub fn sealed_to(
        id: &'static str,
        endpoint: &str,
        bucket: &str,
        creds: &Path,
        camera: &str,
        recipient: &str,
    ) -> Station {
        let tmp = tempfile::tempdir().unwrap();
        let sim = Path::new(env!("CARGO_MANIFEST_DIR")).join("../board-config/boards/sim.toml");
        let board = tmp.path().join("board.toml");
        let text = std::fs::read_to_string(sim).unwrap();
        std::fs::write(
            &board,
            text.replace("[camera]\n", &format!("[camera]\n{camera}\n")),
        )
        .unwrap();
        let site = tmp.path().join("site.toml");
        std::fs::write(
            &site,
            format!(
                "[station]\nid = \"{id}\"\nlocation = \"Hall A\"\n[institution]\nname = \"Test U\"\nrecipient = \"{}\"\n\
                 [exam]\nallowlist = [\"exam.example.ca\"]\nsegment_seconds = 10\n\
                 [uplink]\nbackend = \"s3\"\nendpoint = \"{endpoint}\"\nregion = \"ca-central-1\"\nresidency = \"CA\"\n\
                 bucket = \"{bucket}\"\nprefix = \"fleet\"\ncredentials_file = \"{}\"\npart_size_mib = 5\nstart_jitter_seconds = 0\n\
                 [storage]\nmin_free_mib = 16\n[checkin]\nstudent_pattern = \"[a-z0-9-]{{1,40}}\"\nstudent_example = \"s-1\"\n",
                recipient,
                creds.display()
            ),
        )
        .unwrap();
        let data = tmp.path().join("data");
        Station {
            id,
            tmp,
            board,
            site,
            data,
        }
    }

    /// Runs `stationctl` on this station.
    pub fn stationctl(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_stationctl"))
            .arg("--board")
            .arg(&self.board)
            .arg("--site")
            .arg(&self.site)
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    }

    /// One pass of the uplink daemon (what uplinkd does after an exam).
    pub fn uplink(&self, attempts: u32) -> uplink::daemon::Pass {
        let site = board_config::load_site(&self.site).unwrap();
        let mut o = s3::fast_options(&self.data);
        o.retry.max_attempts = Some(attempts);
        uplink::daemon::run(&site, &o, &mut |_| {}).unwrap()
    }

    /// Its last signed health report.
    pub fn report(&self) -> bundle::health::Report {
        let b = std::fs::read(self.data.join("health/report.json")).unwrap();
        bundle::health::Report::parse(&b, "report.json").unwrap()
    }
}

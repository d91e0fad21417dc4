//! `examctl fleet` as IT runs it, against the real S3 server with generated signed reports:
//! what each command prints, the exit codes a monitoring check reads (0 all well, 1 attention,
//! 3 unreadable), the registry (a forged report, a station that never reported), reports off a
//! stick, and the node_exporter folder.

mod support;

use std::path::Path;
use std::process::Command;

use bundle::keys::StationKey;
use support::fleet::{exam_id, report, Kind};
use uplink::store::CentralStore;

fn examctl(args: &[&str], site: &Path, creds: &Path, registry: &Path) -> (String, i32) {
    let o = Command::new(env!("CARGO_BIN_EXE_examctl"))
        .arg("fleet")
        .args(args)
        .arg("--site")
        .arg(site)
        .arg("--credentials")
        .arg(creds)
        .arg("--registry")
        .arg(registry)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    eprintln!(
        "examctl fleet {args:?}:\n{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (out, o.status.code().unwrap())
}

#[test]
fn examctl_fleet_reads_the_bucket_and_exits_with_what_needs_attention() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("fleet-cli");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    let (creds, site) = support::site_files(&server, &bucket, tmp.path());
    let now = bundle::journal::now_ms();
    let prefix = "stations/test-station-01/health";
    let mut registry = String::new();
    for (n, (id, kind)) in [
        ("hall-a", Kind::Healthy),
        ("hall-b", Kind::CameraFailed),
        ("hall-c", Kind::Stuck),
        ("hall-d", Kind::Stale),
    ]
    .into_iter()
    .enumerate()
    {
        let key = StationKey::generate();
        let r = report(id, n, &key, now, kind);
        store
            .put(&format!("{prefix}/{id}.json"), &r.to_json())
            .unwrap();
        // hall-d's report is signed by another key than the registered one: forged.
        let registered = match kind {
            Kind::Stale => StationKey::generate().public_hex(),
            _ => key.public_hex(),
        };
        registry.push_str(&format!(
            "[[station]]\nid = \"{id}\"\nkey = \"{registered}\"\n"
        ));
    }
    registry.push_str(&format!(
        "[[station]]\nid = \"hall-e\"\nkey = \"{}\"\nprefix = \"stations/hall-e\"\n",
        StationKey::generate().public_hex()
    ));
    let reg = tmp.path().join("stations.toml");
    std::fs::write(&reg, registry).unwrap();
    let run = |args: &[&str]| examctl(args, &site, &creds, &reg);

    let (status, code) = run(&["status"]);
    assert_eq!(code, 1, "attention needed");
    let line = |id: &str| {
        status
            .lines()
            .find(|l| l.starts_with(&format!("{id}  ")))
            .unwrap_or_else(|| panic!("no {id} in {status}"))
            .to_owned()
    };
    assert!(line("hall-a").ends_with("  OK") && line("hall-a").contains("image 0.1.0+0ld"));
    assert!(line("hall-b").contains("ATTENTION: self-test failed: camera"));
    assert!(line("hall-c").contains(&format!(
        "1 exam(s) sealed but not arrived: {} (8h 0m ago)",
        exam_id(2, 1)
    )));
    assert!(line("hall-d").contains("report not trusted: signed by key"));
    assert!(line("hall-d").contains("last report 3d 0h ago"));
    assert!(line("hall-e").contains("registered, never reported"));
    assert!(status.ends_with("5 station(s): 4 need attention (1 never reported)\n"));

    let (pending, code) = run(&["pending"]);
    assert_eq!(code, 1);
    assert_eq!(
        pending.trim(),
        format!(
            "hall-c  {}  sealed {}  age 8h 0m  250.0 MB  upload tried, last error network  SEALED BUT NOT ARRIVED",
            exam_id(2, 1),
            &bundle::rfc3339(now - 8 * 3_600_000)[..16].replace('T', " ")
        )
    );
    // The bundle arrives after all: no longer missing, and the station does not know yet.
    store
        .put(
            &format!(
                "stations/test-station-01/recordings/2026-11-30/hall-c/{}/manifest.json",
                exam_id(2, 1)
            ),
            b"{}",
        )
        .unwrap();
    let (pending, code) = run(&["pending"]);
    assert_eq!(code, 0);
    assert!(pending.contains("arrived (the station does not know yet)"));

    let (stale, code) = run(&["stale", "--older-than", "1d"]);
    assert!(
        stale.starts_with("hall-d  last report ") && code == 1,
        "{stale}"
    );
    assert!(stale.contains("hall-e  never reported"));
    let (versions, code) = run(&["versions"]);
    assert_eq!(code, 0);
    assert!(versions.starts_with("0.1.0+3f2a9c1e  3 station(s): hall-b, hall-c, hall-d\n"));
    let (show, code) = run(&["show", "hall-c"]);
    assert_eq!(
        code, 0,
        "arrived now: hall-c is well again but for its upload errors"
    );
    assert!(show.contains("exams (chain of custody):") && show.contains(&exam_id(2, 1)));
    assert!(show.contains("clock offset      +0.1 s"));
    assert_eq!(run(&["show", "hall-z"]).1, 3);

    let prom = tmp.path().join("prom");
    let (_, code) = run(&["prom", "--out", prom.to_str().unwrap()]);
    assert_eq!(code, 1);
    let a = std::fs::read_to_string(prom.join("station-hall-a.prom")).unwrap();
    assert!(a.contains("exam_station_selftest_passed{station=\"hall-a\",device=\"camera\"} 1"));
    let fleet = std::fs::read_to_string(prom.join("fleet.prom")).unwrap();
    assert!(fleet.contains("exam_station_attention{station=\"hall-e\"} 1"));
    assert!(fleet.contains("exam_station_fleet_stations{state=\"silent\"} 1"));

    // Only the healthy station's report, off a stick: all well.
    let stick = tmp.path().join("stick");
    std::fs::create_dir_all(&stick).unwrap();
    let key = StationKey::generate();
    let r = report("hall-a", 0, &key, now, Kind::Healthy);
    std::fs::write(stick.join("report.json"), r.to_json()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_examctl"))
        .args(["fleet", "status", "--reports"])
        .arg(&stick)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");

    // A store that cannot be reached: "unknown", not "all well".
    let down = tmp.path().join("down.toml");
    std::fs::write(
        &down,
        support::site_toml("http://127.0.0.1:9", "ca-central-1", &bucket, &creds, ""),
    )
    .unwrap();
    assert_eq!(examctl(&["status"], &down, &creds, &reg).1, 3);
}

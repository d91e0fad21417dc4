//! Exam end to central copy verified: `stationctl exam simulate` (release build, the simulated
//! board, this S3 site) records and seals a short exam while `uplinkd` runs as a daemon on the
//! same data folder with no start jitter; the time from the journal's ExamEnded (read from the
//! central copy with the institution's key) to the uplink log's `deleted` (the local copy
//! deleted after the central one was verified), in parts: to sealing (the manifest's
//! `ended_at`; ExamEnded is journaled once the recording has stopped), sealed and uplinkd woken,
//! then sent and verified.

use std::path::Path;
use std::time::{Duration, Instant};

use uplink::store::CentralStore;

use crate::support;

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(t: &str) -> i64 {
    t.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("time {t:?}: {e}"))
        .as_millisecond()
}

pub fn run(
    server: &support::Server,
    store: &dyn CentralStore,
    bucket: &str,
    tmp: &Path,
    link: f64,
) {
    let Some(stationctl) = std::env::var_os("EXAM_STATIONCTL") else {
        panic!("EXAM_STATIONCTL: the release stationctl (cargo xtask bench builds it)");
    };
    let dir = tmp.join("exam-end");
    let data = dir.join("data");
    let runtime = dir.join("run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::create_dir_all(data.join("spool")).unwrap();
    let site = crate::site(server, &server.endpoint, bucket, (&dir, "site.toml"), "");
    // The institution's key, to read the journal of the central copy afterwards.
    let identity = bundle::keys::Identity::generate();
    let text = std::fs::read_to_string(&site).unwrap();
    let text = text
        .lines()
        .map(|l| match l.starts_with("recipient = ") {
            true => format!("recipient = \"{}\"", identity.recipient()),
            false => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&site, text).unwrap();
    let board = Path::new(env!("CARGO_MANIFEST_DIR")).join("../board-config/boards/sim.toml");
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_uplinkd"))
        .arg("--site")
        .arg(&site)
        .arg("--data-dir")
        .arg(&data)
        .env("STATION_RUNTIME_DIR", &runtime)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = std::process::Command::new(stationctl)
        .arg("--board")
        .arg(&board)
        .arg("--site")
        .arg(&site)
        .arg("--data-dir")
        .arg(&data)
        .args(["exam", "simulate", "--duration", "30s"])
        .env("STATION_RUNTIME_DIR", &runtime)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stationctl exam simulate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log_path = uplink::daemon::log_path(&data);
    let t = Instant::now();
    let log = loop {
        let log = uplink::log::read(&log_path).unwrap_or_default();
        if log.iter().any(|e| e["event"] == "deleted") {
            break log;
        }
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "uplinkd did not send the exam within 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = daemon.kill();
    let _ = daemon.wait();
    let at = |event: &str| {
        log.iter()
            .find(|e| e["event"] == event)
            .and_then(|e| e["t"].as_str())
            .map(ms)
            .unwrap_or_else(|| panic!("no {event} in the uplink log"))
    };
    let bytes = log
        .iter()
        .find(|e| e["event"] == "bundle_start")
        .and_then(|e| e["bytes"].as_u64())
        .unwrap_or(0);
    let exam = log
        .iter()
        .find(|e| e["event"] == "deleted")
        .and_then(|e| e["exam"].as_str())
        .expect("the exam's id in the uplink log");
    // The central copy: its manifest's ended_at (sealing began) and its journal's ExamEnded.
    let central = dir.join("central");
    for o in store.list("").unwrap() {
        if let Some((_, name)) = o.key.split_once(&format!("/{exam}/")) {
            store.get(&o.key, &central.join(name)).unwrap();
        }
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(central.join("manifest.json")).unwrap()).unwrap();
    let sealing = ms(m["ended_at"].as_str().expect("ended_at"));
    let (records, _) = bundle::journal::read_all(&central, &identity).unwrap();
    let ended = records
        .iter()
        .find(|r| matches!(r.event, bundle::event::Event::ExamEnded { .. }))
        .map(|r| r.wall_ms as i64)
        .expect("ExamEnded in the journal");
    let (start, deleted) = (at("bundle_start"), at("deleted"));
    let s = |a: i64, b: i64| (b - a) as f64 / 1000.0;
    println!(
        "exam end to verified  {:.2} s from ExamEnded to the local copy deleted (to sealing {:.2} s, sealed and uplinkd woken {:.2} s, {bytes} bytes sent and verified {:.2} s; at the best goodput measured above the bytes alone take {:.2} s); start jitter off",
        s(ended, deleted),
        s(ended, sealing),
        s(sealing, start),
        s(start, deleted),
        bytes as f64 / link
    );
}

//! `cargo xtask bench` (fleet part): `examctl fleet status` over 1,000 stations' signed reports
//! in the real S3 server (generated: most healthy, some with a failed camera, an exam that
//! never arrived, a stale or forged report), against a bare list and read of the same 1,000
//! objects in this process with the same 8 threads. Goal: the command answers in under 2 s.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Instant;

use bundle::keys::StationKey;
use support::fleet::{report, Kind};
use uplink::store::CentralStore;

const STATIONS: usize = 1000;

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") || std::env::args().any(|a| a == "--list") {
        eprintln!("fleet bench: measured only under `cargo bench` (`cargo xtask bench`)");
        return;
    }
    let server = support::server();
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bucket = support::bucket("fleet-bench");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    let (creds, site) = support::site_files(&server, &bucket, tmp.path());
    let prefix = "stations/test-station-01/health";
    let now = bundle::journal::now_ms();
    let ids: Vec<usize> = (0..STATIONS).collect();
    let key = StationKey::generate();
    let t = Instant::now();
    uplink::fleet::par_map(&ids, |&n| {
        let kind = match n % 50 {
            1 => Kind::CameraFailed,
            2 => Kind::Stuck,
            3 => Kind::Stale,
            _ => Kind::Healthy,
        };
        let id = format!("hall-{:03}-{:02}", n / 40, n % 40);
        let r = report(&id, n, &key, now, kind);
        store
            .put(&format!("{prefix}/{id}.json"), &r.to_json())
            .unwrap();
    });
    eprintln!(
        "fleet bench: {STATIONS} reports put in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Baseline: list and read the same objects, nothing parsed or judged.
    let t = Instant::now();
    let keys: Vec<String> = store
        .list(&format!("{prefix}/"))
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    let bytes: usize = uplink::fleet::par_map(&keys, |k| store.read(k).unwrap().len())
        .iter()
        .sum();
    let bare = t.elapsed().as_secs_f64();
    assert_eq!(keys.len(), STATIONS);

    let run = |what: &str| {
        let t = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_examctl"))
            .args(["fleet", what])
            .arg("--site")
            .arg(&site)
            .arg("--credentials")
            .arg(&creds)
            .output()
            .unwrap();
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        (secs, String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let (status, out) = run("status");
    let (pending, _) = run("pending");
    assert!(out.contains(&format!("{STATIONS} station(s)")), "{out}");
    println!(
        "fleet: `examctl fleet status` over {STATIONS} stations' reports ({:.1} MB): {status:.2} s wall (goal < 2 s); `pending` {pending:.2} s",
        bytes as f64 / 1e6
    );
    println!(
        "fleet: bare list + read of the same {STATIONS} objects in process: {bare:.2} s; status / bare = {:.2}",
        status / bare
    );
}

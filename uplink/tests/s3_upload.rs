//! Uploads against a real S3 server (SeaweedFS), through a fault-injecting proxy.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::proxy::{self, Faults};
use uplink::daemon;
use uplink::log::Log;
use uplink::store::CentralStore;
use uplink::throttle::Throttle;

const MIB: usize = 1 << 20;

/// `uplinkd --site SITE --data-dir DATA --once`, run to its end.
fn uplinkd_once(site: &Path, data: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_uplinkd"))
        .arg("--site")
        .arg(site)
        .arg("--data-dir")
        .arg(data)
        .arg("--once")
        .output()
        .unwrap()
}

/// Every central object of a bundle equals the original file, byte for byte.
fn assert_central_equal(store: &dyn CentralStore, base: &str, original: &Path, tmp: &Path) {
    for name in bundle::manifest::list_files(original).unwrap() {
        let out = tmp.join("got");
        store.get(&format!("{base}/{name}"), &out).unwrap();
        assert!(
            std::fs::read(&out).unwrap() == std::fs::read(original.join(&name)).unwrap(),
            "{base}/{name} differs from the local original"
        );
    }
}

#[test]
fn hundred_bundles_through_fault_proxy_arrive_bit_identical() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("hundred");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    store.create_bucket().unwrap();
    let data = tmp.path().join("data");
    let originals = tmp.path().join("originals");
    let mut exams = Vec::new();
    for i in 0..100u64 {
        let exam = format!("20261125-1000{:02}-{i:06x}", i % 60);
        let sizes: Vec<usize> = if i % 33 == 0 {
            vec![40_000, 11 * MIB + 12_345] // multipart: 3 parts of 5 MiB
        } else {
            vec![
                1_000 + (i as usize * 7919) % 60_000,
                50_000 + (i as usize * 104_729) % 200_000,
            ]
        };
        let dir = support::make_bundle(&data.join("spool"), &exam, &sizes, i);
        support::copy_dir(&dir, &originals.join(&exam));
        exams.push(exam);
    }
    // An exam still running (no manifest) must be left alone.
    std::fs::create_dir_all(data.join("spool/20261125-235959-running")).unwrap();
    std::fs::write(
        data.join("spool/20261125-235959-running/camera-00000.mkv.age"),
        b"open",
    )
    .unwrap();

    let p = proxy::start(
        &server.addr(),
        Faults {
            probability: 1.0,
            max: 60,
            max_stall: Duration::from_millis(3000),
            span: 2 << 20,
            seed: 42,
        },
    );
    let creds = server.creds_file(tmp.path());
    let site = support::site(&p.endpoint, &bucket, &creds, "");
    let opts = support::fast_options(&data);
    let t = Instant::now();
    let mut done = Vec::new();
    let pass = daemon::run(&site, &opts, &mut |u| done.push(u.exam.clone())).unwrap();
    let took = t.elapsed();
    assert!(pass.failed.is_empty(), "failed: {:?}", pass.failed);
    assert_eq!(pass.done.len(), 100);
    let s = &p.stats;
    eprintln!(
        "100 bundles in {took:?} through {} connections: {} resets, {} stalls, {} truncated answers",
        s.conns.load(Ordering::Relaxed),
        s.resets.load(Ordering::Relaxed),
        s.stalls.load(Ordering::Relaxed),
        s.truncations.load(Ordering::Relaxed)
    );
    assert!(
        s.resets.load(Ordering::Relaxed)
            + s.stalls.load(Ordering::Relaxed)
            + s.truncations.load(Ordering::Relaxed)
            >= 10,
        "too few faults were injected to mean anything"
    );

    // Local spool: every sealed bundle gone, the running exam untouched.
    let left: Vec<_> = std::fs::read_dir(data.join("spool"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("20261125-235959-running")]
    );

    // Log: for every exam, "deleted" only after "verified", which comes after every file_verified.
    let log = uplink::log::read(&daemon::log_path(&data)).unwrap();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &log {
        seen.entry(e["exam"].as_str().unwrap_or("").into())
            .or_default()
            .push(e["event"].as_str().unwrap_or("").into());
    }
    for exam in &exams {
        let ev = &seen[exam];
        let v = ev.iter().position(|e| e == "verified").expect("verified");
        let d = ev.iter().position(|e| e == "deleted").expect("deleted");
        assert!(v < d, "{exam}: deleted before verified: {ev:?}");
        assert!(ev[v..].iter().all(|e| e != "file_verified"));
    }

    // Central objects: bit-identical to the originals, manifest present, bundle verifies.
    let base = |exam: &str| {
        format!("stations/test-station-01/recordings/2026-11-25/test-station-01/{exam}")
    };
    for exam in &exams {
        assert_central_equal(&store, &base(exam), &originals.join(exam), tmp.path());
    }
    let out = tmp.path().join("fetched");
    let m =
        uplink::fetch::fetch(&store, "stations/test-station-01", &exams[33], &out, None).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].exam, exams[33]);
}

#[test]
fn sigkill_mid_upload_resumes_and_resends_at_most_the_parts_in_flight() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::bucket("sigkill");
    let store = support::s3_store(&server, &bucket, &tmp).unwrap();
    store.create_bucket().unwrap();
    let data = tmp.path().join("data");
    let exam = "20261125-120000-abcdef";
    let dir = support::make_bundle(&data.join("spool"), exam, &[30_000, 26 * MIB + 777], 7);
    let original = tmp.path().join("original");
    support::copy_dir(&dir, &original);
    let total: u64 = bundle::manifest::list_files(&dir)
        .unwrap()
        .iter()
        .map(|n| std::fs::metadata(dir.join(n)).unwrap().len())
        .sum();

    let p = proxy::start(&server.addr(), Faults::none());
    let creds = server.creds_file(tmp.path());
    // 64 Mbit/s: 6 parts take ~3.5 s, time to kill it mid-way.
    let text = support::site_toml(
        &p.endpoint,
        "ca-central-1",
        &bucket,
        &creds,
        "bandwidth_limit_kbps = 64000",
    );
    let site_file = tmp.path().join("site.toml");
    std::fs::write(&site_file, text).unwrap();
    let uplinkd = |once: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_uplinkd"));
        c.arg("--site")
            .arg(&site_file)
            .arg("--data-dir")
            .arg(&data)
            .args(["--io-timeout", "5", "--backoff-cap", "1"]);
        if once {
            c.arg("--once");
        }
        c
    };
    let mut child = uplinkd(true).spawn().unwrap();
    let log_path = daemon::log_path(&data);
    let t = Instant::now();
    loop {
        let parts = uplink::log::read(&log_path)
            .map(|l| l.iter().filter(|e| e["event"] == "part").count())
            .unwrap_or(0);
        if parts >= 2 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "uplinkd made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "uplinkd ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = p.stats.up.load(Ordering::Relaxed);
    let open = p.stats.max_open.load(Ordering::Relaxed);
    assert!(
        open >= 2,
        "parts went one at a time ({open} connection at most)"
    );
    assert!(
        dir.join("manifest.json").exists(),
        "local copy must stay until verified"
    );

    let resent = p.resent_after(&mut uplinkd(true), total);
    let sent = p.up();
    eprintln!("bundle {total} bytes; sent {at_kill} before SIGKILL, {sent} in all; re-sent {resent} bytes (part 5 MiB, 4 in flight)");
    // Four parts in flight (the default `parts_in_flight`); request headers add a few hundred
    // bytes per request.
    assert!(
        resent <= 4 * (5 * MIB as u64 + 64 * 1024),
        "re-sent {resent} bytes, more than the 4 parts in flight"
    );
    let log = uplink::log::read(&log_path).unwrap();
    assert!(
        log.iter()
            .any(|e| e["event"] == "resumed" && e["parts_kept"].as_u64().unwrap_or(0) >= 2),
        "no resume in the log"
    );
    assert!(!dir.exists(), "local copy not deleted after verification");
    let base = format!("stations/test-station-01/recordings/2026-11-25/test-station-01/{exam}");
    assert_central_equal(&store, &base, &original, tmp.path());
}

#[test]
fn non_canadian_region_or_remote_http_is_refused_and_nothing_is_sent() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    support::make_bundle(&data.join("spool"), "20261125-130000-000001", &[1000], 1);
    let p = proxy::start(&server.addr(), Faults::none());
    let creds = server.creds_file(tmp.path());

    // A site file with us-east-1: uplinkd refuses, naming the field.
    let site_file = tmp.path().join("site.toml");
    std::fs::write(
        &site_file,
        support::site_toml(&p.endpoint, "us-east-1", "refused", &creds, ""),
    )
    .unwrap();
    let out = uplinkd_once(&site_file, &data);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("region") && err.contains("us-east-1"),
        "unclear error: {err}"
    );

    // A config that bypassed validation is refused again at connect time, naming the field.
    let refused = |site: &board_config::Site, field: &str| {
        let e = daemon::run(site, &support::fast_options(&data), &mut |_| {}).unwrap_err();
        assert!(
            matches!(&e, uplink::UplinkError::Residency { field: f, .. } if *f == field),
            "{:?}: {e}",
            site.uplink.endpoint
        );
        e
    };
    let mut site = support::site(&p.endpoint, "refused", &creds, "");
    site.uplink.region = Some("us-east-1".into());
    assert!(refused(&site, "uplink.region")
        .to_string()
        .contains("us-east-1"));
    let mut site = support::site(&p.endpoint, "refused", &creds, "");
    site.uplink.endpoint = Some("http://s3.example.ca:8333".into());
    refused(&site, "uplink.endpoint");
    let mut site = support::site(&p.endpoint, "refused", &creds, "");
    site.uplink.residency = "US".into();
    refused(&site, "uplink.residency");
    // Endpoints that a split at `@` reads as the region's AWS host, but the HTTP stack would
    // send to the fault proxy on 127.0.0.1: refused before any connection.
    let host_port = p.endpoint.split_once("://").map_or("", |(_, h)| h);
    for odd in [
        format!("https://{host_port}\\@s3.ca-central-1.amazonaws.com"),
        format!("https://{host_port}#@s3.ca-central-1.amazonaws.com"),
        format!("https://s3.ca-central-1.amazonaws.com@{host_port}"),
    ] {
        let mut site = support::site(&p.endpoint, "refused", &creds, "");
        site.uplink.endpoint = Some(odd);
        site.uplink.region = Some("ca-central-1".into());
        site.uplink.on_premises = false;
        refused(&site, "uplink.endpoint");
    }

    assert_eq!(
        p.stats.conns.load(Ordering::Relaxed),
        0,
        "something was sent"
    );
    assert!(data
        .join("spool/20261125-130000-000001/manifest.json")
        .exists());
}

#[test]
fn folder_backend_uploads_verifies_and_fetches() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let exam = "20261125-140000-00000f";
    let dir = support::make_bundle(&data.join("spool"), exam, &[10_000, 300_000], 3);
    let original = tmp.path().join("original");
    support::copy_dir(&dir, &original);
    let central = tmp.path().join("central");
    let text = format!(
        "[station]\nid = \"s1\"\nlocation = \"x\"\n[institution]\nname = \"U\"\nrecipient = \"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\"\n[exam]\nallowlist = [\"exam.example.ca\"]\n[uplink]\nbackend = \"folder\"\nresidency = \"CA\"\nstart_jitter_seconds = 0\nfolder = \"{}\"\n",
        central.display()
    );
    let site = board_config::parse_site(&text, Path::new("site.toml")).unwrap();
    let store = uplink::store::open(&site, None, &Default::default()).unwrap();
    let log = Log::open(&daemon::log_path(&data)).unwrap();
    let pass = daemon::pass(
        &site,
        store.as_ref(),
        &Throttle::new(0),
        &log,
        &support::fast_options(&data),
    )
    .unwrap();
    assert_eq!(pass.done.len(), 1, "{:?}", pass.failed);
    assert!(!dir.exists());
    let got = central
        .join("recordings/2026-11-25/test-station-01")
        .join(exam);
    bundle::manifest::verify_bundle(&got).unwrap();
    let out = tmp.path().join("fetched");
    uplink::fetch::fetch(store.as_ref(), "", exam, &out, None).unwrap();
    assert_eq!(
        bundle::manifest::list_files(&out).unwrap(),
        bundle::manifest::list_files(&original).unwrap()
    );
}

/// The station's credentials as shipped for an on-premises store
/// (`policies/seaweedfs-station-identity.json`: write to one bucket, nothing else): uplinkd
/// uploads a bundle (a single PUT and a multipart file), verifies it from the server's answers
/// and deletes the local copy; the same credentials can neither list nor read what they wrote.
#[test]
fn uplinkd_with_write_only_credentials_completes_verifies_and_deletes() {
    let server = support::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = support::WRITE_ONLY_BUCKET;
    let admin = support::s3_store(&server, bucket, &tmp).unwrap();
    admin.create_bucket().unwrap();
    let data = tmp.path().join("data");
    let exam = format!(
        "20261126-0900{:02}-{:06x}",
        std::process::id() % 60,
        std::process::id()
    );
    let dir = support::make_bundle(&data.join("spool"), &exam, &[30_000, 12 * MIB + 5], 11);
    let original = tmp.path().join("original");
    support::copy_dir(&dir, &original);
    let writer = tmp.path().join("writer.toml");
    let (ak, sk) = support::WRITE_ONLY_KEYS;
    std::fs::write(
        &writer,
        format!("access_key = \"{ak}\"\nsecret_key = \"{sk}\"\n"),
    )
    .unwrap();
    let site_file = tmp.path().join("site.toml");
    std::fs::write(
        &site_file,
        support::site_toml(&server.endpoint, "ca-central-1", bucket, &writer, ""),
    )
    .unwrap();
    let out = uplinkd_once(&site_file, &data);
    let log = uplink::log::read(&daemon::log_path(&data)).unwrap_or_default();
    assert!(
        out.status.success(),
        "uplinkd with write-only credentials: {}\n{log:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.exists(), "local copy not deleted after verification");
    assert!(log.iter().any(|e| e["event"] == "completed"), "{log:?}");
    let base = format!("stations/test-station-01/recordings/2026-11-25/test-station-01/{exam}");
    assert_central_equal(&admin, &base, &original, tmp.path());
    // Write only: the station cannot look at the store.
    let creds = uplink::creds::Credentials::load(&writer).unwrap();
    let site = board_config::parse_site(&std::fs::read_to_string(&site_file).unwrap(), &site_file)
        .unwrap();
    let tuning = uplink::store::Tuning {
        io_timeout: Duration::from_secs(10),
    };
    let station = uplink::store::s3::S3Store::connect(&site.uplink, &creds, &tuning).unwrap();
    assert!(
        station.list(&base).is_err(),
        "the station's credentials can list"
    );
    assert!(
        station
            .get(&format!("{base}/manifest.json"), &tmp.path().join("read"))
            .is_err(),
        "the station's credentials can read"
    );
}

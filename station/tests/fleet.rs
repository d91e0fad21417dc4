//! Fleet health end to end against the real S3 server (SeaweedFS): three simulated stations
//! (`stationctl` on the simulated board, the uplink daemon's own pass) report:
//! - `hall-a-01` is healthy: its exam is uploaded and verified;
//! - `hall-a-02`'s camera fails its self-test (its scene does not exist);
//! - `hall-a-03` seals an exam whose upload is cut every time (a proxy drops each connection
//!   after 64 KiB) and never completes, while its small report gets through.
//!
//! The institution's side then reads the bucket: status, pending with the exam's age,
//! reconciliation naming the exam sealed but not arrived, "attention needed"; the fleet page
//! in headless Chromium; and no report anywhere holds the student number typed at check-in.

mod common;
mod s3station;

use common::contains;
use s3station::{s3, Station};

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use uplink::fleet::{self, judge, text};

const STUDENT: &str = "s-7734019";

/// A proxy to `upstream` that cuts each connection once the client has sent `limit` bytes on it.
fn cutting_proxy(upstream: String, limit: usize) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in l.incoming().map_while(Result::ok) {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(Shutdown::Both);
            });
            std::thread::spawn(move || {
                let (mut client, mut server) = (client, server);
                let mut buf = [0u8; 8192];
                let mut sent = 0;
                while let Ok(n) = client.read(&mut buf) {
                    if n == 0 || sent + n > limit || server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    sent += n;
                }
                let _ = server.shutdown(Shutdown::Both);
                let _ = client.shutdown(Shutdown::Both);
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn three_stations_report_and_the_fleet_sees_the_failed_camera_and_the_exam_that_never_arrived() {
    let server = s3::server();
    let tmp = tempfile::tempdir().unwrap();
    let bucket = s3::bucket("fleet");
    s3::s3_store(&server, &bucket, &tmp).unwrap();
    let creds = server.creds_file(tmp.path());
    let cut = cutting_proxy(server.addr(), 64 << 10);

    let healthy = Station::new("hall-a-01", &server.endpoint, &bucket, &creds, "");
    let camera = Station::new(
        "hall-a-02",
        &server.endpoint,
        &bucket,
        &creds,
        "scene = \"/nonexistent/scene/%04d.jpg\"",
    );
    let stuck = Station::new("hall-a-03", &cut, &bucket, &creds, "");

    // Self-test, an exam where the camera allows, then the uplink; the station signs a new
    // report with what the uplink recorded (stationd does that on its own), and the next pass
    // pushes it.
    for st in [&healthy, &camera, &stuck] {
        let t = st.stationctl(&["selftest"]);
        assert_eq!(t.status.success(), st.id != "hall-a-02", "{}: {t:?}", st.id);
        if st.id != "hall-a-02" {
            let e = st.stationctl(&["exam", "simulate", "--duration", "3s", "--student", STUDENT]);
            assert!(e.status.success(), "{}: {e:?}", st.id);
            assert_eq!(st.report().reason, "exam");
            assert_eq!(st.report().pending.count, 1);
        }
        let first = st.uplink(3);
        assert_eq!(
            first.failed.len(),
            usize::from(st.id == "hall-a-03"),
            "{}",
            st.id
        );
        let h = st.stationctl(&["health"]);
        assert!(h.status.success(), "{h:?}");
        st.uplink(2);
    }

    // The station's own view of the stuck exam.
    let r = stuck.report();
    r.verify_signature().unwrap();
    let exam = r.exams.last().unwrap().clone();
    assert_eq!((exam.end_reason.as_str(), r.pending.count), ("TimeUp", 1));
    assert!(exam.first_attempt_at.is_some() && exam.verified_at.is_none());
    assert_eq!(exam.last_error.as_deref(), Some("network"), "{r:?}");
    assert_eq!(
        (r.uploads.attempts, r.uploads.errors["network"]),
        (1, 1),
        "{:?}",
        r.uploads
    );
    let done = healthy.report();
    assert!(
        done.exams[0].verified_at.is_some() && done.pending.count == 0,
        "{done:?}"
    );
    assert!(done.clock_offset_ms.is_some_and(|ms| ms.abs() < 5_000));

    // The institution's side, from the bucket.
    let store = s3::s3_store(&server, &bucket, &tmp).unwrap();
    let src = fleet::Sources {
        store: Some(&store),
        roots: vec!["fleet".into()],
        registry: None,
        folders: vec![],
    };
    std::thread::sleep(std::time::Duration::from_secs(2));
    let mut rules = judge::Rules::new();
    rules.late_after = std::time::Duration::from_secs(1);
    let f = judge::judge(fleet::collect(&src).unwrap(), &rules, Some(&store));
    let status = text::status(&f);
    println!("{status}");
    let line = |id: &str| {
        status
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap()
            .to_owned()
    };
    assert!(line("hall-a-01").ends_with("  OK"), "{status}");
    assert!(line("hall-a-01").contains("camera PASS") && line("hall-a-01").contains("TimeUp"));
    assert!(
        line("hall-a-02").contains("ATTENTION: self-test failed: camera"),
        "{status}"
    );
    let l3 = line("hall-a-03");
    assert!(
        l3.contains("pending 1")
            && l3.contains(&format!("1 exam(s) sealed but not arrived: {}", exam.exam))
            && l3.contains("uploads failing: network x1"),
        "{status}"
    );
    assert!(f.attention());
    let (pending, n) = text::pending(&f, &rules);
    println!("{pending}");
    assert_eq!(n, 1, "only the stuck exam waits: {pending}");
    assert!(pending.starts_with(&format!("hall-a-03  {}  sealed ", exam.exam)));
    assert!(pending.contains(" age ") && pending.contains("SEALED BUT NOT ARRIVED"));
    let args = |what| fleet::command::Args {
        what,
        site: None,
        credentials: None,
        registry: None,
        reports: vec![],
        late_after: rules.late_after,
        stale_after: rules.stale_after,
        min_free_mib: 1024,
    };
    let code = |what| fleet::command::run(&args(what), Some(&store), vec!["fleet".into()], None);
    assert_eq!(
        code(fleet::command::What::Status),
        fleet::command::ATTENTION
    );
    assert_eq!(
        code(fleet::command::What::Pending),
        fleet::command::ATTENTION
    );
    assert_eq!(code(fleet::command::What::Versions), 0);

    // The report off a stick (no network): the same station from a folder.
    let stick = tmp.path().join("sticks");
    std::fs::create_dir_all(&stick).unwrap();
    std::fs::copy(
        stuck.data.join("health/report.json"),
        stick.join("hall-a-03.json"),
    )
    .unwrap();
    let off = fleet::collect(&fleet::Sources {
        store: None,
        roots: vec!["fleet".into()],
        registry: None,
        folders: vec![stick],
    })
    .unwrap();
    assert_eq!(off.seen.len(), 1);
    assert_eq!(off.seen[0].report.pending.count, 1);

    // Nothing personal in any report: local, pushed, Prometheus, the uplink's facts.
    let mut files: Vec<PathBuf> = Vec::new();
    for st in [&healthy, &camera, &stuck] {
        for name in [
            "health/report.json",
            "health/report.prom",
            "uplink/health.json",
        ] {
            let f = st.data.join(name);
            assert!(f.exists() || name.starts_with("uplink") && st.id == "hall-a-02");
            files.extend(f.exists().then_some(f));
        }
    }
    let pushed = tmp.path().join("pushed");
    for o in uplink::store::CentralStore::list(&store, "fleet/health/").unwrap() {
        let to = pushed.join(o.key.replace('/', "_"));
        uplink::store::CentralStore::get(&store, &o.key, &to).unwrap();
        files.push(to);
    }
    assert_eq!(files.len(), 8 + 6, "three reports and their .prom pushed");
    for f in &files {
        let b = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(
            !contains(&b, STUDENT.as_bytes()),
            "{} holds the student number",
            f.display()
        );
    }

    // The fleet page, in headless Chromium.
    let out = tmp.path().join("page");
    let index = fleet::page::write(&f, &rules, &out).unwrap();
    let mut b = headless::Browser::chromium();
    b.open(&format!("file://{}", index.display()));
    b.wait_for("document.querySelectorAll('#stations tbody tr').length == 3");
    let attention = b.eval("document.querySelectorAll('#stations tbody tr.attention').length");
    assert_eq!(attention, 2);
    let missing = b.eval("document.getElementById('missing').innerText");
    assert!(missing.as_str().unwrap().contains(&exam.exam), "{missing}");
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/fleet-browser");
    std::fs::create_dir_all(&shots).unwrap();
    b.screenshot(&shots.join("fleet.png"));
    b.click("#only");
    b.wait_for("document.querySelectorAll('#stations tbody tr:not([hidden])').length == 2");
    let shown = b.eval(
        "Array.from(document.querySelectorAll('#stations tbody tr:not([hidden])')).map(r => r.id).join(' ')",
    );
    assert_eq!(shown, "st-hall-a-02 st-hall-a-03");
}

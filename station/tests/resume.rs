//! Resume after a crash: an exam killed mid-recording is sealed as interrupted by recovery,
//! which notes the cut in the resume record; the readiness card offers it, a wrong PIN is
//! refused, the right one starts its second part for the time that was left, and the two
//! parts open as one exam (one timeline, the media running on).

mod common;

use std::time::{Duration, Instant};

use common::*;
use station::flow::{keys, pin, Ended, Flow, Screen, Script, Step};
use station::resume::Record;
use station::session::Session;

/// Starts a simulated exam of `secs` and SIGKILLs it `after` into the recording; returns the
/// exam's folder.
fn killed_exam(f: &Fixture, secs: u32, after: Duration) -> std::path::PathBuf {
    let mut child = f
        .stationctl()
        .args(["exam", "simulate", "--duration", &format!("{secs}s")])
        .spawn()
        .unwrap();
    let spool = f.data.join("spool");
    let t0 = Instant::now();
    let dir = loop {
        let dir = std::fs::read_dir(&spool)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path());
        if let Some(d) = dir.filter(|d| d.join("camera-00000.mkv.sealed").exists()) {
            break d;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "recording never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(after);
    child.kill().unwrap();
    child.wait().unwrap();
    dir
}

#[test]
fn a_killed_exam_resumes_as_its_second_part_and_opens_as_one() {
    let f = Fixture::new();
    let part1 = killed_exam(&f, 16, Duration::from_secs(6));
    let id = part1.file_name().unwrap().to_string_lossy().into_owned();
    let running = Record::load(&f.data)
        .unwrap()
        .expect("a record while recording");
    assert_eq!(
        (running.exam.as_str(), running.part, running.cut_ms),
        (id.as_str(), 1, None)
    );

    let station = f.station();
    station::recover::recover(&station).unwrap();
    let record = Record::load(&f.data).unwrap().unwrap();
    let (cut, head) = (record.cut_ms.unwrap(), record.head.clone().unwrap());
    let m1 = bundle::manifest::Manifest::load(&part1).unwrap();
    assert!(m1.interrupted);
    assert_eq!(head, m1.journal_head);
    assert_eq!(
        m1.ended_at,
        bundle::rfc3339(cut),
        "the manifest ends at the cut"
    );
    let offered = record.resumable(bundle::journal::now_ms()).unwrap();
    assert!((1..16).contains(&offered.left_secs), "{offered:?}");

    // At the readiness card: F5, a wrong PIN, the right one.
    let mut devices = station::devices::open(&station.board).unwrap();
    let (w, h) = devices.display.set_mode().unwrap();
    let screen = Screen {
        w,
        h,
        theme: station::ui::Theme::default(),
    };
    let gate = pin::Gate::new(&pin::hash("2468").unwrap());
    let mut flow = Flow::new(&station, Vec::new(), gate, screen);
    let mut script = keys::press("F5");
    script.extend(keys::typing("1111"));
    script.extend(keys::press("Enter"));
    script.extend(keys::typing("2468"));
    script.extend(keys::press("Enter"));
    let session = Session::boot(station.clone()).self_test().ready();
    let t0 = Instant::now();
    let (_ready, ended) = flow
        .run_once(session, &mut devices, &mut Script::new(script))
        .unwrap();
    let Ended::Sealed(part2) = ended else {
        panic!("{ended:?}")
    };
    let took = t0.elapsed().as_secs_f64();
    assert_eq!(
        part2.file_name().unwrap().to_string_lossy(),
        format!("{id}-p2")
    );
    assert!(
        took >= f64::from(offered.left_secs) - 1.0,
        "recorded {took:.1} s"
    );
    assert_eq!(flow.form().step(), Step::Welcome);
    assert_eq!(
        Record::load(&f.data).unwrap(),
        None,
        "ended as planned: nothing to resume"
    );

    let out = f.tmp.path().join("opened-both");
    let o = uplink::open::open_parts(&[part1.clone(), part2.clone()], &f.identity, &out).unwrap();
    assert_eq!(o.timeline.parts.len(), 2);
    let kinds: Vec<&str> = o.timeline.events.iter().map(|e| e.kind.as_str()).collect();
    let resumed = o
        .timeline
        .events
        .iter()
        .find(|e| e.kind == "Resumed")
        .unwrap();
    assert_eq!(resumed.details["previous"], id.as_str());
    assert_eq!(resumed.details["previous_head"], head.as_str());
    assert_eq!(resumed.details["part"], 2);
    assert_eq!(resumed.details["left_secs"], offered.left_secs);
    let ends: Vec<&str> = o
        .timeline
        .events
        .iter()
        .filter(|e| e.kind == "ExamEnded")
        .map(|e| e.details["reason"].as_str().unwrap())
        .collect();
    assert_eq!(ends, ["Interrupted", "TimeUp"], "{kinds:?}");
    // The resumed part's wrong PIN was not in an exam yet: only the station's log has it.
    assert!(!kinds.contains(&"PinRejected"), "{kinds:?}");
    // The media run on over both parts.
    let one = f.open(&part1).1;
    for file in ["camera.mkv", "microphone.mka", "screen.mkv"] {
        let (both, first) = (
            duration_secs(&out.join(file)),
            duration_secs(&one.join(file)),
        );
        eprintln!("{file}: part 1 {first:.1} s, both parts {both:.1} s");
        assert!(
            both > first + 1.0,
            "{file}: {both:.1} s over both parts, {first:.1} s in part 1"
        );
    }

    // A second part cannot be opened as if it came first.
    let wrong = uplink::open::open_parts(&[part2, part1], &f.identity, &f.tmp.path().join("x"));
    let e = wrong.unwrap_err().to_string();
    assert!(e.contains("does not continue"), "{e}");
}

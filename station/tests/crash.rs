//! Crash safety: SIGKILL mid-exam, recovery seals the exam as interrupted, and it opens.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn sigkill_mid_exam_then_recover() {
    let f = Fixture::new();
    let mut child = f
        .stationctl()
        .args(["exam", "simulate", "--duration", "60s"])
        .spawn()
        .unwrap();
    // Wait until recording has begun, then let it run a while.
    let spool = f.data.join("spool");
    let t0 = Instant::now();
    loop {
        let seg = std::fs::read_dir(&spool)
            .ok()
            .and_then(|mut d| d.next())
            .map(|e| e.unwrap().path().join("camera-00000.mkv.sealed"));
        if seg.as_ref().is_some_and(|p| p.exists()) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "recording never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(8));
    let kill_ms = bundle::journal::now_ms();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The journal is intact or torn, never corrupt.
    let exam_dir = std::fs::read_dir(&spool)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let j = exam_dir.join("journal-00000.bin");
    let code = f
        .stationctl()
        .args(["journal", "verify"])
        .arg(&j)
        .status()
        .unwrap()
        .code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "journal verify exit {code:?}"
    );

    let out = f.stationctl().arg("recover").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("interrupted"));

    let (o, opened) = f.open(&exam_dir);
    assert!(o.manifest.interrupted);
    let kinds: Vec<&str> = o.timeline.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(
        kinds.contains(&"Recovered") && kinds.contains(&"ExamStarted"),
        "{kinds:?}"
    );
    let start = event_ms(&o, "ExamStarted").unwrap();
    let covered = (kill_ms - start) as f64 / 1000.0;
    for file in ["camera.mkv", "microphone.mka", "screen.mkv"] {
        let d = duration_secs(&opened.join(file));
        eprintln!("{file}: {d:.2} s recorded, {covered:.2} s between exam start and kill");
        assert!(
            d >= covered - 3.0,
            "{file}: {d:.2} s recorded, {covered:.2} s before the kill"
        );
    }
}

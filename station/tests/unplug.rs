//! A camera unplugged mid-exam: audio and screen go on, the gap is journaled, the camera resumes.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use station::devices::sim::{self, FaultState};
use station::simulate::{self, Plan};

#[test]
fn camera_unplugged_and_back() {
    let f = Fixture::new();
    let station = f.station();
    let faults = Arc::new(Mutex::new(FaultState::default()));
    let mut devices = sim::open_with(&station.board, faults.clone());
    let plan = Plan {
        student: "x".into(),
        duration: Duration::from_secs(10),
        face_frames: 0,
        pin: None,
    };
    let toggler = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        faults.lock().unwrap().camera_unplugged = true;
        std::thread::sleep(Duration::from_secs(3));
        faults.lock().unwrap().camera_unplugged = false;
    });
    let dir = simulate::run(station, &mut devices, &plan).unwrap();
    toggler.join().unwrap();
    assert!(
        dir.join("camera-00001.mkv.sealed").exists(),
        "camera resumed into a new segment"
    );
    let (o, out) = f.open(&dir);
    let lost = o
        .timeline
        .events
        .iter()
        .find(|e| e.kind == "DeviceLost")
        .expect("DeviceLost in timeline");
    assert_eq!(lost.details["device"], "Camera");
    assert!(o
        .timeline
        .events
        .iter()
        .any(|e| e.kind == "DeviceRestored" && e.details["device"] == "Camera"));
    let exam =
        (event_ms(&o, "ExamEnded").unwrap() - event_ms(&o, "ExamStarted").unwrap()) as f64 / 1000.0;
    for file in ["microphone.mka", "screen.mkv"] {
        let d = duration_secs(&out.join(file));
        assert!(
            (d - exam).abs() <= 2.0,
            "{file} not continuous: {d:.2} s of {exam:.2} s"
        );
    }
    // The camera's file is on the exam's clock: it runs to the end, with a hole where the
    // camera was gone (the other streams go on through it).
    let times = buffer_times(&out.join("camera.mkv"));
    let gap = times
        .windows(2)
        .map(|w| (w[1] - w[0], w[0]))
        .fold((0.0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
    let last = times.last().copied().unwrap_or(0.0);
    eprintln!(
        "exam {exam:.2} s, camera to {last:.2} s, longest gap {:.2} s at {:.2} s",
        gap.0, gap.1
    );
    assert!(
        gap.0 > 2.0 && gap.0 < 5.0,
        "camera should miss the ~3 s it was unplugged: longest gap {:.2} s",
        gap.0
    );
    assert!(
        (last - exam).abs() <= 2.0,
        "camera ends at {last:.2} s of {exam:.2} s"
    );
}

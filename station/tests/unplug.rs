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
    let cam = duration_secs(&out.join("camera.mkv"));
    eprintln!("exam {exam:.2} s, camera {cam:.2} s");
    assert!(
        cam > 3.0 && cam < exam - 1.5,
        "camera {cam:.2} s should miss the ~3 s gap of {exam:.2} s"
    );
}

//! The board's GPIO through a whole simulated exam: the recording LED lit exactly while the
//! exam records, the call button and the tamper switch journaled (mid-exam, and a case already
//! open as the exam starts).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use station::devices::sim::{self, FaultState};
use station::devices::Signal;
use station::simulate::{self, Plan};

fn plan(secs: u64) -> Plan {
    Plan {
        student: "x".into(),
        duration: Duration::from_secs(secs),
        face_frames: 0,
        pin: None,
    }
}

fn kinds(o: &uplink::open::Opened) -> Vec<String> {
    o.timeline.events.iter().map(|e| e.kind.clone()).collect()
}

#[test]
fn led_lit_while_recording_call_and_tamper_journaled() {
    let f = Fixture::new();
    let station = f.station();
    let faults = Arc::new(Mutex::new(FaultState::default()));
    let mut devices = sim::open_with(&station.board, faults.clone());
    let (seen, hall) = (Arc::new(Mutex::new(Vec::new())), faults.clone());
    let log = seen.clone();
    // The hall: samples the LED every 100 ms, presses the call button, opens the case.
    let hall = std::thread::spawn(move || {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(12) {
            let led = hall.lock().unwrap().led;
            log.lock().unwrap().push((t0.elapsed(), led));
            std::thread::sleep(Duration::from_millis(100));
            if (3000..3100).contains(&t0.elapsed().as_millis()) {
                let mut h = hall.lock().unwrap();
                h.signals.push(Signal::CallButton);
                h.signals.push(Signal::Tamper);
                h.case_open = true;
            }
        }
    });
    let dir = simulate::run(station, &mut devices, &plan(6)).unwrap();
    let ended = faults.lock().unwrap().led;
    hall.join().unwrap();
    assert!(!ended, "the LED is off once the exam is sealed");
    let samples = seen.lock().unwrap().clone();
    assert!(
        samples.iter().any(|(_, led)| *led),
        "the LED was never lit: {samples:?}"
    );
    let (o, _) = f.open(&dir);
    let k = kinds(&o);
    for want in ["CallButton", "Tamper"] {
        assert!(k.iter().any(|x| x == want), "{want} not in {k:?}");
    }
    // The LED is lit from the recording's start to its end, never before or after: the lit
    // samples span about the exam's length.
    let lit: Vec<Duration> = samples.iter().filter(|s| s.1).map(|s| s.0).collect();
    let span = lit.last().unwrap().saturating_sub(*lit.first().unwrap());
    let exam = (event_ms(&o, "ExamEnded").unwrap() - event_ms(&o, "ExamStarted").unwrap()) as f64;
    assert!(
        (span.as_millis() as f64 - exam).abs() < 1500.0,
        "LED lit for {span:?}, exam {exam} ms"
    );
}

#[test]
fn a_case_open_as_the_exam_starts_is_journaled() {
    let f = Fixture::new();
    let station = f.station();
    let faults = Arc::new(Mutex::new(FaultState {
        case_open: true,
        ..FaultState::default()
    }));
    let mut devices = sim::open_with(&station.board, faults);
    let dir = simulate::run(station, &mut devices, &plan(2)).unwrap();
    let (o, _) = f.open(&dir);
    let k = kinds(&o);
    let started = k.iter().position(|x| x == "ExamStarted").unwrap();
    let tamper = k.iter().position(|x| x == "Tamper");
    assert!(
        tamper.is_some_and(|t| t > started),
        "Tamper at the exam's start: {k:?}"
    );
}

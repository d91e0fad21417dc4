//! The exam flow with scripted keys on the simulated board: a check-in cancelled at the
//! proctor's step after a wrong PIN is sealed with what happened and nothing captured; a face
//! check that finds no face (the simulated camera's test card) goes on only with the proctor's
//! right PIN, after a wrong one, and every step is journaled.

mod common;

use common::*;
use station::flow::{keys, pin, Ended, Flow, Screen, Script};
use station::session::Session;

/// A flow on the simulated board with one 60-minute exam and the proctor PIN 2468.
fn flow(
    f: &Fixture,
) -> (
    std::sync::Arc<station::station::Station>,
    station::devices::Devices,
    Flow,
) {
    let station = f.station();
    let mut devices = station::devices::open(&station.board).unwrap();
    let (w, h) = devices.display.set_mode().unwrap();
    let roster = vec![board_config::ExamEntry {
        code: "MATH101".into(),
        title: "Calculus".into(),
        duration_minutes: 60,
        opens: None,
        closes: None,
        warn_minutes: None,
    }];
    let gate = pin::Gate::new(&pin::hash("2468").unwrap());
    let screen = Screen {
        w,
        h,
        theme: station::ui::Theme::default(),
    };
    let flow = Flow::new(&station, roster, gate, screen);
    (station, devices, flow)
}

#[test]
fn a_cancelled_check_in_is_sealed_with_its_wrong_pin_and_nothing_captured() {
    let f = Fixture::new();
    let (station, mut devices, mut flow) = flow(&f);
    let mut script = keys::press("Enter");
    script.extend(keys::typing("s-42"));
    script.extend(keys::press("Enter"));
    script.extend(keys::press("Enter"));
    script.extend(keys::typing("1357"));
    script.extend(keys::press("Enter"));
    script.extend(keys::press("Escape"));
    let session = Session::boot(station).self_test().ready();
    let (_ready, ended) = flow
        .run_once(session, &mut devices, &mut Script::new(script))
        .unwrap();
    let Ended::Cancelled(dir) = ended else {
        panic!("{ended:?}")
    };
    let (o, _) = f.open(&dir);
    let kinds: Vec<&str> = o.timeline.events.iter().map(|e| e.kind.as_str()).collect();
    for k in [
        "CheckedIn",
        "ExamChosen",
        "PinRejected",
        "ExamEnded",
        "Sealing",
    ] {
        assert!(kinds.contains(&k), "timeline lacks {k}: {kinds:?}");
    }
    for k in ["ProctorApproved", "StillCaptured", "ExamStarted"] {
        assert!(!kinds.contains(&k), "timeline has {k}: {kinds:?}");
    }
    let ended = o
        .timeline
        .events
        .iter()
        .find(|e| e.kind == "ExamEnded")
        .unwrap();
    assert_eq!(ended.details["reason"], "CheckInCancelled");
    let rejected = o
        .timeline
        .events
        .iter()
        .find(|e| e.kind == "PinRejected")
        .unwrap();
    assert_eq!(rejected.details["attempts"], 1);
    assert!(o.stills.is_empty());
    assert_eq!(flow.form().step(), station::flow::Step::Welcome);
}

#[test]
fn no_face_goes_on_only_with_the_proctors_pin() {
    let f = Fixture::new();
    let (station, mut devices, mut flow) = flow(&f);
    flow.duration = Some(std::time::Duration::from_secs(1));
    let mut script = keys::press("Enter");
    script.extend(keys::typing("s-42"));
    script.extend(keys::press("Enter"));
    script.extend(keys::press("Enter"));
    script.extend(keys::typing("2468"));
    for _ in 0..3 {
        // proctor, notice, photo ID
        script.extend(keys::press("Enter"));
    }
    // At the face check: letters and a wrong PIN, then the right one.
    script.extend(keys::typing("ab"));
    script.extend(keys::typing("1111"));
    script.extend(keys::press("Enter"));
    script.extend(keys::typing("2468"));
    script.extend(keys::press("Enter"));
    let session = Session::boot(station).self_test().ready();
    let (_ready, ended) = flow
        .run_once(session, &mut devices, &mut Script::new(script))
        .unwrap();
    let Ended::Sealed(dir) = ended else {
        panic!("{ended:?}")
    };
    let (o, _) = f.open(&dir);
    let events = &o.timeline.events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let at = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("no {k}: {kinds:?}"))
    };
    let checks: Vec<_> = events.iter().filter(|e| e.kind == "FaceCheck").collect();
    assert_eq!(
        checks.len(),
        usize::from(station::face::OFFER_AFTER),
        "{kinds:?}"
    );
    for c in &checks {
        assert_eq!(c.details["passed"], false);
        assert_eq!(c.details["faces_max"], 0);
        assert_eq!(c.details["frames"], station::face::PER_TRY);
    }
    let rejected: Vec<_> = events.iter().filter(|e| e.kind == "PinRejected").collect();
    assert_eq!(
        rejected.len(),
        1,
        "the wrong PIN at the face check: {kinds:?}"
    );
    assert!(at("PinRejected") > at("FaceCheck"));
    assert!(at("FaceCheckOverridden") > at("PinRejected"));
    assert!(at("ExamStarted") > at("FaceCheckOverridden"));
    let overridden = &events[at("FaceCheckOverridden")];
    assert_eq!(
        overridden.details["failed_tries"],
        station::face::OFFER_AFTER
    );
    // The photo ID and the face stills the check saw are sealed.
    assert_eq!(
        o.stills.len(),
        1 + flow.face_frames as usize,
        "{:?}",
        o.stills
    );
}

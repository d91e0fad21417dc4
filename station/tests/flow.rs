//! The exam flow with scripted keys on the simulated board: a check-in cancelled at the
//! proctor's step after a wrong PIN is sealed with what happened and nothing captured.

mod common;

use common::*;
use station::flow::{keys, pin, Ended, Flow, Screen, Script};
use station::session::Session;

#[test]
fn a_cancelled_check_in_is_sealed_with_its_wrong_pin_and_nothing_captured() {
    let f = Fixture::new();
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
    let mut flow = Flow::new(&station, roster, gate, screen);
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
    let kinds: Vec<&str> = o.timeline.events.iter().map(|e| e.kind).collect();
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

//! The input filter inside a real exam: what it blocks and the device plugged in mid-exam reach
//! the sealed bundle's timeline, with times, and the input is handed back at exam end.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bundle::event::EndReason;
use common::*;
use station::devices::{Hotplug, Input, InputDevice, InputEvent, Result};
use station::lockdown::Lockdown;
use station::session::Session;
use station::station::Station;

/// Ctrl+Alt+F1 then `a`, one batch a pump; a keyboard appears at the first hotplug check.
struct Scripted {
    script: Vec<Vec<(u16, i32)>>,
    plugged: Option<InputDevice>,
    reemitted: Arc<AtomicUsize>,
    consumed: Arc<AtomicUsize>,
}

impl Input for Scripted {
    fn devices(&mut self) -> Result<Vec<InputDevice>> {
        Ok(Vec::new())
    }
    fn changes(&mut self) -> Result<Vec<Hotplug>> {
        if self.script.len() == 3 {
            return Ok(Vec::new()); // before grab: nothing new yet
        }
        if let Some(d) = self.plugged.take() {
            self.consumed.fetch_add(1, Ordering::SeqCst);
            return Ok(vec![Hotplug::Added(d)]);
        }
        Ok(Vec::new())
    }
    fn grab(&mut self) -> Result<()> {
        Ok(())
    }
    fn pump_filtered(
        &mut self,
        _timeout_ms: u32,
        keep: &mut dyn FnMut(&InputEvent) -> bool,
    ) -> Result<Vec<InputEvent>> {
        std::thread::sleep(Duration::from_millis(5));
        if self.script.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (code, value) in self.script.remove(0) {
            let ev = InputEvent {
                node: "/dev/input/event5".into(),
                kind: 1,
                code,
                value,
            };
            if keep(&ev) {
                self.reemitted.fetch_add(1, Ordering::SeqCst);
                out.push(ev);
            }
        }
        self.consumed.fetch_add(1, Ordering::SeqCst);
        Ok(out)
    }
    fn release(&mut self) -> Result<()> {
        Ok(())
    }
    fn press(&mut self, _code: u16) -> Result<()> {
        Ok(())
    }
}

#[test]
fn blocked_keys_and_attached_devices_are_in_the_timeline() {
    let (ctrl, alt, f1, a) = (29, 56, 59, 30);
    let f = Fixture::new();
    let station = f.station();
    let mut devices = station::devices::open(&station.board).unwrap();
    let (reemitted, consumed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    devices.input = Box::new(Scripted {
        script: vec![
            vec![(ctrl, 1), (alt, 1), (f1, 1)],
            vec![(f1, 0), (alt, 0), (ctrl, 0)],
            vec![(a, 1), (a, 0)],
        ],
        plugged: Some(InputDevice {
            node: "/dev/input/event6".into(),
            name: "Keystroke Injector".into(),
            keyboard: true,
            pointer: false,
        }),
        reemitted: reemitted.clone(),
        consumed: consumed.clone(),
    });
    let session = Session::boot(station).self_test().ready();
    let session = session.check_in("s-1").unwrap().identity().unwrap();
    let session = session.start_exam(60).unwrap();
    let lockdown = Lockdown::start(&session, &mut devices).unwrap();
    let t0 = Instant::now();
    while consumed.load(Ordering::SeqCst) < 4 && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    lockdown.stop(&mut devices).unwrap();
    assert_eq!(consumed.load(Ordering::SeqCst), 4, "script not consumed");
    assert_eq!(
        reemitted.load(Ordering::SeqCst),
        6,
        "Ctrl, Alt (press+release) and a"
    );
    // The input is back: the placeholder would refuse to grab.
    devices.input.grab().unwrap();
    let (_ready, dir) = session.end(EndReason::TimeUp).unwrap().seal().unwrap();

    let (o, _) = f.open(&dir);
    let find = |kind: &str| {
        o.timeline
            .events
            .iter()
            .find(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("timeline lacks {kind}"))
    };
    let blocked = find("KeyBlocked");
    assert_eq!(blocked.details["combo"], "Ctrl+Alt+F1");
    assert!(!blocked.time.is_empty());
    let attached = find("InputAttached");
    assert_eq!(
        attached.details["name"],
        "Keystroke Injector (/dev/input/event6)"
    );
    assert!(!attached.time.is_empty());
}

/// The network side: the marker for the exam's ruleset exists exactly while the exam runs, and
/// the forward proxy's reports reach the timeline; other events and garbage are refused.
#[test]
fn proxy_reports_reach_the_timeline_and_the_marker_lives_with_the_exam() {
    use station::lockdown::net::{MARKER, SOCKET};
    use std::io::Write;
    let f = Fixture::new();
    let run = tempfile::tempdir().unwrap();
    let mut station = Station::load(&f.board, &f.site, &f.data).unwrap();
    station.runtime_dir = run.path().to_owned();
    // This test reports as the proxy would: its uid stands in for the proxy's user.
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    station.reporters = vec![me];
    let station = Arc::new(station);
    let mut devices = station::devices::open(&station.board).unwrap();
    let session = Session::boot(station).self_test().ready();
    let session = session.check_in("s-2").unwrap().identity().unwrap();
    let session = session.start_exam(60).unwrap();
    assert!(!run.path().join(MARKER).exists());
    let lockdown = Lockdown::start(&session, &mut devices).unwrap();
    assert!(
        run.path().join(MARKER).exists(),
        "no marker during the exam"
    );
    let mut s = std::os::unix::net::UnixStream::connect(run.path().join(SOCKET)).unwrap();
    s.write_all(
        concat!(
            r#"{"HostVisited":{"host":"exam.example.ca"}}"#,
            "\n",
            r#"{"ExamEnded":{"reason":"TimeUp"}}"#,
            "\n",
            "not json\n",
            r#"{"HostBlocked":{"host":"chat.example.com"}}"#,
            "\n",
        )
        .as_bytes(),
    )
    .unwrap();
    drop(s);
    std::thread::sleep(Duration::from_millis(300));
    lockdown.stop(&mut devices).unwrap();
    assert!(
        !run.path().join(MARKER).exists(),
        "marker left after the exam"
    );
    assert!(
        !run.path().join(SOCKET).exists(),
        "socket left after the exam"
    );
    let (_ready, dir) = session.end(EndReason::TimeUp).unwrap().seal().unwrap();
    let (o, _) = f.open(&dir);
    let kinds: Vec<String> = o
        .timeline
        .events
        .iter()
        .map(|e| e.kind.to_string())
        .collect();
    let host = |kind: &str| {
        o.timeline
            .events
            .iter()
            .find(|e| e.kind == kind)
            .map(|e| e.details["host"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(host("HostVisited").as_deref(), Some("exam.example.ca"));
    assert_eq!(host("HostBlocked").as_deref(), Some("chat.example.com"));
    assert_eq!(
        kinds.iter().filter(|k| **k == "ExamEnded").count(),
        1,
        "a forged ExamEnded got in: {kinds:?}"
    );
}

//! An unattended exam on the configured board, driven through the exam flow ([`crate::flow`])
//! by a script of key events typed as a student and a proctor would: the readiness card, the
//! student number, the exam, the proctor's PIN, the privacy notice, the photo ID, the exam for
//! a given duration, the sealed screen. Used by `stationctl exam simulate`, the demo and the
//! tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use board_config::ExamEntry;

use crate::devices::Devices;
use crate::exam::ExamError;
use crate::flow::{self, keys, pin, Ended, Flow, Script};
use crate::selftest;
use crate::session::{Booting, Session};
use crate::station::Station;

/// Options of a simulated exam.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The student number typed (it must match the site's `student_pattern`; kept only inside
    /// the encrypted journal).
    pub student: String,
    /// Exam length (instead of the exam's own duration).
    pub duration: Duration,
    /// Face frames to capture.
    pub face_frames: u32,
    /// The proctor PIN typed: needed when the site has `[proctor]`; without it, the simulation
    /// uses a PIN of its own (hashed the same way).
    pub pin: Option<String>,
}

/// The exam sat when the site lists none: the simulation's own.
fn simulated_exam(duration: Duration) -> ExamEntry {
    ExamEntry {
        code: "SIMULATED".into(),
        title: "Simulated exam".into(),
        duration_minutes: (duration.as_secs().div_ceil(60)).max(1) as u32,
        opens: None,
        closes: None,
        warn_minutes: Some(Vec::new()),
    }
}

/// Runs a whole exam; returns the sealed bundle's folder.
pub fn run(
    station: Arc<Station>,
    devices: &mut Devices,
    plan: &Plan,
) -> Result<PathBuf, ExamError> {
    let session = Session::<Booting>::boot(station).self_test();
    let encoders = session.station().board.encoders.clone();
    let checks = selftest::run(devices, &encoders, &session.capture());
    for c in &checks {
        tracing::info!(device = c.device, passed = c.passed, "{}", c.detail);
    }
    crate::health::ledger::save_selftest(
        &session.station().data_dir,
        checks.iter().map(crate::selftest::Check::record),
    );
    // No exam on a station that failed its self-test: what it records would be incomplete.
    if let Some(c) = checks.iter().find(|c| !c.passed) {
        return Err(ExamError::Recorder(format!(
            "self-test failed, no exam started: {}: {}",
            c.device, c.detail
        )));
    }
    let session = session.ready();
    let site = &session.station().site;
    let (gate, typed_pin) = match (&site.proctor, &plan.pin) {
        (Some(p), Some(typed)) => (pin::Gate::new(&p.pin_hash), typed.clone()),
        (Some(_), None) => {
            return Err(ExamError::Recorder(
                "the site file has a [proctor] PIN: give it with --pin".into(),
            ))
        }
        (None, _) => {
            let own = format!("{:08}", rand::random::<u32>() % 100_000_000);
            let hash = pin::hash(&own).map_err(|e| ExamError::Recorder(e.to_string()))?;
            (pin::Gate::new(&hash), own)
        }
    };
    let roster = if site.exams.is_empty() {
        vec![simulated_exam(plan.duration)]
    } else {
        site.exams.clone()
    };
    let (w, h) = devices.display.set_mode()?;
    let screen = flow::Screen {
        w,
        h,
        theme: crate::ui::Theme::default(),
    };
    let mut flow = Flow::new(session.station(), roster, gate, screen);
    flow.duration = Some(plan.duration);
    flow.face_frames = plan.face_frames;
    let mut script = Script::new(script(&plan.student, &typed_pin));
    match flow.run_once(session, devices, &mut script)? {
        (_, Ended::Sealed(dir)) => Ok(dir),
        (_, other) => Err(ExamError::Recorder(format!(
            "the simulated exam did not run: {other:?}"
        ))),
    }
}

/// The keys a student and a proctor type for one exam: Enter at the readiness card, the student
/// number, the first open exam, the PIN, Enter at the notice, Enter for the photo ID, the PIN
/// again at the face scan (the simulated camera shows no face: the proctor goes on after the
/// failed tries), and Enter at the sealed screen.
pub fn script(student: &str, pin: &str) -> Vec<(u16, i32)> {
    let enter = || keys::press("Enter");
    let mut s = enter();
    s.extend(keys::typing(student));
    s.extend(enter());
    s.extend(enter());
    s.extend(keys::typing(pin));
    for _ in 0..3 {
        s.extend(enter());
    }
    s.extend(keys::typing(pin));
    s.extend(enter());
    s.extend(enter());
    s
}

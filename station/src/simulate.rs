//! An unattended exam on the configured board: check-in, the privacy notice, identity stills,
//! the exam for a given duration, end, seal. Used by `stationctl exam simulate`, the demo and
//! the tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bundle::event::{EndReason, Event, Still};

use crate::devices::{Devices, Signal};
use crate::exam::ExamError;
use crate::session::{Booting, Session};
use crate::station::Station;
use crate::{identity, selftest, ui};

/// Options of a simulated exam.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The student id (kept only inside the encrypted journal).
    pub student: String,
    /// Exam length.
    pub duration: Duration,
    /// Face frames to capture.
    pub face_frames: u32,
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
    // No exam on a station that failed its self-test: what it records would be incomplete.
    if let Some(c) = checks.iter().find(|c| !c.passed) {
        return Err(ExamError::Recorder(format!(
            "self-test failed, no exam started: {}: {}",
            c.device, c.detail
        )));
    }
    let session = session.ready();
    let station_id = session.station().site.station.id.clone();
    let (w, h) = devices.display.set_mode()?;
    let theme = ui::Theme::default();
    show(devices, &ui::check_in(w, h, &theme, &station_id));
    let session = session.check_in(&plan.student).map_err(|r| *r.error)?;
    // Before anything is captured: what is recorded, where it goes, when it is deleted.
    let notice = ui::Notice::of(&session.station().site);
    show(devices, &ui::privacy_notice(w, h, &theme, &notice));
    let session = session.identity()?;
    show(
        devices,
        &ui::identity(w, h, &theme, "HOLD YOUR PHOTO ID TO THE CAMERA"),
    );
    {
        let grant = session.capture();
        identity::capture(&grant, devices.camera.as_mut(), Still::PhotoId, "photo-id")?;
        for i in 0..plan.face_frames {
            identity::capture(
                &grant,
                devices.camera.as_mut(),
                Still::Face,
                &format!("face-{i:02}"),
            )?;
        }
    }
    let planned = plan.duration.as_secs().max(1) as u32;
    let session = session.start_exam(planned).map_err(|r| *r.error)?;
    devices.indicator.set_recording(true)?;
    let lines = [
        format!("STATION {station_id}"),
        "EXAM IN PROGRESS".to_string(),
        "RECORDING: CAMERA, MICROPHONE, SCREEN".to_string(),
    ];
    show(devices, &ui::status(w, h, &theme, &lines, true));
    let mut recorder = crate::record::Recorder::start(session.capture(), devices)?;
    // The kiosk (started with the exam's ruleset) takes the screen; the recording follows it.
    if let Err(e) = devices.display.hand_over() {
        tracing::warn!("display: the kiosk cannot take the screen: {e}");
    }
    let lockdown = crate::lockdown::Lockdown::start(&session, devices)?;
    let until = Instant::now() + plan.duration;
    while Instant::now() < until {
        std::thread::sleep(
            Duration::from_millis(100).min(until.saturating_duration_since(Instant::now())),
        );
        for s in devices.indicator.poll()? {
            session.exam().record_sync(match s {
                Signal::CallButton => Event::CallButton,
                Signal::Tamper => Event::Tamper,
            })?;
        }
        recorder.tick(devices)?;
    }
    lockdown.stop(devices)?;
    recorder.stop()?;
    devices.indicator.set_recording(false)?;
    if let Err(e) = devices.display.take_back() {
        tracing::warn!("display: {e}");
    }
    show(
        devices,
        &ui::status(
            w,
            h,
            &theme,
            &["EXAM ENDED: SEALING THE RECORDING".to_string()],
            false,
        ),
    );
    let session = session.end(EndReason::TimeUp)?;
    let (_ready, dir) = session.seal()?;
    Ok(dir)
}

/// Shows a station screen; a display failure is logged, never fatal to the exam.
fn show(devices: &mut Devices, frame: &crate::devices::Frame) {
    if let Err(e) = devices.display.show(frame) {
        tracing::warn!("display: {e}");
    }
}

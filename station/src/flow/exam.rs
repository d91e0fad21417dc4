//! The exam itself, once the student is checked in, has read the notice and passed the
//! identity check: the recorded exam under lockdown until its time is up, then the sealed bundle and its receipt.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use board_config::Language;
use bundle::event::{EndReason, Event};

use super::control::{Action, Control, Overlay};
use super::pin::Gate;
use super::text::{fill, Msg};
use super::Screen;
use crate::devices::Devices;
use crate::exam::ExamError;
use crate::lockdown::combo::StationKey;
use crate::lockdown::StationInput;
use crate::resume::Record;
use crate::session::{Identity, Ready, Session};
use crate::ui;

/// What the exam is to be: its length and the warnings before its end.
pub(super) struct Plan {
    /// Recording time, from start to time up.
    pub planned: Duration,
    /// Minutes before the end at which the student is warned.
    pub warnings: Vec<u32>,
    /// What the station keeps in clear to resume this part after a power cut (its exam id
    /// and start are filled in when recording starts).
    pub resume: Record,
}

/// Follows the kiosk through the exam: once its screen was seen, its going (the browser closed
/// or crashed) and its coming back are journaled.
#[derive(Debug, Default)]
pub(super) struct KioskWatch {
    seen: bool,
    gone: Option<Instant>,
}

impl KioskWatch {
    /// What the display says of the kiosk now (see `Display::kiosk_seen`); returns the event
    /// to journal, if any.
    pub fn update(&mut self, seen: Option<bool>, now: Instant) -> Option<Event> {
        match (seen?, self.gone) {
            (true, Some(at)) => {
                self.gone = None;
                let ms = now.saturating_duration_since(at).as_millis();
                Some(Event::KioskBack {
                    gone_ms: ms.min(u32::MAX.into()) as u32,
                })
            }
            (true, None) => {
                self.seen = true;
                None
            }
            (false, None) if self.seen => {
                self.gone = Some(now);
                Some(Event::KioskGone)
            }
            (false, _) => None,
        }
    }
}

/// How long the kiosk's page may stay blank white before the station reloads it.
const BLANK_FOR: Duration = Duration::from_secs(10);

/// How long after a reload the station waits before reloading a still blank page again.
const RELOAD_AGAIN: Duration = Duration::from_secs(15);

/// Watches for a dead exam page: the kiosk's screen blank white for [`BLANK_FOR`] (a crashed
/// renderer or network service leaves one; the browser itself still runs).
#[derive(Debug, Default)]
pub(super) struct BlankWatch {
    since: Option<Instant>,
    reloaded: Option<Instant>,
}

impl BlankWatch {
    /// Whether the kiosk's screen (`kiosk_seen`, see `Display::kiosk_seen`) is `blank` at
    /// `now`; returns how many seconds it has been blank when the page is to be reloaded.
    pub fn update(&mut self, blank: bool, kiosk_seen: Option<bool>, now: Instant) -> Option<u32> {
        if !blank || kiosk_seen != Some(true) {
            *self = BlankWatch::default();
            return None;
        }
        let since = *self.since.get_or_insert(now);
        let blank_for = now.saturating_duration_since(since);
        let due = self
            .reloaded
            .is_none_or(|r| now.saturating_duration_since(r) >= RELOAD_AGAIN);
        (blank_for >= BLANK_FOR && due).then(|| {
            self.reloaded = Some(now);
            blank_for.as_secs().min(u32::MAX.into()) as u32
        })
    }
}

/// Records the exam, under the input and network lockdown, until time up, the student's end
/// key (confirmed) or the proctor's key and PIN; then seals it.
#[allow(clippy::too_many_arguments)]
pub(super) fn record(
    session: Session<Identity>,
    devices: &mut Devices,
    screen: &Screen,
    plan: Plan,
    gate: &mut Gate,
    lang: Language,
    heartbeat: &mut dyn FnMut(),
) -> Result<(Session<Ready>, PathBuf), ExamError> {
    let secs = plan.planned.as_secs().clamp(1, u32::MAX.into()) as u32;
    let session = session.start_exam(secs).map_err(|r| *r.error)?;
    let data_dir = session.station().data_dir.clone();
    let mut resume = plan.resume;
    resume.exam = session.exam().id().to_owned();
    resume.planned_secs = secs;
    resume.started_ms = bundle::journal::now_ms();
    resume.save(&data_dir)?;
    devices.indicator.set_recording(true)?;
    let station_id = session.station().site.station.id.clone();
    // A case opened before the exam (at the readiness card, or since boot) is in its timeline.
    if devices.indicator.case_open()? {
        tracing::warn!("the tamper switch reads open as the exam starts");
        session.exam().record_sync(Event::Tamper)?;
    }
    let lines = [
        format!("STATION {station_id}"),
        "EXAM IN PROGRESS".to_string(),
        "RECORDING: CAMERA, MICROPHONE, SCREEN".to_string(),
        fill(
            lang,
            Msg::EndKeyHint,
            &[("keys", StationKey::End.combination())],
        ),
    ];
    let scale = ui::scale(screen.h);
    let mut control = Control::new(plan.warnings, lang);
    let mut shown = control.overlay(plan.planned);
    let draw = |o: &Overlay| ui::overlay(&o.lines, o.alert, scale, &screen.theme);
    screen.show(
        devices,
        &ui::status(screen.w, screen.h, &screen.theme, &lines, true),
    );
    let mut recorder = crate::record::Recorder::start(session.capture(), devices)?;
    // The kiosk (started with the exam's ruleset) takes the screen; the recording follows it.
    if let Err(e) = devices.display.hand_over(&draw(&shown), 2 * scale) {
        tracing::warn!("display: the kiosk cannot take the screen: {e}");
    }
    let lockdown = crate::lockdown::Lockdown::start(&session, devices)?;
    let until = Instant::now() + plan.planned;
    let mut kiosk = KioskWatch::default();
    let mut blank = BlankWatch::default();
    let reason = loop {
        let now = Instant::now();
        let left = until.saturating_duration_since(now);
        if left.is_zero() {
            break EndReason::TimeUp;
        }
        let mut actions = control.tick(left, now);
        for input in lockdown.station_input() {
            let done = control.input(input, gate, now);
            if let StationInput::Key(k) = input {
                tracing::info!("station key {k:?}: {done:?}");
            }
            actions.extend(done);
        }
        let mut end = None;
        for a in actions {
            match a {
                Action::Divert(on) => lockdown.divert(on),
                Action::End(r) => end = Some(r),
                Action::PinRejected {
                    attempts,
                    wait_secs,
                } => session.exam().record_sync(Event::PinRejected {
                    attempts,
                    wait_secs,
                })?,
                Action::Warned(minutes_left) => {
                    session.exam().record(Event::TimeWarning { minutes_left })?
                }
            }
        }
        if let Some(r) = end {
            break r;
        }
        let overlay = control.overlay(left);
        if overlay != shown {
            if let Err(e) = devices.display.overlay(&draw(&overlay)) {
                tracing::warn!("display: {e}");
            }
            shown = overlay;
        }
        heartbeat();
        for s in devices.indicator.poll()? {
            tracing::warn!("{s:?} during the exam");
            let event = control.alerts.signal(s, &station_id, Instant::now());
            session.exam().record_sync(event)?;
        }
        control.alerts.case(devices.indicator.case_open()?);
        recorder.tick(devices)?;
        let seen = devices.display.kiosk_seen();
        if let Some(e) = kiosk.update(seen, Instant::now()) {
            tracing::warn!("kiosk: {e:?}");
            session.exam().record_sync(e)?;
        }
        if let Some(secs) = blank.update(recorder.screen_blank(), seen, Instant::now()) {
            tracing::warn!("kiosk: the exam page is blank white ({secs} s): reloading it");
            session.exam().record_sync(Event::KioskBlank { secs })?;
            lockdown.press(evdev::KeyCode::KEY_F5.code());
        }
        std::thread::sleep(Duration::from_millis(100).min(left));
    };
    tracing::info!("exam ends: {reason:?}");
    lockdown.stop(devices)?;
    recorder.stop()?;
    devices.indicator.set_recording(false)?;
    if let Err(e) = devices.display.take_back() {
        tracing::warn!("display: {e}");
    }
    screen.show(
        devices,
        &ui::status(
            screen.w,
            screen.h,
            &screen.theme,
            &["EXAM ENDED: SEALING THE RECORDING".to_string()],
            false,
        ),
    );
    let session = session.end(reason)?;
    let sealed = session.seal()?;
    // Ended as planned: nothing to resume.
    Record::clear(&data_dir)?;
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_exam_page_is_reloaded_after_ten_seconds_then_every_fifteen() {
        let mut w = BlankWatch::default();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(w.update(true, Some(true), at(0)), None);
        assert_eq!(w.update(true, Some(true), at(9)), None);
        assert_eq!(w.update(true, Some(true), at(10)), Some(10));
        assert_eq!(w.update(true, Some(true), at(20)), None, "just reloaded");
        assert_eq!(w.update(true, Some(true), at(25)), Some(25));
        assert_eq!(
            w.update(false, Some(true), at(26)),
            None,
            "the page is back"
        );
        assert_eq!(w.update(true, Some(true), at(27)), None);
        assert_eq!(w.update(true, Some(true), at(37)), Some(10));
        // The station's own screen (no kiosk) or the kiosk gone: not the exam page.
        let mut w = BlankWatch::default();
        assert_eq!(w.update(true, None, at(0)), None);
        assert_eq!(w.update(true, Some(false), at(20)), None);
        assert_eq!(w.update(true, Some(true), at(21)), None);
    }

    #[test]
    fn the_kiosk_going_and_coming_back_is_journaled_once_it_was_seen() {
        let mut w = KioskWatch::default();
        let t0 = Instant::now();
        assert_eq!(w.update(None, t0), None, "the station still has the screen");
        assert_eq!(
            w.update(Some(false), t0),
            None,
            "the compositor is starting"
        );
        assert_eq!(w.update(Some(true), t0), None);
        assert_eq!(w.update(Some(false), t0), Some(Event::KioskGone));
        assert_eq!(w.update(Some(false), t0 + Duration::from_secs(1)), None);
        assert_eq!(
            w.update(Some(true), t0 + Duration::from_millis(4500)),
            Some(Event::KioskBack { gone_ms: 4500 })
        );
        assert_eq!(w.update(Some(true), t0), None);
    }
}

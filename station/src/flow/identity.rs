//! The identity check, with the live camera picture on screen: the photo ID (held inside a card
//! outline, taken with Enter: the picture sealed is the one the student saw) and the face scan
//! (the detector guides the student until a few frames in a row show one face, large and lit
//! enough; after a few failed tries the proctor may go on with the PIN, journaled).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use board_config::Language;
use bundle::event::{Event, Still};

use super::keys::Key;
use super::pin::{self, Gate, Verdict};
use super::text::{fill, text, Msg};
use super::{Keys, Screen};
use crate::devices::{Devices, Frame};
use crate::exam::ExamError;
use crate::face::{self, Advice, Detector, Guide, Look};
use crate::session::{Identity, Session};
use crate::{identity, ui};

/// Keys typed on the face scan before the proctor is offered to go on: kept and taken in order
/// once the offer shows (so a PIN typed ahead is not lost), at most this many.
const TYPE_AHEAD: usize = 32;

/// How long to wait before asking the camera again after it failed.
const CAMERA_RETRY: Duration = Duration::from_millis(500);

/// What the identity check needs besides the session and devices.
pub(super) struct Check<'a> {
    /// Where to draw.
    pub screen: &'a Screen,
    /// The screens' language (F2 switches it here too).
    pub lang: &'a mut Language,
    /// The proctor's PIN gate.
    pub gate: &'a mut Gate,
    /// Finds faces.
    pub detector: &'a mut dyn Detector,
    /// Face stills sealed after the scan (the last frames it saw).
    pub face_frames: u32,
    /// systemd's watchdog.
    pub heartbeat: &'a mut dyn FnMut(),
}

impl Check<'_> {
    fn say(&self, msg: Msg) -> String {
        text(*self.lang, msg).to_owned()
    }

    fn show(&self, devices: &mut Devices, p: &ui::Preview) {
        let s = self.screen;
        s.show(devices, &ui::preview(s.w, s.h, &s.theme, p));
    }

    /// What the screen says when the camera gave no picture, after the wait before the next
    /// try.
    fn camera_failed(&self, e: &crate::devices::DeviceError) -> String {
        std::thread::sleep(CAMERA_RETRY);
        fill(*self.lang, Msg::NoCamera, &[("error", &e.to_string())])
    }

    fn preview<'f>(&self, camera: Option<&'f Frame>, framing: ui::Framing) -> ui::Preview<'f> {
        ui::Preview {
            title: self.say(Msg::IdentityTitle),
            camera,
            framing,
            boxes: Vec::new(),
            good: false,
            lines: Vec::new(),
            field: None,
            error: None,
            help: String::new(),
        }
    }

    /// The photo ID: the live picture with a card outline until Enter; the picture on screen
    /// when Enter was pressed is sealed.
    pub fn photo_id(
        &mut self,
        session: &Session<Identity>,
        devices: &mut Devices,
        keys: &mut dyn Keys,
    ) -> Result<(), ExamError> {
        let grant = session.capture();
        let mut last: Option<Frame> = None;
        loop {
            (self.heartbeat)();
            let error = match devices.camera.still(&grant) {
                Ok(f) => {
                    last = Some(f);
                    None
                }
                Err(e) => Some(self.camera_failed(&e)),
            };
            let mut p = self.preview(last.as_ref(), ui::Framing::Card);
            p.lines = vec![self.say(Msg::HoldId)];
            p.error = error;
            p.help = help(*self.lang, Msg::HoldIdHelp);
            self.show(devices, &p);
            let Some(pressed) = keys.next(devices, Duration::from_millis(50))? else {
                return Err(ExamError::Recorder(
                    "the input ended before the photo ID was taken".into(),
                ));
            };
            for k in pressed {
                match k {
                    Key::Function(2) => *self.lang = self.lang.next(),
                    Key::Enter => {
                        if let Some(f) = &last {
                            identity::seal(&grant, f, Still::PhotoId, "photo-id")?;
                            return Ok(());
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// The face scan: guided by the detector until it passes, or until the proctor goes on
    /// with the PIN after [`face::OFFER_AFTER`] failed tries. Each try is journaled
    /// (`FaceCheck`), and so is the proctor's decision; the last frames seen are sealed.
    pub fn face_scan(
        &mut self,
        session: &Session<Identity>,
        devices: &mut Devices,
        keys: &mut dyn Keys,
    ) -> Result<(), ExamError> {
        let grant = session.capture();
        let mut guide = Guide::new();
        let mut kept: VecDeque<Frame> = VecDeque::new();
        let mut ahead: VecDeque<Key> = VecDeque::new();
        let mut typed = String::new();
        let mut error: Option<String> = None;
        let mut advice = Advice::NoFace;
        let mut boxes = Vec::new();
        loop {
            (self.heartbeat)();
            let camera_error = match devices.camera.still(&grant) {
                Ok(frame) => {
                    let look: Look = face::look(self.detector, &frame);
                    let seen = guide.see(&look);
                    advice = seen.advice;
                    boxes = look.faces.iter().map(|b| [b.x, b.y, b.w, b.h]).collect();
                    kept.push_back(frame);
                    while kept.len() > self.face_frames.max(1) as usize {
                        kept.pop_front();
                    }
                    if let Some(r) = seen.ended {
                        session.exam().record_sync(Event::FaceCheck {
                            frames: r.frames,
                            faces_min: r.faces_min,
                            faces_max: r.faces_max,
                            passed: r.passed,
                        })?;
                        tracing::info!(
                            passed = r.passed,
                            faces_min = r.faces_min,
                            faces_max = r.faces_max,
                            "face check: a try of {} frames ended",
                            r.frames
                        );
                        if r.passed {
                            return self.seal_faces(&grant, &kept);
                        }
                        if guide.failed_tries() == face::OFFER_AFTER {
                            tracing::info!("face check: the proctor may go on with the PIN");
                        }
                    }
                    None
                }
                Err(e) => Some(self.camera_failed(&e)),
            };
            let offer = guide.proctor_may_override();
            let mut p = self.preview(kept.back(), ui::Framing::Face);
            p.boxes = boxes.clone();
            p.good = advice == Advice::Good;
            p.lines = vec![self.say(Msg::LookAtCamera), self.say(advice_msg(advice))];
            p.error = camera_error.or_else(|| error.clone());
            if offer {
                let tries = guide.failed_tries().to_string();
                p.lines
                    .push(fill(*self.lang, Msg::FaceOverride, &[("tries", &tries)]));
                p.field = Some((self.say(Msg::PinLabel), "*".repeat(typed.len())));
                p.help = help(*self.lang, Msg::FaceOverrideHelp);
            } else {
                p.help = help(*self.lang, Msg::FaceHelp);
            }
            self.show(devices, &p);
            // The scan goes on by itself: a key source that ended (a script) ends it only
            // when the proctor is asked and nothing typed is left.
            let pressed = keys.next(devices, Duration::from_millis(50))?;
            let ended = pressed.is_none();
            for k in pressed.unwrap_or_default() {
                if k == Key::Function(2) {
                    *self.lang = self.lang.next();
                } else if ahead.len() < TYPE_AHEAD {
                    ahead.push_back(k);
                }
            }
            while let Some(k) = offer.then(|| ahead.pop_front()).flatten() {
                match k {
                    Key::Char(c) if c.is_ascii_digit() && typed.len() < *pin::DIGITS.end() => {
                        typed.push(c)
                    }
                    Key::Backspace => {
                        typed.pop();
                    }
                    Key::Enter => {
                        let verdict = self.gate.check(&std::mem::take(&mut typed), Instant::now());
                        error = verdict
                            .refusal()
                            .map(|(msg, [(k, v)])| fill(*self.lang, msg, &[(k, &v)]));
                        match verdict {
                            Verdict::Accepted => {
                                session.exam().record_sync(Event::FaceCheckOverridden {
                                    failed_tries: guide.failed_tries(),
                                })?;
                                tracing::info!("face check: the proctor went on with the PIN");
                                return self.seal_faces(&grant, &kept);
                            }
                            Verdict::Rejected { attempts, wait } => {
                                session.exam().record_sync(Event::PinRejected {
                                    attempts,
                                    wait_secs: wait.as_secs().min(u32::MAX.into()) as u32,
                                })?;
                                tracing::warn!(attempts, "proctor PIN rejected at the face check");
                            }
                            Verdict::Waiting(_) => {}
                        }
                    }
                    _ => {}
                }
            }
            if ended && offer && ahead.is_empty() {
                return Err(ExamError::Recorder(
                    "the input ended at the face check, before the proctor's PIN".into(),
                ));
            }
        }
    }

    fn seal_faces(
        &self,
        grant: &crate::session::Capture<'_>,
        kept: &VecDeque<Frame>,
    ) -> Result<(), ExamError> {
        for (i, f) in kept.iter().enumerate() {
            identity::seal(grant, f, Still::Face, &format!("face-{i:02}"))?;
        }
        Ok(())
    }
}

/// The help line: `msg` and the language key.
fn help(lang: Language, msg: Msg) -> String {
    format!("{}   {}", text(lang, msg), text(lang, Msg::SwitchLanguage))
}

/// What the student is told for `advice`.
fn advice_msg(advice: Advice) -> Msg {
    match advice {
        Advice::Good => Msg::FaceGood,
        Advice::NoFace => Msg::FaceNone,
        Advice::OnlyOne => Msg::FaceOnlyOne,
        Advice::MoveCloser => Msg::FaceCloser,
        Advice::TooDark => Msg::FaceDark,
    }
}

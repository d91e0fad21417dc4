//! The exam flow: the one place that owns the session, from the readiness card through
//! check-in, the proctor's PIN, the privacy notice, identity stills and the recorded exam, to the
//! sealed bundle and its receipt, then back to the readiness card for the next student.
//!
//! It reads keys from a [`Keys`] source: the board's keyboards (grabbed by the station while its
//! own screens show, [`DeviceKeys`]) in `stationd`, or a [`Script`] of key events in
//! `stationctl exam simulate` and the tests. Both go through the same [`keys::Keyboard`]
//! translation and the same steps: one flow, not two.

pub mod alerts;
pub mod checkin;
pub mod control;
mod exam;
mod identity;
pub mod keys;
pub mod pin;
mod ready;
mod screen;
mod source;
pub mod text;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use board_config::{ExamEntry, Language};
use bundle::event::{text as jtext, Event};

pub use bundle::manifest::receipt;
pub use checkin::{Form, Offer, Outcome, Readiness, Step};
use keys::Key;
pub use ready::readiness;
pub use screen::Screen;
pub use source::{DeviceKeys, Keys, Script};
use text::{fill, text, Msg};

use crate::devices::Devices;
use crate::exam::ExamError;
use crate::resume::{Record, Resumable};
use crate::session::{CheckIn, Identity, Ready, Session};
use crate::station::Station;
use crate::ui;

/// How long the sealed screen with the receipt stays without a key.
const RECEIPT_SHOWN: Duration = Duration::from_secs(300);

/// How one pass through the flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// An exam was recorded and sealed in this folder.
    Sealed(PathBuf),
    /// A check-in was cancelled; its folder was sealed as such.
    Cancelled(PathBuf),
    /// The key source ended at the readiness card.
    Idle,
}

/// The exam flow of one station process.
pub struct Flow {
    form: Form,
    gate: pin::Gate,
    screen: Screen,
    notice: ui::Notice,
    /// Overrides the exams' own duration (`stationctl exam simulate --duration`).
    pub duration: Option<Duration>,
    /// Face stills sealed after the face scan.
    pub face_frames: u32,
    resumable: Option<Resumable>,
    detector: Box<dyn crate::face::Detector>,
    heartbeat: Box<dyn FnMut()>,
    /// The station's id (a call names it).
    station: String,
    /// The call button and tamper switch at the check-in screens.
    alerts: alerts::Alerts,
    /// The indicator failed to read (said once in the log, not again).
    indicator_failed: bool,
}

/// Milliseconds since the Unix epoch now.
fn wall_ms() -> i64 {
    bundle::journal::now_ms() as i64
}

impl Flow {
    /// The flow for `station` with its site's exams, proctor PIN gate and screen.
    pub fn new(station: &Station, roster: Vec<ExamEntry>, gate: pin::Gate, screen: Screen) -> Flow {
        let site = &station.site;
        Flow {
            form: Form::new(&site.station.id, &site.checkin, roster),
            gate,
            screen,
            notice: ui::Notice::of(site),
            duration: None,
            face_frames: 3,
            resumable: None,
            detector: Box::new(
                crate::face::Seeta::new().expect("the compiled-in face model loads"),
            ),
            heartbeat: Box::new(|| {}),
            station: site.station.id.clone(),
            alerts: alerts::Alerts::default(),
            indicator_failed: false,
        }
    }

    /// Reads the call button and tamper switch while the check-in screens show: a call or an
    /// open case shows on the screen, and goes into the journal once a student has checked in
    /// (the exam's start journals a case still open). Whether what is shown changed.
    fn watch(
        &mut self,
        devices: &mut Devices,
        checked: Option<&Session<CheckIn>>,
    ) -> Result<bool, ExamError> {
        let before = self.alerts.clone();
        let now = Instant::now();
        let read = devices
            .indicator
            .poll()
            .and_then(|s| Ok((s, devices.indicator.case_open()?)));
        let (signals, open) = match read {
            Ok(r) => r,
            Err(e) => {
                if !std::mem::replace(&mut self.indicator_failed, true) {
                    tracing::warn!("indicator: {e}");
                }
                return Ok(false);
            }
        };
        for s in signals {
            tracing::warn!("{s:?} at check-in step {:?}", self.form.step());
            let event = self.alerts.signal(s, &self.station, now);
            if let Some(c) = checked {
                c.exam().record_sync(event)?;
            }
        }
        self.alerts.case(open);
        self.alerts.tick(now);
        Ok(self.alerts != before)
    }

    /// Called at least every 100 ms while the flow runs (systemd's watchdog).
    pub fn on_heartbeat(&mut self, f: impl FnMut() + 'static) {
        self.heartbeat = Box::new(f);
    }

    /// Sets what the readiness card shows.
    pub fn set_readiness(&mut self, r: Readiness) {
        self.form.set_readiness(r);
    }

    /// The check-in form (its step and what it shows).
    pub fn form(&self) -> &Form {
        &self.form
    }

    fn draw(&self, devices: &mut Devices) {
        let now = Instant::now();
        let view = self.form.view(&self.gate, now, wall_ms());
        let s = &self.screen;
        let frame = if self.form.step() == Step::Notice {
            ui::with_help(
                ui::privacy_notice(s.w, s.h, &s.theme, &self.notice, self.form.language()),
                &s.theme,
                &view.help,
            )
        } else {
            ui::form(s.w, s.h, &s.theme, &view)
        };
        // F3 at the readiness card: the health report's summary as a QR code.
        let qr = match self.form.step() {
            Step::Health => self.form.readiness().qr.as_deref(),
            _ => None,
        };
        let frame = s.with_alerts(frame, &self.alerts.lines(self.form.language()));
        s.show(devices, &s.with_qr(frame, qr));
    }

    /// One student, from the readiness card to a sealed bundle (or a cancelled check-in).
    pub fn run_once(
        &mut self,
        session: Session<Ready>,
        devices: &mut Devices,
        keys: &mut dyn Keys,
    ) -> Result<(Session<Ready>, Ended), ExamError> {
        self.offer_resume(&session.station().data_dir);
        let mut ready = Some(session);
        let mut checked: Option<Session<CheckIn>> = None;
        let mut dirty = true;
        loop {
            if self.watch(devices, checked.as_ref())? {
                dirty = true;
            }
            if dirty {
                self.draw(devices);
                dirty = false;
            }
            (self.heartbeat)();
            let Some(pressed) = keys.next(devices, Duration::from_millis(100))? else {
                let error = self.form.view(&self.gate, Instant::now(), wall_ms()).error;
                return match (ready, checked) {
                    (Some(r), None) if self.form.step() == Step::Welcome => Ok((r, Ended::Idle)),
                    (_, Some(c)) => {
                        let (r, dir) = c.cancel()?;
                        tracing::warn!("input ended at {:?}; check-in cancelled", self.form.step());
                        Ok((r, Ended::Cancelled(dir)))
                    }
                    _ => Err(ExamError::Recorder(format!(
                        "the input ended at check-in step {:?}{}",
                        self.form.step(),
                        error.map(|e| format!(": {e}")).unwrap_or_default()
                    ))),
                };
            };
            for key in pressed {
                dirty = true;
                let outcome = self
                    .form
                    .on_key(key, &mut self.gate, Instant::now(), wall_ms());
                match outcome {
                    Outcome::Nothing => {}
                    Outcome::CheckedIn { student, .. } => {
                        let r = ready.take().expect("checked in from Ready");
                        let s = r.check_in(&student).map_err(|r| *r.error)?;
                        if let Some(e) = self.form.exam() {
                            s.exam().record_sync(Event::ExamChosen {
                                code: jtext(&e.code),
                                title: jtext(&e.title),
                            })?;
                        }
                        checked = Some(s);
                    }
                    Outcome::PinRejected {
                        attempts,
                        wait_secs,
                    } => {
                        if let Some(s) = &checked {
                            s.exam().record_sync(Event::PinRejected {
                                attempts,
                                wait_secs,
                            })?;
                        }
                        tracing::warn!(attempts, wait_secs, "proctor PIN rejected");
                    }
                    Outcome::Approved => {
                        if let Some(s) = &checked {
                            s.exam().record_sync(Event::ProctorApproved)?;
                        }
                    }
                    Outcome::Cancelled => {
                        let s = checked.take().expect("cancelled after check-in");
                        let (r, dir) = s.cancel()?;
                        self.form.restart();
                        self.draw(devices);
                        return Ok((r, Ended::Cancelled(dir)));
                    }
                    Outcome::Resume => {
                        let (Some(r), Some(offer)) = (ready.take(), self.resumable.take()) else {
                            continue;
                        };
                        match r.resume(&offer) {
                            Ok(session) => {
                                let plan = self.resumed_plan(&offer);
                                let lang = self.form.language();
                                let (r, dir) = self.record(session, plan, lang, devices, keys)?;
                                return Ok((r, Ended::Sealed(dir)));
                            }
                            Err(refused) => {
                                tracing::error!("the exam could not be resumed: {}", refused.error);
                                ready = Some(refused.session);
                                self.form.set_offer(None);
                                self.form.restart();
                            }
                        }
                    }
                    Outcome::Acknowledged => {
                        let s = checked.take().expect("notice after check-in");
                        s.exam().record_sync(Event::NoticeAcknowledged)?;
                        let (r, dir) = self.exam(s, devices, keys)?;
                        return Ok((r, Ended::Sealed(dir)));
                    }
                }
            }
        }
    }

    /// The chosen exam's length (or the simulation's) and warnings.
    fn plan(&self, first: &str) -> exam::Plan {
        let exam = self.form.exam();
        exam::Plan {
            planned: self
                .duration
                .or_else(|| exam.map(|e| Duration::from_secs(e.duration_secs().into())))
                .unwrap_or(Duration::from_secs(60)),
            warnings: exam.map(ExamEntry::warnings).unwrap_or_default(),
            resume: Record {
                first: first.to_owned(),
                exam: first.to_owned(),
                part: 1,
                code: exam.map(|e| e.code.clone()).unwrap_or_default(),
                title: exam.map(|e| e.title.clone()).unwrap_or_default(),
                planned_secs: 0,
                started_ms: 0,
                cut_ms: None,
                head: None,
            },
        }
    }

    /// The next part of an interrupted exam: the time that was left, the warnings that still
    /// fall within it.
    fn resumed_plan(&self, r: &Resumable) -> exam::Plan {
        let left = r.left_secs;
        let warnings = self
            .form
            .exam_by_code(&r.record.code)
            .map(ExamEntry::warnings)
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m * 60 < left)
            .collect();
        exam::Plan {
            planned: Duration::from_secs(left.into()),
            warnings,
            resume: r.record.next("", 0, left),
        }
    }

    /// Offers the interrupted exam the resume record names, if it may still be resumed.
    fn offer_resume(&mut self, data_dir: &std::path::Path) {
        self.resumable = match Record::load(data_dir) {
            Ok(r) => r.and_then(|r| r.resumable(bundle::journal::now_ms())),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        };
        self.form.set_offer(self.resumable.as_ref().map(|r| Offer {
            code: r.record.code.clone(),
            title: r.record.title.clone(),
            minutes_left: r.left_secs.div_ceil(60),
        }));
    }

    /// Identity stills, the recorded exam, the sealed screen with the receipt.
    fn exam(
        &mut self,
        session: Session<CheckIn>,
        devices: &mut Devices,
        keys: &mut dyn Keys,
    ) -> Result<(Session<Ready>, PathBuf), ExamError> {
        let plan = self.plan(session.exam().id());
        let mut lang = self.form.language();
        let session = session.identity()?;
        let mut check = identity::Check {
            screen: &self.screen,
            lang: &mut lang,
            gate: &mut self.gate,
            detector: self.detector.as_mut(),
            face_frames: self.face_frames,
            heartbeat: &mut *self.heartbeat,
        };
        check.photo_id(&session, devices, keys)?;
        check.face_scan(&session, devices, keys)?;
        self.record(session, plan, lang, devices, keys)
    }

    /// The recorded exam (or part), then the sealed screen with the receipt.
    fn record(
        &mut self,
        session: Session<Identity>,
        plan: exam::Plan,
        lang: board_config::Language,
        devices: &mut Devices,
        keys: &mut dyn Keys,
    ) -> Result<(Session<Ready>, PathBuf), ExamError> {
        keys.hand_over();
        // Check-in's screens, stills and face scan leave freed heap that glibc keeps (about
        // 20 MB measured): given back to the kernel before the recording, which runs for hours.
        // SAFETY: malloc_trim only returns free heap pages to the kernel.
        unsafe { libc::malloc_trim(0) };
        let (ready, dir) = exam::record(
            session,
            devices,
            &self.screen,
            plan,
            &mut self.gate,
            lang,
            &mut *self.heartbeat,
        )?;
        self.sealed_screen(devices, &dir, lang);
        // The receipt stays until Enter (or five minutes), so the student can note it down.
        let until = Instant::now() + RECEIPT_SHOWN;
        while Instant::now() < until {
            (self.heartbeat)();
            match keys.next(devices, Duration::from_millis(100))? {
                Some(k) if !k.contains(&Key::Enter) => {}
                _ => break,
            }
        }
        self.form.restart();
        Ok((ready, dir))
    }

    fn sealed_screen(&self, devices: &mut Devices, dir: &std::path::Path, l: Language) {
        let manifest = bundle::manifest::Manifest::load(dir).ok();
        let mut lines = vec![text(l, Msg::Sealed).to_owned()];
        let code = manifest.as_ref().and_then(|m| receipt(&m.journal_head));
        if let Some(m) = &manifest {
            let bytes: u64 = m.files.iter().map(|f| f.size).sum();
            let (files, mb) = (
                m.files.len().to_string(),
                format!("{:.1}", bytes as f64 / 1e6),
            );
            lines.push(fill(l, Msg::SealedFiles, &[("files", &files), ("mb", &mb)]));
        }
        if let Some(r) = &code {
            lines.push(fill(l, Msg::Receipt, &[("code", r)]));
            lines.push(text(l, Msg::ReceiptNote).to_owned());
        }
        let view = ui::View {
            title: text(l, Msg::SealedTitle).to_owned(),
            lines,
            help: text(l, Msg::NextStudent).to_owned(),
            ..ui::View::default()
        };
        let s = &self.screen;
        // The receipt as a QR code too, bottom right above the help line.
        let frame = s.with_qr(ui::form(s.w, s.h, &s.theme, &view), code.as_deref());
        s.show(devices, &frame);
    }
}

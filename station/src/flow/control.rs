//! The station's side of a running exam, as pure logic: the time left on the recording badge,
//! the warnings the site asks for, the student's end key with its confirmation, and the
//! proctor's key with the PIN. Station keys and diverted keys come in ([`StationInput`]);
//! actions for the flow come out ([`Action`]), and [`Control::overlay`] says what the badge
//! over the kiosk shows now.
//!
//! While a question is open the keys go to the station, not the exam; an unanswered question
//! closes by itself ([`QUESTION_OPEN`]), so the student is never left without a keyboard.

use std::time::{Duration, Instant};

use board_config::Language;
use bundle::event::EndReason;

use super::alerts::Alerts;
use super::keys::{Key, Keyboard};
use super::pin::{self, Gate, Verdict};
use super::text::{fill, text, Msg};
use crate::lockdown::combo::StationKey;
use crate::lockdown::StationInput;

/// How long a warning stays on the badge.
pub const WARNING_SHOWN: Duration = Duration::from_secs(15);
/// How long a question (end the exam? the proctor's PIN) stays open without an answer.
pub const QUESTION_OPEN: Duration = Duration::from_secs(30);

/// What the flow must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send every key to the station (`true`), or give them back to the exam shell.
    Divert(bool),
    /// End the exam for this reason.
    End(EndReason),
    /// Journal a wrong proctor PIN.
    PinRejected {
        /// Wrong PINs in a row.
        attempts: u16,
        /// Seconds before the next PIN is taken.
        wait_secs: u32,
    },
    /// Journal the warning shown: this many minutes left.
    Warned(u32),
}

/// What the badge over the kiosk shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    /// Lines, the first being `REC mm:ss`.
    pub lines: Vec<String>,
    /// Whether a question or a warning is open (drawn larger).
    pub alert: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Recording,
    Warning { minutes: u32, until: Instant },
    ConfirmEnd { until: Instant },
    ProctorPin { until: Instant },
}

/// The station's controls of one running exam.
pub struct Control {
    mode: Mode,
    keyboard: Keyboard,
    typed: String,
    error: Option<String>,
    /// Warnings still to come, longest first (minutes before the end).
    pending: Vec<u32>,
    lang: Language,
    /// The call button and the tamper switch, shown on the badge.
    pub alerts: Alerts,
}

/// `mm:ss` (or `h:mm:ss`) of `d`, rounded up to the second.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match s / 3600 {
        0 => format!("{:02}:{:02}", s / 60, s % 60),
        h => format!("{h}:{:02}:{:02}", s / 60 % 60, s % 60),
    }
}

impl Control {
    /// Controls for an exam with warnings at `warnings` minutes before the end, on screens in
    /// `lang`.
    pub fn new(mut warnings: Vec<u32>, lang: Language) -> Control {
        warnings.sort_unstable_by(|a, b| b.cmp(a));
        Control {
            mode: Mode::Recording,
            keyboard: Keyboard::new(),
            typed: String::new(),
            error: None,
            pending: warnings,
            lang,
            alerts: Alerts::default(),
        }
    }

    /// Time passes: `left` of the exam at `now`. Shows each warning once its minute is reached
    /// (a warning already passed at the start is dropped); closes questions nobody answered.
    pub fn tick(&mut self, left: Duration, now: Instant) -> Vec<Action> {
        let mut out = Vec::new();
        let mut due = None;
        while let Some(m) = self.pending.first().copied() {
            if left > Duration::from_secs(u64::from(m) * 60) {
                break;
            }
            self.pending.remove(0);
            due = Some(m);
        }
        self.alerts.tick(now);
        match self.mode {
            Mode::Warning { until, .. } if now >= until => self.mode = Mode::Recording,
            Mode::ConfirmEnd { until } | Mode::ProctorPin { until } if now >= until => {
                self.close();
                out.push(Action::Divert(false));
            }
            _ => {}
        }
        if let Some(minutes) = due {
            out.push(Action::Warned(minutes));
            if self.mode == Mode::Recording || matches!(self.mode, Mode::Warning { .. }) {
                self.mode = Mode::Warning {
                    minutes,
                    until: now + WARNING_SHOWN,
                };
            }
        }
        out
    }

    fn close(&mut self) {
        self.mode = Mode::Recording;
        self.typed.clear();
        self.error = None;
        self.keyboard = Keyboard::new();
    }

    fn asking(&self) -> bool {
        matches!(self.mode, Mode::ConfirmEnd { .. } | Mode::ProctorPin { .. })
    }

    /// A station key or a diverted key at `now`.
    pub fn input(&mut self, input: StationInput, gate: &mut Gate, now: Instant) -> Vec<Action> {
        match input {
            StationInput::Key(k) if !self.asking() => {
                self.typed.clear();
                self.error = None;
                self.mode = match k {
                    StationKey::End => Mode::ConfirmEnd {
                        until: now + QUESTION_OPEN,
                    },
                    StationKey::Proctor => Mode::ProctorPin {
                        until: now + QUESTION_OPEN,
                    },
                };
                vec![Action::Divert(true)]
            }
            StationInput::Key(_) => Vec::new(),
            StationInput::Raw(code, value) => match self.keyboard.event(1, code, value) {
                Some(key) => self.answer(key, gate, now),
                None => Vec::new(),
            },
        }
    }

    fn answer(&mut self, key: Key, gate: &mut Gate, now: Instant) -> Vec<Action> {
        match (self.mode, key) {
            (_, Key::Escape) => {
                self.close();
                vec![Action::Divert(false)]
            }
            (Mode::ConfirmEnd { .. }, Key::Enter) => {
                self.close();
                vec![Action::Divert(false), Action::End(EndReason::Submitted)]
            }
            (Mode::ProctorPin { .. }, Key::Enter) => {
                let typed = std::mem::take(&mut self.typed);
                let verdict = gate.check(&typed, now);
                if let Some((msg, [(k, v)])) = verdict.refusal() {
                    self.error = Some(fill(self.lang, msg, &[(k, &v)]));
                }
                match verdict {
                    Verdict::Accepted => {
                        self.close();
                        vec![Action::Divert(false), Action::End(EndReason::Proctor)]
                    }
                    Verdict::Rejected { attempts, wait } => {
                        self.mode = Mode::ProctorPin {
                            until: now + QUESTION_OPEN,
                        };
                        vec![Action::PinRejected {
                            attempts,
                            wait_secs: wait.as_secs().min(u32::MAX.into()) as u32,
                        }]
                    }
                    Verdict::Waiting(_) => Vec::new(),
                }
            }
            (Mode::ProctorPin { .. }, Key::Char(c)) if c.is_ascii_digit() => {
                if self.typed.len() < *pin::DIGITS.end() {
                    self.typed.push(c);
                }
                Vec::new()
            }
            (Mode::ProctorPin { .. }, Key::Backspace) => {
                self.typed.pop();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// What the badge shows with `left` of the exam.
    pub fn overlay(&self, left: Duration) -> Overlay {
        let mut lines = vec![format!("REC {}", clock(left))];
        let l = self.lang;
        match self.mode {
            Mode::Recording => {}
            Mode::Warning { minutes, .. } => lines.push(fill(
                l,
                Msg::MinutesLeft,
                &[("minutes", &minutes.to_string())],
            )),
            Mode::ConfirmEnd { .. } => {
                lines.push(text(l, Msg::ConfirmEnd).to_owned());
                lines.push(text(l, Msg::ConfirmEndHelp).to_owned());
            }
            Mode::ProctorPin { .. } => {
                lines.push(text(l, Msg::ProctorEnd).to_owned());
                lines.push(format!(
                    "{}: {}_",
                    text(l, Msg::PinLabel),
                    "*".repeat(self.typed.len())
                ));
                if let Some(e) = &self.error {
                    lines.push(e.clone());
                }
                lines.push(text(l, Msg::ProctorEndHelp).to_owned());
            }
        }
        lines.extend(self.alerts.lines(l));
        Overlay {
            alert: self.mode != Mode::Recording || self.alerts.any(),
            lines,
        }
    }
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
